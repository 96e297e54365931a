"""Convolution layers: Conv2d and ConvTranspose2d, with PyTorch's signatures, layouts and initialisation.

The computation lives in ``minigen/ops/conv.py`` (im2col + one matmul, and its adjoint);
these classes only own the weight and bias and remember the settings.
"""

from __future__ import annotations

from typing import Any

from minigen.nn import init
from minigen.nn.linear import empty_parameter
from minigen.nn.module import Module
from minigen.ops.conv import IntPair, conv2d, conv_transpose2d, pair
from minigen.tensor import Tensor

__all__ = ["Conv2d", "ConvTranspose2d"]


class _ConvNd(Module):
    """What both convolutions share: settings, parameters, initialisation and repr."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair, padding: IntPair,
                 output_padding: IntPair, bias: bool, weight_shape: tuple[int, ...], device: str | None,
                 dtype: Any) -> None:  # fmt: skip
        super().__init__()
        name = type(self).__name__
        if in_channels < 1 or out_channels < 1:
            raise ValueError(
                f"{name}: channels must be positive, got in_channels={in_channels}, out_channels={out_channels}"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, f"{name} kernel_size", 1)
        self.stride = pair(stride, f"{name} stride", 1)
        self.padding = pair(padding, f"{name} padding")
        self.output_padding = pair(output_padding, f"{name} output_padding")
        self.weight = empty_parameter(*weight_shape, *self.kernel_size, device=device, dtype=dtype)
        if bias:
            self.bias = empty_parameter(out_channels, device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight kaiming_uniform_(a=sqrt(5)), bias U(+-1/sqrt(fan_in))."""
        init.default_weight_and_bias_(self.weight, self.bias)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation). ``weight`` is (out_channels, in_channels, kh, kw), as in PyTorch.

    Output size: (H + 2 * padding - kh) // stride + 1 (likewise for W).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, bias: bool = True, device: str | None = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, 0, bias,
                         (out_channels, in_channels), device, dtype)  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return conv2d(input, self.weight, self.bias, self.stride, self.padding)


class ConvTranspose2d(_ConvNd):
    """Transposed convolution, the adjoint of Conv2d; ``weight`` is (in_channels, out_channels, kh, kw), as in PyTorch.

    Output size: (H - 1) * stride - 2 * padding + kh + output_padding (likewise for W);
    ``output_padding`` (< stride) picks among the input sizes a Conv2d would map to H.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, output_padding: IntPair = 0, bias: bool = True, device: str | None = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding, bias,
                         (in_channels, out_channels), device, dtype)  # fmt: skip
        if any(op >= s for op, s in zip(self.output_padding, self.stride)):
            raise ValueError(
                f"ConvTranspose2d: output_padding {self.output_padding} must be smaller than stride {self.stride}"
            )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, self.output_padding)
