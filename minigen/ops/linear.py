"""The affine map of a Linear layer, fused into one op: y = x W^T + b."""

from __future__ import annotations

from typing import Any

from minigen.tensor import Function, Tensor


class Linear(Function):
    """y = x W^T + b over the last axis of x (any leading axes).

    dL/dx = g W,  dL/dW = g^T x,  dL/db = sum of g over all but the last axis.
    One matmul each way instead of transpose + matmul + broadcast-add as separate ops.
    """

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        self.x, self.weight = x, weight
        y = x @ weight.T  # BLAS reads the transposed view directly, no copy
        if bias is not None:
            y += bias
        return y

    def backward(self, grad: Any) -> tuple[Any, ...]:
        return self.chain(grad, self.x, self.weight)

    def backward_graph(self, grad: Tensor) -> tuple[Any, ...]:
        return self.chain(grad, *self.inputs[:2])  # the same products, on Tensors: recorded, differentiable

    def chain(self, grad: Any, x: Any, weight: Any) -> tuple[Any, ...]:
        grad_x = grad @ weight if self.input_needs_grad(0) else None
        grad2 = grad.reshape(-1, grad.shape[-1])  # leading axes flattened into one batch axis
        grad_w = grad2.T @ x.reshape(-1, x.shape[-1]) if self.input_needs_grad(1) else None
        grads = (grad_x, grad_w)
        if len(self.inputs) == 3:
            grads += (grad2.sum(axis=0) if self.input_needs_grad(2) else None,)
        return grads


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b with PyTorch's layout: ``weight`` is (out_features, in_features)."""
    if input.shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: input of shape {input.shape} has {input.shape[-1] if input.ndim else 0} features "
            f"but weight of shape {weight.shape} expects {weight.shape[1]}"
        )
    return Linear()(input, weight) if bias is None else Linear()(input, weight, bias)
