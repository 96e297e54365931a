"""Tensor factories with PyTorch's names, signatures and dtypes: ``zeros``, ``full``, ``arange``, ``eye``, ...

Each makes its array with the device's own array module (``xp.zeros`` on the GPU, no trip
through the host) and wraps it in a leaf :class:`Tensor`. The dtype rules are PyTorch's:
float factories give float32 (:func:`minigen.get_default_dtype`), ``full(size, 7)`` gives int64,
``full(size, True)`` bool, ``arange`` int64 when start, end and step are all ints. A size is given
as ``zeros(2, 3)`` or ``zeros((2, 3))``. Random factories (``randn``, ``randint``, ...) are in
``minigen.random``; ``minigen.tensor`` is in ``minigen.tensor``.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

import numpy

from minigen import backend
from minigen.dtypes import get_default_dtype
from minigen.tensor import Tensor

__all__ = [
    "arange", "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full", "full_like", "is_tensor",
    "linspace", "numel", "ones", "ones_like", "zeros", "zeros_like",
]  # fmt: skip


def size_of(size: tuple[Any, ...], function: str) -> tuple[int, ...]:
    """``(2, 3)`` from ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``; each size an int >= 0, as in PyTorch."""
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    try:
        shape = tuple(operator.index(n) for n in size)
    except TypeError:
        raise TypeError(f"{function}: the size must be ints, got {size!r}") from None
    if any(isinstance(n, bool) for n in size) or any(n < 0 for n in shape):
        raise ValueError(f"{function}: the size must be ints >= 0, got {size!r}")
    return shape


def finish(array: Any, requires_grad: bool, function: str) -> Tensor:
    """``array`` as a new leaf tensor; only floating-point tensors may require gradients (as in PyTorch)."""
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"{function}: only floating-point tensors can require gradients, got dtype {array.dtype}")
    return Tensor(array, requires_grad=requires_grad)


def _xp(device: Any) -> Any:
    return backend.get_device("cpu" if device is None else device).xp


def _dtype(dtype: Any) -> numpy.dtype:
    return get_default_dtype() if dtype is None else numpy.dtype(dtype)


# ------------------------------------------------------------------ from data
def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing its memory when it already has the dtype and device asked (torch.as_tensor).

    A Tensor that already matches is returned as it is; a NumPy/CuPy array that matches is wrapped without a copy.
    """
    if isinstance(data, Tensor):
        same_dtype = dtype is None or numpy.dtype(dtype) == data.dtype
        same_device = device is None or backend.get_device(device) is backend.device_of(data.data)
        if same_dtype and same_device:
            return data
        data = data.data
    return Tensor(backend.as_array(data, dtype=dtype, device=device))


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A CPU tensor sharing ``array``'s memory (torch.from_numpy): writes to one show in the other."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: an array of dtype {array.dtype} is not numbers; expected bool, int or float")
    return Tensor(array)


# ------------------------------------------------------------------ constant fills
def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, float32 unless ``dtype`` says otherwise; ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return finish(_xp(device).zeros(size_of(size, "zeros"), dtype=_dtype(dtype)), requires_grad, "zeros")


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones, float32 unless ``dtype`` says otherwise; ``ones(2, 3)`` or ``ones((2, 3))``."""
    return finish(_xp(device).ones(size_of(size, "ones"), dtype=_dtype(dtype)), requires_grad, "ones")


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor whose values are whatever the memory held (fill it before reading it), float32 by default."""
    return finish(_xp(device).empty(size_of(size, "empty"), dtype=_dtype(dtype)), requires_grad, "empty")


def fill_dtype(fill_value: Any) -> numpy.dtype:
    """PyTorch's dtype for ``full(size, fill_value)``: bool for a bool, int64 for an int, else float32."""
    if isinstance(fill_value, bool | numpy.bool_):
        return numpy.dtype(bool)
    if isinstance(fill_value, numbers.Integral):
        return numpy.dtype(numpy.int64)
    if isinstance(fill_value, numbers.Real):
        return get_default_dtype()
    raise TypeError(f"full: fill_value must be a real number or a bool, got {type(fill_value).__name__}")


def _scalar(value: Any, function: str) -> Any:
    """A Python number from a number, a 0-d array or a one-element Tensor."""
    if isinstance(value, Tensor):
        value = value.item()
    elif backend.device_of(value) is not None:
        if value.size != 1:
            raise ValueError(f"{function}: expected a number, got an array of shape {value.shape}")
        value = value.item()
    return value


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (torch.full).

    Without ``dtype``: bool for a bool, int64 for an int, float32 for a float, as PyTorch infers it.
    """
    fill_value = _scalar(fill_value, "full")
    dtype = fill_dtype(fill_value) if dtype is None else numpy.dtype(dtype)
    shape = size_of((size,) if not isinstance(size, tuple | list) else tuple(size), "full")
    return finish(_xp(device).full(shape, fill_value, dtype=dtype), requires_grad, "full")


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m = n by default), float32 unless ``dtype`` says otherwise."""
    n, m = size_of((n, n if m is None else m), "eye")
    return finish(_xp(device).eye(n, m, dtype=_dtype(dtype)), requires_grad, "eye")


# ------------------------------------------------------------------ ranges
def arange(
    start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Values from ``start`` (default 0) up to ``end`` (excluded) by ``step`` (torch.arange).

    int64 when start, end and step are all ints, else float32; ``arange(5)`` is 0..4. As in PyTorch,
    the length is ceil((end - start) / step) and value i is start + i * step, computed in float64 (PyTorch fuses
    that multiply-add where the CPU can, so a value that cancels to about 0 may differ by 1e-17).
    """
    if end is None:
        start, end = 0, start
    start, end, step = (_scalar(value, "arange") for value in (start, end, step))
    for value in (start, end, step):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"arange: start, end and step must be numbers, got {value!r}")
    all_ints = all(isinstance(value, numbers.Integral) for value in (start, end, step))
    dtype = (numpy.dtype(numpy.int64) if all_ints else get_default_dtype()) if dtype is None else numpy.dtype(dtype)
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if not all(math.isfinite(value) for value in (start, end)):
        raise ValueError(f"arange: start and end must be finite, got {start} and {end}")
    if (end - start) * step < 0:
        raise ValueError(f"arange: the bounds {start} and {end} are inconsistent with the sign of step {step}")
    if all_ints:
        host = numpy.arange(int(start), int(end), int(step), dtype=numpy.int64)
    else:
        length = math.ceil((float(end) - float(start)) / float(step))
        host = float(start) + float(step) * numpy.arange(length, dtype=numpy.float64)
    return finish(backend.to_device(host.astype(dtype, copy=False), device or "cpu"), requires_grad, "arange")


def linspace(
    start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (torch.linspace), float32 by default.

    As PyTorch: the first half counts up from ``start``, the second half down from ``end``, so both ends are exact.
    Values equal PyTorch's (to the last bit where its CPU fuses multiply-adds, as x86-64 ones with FMA do).
    """
    start, end = _scalar(start, "linspace"), _scalar(end, "linspace")
    (steps,) = size_of((steps,), "linspace")
    dtype = _dtype(dtype)
    # PyTorch rounds start, end and step to a float output's dtype, then multiplies and adds in one fused step;
    # float64 arithmetic on those rounded values does the same for float32 (an integer output works in float64)
    work = dtype if dtype.kind == "f" else numpy.dtype(numpy.float64)
    first, last = dtype.type(start), dtype.type(end)  # an integer output truncates the ends first, as PyTorch
    step = numpy.float64(work.type(last - first) / work.type(max(steps - 1, 1)))
    index = numpy.arange(steps, dtype=numpy.float64)
    first, last = numpy.float64(first), numpy.float64(last)
    host = numpy.where(index < steps // 2, first + step * index, last - step * (steps - 1 - index))
    if steps == 1:
        host[0] = first  # the one value is start, as in PyTorch
    return finish(backend.to_device(host.astype(dtype), device or "cpu"), requires_grad, "linspace")


# ------------------------------------------------------------------ like another tensor
def _like(input: Tensor, dtype: Any, device: Any) -> tuple[numpy.dtype, Any]:
    return (input.dtype if dtype is None else numpy.dtype(dtype)), (input.device if device is None else device)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``input``'s shape, dtype and device (each may be overridden)."""
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with ``input``'s shape, dtype and device (each may be overridden)."""
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An unfilled tensor with ``input``'s shape, dtype and device (each may be overridden)."""
    dtype, device = _like(input, dtype, device)
    return empty(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(
    input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape, dtype and device (each may be overridden)."""
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


# ------------------------------------------------------------------ questions
def is_tensor(obj: Any) -> bool:
    """True for a minigen Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    return math.prod(input.shape)
