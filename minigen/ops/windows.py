"""Windows of an image: the strided view and the im2col/col2im pair that convolution, pooling and fold share.

A layer that slides a (kh, kw) window over an image -- convolution, pooling, unfold -- needs
the same three things, and they live here once:

* :func:`windows`: every window as a strided *view* (N, OH, OW, C, kh, kw) of the input,
  no copy (padding costs one copy, a border of ``fill``);
* :func:`im2col`: those windows copied once into contiguous rows, one matrix per channel
  group, so that a convolution is a single (batched) matmul;
* :func:`col2im`: the exact reverse (the adjoint): each window's values added back onto the
  pixels it covered, overlapping windows summing up. It is the gradient of im2col, and
  im2col is the gradient of col2im. :func:`sum_taps` does its adding, one kernel tap at a time.

Layout, chosen for speed: the helpers work channels-last, (N, H, W, C). A window's
kh*kw*C values and a pixel's C channels are then runs of contiguous memory, so the
strided copies move whole channel vectors at a time instead of a few pixels (in
(N, C, H, W) order a stride-2 window row is 4 scattered floats). Layers keep PyTorch's
(N, C, H, W) shapes and hand the helpers ``x.transpose(0, 2, 3, 1)`` views.

``dilation`` spreads a kernel's taps d pixels apart, so a window reads the pixels at
offsets (i*dh, j*dw): :func:`windows` takes a window d*(k-1)+1 wide and keeps every d-th
pixel (a strided slice, still a view), and :func:`col2im` adds tap (i, j) back at offset
(i*dh, j*dw).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from minigen.backend import get_array_module

IntPair = int | tuple[int, int]  # what callers may pass
Pair = tuple[int, int]  # (height, width) after pair()


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def pair(value: IntPair, name: str, minimum: int = 0) -> Pair:
    """``value`` as (height, width) integers >= ``minimum``; an int means both."""
    values = (value, value) if _is_int(value) else tuple(value) if isinstance(value, tuple | list) else ()
    if len(values) != 2 or not all(_is_int(v) for v in values):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """How many windows of ``kernel`` taps, ``dilation`` apart, fit along ``size`` with this stride and padding."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def channels_last(x: Any) -> Any:
    """(N, C, H, W) -> contiguous (N, H, W, C); free when ``x`` is a view of channels-last memory."""
    return get_array_module(x).ascontiguousarray(x.transpose(0, 2, 3, 1))


def windows(x: Any, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1), fill: float = 0,
            count: Pair | None = None) -> Any:  # fmt: skip
    """A strided view (N, OH, OW, C, kh, kw) of the windows of ``x`` (N, H, W, C).

    Padding costs one copy (and a border of ``fill``); the windows themselves cost
    nothing: window (oh, ow) starts at row oh*sh, column ow*sw of the padded input.
    A dilated window is a strided slice of a larger one: its kh taps sit dh rows
    apart, so it spans dh*(kh-1)+1 rows, and taking every dh-th row of that span
    gives the taps. ``count`` (OH, OW) asks for that many windows instead of the
    ones that fit: extra ones (pooling's ceil_mode) read ``fill`` past the bottom
    and right edges, fewer ones drop the last (conv_transpose2d's output_padding).
    """
    xp = get_array_module(x)
    n, height, width, c = x.shape
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if count is None:
        count = tuple(output_size(*args) for args in zip((height, width), kernel, stride, padding, dilation))
    reach = [(o - 1) * s + sp for o, s, sp in zip(count, stride, span)]  # padded rows (columns) the windows cover
    eh, ew = (max(0, r - size - 2 * p) for r, size, p in zip(reach, (height, width), padding))  # past the padding
    ph, pw = padding
    if ph or pw or eh or ew:
        padded = xp.empty((n, height + 2 * ph + eh, width + 2 * pw + ew, c), dtype=x.dtype)
        padded[:, ph : ph + height, pw : pw + width] = x
        for border in (padded[:, :ph], padded[:, ph + height :], padded[:, :, :pw], padded[:, :, pw + width :]):
            border[...] = fill  # the four borders only: the inside is written once, by the copy
        x = padded
    view = xp.lib.stride_tricks.sliding_window_view(x, span, axis=(1, 2))  # every position, stride 1
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, count
    return view[:, : sh * oh : sh, : sw * ow : sw, :, ::dh, ::dw]


def im2col(x: Any, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1), groups: int = 1,
           fill: float = 0, count: Pair | None = None) -> Any:  # fmt: skip
    """The windows of ``x`` (N, H, W, C) copied into one (groups, N, OH, OW, kh, kw, C/groups) array.

    One copy, so that the matmul that follows runs on a contiguous matrix per group (with one group and fewer
    channels than output columns, the memory is laid out (kh, kw, C, N, OH, OW) and the matrix is its transpose,
    which BLAS reads as well; (N*OH*OW, kh*kw*C) is still a free reshape).
    The channels split into ``groups`` blocks of C/groups, and each block's windows
    form one matrix: group g's rows are the windows of channels g*C/groups onwards.
    With one group the leading axis has size 1 and the memory is the plain im2col.
    """
    view = windows(x, kernel, stride, padding, dilation, fill, count)
    n, oh, ow, c, kh, kw = view.shape
    xp = get_array_module(x)
    if groups == 1 and c < ow:  # few channels: copy tap by tap, whole rows of OW pixels (col2im's taps_channels_first)
        return xp.ascontiguousarray(view.transpose(4, 5, 3, 0, 1, 2)).transpose(3, 4, 5, 0, 1, 2)[None]
    view = view.reshape(n, oh, ow, groups, c // groups, kh, kw)  # splitting an axis: still a view
    return xp.ascontiguousarray(view.transpose(3, 0, 1, 2, 5, 6, 4))


def col2im(cols: Any, size: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1), layout: str = "windows") -> Any:
    """The adjoint of :func:`im2col`: windows summed back onto (N, H, W, C) (see :func:`sum_taps`).

    ``layout`` says how ``cols`` is laid out:

    * "windows": (groups, N, OH, OW, kh, kw, C/groups), im2col's own;
    * "taps": (kh, kw, N, OH, OW, C), one group, tap by tap: each added slice is then contiguous memory
      rather than runs of C values kh*kw*C apart (2x faster for a DCGAN's layers);
    * "taps_channels_first": (kh, kw, C, N, OH, OW), one group, summed in a (C, N, H, W) buffer returned as an
      (N, H, W, C) view: with few channels (an RGB image's gradient) each added slice is whole rows of OW
      pixels rather than runs of C values (3-5x faster at C = 3).
    """
    if layout == "windows":  # seen tap-major: taps[i, j] is (N, OH, OW, groups, C/groups), a view
        groups, n, oh, ow, kh, kw, c = cols.shape
        taps, channels = cols.transpose(4, 5, 1, 2, 3, 0, 6), (groups, c)
    elif layout == "taps":  # taps[i, j] is (N, OH, OW, C)
        kh, kw, n, oh, ow, c = cols.shape
        taps, channels = cols, (c,)
    else:  # taps[i, j] is (C, N, OH, OW)
        kh, kw, c, n, oh, ow = cols.shape
        taps, channels = cols, (c,)
    return sum_taps(lambda i, j: taps[i, j], (kh, kw), (n, oh, ow), channels, size, stride, padding, dilation,
                    layout == "taps_channels_first", get_array_module(cols), cols.dtype)  # fmt: skip


def sum_taps(tap: Callable[[int, int], Any], kernel: Pair, count: tuple[int, int, int], channels: tuple[int, ...],
             size: Pair, stride: Pair, padding: Pair, dilation: Pair, channels_first: bool, xp: Any,
             dtype: Any) -> Any:  # fmt: skip
    """Every window's taps added back onto the pixels they cover: the (N, H, W, C) image.

    ``tap(i, j)`` gives what tap (i, j) of each of the ``count`` = (N, OH, OW) windows holds,
    as an (N, OH, OW, *channels) array ((*channels, N, OH, OW) when ``channels_first``, summed
    in a (C, N, H, W) buffer returned as an (N, H, W, C) view). Tap (i, j) of window (oh, ow)
    sits at row oh*sh + i*dh, column ow*sw + j*dw of the padded input, so each tap adds one
    strided slice (all windows at once) and overlapping windows add up. ``size`` is the
    unpadded (H, W): the padding border (and whatever windows reach beyond it) receives
    values that are then dropped. As ``tap`` is called once per tap just before its values
    are added, a caller may compute them there: one tap's values are then all that exists.
    """
    (kh, kw), (n, oh, ow), (sh, sw), (ph, pw), (dh, dw) = kernel, count, stride, padding, dilation
    height = max(size[0] + 2 * ph, (oh - 1) * sh + dh * (kh - 1) + 1)
    width = max(size[1] + 2 * pw, (ow - 1) * sw + dw * (kw - 1) + 1)
    out = xp.zeros((*channels, n, height, width) if channels_first else (n, height, width, *channels), dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            covered = out[:, :, rows, columns] if channels_first else out[:, rows, columns]  # a view: += adds in place
            covered += tap(i, j)
    out = out.transpose(1, 2, 3, 0) if channels_first else out.reshape(n, height, width, -1)
    return out[:, ph : ph + size[0], pw : pw + size[1]]
