"""unfold and fold: PyTorch's im2col and col2im as differentiable functions.

``unfold`` lays out every (kh, kw) window of an (N, C, H, W) image as a column:

    unfold(x)[n, c*kh*kw + i*kw + j, oh*OW + ow] = x_padded[n, c, oh*sh + i*dh, ow*sw + j*dw]

an (N, C*kh*kw, L) tensor with L = OH*OW windows. ``fold`` is its adjoint: it adds each
column back onto the pixels its window covers (overlapping windows sum), so
``fold(unfold(x))`` is x times the number of windows covering each pixel. Each is the
other's gradient, as im2col and col2im are for convolution; both are built on the
window helpers of ``windows.py``.
"""

from __future__ import annotations

from typing import Any

from minigen.ops.shape import reshape
from minigen.ops.windows import IntPair, Pair, col2im, output_size, pair, windows
from minigen.tensor import Function, Tensor, linear_backward_graph


def _unfold(x: Any, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair) -> Any:
    """(N, C, H, W) -> (N, C*kh*kw, OH*OW): the window view, copied once into PyTorch's column order."""
    view = windows(x.transpose(0, 2, 3, 1), kernel, stride, padding, dilation)  # (N, OH, OW, C, kh, kw), a view
    n, oh, ow, c, kh, kw = view.shape
    return view.transpose(0, 3, 4, 5, 1, 2).reshape(n, c * kh * kw, oh * ow)


def _fold(cols: Any, size: Pair, blocks: Pair, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair) -> Any:
    """(N, C*kh*kw, OH*OW) -> (N, C, H, W): each column added back onto its window's pixels (col2im)."""
    n, (kh, kw), (oh, ow) = cols.shape[0], kernel, blocks
    cols = cols.reshape(n, -1, kh, kw, oh, ow).transpose(0, 4, 5, 2, 3, 1)[None]  # (1, N, OH, OW, kh, kw, C)
    return col2im(cols, size, stride, padding, dilation).transpose(0, 3, 1, 2)


class _Windows(Function):
    """The settings unfold and fold share, checked once."""

    def __init__(self, kernel_size: IntPair, dilation: IntPair, padding: IntPair, stride: IntPair) -> None:
        name = type(self).__name__.lower()
        self.kernel = pair(kernel_size, f"{name}: kernel_size", 1)
        self.dilation = pair(dilation, f"{name}: dilation", 1)
        self.padding = pair(padding, f"{name}: padding")
        self.stride = pair(stride, f"{name}: stride", 1)

    def blocks(self, size: tuple[int, ...]) -> Pair:
        """(OH, OW): how many windows fit along the (padded) height and width ``size``."""
        counts = tuple(output_size(*a) for a in zip(size, self.kernel, self.stride, self.padding, self.dilation))
        if min(counts) < 1:
            raise ValueError(
                f"{type(self).__name__.lower()}: no window fits: spatial size {tuple(size)} with kernel_size "
                f"{self.kernel}, dilation {self.dilation}, padding {self.padding}, stride {self.stride} "
                f"gives {counts} blocks (expected at least one along each axis)"
            )
        return counts  # type: ignore[return-value]


class Unfold(_Windows):
    """y = the windows of x as columns (im2col). dL/dx = fold(g): each column's gradient added back (col2im)."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        self.size, self.count = x.shape[2:], self.blocks(x.shape[2:])
        return _unfold(x, self.kernel, self.dilation, self.padding, self.stride)

    def backward(self, grad: Any) -> Any:
        return _fold(grad, self.size, self.count, self.kernel, self.dilation, self.padding, self.stride)

    backward_graph = linear_backward_graph


class Fold(_Windows):
    """y = the columns of x summed onto their windows' pixels (col2im). dL/dx = unfold(g) (im2col)."""

    saves_inputs = False

    def __init__(self, output_size: IntPair, kernel_size: IntPair, dilation: IntPair, padding: IntPair,
                 stride: IntPair) -> None:  # fmt: skip
        super().__init__(kernel_size, dilation, padding, stride)
        self.size = pair(output_size, "fold: output_size", 1)

    def forward(self, x: Any) -> Any:
        (kh, kw), count = self.kernel, self.blocks(self.size)
        if x.shape[1] % (kh * kw):
            raise ValueError(
                f"fold: input of shape {tuple(x.shape)}: axis 1 ({x.shape[1]}) must be divisible by "
                f"kernel_size[0] * kernel_size[1] = {kh * kw} (it holds C * kh * kw values per window)"
            )
        if x.shape[2] != count[0] * count[1]:
            raise ValueError(
                f"fold: input of shape {tuple(x.shape)} has {x.shape[2]} blocks on axis 2, expected "
                f"{count[0]} * {count[1]} = {count[0] * count[1]} for output_size {self.size}, kernel_size "
                f"{self.kernel}, dilation {self.dilation}, padding {self.padding}, stride {self.stride}"
            )
        return _fold(x, self.size, count, self.kernel, self.dilation, self.padding, self.stride)

    def backward(self, grad: Any) -> Any:
        return _unfold(grad, self.kernel, self.dilation, self.padding, self.stride)

    backward_graph = linear_backward_graph


def unfold(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """Sliding windows of ``input`` (N, C, H, W) as columns (N, C*kh*kw, L), as torch.nn.functional.unfold.

    L = OH*OW, with OH = (H + 2*padding - dilation*(kh - 1) - 1) // stride + 1 (likewise OW).
    A 3-D input (C, H, W) gives (C*kh*kw, L).
    """
    return _unbatch(Unfold(kernel_size, dilation, padding, stride), input, 4, "unfold", "(N, C, H, W)")


def fold(
    input: Tensor,  # noqa: A002 - PyTorch's name
    output_size: IntPair,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """Columns (N, C*kh*kw, L) summed back onto an (N, C, *output_size) image, as torch.nn.functional.fold.

    The adjoint of :func:`unfold`: overlapping windows add up. A 2-D input (C*kh*kw, L) gives (C, H, W).
    """
    function = Fold(output_size, kernel_size, dilation, padding, stride)
    return _unbatch(function, input, 3, "fold", "(N, C*kh*kw, L)")


def _unbatch(function: Function, input: Tensor, ndim: int, name: str, layout: str) -> Tensor:
    """``function`` of an ``ndim``-D batch, or of one unbatched sample (one axis fewer) as a batch of one."""
    if input.ndim not in (ndim - 1, ndim):
        raise ValueError(f"{name}: input must be {ndim - 1}-D or {ndim}-D {layout}, got shape {input.shape}")
    if input.ndim == ndim:
        return function(input)
    output = function(reshape(input, (1, *input.shape)))
    return reshape(output, output.shape[1:])
