"""2-D max and average pooling, on the window machinery convolution also uses (``windows.py``).

Each pooled value summarises one window of the input. The windows come from
:func:`minigen.ops.windows.windows` (a strided view), and the backward sends each
window's gradient back with :func:`minigen.ops.windows.col2im`, which adds up the
contributions of overlapping windows (stride < kernel) correctly.

Like the convolutions, the work happens channels-last, (N, H, W, C): each window
position then moves whole channel vectors, and the output is an (N, C, OH, OW)
view of channels-last memory.

``ceil_mode`` rounds the number of windows up instead of down, so a last window
may hang over the bottom or right edge; as in PyTorch, it is kept only if it
starts inside the input or its left/top padding. The overhang reads the padding
value (-inf for max, 0 for average) and receives gradients that are dropped.
"""

from __future__ import annotations

from typing import Any

from minigen.ops.windows import IntPair, Pair, channels_last, col2im, im2col, output_size, pair, windows
from minigen.tensor import Function, Tensor, linear_backward_graph


def pooled_size(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """How many windows PyTorch's pooling makes along ``size`` (rounding up with ``ceil_mode``)."""
    if not ceil_mode:
        return output_size(size, kernel, stride, padding, dilation)
    count = -(-(size + 2 * padding - dilation * (kernel - 1) - 1) // stride) + 1  # ceil division
    if (count - 1) * stride >= size + padding:  # the last window would start in the right padding: drop it
        count -= 1
    return count


class Pool2d(Function):
    """Shared setup of the pooling functions: sizes, checks, and the channels-last view."""

    name_for_errors = "pool2d"

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 dilation: IntPair = 1, ceil_mode: bool = False) -> None:  # fmt: skip
        name = self.name_for_errors
        self.kernel = pair(kernel_size, f"{name} kernel_size", 1)
        # PyTorch's default stride is the kernel size (None, or an empty tuple as F.max_pool2d passes it)
        self.stride = self.kernel if stride is None or stride == () else pair(stride, f"{name} stride", 1)
        self.padding = pair(padding, f"{name} padding")
        self.dilation = pair(dilation, f"{name} dilation", 1)
        self.ceil_mode = bool(ceil_mode)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel)):
            raise ValueError(
                f"{name}: padding {self.padding} must be at most half of kernel_size {self.kernel} (as in PyTorch)"
            )

    def setup(self, x: Any) -> Any:
        """``x`` (N, C, H, W) seen as (N, H, W, C), after checking its shape."""
        if x.ndim != 4:
            raise ValueError(f"{self.name_for_errors}: input must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")
        self.input_shape = x.shape
        self.out_size: Pair = tuple(  # type: ignore[assignment]
            pooled_size(*args, self.ceil_mode)
            for args in zip(x.shape[2:], self.kernel, self.stride, self.padding, self.dilation)
        )
        if min(self.out_size) < 1:
            raise ValueError(
                f"{self.name_for_errors}: kernel_size {self.kernel} with dilation {self.dilation} is larger than "
                f"the padded input (input {tuple(x.shape)}, padding {self.padding})"
            )
        return x.transpose(0, 2, 3, 1)

    def windows(self, x: Any, fill: float = 0) -> Any:
        """The (N, OH, OW, C, kh, kw) window view of channels-last ``x``."""
        return windows(x, self.kernel, self.stride, self.padding, self.dilation, fill, self.out_size)

    def spread(self, window_grads: Any) -> Any:
        """Per-window gradients (N, OH, OW, kh, kw, C) summed back onto the input's pixels, as (N, C, H, W)."""
        n, c = self.input_shape[:2]
        window_grads = window_grads.reshape(1, n, *self.out_size, *self.kernel, c)  # one group
        return col2im(window_grads, self.input_shape[2:], self.stride, self.padding, self.dilation).transpose(
            0, 3, 1, 2
        )


class MaxPool2d(Pool2d):
    """y = the maximum of each window. dL/dx = g at each window's (first) maximum, 0 elsewhere;
    a pixel that is the maximum of several overlapping windows receives the sum of their gradients."""

    name_for_errors = "max_pool2d"

    def forward(self, x: Any) -> Any:
        # Padding with -inf never wins a max; im2col's copy puts each window's kh*kw values in one axis.
        settings = self.kernel, self.stride, self.padding, self.dilation
        cols = im2col(self.setup(x), *settings, fill=-float("inf"), count=self.out_size)  # (1, N, OH, OW, kh, kw, C)
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
    """y = the sum of each window / its divisor: kh*kw with count_include_pad (padding counts as zeros),
    else the number of input pixels in the window; ``divisor_override`` replaces both.
    dL/dx = g / divisor spread over each window."""

    name_for_errors = "avg_pool2d"

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:  # fmt: skip
        super().__init__(kernel_size, stride, padding, 1, ceil_mode)
        if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override == 0):
            raise ValueError(f"avg_pool2d: divisor_override must be a non-zero int or None, got {divisor_override!r}")
        self.count_include_pad, self.divisor_override = bool(count_include_pad), divisor_override

    def window_sizes(self) -> Any:
        """(OH, OW, 1): how many of each window's kh*kw taps count, per window position.

        A tap counts if it lies on the input, or on the padding when count_include_pad
        (never past the padding, where only ceil_mode's overhanging windows reach).
        """
        counts = []
        for size, k, s, p, o in zip(self.input_shape[2:], self.kernel, self.stride, self.padding, self.out_size):
            taps = self.xp.arange(o)[:, None] * s - p + self.xp.arange(k)  # each window's taps, in input coordinates
            low, high = (-p, size + p) if self.count_include_pad else (0, size)
            counts.append(((taps >= low) & (taps < high)).sum(axis=1))
        return (counts[0][:, None] * counts[1])[:, :, None]

    def forward(self, x: Any) -> Any:
        view = self.windows(self.setup(x))  # (N, OH, OW, C, kh, kw), no copy
        self.divisor = self.xp.asarray(self.divisor_override or self.window_sizes(), dtype=x.dtype)
        return (view.sum(axis=(4, 5)) / self.divisor).transpose(0, 3, 1, 2)

    def backward(self, grad: Any) -> Any:
        kh, kw = self.kernel
        share = (channels_last(grad) / self.divisor)[:, :, :, None, None, :]  # (N, OH, OW, 1, 1, C)
        # The same share for every offset of a window: a broadcast view, not a copy.
        return self.spread(self.xp.broadcast_to(share, share.shape[:3] + (kh, kw) + share.shape[5:]))

    backward_graph = linear_backward_graph  # an average is linear in x


def max_pool2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """Maximum over kernel_size windows (stride defaults to kernel_size), as torch's max_pool2d.

    ``return_indices=True`` is not implemented and raises.
    """
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not implemented")
    return MaxPool2d(kernel_size, stride, padding, dilation, ceil_mode)(input)


def avg_pool2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over kernel_size windows (stride defaults to kernel_size), as torch's avg_pool2d.

    count_include_pad=True divides by kh*kw (padding counts as zeros); False by the input pixels in each window.
    """
    return AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)(input)
