"""Pooling layers: MaxPool2d and AvgPool2d (no parameters), with PyTorch's signatures and reprs."""

from __future__ import annotations

from minigen.nn.module import Module
from minigen.ops.pooling import avg_pool2d, max_pool2d
from minigen.ops.windows import IntPair
from minigen.tensor import Tensor

__all__ = ["AvgPool2d", "MaxPool2d"]


class MaxPool2d(Module):
    """The maximum of each kernel_size window, taps ``dilation`` apart (padding never wins: it counts as -inf).

    ``ceil_mode`` rounds the number of windows up, as in PyTorch. ``return_indices=True`` is not implemented.
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 dilation: IntPair = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:  # fmt: skip
        super().__init__()
        if return_indices:
            raise NotImplementedError("MaxPool2d: return_indices=True is not implemented")
        # Kept as given (an int stays an int), and stride defaults to kernel_size, as PyTorch does.
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation, self.return_indices, self.ceil_mode = padding, dilation, return_indices, ceil_mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    """The mean of each kernel_size window: zero padding counted (count_include_pad=True, PyTorch's default)
    or not; ``ceil_mode`` rounds the number of windows up; ``divisor_override`` divides every sum by that number."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
