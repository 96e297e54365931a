"""``torchvision.transforms`` for minigen: the same classes, on PIL images and minigen tensors.

    from minigen.vision import transforms
    to_input = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    to_input(pil_image)   # float32 (1, 28, 28) minigen Tensor

A facade: the array maths is :mod:`minigen.data.transforms`' (``to_unit``, ``normalize``, ``pad_images``,
``resize_images``, ``rgb_to_grey``), which the trainer's batch transforms also run. PIL images are resized
with Pillow's own ``resize``, as torchvision does; tensors (..., C, H, W) with ``resize_images``, which
follows ``torch.nn.functional.interpolate`` (half-pixel centres, ``antialias`` like Pillow's).
Random transforms draw from minigen's host generator, so ``minigen.manual_seed`` repeats them.

Whole batches: :func:`batched` turns a transform built only of ``ToTensor``, ``PILToTensor``, ``Normalize``,
``Pad`` and ``CenterCrop`` (the last three after the conversion to a tensor) into one function on a batch of
images, which ``minigen.utils.data.DataLoader`` uses for ``minigen.vision`` datasets; the result is the
per-image path's, bit for bit.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

import numpy as np
from PIL import Image

from minigen import backend
from minigen.data.transforms import PAD_MODES, normalize, pad_images, resize_images, rgb_to_grey, to_unit
from minigen.random import host_generator
from minigen.tensor import Tensor

__all__ = [
    "CenterCrop", "Compose", "Grayscale", "InterpolationMode", "Lambda", "Normalize", "PILToTensor", "Pad",
    "RandomHorizontalFlip", "RandomVerticalFlip", "Resize", "ToTensor", "batched",
]  # fmt: skip


class InterpolationMode(Enum):
    """torchvision's interpolation modes; tensors take the first four, PIL images all."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_FILTERS = {
    InterpolationMode.NEAREST: Image.Resampling.NEAREST, InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
    InterpolationMode.BILINEAR: Image.Resampling.BILINEAR, InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    InterpolationMode.BOX: Image.Resampling.BOX, InterpolationMode.HAMMING: Image.Resampling.HAMMING,
    InterpolationMode.LANCZOS: Image.Resampling.LANCZOS,
}  # fmt: skip


def _interpolation(value: Any) -> InterpolationMode:
    """An InterpolationMode from the enum, its value ("bilinear") or a Pillow filter constant (as torchvision)."""
    if isinstance(value, InterpolationMode):
        return value
    if isinstance(value, str):
        try:
            return InterpolationMode(value)
        except ValueError:
            pass
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        for mode, pil_filter in _PIL_FILTERS.items():
            if pil_filter == value:
                return mode
    names = ", ".join(mode.value for mode in InterpolationMode)
    raise ValueError(f"interpolation: {value!r} (expected an InterpolationMode or one of {names})")


def _is_pil(img: Any) -> bool:
    return isinstance(img, Image.Image)


def _is_tensor(img: Any) -> bool:
    return getattr(img, "_is_minigen_tensor", False)


def _check_image(img: Any, name: str, tensor_ndim: int = 2) -> None:
    """A PIL image or a minigen Tensor with at least ``tensor_ndim`` dimensions; else a one-line error."""
    if _is_pil(img):
        return
    if not _is_tensor(img):
        raise TypeError(f"{name}: img should be PIL Image or Tensor. Got {type(img)}")
    if img.ndim < tensor_ndim:
        raise ValueError(f"{name}: tensor of shape {img.shape} (expected (..., H, W) images)")


def _pil_like(array: np.ndarray, like: Image.Image) -> Image.Image:
    """``array`` (H, W) or (H, W, C), as NumPy reads ``like``, back as an image of ``like``'s mode (and palette)."""
    height, width = array.shape[:2]
    if like.mode == "1":  # NumPy reads it as bool
        return Image.fromarray(array.astype(np.uint8) * np.uint8(255)).convert("1")
    image = Image.frombytes(like.mode, (width, height), np.ascontiguousarray(array).tobytes())
    if like.mode == "P" and like.getpalette() is not None:
        image.putpalette(like.getpalette())
    return image


def _hw_size(size: Any, name: str) -> tuple[int, int]:
    """(height, width) from an int or a sequence of one or two ints > 0 (torchvision's ``_setup_size``)."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (int(size), int(size))
    elif isinstance(size, Sequence) and len(size) == 1:
        size = (size[0], size[0])
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(f"{name}: size {size!r} (please provide only two dimensions (h, w) for size)")
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 for n in size):
        raise ValueError(f"{name}: size {tuple(size)} (expected ints > 0)")
    return int(size[0]), int(size[1])


# ----------------------------------------------------------------------------------------------- composition


class Compose:
    """Apply ``transforms`` one after the other, first to last (torchvision's ``Compose``)."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {transform}" for transform in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class Lambda:
    """Apply a user function: ``Lambda(lambda x: x.flatten())``."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# ----------------------------------------------------------------------------------------------- conversion


def _hwc_to_chw(batch: Any) -> Any:
    """(..., H, W, C) -> (..., C, H, W), contiguous."""
    xp = backend.get_array_module(batch)
    return xp.ascontiguousarray(xp.moveaxis(batch, -1, -3))


def _pil_array(pic: Image.Image, dtype: Any = None) -> np.ndarray:
    """The pixels of ``pic`` as (H, W, C): torchvision's dtypes (int32 for "I", int16 for "I;16", 0/255 for "1")."""
    dtype = {"I": np.int32, "I;16": np.int16, "F": np.float32}.get(pic.mode, np.uint8) if dtype is None else dtype
    array = np.array(pic, dtype)
    if pic.mode == "1":
        array = array * np.uint8(255)
    return array.reshape(pic.size[1], pic.size[0], -1)


class ToTensor:
    """A PIL image or an (H, W, C) / (H, W) ndarray as a (C, H, W) minigen Tensor; uint8 pixels become float32
    in [0, 1] (``x / 255``), other dtypes are kept (torchvision's ``ToTensor``)."""

    _batch_stages = ("pil", "tensor")

    def __call__(self, pic: Any) -> Tensor:
        if _is_pil(pic):
            array = _pil_array(pic)
        elif isinstance(pic, np.ndarray):
            if pic.ndim not in (2, 3):
                raise ValueError(f"ToTensor: pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
            array = pic[:, :, None] if pic.ndim == 2 else pic
        else:
            raise TypeError(f"ToTensor: pic should be PIL Image or ndarray. Got {type(pic)}")
        return Tensor(self._batch(array))

    @staticmethod
    def _batch(batch: Any) -> Any:
        """(..., H, W, C) pixels -> (..., C, H, W); uint8 -> float32 / 255 (``to_unit``)."""
        chw = _hwc_to_chw(batch)
        return to_unit(chw) if chw.dtype == np.uint8 else chw

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor:
    """A PIL image as a (C, H, W) Tensor of its own dtype (uint8 for "L", "RGB"), unscaled."""

    _batch_stages = ("pil", "tensor")

    def __call__(self, pic: Any) -> Tensor:
        if not _is_pil(pic):
            raise TypeError(f"PILToTensor: pic should be PIL Image. Got {type(pic)}")
        return Tensor(self._batch(np.array(pic).reshape(pic.size[1], pic.size[0], -1)))

    @staticmethod
    def _batch(batch: Any) -> Any:
        return _hwc_to_chw(batch)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """``(x - mean) / std`` per channel of a float tensor (..., C, H, W): :func:`minigen.data.transforms.normalize`.

    ``inplace=True`` writes the result into the tensor's own array.
    """

    _batch_stages = ("tensor", "tensor")

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float, inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        if not _is_tensor(tensor):
            raise TypeError(f"Normalize: img should be Tensor Image. Got {type(tensor)}")
        if tensor.ndim < 3:
            raise ValueError(
                f"Normalize: expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                f"{list(tensor.shape)}"
            )
        out = self._batch(tensor.data)
        if not self.inplace:
            return Tensor(out)
        tensor.data[...] = out
        tensor.bump_version()
        return tensor

    def _batch(self, batch: Any) -> Any:
        return normalize(batch, self.mean, self.std, channel_axis=-3)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


# ----------------------------------------------------------------------------------------------- geometry


class Resize:
    """Resize to ``size``: (h, w), or an int for the shorter side, the longer one keeping the aspect ratio
    (``int(size * long / short)``, at most ``max_size``). PIL images go through Pillow's ``resize`` (antialiased,
    as in torchvision); tensors (..., H, W) through :func:`minigen.data.transforms.resize_images`."""

    def __init__(
        self,
        size: int | Sequence[int],
        interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
        max_size: int | None = None,
        antialias: bool | None = True,
    ) -> None:
        if isinstance(size, numbers.Integral) and not isinstance(size, bool):
            size = [int(size)]
        elif not isinstance(size, Sequence) or isinstance(size, str):
            raise TypeError(f"Resize: size should be int or sequence. Got {type(size)}")
        if len(size) not in (1, 2):
            raise ValueError(f"Resize: if size is a sequence, it should have 1 or 2 values, got {list(size)}")
        if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 for n in size):
            raise ValueError(f"Resize: size {list(size)} (expected ints > 0)")
        if max_size is not None and (len(size) != 1 or max_size <= size[0]):
            raise ValueError(
                f"Resize: max_size={max_size} (only for an int size, and it must be greater than the size {list(size)})"
            )
        self.size, self.max_size, self.antialias = [int(n) for n in size], max_size, antialias
        self.interpolation = _interpolation(interpolation)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(new height, new width) for an image of (height, width): torchvision's rule."""
        if len(self.size) == 2:
            return self.size[0], self.size[1]
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = self.size[0], int(self.size[0] * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_long, new_short) if width <= height else (new_short, new_long)

    def __call__(self, img: Any) -> Any:
        _check_image(img, "Resize")
        if _is_pil(img):
            size = self.output_size(img.size[1], img.size[0])
            if size == (img.size[1], img.size[0]):
                return img
            return img.resize((size[1], size[0]), _PIL_FILTERS[self.interpolation])
        size = self.output_size(*img.shape[-2:])
        if size == img.shape[-2:]:
            return img
        if self.interpolation.value not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
            raise ValueError(f"Resize: interpolation {self.interpolation.value!r} is for PIL images only, not tensors")
        return Tensor(resize_images(img.data, size, self.interpolation.value, antialias=bool(self.antialias)))

    def __repr__(self) -> str:
        size = self.size if len(self.size) == 2 else self.size[0]
        return (
            f"{type(self).__name__}(size={size}, interpolation={self.interpolation.value}, "
            f"max_size={self.max_size}, antialias={self.antialias})"
        )


def _ltrb(padding: Any) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from an int, (left/right, top/bottom) or (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return (int(padding),) * 4
    if not isinstance(padding, Sequence) or isinstance(padding, str):
        raise TypeError(f"Pad: got inappropriate padding arg {padding!r} (expected an int or a sequence of ints)")
    if len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in padding):
        raise TypeError(f"Pad: got inappropriate padding arg {padding!r} (expected ints)")
    padding = [int(n) for n in padding]
    if len(padding) == 1:
        return (padding[0],) * 4
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    return padding[0], padding[1], padding[2], padding[3]


def _pad(img: Any, ltrb: tuple[int, int, int, int], fill: Any, mode: str) -> Any:
    """``img`` padded by ``ltrb`` with :func:`minigen.data.transforms.pad_images` (PIL images as (H, W[, C]))."""
    if isinstance(fill, Sequence) and len(fill) == 1:
        fill = fill[0]
    if _is_pil(img):
        array = np.asarray(img)
        channel_axis = -1 if array.ndim == 3 else None
        return _pil_like(pad_images(array, ltrb, fill, mode, hw_axes=(0, 1), channel_axis=channel_axis), img)
    channel_axis = -3 if img.ndim >= 3 else None
    return Tensor(pad_images(img.data, ltrb, fill, mode, channel_axis=channel_axis))


class Pad:
    """Add ``padding`` pixels around the image: an int (every side), (left/right, top/bottom) or
    (left, top, right, bottom); ``padding_mode`` "constant" (``fill``), "edge", "reflect" or "symmetric"."""

    _batch_stages = ("tensor", "tensor")

    def __init__(self, padding: int | Sequence[int], fill: float | Sequence[float] = 0, padding_mode: str = "constant"):
        self.padding_ltrb = _ltrb(padding)
        if min(self.padding_ltrb) < 0:
            raise ValueError(f"Pad: padding {padding!r} (expected values >= 0)")
        if not isinstance(fill, numbers.Number | Sequence) or isinstance(fill, str):
            raise TypeError(f"Pad: got inappropriate fill arg {fill!r} (expected a number or a sequence of numbers)")
        if padding_mode not in PAD_MODES:
            raise ValueError(
                f"Padding mode should be either constant, edge, reflect or symmetric, got {padding_mode!r}"
            )
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img: Any) -> Any:
        _check_image(img, "Pad")
        return _pad(img, self.padding_ltrb, self.fill, self.padding_mode)

    def _batch(self, batch: Any) -> Any:
        fill = self.fill[0] if isinstance(self.fill, Sequence) and len(self.fill) == 1 else self.fill
        return pad_images(batch, self.padding_ltrb, fill, self.padding_mode, channel_axis=-3)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class CenterCrop:
    """Cut the central (h, w) = ``size`` (an int for a square); a smaller image is first padded with zeros."""

    _batch_stages = ("tensor", "tensor")

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _hw_size(size, "CenterCrop")

    def _box(self, height: int, width: int) -> tuple[int, int]:
        """(top, left) of the crop: torchvision's ``int(round((H - h) / 2))``, Python's rounding included."""
        return int(round((height - self.size[0]) / 2.0)), int(round((width - self.size[1]) / 2.0))

    def _grow(self, height: int, width: int) -> tuple[int, int, int, int] | None:
        """(left, top, right, bottom) zeros to add when the crop is larger than the image, else None."""
        grow_h, grow_w = max(self.size[0] - height, 0), max(self.size[1] - width, 0)
        return (grow_w // 2, grow_h // 2, (grow_w + 1) // 2, (grow_h + 1) // 2) if grow_h or grow_w else None

    def __call__(self, img: Any) -> Any:
        _check_image(img, "CenterCrop")
        if not _is_pil(img):
            return Tensor(self._batch(img.data))
        grow = self._grow(img.size[1], img.size[0])
        if grow is not None:
            img = _pad(img, grow, 0, "constant")
        top, left = self._box(img.size[1], img.size[0])
        return img.crop((left, top, left + self.size[1], top + self.size[0]))

    def _batch(self, batch: Any) -> Any:
        """The crop of arrays (..., H, W): padded first (:func:`pad_images`) when the crop is larger."""
        grow = self._grow(*batch.shape[-2:])
        if grow is not None:
            batch = pad_images(batch, grow, 0, "constant")
        top, left = self._box(*batch.shape[-2:])
        return batch[..., top : top + self.size[0], left : left + self.size[1]]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``; one draw per call from minigen's host generator."""

    _flip = Image.Transpose.FLIP_LEFT_RIGHT
    _axis = -1

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        _check_image(img, type(self).__name__)
        if not host_generator().random() < self.p:
            return img
        if _is_pil(img):
            return img.transpose(self._flip)
        return Tensor(backend.get_array_module(img.data).flip(img.data, axis=self._axis).copy())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p``; one draw per call from minigen's host generator."""

    _flip = Image.Transpose.FLIP_TOP_BOTTOM
    _axis = -2


# ----------------------------------------------------------------------------------------------- colour


class Grayscale:
    """RGB to grey (:func:`minigen.data.transforms.rgb_to_grey` on tensors, Pillow's "L" on images), with 1 or 3
    output channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels should be either 1 or 3, got {num_output_channels!r}")
        self.num_output_channels = num_output_channels

    def __call__(self, img: Any) -> Any:
        _check_image(img, "Grayscale", tensor_ndim=3)
        if _is_pil(img):
            grey = img.convert("L")
            return Image.merge("RGB", (grey, grey, grey)) if self.num_output_channels == 3 else grey
        channels = img.shape[-3]
        if channels not in (1, 3):
            raise TypeError(f"Grayscale: input image tensor permitted channel values are [1, 3], but found {channels}")
        grey = rgb_to_grey(img.data) if channels == 3 else img.data.copy()
        if self.num_output_channels == 3:
            xp = backend.get_array_module(grey)
            grey = xp.ascontiguousarray(xp.broadcast_to(grey, (*grey.shape[:-3], 3, *grey.shape[-2:])))
        return Tensor(grey)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


# ----------------------------------------------------------------------------------------------- whole batches


def _steps(transform: Any) -> list[Any]:
    if isinstance(transform, Compose):
        return [step for inner in transform.transforms for step in _steps(inner)]
    return [transform]


def batched(transform: Any) -> Callable[[Any], Any] | None:
    """``transform`` as one function on a batch of pixels (B, H, W, C) -> (B, C, H, W), or None if it cannot be.

    It can when it is made only of transforms that declare a batch form (``ToTensor``, ``PILToTensor``, then any
    of ``Normalize``, ``Pad``, ``CenterCrop``) and ends with a tensor; each image of the result equals what the
    transform makes of that image alone, bit for bit.
    """
    steps = _steps(transform)
    stage = "pil"
    for step in steps:
        stages = getattr(type(step), "_batch_stages", None)
        if stages is None or stages[0] != stage:
            return None
        stage = stages[1]
    if stage != "tensor":
        return None

    def run(batch: Any) -> Any:
        for step in steps:
            batch = step._batch(batch)
        return batch

    return run
