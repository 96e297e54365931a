"""Functions that move values around without changing them: reshape, transpose,
flatten, pad, concatenate, stack. Their backward moves the gradient back the same way."""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence
from typing import Any

from minigen.ops.broadcasting import BroadcastTo
from minigen.tensor import Function, Tensor


class Reshape(Function):
    """y = x with a new shape. dL/dx = dL/dy reshaped back."""

    saves_inputs = False

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, grad: Any) -> Any:
        return grad.reshape(self.input_shape)

    backward_graph = backward  # Tensor.reshape is this op


class Transpose(Function):
    """y = x with its axes permuted. dL/dx = dL/dy with the inverse permutation."""

    saves_inputs = False

    def __init__(self, axes: Sequence[int] | None) -> None:
        self.axes = axes

    def forward(self, x: Any) -> Any:
        self.axes = tuple(reversed(range(x.ndim))) if self.axes is None else tuple(a % x.ndim for a in self.axes)
        return self.xp.transpose(x, self.axes)

    def backward(self, grad: Any) -> Any:
        return self.xp.transpose(grad, self.inverse())

    def backward_graph(self, grad: Tensor) -> Tensor:
        return Transpose(self.inverse())(grad)

    def inverse(self) -> list[int]:
        """The permutation that undoes ``axes``."""
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis] = position
        return inverse


class Pad(Function):
    """y = x surrounded by a constant. dL/dx = the interior of dL/dy."""

    saves_inputs = False

    def __init__(self, pad: Sequence[int], value: float) -> None:
        if len(pad) % 2:
            raise ValueError(f"pad needs (before, after) pairs, got {tuple(pad)}")
        if any(p < 0 for p in pad):
            raise ValueError(f"pad widths must be >= 0, got {tuple(pad)}")
        self.pad, self.value = tuple(pad), value

    def forward(self, x: Any) -> Any:
        pairs = len(self.pad) // 2
        if pairs > x.ndim:
            raise ValueError(f"pad {self.pad} pads {pairs} axes but the input has shape {x.shape}")
        # PyTorch order: (last_before, last_after, second_last_before, ...)
        widths = [(0, 0)] * (x.ndim - pairs) + [(self.pad[2 * i], self.pad[2 * i + 1]) for i in reversed(range(pairs))]
        self.interior = tuple(slice(before, before + n) for (before, _), n in zip(widths, x.shape))
        return self.xp.pad(x, widths, mode="constant", constant_values=self.value)

    def backward(self, grad: Any) -> Any:
        return grad[self.interior]

    backward_graph = backward  # Tensor indexing is differentiable


class Concatenate(Function):
    """y = [x_1, x_2, ...] joined along ``axis``. dL/dx_k = the slice of dL/dy that came from x_k."""

    saves_inputs = False

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *arrays: Any) -> Any:
        self.sizes = [a.shape[self.axis] for a in arrays]
        return self.xp.concatenate(arrays, axis=self.axis)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        axis = self.axis % grad.ndim
        grads, start = [], 0
        for size in self.sizes:
            index = (slice(None),) * axis + (slice(start, start + size),)
            grads.append(grad[index])
            start += size
        return tuple(grads)

    backward_graph = backward


class Stack(Function):
    """y = [x_1, x_2, ...] stacked along a new ``axis``. dL/dx_k = dL/dy taken at k on that axis."""

    saves_inputs = False

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *arrays: Any) -> Any:
        return self.xp.stack(arrays, axis=self.axis)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        return tuple(self.xp.moveaxis(grad, self.axis, 0))

    def backward_graph(self, grad: Tensor) -> tuple[Tensor, ...]:
        axis = self.axis % grad.ndim
        return tuple(grad[(slice(None),) * axis + (k,)] for k in range(grad.shape[axis]))


def _sizes(sizes: tuple, function: str) -> tuple[int, ...]:
    """``(2, 3)`` from ``f(x, 2, 3)`` or ``f(x, (2, 3))``, each an int, or a one-line error naming ``function``."""
    if len(sizes) == 1 and not isinstance(sizes[0], numbers.Integral):
        if not isinstance(sizes[0], Sequence):
            raise TypeError(f"{function}: got {sizes[0]!r}; expected ints or one tuple of ints")
        sizes = tuple(sizes[0])
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{function}: size {n!r} in {tuple(sizes)} is a {type(n).__name__}, expected an int")
    return tuple(int(n) for n in sizes)


def _new_shape(x: Tensor, shape: tuple[int, ...], function: str) -> tuple[int, ...]:
    """``shape`` with its one -1 inferred, checked against ``x``'s element count (torch's message)."""
    known = 1
    for n in shape:
        known *= n if n != -1 else 1
    unknown = [i for i, n in enumerate(shape) if n == -1]
    numel = x.numel()
    if len(unknown) > 1 or any(n < -1 for n in shape):
        raise RuntimeError(f"{function}: shape {list(shape)} is invalid (sizes >= 0, at most one -1)")
    if unknown and known and numel % known == 0:
        return shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1 :]
    if unknown or known != numel:
        raise RuntimeError(f"{function}: shape {list(shape)} is invalid for input of size {numel} (shape {x.shape})")
    return shape


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """x with a new shape (one entry may be -1); ``reshape(x, 2, 3)`` or ``reshape(x, (2, 3))``."""
    return Reshape(_new_shape(x, _sizes(shape, "reshape"), "reshape"))(x)


def view(x: Tensor, *shape: Any) -> Tensor:
    """torch's ``Tensor.view``: :func:`reshape` (a view of the same memory when NumPy/CuPy can make one).

    Unlike torch it does not refuse a non-contiguous input: the array module copies where it must.
    """
    return Reshape(_new_shape(x, _sizes(shape, "view"), "view"))(x)


def squeeze(x: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """x without its size-1 axes (all, or those among ``dim``); a ``dim`` of another size stays, as in torch."""
    if dim is None:
        dims = range(x.ndim)
    else:
        dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
        dims = {_dim(d, x.ndim, "squeeze") for d in dims}
    return Reshape(tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1)))(x)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """x with a new size-1 axis at ``dim`` (in [-ndim-1, ndim]), as torch.unsqueeze."""
    axis = _dim(dim, x.ndim + 1, "unsqueeze")
    return Reshape(x.shape[:axis] + (1,) + x.shape[axis:])(x)


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """x broadcast to ``sizes`` (-1 keeps a size; new axes go in front), a read-only view, as torch's expand."""
    sizes = _sizes(sizes, "expand")
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand: sizes {list(sizes)} have fewer entries than the {x.ndim} dims of shape {x.shape}")
    extra = len(sizes) - x.ndim
    if -1 in sizes[:extra]:
        raise RuntimeError(f"expand: sizes {list(sizes)} put -1 on a new leading dim (only existing dims may keep)")
    shape = sizes[:extra] + tuple(n if s == -1 else s for n, s in zip(x.shape, sizes[extra:]))
    for n, s in zip(x.shape, shape[extra:]):
        if n != s and n != 1:
            raise RuntimeError(f"expand: sizes {list(sizes)} do not match shape {x.shape} (only size-1 dims expand)")
    return BroadcastTo(shape)(x)


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """x tiled ``sizes[i]`` times along each axis (leading new axes allowed), as torch's ``Tensor.repeat``.

    Built from a reshape, a broadcast and a reshape, so the gradient sums over the copies by itself.
    """
    sizes = _sizes(sizes, "repeat")
    if len(sizes) < x.ndim or any(r < 0 for r in sizes):
        raise RuntimeError(f"repeat: sizes {list(sizes)} must be >= 0 and number at least the {x.ndim} dims of x")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    interleaved = tuple(n for pair in zip((1,) * len(shape), shape) for n in pair)  # (1, s0, 1, s1, ...)
    spread = tuple(n for pair in zip(sizes, shape) for n in pair)  # (r0, s0, r1, s1, ...)
    tiled = BroadcastTo(spread)(Reshape(interleaved)(x))
    return Reshape(tuple(r * n for r, n in zip(sizes, shape)))(tiled)


def transpose(x: Tensor, *dims: int | Sequence[int] | None) -> Tensor:
    """Swap two axes, ``transpose(x, 0, 1)`` as torch.transpose; or permute them all.

    ``transpose(x)`` reverses the axes; ``transpose(x, (2, 0, 1))`` and ``transpose(x, 2, 0, 1)`` permute them,
    as numpy.transpose and torch.permute do. Two ints always swap (PyTorch's meaning).
    """
    if len(dims) == 1 and (dims[0] is None or not isinstance(dims[0], numbers.Integral)):
        axes = dims[0]
    elif len(dims) == 2:
        d0, d1 = (_axis(d, x.ndim, "transpose") for d in dims)
        axes = list(range(x.ndim))
        axes[d0], axes[d1] = axes[d1], axes[d0]
    else:
        axes = dims or None
    if axes is not None:
        axes = tuple(_axis(a, x.ndim, "transpose") for a in axes) if len(axes) == x.ndim else tuple(axes)
        if sorted(_axis(a, x.ndim, "transpose") for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
    return Transpose(axes)(x)


def permute(x: Tensor, *dims: int | Sequence[int]) -> Tensor:
    """The axes in the order ``dims`` (``x.permute(2, 0, 1)`` or ``x.permute((2, 0, 1))``), as torch.permute."""
    axes = tuple(dims[0]) if len(dims) == 1 and not isinstance(dims[0], numbers.Integral) else dims
    return transpose(x, axes)  # one sequence: always a permutation, never a swap


def _axis(axis: Any, ndim: int, function: str) -> int:
    """``axis`` as a non-negative int, or a one-line error naming ``function``."""
    try:
        index = operator.index(axis)  # an int, or a NumPy integer
    except TypeError:
        raise TypeError(f"{function}: axis {axis!r} is a {type(axis).__name__} (expected an int)") from None
    if isinstance(axis, bool) or not -max(ndim, 1) <= index < max(ndim, 1):
        raise ValueError(f"{function}: axis {axis!r} is out of range for a tensor with {ndim} dimensions")
    return index % max(ndim, 1)


def _dim(dim: Any, ndim: int, function: str) -> int:
    """:func:`_axis`, but an int out of range raises IndexError, as torch does (squeeze, unsqueeze)."""
    rank = max(ndim, 1)
    if isinstance(dim, numbers.Integral) and not isinstance(dim, bool) and not -rank <= dim < rank:
        raise IndexError(f"{function}: dim {dim} is out of range for a tensor with {ndim} dimensions "
                         f"(expected in [{-rank}, {rank - 1}])")  # fmt: skip
    return _axis(dim, ndim, function)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim..end_dim into one, as torch.flatten."""
    start, end = _axis(start_dim, x.ndim, "flatten"), _axis(end_dim, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {x.shape}")
    merged = 1
    for n in x.shape[start : end + 1]:
        merged *= n
    return Reshape(x.shape[:start] + (merged,) + x.shape[end + 1 :])(x)


def pad(x: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:
    """Constant padding with PyTorch's order: ``pad=(left, right, top, bottom, ...)``, last axis first."""
    return Pad(pad, value)(x)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (torch.cat)."""
    return Concatenate(axis)(*tensors)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along a new axis."""
    return Stack(axis)(*tensors)
