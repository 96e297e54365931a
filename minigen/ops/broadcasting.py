"""Broadcasting, and summing gradients back to an input's shape."""

from __future__ import annotations

from typing import Any

from minigen.tensor import Function, Tensor


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    If y = broadcast(x), each x element fed every y element it was copied to,
    so dL/dx is the sum of dL/dy over those copies.
    """
    if tuple(grad.shape) == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


class BroadcastTo(Function):
    """y = x copied along new or size-1 axes. dL/dx = dL/dy summed over the copies."""

    saves_inputs = False

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape)

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        return self.xp.broadcast_to(x, self.shape)

    def backward(self, grad: Any) -> Any:
        return unbroadcast(grad, self.input_shape)

    backward_graph = backward  # unbroadcast's sum and reshape work on Tensors too


def broadcast_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``x`` broadcast to ``shape`` (a read-only view, as in NumPy)."""
    return BroadcastTo(shape)(x)
