"""Tensor's operators and math methods, bound to the functions of minigen.functional.

Kept apart from ``tensor.py`` so that the autograd core does not import the ops
(which import it): ``x.exp()`` is ``functional.exp(x)``, ``a + b`` is ``functional.add(a, b)``.
"""

from __future__ import annotations

from typing import Any

from minigen import backend
from minigen import functional as F
from minigen.ops import reduction
from minigen.ops import shape as shape_ops
from minigen.ops.arithmetic import maximum, minimum
from minigen.random import device_generator
from minigen.tensor import Function, Tensor


class Compare(Function):
    """An elementwise comparison; its boolean result carries no gradient."""

    def __init__(self, compare: Any) -> None:
        self.compare = compare

    def forward(self, a: Any, b: Any) -> Any:
        return self.compare(a, b)

    def __call__(self, *inputs: Any) -> Tensor:
        result = super().__call__(*inputs)
        result.requires_grad, result._creator = False, None
        return result


def _swap(function: Any) -> Any:
    """The reflected operator: ``2 - x`` calls ``x.__rsub__(2)``, which is ``sub(2, x)``."""
    return lambda self, other: function(other, self)


def _comparison(compare: Any) -> Any:
    return lambda self, other: Compare(compare)(self, other)


Tensor.__add__, Tensor.__radd__ = F.add, _swap(F.add)
Tensor.__sub__, Tensor.__rsub__ = F.sub, _swap(F.sub)
Tensor.__mul__, Tensor.__rmul__ = F.mul, _swap(F.mul)
Tensor.__truediv__, Tensor.__rtruediv__ = F.div, _swap(F.div)
Tensor.__pow__, Tensor.__rpow__ = F.pow, _swap(F.pow)
Tensor.__matmul__, Tensor.__rmatmul__ = F.matmul, _swap(F.matmul)
Tensor.__neg__ = F.neg
Tensor.__getitem__ = F.getitem

Tensor.__lt__ = _comparison(lambda a, b: a < b)
Tensor.__le__ = _comparison(lambda a, b: a <= b)
Tensor.__gt__ = _comparison(lambda a, b: a > b)
Tensor.__ge__ = _comparison(lambda a, b: a >= b)
Tensor.__eq__ = _comparison(lambda a, b: a == b)
Tensor.__ne__ = _comparison(lambda a, b: a != b)

# sum, mean, var, max, min, clip, reshape: the torch-shaped methods below
for _name in [
    "abs", "exp", "flatten", "leaky_relu", "log", "log_softmax", "relu", "sigmoid", "softmax",
    "softplus", "sqrt", "tanh", "transpose", "broadcast_to", "matmul", "pad", "permute",
]:  # fmt: skip
    setattr(Tensor, _name, getattr(F, _name))

Tensor.T = property(lambda self: F.transpose(self))
Tensor.__bool__ = lambda self: bool(self.item())


# ------------------------------------------------------------- PyTorch-named methods
# Reductions take torch's ``dim=`` and ``keepdim=``; NumPy's ``axis=`` and ``keepdims=`` stay accepted (aliases).
def _dims(method: str, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> tuple[Any, bool]:
    """(dim, keepdim) from torch's names or their NumPy aliases; giving a name and its alias is an error."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{method}: got dim={dim!r} and axis={axis!r}; axis is an alias of dim, give one")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return (tuple(dim) if isinstance(dim, list) else dim), bool(keepdim)


def _sum(self: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """Sum over ``dim`` (an int, a tuple, or None for all), as torch.sum; ``dtype`` casts first."""
    dim, keepdim = _dims("sum", dim, keepdim, axis, keepdims)
    return F.sum(self if dtype is None else self.to(dtype), dim, keepdim)


def _mean(self: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None,
          keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """Mean over ``dim`` (an int, a tuple, or None for all), as torch.mean; ``dtype`` casts first."""
    dim, keepdim = _dims("mean", dim, keepdim, axis, keepdims)
    return F.mean(self if dtype is None else self.to(dtype), dim, keepdim)


def _logsumexp(self: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """log(sum(exp(x))) over ``dim`` (None for all), without overflow, as torch.logsumexp."""
    dim, keepdim = _dims("logsumexp", dim, keepdim, axis, keepdims)
    return F.logsumexp(self, dim, keepdim)


def _prod(self: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None,
          keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """Product over ``dim`` (None for all), as torch.prod; differentiable, also where elements are 0."""
    dim, keepdim = _dims("prod", dim, keepdim, axis, keepdims)
    return reduction.prod(self if dtype is None else self.to(dtype), dim, keepdim)


def _correction(method: str, unbiased: Any, correction: Any, ddof: Any, numpy_style: bool) -> Any:
    """The divisor's offset n - correction: torch's ``correction`` or ``unbiased`` (default 1, Bessel's), or NumPy's
    ``ddof`` (default 0 when the call uses NumPy's names, axis=/keepdims=, as it did before these methods)."""
    given = [name for name, value in (("unbiased", unbiased), ("correction", correction), ("ddof", ddof))
             if value is not None]  # fmt: skip
    if len(given) > 1:
        raise TypeError(f"{method}: got {' and '.join(given)}; give one of unbiased=, correction= (or ddof=)")
    if correction is not None:
        return correction
    if unbiased is not None:
        return int(bool(unbiased))
    if ddof is not None:
        return ddof
    return 0 if numpy_style else 1


def _var(
    self: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
    axis: Any = None,
    keepdims: bool | None = None,
    ddof: Any = None,
) -> Tensor:
    """Variance over ``dim``, divided by n - correction, as torch.var: Bessel's correction (n - 1) by default.

    ``x.var(axis=..., keepdims=..., ddof=...)`` (NumPy's names) keeps NumPy's default ddof=0.
    """
    if isinstance(dim, bool):  # torch's var(unbiased) overload
        dim, unbiased = None, dim
    numpy_style = axis is not None or keepdims is not None or ddof is not None
    correction = _correction("var", unbiased, correction, ddof, numpy_style)
    dim, keepdim = _dims("var", dim, keepdim, axis, keepdims)
    return F.var(self, dim, keepdim, ddof=correction)


def _std(
    self: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
    axis: Any = None,
    keepdims: bool | None = None,
    ddof: Any = None,
) -> Tensor:
    """Standard deviation sqrt(var) with :meth:`var`'s arguments (Bessel's correction by default), as torch.std."""
    return F.sqrt(_var(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims, ddof=ddof))


def _amax(self: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (an int or a tuple; all by default); ties share the gradient evenly, as torch.amax."""
    return F.max(self, None if dim == () else dim, keepdim)


def _amin(self: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (an int or a tuple; all by default), as torch.amin."""
    return F.min(self, None if dim == () else dim, keepdim)


def _extremum(largest: bool) -> Any:
    name = "max" if largest else "min"

    def method(self: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: bool | None = None) -> Any:  # fmt: skip
        if isinstance(dim, Tensor):  # x.max(other): elementwise
            return maximum(self, dim) if largest else minimum(self, dim)
        if axis is not None or keepdims is not None:  # NumPy's names: the reduced values only, as before
            dim, keepdim = _dims(name, dim, keepdim, axis, keepdims)
            return F.max(self, dim, keepdim) if largest else F.min(self, dim, keepdim)
        if dim is None:
            return F.max(self) if largest else F.min(self)
        return reduction.max_along(self, dim, keepdim) if largest else reduction.min_along(self, dim, keepdim)

    method.__name__ = name
    method.__doc__ = f"""The {name}imum, as torch's ``Tensor.{name}``.

    ``x.{name}()``: a 0-d tensor (ties share the gradient). ``x.{name}(dim, keepdim=False)``: the named tuple
    ``(values, indices)``, the gradient flowing to values at the indices. ``x.{name}(other)``: elementwise
    (torch.{name}imum). ``x.{name}(axis=..., keepdims=...)`` (NumPy's names) gives the values only, as amax/amin.
    """
    return method


def _clamp(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - torch's names
    """x limited to [min, max] (numbers or tensors; one may be None), as torch.clamp; d/dx = 1 inside, 0 outside."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given, got None for both")
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        return F.clip(self, min, max)
    result = self if min is None else maximum(self, min)
    return result if max is None else minimum(result, max)


def _clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """:meth:`clamp`, in place."""
    if min is None and max is None:
        raise ValueError("clamp_: at least one of min and max must be given, got None for both")
    self._check_in_place("clamp_")
    xp = backend.get_array_module(self.data)
    values = self.data
    if min is not None:
        values = xp.maximum(values, self._value(min, "clamp_"))
    if max is not None:
        values = xp.minimum(values, self._value(max, "clamp_"))
    return self._in_place("clamp_", values)


def _draw_dtype(self: Tensor, method: str) -> Any:
    """The dtype to draw random numbers in: the tensor's, or float32 for float16 (the generators' two)."""
    if self.dtype.kind != "f":
        raise TypeError(f"{method}: needs a floating-point tensor, got dtype {self.dtype}")
    return self.dtype if self.dtype.itemsize >= 4 else "float32"


def _normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples of N(mean, std^2), in place, drawn on the tensor's device by minigen's generator."""
    if not std >= 0:
        raise ValueError(f"normal_: std={std!r} must be >= 0")
    self._check_in_place("normal_")
    values = device_generator(self.device).standard_normal(self.shape, dtype=_draw_dtype(self, "normal_"))
    return self._in_place("normal_", values * values.dtype.type(std) + values.dtype.type(mean))


def _uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, **bounds: float) -> Tensor:
    """Fill with samples of U[a, b), in place, drawn on the tensor's device (torch's names ``from``/``to`` work too)."""
    unknown = sorted(set(bounds) - {"from", "to"})
    if unknown:
        raise TypeError(f"uniform_: unexpected keyword argument {unknown[0]!r}; expected a, b (or from, to)")
    a, b = bounds.get("from", a), bounds.get("to", b)
    if not a <= b:
        raise ValueError(f"uniform_: expects a <= b, got a={a!r}, b={b!r}")
    self._check_in_place("uniform_")
    values = device_generator(self.device).random(self.shape, dtype=_draw_dtype(self, "uniform_"))
    return self._in_place("uniform_", values * values.dtype.type(b - a) + values.dtype.type(a))


def _t(self: Tensor) -> Tensor:
    """The transpose of a matrix (a 0-d or 1-D tensor as it is), as torch's ``Tensor.t()``."""
    if self.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got shape {self.shape}; use transpose(d0, d1)")
    return F.transpose(self)


Tensor.sum, Tensor.mean, Tensor.prod, Tensor.var, Tensor.std = _sum, _mean, _prod, _var, _std
Tensor.logsumexp = _logsumexp
Tensor.amax, Tensor.amin = _amax, _amin
Tensor.max, Tensor.min = _extremum(largest=True), _extremum(largest=False)
Tensor.argmax, Tensor.argmin = reduction.argmax, reduction.argmin
Tensor.maximum, Tensor.minimum = maximum, minimum
Tensor.clamp = Tensor.clip = _clamp
Tensor.clamp_, Tensor.normal_, Tensor.uniform_ = _clamp_, _normal_, _uniform_
Tensor.pow = F.pow
Tensor.eq, Tensor.ne = Tensor.__eq__, Tensor.__ne__
Tensor.lt, Tensor.le, Tensor.gt, Tensor.ge = Tensor.__lt__, Tensor.__le__, Tensor.__gt__, Tensor.__ge__
Tensor.reshape, Tensor.view = shape_ops.reshape, shape_ops.view
Tensor.view_as = lambda self, other: shape_ops.view(self, other.shape)
Tensor.squeeze, Tensor.unsqueeze = shape_ops.squeeze, shape_ops.unsqueeze
Tensor.expand, Tensor.repeat = shape_ops.expand, shape_ops.repeat
Tensor.expand_as = lambda self, other: shape_ops.expand(self, other.shape)
Tensor.t = _t
