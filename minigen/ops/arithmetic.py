"""The arithmetic operators + - * / ** @ and unary minus.

Binary operators broadcast as NumPy does; each backward sums its gradient back
to the input's shape with :func:`unbroadcast`. Where a chain rule uses only operators
(``grad * b``, ``-grad``) the same lines serve ``backward`` on arrays and
``backward_graph`` on Tensors (``create_graph=True``); the others have both forms side by side.
"""

from __future__ import annotations

from typing import Any

from minigen.ops.broadcasting import unbroadcast
from minigen.ops.indexing import where
from minigen.tensor import Function, Tensor


class BinaryFunction(Function):
    """Remembers the two input shapes for unbroadcasting."""

    def remember_shapes(self, a: Any, b: Any) -> None:
        self.a_shape, self.b_shape = a.shape, b.shape

    def operands(self) -> tuple[Tensor, Tensor]:
        """The inputs as Tensors, for backward_graph: a constant operand (a number) wrapped from what forward saved."""
        a, b = self.inputs
        return (Tensor(self.a) if a is None else a), (Tensor(self.b) if b is None else b)


class Add(BinaryFunction):
    """y = a + b. dy/da = 1, dy/db = 1."""

    saves_inputs = False

    def forward(self, a: Any, b: Any) -> Any:
        self.remember_shapes(a, b)
        return a + b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return unbroadcast(grad, self.a_shape), unbroadcast(grad, self.b_shape)

    backward_graph = backward  # unbroadcast works on Tensors too


class Sub(BinaryFunction):
    """y = a - b. dy/da = 1, dy/db = -1."""

    saves_inputs = False

    def forward(self, a: Any, b: Any) -> Any:
        self.remember_shapes(a, b)
        return a - b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return unbroadcast(grad, self.a_shape), unbroadcast(-grad, self.b_shape)

    backward_graph = backward


class Mul(BinaryFunction):
    """y = a * b. dy/da = b, dy/db = a."""

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return a * b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return self.chain(grad, self.a, self.b)

    def backward_graph(self, grad: Tensor) -> tuple[Any, Any]:
        return self.chain(grad, *self.operands())

    def chain(self, grad: Any, a: Any, b: Any) -> tuple[Any, Any]:
        grad_a = unbroadcast(grad * b, a.shape) if self.input_needs_grad(0) else None
        grad_b = unbroadcast(grad * a, b.shape) if self.input_needs_grad(1) else None
        return grad_a, grad_b


class Div(BinaryFunction):
    """y = a / b. dy/da = 1 / b, dy/db = -a / b^2."""

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return a / b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return self.chain(grad, self.a, self.b)

    def backward_graph(self, grad: Tensor) -> tuple[Any, Any]:
        return self.chain(grad, *self.operands())

    def chain(self, grad: Any, a: Any, b: Any) -> tuple[Any, Any]:
        grad_a = grad / b
        grad_b = unbroadcast(-grad_a * a / b, b.shape) if self.input_needs_grad(1) else None
        return unbroadcast(grad_a, a.shape), grad_b


class Pow(BinaryFunction):
    """y = a ** b. dy/da = b * a^(b-1) (0 where b = 0), dy/db = a^b * log(a) (0 where a = 0 and b >= 0).

    The two exceptions are the true limits, and PyTorch's: they avoid 0 * inf = NaN at a = 0.
    """

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp, a, b = self.xp, self.a, self.b
        zero = self.y.dtype.type(0)
        grad_a = grad_b = None
        if self.input_needs_grad(0):
            grad_a = unbroadcast(grad * xp.where(b == 0, zero, b * a ** (b - 1)), a.shape)
        if self.input_needs_grad(1):
            at_zero = a == 0  # log 0 = -inf, written directly: xp.log(0) would warn
            log_a = xp.where(at_zero, a.dtype.type(-xp.inf), xp.log(xp.where(at_zero, a.dtype.type(1), a)))
            grad_b = unbroadcast(grad * xp.where(at_zero & (b >= 0), zero, self.y * log_a), b.shape)
        return grad_a, grad_b

    def backward_graph(self, grad: Tensor) -> tuple[Any, Any]:
        a, b = self.operands()
        grad_a = grad_b = None
        # where() passes a zero gradient to the branch it drops; each dropped branch is computed at a harmless
        # value (a = 1) so that its own derivative is finite and 0 * it stays 0, not 0 * inf = NaN
        if self.input_needs_grad(0):
            exponent_zero = b.data == 0
            grad_a = unbroadcast(where(exponent_zero, 0.0, grad * b * where(exponent_zero, 1.0, a) ** (b - 1)), a.shape)
        if self.input_needs_grad(1):
            at_zero = a.data == 0
            log_a = where(at_zero, -float("inf"), where(at_zero, 1.0, a).log())
            grad_b = unbroadcast(where(at_zero & (b.data >= 0), 0.0, grad * a**b * log_a), b.shape)
        return grad_a, grad_b


class Maximum(BinaryFunction):
    """y = max(a, b) elementwise (min(a, b) with ``largest=False``). dy/da = 1 where a wins, 1/2 on a tie
    (PyTorch's even split), else 0; dy/db = 1 - dy/da."""

    saves_inputs = False

    def __init__(self, largest: bool = True) -> None:
        self.largest = largest

    def forward(self, a: Any, b: Any) -> Any:
        self.remember_shapes(a, b)
        xp = self.xp
        y = xp.maximum(a, b) if self.largest else xp.minimum(a, b)
        wins = (a > b) if self.largest else (a < b)
        self.share_a = wins.astype(y.dtype) + (a == b).astype(y.dtype) * y.dtype.type(0.5)
        return y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        grad_a = grad * self.share_a
        return unbroadcast(grad_a, self.a_shape), unbroadcast(grad - grad_a, self.b_shape)

    backward_graph = backward  # the shares are constants (0, 1/2, 1): the same lines on Tensors


class Neg(Function):
    """y = -x. dy/dx = -1."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        return -x

    def backward(self, grad: Any) -> Any:
        return -grad

    backward_graph = backward


def _matmul(xp: Any, a: Any, b: Any) -> Any:
    """a @ b; when the summed axis has length 1 (an outer product, as in the weight
    gradient at batch size 1) a broadcast multiply, which NumPy does ~4x faster."""
    return a * b if a.shape[-1] == 1 else xp.matmul(a, b)


class MatMul(BinaryFunction):
    """y = a @ b, batched with broadcast batch axes. dL/da = g @ b^T, dL/db = a^T @ g.

    A 1-D ``a`` is a row (1, n) and a 1-D ``b`` a column (n, 1), as in NumPy.
    """

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return self.xp.matmul(a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp, a, b = self.xp, self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a  # (..., m, n)
        b2 = b[:, None] if b.ndim == 1 else b  # (..., n, p)
        if b.ndim == 1:  # put back the axes that the 1-D operands dropped (p first, then m)
            grad = grad[..., None]
        if a.ndim == 1:
            grad = grad[..., None, :]  # grad: (..., m, p)
        grad_a = grad_b = None
        if self.input_needs_grad(0):
            grad_a = unbroadcast(_matmul(xp, grad, xp.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if self.input_needs_grad(1):
            grad_b = unbroadcast(_matmul(xp, xp.swapaxes(a2, -1, -2), grad), b2.shape).reshape(b.shape)
        return grad_a, grad_b

    def backward_graph(self, grad: Tensor) -> tuple[Any, Any]:
        a, b = self.operands()
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        if b.ndim == 1:
            grad = grad.unsqueeze(-1)
        if a.ndim == 1:
            grad = grad.unsqueeze(-2)
        grad_a = grad_b = None
        if self.input_needs_grad(0):
            grad_a = unbroadcast(grad @ b2.transpose(-1, -2), a2.shape).reshape(a.shape)
        if self.input_needs_grad(1):
            grad_b = unbroadcast(a2.transpose(-1, -2) @ grad, b2.shape).reshape(b.shape)
        return grad_a, grad_b


def add(a: Any, b: Any) -> Tensor:
    """a + b with broadcasting."""
    return Add()(a, b)


def sub(a: Any, b: Any) -> Tensor:
    """a - b with broadcasting."""
    return Sub()(a, b)


def mul(a: Any, b: Any) -> Tensor:
    """a * b with broadcasting."""
    return Mul()(a, b)


def div(a: Any, b: Any) -> Tensor:
    """a / b with broadcasting."""
    return Div()(a, b)


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    """a ** b with broadcasting."""
    return Pow()(a, b)


def maximum(a: Any, b: Any) -> Tensor:
    """The larger of a and b elementwise, with broadcasting (torch.maximum)."""
    return Maximum(largest=True)(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """The smaller of a and b elementwise, with broadcasting (torch.minimum)."""
    return Maximum(largest=False)(a, b)


def neg(x: Tensor) -> Tensor:
    """-x."""
    return Neg()(x)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product a @ b; leading axes are batch axes and broadcast."""
    return MatMul()(a, b)
