"""PyTorch's dtype names (``minigen.float32``, ``minigen.long``, ...), as NumPy dtypes.

A minigen tensor's ``dtype`` is its array's NumPy dtype, so ``x.dtype == minigen.float32`` and
``minigen.zeros(3, dtype=minigen.long)`` work as in PyTorch, and NumPy's names ("float32",
``numpy.float32``) are accepted wherever a dtype is. The aliases ``float``, ``double``, ``long``,
``int``, ``half`` and ``bool`` are PyTorch's (``minigen.float`` is float32, ``minigen.int`` int32);
they shadow the builtins only as attributes of the package, as ``torch.float`` does.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy

__all__ = [
    "bool", "double", "dtype", "finfo", "float", "float16", "float32", "float64", "get_default_dtype", "half",
    "iinfo", "int", "int8", "int16", "int32", "int64", "is_floating_point", "long", "short", "uint8",
]  # fmt: skip

dtype = numpy.dtype  # isinstance(x.dtype, minigen.dtype)
finfo, iinfo = numpy.finfo, numpy.iinfo  # minigen.finfo(minigen.float32).eps

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool = numpy.dtype("bool")  # noqa: A001 - PyTorch's names
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

_DEFAULT = float32  # minigen computes in float32 unless told otherwise


def get_default_dtype() -> numpy.dtype:
    """float32: the dtype of tensors made from Python floats and of random and float factories."""
    return _DEFAULT


def is_floating_point(input: Any) -> builtins.bool:  # noqa: A002 - PyTorch's name
    """True when ``input``'s dtype is a floating-point one (float16/32/64)."""
    return numpy.dtype(input.dtype).kind == "f"
