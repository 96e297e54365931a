"""Reductions over axes (NumPy's ``axis=`` and ``keepdims=``), softmax and its log (PyTorch's ``dim=``).

A reduction's backward spreads dL/dy back over the reduced axes: first put the
reduced axes back as size 1 (:func:`restore_reduced_axes`), then broadcast.
"""

from __future__ import annotations

import numbers
from collections import namedtuple
from typing import Any

from minigen import backend
from minigen.ops.indexing import where
from minigen.tensor import Function, Tensor

Axis = int | tuple[int, ...] | None


def normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (None means all)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(a % ndim for a in axes))


def restore_reduced_axes(grad: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Re-insert the reduced axes as size 1, so ``grad`` broadcasts against the input."""
    if keepdims:
        return grad
    for a in axes:
        grad = grad.reshape(grad.shape[:a] + (1,) + grad.shape[a:])
    return grad


class Reduction(Function):
    """Base of reductions: knows its axes and how to spread a gradient back."""

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = axis, keepdims

    def setup(self, x: Any) -> tuple[int, ...]:
        self.input_shape = x.shape
        self.axes = normalize_axes(self.axis, x.ndim)
        return self.axes

    def spread(self, grad: Any) -> Any:
        """dL/dy broadcast back to the input's shape (an array, or a Tensor in backward_graph)."""
        grad = restore_reduced_axes(grad, self.axes, self.keepdims)
        if isinstance(grad, Tensor):
            return grad.broadcast_to(self.input_shape)
        return self.xp.broadcast_to(grad, self.input_shape)

    @property
    def count(self) -> int:
        """How many input elements each output element summarises."""
        count = 1
        for a in self.axes:
            count *= self.input_shape[a]
        return count


class Sum(Reduction):
    """y = sum_i x_i. dy/dx_i = 1."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        return x.sum(axis=self.setup(x), keepdims=self.keepdims)

    def backward(self, grad: Any) -> Any:
        return self.spread(grad)

    backward_graph = backward


class Mean(Reduction):
    """y = (1/n) sum_i x_i. dy/dx_i = 1/n."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        return x.mean(axis=self.setup(x), keepdims=self.keepdims)

    def backward(self, grad: Any) -> Any:
        return self.spread(grad) / self.count

    backward_graph = backward


class Var(Reduction):
    """y = sum_i (x_i - mean)^2 / (n - ddof). dy/dx_i = 2 (x_i - mean) / (n - ddof)."""

    def __init__(self, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> None:
        super().__init__(axis, keepdims)
        self.ddof = ddof

    def forward(self, x: Any) -> Any:
        axes = self.setup(x)
        self.centered = x - x.mean(axis=axes, keepdims=True)
        return (self.centered**2).sum(axis=axes, keepdims=self.keepdims) / (self.count - self.ddof)

    def backward(self, grad: Any) -> Any:
        return self.spread(grad) * self.centered * (2 / (self.count - self.ddof))

    def backward_graph(self, grad: Tensor) -> Tensor:
        x = self.inputs[0]
        centered = x - x.mean(axis=self.axes, keepdims=True)
        return self.spread(grad) * centered * (2 / (self.count - self.ddof))


class Max(Reduction):
    """y = max_i x_i. dy/dx_i = 1 at the maximum (shared equally between ties), else 0."""

    def forward(self, x: Any) -> Any:
        y = x.max(axis=self.setup(x), keepdims=True)
        is_max = (x == y).astype(x.dtype)
        self.share = is_max / is_max.sum(axis=self.axes, keepdims=True)
        return y if self.keepdims else y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, grad: Any) -> Any:
        return self.spread(grad) * self.share

    backward_graph = backward  # the shares of the maximum are constants


class Prod(Reduction):
    """y = prod_i x_i. dy/dx_i = prod_{j != i} x_j: the product of the elements before i times those after i
    (exclusive running products from both ends), exact even where some x_j are 0 (unlike y / x_i)."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return x.prod(axis=self.setup(x), keepdims=self.keepdims)

    def backward(self, grad: Any) -> Any:
        xp, x = self.xp, self.x
        if x.size == 0:
            return self.spread(grad)
        kept = [a for a in range(x.ndim) if a not in self.axes]
        moved = xp.transpose(x, kept + list(self.axes))  # the reduced axes last, flattened into one
        flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.concatenate([ones, xp.cumprod(flat[..., :-1], axis=-1)], axis=-1)
        after = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(flat[..., 1:], axis=-1), axis=-1)], axis=-1), axis=-1)
        others = (before * after).reshape(moved.shape)
        inverse = [0] * x.ndim
        for position, axis in enumerate(kept + list(self.axes)):
            inverse[axis] = position
        return self.spread(grad) * xp.transpose(others, inverse)


class MaxAlong(Function):
    """values = the max (or min) of x along one ``dim``; ``self.indices`` = where (the first, on ties).

    dL/dx = dL/dvalues at the chosen index, 0 elsewhere (torch's max(dim) gives a tie's gradient to that one
    index; the full reduction :class:`Max` shares it).
    """

    saves_inputs = False

    def __init__(self, dim: int, keepdim: bool, largest: bool) -> None:
        self.dim, self.keepdim, self.largest = dim, keepdim, largest

    def forward(self, x: Any) -> Any:
        xp = self.xp
        self.input_shape = x.shape
        index = (xp.argmax if self.largest else xp.argmin)(x, axis=self.dim, keepdims=True)
        self.index = index.astype("int64", copy=False)
        values = xp.take_along_axis(x, self.index, axis=self.dim)
        self.indices = self.index if self.keepdim else xp.squeeze(self.index, axis=self.dim)
        return values if self.keepdim else xp.squeeze(values, axis=self.dim)

    def backward(self, grad: Any) -> Any:
        xp = self.xp
        if not self.keepdim:
            grad = xp.expand_dims(grad, self.dim)
        return xp.where(self.chosen(), grad, xp.zeros((), dtype=grad.dtype))

    def backward_graph(self, grad: Tensor) -> Tensor:
        if not self.keepdim:
            grad = grad.unsqueeze(self.dim)
        return where(self.chosen(), grad, 0.0)

    def chosen(self) -> Any:
        """A boolean mask of x's shape (broadcast): True at the index each value came from."""
        shape = [-1 if a == self.dim else 1 for a in range(len(self.input_shape))]
        return self.xp.arange(self.input_shape[self.dim]).reshape(shape) == self.index


class LogSumExp(Reduction):
    """y = log sum_i e^{x_i}, computed with the max subtracted. dy/dx_i = softmax(x)_i.

    An infinite max is not subtracted (inf - inf is NaN): a row of -inf gives -inf, as in PyTorch.
    """

    def forward(self, x: Any) -> Any:
        xp = self.xp
        axes = self.setup(x)
        shift = xp.max(x, axis=axes, keepdims=True)
        shift = xp.where(xp.isinf(shift), shift.dtype.type(0), shift)
        exps = xp.exp(x - shift)
        total = exps.sum(axis=axes, keepdims=True)
        self.softmax = exps / total
        y = xp.log(total) + shift
        return y if self.keepdims else y.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(self, grad: Any) -> Any:
        return self.spread(grad) * self.softmax

    def backward_graph(self, grad: Tensor) -> Tensor:
        x = self.inputs[0]
        return self.spread(grad) * (x - LogSumExp(self.axes, keepdims=True)(x)).exp()


class Softmax(Function):
    """y_i = e^{x_i} / sum_j e^{x_j} along ``dim``. dL/dx = y * (g - sum_j g_j y_j)."""

    saves_inputs = False

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x: Any) -> Any:
        exps = self.xp.exp(x - x.max(axis=self.dim, keepdims=True))
        self.y = exps / exps.sum(axis=self.dim, keepdims=True)
        return self.y

    def backward(self, grad: Any) -> Any:
        return self.y * (grad - (grad * self.y).sum(axis=self.dim, keepdims=True))

    def backward_graph(self, grad: Tensor) -> Tensor:
        y = Softmax(self.dim)(self.inputs[0])
        return y * (grad - (grad * y).sum(axis=self.dim, keepdims=True))


class LogSoftmax(Function):
    """y_i = x_i - logsumexp(x) along ``dim``. dL/dx = g - softmax(x) * sum_j g_j."""

    saves_inputs = False

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x: Any) -> Any:
        shifted = x - x.max(axis=self.dim, keepdims=True)
        self.y = shifted - self.xp.log(self.xp.exp(shifted).sum(axis=self.dim, keepdims=True))
        return self.y

    def backward(self, grad: Any) -> Any:
        return grad - self.xp.exp(self.y) * grad.sum(axis=self.dim, keepdims=True)

    def backward_graph(self, grad: Tensor) -> Tensor:
        return grad - Softmax(self.dim)(self.inputs[0]) * grad.sum(axis=self.dim, keepdims=True)


def sum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all axes by default)."""
    return Sum(axis, keepdims)(x)


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes by default)."""
    return Mean(axis, keepdims)(x)


def var(x: Tensor, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance over ``axis``; ``ddof=0`` is the biased (population) variance, as in NumPy."""
    return Var(axis, keepdims, ddof)(x)


def max(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis`` (all axes by default)."""
    return Max(axis, keepdims)(x)


def min(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``: -max(-x). d/dx: 1 at the minimum."""
    return -Max(axis, keepdims)(-x)


def prod(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` (all axes by default)."""
    return Prod(axis, keepdims)(x)


max_result = namedtuple("max", ["values", "indices"])  # torch.return_types.max
min_result = namedtuple("min", ["values", "indices"])


def _along(x: Tensor, dim: Any, keepdim: bool, largest: bool) -> Any:
    function = "max" if largest else "min"
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{function}: dim={dim!r} is a {type(dim).__name__}, expected one int (amax takes several)")
    if not -(x.ndim or 1) <= dim < (x.ndim or 1):  # (max is this module's reduction)
        raise IndexError(f"{function}: dim={dim} is out of range for a tensor of shape {x.shape}")
    if x.ndim == 0:  # torch allows dim 0 or -1 on a 0-d tensor: the value itself, at index 0
        values, indices = _along(x.reshape(1), 0, keepdim=False, largest=largest)
        return (max_result if largest else min_result)(values, indices)
    if x.shape[dim] == 0:
        raise IndexError(f"{function}: dim={dim} of shape {x.shape} is empty; there is no {function} to take")
    op = MaxAlong(int(dim) % x.ndim, bool(keepdim), largest)
    values = op(x)
    return (max_result if largest else min_result)(values, Tensor(op.indices))


def max_along(x: Tensor, dim: int, keepdim: bool = False) -> Any:
    """torch.max(x, dim): the named tuple (values, indices); the gradient flows to values."""
    return _along(x, dim, keepdim, largest=True)


def min_along(x: Tensor, dim: int, keepdim: bool = False) -> Any:
    """torch.min(x, dim): the named tuple (values, indices); the gradient flows to values."""
    return _along(x, dim, keepdim, largest=False)


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The int64 index of the maximum along ``dim`` (of the flattened tensor when None), as torch.argmax."""
    return _arg(x, dim, keepdim, "argmax")


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The int64 index of the minimum along ``dim`` (of the flattened tensor when None), as torch.argmin."""
    return _arg(x, dim, keepdim, "argmin")


def _arg(x: Tensor, dim: int | None, keepdim: bool, function: str) -> Tensor:
    xp = backend.get_array_module(x.data)
    pick = xp.argmax if function == "argmax" else xp.argmin
    if x.numel() == 0:
        raise IndexError(f"{function}: the tensor of shape {x.shape} is empty")
    if dim is None:
        index = pick(x.data.reshape(-1))
        shape = (1,) * x.ndim if keepdim else ()
        return Tensor(xp.asarray(index).astype("int64").reshape(shape))
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -(x.ndim or 1) <= dim < (x.ndim or 1):
        raise IndexError(f"{function}: dim={dim!r} is not a dimension of a tensor of shape {x.shape} (expected an int)")
    data = x.data.reshape(1) if x.ndim == 0 else x.data
    index = pick(data, axis=int(dim) % data.ndim, keepdims=bool(keepdim) and x.ndim > 0)
    return Tensor(xp.asarray(index).astype("int64").reshape(() if x.ndim == 0 else index.shape))


def logsumexp(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, without overflow."""
    return LogSumExp(axis, keepdims)(x)


def _softmax_dim(x: Tensor, dim: int, axis: int | None, function: str) -> int:
    """The one axis of softmax/log_softmax, checked: ``dim`` (PyTorch's name) or its alias ``axis``.

    ``torch.softmax(x, axis=1)`` and ``x.softmax(axis=1)`` accept NumPy's name too, and so
    do these (``torch.nn.functional.softmax`` does not); giving both, differently, is an error.
    """
    if axis is not None:
        if dim not in (-1, axis):
            raise TypeError(f"{function}: got dim={dim} and axis={axis}; axis is an alias of dim, give one")
        dim = axis
    if not isinstance(dim, int) or not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{function}: dim={dim!r} is not an axis of a tensor of shape {x.shape} (one int expected)")
    return dim


def softmax(x: Tensor, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``, as torch.softmax.

    ``dim`` defaults to -1, the last axis (PyTorch has no default there and guesses, with
    a warning; pass ``dim`` explicitly when the classes are not last, e.g. 1 for (N, C, H, W)).
    ``axis`` is accepted as an alias of ``dim``, as ``torch.softmax`` does.
    """
    return Softmax(_softmax_dim(x, dim, axis, "softmax"))(x)


def log_softmax(x: Tensor, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """log(softmax(x)) along ``dim`` (default -1, the last axis), computed stably; ``axis`` is an alias of ``dim``."""
    return LogSoftmax(_softmax_dim(x, dim, axis, "log_softmax"))(x)
