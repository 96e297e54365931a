"""Reference solutions for lesson 15's exercises (the tests run the lesson's checks against them)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minigen.imaging import min_error_cut


def horizontal_cut(errors):
    """The cheapest left-to-right seam through errors (o, n): the row of the seam in each column."""
    E = errors.astype(np.float64).copy()
    for j in range(1, E.shape[1]):  # along the overlap, one column at a time, each column at once
        left = np.pad(E[:, j - 1], 1, constant_values=np.inf)  # E_(i-1)(j-1), E_i(j-1), E_(i+1)(j-1)
        E[:, j] += np.minimum(np.minimum(left[:-2], left[1:-1]), left[2:])
    path = [int(np.argmin(E[:, -1]))]
    for j in range(E.shape[1] - 2, -1, -1):
        low = max(path[-1] - 1, 0)
        path.append(low + int(np.argmin(E[low : path[-1] + 2, j])))
    return np.array(path[::-1])


def overlap_errors_windows(source, template, mask):
    """Masked SSD of template against every block of source, via a window view (no loop over positions)."""
    if source.ndim == 2:
        source, template = source[:, :, None], template[:, :, None]
    h, w = mask.shape
    windows = sliding_window_view(source, (h, w), axis=(0, 1))  # (H-h+1, W-w+1, C, h, w)
    difference = windows - template.transpose(2, 0, 1)  # template as (C, h, w)
    return np.einsum("yxcij,ij->yx", difference**2, mask)


def l_cut_mask(new, old, overlap):
    """True where the new block shows, for a block with both a left and a top overlap."""
    e = (new - old) ** 2
    shown = np.ones(new.shape, dtype=bool)
    left = min_error_cut(e[:, :overlap])  # a column per row
    shown[:, :overlap] &= np.arange(overlap)[None, :] >= left[:, None]
    top = min_error_cut(e[:overlap, :].T)  # a row per column
    shown[:overlap, :] &= np.arange(overlap)[:, None] >= top[None, :]
    return shown


def choose_within_tolerance(errors, tolerance, rng):
    candidates = np.flatnonzero(errors <= (1 + tolerance) * errors.min())
    top, left = np.unravel_index(candidates[rng.integers(candidates.size)], errors.shape)
    return int(top), int(left)
