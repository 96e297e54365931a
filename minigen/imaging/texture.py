"""Image quilting and texture transfer (Efros & Freeman, "Image Quilting for Texture Synthesis and Transfer", 2001).

A new texture is sewn from square blocks of an example image, placed in raster order. Each new block overlaps the
blocks already placed by ``overlap`` pixels (on its left, its top, or both: an L) and is chosen at random among the
source blocks that agree best with what is already there; then a seam of least disagreement is cut through the
overlap, so that no straight block edge shows.

The pieces, each usable on its own (and shown in the lesson):

* :func:`overlap_errors`: the SSD between one template and **every** source block, all at once, via the FFT;
* :func:`min_error_cut`: the minimum-error boundary cut through an overlap, by dynamic programming;
* :func:`quilt`: a texture of any size; :func:`texture_transfer`: a target image redrawn in a source's texture.

The paper's symbols: B the block side (``patch``), the overlap width (``overlap``), e_ij the squared difference of
the two blocks at a pixel of the overlap, E_ij the cumulative minimum error of the cut, the tolerance (0.1 in the
paper), and alpha the weight of texture agreement against target correspondence in transfer.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy  # only for host random generators: which block to take is decided on the host

from minigen import backend
from minigen.imaging.io import ImageError, as_float_image, check_size, is_int
from minigen.random import generator_from

__all__ = ["luminance", "min_error_cut", "overlap_errors", "quilt", "texture_transfer"]

MAX_DEFAULT_PATCH = 48  # the default block side is a quarter of the source's shorter side, at most this
TRANSFER_BLOCKS = 16  # texture transfer's default first block side: at most the target's shorter side / this
MIN_TRANSFER_PATCH = 12  # ... and at least this


# --------------------------------------------------------------------------------------------- the pieces
class _Correlator:
    """The Fourier transforms of one source image, made once, so that the errors of every candidate block
    against a template cost a few FFTs of the source's size (see :func:`overlap_errors`)."""

    def __init__(self, source: Any) -> None:  # source: (Hs, Ws, C)
        xp = self.xp = backend.get_array_module(source)
        self.shape = tuple(source.shape[:2])
        # SSD does not change when template and source are shifted by the same amount: removing the source's
        # mean makes the numbers smaller, so the FFT's rounding (relative to their size) is smaller too.
        self.mean = source.mean(axis=(0, 1))
        centred = source - self.mean
        self.source_spectra = xp.fft.rfft2(centred, axes=(0, 1))  # F(S_c), one per channel
        self.energy_spectrum = xp.fft.rfft2((centred * centred).sum(axis=2))  # F(sum_c S_c^2)

    def errors(self, *terms: tuple[Any, Any]) -> Any:
        """E[y, x] = sum_k sum_ij M_ij sum_c (T_ijc - S_(y+i)(x+j)c)^2 for every block position (y, x) of the source,
        summed over the ``terms`` (T, M): (h, w, C) templates T and their (h, w) masks M, all of one shape."""
        xp, shape = self.xp, self.shape
        patch_h, patch_w = terms[0][1].shape
        # The SSD expanded: sum M T^2 - 2 corr(S, M T) + corr(sum_c S_c^2, M), linear in M T and in M, so the
        # terms add up before any transform: one FFT of their summed M T, one of their summed M, one inverse.
        constant, weighted, masks = 0.0, 0.0, 0.0
        for template, mask in terms:
            template = template - self.mean
            mask = mask.astype(template.dtype)[:, :, None]
            constant = constant + (mask * template * template).sum()  # sum M T^2
            weighted = weighted + mask * template  # M T
            masks = masks + mask[:, :, 0]  # M
        # A correlation is a product of spectra, one conjugated: corr(S, K)[y, x] = sum_ij K_ij S_(y+i)(x+j)
        # = irfft2(F(S) conj(F(K))), K zero-padded to the source's size. It wraps around the edges, but not
        # for the positions that keep the block inside the source, which are the only ones kept.
        spectrum = self.energy_spectrum * xp.conj(xp.fft.rfft2(masks, s=shape))
        spectrum -= 2 * (self.source_spectra * xp.conj(xp.fft.rfft2(weighted, s=shape, axes=(0, 1)))).sum(axis=2)
        correlation = xp.fft.irfft2(spectrum, s=shape)[: shape[0] - patch_h + 1, : shape[1] - patch_w + 1]
        return xp.maximum(constant + correlation, 0)  # rounding can dip just below 0


def overlap_errors(source: Any, template: Any, mask: Any) -> Any:
    """The masked SSD between ``template`` and every block of ``source`` (Efros & Freeman 2001's overlap error).

    ``source`` (Hs, Ws) or (Hs, Ws, C), ``template`` the same channels and block shape (h, w), ``mask`` (h, w)
    weights (1 on the overlap, 0 elsewhere). Returns E of shape (Hs - h + 1, Ws - w + 1) with
    E[y, x] = sum_ij mask_ij ||template_ij - source_(y+i, x+j)||^2, computed for all (y, x) at once by the expansion
    sum M T^2 - 2 corr(S, M T) + corr(sum_c S_c^2, M), whose correlations are products of FFTs.
    """
    source = _channels_last(as_float_image(source, "source"))
    template = _channels_last(as_float_image(template, "template"))
    if template.shape[2] != source.shape[2] or tuple(mask.shape) != tuple(template.shape[:2]):
        raise ValueError(
            f"overlap_errors: template {tuple(template.shape)} and mask {tuple(mask.shape)} do not fit source "
            f"{tuple(source.shape)} (expected template (h, w, C) with the source's C, and mask (h, w))"
        )
    if template.shape[0] > source.shape[0] or template.shape[1] > source.shape[1]:
        raise ValueError(f"overlap_errors: template {tuple(template.shape)} is larger than source {source.shape}")
    return _Correlator(source).errors((template.astype(source.dtype), mask))


def min_error_cut(errors: Any) -> Any:
    """The minimum-error boundary cut through a vertical overlap (Efros & Freeman 2001, section 2.1).

    ``errors`` e of shape (n, w): the squared difference of the two blocks at each pixel of the overlap. Returns
    ``path`` of shape (n,): the column of the seam in each row, the path from top to bottom, moving at most one
    column per row, whose summed e is least. Dynamic programming: E_0j = e_0j and
    E_ij = e_ij + min(E_(i-1)(j-1), E_(i-1)j, E_(i-1)(j+1)); the seam ends at the least E in the last row and is
    traced back upwards. For a horizontal overlap, pass ``errors.T``.
    """
    xp = backend.get_array_module(errors)
    n, width = errors.shape
    wall = xp.full(1, xp.inf, dtype=errors.dtype)  # no step out of the overlap
    cost = errors[0]  # E_0j
    moves = []  # moves[i - 1][j]: from which neighbour of row i - 1 the best path reaches (i, j): 0, 1, 2 = j-1, j, j+1
    for i in range(1, n):  # a loop down the overlap, each row vectorised across its width
        padded = xp.concatenate([wall, cost, wall])
        neighbours = xp.stack([padded[:-2], padded[1:-1], padded[2:]])  # E_(i-1)(j-1), E_(i-1)j, E_(i-1)(j+1)
        moves.append(xp.argmin(neighbours, axis=0))
        cost = errors[i] + neighbours.min(axis=0)  # E_ij
    column = xp.argmin(cost)  # the end of the cheapest seam, in the last row
    path = [column]
    for move in reversed(moves):  # trace back: one step up per row
        column = column + move[column] - 1
        path.append(column)
    return xp.stack(path[::-1])


def luminance(image: Any) -> Any:
    """The luma Y = 0.299 R + 0.587 G + 0.114 B of an (H, W, 3 or 4) image, (H, W); a grey image as it is."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[:, :, 0]
    return 0.299 * image[:, :, 0] + 0.587 * image[:, :, 1] + 0.114 * image[:, :, 2]


# ------------------------------------------------------------------------------------------ quilting
def quilt(
    source: Any,
    size: int | tuple[int, int],
    patch: int | None = None,
    overlap: int | None = None,
    tolerance: float = 0.1,
    rng: Any = None,
    progress: bool = False,
) -> Any:
    """A new texture of ``size`` = (H, W) sewn from blocks of ``source`` by image quilting (Efros & Freeman 2001).

    Blocks of side ``patch`` (B; default a quarter of the source's shorter side, at most 48) overlap by ``overlap``
    pixels (default B // 6, at least 1) and are placed in raster order; each is drawn at random among the source
    blocks whose overlap error is at most (1 + ``tolerance``) times the least, then joined along the minimum-error
    boundary cut. Blocks at the right and bottom edges are cropped, so any size works. ``rng``: None (minigen's host
    generator, seeded by ``minigen.manual_seed``), an int seed or a ``numpy.random.Generator``. Returns an image
    with the source's channels, array module and float dtype; ``progress`` shows a bar over the blocks.
    """
    source = as_float_image(source, "source")
    height, width = check_size(size, "quilt: size")
    patch, overlap = _check_blocks(source, patch, overlap)
    tolerance, rng = _check_tolerance(tolerance), generator_from(rng)
    image = _channels_last(source)
    texture = _Correlator(image)

    def overlap_error(template: Any, mask: Any, y: int, x: int) -> Any:
        return texture.errors((template, mask))

    result = _quilt_pass(image, (height, width), patch, overlap, tolerance, rng, progress, overlap_error)
    return result.reshape((height, width) + tuple(source.shape[2:]))


def _quilt_pass(
    source: Any,
    shape: tuple[int, int],
    patch: int,
    overlap: int,
    tolerance: float,
    rng: numpy.random.Generator,
    progress: bool | str,
    block_errors: Any,
) -> Any:
    """One raster-order pass of quilting on (H, W, C) arrays: the canvas of ``shape`` filled block by block.

    ``block_errors(template, mask, y, x)`` gives the error of every candidate block for the block at (y, x):
    ``template`` (B, B, C) holds what the canvas has there, ``mask`` (B, B) is 1 on the overlap with it."""
    from tqdm.auto import tqdm

    xp = backend.get_array_module(source)
    height, width = shape
    canvas = xp.zeros((height, width, source.shape[2]), dtype=source.dtype)
    rows, columns = _block_starts(height, patch, overlap), _block_starts(width, patch, overlap)
    description = progress if isinstance(progress, str) else "quilting"
    with tqdm(total=len(rows) * len(columns), desc=description, unit="block", disable=not progress) as bar:
        for y in rows:
            for x in columns:
                h, w = min(patch, height - y), min(patch, width - x)  # the last blocks are cropped
                old = canvas[y : y + h, x : x + w]
                mask = xp.zeros((patch, patch), dtype=source.dtype)
                if x > 0:
                    mask[:h, :overlap] = 1  # the left overlap
                if y > 0:
                    mask[:overlap, :w] = 1  # the top overlap (both: the L-shaped one)
                errors = block_errors(_padded(old, patch), mask, y, x)
                top, left = _choose(errors, tolerance, rng, compared=patch * patch * source.shape[2])
                block = source[top : top + h, left : left + w]
                new = _seam_mask(block, old, overlap, x > 0, y > 0)
                canvas[y : y + h, x : x + w] = xp.where(new[:, :, None], block, old)
                bar.update(1)
    return canvas


def _padded(part: Any, patch: int) -> Any:
    """An (h, w, C) piece of a cropped block, zero-padded to (B, B, C)."""
    xp = backend.get_array_module(part)
    block = xp.zeros((patch, patch, part.shape[2]), dtype=part.dtype)
    block[: part.shape[0], : part.shape[1]] = part
    return block


def _block_starts(length: int, patch: int, overlap: int) -> list[int]:
    """Where blocks start along one side: every B - overlap pixels, as long as a block still adds new pixels."""
    return list(range(0, max(length - overlap, 1), patch - overlap))


def _choose(errors: Any, tolerance: float, rng: numpy.random.Generator, compared: int) -> tuple[int, int]:
    """A random candidate (top, left) among those whose error is within (1 + tolerance) of the least.

    The FFT leaves errors off by about the dtype's epsilon times the number of values ``compared`` (at most
    B x B x C): errors that close are counted as equal, so when the least is 0 (an exact match) every exact match
    is a candidate, and with no overlap at all (the first block) every block is.
    """
    xp = backend.get_array_module(errors)
    best = float(errors.min())
    rounding = 4 * float(xp.finfo(errors.dtype).eps) * compared
    candidates = xp.flatnonzero(errors <= (1 + tolerance) * best + rounding)
    chosen = int(candidates[int(rng.integers(candidates.size))])  # the one host transfer per block
    return divmod(chosen, errors.shape[1])


def _seam_mask(block: Any, old: Any, overlap: int, left: bool, top: bool) -> Any:
    """(h, w) booleans: True where the new block shows, False where the canvas keeps what it had.

    The vertical cut runs down the left overlap, the horizontal one along the top overlap; in the L-shaped case a
    pixel shows the new block only when it lies beyond both cuts, as in the paper."""
    xp = backend.get_array_module(block)
    h, w = block.shape[:2]
    new = xp.ones((h, w), dtype=bool)
    difference = ((block - old) ** 2).sum(axis=2)  # e_ij
    if left:
        path = min_error_cut(difference[:, :overlap])  # one column per row
        new[:, :overlap] &= xp.arange(overlap)[None, :] >= path[:, None]
    if top:
        path = min_error_cut(difference[:overlap, :].T)  # one row per column
        new[:overlap, :] &= xp.arange(overlap)[:, None] >= path[None, :]
    return new


# ------------------------------------------------------------------------------------------ transfer
def texture_transfer(
    source: Any,
    target: Any,
    patch: int | None = None,
    overlap: int | None = None,
    tolerance: float = 0.1,
    alpha: float | None = None,
    iterations: int = 3,
    rng: Any = None,
    progress: bool = False,
) -> Any:
    """``target`` redrawn with blocks of the texture ``source``: Efros & Freeman 2001's texture transfer.

    Quilting at the target's size where a block's error is alpha (its overlap error) + (1 - alpha) (the SSD between
    its luminance and the target's there), in ``iterations`` N passes: the block side shrinks by a third each pass
    (from ``patch``; default as :func:`quilt` but at most the target's shorter side / 16, the overlap alike) and
    alpha_i = 0.8 (i - 1) / (N - 1) + 0.1 rises from 0.1 to 0.9, unless ``alpha`` fixes it. From the second pass on,
    the overlap error also counts the SSD with the previous pass's result over the whole block. Luminance is
    0.299 R + 0.587 G + 0.114 B, so a grey source can render a colour target. Returns an image of the target's
    (H, W) with the source's channels, array module and dtype; ``tolerance``, ``rng``, ``progress`` as in quilt.
    """
    source = as_float_image(source, "source")
    target = as_float_image(target, "target")
    if backend.device_of(target) is not backend.device_of(source):
        raise ImageError(
            f"target: on device {backend.device_of(target).name!r} "
            f"(expected the source's device {backend.device_of(source).name!r})"
        )
    if patch is None:  # blocks small enough to follow the target's shapes: 1/16 of its shorter side, but at least
        # MIN_TRANSFER_PATCH, below which the later, smaller passes' overlaps are a pixel and their cuts do nothing
        patch = max(MIN_TRANSFER_PATCH, min(_default_patch(source), min(target.shape[:2]) // TRANSFER_BLOCKS))
        patch = min(patch, *source.shape[:2])
    patch, overlap = _check_blocks(source, patch, overlap)
    tolerance, rng = _check_tolerance(tolerance), generator_from(rng)
    if isinstance(iterations, bool) or not isinstance(iterations, numbers.Integral) or iterations < 1:
        raise ValueError(f"texture_transfer: iterations {iterations!r} (expected an int >= 1)")
    if alpha is not None and (not isinstance(alpha, numbers.Real) or not 0 <= alpha <= 1):
        raise ValueError(f"texture_transfer: alpha {alpha!r} (expected None for the paper's schedule, or 0..1)")

    image = _channels_last(source)
    height, width = target.shape[:2]
    source_luminance = _channels_last(luminance(image))
    target_luminance = _channels_last(luminance(target).astype(source.dtype))
    texture, correspondence = _Correlator(image), _Correlator(source_luminance)
    previous = None
    for i in range(1, iterations + 1):
        # B_i: each pass's blocks are a third smaller (rounded, at least 2 pixels); the overlap shrinks alike.
        patch_i = max(2, round(patch * (2 / 3) ** (i - 1)))
        overlap_i = min(patch_i - 1, max(1, round(overlap * patch_i / patch)))
        alpha_i = alpha if alpha is not None else 0.8 * (i - 1) / max(iterations - 1, 1) + 0.1

        def block_errors(template, mask, y, x, patch_i=patch_i, alpha_i=alpha_i, previous=previous):
            # alpha (agreement with the texture around) + (1 - alpha) (correspondence with the target), by
            # weighting the masks: the overlap with the canvas, and from the second pass on the whole block
            # against the previous pass's result; the block's luminance against the target's, everywhere.
            xp = backend.get_array_module(template)
            h, w = min(patch_i, height - y), min(patch_i, width - x)
            visible = xp.zeros((patch_i, patch_i), dtype=source.dtype)
            visible[:h, :w] = 1
            terms = [(template, alpha_i * mask)]
            if previous is not None:
                terms.append((_padded(previous[y : y + h, x : x + w], patch_i), alpha_i * visible))
            wanted = _padded(target_luminance[y : y + h, x : x + w], patch_i)
            return texture.errors(*terms) + correspondence.errors((wanted, (1 - alpha_i) * visible))

        label = f"transfer {i}/{iterations}" if progress else False
        previous = _quilt_pass(image, (height, width), patch_i, overlap_i, tolerance, rng, label, block_errors)
    return previous.reshape((height, width) + tuple(source.shape[2:]))


# ------------------------------------------------------------------------------------------ checks
def _channels_last(image: Any) -> Any:
    """(H, W) -> (H, W, 1), so that grey and colour images share one code path."""
    return image[:, :, None] if image.ndim == 2 else image





def _check_blocks(source: Any, patch: Any, overlap: Any) -> tuple[int, int]:
    """The block side B and the overlap, checked against the source (defaults filled in)."""
    side = min(source.shape[:2])
    if patch is None:
        patch = _default_patch(source)
    if not is_int(patch) or not 2 <= patch <= side:
        raise ValueError(
            f"patch: {patch!r} for a source of shape {tuple(source.shape)} (expected an int with 2 <= patch <= {side})"
        )
    if overlap is None:
        overlap = max(1, patch // 6)
    if not is_int(overlap) or not 1 <= overlap < patch:
        raise ValueError(f"overlap: {overlap!r} (expected an int with 1 <= overlap < patch = {patch})")
    return int(patch), int(overlap)


def _default_patch(source: Any) -> int:
    """A quarter of the source's shorter side, at most 48 and at least 2."""
    return max(2, min(MAX_DEFAULT_PATCH, min(source.shape[:2]) // 4))


def _check_tolerance(tolerance: Any) -> float:
    if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real) or not 0 <= tolerance < math.inf:
        raise ValueError(f"tolerance: {tolerance!r} (expected a finite number >= 0, e.g. 0.1)")
    return float(tolerance)
