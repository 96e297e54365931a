"""Pooling layers: MaxPool2d and AvgPool2d (no parameters), as in PyTorch."""

from __future__ import annotations

from minigen.nn.module import Module
from minigen.ops.conv import IntPair
from minigen.ops.pooling import avg_pool2d, max_pool2d
from minigen.tensor import Tensor

__all__ = ["AvgPool2d", "MaxPool2d"]


class _Pool2d(Module):
    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> None:
        super().__init__()
        # Kept as given (an int stays an int), and stride defaults to kernel_size, as PyTorch does.
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The maximum of each kernel_size window (padding never wins: it counts as -inf)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return max_pool2d(input, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """The mean of each kernel_size window (zero padding counted, PyTorch's count_include_pad=True)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding)
