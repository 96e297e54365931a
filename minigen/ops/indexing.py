"""Indexing and selection: ``x[index]`` and ``where``."""

from __future__ import annotations

from typing import Any

from minigen import backend
from minigen.ops.broadcasting import unbroadcast
from minigen.tensor import Function, Tensor


def _as_index(index: Any) -> Any:
    """Unwrap Tensors inside an index (x[labels] with a Tensor of labels)."""
    if isinstance(index, tuple):
        return tuple(_as_index(i) for i in index)
    return index.data if isinstance(index, Tensor) else index


def _lists_to_arrays(index: Any, xp: Any) -> Any:
    """Python lists inside an index become arrays of the tensor's module."""
    if isinstance(index, tuple):
        return tuple(_lists_to_arrays(i, xp) for i in index)
    return xp.asarray(index) if isinstance(index, list) else index


def _is_advanced(index: Any) -> bool:
    """True when the index holds an integer or boolean array (repeats are possible)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(backend.device_of(p) is not None for p in parts)


class GetItem(Function):
    """y = x[index]. dL/dx = zeros with dL/dy added at ``index``; repeated indices accumulate."""

    def __init__(self, index: Any) -> None:
        self.index = _as_index(index)

    def forward(self, x: Any) -> Any:
        self.input_shape, self.dtype = x.shape, x.dtype
        self.index = _lists_to_arrays(self.index, self.xp)
        return x[self.index]

    def backward(self, grad: Any) -> Any:
        grad_x = self.xp.zeros(self.input_shape, dtype=self.dtype)
        if _is_advanced(self.index):
            backend.scatter_add(grad_x, self.index, grad)
        else:  # slices and integers pick each element at most once
            grad_x[self.index] = grad
        return grad_x


class Where(Function):
    """y = a where condition else b. dL/da = dL/dy where condition, dL/db = dL/dy elsewhere."""

    def __init__(self, condition: Any) -> None:
        self.condition = condition.data if isinstance(condition, Tensor) else condition

    def forward(self, a: Any, b: Any) -> Any:
        self.a_shape, self.b_shape = a.shape, b.shape
        return self.xp.where(self.condition, a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        zero = self.xp.zeros((), dtype=grad.dtype)
        grad_a = self.xp.where(self.condition, grad, zero)
        return unbroadcast(grad_a, self.a_shape), unbroadcast(grad - grad_a, self.b_shape)


def getitem(x: Tensor, index: Any) -> Tensor:
    """x[index] with slices, integers, and integer or boolean arrays (NumPy semantics)."""
    return GetItem(index)(x)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a if condition else b``; ``condition`` is a boolean array or Tensor."""
    return Where(condition)(a, b)
