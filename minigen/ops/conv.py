"""2-D convolution and transposed convolution, built from the window helpers of ``windows.py``.

A convolution slides a (C, kh, kw) filter over the input. :func:`~minigen.ops.windows.im2col`
lays every window out as one row (a strided *view* of the input, copied once into a
contiguous buffer), so the whole convolution becomes a single matrix product:

    out (N*OH*OW, O) = cols (N*OH*OW, kh*kw*C) @ M (kh*kw*C, O)

where M is the weight reshaped. :func:`~minigen.ops.windows.col2im` is the exact reverse
(the adjoint): it adds each row back onto the pixels its window covered. Each is the
other's gradient, and so are the two layers:

    conv2d:            forward  im2col(x) @ M          backward  col2im(g @ M^T)
    conv_transpose2d:  forward  col2im(x @ M^T)        backward  im2col(g) @ M

so :func:`_correlate` (im2col + matmul) and :func:`_scatter` (matmul + col2im)
are written once and serve both layers, forwards and backwards.

Recorded for a second derivative (``backward_graph``), each gradient is itself a layer call:
dL/dx of conv2d is conv_transpose2d(g, W) and the reverse; dL/dW of either is a conv2d whose
"weight" is the other operand, with stride and dilation swapped (:func:`_weight_gradient_graph`).

The helpers work channels-last, (N, H, W, C) (see ``windows.py`` for why). Inputs and
outputs keep PyTorch's (N, C, H, W) shape: an output is returned as an (N, C, H, W)
*view* of channels-last memory, so the next convolution receives its input already
channels-last and pays no copy to reorder it.

Dilation and groups change what the rows and the matrix hold, not the recipe:

- ``dilation`` spreads a kernel's taps d pixels apart; ``windows.py`` reads them
  as a strided slice of a wider window and adds them back at their offsets, so the
  columns, the weight matrix and the matmul are exactly those of an undilated kernel.
- ``groups`` split the C input channels and D output channels into blocks that
  never meet: group g's outputs see only group g's inputs, as ``groups``
  convolutions side by side. So im2col lays the columns out as one matrix per
  group, the weight becomes one matrix per group, and one *batched* matmul (its
  batch axis is the group) does every group at once:

      out (groups, N*OH*OW, D/groups) = cols (groups, N*OH*OW, kh*kw*C/groups) @ M (groups, kh*kw*C/groups, D/groups)

  Read channels-last, the result is the output with each group's D/groups
  channels side by side. groups=1 is the plain convolution above (a batch of one
  matrix, the same memory and the same BLAS call); groups=C is a depthwise one.
"""

from __future__ import annotations

from typing import Any

from minigen.backend import get_array_module
from minigen.ops.windows import IntPair, Pair, channels_last, col2im, im2col, output_size, pair, sum_taps
from minigen.tensor import Function, Tensor


def weight_matrix(weight: Any, groups: int = 1) -> Any:
    """A weight (D, C/groups, kh, kw) as ``groups`` matrices (groups, kh*kw*C/groups, D/groups).

    Each matrix's rows follow im2col's (kh, kw, C) order; group g's matrix holds
    filters g*D/groups onwards. Conv2d's (out, in/groups, kh, kw) and ConvTranspose2d's
    (in, out/groups, kh, kw) both have the windowed channels on axis 1, so one
    function serves both.

    The copy is made filter by filter, (groups, D/groups, kh*kw*C/groups), and the matrix is its transposed
    view: reading the weight in nearly its own order is 2-4x faster than gathering one value per filter, and
    BLAS takes the transposed operand as it is.
    """
    d, c, kh, kw = weight.shape
    grouped = weight.reshape(groups, d // groups, c, kh, kw)
    return grouped.transpose(0, 1, 3, 4, 2).reshape(groups, d // groups, kh * kw * c).transpose(0, 2, 1)


def weight_from_matrix(matrix: Any, shape: tuple[int, ...]) -> Any:
    """The inverse of :func:`weight_matrix`, as a contiguous array (it becomes a parameter's gradient).

    Fastest when ``matrix`` is, like :func:`weight_matrix`'s, the transposed view of (groups, D/groups, K) memory.
    """
    d, c, kh, kw = shape
    groups = matrix.shape[0]
    weight = matrix.transpose(0, 2, 1).reshape(groups, d // groups, kh, kw, c).transpose(0, 1, 4, 2, 3)
    return get_array_module(matrix).ascontiguousarray(weight).reshape(shape)


def matrix_gradient(cols: Any, g: Any, groups: int) -> Any:
    """dL/dM (groups, K, D/groups) = cols^T g, per group, for columns (groups, rows, K) and channels-last g (..., D):
    computed as (g^T cols)^T, so that its memory is filter by filter as :func:`weight_from_matrix` reads it."""
    return (by_group(g, groups).transpose(0, 2, 1) @ cols).transpose(0, 2, 1)


def by_group(x: Any, groups: int) -> Any:
    """Channels-last ``x`` (..., D) as a view (groups, rows, D/groups): the matmul's batch axis is the group."""
    return x.reshape(-1, groups, x.shape[-1] // groups).transpose(1, 0, 2)


def from_groups(y: Any, shape: tuple[int, ...]) -> Any:
    """The inverse of :func:`by_group`: (groups, rows, D/groups) -> ``shape`` (..., D); free for one group."""
    return y.transpose(1, 0, 2).reshape(shape)


def columns(x: Any, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: int,
            count: Pair | None = None) -> Any:  # fmt: skip
    """im2col of ``x`` (N, H, W, C) as ``groups`` matrices (groups, N*OH*OW, kh*kw*C/groups), and (N, OH, OW)."""
    cols = im2col(x, kernel, stride, padding, dilation, groups, count=count)
    n, oh, ow = cols.shape[1:4]
    return cols.reshape(groups, n * oh * ow, -1), (n, oh, ow)


def _correlate(x: Any, matrix: Any, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
               count: Pair | None = None) -> tuple[Any, Any]:  # fmt: skip
    """Slide ``matrix`` (groups, kh*kw*C/groups, D/groups) over ``x`` (N, H, W, C): out (N, OH, OW, D), and the columns.

    The columns (groups, N*OH*OW, kh*kw*C/groups) are returned for the weight's gradient, which needs them.
    """
    cols, (n, oh, ow) = columns(x, kernel, stride, padding, dilation, matrix.shape[0], count)
    return from_groups(cols @ matrix, (n, oh, ow, -1)), cols


def _scatter(g: Any, matrix: Any, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, size: Pair) -> Any:
    """The adjoint of :func:`_correlate`: g (N, OH, OW, D) spread through ``matrix`` onto (N, H, W, C)."""
    groups, n, oh, ow = matrix.shape[0], *g.shape[:3]
    channels = matrix.shape[1] // (kernel[0] * kernel[1])  # per group
    if groups > 1:
        cols = by_group(g, groups) @ matrix.transpose(0, 2, 1)  # what each window receives, per group
        return col2im(cols.reshape(groups, n, oh, ow, *kernel, -1), size, stride, padding, dilation)
    g = g.reshape(-1, g.shape[-1])  # (N*OH*OW, D)
    if channels < ow:  # few channels: (kh*kw*C, N*OH*OW), summed in channels-first memory (see col2im)
        cols = (matrix[0] @ g.T).reshape(*kernel, channels, n, oh, ow)
        return col2im(cols, size, stride, padding, dilation, layout="taps_channels_first")
    # tap by tap: what tap (i, j) of every window receives is one (N*OH*OW, D) @ (D, C) product, added at once,
    # so the columns never exist whole (16x the output for a 4x4 kernel) and each is added while in cache
    taps = matrix[0].reshape(kernel[0] * kernel[1], channels, -1).transpose(0, 2, 1)  # (kh*kw, D, C)

    def tap(i: int, j: int) -> Any:
        return (g @ taps[i * kernel[1] + j]).reshape(n, oh, ow, channels)

    return sum_taps(tap, kernel, (n, oh, ow), (channels,), size, stride, padding, dilation, False,
                    get_array_module(g), g.dtype)  # fmt: skip


def _check_input(name: str, x: Any, weight: Any, channels: int, groups: int, bias: Any) -> None:
    """Shapes of a convolution's input (N, ``channels``, H, W), weight and bias, for ``groups`` groups."""
    if x.ndim != 4:
        raise ValueError(f"{name}: input must be 4-D (batch, channels, height, width), got shape {tuple(x.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"{name}: weight must be 4-D, got shape {tuple(weight.shape)}")
    if weight.shape[0] % groups:
        raise ValueError(f"{name}: weight of shape {tuple(weight.shape)}: axis 0 must be divisible by groups={groups}")
    if x.shape[1] != channels:
        raise ValueError(
            f"{name}: input has {x.shape[1]} channels (shape {tuple(x.shape)}) but weight of shape "
            f"{tuple(weight.shape)} with groups={groups} expects {channels}"
        )
    out_channels = weight.shape[0] if name == "conv2d" else weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(
            f"{name}: bias must have shape ({out_channels},) for {out_channels} output channels, "
            f"got {tuple(bias.shape)}"
        )


class _Convolution(Function):
    """The settings both convolutions share, checked once."""

    name = "conv"

    def __init__(self, stride: IntPair, padding: IntPair, dilation: IntPair, groups: int) -> None:
        self.stride = pair(stride, f"{self.name} stride", 1)
        self.padding = pair(padding, f"{self.name} padding")
        self.dilation = pair(dilation, f"{self.name} dilation", 1)
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{self.name}: groups must be a positive int, got {groups!r}")
        self.groups = groups

    def check_graph_groups(self) -> None:
        if self.groups != 1:
            raise NotImplementedError(
                f"{self.name}: create_graph=True (a second derivative) supports groups=1 only, got groups={self.groups}"
            )

    def sizes_error(self, x: Any, kernel: Pair, size: tuple[int, ...]) -> ValueError:
        return ValueError(
            f"{self.name}: output size {size} is not positive for input {tuple(x.shape)}, kernel {kernel}, "
            f"stride {self.stride}, padding {self.padding}, dilation {self.dilation}"
        )


class Conv2d(_Convolution):
    """y = W * x + b (cross-correlation). dL/dx = the transposed convolution of g by W,
    dL/dW = g correlated with the input's windows, dL/db = g summed over batch and pixels."""

    name = "conv2d"

    def __init__(self, stride: IntPair = 1, padding: IntPair = 0, dilation: IntPair = 1, groups: int = 1) -> None:
        super().__init__(stride, padding, dilation, groups)

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        _check_input(self.name, x, weight, weight.shape[1] * self.groups, self.groups, bias)
        kernel = tuple(weight.shape[2:])
        size = tuple(output_size(*args) for args in zip(x.shape[2:], kernel, self.stride, self.padding, self.dilation))
        if min(size) < 1:
            raise self.sizes_error(x, kernel, size)
        self.kernel, self.input_size, self.weight = kernel, x.shape[2:], weight
        x = x.transpose(0, 2, 3, 1)  # (N, H, W, C)
        matrix = weight_matrix(weight, self.groups)  # (groups, kh*kw*C/groups, O/groups)
        out, _ = _correlate(x, matrix, kernel, self.stride, self.padding, self.dilation)
        # dL/dW needs the columns again: backward remakes them from x rather than keep 4x x's memory (stride 2, k 4)
        self.x = x if self.input_needs_grad(1) else None
        if bias is not None:
            out += bias  # channels are the last axis here
        return out.transpose(0, 3, 1, 2)  # (N, OH, OW, O) memory seen as (N, O, OH, OW)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        g = channels_last(grad)  # (N, OH, OW, O)
        grad_x = grad_w = None
        if self.input_needs_grad(0):
            matrix = weight_matrix(self.weight, self.groups)  # made again: a copy kept from forward is memory held
            grad_x = _scatter(g, matrix, self.kernel, self.stride, self.padding, self.dilation, self.input_size)
            grad_x = grad_x.transpose(0, 3, 1, 2)
        if self.input_needs_grad(1):
            # dL/dM[group, (i, j, c), o] = sum over windows of cols[group, window, (i, j, c)] * g[window, group, o]
            cols, _ = columns(self.x, self.kernel, self.stride, self.padding, self.dilation, self.groups)
            grad_w = weight_from_matrix(matrix_gradient(cols, g, self.groups), self.weight.shape)
        if len(self.inputs) == 2:
            return grad_x, grad_w
        grad_b = g.reshape(-1, g.shape[-1]).sum(axis=0) if self.input_needs_grad(2) else None
        return grad_x, grad_w, grad_b

    def backward_graph(self, grad: Tensor) -> tuple[Any, ...]:
        x, weight = self.inputs[:2]
        self.check_graph_groups()
        grad_x = grad_w = None
        if self.input_needs_grad(0):
            kernel_reach = [d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel)]
            covered = [(o - 1) * s - 2 * p + r for o, s, p, r in zip(grad.shape[2:], self.stride, self.padding,
                                                                         kernel_reach)]  # fmt: skip
            output_padding = tuple(n - c for n, c in zip(self.input_size, covered))
            grad_x = conv_transpose2d(grad, weight, None, self.stride, self.padding, output_padding, 1, self.dilation)
        if self.input_needs_grad(1):
            grad_w = _weight_gradient_graph(x, grad, self.kernel, self.stride, self.padding, self.dilation)
        grads = (grad_x, grad_w)
        if len(self.inputs) == 3:
            grads += (grad.sum(axis=(0, 2, 3)) if self.input_needs_grad(2) else None,)
        return grads


class ConvTranspose2d(_Convolution):
    """y = the transpose (adjoint) of conv2d by W, applied to x, plus b.
    dL/dx = conv2d of g by W, dL/dW = x correlated with g's windows, dL/db = g summed over batch and pixels."""

    name = "conv_transpose2d"

    def __init__(self, stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0, groups: int = 1,
                 dilation: IntPair = 1) -> None:  # fmt: skip
        super().__init__(stride, padding, dilation, groups)
        self.output_padding = pair(output_padding, f"{self.name} output_padding")
        if any(op >= max(s, d) for op, s, d in zip(self.output_padding, self.stride, self.dilation)):
            raise ValueError(
                f"{self.name}: output_padding {self.output_padding} must be smaller than stride {self.stride} "
                f"or dilation {self.dilation} (as PyTorch requires)"
            )

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        _check_input(self.name, x, weight, weight.shape[0], self.groups, bias)
        kernel = tuple(weight.shape[2:])
        # The output has the size of the input that a conv2d with these settings would map to x's size.
        settings = zip(x.shape[2:], kernel, self.stride, self.padding, self.dilation, self.output_padding)
        size = tuple((s - 1) * st - 2 * p + d * (k - 1) + 1 + op for s, k, st, p, d, op in settings)
        if min(size) < 1:
            raise self.sizes_error(x, kernel, size)
        self.kernel, self.weight = kernel, weight
        x = channels_last(x)  # (N, H, W, C_in)
        self.x = x if self.input_needs_grad(1) else None  # kept for dL/dW
        self.input_size = x.shape[1:3]
        matrix = weight_matrix(weight, self.groups)  # (groups, kh*kw*C_out/groups, C_in/groups)
        out = _scatter(x, matrix, kernel, self.stride, self.padding, self.dilation, size)
        if bias is not None:
            out += bias
        return out.transpose(0, 3, 1, 2)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        # Correlating g with W is exactly conv2d's forward: it gives dL/dx, and its columns give dL/dW.
        # One window per input pixel: count=(H, W) (an output_padding >= stride would fit one window more).
        g, count = grad.transpose(0, 2, 3, 1), self.input_size  # g: (N, OH, OW, C_out)
        settings = (self.kernel, self.stride, self.padding, self.dilation)
        grad_x = grad_w = None
        if self.input_needs_grad(0):
            grad_x, cols = _correlate(g, weight_matrix(self.weight, self.groups), *settings, count)
            grad_x = grad_x.transpose(0, 3, 1, 2)
        elif self.input_needs_grad(1):  # the columns alone (a generator's first layer: its input z is noise)
            cols, _ = columns(g, *settings, self.groups, count)
        if self.input_needs_grad(1):
            # dL/dM[group, (i, j, o), c] = sum over input pixels of cols[group, pixel, (i, j, o)] * x[pixel, group, c]
            grad_w = weight_from_matrix(matrix_gradient(cols, self.x, self.groups), self.weight.shape)
        if len(self.inputs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, grad.sum(axis=(0, 2, 3)) if self.input_needs_grad(2) else None

    def backward_graph(self, grad: Tensor) -> tuple[Any, ...]:
        x, weight = self.inputs[:2]
        self.check_graph_groups()
        grad_x = grad_w = None
        if self.input_needs_grad(0):
            grad_x = conv2d(grad, weight, None, self.stride, self.padding, self.dilation)
        if self.input_needs_grad(1):  # x and g play conv2d's g and x: this layer is conv2d's input gradient
            grad_w = _weight_gradient_graph(grad, x, self.kernel, self.stride, self.padding, self.dilation)
        grads = (grad_x, grad_w)
        if len(self.inputs) == 3:
            grads += (grad.sum(axis=(0, 2, 3)) if self.input_needs_grad(2) else None,)
        return grads


def _weight_gradient_graph(x: Tensor, g: Tensor, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Tensor:
    """dL/dW (O, C, kh, kw) of y = conv2d(x, W) for dL/dy = g, as a recorded conv2d:

        dW[o, c, i, j] = sum over n, p, q of g[n, o, p, q] * x_padded[n, c, p*stride + i*dilation, ...]

    is the correlation of x (channels as the batch) with g (batch as the channels), with stride and
    dilation swapped; the windows that fit past the kernel's size are cut off.
    """
    swapped = conv2d(x.transpose(0, 1), g.transpose(0, 1), None, dilation, padding, stride)  # (C, O, >=kh, >=kw)
    return swapped[:, :, : kernel[0], : kernel[1]].transpose(0, 1)


def conv2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of ``input`` (N, C, H, W) with ``weight`` (O, C/groups, kh, kw), as torch's conv2d.

    Output size: (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1 (likewise for W).
    """
    function = Conv2d(stride, padding, dilation, groups)
    return function(input, weight) if bias is None else function(input, weight, bias)


def conv_transpose2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    groups: int = 1,
    dilation: IntPair = 1,
) -> Tensor:
    """Transposed convolution of ``input`` (N, C_in, H, W) with ``weight`` (C_in, C_out/groups, kh, kw), as torch's.

    Output size: (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1 (likewise for W).
    Note PyTorch's argument order: groups comes before dilation here.
    """
    function = ConvTranspose2d(stride, padding, output_padding, groups, dilation)
    return function(input, weight) if bias is None else function(input, weight, bias)
