"""Preconditioned conjugate gradient on ``xp`` arrays, for the sparse symmetric systems of matting and Poisson editing.

Solves A x = b for a symmetric positive (semi-)definite A given only as a function ``apply_a(p) = A p``, so A is
never assembled: matting and Poisson blending apply their operators with box filters and shifted slices in O(pixels).
``precondition(r)`` applies M^-1, an approximation of A^-1 that is cheap to apply (Jacobi: divide by A's diagonal).

    x_0, r_0 = b - A x_0, z_0 = M^-1 r_0, p_0 = z_0
    alpha_k = r_k.z_k / p_k.A p_k,  x_k+1 = x_k + alpha_k p_k,  r_k+1 = r_k - alpha_k A p_k
    z_k+1 = M^-1 r_k+1,  beta_k = r_k+1.z_k+1 / r_k.z_k,  p_k+1 = z_k+1 + beta_k p_k

It stops when ||r|| <= rtol ||b|| or after ``max_iter`` steps, and says which in :class:`SolveInfo`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minigen import backend

__all__ = ["SolveInfo", "conjugate_gradient"]


@dataclass
class SolveInfo:
    """How a solve went: steps taken, the final relative residual ||b - A x|| / ||b||, and whether it reached rtol."""

    iterations: int
    residual: float
    converged: bool

    def __str__(self) -> str:
        state = "converged" if self.converged else "stopped at max_iter"
        return f"{self.iterations} iterations, relative residual {self.residual:.2e} ({state})"


def conjugate_gradient(
    apply_a: Callable[[Any], Any],
    b: Any,
    x0: Any = None,
    *,
    precondition: Callable[[Any], Any] | None = None,
    rtol: float = 1e-6,
    max_iter: int = 10_000,
    callback: Callable[[int, float], None] | None = None,
) -> tuple[Any, SolveInfo]:
    """Solve A x = b by (preconditioned) conjugate gradient; returns ``(x, info)``.

    ``b`` and ``x0`` (default zeros) are arrays of any shape; ``apply_a`` and ``precondition`` map such an
    array to one of the same shape. ``callback(iteration, relative_residual)`` is called after each step
    (a progress bar). The residual is read on the host once per step: one small transfer on a GPU.
    """
    if not rtol > 0 or not isinstance(max_iter, int) or max_iter < 0:
        raise ValueError(f"conjugate_gradient: rtol {rtol!r} must be > 0 and max_iter {max_iter!r} an int >= 0")
    xp = backend.get_array_module(b)
    x = xp.zeros_like(b) if x0 is None else x0.astype(b.dtype, copy=True)
    norm_b = float(xp.sqrt((b * b).sum()))
    if norm_b == 0:
        return xp.zeros_like(b), SolveInfo(0, 0.0, True)
    r = b - apply_a(x) if x0 is not None else b.copy()
    z = precondition(r) if precondition is not None else r
    p = z.copy()
    rz = (r * z).sum()
    residual = float(xp.sqrt((r * r).sum())) / norm_b
    iteration = 0
    while residual > rtol and iteration < max_iter:
        ap = apply_a(p)
        alpha = rz / (p * ap).sum()
        x += alpha * p
        r -= alpha * ap
        z = precondition(r) if precondition is not None else r
        rz, rz_old = (r * z).sum(), rz
        p = z + (rz / rz_old) * p
        iteration += 1
        residual = float(xp.sqrt((r * r).sum())) / norm_b
        if callback is not None:
            callback(iteration, residual)
    return x, SolveInfo(iteration, residual, residual <= rtol)
