"""2-D max and average pooling, on the same window machinery as convolution.

Each pooled value summarises one window of the input. The windows come from
:func:`minigen.ops.conv.windows` (a strided view), and the backward sends each
window's gradient back with :func:`minigen.ops.conv.col2im`, which adds up the
contributions of overlapping windows (stride < kernel) correctly.

Like the convolutions, the work happens channels-last, (N, H, W, C): each window
position then moves whole channel vectors, and the output is an (N, C, OH, OW)
view of channels-last memory.
"""

from __future__ import annotations

from typing import Any

from minigen.ops.conv import IntPair, channels_last, col2im, im2col, output_size, pair, windows
from minigen.tensor import Function, Tensor


class Pool2d(Function):
    """Shared setup of the pooling functions: sizes, checks, and the channels-last view."""

    name_for_errors = "pool2d"

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> None:
        name = self.name_for_errors
        self.kernel = pair(kernel_size, f"{name} kernel_size", 1)
        self.stride = self.kernel if stride is None else pair(stride, f"{name} stride", 1)  # PyTorch's default
        self.padding = pair(padding, f"{name} padding")
        if any(2 * p > k for p, k in zip(self.padding, self.kernel)):
            raise ValueError(
                f"{name}: padding {self.padding} must be at most half of kernel_size {self.kernel} (as in PyTorch)"
            )

    def setup(self, x: Any) -> Any:
        """``x`` (N, C, H, W) seen as (N, H, W, C), after checking its shape."""
        if x.ndim != 4:
            raise ValueError(f"{self.name_for_errors}: input must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")
        self.input_shape = x.shape
        self.out_size = tuple(
            output_size(s, k, st, p) for s, k, st, p in zip(x.shape[2:], self.kernel, self.stride, self.padding)
        )
        if min(self.out_size) < 1:
            raise ValueError(
                f"{self.name_for_errors}: kernel_size {self.kernel} is larger than the padded input "
                f"(input {tuple(x.shape)}, padding {self.padding})"
            )
        return x.transpose(0, 2, 3, 1)

    def spread(self, window_grads: Any) -> Any:
        """Per-window gradients (N, OH, OW, kh, kw, C) summed back onto the input's pixels, as (N, C, H, W)."""
        n, c = self.input_shape[:2]
        window_grads = window_grads.reshape(n, *self.out_size, *self.kernel, c)
        return col2im(window_grads, self.input_shape[2:], self.stride, self.padding).transpose(0, 3, 1, 2)


class MaxPool2d(Pool2d):
    """y = the maximum of each window. dL/dx = g at each window's (first) maximum, 0 elsewhere;
    a pixel that is the maximum of several overlapping windows receives the sum of their gradients."""

    name_for_errors = "max_pool2d"

    def forward(self, x: Any) -> Any:
        # Padding with -inf never wins a max; im2col's copy puts each window's kh*kw values in one axis.
        cols = im2col(self.setup(x), self.kernel, self.stride, self.padding, fill=-float("inf"))
        cols = cols.reshape(-1, self.kernel[0] * self.kernel[1], x.shape[1])  # (N*OH*OW, kh*kw, C)
        self.argmax = cols.argmax(axis=1)  # the first maximum on ties, as PyTorch
        return cols.max(axis=1).reshape(x.shape[0], *self.out_size, x.shape[1]).transpose(0, 3, 1, 2)

    def backward(self, grad: Any) -> Any:
        kh, kw = self.kernel
        offsets = self.xp.arange(kh * kw).reshape(1, kh * kw, 1)
        g = channels_last(grad).reshape(-1, 1, self.input_shape[1])  # (N*OH*OW, 1, C)
        # One-hot over each window: the gradient goes to the offset that held the maximum.
        return self.spread((offsets == self.argmax[:, None]) * g)


class AvgPool2d(Pool2d):
    """y = the mean of each window (padding counts as zeros, PyTorch's count_include_pad=True).
    dL/dx = g / (kh*kw) spread over each window."""

    name_for_errors = "avg_pool2d"

    def forward(self, x: Any) -> Any:
        view = windows(self.setup(x), self.kernel, self.stride, self.padding)  # (N, OH, OW, C, kh, kw), no copy
        return view.mean(axis=(4, 5)).transpose(0, 3, 1, 2)

    def backward(self, grad: Any) -> Any:
        kh, kw = self.kernel
        share = channels_last(grad / (kh * kw))[:, :, :, None, None, :]  # (N, OH, OW, 1, 1, C)
        # The same share for every offset of a window: a broadcast view, not a copy.
        return self.spread(self.xp.broadcast_to(share, share.shape[:3] + (kh, kw) + share.shape[5:]))


def max_pool2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
) -> Tensor:
    """Maximum over kernel_size windows (stride defaults to kernel_size), as torch's max_pool2d."""
    return MaxPool2d(kernel_size, stride, padding)(input)


def avg_pool2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
) -> Tensor:
    """Mean over kernel_size windows (stride defaults to kernel_size; zero padding counted), as torch's avg_pool2d."""
    return AvgPool2d(kernel_size, stride, padding)(input)
