"""Small, composable transforms on a *batch* of NumPy images.

Each transform is a callable ``batch -> batch`` on host (NumPy) arrays whose
first axis is the batch: (N, H, W) or (N, C, H, W). Chain them with
:class:`Compose`::

    to_gan_input = Compose([Pad(2), Scale(-1.0, 1.0)])      # (N, 28, 28) uint8 -> (N, 32, 32) in [-1, 1]
    to_mlp_input = Compose([Scale(0.0, 1.0), Flatten()])    # (N, 28, 28) uint8 -> (N, 784) in [0, 1]

Pad before scaling, so the added border takes the background's value (0)
whatever range the pixels are scaled to afterwards.

The array functions underneath (:func:`to_unit`, :func:`normalize`, :func:`pad_images`,
:func:`resize_images`, :func:`rgb_to_grey`, :func:`tile_images`) work on NumPy or CuPy arrays and are also
what ``minigen.vision.transforms`` (ToTensor, Normalize, Pad, Resize, Grayscale) and
``minigen.vision.utils.make_grid`` run: one implementation, two faces.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minigen.backend import get_array_module

__all__ = [
    "PAD_MODES", "RESIZE_MODES", "Compose", "Flatten", "Normalize", "Pad", "Scale", "Transform", "normalize",
    "pad_images", "resize_images", "rgb_to_grey", "tile_images", "to_unit",
]  # fmt: skip

Transform = Callable[[np.ndarray], np.ndarray]
PAD_MODES = ("constant", "edge", "reflect", "symmetric")
RESIZE_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")


# --------------------------------------------------------------------------- array functions


def to_unit(batch: Any, max_value: float = 255.0) -> Any:
    """Integer pixels 0..max_value as float32 in [0, 1]: ``batch.astype(float32) / max_value`` (NumPy or CuPy)."""
    return batch.astype(np.float32) / np.float32(max_value)


def _per_channel(values: Any, name: str, xp: Any, dtype: Any) -> Any:
    if isinstance(values, numbers.Real):
        values = [values]
    try:
        array = xp.asarray(np.asarray(values, dtype=np.float64).reshape(-1), dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {values!r} (expected a number or a sequence of numbers, one per channel)") from None
    return array


def normalize(array: Any, mean: Any, std: Any, channel_axis: int | None = -3) -> Any:
    """``(array - mean) / std`` per channel, in the array's float dtype (torchvision's ``normalize``).

    mean, std:    a number or one number per channel.
    channel_axis: the channel axis (-3 for (..., C, H, W)); None: one channel, so one mean and one std.
    """
    if getattr(array.dtype, "kind", None) != "f":
        raise TypeError(f"normalize: expected a float array or tensor, got dtype {array.dtype} (convert it first)")
    xp = get_array_module(array)
    mean, std = _per_channel(mean, "mean", xp, array.dtype), _per_channel(std, "std", xp, array.dtype)
    if bool((std == 0).any()):
        raise ValueError(
            f"std: {std.tolist()} evaluated to zero after conversion to {array.dtype}, leading to division by zero"
        )
    channels = 1 if channel_axis is None else array.shape[channel_axis] if array.ndim >= -channel_axis else None
    for name, values in (("mean", mean), ("std", std)):
        if channels is None or len(values) not in (1, channels):
            raise ValueError(
                f"{name}: {len(values)} values for an array of shape {tuple(array.shape)} "
                f"(expected 1 or one per channel along axis {channel_axis})"
            )
    if channel_axis is not None:
        shape = (-1,) + (1,) * (-channel_axis - 1)
        mean, std = mean.reshape(shape), std.reshape(shape)
    return (array - mean) / std


def pad_images(
    array: Any,
    padding: tuple[int, int, int, int],
    fill: Any = 0,
    mode: str = "constant",
    *,
    hw_axes: tuple[int, int] = (-2, -1),
    channel_axis: int | None = None,
) -> Any:
    """``array`` with (left, top, right, bottom) pixels added around the ``hw_axes`` (height, width) axes.

    mode: "constant" (``fill``: a number, or one per channel along ``channel_axis``), "edge",
    "reflect" (mirror without repeating the edge) or "symmetric" (mirror repeating it): NumPy's modes.
    """
    if mode not in PAD_MODES:
        raise ValueError(f"padding_mode: {mode!r} (expected one of {', '.join(PAD_MODES)})")
    left, top, right, bottom = (int(value) for value in padding)
    if min(left, top, right, bottom) < 0:
        raise ValueError(f"padding: {tuple(padding)} (expected (left, top, right, bottom), each >= 0)")
    xp = get_array_module(array)
    widths = [(0, 0)] * array.ndim
    widths[hw_axes[0]], widths[hw_axes[1]] = (top, bottom), (left, right)
    if mode != "constant":
        return xp.pad(array, widths, mode=mode)
    if isinstance(fill, numbers.Number):
        return xp.pad(array, widths, mode="constant", constant_values=fill)
    if channel_axis is None:
        raise ValueError(f"fill: {fill!r} (expected a number for an image without a channel axis)")
    values = xp.asarray(np.asarray(fill).reshape(-1)).astype(array.dtype)
    channels = array.shape[channel_axis]
    if len(values) not in (1, channels):
        raise ValueError(f"fill: {tuple(fill)} (expected a number or {channels} numbers, one per channel)")
    shape = [1] * array.ndim
    shape[channel_axis] = len(values)
    padded = [size + before + after for size, (before, after) in zip(array.shape, widths)]
    out = xp.empty(padded, dtype=array.dtype)
    out[...] = values.reshape(shape)
    out[tuple(slice(before, before + size) for size, (before, _) in zip(array.shape, widths))] = array
    return out


def _resampling_matrix(size_in: int, size_out: int, mode: str, antialias: bool) -> np.ndarray:
    """(size_out, size_in) float64 weights: output pixel i = sum_j W[i, j] * input pixel j.

    Pixel centres map as (i + 0.5) * scale (half-pixel convention). "bilinear" and "bicubic" weigh inputs
    with a triangle or cubic filter (a = -0.5 with antialias, as Pillow; a = -0.75 without, as PyTorch), stretched
    by the scale when shrinking with ``antialias`` (Pillow's resampling), and renormalised at the borders.
    """
    scale = size_in / size_out
    out = np.arange(size_out)
    if mode in ("nearest", "nearest-exact"):
        source = np.floor(out * scale if mode == "nearest" else (out + 0.5) * scale).astype(np.int64)
        weights = np.zeros((size_out, size_in))
        weights[out, np.minimum(source, size_in - 1)] = 1.0
        return weights
    stretch = max(scale, 1.0) if antialias else 1.0
    x = np.abs((np.arange(size_in)[None, :] + 0.5 - (out[:, None] + 0.5) * scale) / stretch)
    if mode == "bilinear":
        weights = np.maximum(1.0 - x, 0.0)
    else:  # bicubic, Keys' kernel
        a = -0.5 if antialias else -0.75
        weights = np.where(
            x < 1, ((a + 2) * x - (a + 3)) * x * x + 1, np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0)
        )
    return weights / weights.sum(axis=1, keepdims=True)


def resize_images(array: Any, size: tuple[int, int], mode: str = "bilinear", antialias: bool = True) -> Any:
    """``array`` (..., H, W) resampled to (..., height, width) = ``size``, as two small matrix products.

    mode: "nearest", "nearest-exact", "bilinear" or "bicubic" (PyTorch's ``interpolate`` modes, half-pixel
    centres); ``antialias`` widens the filter when shrinking, as Pillow and ``interpolate(antialias=True)`` do.
    Float arrays keep their dtype; integer ones are computed in float32, rounded and clipped back.
    """
    if mode not in RESIZE_MODES:
        raise ValueError(f"interpolation: {mode!r} (expected one of {', '.join(RESIZE_MODES)} for arrays and tensors)")
    height, width = (int(n) for n in size)
    if height <= 0 or width <= 0:
        raise ValueError(f"size: {tuple(size)} (expected (height, width), both > 0)")
    xp = get_array_module(array)
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float32)
    rows = xp.asarray(_resampling_matrix(array.shape[-2], height, mode, antialias).astype(dtype))
    columns = xp.asarray(_resampling_matrix(array.shape[-1], width, mode, antialias).T.astype(dtype))
    out = rows @ (array.astype(dtype, copy=False) @ columns)
    if array.dtype.kind in "ui":
        info = np.iinfo(array.dtype)
        out = xp.clip(xp.round(out), info.min, info.max).astype(array.dtype)
    return out


def rgb_to_grey(array: Any, channel_axis: int = -3) -> Any:
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (ITU-R 601-2, torchvision's ``rgb_to_grayscale``), keeping the
    channel axis (size 1) and the dtype: an integer image is computed in float32 and truncated back, as there."""
    if array.shape[channel_axis] != 3:
        raise ValueError(f"rgb_to_grey: {array.shape[channel_axis]} channels along axis {channel_axis} (expected 3)")
    xp = get_array_module(array)
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float32)
    red, green, blue = (xp.take(array, [i], axis=channel_axis).astype(dtype, copy=False) for i in range(3))
    grey = dtype.type(0.2989) * red + dtype.type(0.587) * green + dtype.type(0.114) * blue
    return grey.astype(array.dtype, copy=False)


def tile_images(batch: Any, nrow: int = 8, padding: int = 2, pad_value: float = 0.0) -> Any:
    """A batch (N, C, H, W) laid out as one (C, rows * (H + padding) + padding, cols * (W + padding) + padding) image.

    ``cols = min(nrow, N)`` images per row, ``rows = ceil(N / cols)``, left to right then top to bottom, with
    ``padding`` pixels of ``pad_value`` between the images and around them; unused cells stay ``pad_value``
    (torchvision's ``make_grid`` layout). NumPy or CuPy; the dtype is kept.
    """
    if batch.ndim != 4 or len(batch) == 0:
        raise ValueError(f"tile_images: shape {tuple(batch.shape)} (expected a batch (N, C, H, W) with N >= 1)")
    whole = isinstance(nrow, numbers.Integral) and isinstance(padding, numbers.Integral)
    if not whole or nrow <= 0 or padding < 0:
        raise ValueError(f"tile_images: nrow={nrow!r}, padding={padding!r} (expected an int > 0 and an int >= 0)")
    xp = get_array_module(batch)
    count, channels, height, width = batch.shape
    cols = min(int(nrow), count)
    rows = -(-count // cols)
    step_y, step_x = height + padding, width + padding
    grid = xp.full((channels, rows * step_y + padding, cols * step_x + padding), pad_value, dtype=batch.dtype)
    for index in range(count):  # a loop over whole images, not pixels
        row, col = divmod(index, cols)
        top, left = row * step_y + padding, col * step_x + padding
        grid[:, top : top + height, left : left + width] = batch[index]
    return grid


# --------------------------------------------------------------------------- batch transforms


class Compose:
    """Apply ``transforms`` one after the other, first to last."""

    def __init__(self, transforms: Sequence[Transform]):
        self.transforms = list(transforms)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        for transform in self.transforms:
            batch = transform(batch)
        return batch

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


class Scale:
    """Map uint8 pixels 0..255 linearly onto [low, high] as float32.

    ``Scale(0, 1)`` gives x / 255; ``Scale(-1, 1)`` gives x / 127.5 - 1, the range of
    a tanh output layer, which is what a GAN generator usually produces.
    """

    def __init__(self, low: float = 0.0, high: float = 1.0, max_value: float = 255.0):
        if not high > low:
            raise ValueError(f"Scale needs high > low, got low={low}, high={high}")
        self.low, self.high, self.max_value = low, high, max_value

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        unit = to_unit(batch, self.max_value)  # in [0, 1]
        return unit * np.float32(self.high - self.low) + np.float32(self.low)

    def __repr__(self) -> str:
        return f"Scale(low={self.low}, high={self.high})"


class Pad:
    """Add ``width`` pixels of ``value`` on every side of each image (the last two axes).

    ``Pad(2)`` turns 28 x 28 MNIST digits into 32 x 32 images, a size that halves
    cleanly four times (32, 16, 8, 4, 2), as strided convolutions like.
    """

    def __init__(self, width: int = 2, value: float = 0):
        if width < 0:
            raise ValueError(f"Pad width must be >= 0, got {width}")
        self.width, self.value = width, value

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if batch.ndim < 3:
            raise ValueError(f"Pad expects a batch of images (N, H, W) or (N, C, H, W), got shape {batch.shape}")
        return pad_images(batch, (self.width,) * 4, fill=self.value)

    def __repr__(self) -> str:
        return f"Pad(width={self.width}, value={self.value})"


class Normalize:
    """``(x - mean) / std`` per channel on a float batch: (N, C, H, W) per channel, (N, H, W) as one channel.

    ``Compose([Scale(0, 1), Normalize(0.5, 0.5)])`` is torchvision's ``ToTensor(), Normalize((0.5,), (0.5,))``.
    """

    def __init__(self, mean: Any, std: Any):
        self.mean, self.std = mean, std

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return normalize(batch, self.mean, self.std, channel_axis=-3 if batch.ndim == 4 else None)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Flatten:
    """(N, ...) -> (N, features): one row per image, for fully connected networks."""

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return batch.reshape(len(batch), -1)

    def __repr__(self) -> str:
        return "Flatten()"
