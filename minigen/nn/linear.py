"""Linear (fully connected) layer, and the shape-only layers Identity, Flatten and Unflatten."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from minigen import backend
from minigen.nn import init
from minigen.nn.module import Module, Parameter
from minigen.ops.linear import linear
from minigen.ops.shape import flatten, reshape
from minigen.tensor import Tensor

__all__ = ["Flatten", "Identity", "Linear", "Unflatten", "empty_parameter"]


def empty_parameter(*shape: int, device: str | None = None, dtype: Any = None) -> Parameter:
    """An uninitialised Parameter of ``shape`` (float32 on the CPU by default), for a layer's init to fill."""
    device = backend.get_device(device or "cpu")
    return Parameter(device.xp.empty(shape, dtype=dtype or "float32"))


class Linear(Module):
    """y = x W^T + b. ``weight`` is (out_features, in_features), ``bias`` (out_features,), as in PyTorch.

    Both start as U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's default).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: str | None = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Linear: {name} must be an int >= 0, got {value!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = empty_parameter(out_features, in_features, device=device, dtype=dtype)
        if bias:
            self.bias = empty_parameter(out_features, device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input; takes (and ignores) any constructor arguments, as in PyTorch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Flatten(Module):
    """Merges axes start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits axis ``dim`` into ``unflattened_size``: (N, 784) -> (N, 1, 28, 28) with Unflatten(1, (1, 28, 28))."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim % input.ndim
        known = 1
        for n in self.unflattened_size:
            known *= n if n != -1 else 1
        if -1 not in self.unflattened_size and known != input.shape[dim]:
            raise ValueError(
                f"Unflatten: unflattened_size {self.unflattened_size} has {known} elements "
                f"but axis {self.dim} of the input (shape {input.shape}) has {input.shape[dim]}"
            )
        return reshape(input, input.shape[:dim] + self.unflattened_size + input.shape[dim + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
