"""Resizing images: torch.nn.functional.interpolate's 'nearest', 'nearest-exact' and 'bilinear' modes.

Both axes are resized independently (the interpolation is separable). Along one axis of
n_in -> n_out pixels, output o reads input i0[o] with weight l0[o] and input i1[o] with
weight l1[o] (nearest: l0 = 1, l1 = 0). Written as an (n_out, n_in) matrix per axis,
A for the height and B for the width,

    y = A x B^T        dL/dx = A^T g B

The forward gathers those pixels (a fancy-indexed read per axis: exact, and an inf or nan
stays where it is, as in PyTorch); the backward is the adjoint, two small matmuls with the
matrices (which add each output's gradient onto the pixels it read).

PyTorch's source positions, per axis, with scale = 1 / scale_factor when a scale_factor is
given (and not recomputed), else n_in / n_out:

    nearest         i = min(floor(o * scale), n_in - 1)            (in float32, as PyTorch)
    nearest-exact   i = min(floor((o + 0.5) * scale), n_in - 1)
    bilinear        s = max((o + 0.5) * scale - 0.5, 0)            (align_corners=False)
                    s = o * (n_in - 1) / (n_out - 1)               (align_corners=True)
                    i0 = floor(s), i1 = min(i0 + 1, n_in - 1), l1 = s - i0, l0 = 1 - l1

and an axis whose size does not change is copied as it is.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy

from minigen.tensor import Function, Tensor, linear_backward_graph

_MODES = ("nearest", "nearest-exact", "bilinear")
_PYTORCH_MODES = (*_MODES, "linear", "bicubic", "trilinear", "area")


def _scale(n_in: int, n_out: int, scale_factor: float | None, dtype: Any) -> float:
    """PyTorch's compute_scales_value: 1 / scale_factor if given, else n_in / n_out, in ``dtype``."""
    kind = numpy.dtype(dtype).type
    if scale_factor is not None and scale_factor > 0:
        return float(kind(1.0 / scale_factor))
    return float(kind(n_in) / kind(n_out))


def _axis(xp: Any, n_in: int, n_out: int, scale_factor: float | None, mode: str, align_corners: bool,
          dtype: Any) -> tuple[Any, Any, Any, Any]:  # fmt: skip
    """(i0, i1, l0, l1) for one axis: output o = l0[o] * x[i0[o]] + l1[o] * x[i1[o]]."""
    if n_out == n_in:  # PyTorch copies an axis whose size does not change, whatever the scale_factor
        index = xp.arange(n_out)
        return index, index, xp.ones(n_out, dtype=dtype), xp.zeros(n_out, dtype=dtype)
    if mode == "bilinear":
        if align_corners:
            ratio = numpy.dtype(dtype).type(n_in - 1) / numpy.dtype(dtype).type(n_out - 1) if n_out > 1 else 0.0
            source = xp.arange(n_out, dtype=dtype) * float(ratio)
        else:
            scale = _scale(n_in, n_out, scale_factor, dtype)
            source = xp.maximum((xp.arange(n_out, dtype=dtype) + 0.5) * scale - 0.5, 0)
        i0 = xp.minimum(xp.floor(source).astype("int64"), n_in - 1)
        l1 = xp.clip(source - i0.astype(dtype), 0, 1)
        return i0, xp.minimum(i0 + 1, n_in - 1), 1 - l1, l1
    # nearest modes: PyTorch computes the source position in float32 whatever the dtype
    scale = _scale(n_in, n_out, scale_factor, numpy.float32)
    position = xp.arange(n_out, dtype="float32")
    if mode == "nearest-exact":
        position = position + 0.5
    index = xp.minimum(xp.floor(position * scale).astype("int64"), n_in - 1)
    return index, index, xp.ones(n_out, dtype=dtype), xp.zeros(n_out, dtype=dtype)


def _matrix(xp: Any, n_in: int, i0: Any, i1: Any, l0: Any, l1: Any) -> Any:
    """The (n_out, n_in) interpolation matrix of one axis: row o holds l0[o] at i0[o] and l1[o] at i1[o]."""
    columns = xp.arange(n_in)
    return (columns == i0[:, None]) * l0[:, None] + (columns == i1[:, None]) * l1[:, None]


class Interpolate(Function):
    """y = A x B^T (gathered, see the module docstring). dL/dx = A^T g B."""

    saves_inputs = False

    def __init__(self, size: tuple[int, int], scale_factor: tuple[float | None, float | None], mode: str,
                 align_corners: bool) -> None:  # fmt: skip
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x: Any) -> Any:
        xp, dtype = self.xp, x.dtype
        self.input_size = x.shape[2:]
        self.axes = [
            _axis(xp, n_in, n_out, scale, self.mode, self.align_corners, dtype)
            for n_in, n_out, scale in zip(self.input_size, self.size, self.scale_factor)
        ]
        (h0, h1, hl0, hl1), (w0, w1, wl0, wl1) = self.axes
        if self.mode != "bilinear":  # one gather: output (oh, ow) is x[h0[oh], w0[ow]]
            return x[:, :, h0[:, None], w0]
        rows = x[..., w0] * wl0 + x[..., w1] * wl1  # (N, C, H, OW): the width first, then the height, as PyTorch
        return rows[:, :, h0] * hl0[:, None] + rows[:, :, h1] * hl1[:, None]

    def backward(self, grad: Any) -> Any:
        (height, width), xp = self.input_size, self.xp
        a, b = (_matrix(xp, n, *axis).astype(grad.dtype) for n, axis in zip((height, width), self.axes))
        return a.T @ (grad @ b)  # (H, OH) @ (N, C, OH, OW) @ (OW, W), broadcast over N and C

    backward_graph = linear_backward_graph  # interpolation is linear in x


def _pair_of(value: Any, name: str, kind: type, check: Any) -> tuple[Any, Any]:
    """``value`` (one number, or one per spatial axis) as a pair, each passing ``check``."""
    values = tuple(value) if isinstance(value, Sequence) else (value, value)
    if len(values) != 2 or not all(isinstance(v, kind) and not isinstance(v, bool) and check(v) for v in values):
        raise ValueError(f"interpolate: {name} must be one positive number or two (height, width), got {value!r}")
    return values  # type: ignore[return-value]


def interpolate(
    input: Tensor,  # noqa: A002 - PyTorch's name
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize ``input`` (N, C, H, W) to ``size`` (OH, OW) or by ``scale_factor``, as torch.nn.functional.interpolate.

    Modes 'nearest' (PyTorch's default, floor of o * scale), 'nearest-exact' (rounds to the nearest
    centre) and 'bilinear' (with ``align_corners`` False, the default, or True). With a scale_factor,
    OH = floor(H * scale_factor), and the scale_factor itself places the samples unless
    ``recompute_scale_factor=True`` (then H / OH does), as in PyTorch. Differentiable.
    """
    if mode not in _PYTORCH_MODES:
        raise ValueError(f"interpolate: mode must be one of {_PYTORCH_MODES}, got {mode!r}")
    if input.ndim != 4:
        raise ValueError(f"interpolate: input must be 4-D (N, C, H, W), got shape {input.shape}")
    if mode in ("linear", "trilinear"):
        raise NotImplementedError(f"interpolate: got 4-D input, but mode {mode!r} needs 3-D (linear) or 5-D input")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented; use one of {_MODES}")
    if align_corners is not None and mode != "bilinear":
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear"
            f" (got mode {mode!r})"
        )
    if antialias:
        if mode != "bilinear":
            raise ValueError(f"interpolate: antialias=True is restricted to bilinear mode here, got mode {mode!r}")
        raise NotImplementedError("interpolate: antialias=True is not implemented")
    if (size is None) == (scale_factor is None):
        raise ValueError(
            "interpolate: only one of size or scale_factor should be defined"
            if size is not None
            else "interpolate: either size or scale_factor should be defined"
        )
    if recompute_scale_factor and size is not None:
        raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size")
    if size is not None:
        out_size = _pair_of(size, "size", numbers.Integral, lambda v: v > 0)
        scales: tuple[float | None, float | None] = (None, None)
    else:
        scales = _pair_of(scale_factor, "scale_factor", numbers.Real, lambda v: v > 0 and math.isfinite(v))
        out_size = tuple(math.floor(n * float(s)) for n, s in zip(input.shape[2:], scales))  # type: ignore[assignment]
        scales = (None, None) if recompute_scale_factor else tuple(float(s) for s in scales)  # type: ignore[assignment]
        if min(out_size) < 1:
            raise ValueError(
                f"interpolate: input of shape {input.shape} with scale_factor {scale_factor!r} gives output size "
                f"{out_size}; expected sizes greater than 0"
            )
    out_size = (int(out_size[0]), int(out_size[1]))
    return Interpolate(out_size, scales, mode, bool(align_corners))(input)
