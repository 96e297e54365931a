"""Pictures of a run: a grid of samples and the loss curves, as PNG files (matplotlib, Agg backend).

Figures are made with ``matplotlib.figure.Figure`` and an Agg canvas directly,
never through ``pyplot``: no window opens, no global figure state is touched,
and it works on a machine without a display. Files are always PNG, written to
a temporary file in the same folder and renamed over the target, so a crash
never leaves half a picture (nor destroys the previous one).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from minigen.data.transforms import tile_images
from minigen.files import atomic_path

__all__ = ["image_grid", "save_image_grid", "save_loss_curves"]


def image_grid(images: np.ndarray, data_range: tuple[float, float] = (0.0, 1.0), nrow: int | None = None,
               padding: int = 2) -> np.ndarray:
    """Tile a batch (N, C, H, W) or (N, H, W) into one (rows*H', cols*W', C) array in [0, 1].

    Pixels are mapped from ``data_range`` to [0, 1] (a GAN's tanh output lives in
    [-1, 1]); ``nrow`` images per row (at most N), by default a square as near as possible; white padding.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4:
        raise ValueError(f"image_grid expects images (N, C, H, W) or (N, H, W), got shape {images.shape}")
    low, high = data_range
    images = np.clip((images - low) / (high - low), 0.0, 1.0)
    cols = nrow or max(1, math.ceil(math.sqrt(len(images))))
    return tile_images(images, cols, padding, pad_value=1.0).transpose(1, 2, 0)


def _save(figure: Figure, path: str | Path) -> None:
    """Write ``figure`` as a PNG at exactly ``path`` (whatever its suffix), atomically."""
    FigureCanvasAgg(figure)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")


def save_image_grid(images: np.ndarray, path: str | Path, data_range: tuple[float, float] = (0.0, 1.0),
                    title: str | None = None, nrow: int | None = None) -> None:
    """Write a batch of images as one PNG grid (grey for one channel, colour for three), ``nrow`` per row."""
    grid = image_grid(images, data_range, nrow)
    figure = Figure(figsize=(6, 6.4 if title else 6), dpi=100)
    axes = figure.add_axes((0, 0, 1, 0.94 if title else 1))
    axes.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes.set_axis_off()
    if title:
        figure.suptitle(title, y=0.985)
    _save(figure, path)


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Moving average over ``window`` steps (shorter at the start), to read a noisy curve's trend."""
    if window <= 1 or len(values) < 2:
        return values
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


# The quantity on a panel's y axis, by the names it draws; any other panel shows losses.
_QUANTITIES = {"d_real": "mean sigmoid(D)", "d_fake": "mean sigmoid(D)", "judge_score": "judge score",
               "frechet": "Fréchet distance", "precision": "share", "recall": "share"}


def _y_label(names: Sequence[str]) -> str:
    quantities = {_QUANTITIES.get(name, "loss") for name in names}
    return quantities.pop() if len(quantities) == 1 else "value"


def robust_limits(values: Sequence[np.ndarray], skip: int) -> tuple[float, float] | None:
    """y-limits that show the curves' course, not their first steps' spike.

    The 1st to 99th percentiles of the values after the first ``skip`` of each
    series, padded by 10% of that range: a VAE's first loss (~540) is four times
    its loss after a few dozen steps and would flatten every later change. (A log
    scale was not chosen: it squeezes the late changes that matter, and not every
    quantity is positive.) None when there is nothing finite to show.
    """
    kept = [np.asarray(v, dtype=np.float64)[skip if len(v) > 2 * skip else 0 :] for v in values]
    finite = np.concatenate([v[np.isfinite(v)] for v in kept]) if kept else np.zeros(0)
    if finite.size == 0:
        return None
    low, high = np.percentile(finite, [1, 99])
    pad = 0.1 * (high - low) if high > low else max(abs(high) * 0.05, 1e-3)
    return float(low - pad), float(high + pad)


def save_loss_curves(path: str | Path, steps: np.ndarray, losses: Mapping[str, np.ndarray],
                     panels: Sequence[tuple[str, Sequence[str]]], steps_per_epoch: int,
                     epoch_values: Mapping[str, Sequence[tuple[int, float]]] | None = None) -> None:
    """Loss curves against the epoch: one panel per ``(title, [loss names])``.

    Each curve is drawn raw (faint) and as a moving average (solid).
    ``epoch_values`` adds per-epoch points, e.g. ``{"test_loss": [(1, 104.2), ...]}``,
    to the panel that lists the name. The x axis is the epoch, the y axis the
    panel's quantity ("loss", or "mean sigmoid(D)"); the y-limits leave out the
    first 5% of the steps (see :func:`robust_limits`).
    """
    epoch_values = epoch_values or {}
    figure = Figure(figsize=(5 * len(panels), 3.6), dpi=100)
    figure.subplots_adjust(left=0.2 / len(panels), right=1 - 0.06 / len(panels), bottom=0.14, top=0.9, wspace=0.25)
    x = np.asarray(steps, dtype=np.float64) / max(steps_per_epoch, 1)
    window = max(1, steps_per_epoch // 5)
    skip = max(1, len(x) // 20)  # the first steps, left out of the y-limits
    for index, (title, names) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), index + 1)
        shown = []
        for colour, name in enumerate(names):
            style = f"C{colour}"
            if name in epoch_values and epoch_values[name]:
                epochs, values = zip(*epoch_values[name])
                axes.plot(epochs, values, "o-", color=style, label=name)
                shown.append(np.asarray(values, dtype=np.float64))
            elif name in losses and len(losses[name]):
                values = np.asarray(losses[name], dtype=np.float64)
                axes.plot(x, values, color=style, alpha=0.25, linewidth=0.8)
                axes.plot(x, _smooth(values, window), color=style, label=name)
                shown.append(values)
        limits = robust_limits(shown, skip)
        if limits is not None:
            axes.set_ylim(*limits)
        axes.set_title(title)
        axes.set_xlabel("epoch")
        axes.set_ylabel(_y_label(names))
        axes.grid(alpha=0.3)
        if axes.get_legend_handles_labels()[0]:
            axes.legend()
    _save(figure, path)
