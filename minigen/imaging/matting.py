"""Alpha matting: pulling a soft-edged foreground out of a photograph, given a trimap or scribbles.

Closed-form matting (Levin, Lischinski & Weiss, "A closed-form solution to natural image matting", PAMI 2008).
In each small window w_k (the (2r+1) x (2r+1) pixels around pixel k, r the window radius) the colour-line model
says that alpha is an affine function of the colour, α_i ≈ a_k^T I_i + b_k. Eliminating a_k and b_k leaves a
quadratic form α^T L α in α alone, with the *matting Laplacian*

    L_ij = Σ_{k : i, j ∈ w_k} ( δ_ij - (1 + (I_i - μ_k)^T (Σ_k + ε/|w| Id)^-1 (I_j - μ_k)) / |w| )

(μ_k, Σ_k: mean colour and colour covariance in w_k; |w| = (2r+1)^2 pixels; ε keeps a_k small). The matte minimises
α^T L α + λ (α - α_known)^T D (α - α_known), D = 1 where the trimap is known: one sparse symmetric system
(L + λD) α = λ D α_known, solved by the shared preconditioned conjugate gradient (:mod:`minigen.imaging.solver`).

L is never assembled (pymatting's ``cf_laplacian`` stores 25 non-zeros per pixel). Write Δ_k = Σ_k + ε/|w| Id and
multiply out the sum over j for a vector p; window k contributes to (L p)_i

    Σ_{j ∈ w_k} L^(k)_ij p_j = p_i - pbar_k - (I_i - μ_k)^T Δ_k^-1 cov_k(I, p),
    pbar_k = mean_{j ∈ w_k} p_j,    cov_k(I, p) = mean_{j ∈ w_k} I_j p_j - μ_k pbar_k,

that is p_i minus the affine model fitted to p in w_k by ridge regression, evaluated at I_i:
a_k = Δ_k^-1 cov_k(I, p), b_k = pbar_k - a_k^T μ_k. Summed over the windows that hold pixel i,

    (L p)_i = n_i p_i - Σ_{k : i ∈ w_k} (a_k^T I_i + b_k) = n_i p_i - I_i^T A_i - B_i,

n_i the number of windows holding i (|w| away from the border), A = spread(a), B = spread(b). pbar_k and
mean I_j p_j are box sums (a "window sum" per window centre), and spread, the sum over the windows that hold a
pixel, is the adjoint box sum: L p costs a few box filters and a 3 x 3 product per pixel, O(pixels) (He, Sun & Tang,
"Fast matting using large kernel matting Laplacian matrices", CVPR 2010, use the same identity). diag(L) comes from
box sums of Δ_k^-1, Δ_k^-1 μ_k and μ_k^T Δ_k^-1 μ_k in the same way.

Windows lie wholly inside the image (Levin's and pymatting's convention), so a border pixel belongs to fewer of
them. A grey image (H, W) or (H, W, 1) is one channel: μ_k and Σ_k are scalars and the model is α ≈ a_k I + b_k.
Replicating it to RGB would give the same L with ε/3 (Σ_k = v 1 1^T has rank one), through 3 x 3 inverses of
nearly singular matrices; one channel is exact and 3 times cheaper.

Foreground colours: :func:`estimate_foreground` solves Levin et al.'s smoothness-regularised least squares for F and B.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from minigen import backend
from minigen.imaging.io import ImageError, as_float_image
from minigen.imaging.solver import SolveInfo, conjugate_gradient

__all__ = [
    "MattingInfo",
    "MattingLaplacian",
    "closed_form_alpha",
    "estimate_foreground",
    "matting_laplacian_apply",
    "matting_laplacian_diagonal",
]

_PRECONDITIONERS = ("jacobi",)
_DIRECT_BOX_RADIUS = 2  # box sums by 2r+1 shifted slices up to this radius (accurate in float32), cumulative sums above
_COARSEST_SIDE = 32  # coarse-to-fine halves the image while the coarser level keeps at least this many pixels a side


# --------------------------------------------------------------------------------------------------------------------
# Box filters on (..., H, W) arrays: sums over every (2r+1) x (2r+1) window inside the image, and their adjoint.


def _along(ndim: int, axis: int, start: int, stop: int) -> tuple[slice, ...]:
    """The index selecting start:stop along ``axis`` of an ``ndim``-dimensional array."""
    index = [slice(None)] * ndim
    index[axis] = slice(start, stop)
    return tuple(index)


def _window_sums_axis(x: Any, r: int, axis: int) -> Any:
    """Sums of 2r+1 consecutive entries along ``axis`` (length n -> n - 2r: the windows that fit)."""
    n, m = x.shape[axis], x.shape[axis] - 2 * r
    if r <= _DIRECT_BOX_RADIUS:  # 2r+1 shifted slices: each sum rounds 2r times, so float32 stays accurate
        out = x[_along(x.ndim, axis, 0, m)] + x[_along(x.ndim, axis, 1, 1 + m)]
        for offset in range(2, 2 * r + 1):
            out += x[_along(x.ndim, axis, offset, offset + m)]
        return out
    # integral image c_j = x_0 + ... + x_j: window sum = c_{j+2r} - c_{j-1}, O(1) per entry whatever r
    c = backend.get_array_module(x).cumsum(x, axis=axis)
    out = c[_along(x.ndim, axis, 2 * r, n)].copy()
    out[_along(x.ndim, axis, 1, m)] -= c[_along(x.ndim, axis, 0, m - 1)]
    return out


def _window_sums(x: Any, r: int) -> Any:
    """(..., H, W) -> (..., H - 2r, W - 2r): entry k sums x over the window w_k centred at pixel (k_y + r, k_x + r)."""
    return _window_sums_axis(_window_sums_axis(x, r, x.ndim - 2), r, x.ndim - 1)


def _spread_axis(y: Any, r: int, axis: int) -> Any:
    """Adjoint of :func:`_window_sums_axis` (length m -> m + 2r): entry i sums y over the windows holding i."""
    xp = backend.get_array_module(y)
    m = y.shape[axis]
    if r <= _DIRECT_BOX_RADIUS:
        shape = list(y.shape)
        shape[axis] = m + 2 * r
        out = xp.empty(tuple(shape), dtype=y.dtype)
        out[_along(y.ndim, axis, 0, m)] = y
        out[_along(y.ndim, axis, m, m + 2 * r)] = 0
        for offset in range(1, 2 * r + 1):
            out[_along(y.ndim, axis, offset, offset + m)] += y
        return out
    pad = [(0, 0)] * y.ndim
    pad[axis] = (2 * r, 2 * r)
    return _window_sums_axis(xp.pad(y, pad), r, axis)  # a full (zero-padded) box filter


def _spread(y: Any, r: int) -> Any:
    """(..., Hk, Wk) -> (..., Hk + 2r, Wk + 2r): entry i sums y_k over the windows w_k that hold pixel i."""
    return _spread_axis(_spread_axis(y, r, y.ndim - 2), r, y.ndim - 1)


def _inverse_symmetric(m: Any) -> Any:
    """Batched inverse of symmetric C x C matrices stored (C, C, ...), C = 1 or 3, by cofactors (no LAPACK call)."""
    if m.shape[0] == 1:
        return 1.0 / m
    xp = backend.get_array_module(m)
    a00, a01, a02, a11, a12, a22 = m[0, 0], m[0, 1], m[0, 2], m[1, 1], m[1, 2], m[2, 2]
    c00 = a11 * a22 - a12 * a12
    c01 = a02 * a12 - a01 * a22
    c02 = a01 * a12 - a02 * a11
    c11 = a00 * a22 - a02 * a02
    c12 = a01 * a02 - a00 * a12
    c22 = a00 * a11 - a01 * a01
    det = a00 * c00 + a01 * c01 + a02 * c02
    rows = ((c00, c01, c02), (c01, c11, c12), (c02, c12, c22))
    return xp.stack([xp.stack(row) for row in rows]) / det


# --------------------------------------------------------------------------------------------------------------------
# The matting Laplacian, matrix-free.


class MattingLaplacian:
    """The matting Laplacian L of an image (Levin, Lischinski & Weiss, PAMI 2008) as the function p -> L p.

    ``L(p)``: L p for an (H, W) array p, matrix-free in O(pixels); ``L.diagonal()``: diag(L), (H, W);
    ``L.window_fit(p)`` / ``L.affine_model(p)``: the per-window affine fit (a_k, b_k) inside the product.
    μ_k, Σ_k and Δ_k^-1 are computed once in float64 (ε/|w| ~ 1e-8 is below float32's resolution of a variance
    E[I I^T] - μ μ^T) and kept in the image's dtype.
    """

    def __init__(self, image: Any, eps: float = 1e-7, radius: int = 1) -> None:
        image = _check_image(image, "image")
        self._setup(_channels_first(image), _check_eps(eps), _check_radius(radius, image.shape))

    @classmethod
    def _from_colour(cls, colour: Any, eps: float, radius: int) -> MattingLaplacian:
        """From an already checked (C, H, W) array (the coarse-to-fine levels)."""
        laplacian = cls.__new__(cls)
        laplacian._setup(colour, eps, radius)
        return laplacian

    def _setup(self, colour: Any, eps: float, r: int) -> None:
        xp = backend.get_array_module(colour)
        self.dtype, self.shape, self.eps, self.radius = colour.dtype, tuple(colour.shape[1:]), eps, r
        self.window = window = (2 * r + 1) ** 2  # |w|
        channels = colour.shape[0]
        i64 = colour.astype(xp.float64)
        mu = _window_sums(i64, r) / window  # μ_k, (C, Hk, Wk)
        products = xp.stack([i64[c] * i64[d] for c in range(channels) for d in range(channels)])
        second = _window_sums(products, r).reshape((channels, channels) + mu.shape[1:]) / window
        delta = second - mu[:, None] * mu[None, :]  # Σ_k = E_k[I I^T] - μ_k μ_k^T, (C, C, Hk, Wk)
        for c in range(channels):
            delta[c, c] += eps / window  # Δ_k = Σ_k + ε/|w| Id
        delta_inv = _inverse_symmetric(delta)  # Δ_k^-1
        counts = _spread(xp.ones(mu.shape[1:], dtype=xp.float64), r)  # n_i, the windows holding pixel i
        # L_ii = Σ_k (1 - (1 + q_ik)/|w|), q_ik = (I_i - μ_k)^T Δ_k^-1 (I_i - μ_k)
        #      = n_i (1 - 1/|w|) - (I_i^T S2_i I_i - 2 I_i^T S1_i + S0_i) / |w|,
        # S2 = spread(Δ^-1), S1 = spread(Δ^-1 μ), S0 = spread(μ^T Δ^-1 μ): box sums again
        delta_inv_mu = (delta_inv * mu[None, :]).sum(axis=1)  # Δ_k^-1 μ_k, (C, Hk, Wk)
        s2 = _spread(delta_inv, r)
        s1 = _spread(delta_inv_mu, r)
        s0 = _spread((delta_inv_mu * mu).sum(axis=0), r)
        quadratic = (s2 * i64[:, None] * i64[None, :]).sum(axis=(0, 1)) - 2 * (s1 * i64).sum(axis=0) + s0
        self._colour = colour  # I, (C, H, W)
        self._mu = mu.astype(self.dtype)
        self._gain = (delta_inv / window).astype(self.dtype)  # Δ_k^-1 / |w|
        self._counts = counts.astype(self.dtype)
        self._diagonal = (counts * (1 - 1 / window) - quadratic / window).astype(self.dtype)

    def window_fit(self, p: Any) -> tuple[Any, Any]:
        """The affine model p_j ≈ a_k^T I_j + b_k fitted to p in every window w_k by ridge regression (ε):
        a_k = Δ_k^-1 cov_k(I, p), b_k = pbar_k - a_k^T μ_k, shapes (C, Hk, Wk) and (Hk, Wk)."""
        p = p.astype(self.dtype, copy=False)
        xp = backend.get_array_module(p)
        sums = _window_sums(xp.concatenate((p[None], p[None] * self._colour)), self.radius)
        p_sum, ip_sum = sums[0], sums[1:]  # |w| pbar_k, |w| mean_k(I p)
        cov = ip_sum - self._mu * p_sum  # |w| cov_k(I, p)
        a = xp.einsum("cdhw,dhw->chw", self._gain, cov)  # a_k = Δ_k^-1 cov_k(I, p)
        b = p_sum * (1 / self.window) - (a * self._mu).sum(axis=0)  # b_k = pbar_k - a_k^T μ_k
        return a, b

    def __call__(self, p: Any) -> Any:
        """L p for an (H, W) array p: n_i p_i - Σ_{k : i ∈ w_k} (a_k^T I_i + b_k), in O(pixels)."""
        xp = backend.get_array_module(p)
        a, b = self.window_fit(p)
        spread = _spread(xp.concatenate((a, b[None])), self.radius)  # A_i, B_i: sums over the windows holding i
        model = xp.einsum("chw,chw->hw", spread[:-1], self._colour) + spread[-1]  # I_i^T A_i + B_i
        return self._counts * p.astype(self.dtype, copy=False) - model

    def affine_model(self, p: Any) -> tuple[Any, Any]:
        """Per pixel, the window fits averaged over the windows holding it, (A_i / n_i, B_i / n_i): (C, H, W), (H, W).
        (A_i^T I_i + B_i) / n_i is p through He, Sun & Tang's guided filter (ECCV 2010) with regulariser ε."""
        xp = backend.get_array_module(p)
        a, b = self.window_fit(p)
        spread = _spread(xp.concatenate((a, b[None])), self.radius) / self._counts
        return spread[:-1], spread[-1]

    def diagonal(self) -> Any:
        """diag(L), an (H, W) array."""
        return self._diagonal


def matting_laplacian_apply(image: Any, eps: float = 1e-7, radius: int = 1) -> MattingLaplacian:
    """The function p -> L p for the matting Laplacian L of ``image`` (Levin et al., PAMI 2008), matrix-free.

    ``image``: (H, W) grey or (H, W, 3) RGB float array; ``eps``: the regulariser ε; ``radius``: the window radius r
    (windows of (2r+1)^2 pixels). p and L p are (H, W) arrays. See :class:`MattingLaplacian`.
    """
    return MattingLaplacian(image, eps, radius)


def matting_laplacian_diagonal(image: Any, eps: float = 1e-7, radius: int = 1) -> Any:
    """diag(L) of the matting Laplacian of ``image`` as an (H, W) array, from box sums (Levin et al., PAMI 2008)."""
    return MattingLaplacian(image, eps, radius).diagonal()


# --------------------------------------------------------------------------------------------------------------------
# Closed-form alpha.


@dataclass
class MattingInfo(SolveInfo):
    """:class:`SolveInfo` of the finest level, plus the iterations of every level, coarsest first."""

    level_iterations: tuple[int, ...] = ()
    level_shapes: tuple[tuple[int, int], ...] = ()

    def __str__(self) -> str:
        text = super().__str__()
        if len(self.level_iterations) > 1:
            levels = ", ".join(f"{h}x{w}: {n}" for (h, w), n in zip(self.level_shapes, self.level_iterations))
            text += f"; iterations per level, coarsest first: {levels}"
        return text


def closed_form_alpha(
    image: Any,
    trimap: Any,
    eps: float = 1e-7,
    radius: int = 1,
    lambda_: float = 100.0,
    rtol: float = 1e-6,
    max_iter: int = 2000,
    preconditioner: str | None = "jacobi",
    coarse_to_fine: bool | int = True,
    return_info: bool = False,
    progress: bool = False,
) -> Any:
    """Alpha matte of ``image`` given ``trimap``: closed-form matting (Levin, Lischinski & Weiss, PAMI 2008).

    Solves (L + λD) α = λ D α_known by preconditioned conjugate gradient, L the matting Laplacian applied matrix-free
    (:class:`MattingLaplacian`), D = 1 where the trimap is 0 (background) or 1 (foreground), α_known the trimap.
    ``image``: (H, W) grey or (H, W, 3) float in [0, 1]; ``trimap``: (H, W), float in [0, 1] or uint8 (0/255):
    0 background, 1 (255) foreground, anything between unknown (scribbles: unknown everywhere else).
    ``eps`` ε, ``radius`` r (windows of (2r+1)^2 pixels), ``lambda_`` λ: the paper's parameters.
    ``rtol``, ``max_iter``: each level's CG stops at ||b - A α|| <= rtol ||b|| (coarser levels: 10 rtol, as they
    only give a start) or after max_iter steps. ``preconditioner``: "jacobi" (divide by diag(L + λD)) or None.
    ``coarse_to_fine``: solve on a 2x-downsampled image and trimap first, recursively, and start each finer level
    from the coarse matte's colour-line model a^T I + b evaluated on the finer image; True halves while the coarser
    image keeps >= 32 pixels a side, an int is the number of coarser levels (0 = off).
    Returns α, same array module and float dtype as ``image``, equal to the trimap where it is known; with
    ``return_info`` also a :class:`MattingInfo` (iterations and residual of the finest level, iterations per level).
    ``progress``: print one line per level on stderr.
    """
    image = _check_image(image, "image")
    xp = backend.get_array_module(image)
    dtype = image.dtype
    eps = _check_eps(eps)
    radius = _check_radius(radius, image.shape)
    if isinstance(lambda_, bool) or not isinstance(lambda_, int | float) or not (0 < lambda_ < math.inf):
        raise ImageError(f"lambda_: {lambda_!r} (expected a finite number > 0)")
    _check_solver(rtol, max_iter)
    if preconditioner is not None and preconditioner not in _PRECONDITIONERS:
        raise ImageError(f"preconditioner: {preconditioner!r} (expected one of {', '.join(_PRECONDITIONERS)} or None)")
    if isinstance(coarse_to_fine, bool):
        levels = None if coarse_to_fine else 0
    elif isinstance(coarse_to_fine, int) and coarse_to_fine >= 0:
        levels = coarse_to_fine
    else:
        raise ImageError(f"coarse_to_fine: {coarse_to_fine!r} (expected True, False or an int >= 0)")
    known, foreground = _split_trimap(trimap, image)

    pyramid = [(_channels_first(image), known, foreground)]  # finest first
    while levels is None or len(pyramid) <= levels:
        colour = pyramid[-1][0]
        coarse_side = min((colour.shape[1] + 1) // 2, (colour.shape[2] + 1) // 2)
        if coarse_side < (_COARSEST_SIDE if levels is None else 2 * radius + 1):
            break
        coarse = _downsample_level(*pyramid[-1])
        if not (bool(coarse[2].any()) and bool((coarse[1] & ~coarse[2]).any())):
            break  # the coarser trimap lost all its foreground or background: nothing to start from
        pyramid.append(coarse)

    x = laplacian = None
    level_iterations, level_shapes = [], []
    for depth in range(len(pyramid) - 1, -1, -1):  # coarsest first
        colour, known_l, foreground_l = pyramid[depth]
        shape = tuple(colour.shape[1:])
        alpha_known = foreground_l.astype(dtype)  # α_known (0 where unknown)
        if laplacian is None:
            x0 = xp.where(known_l, alpha_known, 0.5).astype(dtype)  # unknown pixels start at 1/2
        else:  # the coarse matte's affine model (a, b) per pixel, upsampled, evaluated on this level's colours
            slope, offset = laplacian.affine_model(x)
            x0 = (_upsample(slope, shape) * colour).sum(axis=0) + _upsample(offset, shape)
            x0 = xp.where(known_l, alpha_known, xp.clip(x0, 0, 1))
        laplacian = MattingLaplacian._from_colour(colour, eps, radius)
        x, info = _solve_level(
            laplacian, known_l.astype(dtype), alpha_known, x0, lambda_, preconditioner,
            rtol if depth == 0 else min(10 * rtol, 0.5), max_iter,
        )  # fmt: skip
        level_iterations.append(info.iterations)
        level_shapes.append(shape)
        if progress:
            print(f"closed_form_alpha: level {shape[0]}x{shape[1]}: {info}", file=sys.stderr)

    alpha = xp.where(known, foreground.astype(dtype), xp.clip(x, 0, 1))  # exactly the trimap where it is known
    if return_info:
        return alpha, MattingInfo(
            info.iterations, info.residual, info.converged, tuple(level_iterations), tuple(level_shapes)
        )
    return alpha


def _solve_level(
    laplacian: MattingLaplacian,
    known: Any,
    alpha_known: Any,
    x0: Any,
    lambda_: float,
    preconditioner: str | None,
    rtol: float,
    max_iter: int,
) -> tuple[Any, SolveInfo]:
    """(L + λD) α = λ D α_known by the shared PCG; ``known`` is D as 0/1 floats."""
    xp = backend.get_array_module(known)
    weight = lambda_ * known  # λD

    def apply_a(p: Any) -> Any:
        return laplacian(p) + weight * p  # (L + λD) p, matrix-free

    precondition = None
    if preconditioner == "jacobi":  # M = diag(L + λD); a floor keeps M^-1 finite where L_ii ~ 0
        inverse_diagonal = 1 / xp.maximum(laplacian.diagonal() + weight, 1e-6)

        def precondition(r: Any) -> Any:
            return r * inverse_diagonal

    b = lambda_ * alpha_known  # λ D α_known (α_known is 0 where unknown)
    return conjugate_gradient(apply_a, b, x0, precondition=precondition, rtol=rtol, max_iter=max_iter)


def _downsample_level(colour: Any, known: Any, foreground: Any) -> tuple[Any, Any, Any]:
    """The next coarser level: 2x2 means of the colours; a coarse pixel is known foreground (background) when its
    four children are, else unknown (odd sizes: the last row/column is repeated)."""
    xp = backend.get_array_module(colour)
    h, w = colour.shape[1:]
    pad = ((0, h % 2), (0, w % 2))
    colour = xp.pad(colour, ((0, 0),) + pad, mode="edge")
    known = xp.pad(known, pad, mode="edge")
    foreground = xp.pad(foreground, pad, mode="edge")
    background = known & ~foreground

    def blocks(x: Any) -> Any:
        return x.reshape(x.shape[:-2] + (x.shape[-2] // 2, 2, x.shape[-1] // 2, 2))

    coarse = blocks(colour).mean(axis=(-3, -1))
    fg = blocks(foreground).all(axis=(-3, -1))
    bg = blocks(background).all(axis=(-3, -1))
    return coarse, fg | bg, fg


def _upsample_axis(x: Any, n: int, axis: int) -> Any:
    """Bilinear 2x upsampling along ``axis`` (pixel centres: fine i sits at coarse i/2 - 1/4), cropped to n."""
    xp = backend.get_array_module(x)
    m = x.shape[axis]

    def take(start: int, stop: int) -> Any:
        index = [slice(None)] * x.ndim
        index[axis] = slice(start, stop)
        return x[tuple(index)]

    previous = xp.concatenate((take(0, 1), take(0, m - 1)), axis=axis)  # x_{j-1}, edge repeated
    following = xp.concatenate((take(1, m), take(m - 1, m)), axis=axis)  # x_{j+1}
    even = 0.75 * x + 0.25 * previous
    odd = 0.75 * x + 0.25 * following
    out = xp.stack((even, odd), axis=axis + 1)
    shape = list(x.shape)
    shape[axis] = 2 * m
    out = out.reshape(tuple(shape))
    index = [slice(None)] * x.ndim
    index[axis] = slice(0, n)
    return out[tuple(index)]


def _upsample(x: Any, shape: tuple[int, int]) -> Any:
    """(..., h, w) -> (..., H, W), ``shape`` = (H, W) = (2h or 2h - 1, 2w or 2w - 1), by bilinear interpolation."""
    return _upsample_axis(_upsample_axis(x, shape[0], x.ndim - 2), shape[1], x.ndim - 1)


# --------------------------------------------------------------------------------------------------------------------
# Foreground and background colours.


def estimate_foreground(
    image: Any,
    alpha: Any,
    regularization: float = 1e-5,
    rtol: float = 1e-5,
    max_iter: int = 2000,
    return_info: bool = False,
) -> Any:
    """Foreground F and background B colours with I = αF + (1-α)B: Levin, Lischinski & Weiss (PAMI 2008), Sec. 7.

    Minimises, per channel, Σ_i (α_i F_i + (1-α_i) B_i - I_i)^2 + Σ_edges (|∇α| + regularization)(|∇F|^2 + |∇B|^2)
    over horizontal and vertical neighbours, by conjugate gradient (matrix-free, 2x2 block-Jacobi preconditioned),
    starting from F = B = I. ``image`` (H, W) or (H, W, 3), ``alpha`` (H, W) in [0, 1]. Returns ``(F, B)`` clipped
    to [0, 1], same shape, array module and dtype as ``image``; with ``return_info`` also the :class:`SolveInfo`.
    """
    image = _check_image(image, "image")
    xp = backend.get_array_module(image)
    dtype = image.dtype
    alpha = _check_alpha(alpha, image)
    if not (isinstance(regularization, int | float) and 0 < regularization and math.isfinite(regularization)):
        raise ImageError(f"regularization: {regularization!r} (expected a finite number > 0)")
    _check_solver(rtol, max_iter)
    colour = _channels_first(image)  # (C, H, W)
    # edge weights: w = |α_j - α_i| + regularization between horizontal / vertical neighbours i, j
    weight_x = xp.abs(alpha[:, 1:] - alpha[:, :-1]) + regularization
    weight_y = xp.abs(alpha[1:] - alpha[:-1]) + regularization
    beta = 1 - alpha

    def smooth(u: Any) -> Any:
        """G^T W G u: the weighted graph Laplacian of u (..., H, W), along x and y."""
        out = xp.zeros_like(u)
        flux_x = weight_x * (u[..., :, 1:] - u[..., :, :-1])
        out[..., :, 1:] += flux_x
        out[..., :, :-1] -= flux_x
        flux_y = weight_y * (u[..., 1:, :] - u[..., :-1, :])
        out[..., 1:, :] += flux_y
        out[..., :-1, :] -= flux_y
        return out

    def apply_a(fb: Any) -> Any:
        """The normal equations on x = (F, B), shape (2, C, H, W): (U^T U + G^T W G) x, U x = αF + (1-α)B."""
        composite = alpha * fb[0] + beta * fb[1]
        return xp.stack((alpha * composite, beta * composite)) + smooth(fb)

    # 2x2 block Jacobi: per pixel [[α² + s, αβ], [αβ, β² + s]]^-1, s the sum of the weights of i's edges
    s = xp.zeros_like(alpha)
    s[:, 1:] += weight_x
    s[:, :-1] += weight_x
    s[1:] += weight_y
    s[:-1] += weight_y
    p00, p01, p11 = alpha * alpha + s, alpha * beta, beta * beta + s
    det = p00 * p11 - p01 * p01

    def precondition(r: Any) -> Any:
        return xp.stack(((p11 * r[0] - p01 * r[1]) / det, (p00 * r[1] - p01 * r[0]) / det))

    b = xp.stack((alpha * colour, beta * colour))
    x0 = xp.stack((colour, colour))
    fb, info = conjugate_gradient(apply_a, b, x0, precondition=precondition, rtol=rtol, max_iter=max_iter)
    fb = xp.clip(fb, 0, 1).astype(dtype, copy=False)
    foreground, background = _channels_last(fb[0], image.ndim), _channels_last(fb[1], image.ndim)
    return (foreground, background, info) if return_info else (foreground, background)


# --------------------------------------------------------------------------------------------------------------------
# Checks and layout.


def _check_image(image: Any, name: str) -> Any:
    image = as_float_image(image, name, channels=(1, 3))
    xp = backend.get_array_module(image)
    if not bool(xp.isfinite(image).all()):
        raise ImageError(f"{name}: contains NaN or infinity (expected finite values in [0, 1])")
    return image


def _check_eps(eps: Any) -> float:
    if isinstance(eps, bool) or not isinstance(eps, int | float) or not (eps > 0 and math.isfinite(eps)):
        raise ImageError(f"eps: {eps!r} (expected a finite number > 0)")
    return float(eps)


def _check_radius(radius: Any, shape: tuple[int, ...]) -> int:
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 1:
        raise ImageError(f"radius: {radius!r} (expected an int >= 1)")
    if min(shape[:2]) < 2 * radius + 1:
        raise ImageError(
            f"image: shape {tuple(shape)} is smaller than one {2 * radius + 1}x{2 * radius + 1} window "
            f"(expected at least {2 * radius + 1} pixels a side for radius {radius})"
        )
    return radius


def _check_solver(rtol: Any, max_iter: Any) -> None:
    if isinstance(rtol, bool) or not isinstance(rtol, int | float) or not 0 < rtol < 1:
        raise ImageError(f"rtol: {rtol!r} (expected a number in (0, 1))")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ImageError(f"max_iter: {max_iter!r} (expected an int >= 1)")


def _same_device(array: Any, image: Any, name: str) -> None:
    there, here = backend.device_of(array), backend.device_of(image)
    if there is None:
        raise ImageError(f"{name}: expected an array (H, W), got {type(array).__name__}")
    if there is not here:
        raise ImageError(f"{name}: on device {there.name!r} but image on {here.name!r} (expected the same device)")


def _split_trimap(trimap: Any, image: Any) -> tuple[Any, Any]:
    """(known, foreground) boolean (H, W) masks of a trimap: 0 background, 1 (uint8: 255) foreground, else unknown."""
    _same_device(trimap, image, "trimap")
    shape = tuple(trimap.shape)
    if shape != tuple(image.shape[:2]):
        raise ImageError(f"trimap: shape {shape} (expected the image's height and width {tuple(image.shape[:2])})")
    kind = trimap.dtype.kind
    if kind == "u" and trimap.dtype.itemsize == 1:
        top = 255
    elif kind == "f":
        top = 1
        low, high = float(trimap.min()), float(trimap.max())
        if not (low >= 0 and high <= 1):  # also catches NaN
            raise ImageError(f"trimap: values in [{low}, {high}] (expected floats in [0, 1] or uint8 0/255)")
    else:
        raise ImageError(f"trimap: dtype {trimap.dtype} (expected float in [0, 1] or uint8 with 0/255)")
    foreground = trimap == top
    known = foreground | (trimap == 0)
    if not bool(foreground.any()):
        raise ImageError(f"trimap: no known foreground pixel (expected at least one pixel equal to {top})")
    if not bool((known & ~foreground).any()):
        raise ImageError("trimap: no known background pixel (expected at least one pixel equal to 0)")
    return known, foreground


def _check_alpha(alpha: Any, image: Any) -> Any:
    _same_device(alpha, image, "alpha")
    shape = tuple(alpha.shape)
    if shape != tuple(image.shape[:2]):
        raise ImageError(f"alpha: shape {shape} (expected the image's height and width {tuple(image.shape[:2])})")
    if alpha.dtype.kind != "f":
        raise ImageError(f"alpha: dtype {alpha.dtype} (expected float in [0, 1])")
    low, high = float(alpha.min()), float(alpha.max())
    if not (low >= 0 and high <= 1):
        raise ImageError(f"alpha: values in [{low}, {high}] (expected [0, 1])")
    return alpha.astype(image.dtype, copy=False)


def _channels_first(image: Any) -> Any:
    """(H, W) -> (1, H, W); (H, W, C) -> (C, H, W), contiguous."""
    xp = backend.get_array_module(image)
    if image.ndim == 2:
        return image[None]
    return xp.ascontiguousarray(xp.moveaxis(image, -1, 0))


def _channels_last(colour: Any, ndim: int = 3) -> Any:
    """(C, H, W) -> (H, W, C), or (H, W) when ``ndim`` is 2."""
    xp = backend.get_array_module(colour)
    if ndim == 2:
        return colour[0]
    return xp.ascontiguousarray(xp.moveaxis(colour, 0, -1))
