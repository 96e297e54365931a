"""Convolution layers: Conv2d and ConvTranspose2d, with PyTorch's signatures, layouts and initialisation.

The computation lives in ``minigen/ops/conv.py`` (im2col + one matmul, and its adjoint);
these classes only own the weight and bias and remember the settings.
"""

from __future__ import annotations

from typing import Any

from minigen.nn import init
from minigen.nn.linear import empty_parameter
from minigen.nn.module import Module
from minigen.ops.conv import conv2d, conv_transpose2d
from minigen.ops.windows import IntPair, pair
from minigen.tensor import Tensor

__all__ = ["Conv2d", "ConvTranspose2d"]


_PYTORCH_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What both convolutions share: settings, parameters, initialisation and repr."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair, padding: IntPair,
                 dilation: IntPair, groups: int, output_padding: IntPair, bias: bool, padding_mode: str,
                 transposed: bool, device: str | None, dtype: Any) -> None:  # fmt: skip
        super().__init__()
        name = type(self).__name__
        if in_channels < 1 or out_channels < 1:
            raise ValueError(
                f"{name}: channels must be positive, got in_channels={in_channels}, out_channels={out_channels}"
            )
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{name}: groups must be a positive int, got groups={groups!r}")
        for what, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(f"{name}: {what}={channels} must be divisible by groups={groups}")
        if padding_mode not in _PYTORCH_PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PYTORCH_PADDING_MODES}, got {padding_mode!r}")
        if padding_mode != "zeros":
            raise NotImplementedError(f"{name}: padding_mode={padding_mode!r} is not implemented, only 'zeros'")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, f"{name} kernel_size", 1)
        self.stride = pair(stride, f"{name} stride", 1)
        self.padding = pair(padding, f"{name} padding")
        self.dilation = pair(dilation, f"{name} dilation", 1)
        self.output_padding = pair(output_padding, f"{name} output_padding")
        self.padding_mode = padding_mode
        # PyTorch's layouts: Conv2d (out, in/groups, kh, kw), ConvTranspose2d (in, out/groups, kh, kw).
        # fan_in reads axis 1 of either, as PyTorch's default initialisation does.
        weight_shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
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
        """PyTorch's text: settings that differ from their defaults, in its order."""
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation). ``weight`` is (out_channels, in_channels/groups, kh, kw), as in PyTorch.

    Output size: (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1 (likewise for W).
    ``groups`` splits the channels into independent blocks (groups=in_channels is a depthwise convolution).
    Only ``padding_mode='zeros'`` is implemented.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, dilation: IntPair = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: str | None = None, dtype: Any = None) -> None:  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, 0, bias,
                         padding_mode, False, device, dtype)  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed convolution, the adjoint of Conv2d; ``weight`` is (in_channels, out_channels/groups, kh, kw),
    as in PyTorch.

    Output size: (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1 (likewise for W);
    ``output_padding`` (< stride or < dilation) picks among the input sizes a Conv2d would map to H.
    Note PyTorch's argument order: output_padding, groups, bias, then dilation.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair = 0, output_padding: IntPair = 0, groups: int = 1, bias: bool = True,
                 dilation: IntPair = 1, padding_mode: str = "zeros", device: str | None = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, output_padding,
                         bias, padding_mode, True, device, dtype)  # fmt: skip
        if any(op >= max(s, d) for op, s, d in zip(self.output_padding, self.stride, self.dilation)):
            raise ValueError(
                f"ConvTranspose2d: output_padding {self.output_padding} must be smaller than stride {self.stride} "
                f"or dilation {self.dilation}"
            )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                self.groups, self.dilation)  # fmt: skip
