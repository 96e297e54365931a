"""A test-only "strict" device: NumPy underneath, but as unforgiving as CuPy.

The classic GPU bug in a NumPy/CuPy engine is a hidden host/device conversion:
``np.asarray(x)`` or ``np.exp(x)`` applied to an array that came from a tensor.
On the CPU it silently works; on CUDA it raises (or copies to the host every step).
CI has no GPU, so the suite also runs on this device, whose arrays

* are :class:`StrictArray`, a wrapper around an ndarray that is *not* an ndarray;
* refuse implicit conversion (``__array__``: ``np.asarray(x)``, plotting, ...), as CuPy does;
* refuse every NumPy function or ufunc called on them (``__array_function__``,
  ``__array_ufunc__``). Here the strict device is stricter than CuPy, which
  dispatches ``np.exp(cupy_array)`` to ``cupy.exp``: minigen's rule is to write
  ``xp.exp`` so that the code says which module runs it, and this enforces the rule;
* refuse to be mixed with NumPy arrays in an operator, as CuPy does;
* turn NumPy scalars into 0-d arrays, as CuPy's reductions return 0-d arrays;
* refuse what cupy.ndarray lacks: ``__index__`` (``range(x)``, ``a_list[x]``), the NumPy-only
  methods in ``_NUMPY_ONLY`` (``resize``, ``setflags``, ...) and an in-place ``@=``.

Where CuPy copies a host array to the device without being asked, this device refuses
(stricter, so that CI sees the hidden transfer): ``x[...] = numpy_array`` and ``xp.exp(numpy_array)``.
NumPy arrays inside an index (``x[numpy_indices]``) are accepted, as CuPy accepts them.

Its array module ``strict_xp`` mirrors the ``numpy`` namespace: ``strict_xp.exp``,
``strict_xp.add.at``, ``strict_xp.random.default_rng(0).standard_normal``,
``strict_xp.lib.stride_tricks.sliding_window_view`` take and return StrictArrays.
Only code that writes ``xp.`` (the array module of its inputs) works on it.
"""

from __future__ import annotations

import operator
import types
from typing import Any

import numpy

from minigen.backend import Device

__all__ = ["STRICT", "StrictArray", "strict_xp"]

_REFUSAL = "Implicit conversion to a NumPy array is not allowed (strict device: use xp., backend.to_numpy or .numpy())"


def _unwrap(value: Any) -> Any:
    """StrictArrays (also inside tuples, lists and dicts) become their ndarrays, to call NumPy."""
    if isinstance(value, StrictArray):
        return value._array
    if isinstance(value, tuple | list):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value: Any) -> Any:
    """NumPy results back on the strict device: arrays and NumPy scalars become StrictArrays."""
    if isinstance(value, numpy.ndarray):
        return StrictArray(value)
    if isinstance(value, numpy.generic):
        return StrictArray(numpy.asarray(value))  # CuPy returns 0-d arrays, not scalars
    if isinstance(value, tuple | list):
        return type(value)(_wrap(v) for v in value)
    if isinstance(value, numpy.random.Generator):
        return _Namespace(value)
    return value


def _holds_host_array(value: Any) -> bool:
    if isinstance(value, numpy.ndarray):
        return True
    if isinstance(value, tuple | list):
        return any(_holds_host_array(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_host_array(v) for v in value.values())
    return False


def _strict_call(function: Any, accepts_host_arrays: bool = False) -> Any:
    """``function`` taking and returning StrictArrays instead of ndarrays.

    Like CuPy's functions it refuses NumPy arrays (host arrays), except for the
    constructors (``asarray``, ``array``) that copy them to the device.
    """

    def call(*args: Any, **kwargs: Any) -> Any:
        if not accepts_host_arrays and _holds_host_array((args, kwargs)):
            name = getattr(function, "__name__", "function")
            raise TypeError(f"strict device: xp.{name} got a numpy.ndarray (host array); move it to the device first")
        return _wrap(function(*_unwrap(args), **_unwrap(kwargs)))

    call.__name__ = getattr(function, "__name__", "function")
    call.__doc__ = getattr(function, "__doc__", None)
    return call


def _operand(value: Any, op: str) -> Any:
    """The other operand of an operator; NumPy arrays are refused, as CuPy refuses them."""
    if isinstance(value, StrictArray):
        return value._array
    if isinstance(value, numpy.ndarray):
        raise TypeError(f"strict device: operator {op} between a strict array and a numpy.ndarray (host array)")
    return value


# Methods and attributes of numpy.ndarray that cupy.ndarray does not have (CuPy 14): refused here too.
_NUMPY_ONLY = frozenset({"ctypes", "getfield", "resize", "setfield", "setflags", "to_device"})


class StrictArray:
    """An array on the strict device: every method of ndarray, none of its implicit conversions."""

    __slots__ = ("_array",)
    __hash__ = None  # == is elementwise

    def __init__(self, array: numpy.ndarray) -> None:
        if not isinstance(array, numpy.ndarray):
            raise TypeError(f"StrictArray wraps a numpy.ndarray, got {type(array).__name__}")
        self._array = array

    # NumPy may not see inside: __array__ fails as on CuPy; the other two enforce writing xp. (CuPy would dispatch).
    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(_REFUSAL)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise TypeError(f"numpy.{func.__name__} called on a strict-device array; use xp.{func.__name__}")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        raise TypeError(f"numpy.{ufunc.__name__} called on a strict-device array; use xp.{ufunc.__name__}")

    # Attributes and methods (shape, dtype, sum, reshape, astype, T, ...) are the ndarray's, wrapped.
    def __getattr__(self, name: str) -> Any:
        if name == "_array" or name.startswith("__"):
            # _array: not yet set (during copy or unpickling). Dunders: NumPy would read the data
            # through __array_interface__ / __array_struct__ / __dlpack__ behind our back.
            raise AttributeError(f"StrictArray has no attribute {name!r}")
        if name in _NUMPY_ONLY:
            raise AttributeError(f"strict device: ndarray.{name} has no CuPy counterpart (cupy.ndarray lacks it)")
        attribute = getattr(self._array, name)
        return _strict_call(attribute) if callable(attribute) else _wrap(attribute)

    def __repr__(self) -> str:
        return f"StrictArray({self._array!r})"

    def __len__(self) -> int:
        return len(self._array)

    def __iter__(self) -> Any:
        return (_wrap(row) for row in self._array)

    def __getitem__(self, index: Any) -> Any:
        return _wrap(self._array[_unwrap(index)])

    def __setitem__(self, index: Any, value: Any) -> None:
        self._array[_unwrap(index)] = _operand(value, "[]=")

    # Conversions to Python numbers are explicit and allowed (CuPy allows them too).
    def __bool__(self) -> bool:
        return bool(self._array)

    def __float__(self) -> float:
        return float(self._array)

    def __int__(self) -> int:
        return int(self._array)

    def __index__(self) -> int:
        # CuPy's ndarray has no __index__: range(x), a_list[x] or numpy_array[x] with a device array raise there.
        raise TypeError("strict device: a device array is not a Python index (CuPy refuses it too); use int(x)")


def _defers(other: Any) -> bool:
    """Objects that opt out of NumPy's operators (a Tensor: ``__array_ufunc__ = None``) get the reflected call."""
    return getattr(type(other), "__array_ufunc__", False) is None


def _binary(op: Any, symbol: str) -> Any:
    def method(self: StrictArray, other: Any) -> Any:
        return NotImplemented if _defers(other) else _wrap(op(self._array, _operand(other, symbol)))

    return method


def _reflected(op: Any, symbol: str) -> Any:
    def method(self: StrictArray, other: Any) -> Any:
        return NotImplemented if _defers(other) else _wrap(op(_operand(other, symbol), self._array))

    return method


def _inplace(op: Any, symbol: str) -> Any:
    def method(self: StrictArray, other: Any) -> StrictArray:
        self._array = op(self._array, _operand(other, symbol))  # op is e.g. operator.iadd: in place
        return self

    return method


_BINARY = {
    "add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%", "pow": "**",
    "matmul": "@", "and": "&", "or": "|", "xor": "^", "lshift": "<<", "rshift": ">>",
}  # fmt: skip
for _name, _symbol in _BINARY.items():
    setattr(StrictArray, f"__{_name}__", _binary(getattr(operator, f"__{_name}__"), _symbol))
    setattr(StrictArray, f"__r{_name}__", _reflected(getattr(operator, f"__{_name}__"), _symbol))
    if _name != "matmul":  # cupy.ndarray has no __imatmul__: x @= y rebinds x to x @ y there, so here too
        setattr(StrictArray, f"__i{_name}__", _inplace(getattr(operator, f"__i{_name}__"), _symbol + "="))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(StrictArray, f"__{_name}__", _binary(getattr(operator, f"__{_name}__"), _name))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(StrictArray, f"__{_name}__", (lambda op: lambda self: _wrap(op(self._array)))(getattr(operator, _name)))


class _Ufunc:
    """A NumPy ufunc on strict arrays, with its methods (``strict_xp.add.at``, ``.reduce``)."""

    def __init__(self, ufunc: numpy.ufunc) -> None:
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _strict_call(self._ufunc)(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._ufunc, name)
        return _strict_call(attribute) if callable(attribute) else attribute


class _Namespace:
    """A module (numpy, numpy.random, numpy.lib.stride_tricks, ...) or object whose functions
    take and return strict arrays. Types (dtypes such as ``float32``) pass through unchanged."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __repr__(self) -> str:
        return f"<strict {self._target!r}>"

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if attribute is numpy.ndarray:
            return StrictArray  # isinstance(x, xp.ndarray) means "an array of this device"
        if isinstance(attribute, types.ModuleType):
            return _Namespace(attribute)
        if isinstance(attribute, numpy.ufunc):
            return _Ufunc(attribute)
        if isinstance(attribute, type):
            return attribute  # float32, dtype, finfo, ... are the same on every device
        if callable(attribute):
            return _strict_call(attribute, accepts_host_arrays=name in _CONSTRUCTORS)
        return _wrap(attribute)


_CONSTRUCTORS = {"array", "asarray", "asanyarray", "ascontiguousarray"}
strict_xp = _Namespace(numpy)

STRICT = Device(
    name="strict",
    xp=strict_xp,
    array_type=StrictArray,
    from_host=lambda array: StrictArray(numpy.array(array)),  # a copy, as cupy.asarray copies to the GPU
    to_host=lambda array: array._array.copy(),  # a copy, as cupy.asnumpy
    scatter_add=strict_xp.add.at,
)
