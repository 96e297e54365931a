"""2-D convolution and transposed convolution, built from two array helpers.

A convolution slides a (C, kh, kw) filter over the input. ``im2col`` lays every
window out as one column (a strided *view* of the input, copied once into a
contiguous buffer), so the whole convolution becomes a single matrix product:

    out (O, N*OH*OW) = W (O, C*kh*kw) @ cols (C*kh*kw, N*OH*OW)

``col2im`` is the exact reverse (its adjoint): it adds each column back onto
the pixels its window covered. The two operations are each other's gradients:

    conv2d:            forward  im2col then W @ cols      backward  W^T @ g then col2im
    conv_transpose2d:  forward  W^T @ x then col2im       backward  im2col(g) then W @ cols

so :func:`_correlate` (im2col + matmul) and :func:`_scatter` (matmul + col2im)
are written once and used by both layers, forwards and backwards.

Layout: columns are (C, kh, kw, N, OH, OW), channels first, batch after. Then
the weight's (O, C, kh, kw) reshapes to a matrix for free, every product is one
2-D matmul on contiguous (or plainly transposed) operands that BLAS reads
directly, and the outputs come out as (O, N, OH, OW) memory, which we hand back
as an (N, O, OH, OW) *view* rather than spending a copy on reordering it.
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


def windows(x: Any, kernel: Pair, stride: Pair, padding: Pair, fill: float = 0) -> Any:
    """A strided view (A, B, OH, OW, kh, kw) of the windows of ``x`` (A, B, H, W).

    Padding costs one copy (a border of ``fill``); the windows themselves cost
    nothing: window (oh, ow) starts at row oh*sh, column ow*sw of the padded input.
    """
    xp = get_array_module(x)
    (ph, pw), (height, width) = padding, x.shape[2:]
    if ph or pw:
        padded = xp.full(x.shape[:2] + (height + 2 * ph, width + 2 * pw), fill, dtype=x.dtype)
        padded[:, :, ph : ph + height, pw : pw + width] = x
        x = padded
    view = xp.lib.stride_tricks.sliding_window_view(x, kernel, axis=(2, 3))  # every position, stride 1
    return view[:, :, :: stride[0], :: stride[1]]


def im2col(x: Any, kernel: Pair, stride: Pair, padding: Pair, fill: float = 0) -> Any:
    """The windows of ``x`` (A, B, H, W) as contiguous columns (A, kh, kw, B, OH, OW).

    One copy, so that the matmul that follows runs on a contiguous matrix.
    """
    view = windows(x, kernel, stride, padding, fill)
    return get_array_module(x).ascontiguousarray(view.transpose(0, 4, 5, 1, 2, 3))


def col2im(cols: Any, size: Pair, stride: Pair, padding: Pair) -> Any:
    """The adjoint of :func:`im2col`: columns (A, kh, kw, B, OH, OW) summed back onto (A, B, H, W).

    ``size`` is the unpadded (H, W); the padding border receives values that
    are then dropped. Overlapping windows add up: the loop runs over the
    kh*kw kernel offsets, each adding one strided slice (all pixels at once).
    """
    xp = get_array_module(cols)
    a, kh, kw, b, oh, ow = cols.shape
    (sh, sw), (ph, pw) = stride, padding
    height, width = size[0] + 2 * ph, size[1] + 2 * pw
    out = xp.zeros((a, b, height, width), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] += cols[:, i, j]
    return out[:, :, ph : ph + size[0], pw : pw + size[1]]


def _correlate(x: Any, matrix: Any, kernel: Pair, stride: Pair, padding: Pair) -> tuple[Any, Any]:
    """Slide ``matrix`` (O, C*kh*kw) over ``x`` (N, C, H, W): returns out (O, N, OH, OW) and the columns.

    The columns are returned because the weight's gradient needs them again.
    """
    n, c, height, width = x.shape
    oh, ow = (output_size(s, k, st, p) for s, k, st, p in zip((height, width), kernel, stride, padding))
    cols = im2col(x.transpose(1, 0, 2, 3), kernel, stride, padding)  # (C, kh, kw, N, OH, OW)
    out = matrix @ cols.reshape(matrix.shape[1], -1)
    return out.reshape(-1, n, oh, ow), cols


def _scatter(g: Any, matrix: Any, kernel: Pair, stride: Pair, padding: Pair, size: Pair) -> Any:
    """The adjoint of :func:`_correlate`: g (O, N, OH, OW) spread through ``matrix`` (O, C*kh*kw) onto (C, N, H, W)."""
    o, n, oh, ow = g.shape
    cols = matrix.T @ g.reshape(o, -1)  # (C*kh*kw, N*OH*OW): what each window position receives
    return col2im(cols.reshape(-1, kernel[0], kernel[1], n, oh, ow), size, stride, padding)


def _channels_first(x: Any) -> Any:
    """(N, C, H, W) -> (C, N, H, W) memory; free when ``x`` is one of our (C, N, ...)-backed outputs."""
    return get_array_module(x).ascontiguousarray(x.transpose(1, 0, 2, 3))


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
        self.input_size, self.weight = x.shape[2:], weight
        out, self.cols = _correlate(x, weight.reshape(out_channels, -1), (kh, kw), self.stride, self.padding)
        if bias is not None:
            out += bias[:, None, None, None]
        return out.transpose(1, 0, 2, 3)  # (O, N, OH, OW) memory seen as (N, O, OH, OW)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        out_channels, _, kh, kw = self.weight.shape
        matrix = self.weight.reshape(out_channels, -1)
        g = _channels_first(grad)  # (O, N, OH, OW)
        grad_x = grad_w = None
        if self.inputs[0].requires_grad:
            grad_x = _scatter(g, matrix, (kh, kw), self.stride, self.padding, self.input_size).transpose(1, 0, 2, 3)
        if self.inputs[1].requires_grad:
            # dL/dW[o, (c, i, j)] = sum over windows of g[o, window] * cols[(c, i, j), window]
            grad_w = (g.reshape(out_channels, -1) @ self.cols.reshape(matrix.shape[1], -1).T).reshape(self.weight.shape)
        if len(self.inputs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, g.sum(axis=(1, 2, 3))


class ConvTranspose2d(Function):
    """y = the transpose (adjoint) of conv2d by W, applied to x, plus b.
    dL/dx = conv2d of g by W, dL/dW = x correlated with g's windows, dL/db = g summed over batch and pixels."""

    def __init__(self, stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0) -> None:
        self.stride = pair(stride, "conv_transpose2d stride", 1)
        self.padding = pair(padding, "conv_transpose2d padding")
        self.output_padding = pair(output_padding, "conv_transpose2d output_padding")
        if any(op >= s for op, s in zip(self.output_padding, self.stride)):
            raise ValueError(
                f"conv_transpose2d: output_padding {self.output_padding} must be smaller than stride {self.stride}"
            )

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        _check_input("conv_transpose2d", x, weight, 0)
        in_channels, out_channels, kh, kw = weight.shape
        _check_bias("conv_transpose2d", bias, out_channels)
        # The output is the input a conv2d with these settings would map back to x's size.
        size = tuple(
            (s - 1) * st - 2 * p + k + op
            for s, k, st, p, op in zip(x.shape[2:], (kh, kw), self.stride, self.padding, self.output_padding)
        )
        if min(size) < 1:
            raise ValueError(
                f"conv_transpose2d: output size {size} is not positive for input {tuple(x.shape)}, "
                f"kernel ({kh}, {kw}), stride {self.stride}, padding {self.padding}"
            )
        self.weight = weight
        self.x = _channels_first(x)  # (C_in, N, H, W), kept for dL/dW
        out = _scatter(self.x, weight.reshape(in_channels, -1), (kh, kw), self.stride, self.padding, size)
        if bias is not None:
            out += bias[:, None, None, None]
        return out.transpose(1, 0, 2, 3)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        in_channels, out_channels, kh, kw = self.weight.shape
        matrix = self.weight.reshape(in_channels, -1)
        # Correlating g with W is exactly conv2d's forward: it gives dL/dx, and its columns give dL/dW.
        grad_x, cols = _correlate(grad, matrix, (kh, kw), self.stride, self.padding)
        grad_x = grad_x.transpose(1, 0, 2, 3) if self.inputs[0].requires_grad else None
        grad_w = None
        if self.inputs[1].requires_grad:
            # dL/dW[c, (o, i, j)] = sum over input pixels of x[c, pixel] * cols[(o, i, j), pixel]
            grad_w = (self.x.reshape(in_channels, -1) @ cols.reshape(matrix.shape[1], -1).T).reshape(self.weight.shape)
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
