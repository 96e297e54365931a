"""Reductions over axes (NumPy's ``axis=`` and ``keepdims=``), softmax and its log (PyTorch's ``dim=``).

A reduction's backward spreads dL/dy back over the reduced axes: first put the
reduced axes back as size 1 (:func:`restore_reduced_axes`), then broadcast.
"""

from __future__ import annotations

from typing import Any

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
        """dL/dy broadcast back to the input's shape."""
        return self.xp.broadcast_to(restore_reduced_axes(grad, self.axes, self.keepdims), self.input_shape)

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


class Mean(Reduction):
    """y = (1/n) sum_i x_i. dy/dx_i = 1/n."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        return x.mean(axis=self.setup(x), keepdims=self.keepdims)

    def backward(self, grad: Any) -> Any:
        return self.spread(grad) / self.count


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


class Max(Reduction):
    """y = max_i x_i. dy/dx_i = 1 at the maximum (shared equally between ties), else 0."""

    def forward(self, x: Any) -> Any:
        y = x.max(axis=self.setup(x), keepdims=True)
        is_max = (x == y).astype(x.dtype)
        self.share = is_max / is_max.sum(axis=self.axes, keepdims=True)
        return y if self.keepdims else y.reshape([n for i, n in enumerate(x.shape) if i not in self.axes])

    def backward(self, grad: Any) -> Any:
        return self.spread(grad) * self.share


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
