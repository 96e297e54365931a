"""``torchvision.utils`` for minigen: ``make_grid`` and ``save_image``, pixel for pixel torchvision's.

    from minigen.vision.utils import save_image
    save_image(fake.detach(), "samples.png", nrow=8, normalize=True)

The layout is :func:`minigen.data.transforms.tile_images` (``min(nrow, N)`` images a row, ``padding`` pixels of
``pad_value`` between and around them). As in torchvision, grey images are repeated into three channels,
``normalize`` maps each batch's (or, with ``scale_each``, each image's) min..max, or ``value_range``, onto 0..1,
and ``save_image`` quantises with ``x * 255 + 0.5`` clamped to 0..255 and truncated to uint8. Files are written
with Pillow through a temporary beside the target, renamed into place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from minigen import backend
from minigen.data.transforms import tile_images
from minigen.files import atomic_path
from minigen.tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _batch_array(tensor: Any) -> Any:
    """The backing array of a Tensor (or of a list of equal-shaped Tensors, stacked); arrays are taken as they are."""
    if isinstance(tensor, list | tuple):
        if not tensor:
            raise ValueError("make_grid: an empty list of tensors")
        arrays = [_batch_array(item) for item in tensor]
        shapes = {tuple(array.shape) for array in arrays}
        if len(shapes) > 1:
            raise ValueError(f"make_grid: tensors of different shapes {sorted(shapes)} (expected one shape)")
        return backend.get_array_module(arrays[0]).stack(arrays)
    array = tensor.data if getattr(tensor, "_is_minigen_tensor", False) else tensor
    if backend.device_of(array) is None:
        raise TypeError(f"make_grid: tensor or list of tensors expected, got {type(tensor).__name__}")
    return array


def _normalized(array: Any, value_range: tuple[float, float] | None) -> Any:
    """torchvision's ``norm_ip``: clamp to (low, high) = value_range or (min, max), then ``(x - low) / (high - low)``
    (the span at least 1e-5), in the array's dtype."""
    low, high = (array.min(), array.max()) if value_range is None else value_range
    low, high = float(low), float(high)  # Python floats: the arithmetic stays in the array's dtype
    xp = backend.get_array_module(array)
    return (xp.clip(array, low, high) - low) / max(high - low, 1e-5)


def make_grid(
    tensor: Any,
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Tensor:
    """Images (N, C, H, W), a list of (C, H, W), or one (C, H, W) / (H, W) image, tiled into one (3 or C, H', W')
    Tensor: ``ceil(N / nrow)`` rows, ``padding`` pixels of ``pad_value`` between and around; one image is returned
    alone, unpadded (torchvision's rules)."""
    array = _batch_array(tensor)
    xp = backend.get_array_module(array)
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        array = (xp.concatenate([array] * 3, axis=0) if array.shape[0] == 1 else array)[None]
    if array.ndim != 4:
        raise ValueError(f"make_grid: shape {tuple(array.shape)} (expected (N, C, H, W), (C, H, W) or (H, W))")
    if array.shape[1] == 1:
        array = xp.concatenate([array] * 3, axis=1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        if array.dtype.kind != "f":
            raise TypeError(f"make_grid: normalize needs a float tensor, got dtype {array.dtype}")
        if scale_each:
            array = xp.stack([_normalized(image, value_range) for image in array])
        else:
            array = _normalized(array, value_range)
    if array.shape[0] == 1:
        return Tensor(array[0])
    return Tensor(tile_images(array, nrow, padding, pad_value))


def _to_uint8(grid: Any) -> np.ndarray:
    """A float (C, H, W) grid in [0, 1] as uint8 (H, W, C): torchvision's ``mul(255).add_(0.5).clamp_(0, 255)``,
    then truncation (not :func:`minigen.imaging.io.write_image`'s round-half-even)."""
    array = backend.to_numpy(grid)
    if array.dtype.kind != "f":
        raise TypeError(f"save_image: expected a float tensor with values in [0, 1], got dtype {array.dtype}")
    pixels = np.clip(array * 255 + 0.5, 0, 255).astype(np.uint8)
    pixels = pixels.transpose(1, 2, 0)
    return pixels[:, :, 0] if pixels.shape[2] == 1 else pixels


def _format(path: Path, format: str | None) -> str:
    from PIL import Image

    if format is not None:
        return format
    known = Image.registered_extensions()
    if path.suffix.lower() not in known:
        raise ValueError(f"save_image: cannot tell the image format of {path} from its suffix; pass format='PNG'")
    return known[path.suffix.lower()]


def save_image(
    tensor: Any,
    fp: str | os.PathLike | BinaryIO,
    format: str | None = None,
    *,
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> None:
    """Write ``make_grid(tensor, ...)`` as an image file: PNG (or the format of ``fp``'s suffix, or ``format``).

    ``fp`` is a path, written atomically (a temporary beside it, then ``os.replace``), or a binary file object.
    """
    from PIL import Image

    grid = make_grid(tensor, nrow=nrow, padding=padding, normalize=normalize, value_range=value_range,
                     scale_each=scale_each, pad_value=pad_value)  # fmt: skip
    if grid.ndim != 3:
        raise ValueError(f"save_image: a grid of shape {grid.shape} (expected (C, H, W))")
    picture = Image.fromarray(_to_uint8(grid.data))
    if not isinstance(fp, str | os.PathLike):
        picture.save(fp, format=format or "PNG")
        return
    path = Path(fp)
    kind = _format(path, format)
    with atomic_path(path) as temporary:
        picture.save(temporary, format=kind)
