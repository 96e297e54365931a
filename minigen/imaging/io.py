"""Images in and out: files (PNG, JPEG) through Pillow, the shipped samples, and the checks every function runs.

An image is a float array in [0, 1] of shape (H, W) (grey) or (H, W, C) with C = 3 (RGB) or 4 (RGBA),
NumPy or CuPy, float32 unless float64 is given: scikit-image's convention. Functions of ``minigen.imaging``
return what they are given (the same array module and float dtype).
"""

from __future__ import annotations

import numbers
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy

from minigen import backend
from minigen.files import atomic_path

__all__ = [
    "SAMPLE_IMAGES", "ImageError", "as_float_image", "check_size", "is_int", "read_image", "sample_image",
    "write_image",
]  # fmt: skip

SAMPLE_IMAGES = ("brick", "grass", "gravel", "chelsea", "coffee", "astronaut")  # see samples/LICENSE.md
_WRITABLE = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


class ImageError(ValueError):
    """An image that cannot be used: a missing or unreadable file, a wrong shape, dtype or range (one line)."""


def read_image(path: str | os.PathLike[str], *, grey: bool = False) -> numpy.ndarray:
    """The image in ``path`` as float32 in [0, 1]: (H, W) for a grey file (or with ``grey=True``), else (H, W, 3),
    or (H, W, 4) when the file has an alpha channel. 16-bit files keep their precision."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    try:
        with Image.open(path) as image:
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"{path}: not an image Pillow can read ({' '.join(str(error).split())[:200]})") from None
    if grey:
        image = image.convert("L") if image.mode not in ("I;16", "I", "F") else image
    elif image.mode in ("P", "CMYK", "YCbCr", "LAB", "HSV", "1"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode == "LA":
        image = image.convert("RGBA")
    array = numpy.asarray(image)
    scale = {"u": float(numpy.iinfo(array.dtype).max) if array.dtype.kind == "u" else 1.0}.get(array.dtype.kind)
    if scale is None:  # 32-bit integer or float modes ("I", "F"): taken as 16-bit / already scaled
        scale = 65535.0 if array.dtype.kind == "i" else 1.0
    return numpy.clip(array.astype(numpy.float32) / numpy.float32(scale), 0.0, 1.0)


def write_image(path: str | os.PathLike[str], image: Any) -> Path:
    """Write a float image in [0, 1] (NumPy or CuPy) as an 8-bit PNG or JPEG, chosen by the suffix.

    The file is written to a temporary beside it and renamed, so an interrupted write never leaves a
    half-written image. Values are clipped to [0, 1] and rounded. Returns the path.
    """
    from PIL import Image

    path = Path(path)
    kind = _WRITABLE.get(path.suffix.lower())
    if kind is None:
        raise ImageError(f"{path}: cannot write a {path.suffix or 'suffix-less'} file (expected .png, .jpg or .jpeg)")
    array = backend.to_numpy(image.data if hasattr(image, "_is_minigen_tensor") else image)
    array = as_float_image(array, "image")
    if kind == "JPEG" and array.ndim == 3 and array.shape[2] == 4:
        raise ImageError(f"{path}: JPEG has no alpha channel; write a .png for an (H, W, 4) image")
    pixels = numpy.round(numpy.clip(array, 0.0, 1.0) * 255).astype(numpy.uint8)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    picture = Image.fromarray(pixels)  # (H, W) -> L, (H, W, 3) -> RGB, (H, W, 4) -> RGBA
    with atomic_path(path) as temporary:
        picture.save(temporary, format=kind)
    return path


def sample_image(name: str) -> numpy.ndarray:
    """One of the images shipped with minigen (:data:`SAMPLE_IMAGES`), as :func:`read_image` reads it.

    The textures ("brick", "grass", "gravel") are grey 256 x 256; "chelsea", "coffee" and "astronaut" are
    RGB photographs. All are CC0 or public domain (``minigen/imaging/samples/LICENSE.md``).
    """
    if name not in SAMPLE_IMAGES:
        raise ImageError(f"unknown sample image {name!r} (expected one of {', '.join(SAMPLE_IMAGES)})")
    with resources.as_file(resources.files("minigen.imaging") / "samples" / f"{name}.png") as path:
        return read_image(path)


def as_float_image(image: Any, name: str, *, channels: tuple[int, ...] = (1, 3, 4)) -> Any:
    """``image`` checked: a float array (H, W) or (H, W, C) with C in ``channels``; returned as is.

    ``name`` is what the error calls it ("source", "trimap"). An integer array is refused, naming the
    fix (divide by 255): a function never silently changes an image's range.
    """
    kind = getattr(getattr(image, "dtype", None), "kind", None)
    if backend.device_of(image) is None:
        raise ImageError(f"{name}: expected a float array (H, W) or (H, W, C), got {type(image).__name__}")
    shape = tuple(image.shape)
    if kind != "f":
        hint = "; divide a uint8 image by 255" if kind in "ui" else ""
        raise ImageError(f"{name}: dtype {image.dtype} (expected float32 or float64 in [0, 1]{hint})")
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] not in channels) or 0 in shape:
        expected = " or ".join(f"(H, W, {c})" if c > 1 else "(H, W)" for c in channels)
        raise ImageError(f"{name}: shape {shape} (expected {expected})")
    if len(shape) == 2 and 1 not in channels:
        raise ImageError(f"{name}: shape {shape} (expected a colour image (H, W, {channels[0]}))")
    return image


def is_int(value: Any) -> bool:
    """True for an int or a NumPy integer, not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_size(size: Any, what: str = "size") -> tuple[int, int]:
    """An output size as (height, width): two ints > 0, or one int for a square; else a ValueError naming ``what``."""
    pair = (size, size) if is_int(size) else tuple(size) if isinstance(size, tuple | list) else None
    if pair is None or len(pair) != 2 or not all(is_int(n) and n > 0 for n in pair):
        raise ValueError(f"{what}: {size!r} (expected (height, width), two ints > 0, or one int for a square)")
    return int(pair[0]), int(pair[1])
