"""Tensor's operators and math methods, bound to the functions of minigen.functional.

Kept apart from ``tensor.py`` so that the autograd core does not import the ops
(which import it): ``x.exp()`` is ``functional.exp(x)``, ``a + b`` is ``functional.add(a, b)``.
"""

from __future__ import annotations

from typing import Any

from minigen import functional as F
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

for _name in [
    "abs", "clip", "exp", "flatten", "leaky_relu", "log", "log_softmax", "logsumexp", "max", "mean",
    "min", "relu", "reshape", "sigmoid", "softmax", "softplus", "sqrt", "sum", "tanh", "transpose",
    "var", "broadcast_to", "matmul", "pad", "permute",
]:  # fmt: skip
    setattr(Tensor, _name, getattr(F, _name))

Tensor.T = property(lambda self: F.transpose(self))
Tensor.__bool__ = lambda self: bool(self.item())
