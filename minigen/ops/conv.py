"""2-D convolution and transposed convolution, built from two array helpers.

A convolution slides a (C, kh, kw) filter over the input. ``im2col`` lays every
window out as one row (a strided *view* of the input, copied once into a
contiguous buffer), so the whole convolution becomes a single matrix product:

    out (N*OH*OW, O) = cols (N*OH*OW, kh*kw*C) @ M (kh*kw*C, O)

where M is the weight reshaped. ``col2im`` is the exact reverse (the adjoint):
it adds each row back onto the pixels its window covered. Each is the other's
gradient, and so are the two layers:

    conv2d:            forward  im2col(x) @ M          backward  col2im(g @ M^T)
    conv_transpose2d:  forward  col2im(x @ M^T)        backward  im2col(g) @ M

so :func:`_correlate` (im2col + matmul) and :func:`_scatter` (matmul + col2im)
are written once and serve both layers, forwards and backwards.

Layout, chosen for speed: the helpers work channels-last, (N, H, W, C). A window's
kh*kw*C values and a pixel's C channels are then runs of contiguous memory, so the
strided copies in im2col and col2im move whole channel vectors at a time instead of
a few pixels (in (N, C, H, W) order a stride-2 window row is 4 scattered floats).
Inputs and outputs keep PyTorch's (N, C, H, W) shape: an output is returned as an
(N, C, H, W) *view* of channels-last memory, so the next convolution receives its
input already channels-last and pays no copy to reorder it.
"""

from __future__ import annotations

from typing import Any

from minigen.backend import get_array_module
from minigen.tensor import Function, Tensor

IntPair = int | tuple[int, int]  # what callers may pass
Pair = tuple[int, int]  # (height, width) after pair()


def pair(value: IntPair, name: str, minimum: int = 0) -> Pair:
    """``value`` as (height, width) integers >= ``minimum``; an int means both."""
    values = (value, value) if isinstance(value, int) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, int) for v in values):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return values  # type: ignore[return-value]


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """How many windows of ``kernel`` fit along ``size`` with this stride and padding."""
    return (size + 2 * padding - kernel) // stride + 1


def channels_last(x: Any) -> Any:
    """(N, C, H, W) -> contiguous (N, H, W, C); free when ``x`` is a view of channels-last memory."""
    return get_array_module(x).ascontiguousarray(x.transpose(0, 2, 3, 1))


def windows(x: Any, kernel: Pair, stride: Pair, padding: Pair, fill: float = 0) -> Any:
    """A strided view (N, OH, OW, C, kh, kw) of the windows of ``x`` (N, H, W, C).

    Padding costs one copy (a border of ``fill``); the windows themselves cost
    nothing: window (oh, ow) starts at row oh*sh, column ow*sw of the padded input.
    """
    xp = get_array_module(x)
    (ph, pw), (n, height, width, c) = padding, x.shape
    if ph or pw:
        padded = xp.full((n, height + 2 * ph, width + 2 * pw, c), fill, dtype=x.dtype)
        padded[:, ph : ph + height, pw : pw + width] = x
        x = padded
    view = xp.lib.stride_tricks.sliding_window_view(x, kernel, axis=(1, 2))  # every position, stride 1
    return view[:, :: stride[0], :: stride[1]]


def im2col(x: Any, kernel: Pair, stride: Pair, padding: Pair, fill: float = 0) -> Any:
    """The windows of ``x`` (N, H, W, C) copied into one contiguous (N, OH, OW, kh, kw, C) array.

    One copy, so that the matmul that follows runs on a contiguous matrix.
    """
    view = windows(x, kernel, stride, padding, fill)
    return get_array_module(x).ascontiguousarray(view.transpose(0, 1, 2, 4, 5, 3))


def col2im(cols: Any, size: Pair, stride: Pair, padding: Pair) -> Any:
    """The adjoint of :func:`im2col`: windows (N, OH, OW, kh, kw, C) summed back onto (N, H, W, C).

    ``size`` is the unpadded (H, W); the padding border receives values that
    are then dropped. Overlapping windows add up: the loop runs over the
    kh*kw kernel offsets, each adding one strided slice (all pixels at once).
    """
    n, oh, ow, kh, kw, c = cols.shape
    (sh, sw), (ph, pw) = stride, padding
    out = get_array_module(cols).zeros((n, size[0] + 2 * ph, size[1] + 2 * pw, c), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] += cols[:, :, :, i, j]
    return out[:, ph : ph + size[0], pw : pw + size[1]]


def weight_matrix(weight: Any) -> Any:
    """A weight (D, C, kh, kw) as the matrix (kh*kw*C, D) whose rows follow im2col's (kh, kw, C) order.

    Conv2d's (out, in, kh, kw) and ConvTranspose2d's (in, out, kh, kw) both have the
    windowed channels on axis 1, so one function serves both.
    """
    d, c, kh, kw = weight.shape
    return weight.transpose(2, 3, 1, 0).reshape(kh * kw * c, d)


def weight_from_matrix(matrix: Any, shape: tuple[int, ...]) -> Any:
    """The inverse of :func:`weight_matrix`, as a contiguous array (it becomes a parameter's gradient)."""
    d, c, kh, kw = shape
    return get_array_module(matrix).ascontiguousarray(matrix.reshape(kh, kw, c, d).transpose(3, 2, 0, 1))


def _correlate(x: Any, matrix: Any, kernel: Pair, stride: Pair, padding: Pair) -> tuple[Any, Any]:
    """Slide ``matrix`` (kh*kw*C, D) over ``x`` (N, H, W, C): out (N, OH, OW, D), and the columns.

    The columns (N*OH*OW, kh*kw*C) are returned because the weight's gradient needs them.
    """
    cols = im2col(x, kernel, stride, padding)
    n, oh, ow = cols.shape[:3]
    cols = cols.reshape(n * oh * ow, -1)
    return (cols @ matrix).reshape(n, oh, ow, -1), cols


def _scatter(g: Any, matrix: Any, kernel: Pair, stride: Pair, padding: Pair, size: Pair) -> Any:
    """The adjoint of :func:`_correlate`: g (N, OH, OW, D) spread through ``matrix`` onto (N, H, W, C)."""
    n, oh, ow, d = g.shape
    cols = g.reshape(-1, d) @ matrix.T  # what each window receives, (N*OH*OW, kh*kw*C)
    return col2im(cols.reshape(n, oh, ow, kernel[0], kernel[1], -1), size, stride, padding)


def _check_input(name: str, x: Any, weight: Any, channels_axis: int) -> None:
    if x.ndim != 4:
        raise ValueError(f"{name}: input must be 4-D (batch, channels, height, width), got shape {tuple(x.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"{name}: weight must be 4-D, got shape {tuple(weight.shape)}")
    if x.shape[1] != weight.shape[channels_axis]:
        raise ValueError(
            f"{name}: input has {x.shape[1]} channels (shape {tuple(x.shape)}) but weight of shape "
            f"{tuple(weight.shape)} expects {weight.shape[channels_axis]}"
        )


def _check_bias(name: str, bias: Any, channels: int) -> None:
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ValueError(
            f"{name}: bias must have shape ({channels},) for {channels} output channels, got {tuple(bias.shape)}"
        )


class Conv2d(Function):
    """y = W * x + b (cross-correlation). dL/dx = the transposed convolution of g by W,
    dL/dW = g correlated with the input's windows, dL/db = g summed over batch and pixels."""

    def __init__(self, stride: IntPair = 1, padding: IntPair = 0) -> None:
        self.stride = pair(stride, "conv2d stride", 1)
        self.padding = pair(padding, "conv2d padding")

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        _check_input("conv2d", x, weight, 1)
        out_channels, _, kh, kw = weight.shape
        _check_bias("conv2d", bias, out_channels)
        sizes = [output_size(s, k, st, p) for s, k, st, p in zip(x.shape[2:], (kh, kw), self.stride, self.padding)]
        if min(sizes) < 1:
            raise ValueError(
                f"conv2d: kernel ({kh}, {kw}) is larger than the padded input: "
                f"input {tuple(x.shape)}, padding {self.padding}"
            )
        self.kernel, self.input_size, self.weight_shape = (kh, kw), x.shape[2:], weight.shape
        self.matrix = weight_matrix(weight)  # (kh*kw*C, O)
        out, self.cols = _correlate(x.transpose(0, 2, 3, 1), self.matrix, self.kernel, self.stride, self.padding)
        if bias is not None:
            out += bias  # channels are the last axis here
        return out.transpose(0, 3, 1, 2)  # (N, OH, OW, O) memory seen as (N, O, OH, OW)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        g = channels_last(grad)  # (N, OH, OW, O)
        grad_x = grad_w = None
        if self.input_needs_grad(0):
            grad_x = _scatter(g, self.matrix, self.kernel, self.stride, self.padding, self.input_size)
            grad_x = grad_x.transpose(0, 3, 1, 2)
        g2 = g.reshape(-1, g.shape[-1])  # (N*OH*OW, O)
        if self.input_needs_grad(1):
            # dL/dM[(i, j, c), o] = sum over windows of cols[window, (i, j, c)] * g[window, o]
            grad_w = weight_from_matrix(self.cols.T @ g2, self.weight_shape)
        if len(self.inputs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, g2.sum(axis=0)


class ConvTranspose2d(Function):
    """y = the transpose (adjoint) of conv2d by W, applied to x, plus b.
    dL/dx = conv2d of g by W, dL/dW = x correlated with g's windows, dL/db = g summed over batch and pixels."""

    def __init__(self, stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0) -> None:
        self.stride = pair(stride, "conv_transpose2d stride", 1)
        self.padding = pair(padding, "conv_transpose2d padding")
        self.output_padding = pair(output_padding, "conv_transpose2d output_padding")
        if any(op >= s for op, s in zip(self.output_padding, self.stride)):
            raise ValueError(
                f"conv_transpose2d: output_padding {self.output_padding} must be smaller than stride {self.stride} "
                "(as PyTorch requires)"
            )

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        _check_input("conv_transpose2d", x, weight, 0)
        _, out_channels, kh, kw = weight.shape
        _check_bias("conv_transpose2d", bias, out_channels)
        # The output has the size of the input that a conv2d with these settings would map to x's size.
        size = tuple(
            (s - 1) * st - 2 * p + k + op
            for s, k, st, p, op in zip(x.shape[2:], (kh, kw), self.stride, self.padding, self.output_padding)
        )
        if min(size) < 1:
            raise ValueError(
                f"conv_transpose2d: output size {size} is not positive for input {tuple(x.shape)}, "
                f"kernel ({kh}, {kw}), stride {self.stride}, padding {self.padding}"
            )
        self.kernel, self.weight_shape = (kh, kw), weight.shape
        self.matrix = weight_matrix(weight)  # (kh*kw*C_out, C_in)
        self.x = channels_last(x)  # (N, H, W, C_in), kept for dL/dW
        out = _scatter(self.x, self.matrix, self.kernel, self.stride, self.padding, size)
        if bias is not None:
            out += bias
        return out.transpose(0, 3, 1, 2)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        # Correlating g with W is exactly conv2d's forward: it gives dL/dx, and its columns give dL/dW.
        grad_x, cols = _correlate(grad.transpose(0, 2, 3, 1), self.matrix, self.kernel, self.stride, self.padding)
        grad_x = grad_x.transpose(0, 3, 1, 2) if self.input_needs_grad(0) else None
        grad_w = None
        if self.input_needs_grad(1):
            # dL/dM[(i, j, o), c] = sum over input pixels of cols[pixel, (i, j, o)] * x[pixel, c]
            grad_w = weight_from_matrix(cols.T @ self.x.reshape(-1, self.x.shape[-1]), self.weight_shape)
        if len(self.inputs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, grad.sum(axis=(0, 2, 3))


def conv2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> Tensor:
    """2-D cross-correlation of ``input`` (N, C, H, W) with ``weight`` (O, C, kh, kw), as torch's conv2d."""
    function = Conv2d(stride, padding)
    return function(input, weight) if bias is None else function(input, weight, bias)


def conv_transpose2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
) -> Tensor:
    """Transposed convolution of ``input`` (N, C_in, H, W) with ``weight`` (C_in, C_out, kh, kw), as torch's.

    Output size: (H - 1) * stride - 2 * padding + kh + output_padding (likewise for W).
    """
    function = ConvTranspose2d(stride, padding, output_padding)
    return function(input, weight) if bias is None else function(input, weight, bias)
