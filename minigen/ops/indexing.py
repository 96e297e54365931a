"""Indexing and selection: ``x[index]`` and ``where``."""

from __future__ import annotations

import numbers
from typing import Any

from minigen import backend
from minigen.ops.broadcasting import unbroadcast
from minigen.tensor import Function, Tensor


def _as_index(index: Any) -> Any:
    """Unwrap Tensors inside an index (x[labels] with a Tensor of labels)."""
    if isinstance(index, tuple):
        return tuple(_as_index(i) for i in index)
    return index.data if isinstance(index, Tensor) else index


def _index_on_device(index: Any, device: backend.Device) -> Any:
    """Lists and arrays inside an index become arrays on the tensor's device.

    Like PyTorch, a CUDA tensor may be indexed with host (NumPy) integer arrays,
    such as labels: they are copied to the GPU once here.
    """
    if isinstance(index, tuple):
        return tuple(_index_on_device(i, device) for i in index)
    if isinstance(index, list):
        return device.xp.asarray(index)
    if backend.device_of(index) not in (None, device):
        return backend.to_device(index, device)
    return index


def _has_integer_array(index: Any) -> bool:
    """True when the index holds an integer array, so an element may be picked more than once."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(backend.device_of(p) is not None and p.dtype.kind in "iu" for p in parts)


class GetItem(Function):
    """y = x[index]. dL/dx = zeros with dL/dy added at ``index``; repeated indices accumulate."""

    saves_inputs = False

    def __init__(self, index: Any) -> None:
        self.index = _as_index(index)

    def forward(self, x: Any) -> Any:
        self.input_shape, self.dtype = x.shape, x.dtype
        self.index = _index_on_device(self.index, backend.device_of(x))
        return x[self.index]

    def backward(self, grad: Any) -> Any:
        return scatter_add(grad, self.index, self.input_shape, self.dtype)

    def backward_graph(self, grad: Tensor) -> Tensor:
        return IndexAdd(self.index, self.input_shape, self.dtype)(grad)


def scatter_add(grad: Any, index: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """Zeros of ``shape`` with ``grad`` added at ``[index]``; repeated indices accumulate."""
    result = backend.get_array_module(grad).zeros(shape, dtype=dtype)
    if _has_integer_array(index):
        backend.scatter_add(result, index, grad)
    else:  # slices, integers and boolean masks pick each element at most once
        result[index] = grad
    return result


class IndexAdd(Function):
    """y = zeros of ``shape`` with g added at ``[index]``: GetItem's backward as an op of its own, for
    ``create_graph=True``. It is linear, and its adjoint is GetItem: dL/dg = dL/dy[index]."""

    saves_inputs = False

    def __init__(self, index: Any, shape: tuple[int, ...], dtype: Any) -> None:
        self.index, self.shape, self.dtype = index, shape, dtype

    def forward(self, grad: Any) -> Any:
        self.index = _index_on_device(self.index, backend.device_of(grad))
        return scatter_add(grad, self.index, self.shape, self.dtype)

    def backward(self, grad: Any) -> Any:
        return grad[self.index]

    def backward_graph(self, grad: Tensor) -> Tensor:
        return GetItem(self.index)(grad)


class Where(Function):
    """y = a where condition else b. dL/da = dL/dy where condition, dL/db = dL/dy elsewhere."""

    saves_inputs = False

    def __init__(self, condition: Any) -> None:
        self.condition = condition.data if isinstance(condition, Tensor) else condition

    def forward(self, a: Any, b: Any) -> Any:
        self.a_shape, self.b_shape = a.shape, b.shape
        device, condition_device = backend.device_of(a), backend.device_of(self.condition)
        if condition_device is None:  # a list or a Python bool
            self.condition = self.xp.asarray(self.condition, dtype=bool)
        elif condition_device is not device:
            raise RuntimeError(
                f"{self.name}: condition on {condition_device.name} mixed with tensors on {device.name}; "
                "move it with .to(device)"
            )
        return self.xp.where(self.condition, a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        zero = self.xp.zeros((), dtype=grad.dtype)
        grad_a = self.xp.where(self.condition, grad, zero)
        return unbroadcast(grad_a, self.a_shape), unbroadcast(grad - grad_a, self.b_shape)

    def backward_graph(self, grad: Tensor) -> tuple[Tensor, Tensor]:
        grad_a = Where(self.condition)(grad, 0.0)
        return unbroadcast(grad_a, self.a_shape), unbroadcast(grad - grad_a, self.b_shape)


def getitem(x: Tensor, index: Any) -> Tensor:
    """x[index] with slices, integers, and integer or boolean arrays (NumPy semantics)."""
    return GetItem(index)(x)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a if condition else b``; ``condition`` is a boolean array or Tensor."""
    return Where(condition)(a, b)


def one_hot(labels: Tensor, num_classes: int = -1) -> Tensor:
    """int64 (..., num_classes) with a 1 at each label's index, as torch.nn.functional.one_hot.

    ``num_classes=-1`` takes the largest label + 1. Labels must be integers in [0, num_classes).
    """
    data = labels.data if isinstance(labels, Tensor) else backend.as_array(labels)
    xp = backend.get_array_module(data)
    if data.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {data.dtype}")
    integral = isinstance(num_classes, numbers.Integral) and not isinstance(num_classes, bool)
    if not integral or num_classes < -1 or num_classes == 0:
        raise ValueError(f"one_hot: num_classes={num_classes!r} (expected a positive int, or -1 to infer it)")
    num_classes = int(num_classes)
    if data.size:
        low, high = int(data.min()), int(data.max())
        if num_classes == -1:
            num_classes = high + 1
        if low < 0 or high >= num_classes:
            raise ValueError(f"one_hot: labels from {low} to {high}, expected each in [0, {num_classes})")
    elif num_classes == -1:
        raise ValueError("one_hot: cannot infer num_classes from empty labels; pass num_classes")
    return Tensor((data[..., None] == xp.arange(num_classes)).astype("int64"))
