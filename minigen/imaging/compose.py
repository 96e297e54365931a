"""Compositing: Porter–Duff *over* with an alpha matte, and Poisson image editing (seamless cloning).

*over* (Porter & Duff, "Compositing Digital Images", SIGGRAPH 1984) lays a foreground with coverage α on a
background: with colours premultiplied by their alpha (c = αC), c = c_f + (1 − α_f) c_b and
α = α_f + (1 − α_f) α_b; over an opaque background with a straight (un-premultiplied) foreground this is
C = αF + (1 − α)B.

Poisson blending (Pérez, Gangnet & Blake, "Poisson Image Editing", SIGGRAPH 2003) pastes a region Ω of a
source g into a target f* by asking for its *gradients* rather than its values: inside Ω the result f solves
Δf = div v with f = f* on the boundary ∂Ω, where the guidance field v is ∇g (seamless cloning) or, per pixel
pair, the stronger of ∇g and ∇f* (mixed gradients). The discrete equations (the paper's eq. 7), for p in Ω
with N_p its 4-neighbours inside the image and v_pq the guidance along the pair (p, q):

    |N_p| f_p − Σ_{q ∈ N_p ∩ Ω} f_q = Σ_{q ∈ N_p ∩ ∂Ω} f*_q + Σ_{q ∈ N_p} v_pq

form a sparse symmetric positive definite system, solved here matrix-free (shifted slices) by the shared
preconditioned conjugate gradient (:mod:`minigen.imaging.solver`), all channels at once.
"""

from __future__ import annotations

import numbers
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from minigen import backend
from minigen.imaging.io import ImageError, as_float_image
from minigen.imaging.solver import conjugate_gradient

__all__ = [
    "PoissonSystem", "over", "over_premultiplied", "poisson_blend", "poisson_system", "premultiply", "unpremultiply",
]  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Checks shared by the functions below.


def _same_device(name: str, array: Any, reference_name: str, reference: Any) -> None:
    """Refuse ``array`` on another device than ``reference`` (mixing NumPy and CuPy arrays)."""
    here, there = backend.device_of(array), backend.device_of(reference)
    if here is not there:
        raise ImageError(
            f"{name}: on device {here.name if here else type(array).__name__!r} but {reference_name} is on "
            f"{there.name!r} (expected both on the same device; move one with minigen.backend.to_device)"
        )


def _in_unit_range(name: str, array: Any) -> None:
    """Refuse values outside [0, 1] (and NaN): one small host read of the minimum and maximum."""
    low, high = float(array.min()), float(array.max())
    if not (low >= 0.0 and high <= 1.0):  # also False for NaN
        raise ImageError(f"{name}: values in [{low:.4g}, {high:.4g}] (expected an alpha in [0, 1])")


def _alpha_like(alpha: Any, image: Any, name: str, image_name: str) -> Any:
    """``alpha`` checked ((H, W) or (H, W, 1), float, in [0, 1], or a number) and shaped to broadcast over
    ``image``'s channels, in ``image``'s array module and dtype."""
    xp = backend.get_array_module(image)
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
        if not 0.0 <= float(alpha) <= 1.0:
            raise ImageError(f"{name}: {alpha!r} (expected an alpha in [0, 1])")
        return xp.asarray(float(alpha), dtype=image.dtype)
    if backend.device_of(alpha) is None:
        raise ImageError(f"{name}: expected a float array (H, W) or (H, W, 1) or a number, got {type(alpha).__name__}")
    _same_device(name, alpha, image_name, image)
    if alpha.dtype.kind != "f":
        hint = "; divide a uint8 matte by 255" if alpha.dtype.kind in "ui" else ""
        raise ImageError(f"{name}: dtype {alpha.dtype} (expected float32 or float64 in [0, 1]{hint})")
    height, width = image.shape[:2]
    if tuple(alpha.shape) not in ((height, width), (height, width, 1)):
        raise ImageError(
            f"{name}: shape {tuple(alpha.shape)} (expected ({height}, {width}) or ({height}, {width}, 1), "
            f"the {image_name}'s height and width)"
        )
    _in_unit_range(name, alpha)
    alpha = alpha.astype(image.dtype, copy=False)
    if image.ndim == 3 and alpha.ndim == 2:
        return alpha[:, :, None]
    if image.ndim == 2 and alpha.ndim == 3:
        return alpha[:, :, 0]
    return alpha


def _colour(image: Any, name: str, reference: Any = None, reference_name: str = "") -> Any:
    """A colour image for compositing: float (H, W), (H, W, 1) or (H, W, 3), like ``reference`` when given."""
    image = as_float_image(image, name, channels=(1, 3))
    if reference is not None:
        _same_device(name, image, reference_name, reference)
        if tuple(image.shape) != tuple(reference.shape) or image.dtype != reference.dtype:
            raise ImageError(
                f"{name}: shape {tuple(image.shape)} {image.dtype} (expected {tuple(reference.shape)} "
                f"{reference.dtype}, the {reference_name}'s)"
            )
    return image


# ---------------------------------------------------------------------------------------------------------------
# Porter–Duff over.


def premultiply(color: Any, alpha: Any) -> Any:
    """The colour premultiplied by its alpha, c = α C (Porter & Duff 1984): the form in which *over* is linear.

    ``color`` (H, W) or (H, W, C); ``alpha`` (H, W), (H, W, 1) or a number in [0, 1], broadcast over channels.
    """
    color = _colour(color, "color")
    return color * _alpha_like(alpha, color, "alpha", "color")


def unpremultiply(color_premult: Any, alpha: Any) -> Any:
    """The straight colour C = c / α from a premultiplied one; 0 where α = 0 (no coverage: the colour is undefined).

    The inverse of :func:`premultiply` wherever α > 0. Shapes as in :func:`premultiply`.
    """
    color_premult = _colour(color_premult, "color_premult")
    xp = backend.get_array_module(color_premult)
    alpha = _alpha_like(alpha, color_premult, "alpha", "color_premult")
    covered = alpha > 0
    return xp.where(covered, color_premult / xp.where(covered, alpha, 1), 0).astype(color_premult.dtype, copy=False)


def over(foreground: Any, alpha: Any, background: Any, premultiplied: bool = False) -> Any:
    """Porter–Duff *over* onto an opaque background: C = α F + (1 − α) B (Porter & Duff 1984).

    ``foreground`` and ``background``: float images of one shape, (H, W) or (H, W, C); ``alpha``: the
    foreground's coverage, (H, W), (H, W, 1) or a number, in [0, 1]. With ``premultiplied=True`` the foreground
    is already α F and C = F + (1 − α) B. Returns C, like ``background``.
    """
    foreground = _colour(foreground, "foreground")
    background = _colour(background, "background", foreground, "foreground")
    alpha = _alpha_like(alpha, foreground, "alpha", "foreground")
    if premultiplied:
        return foreground + (1 - alpha) * background
    return alpha * foreground + (1 - alpha) * background


def over_premultiplied(fg_premult: Any, alpha_f: Any, bg_premult: Any, alpha_b: Any) -> tuple[Any, Any]:
    """Porter–Duff *over* of two premultiplied layers: ``(c, α)`` with c = c_f + (1 − α_f) c_b and
    α = α_f + (1 − α_f) α_b (Porter & Duff 1984). Associative, so a stack of layers composites in any grouping.

    Colours (H, W) or (H, W, C) of one shape and dtype; alphas (H, W) or (H, W, 1) in [0, 1]. The returned α has
    ``alpha_f``'s shape; :func:`unpremultiply` turns ``(c, α)`` back into a straight colour.
    """
    fg_premult = _colour(fg_premult, "fg_premult")
    bg_premult = _colour(bg_premult, "bg_premult", fg_premult, "fg_premult")
    if backend.device_of(alpha_f) is None:
        raise ImageError(f"alpha_f: expected a float array (H, W) or (H, W, 1), got {type(alpha_f).__name__}")
    a_f = _alpha_like(alpha_f, fg_premult, "alpha_f", "fg_premult")
    a_b = _alpha_like(alpha_b, fg_premult, "alpha_b", "fg_premult")
    color = fg_premult + (1 - a_f) * bg_premult
    alpha = (a_f + (1 - a_f) * a_b).reshape(alpha_f.shape)
    return color, alpha


# ---------------------------------------------------------------------------------------------------------------
# Poisson image editing.


def _neighbour_sum(x: Any) -> Any:
    """Σ_{q ∈ N_p} x_q over the 4-neighbours inside the array (no wrap-around), for every pixel p of (h, w, C)."""
    xp = backend.get_array_module(x)
    total = xp.zeros_like(x)
    total[1:] += x[:-1]
    total[:-1] += x[1:]
    total[:, 1:] += x[:, :-1]
    total[:, :-1] += x[:, 1:]
    return total


def _dst_last(x: Any) -> Any:
    """DST-I along the last axis, y_k = Σ_j x_j sin(π (j + 1)(k + 1) / (n + 1)), by one real FFT of the odd
    extension (0, x, 0, −x reversed) of length 2(n + 1): y = −Im(FFT)[1 : n + 1] / 2. It is its own inverse up to
    the factor 2/(n + 1)."""
    xp = backend.get_array_module(x)
    n = x.shape[-1]
    zeros = xp.zeros((*x.shape[:-1], 1), dtype=x.dtype)
    extended = xp.concatenate([zeros, x, zeros, -x[..., ::-1]], axis=-1)
    return (xp.fft.rfft(extended, axis=-1)[..., 1 : n + 1].imag * -0.5).astype(x.dtype, copy=False)


@dataclass
class PoissonSystem:
    """The discrete Poisson equation of Pérez et al. (2003) on a window of the target around Ω.

    ``rows``, ``cols``: the window's slices in the target (Ω's bounding box grown by one pixel, cut at the image
    border). ``inside``: Ω in the window, (h, w, 1) of the image dtype (1 in Ω, 0 elsewhere). ``neighbours``:
    |N_p|, the 4-neighbours of p inside the image. ``rhs``: b_p = Σ_{q ∈ N_p ∩ ∂Ω} f*_q + Σ_{q ∈ N_p} v_pq in Ω,
    0 outside, (h, w, C). ``target``: the target's window, whose values outside Ω are f*.
    ``box``: Ω's bounding box in the window, (row, row_end, col, col_end). Unknowns are (h, w, C) arrays that are
    0 outside Ω.
    """

    rows: slice
    cols: slice
    inside: Any
    neighbours: Any
    rhs: Any
    target: Any
    box: tuple[int, int, int, int]
    _inverse_eigenvalues: Any = field(default=None, init=False, repr=False)  # for dst(), made on first use

    def apply(self, x: Any) -> Any:
        """A x: (|N_p| x_p − Σ_{q ∈ N_p ∩ Ω} x_q) for p in Ω, 0 outside (x is 0 outside Ω, so N_p ∩ Ω is N_p)."""
        y = self.neighbours * x
        y[1:] -= x[:-1]  # the neighbour above, then below, left, right: shifted slices, no wrap-around
        y[:-1] -= x[1:]
        y[:, 1:] -= x[:, :-1]
        y[:, :-1] -= x[:, 1:]
        y *= self.inside
        return y

    def jacobi(self, r: Any) -> Any:
        """M^-1 r with M = diag(A) = |N_p| (the Jacobi preconditioner)."""
        return r / self.neighbours

    def dst(self, r: Any) -> Any:
        """M^-1 r with M the 5-point Laplacian of Ω's bounding box B (Dirichlet: 0 outside B), restricted to Ω.

        M^-1 = S diag(1/λ) S with S the 2-D DST-I (scaled to its inverse) and λ_kl = 4 − 2 cos(πk/(h_B + 1))
        − 2 cos(πl/(w_B + 1)) the eigenvalues: four real FFTs. Where Ω is B and B does not touch the image
        border, M = A and conjugate gradient ends in one step (a direct solver); for other shapes it is a
        preconditioner needing far fewer (but costlier) steps than Jacobi.
        """
        xp = backend.get_array_module(r)
        r0, r1, c0, c1 = self.box
        if self._inverse_eigenvalues is None:
            k = xp.arange(1, r1 - r0 + 1, dtype=xp.float64) * (xp.pi / (r1 - r0 + 1))
            m = xp.arange(1, c1 - c0 + 1, dtype=xp.float64) * (xp.pi / (c1 - c0 + 1))
            eigenvalues = 4 - 2 * xp.cos(m)[:, None] - 2 * xp.cos(k)[None, :]  # laid out (w_B, h_B), as used below
            scale = 4.0 / ((r1 - r0 + 1) * (c1 - c0 + 1))  # the inverse DST-I's 2/(n + 1), per axis
            self._inverse_eigenvalues = (scale / eigenvalues).astype(r.dtype)
        # (h_B, w_B, C) -> (C, h_B, w_B): transform along w_B, then (swapped) along h_B, divide by λ, and back.
        y = _dst_last(r[r0:r1, c0:c1].transpose(2, 0, 1))
        y = _dst_last(y.swapaxes(-1, -2)) * self._inverse_eigenvalues
        y = _dst_last(_dst_last(y).swapaxes(-1, -2))
        z = xp.zeros_like(r)
        z[r0:r1, c0:c1] = y.transpose(1, 2, 0)
        return z * self.inside

    def paste(self, target: Any, x: Any) -> Any:
        """A copy of the (H, W, C) ``target`` with Ω replaced by ``x``: every pixel outside Ω exactly unchanged."""
        xp = backend.get_array_module(target)
        result = target.copy()
        result[self.rows, self.cols] = xp.where(self.inside > 0, x, self.target)
        return result


def _offset(offset: Any) -> tuple[int, int]:
    """``offset`` checked: a pair of integers (row, col)."""
    try:
        row, col = offset
    except (TypeError, ValueError):
        raise ImageError(f"offset: {offset!r} (expected a pair of integers (row, col))") from None
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (row, col)):
        raise ImageError(f"offset: {offset!r} (expected a pair of integers (row, col))")
    return int(row), int(col)


def _mask(mask: Any, source: Any) -> Any:
    """``mask`` checked against ``source``: an (H_s, W_s) array of bool, integers or finite floats; nonzero = Ω."""
    xp = backend.get_array_module(source)
    if backend.device_of(mask) is None:
        raise ImageError(f"mask: expected an array (H_s, W_s) of bool or float, got {type(mask).__name__}")
    _same_device("mask", mask, "source", source)
    height, width = source.shape[:2]
    if tuple(mask.shape) != (height, width):
        raise ImageError(
            f"mask: shape {tuple(mask.shape)} (expected ({height}, {width}), the source's height and width)"
        )
    if mask.dtype.kind not in "biuf":
        raise ImageError(f"mask: dtype {mask.dtype} (expected bool, integer or float; nonzero = inside)")
    if mask.dtype.kind == "f" and not bool(xp.isfinite(mask).all()):
        raise ImageError("mask: holds NaN or inf (expected finite values; nonzero = inside)")
    return mask != 0


def _bounds(flags: Any) -> tuple[int, int]:
    """First and one-past-last index where the 1-D boolean array is True (it has at least one True)."""
    xp = backend.get_array_module(flags)
    where = xp.nonzero(flags)[0]
    return int(where[0]), int(where[-1]) + 1


def poisson_system(source: Any, target: Any, mask: Any, offset: tuple[int, int] = (0, 0), mixed: bool = False):
    """The linear system of Poisson blending (Pérez, Gangnet & Blake 2003), as a :class:`PoissonSystem`.

    Arguments as in :func:`poisson_blend`, checked there; ``source`` and ``target`` here are (H, W, C) arrays of
    one dtype. The window is Ω's bounding box plus one pixel, so the solve costs O(|Ω|), not O(target).
    """
    xp = backend.get_array_module(target)
    height, width = target.shape[:2]
    src_height, src_width = source.shape[:2]
    row_off, col_off = offset
    inside_rows, inside_cols = mask.any(axis=1), mask.any(axis=0)
    if not bool(inside_rows.any()):
        raise ImageError("mask: no nonzero pixel (expected a region to paste: nonzero = inside)")
    r0, r1 = _bounds(inside_rows)
    c0, c1 = _bounds(inside_cols)
    if not (0 <= r0 + row_off and r1 + row_off <= height and 0 <= c0 + col_off and c1 + col_off <= width):
        raise ImageError(
            f"offset: {(row_off, col_off)} puts the mask's rows {r0 + row_off}..{r1 + row_off - 1} and columns "
            f"{c0 + col_off}..{c1 + col_off - 1} in the target (expected inside rows 0..{height - 1} and columns "
            f"0..{width - 1})"
        )
    # The window in target coordinates, and the same window in source coordinates (may stick out by one pixel).
    t_r0, t_r1 = max(r0 + row_off - 1, 0), min(r1 + row_off + 1, height)
    t_c0, t_c1 = max(c0 + col_off - 1, 0), min(c1 + col_off + 1, width)
    s_r0, s_r1, s_c0, s_c1 = t_r0 - row_off, t_r1 - row_off, t_c0 - col_off, t_c1 - col_off
    in_r0, in_r1, in_c0, in_c1 = max(s_r0, 0), min(s_r1, src_height), max(s_c0, 0), min(s_c1, src_width)
    pad = ((in_r0 - s_r0, s_r1 - in_r1), (in_c0 - s_c0, s_c1 - in_c1))
    # Where the window leaves the source, the source is extended by its edge (no source gradient across it).
    g = xp.pad(source[in_r0:in_r1, in_c0:in_c1], (*pad, (0, 0)), mode="edge")
    inside = xp.pad(mask[in_r0:in_r1, in_c0:in_c1], pad, mode="constant")[:, :, None]
    if int(inside.sum()) == height * width:
        raise ImageError("mask: covers the whole target (expected target pixels outside it: f = f* on ∂Ω)")
    inside = inside.astype(target.dtype)
    f_star = target[t_r0:t_r1, t_c0:t_c1]
    ones = xp.ones(inside.shape, dtype=target.dtype)
    neighbours = _neighbour_sum(ones)  # |N_p|: 4, fewer on the image border (the window ends only there for Ω)
    # div v at p: Σ_q v_pq with v_pq = g_p − g_q (mixed: f*_p − f*_q where that is larger in magnitude).
    divergence = xp.zeros_like(g)
    for axis in (0, 1):
        head = (slice(None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, -1))
        tail = (slice(1, None), slice(None)) if axis == 0 else (slice(None), slice(1, None))
        v = g[head] - g[tail]  # v_pq for p = head pixel, q = tail pixel; v_qp = −v_pq
        if mixed:
            dt = f_star[head] - f_star[tail]
            v = xp.where(xp.abs(dt) > xp.abs(v), dt, v)
        divergence[head] += v
        divergence[tail] -= v
    rhs = (_neighbour_sum(f_star * (1 - inside)) + divergence) * inside
    box = (r0 + row_off - t_r0, r1 + row_off - t_r0, c0 + col_off - t_c0, c1 + col_off - t_c0)
    return PoissonSystem(slice(t_r0, t_r1), slice(t_c0, t_c1), inside, neighbours, rhs, f_star, box)


def _progress_printer(every: int = 25) -> Callable[[int, float], None]:
    def report(iteration: int, residual: float) -> None:
        if iteration % every == 0:
            print(f"\rpoisson_blend: iteration {iteration}, relative residual {residual:.2e}", end="", file=sys.stderr)

    return report


def poisson_blend(
    source: Any,
    target: Any,
    mask: Any,
    offset: tuple[int, int] = (0, 0),
    mixed: bool = False,
    rtol: float = 1e-5,
    max_iter: int = 5000,
    return_info: bool = False,
    progress: bool | Callable[[int, float], None] = False,
    preconditioner: str = "jacobi",
) -> Any:
    """Seamless cloning (Pérez, Gangnet & Blake, "Poisson Image Editing", SIGGRAPH 2003).

    The region ``mask != 0`` of ``source`` is pasted into ``target`` with the source's top-left corner at
    ``offset = (row, col)`` of the target. Inside Ω the result f solves Δf = div v with f = target on ∂Ω, where
    v = ∇source, or with ``mixed=True`` per neighbouring pixel pair and channel the larger in magnitude of
    ∇source and ∇target (so the target's texture shows through flat parts of the source). Pixels outside Ω are
    returned exactly unchanged; inside, values may leave [0, 1] a little (clip to display).

    ``source`` (H_s, W_s[, C]) and ``target`` (H, W[, C]): float images with the same channels, on one device;
    the result is like ``target`` (shape, dtype, array module; the source is used in the target's dtype).
    ``mask``: (H_s, W_s), bool or numbers.
    Ω must lie inside the target (else an error). Where Ω touches the target's border, N_p holds only the
    neighbours inside the image, as in the paper (there f has no boundary value and no gradient across the
    border); where the one-pixel ring around Ω leaves the source, the source's edge is repeated (no gradient).

    Solved by preconditioned conjugate gradient to ``rtol`` (relative residual ||b − A f|| / ||b||) in at most
    ``max_iter`` steps, every channel at once. ``preconditioner``: "jacobi" (divide by |N_p|: cheap steps, about
    as many as Ω is wide) or "dst" (a fast Poisson solve on Ω's bounding box by discrete sine transforms: a
    direct solver, one step, for a rectangular Ω off the image border; tens of costlier steps for other shapes;
    :meth:`PoissonSystem.dst`). ``return_info=True`` returns ``(result, SolveInfo)``; ``progress`` prints the
    residual every 25 steps to stderr (or is a ``callback(iteration, residual)``).
    """
    target = as_float_image(target, "target")
    source = as_float_image(source, "source")
    _same_device("source", source, "target", target)
    channels = 1 if target.ndim == 2 else target.shape[2]
    src_channels = 1 if source.ndim == 2 else source.shape[2]
    if src_channels != channels:
        raise ImageError(
            f"source: shape {tuple(source.shape)} has {src_channels} channel(s) (expected {channels}, as the "
            f"target {tuple(target.shape)})"
        )
    mask = _mask(mask, source)
    offset = _offset(offset)
    if not (isinstance(rtol, numbers.Real) and rtol > 0):
        raise ImageError(f"rtol: {rtol!r} (expected a number > 0)")
    if not isinstance(max_iter, numbers.Integral) or isinstance(max_iter, bool) or max_iter < 0:
        raise ImageError(f"max_iter: {max_iter!r} (expected an integer >= 0)")
    if preconditioner not in ("jacobi", "dst"):
        raise ImageError(f"preconditioner: {preconditioner!r} (expected 'jacobi' or 'dst')")
    target3 = target if target.ndim == 3 else target[:, :, None]
    source3 = (source if source.ndim == 3 else source[:, :, None]).astype(target.dtype, copy=False)
    system = poisson_system(source3, target3, mask, offset, bool(mixed))
    callback = progress if callable(progress) else _progress_printer() if progress else None
    # Start from the target's values inside Ω: the answer wherever the target's own gradients are the guidance.
    x0 = system.target * system.inside
    solution, info = conjugate_gradient(
        system.apply,
        system.rhs,
        x0,
        precondition=getattr(system, preconditioner),
        rtol=float(rtol),
        max_iter=int(max_iter),
        callback=callback,
    )
    if progress and not callable(progress):
        print(f"\rpoisson_blend: {info}", file=sys.stderr)
    if not info.converged:
        warnings.warn(f"poisson_blend: {info}; raise max_iter or rtol", RuntimeWarning, stacklevel=2)
    result = system.paste(target3, solution).reshape(target.shape)
    return (result, info) if return_info else result
