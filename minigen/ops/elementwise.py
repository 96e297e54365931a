"""Elementwise functions and activations: y_i = f(x_i), so dL/dx_i = f'(x_i) * dL/dy_i.

Where f' is cheaper from the output (exp, tanh, sigmoid, sqrt) backward keeps
y rather than x. ``backward_graph`` (for ``create_graph=True``) writes the same f' with
Tensor ops on the input, so that f'' follows; where f' is piecewise constant (ReLU, abs,
clip) the mask is a constant and one ``backward`` serves both.
"""

from __future__ import annotations

import math
from typing import Any

from minigen.tensor import Function, Tensor


def stable_sigmoid(xp: Any, x: Any) -> Any:
    """1 / (1 + e^-x) on arrays, with x first raised to -log(largest float) so that e^-x never overflows.

    Accurate to the last bits in both tails: e^-x is large but finite on the left, so 1 / (1 + e^-x)
    keeps its relative precision (the form (1 + tanh(x/2)) / 2 rounds to exactly 0 below x = -17 in
    float32, where the true value is 4e-8); below -88.7 (float32) the true value is below the smallest
    normal float and 0 is returned. Written in place.
    """
    lowest = x.dtype.type(-math.log(float(xp.finfo(x.dtype).max)))
    y = xp.maximum(x, lowest)
    xp.negative(y, out=y)
    xp.exp(y, out=y)
    y += x.dtype.type(1)
    xp.reciprocal(y, out=y)
    y *= x >= lowest  # below, the true value underflows: 0, not the 1 / (largest float) of the raised x
    return y


class Exp(Function):
    """y = e^x. dy/dx = y."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        self.y = self.xp.exp(x)
        return self.y

    def backward(self, grad: Any) -> Any:
        return grad * self.y

    def backward_graph(self, grad: Tensor) -> Tensor:
        return grad * self.inputs[0].exp()


class Log(Function):
    """y = ln x. dy/dx = 1 / x."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return self.xp.log(x)

    def backward(self, grad: Any) -> Any:
        return grad / self.x

    def backward_graph(self, grad: Tensor) -> Tensor:
        return grad / self.inputs[0]


class Sqrt(Function):
    """y = sqrt(x). dy/dx = 1 / (2 y)."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        self.y = self.xp.sqrt(x)
        return self.y

    def backward(self, grad: Any) -> Any:
        return grad / (2 * self.y)

    def backward_graph(self, grad: Tensor) -> Tensor:
        return grad / (2 * self.inputs[0].sqrt())


class Abs(Function):
    """y = |x|. dy/dx = sign(x) (0 at x = 0, as in PyTorch)."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        self.sign = self.xp.sign(x)
        return self.xp.abs(x)

    def backward(self, grad: Any) -> Any:
        return grad * self.sign

    backward_graph = backward


class Clip(Function):
    """y = min(max(x, low), high). dy/dx = 1 where low <= x <= high, else 0."""

    saves_inputs = False

    def __init__(self, low: float | None, high: float | None) -> None:
        self.low, self.high = low, high

    def forward(self, x: Any) -> Any:
        inside = self.xp.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        self.inside = inside
        return self.xp.clip(x, self.low, self.high)

    def backward(self, grad: Any) -> Any:
        return grad * self.inside

    backward_graph = backward


class Tanh(Function):
    """y = tanh x. dy/dx = 1 - y^2."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        self.y = self.xp.tanh(x)
        return self.y

    def backward(self, grad: Any) -> Any:
        return grad * (1 - self.y * self.y)

    def backward_graph(self, grad: Tensor) -> Tensor:
        y = self.inputs[0].tanh()
        return grad * (1 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x), never overflowing (see :func:`stable_sigmoid`). dy/dx = y (1 - y)."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        self.y = stable_sigmoid(self.xp, x)
        return self.y

    def backward(self, grad: Any) -> Any:
        return grad * self.y * (1 - self.y)

    def backward_graph(self, grad: Tensor) -> Tensor:
        y = self.inputs[0].sigmoid()
        return grad * y * (1 - y)


class ReLU(Function):
    """y = max(x, 0). dy/dx = 1 where x > 0, else 0."""

    saves_inputs = False

    def forward(self, x: Any) -> Any:
        self.positive = x > 0
        return self.xp.maximum(x, x.dtype.type(0))  # not x * (x > 0): -inf * 0 is NaN

    def backward(self, grad: Any) -> Any:
        return grad * self.positive

    backward_graph = backward


class LeakyReLU(Function):
    """y = x where x > 0, else slope * x. dy/dx = 1 or slope.

    Saves nothing of its own: with slope >= 0, y > 0 exactly where x > 0, so backward reads the
    mask off y (which the next layer keeps anyway); a negative slope saves the mask x > 0.
    """

    saves_inputs = False

    def __init__(self, negative_slope: float) -> None:
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Any:
        positive = x > 0
        y = self.scale(positive, x)
        y *= x
        self.y, self.positive = (y, None) if self.negative_slope >= 0 else (None, positive)
        return y

    def backward(self, grad: Any) -> Any:
        scale = self.scale(self.y > 0 if self.positive is None else self.positive, grad)
        scale *= grad
        return scale

    def backward_graph(self, grad: Tensor) -> Tensor:
        return grad * self.scale(self.y > 0 if self.positive is None else self.positive, grad.data)

    def scale(self, positive: Any, like: Any) -> Any:
        """dy/dx = slope + (1 - slope) [x > 0], made by ufuncs in ``like``'s dtype and memory order (xp.where
        lays its result out in C order: on a conv's channels-last output, x * that scale ran 6x slower)."""
        slope = like.dtype.type(self.negative_slope)
        scale = positive.astype(like.dtype)
        scale *= like.dtype.type(1) - slope
        scale += slope
        return scale


class Softplus(Function):
    """y = ln(1 + e^x), computed as max(x, 0) + ln(1 + e^-|x|) so it never overflows. dy/dx = sigmoid(x)."""

    def forward(self, x: Any) -> Any:
        xp = self.xp
        self.x = x
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad: Any) -> Any:
        return grad * stable_sigmoid(self.xp, self.x)

    def backward_graph(self, grad: Tensor) -> Tensor:
        return grad * self.inputs[0].sigmoid()


def exp(x: Tensor) -> Tensor:
    """e^x elementwise."""
    return Exp()(x)


def log(x: Tensor) -> Tensor:
    """Natural logarithm elementwise."""
    return Log()(x)


def sqrt(x: Tensor) -> Tensor:
    """Square root elementwise."""
    return Sqrt()(x)


def abs(x: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """|x| elementwise."""
    return Abs()(x)


def clip(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """x limited to [min, max] (either bound may be None, not both), as torch.clip."""
    if min is None and max is None:  # NumPy 2 would copy x, CuPy (xp.clip) raises, PyTorch raises
        raise ValueError("clip: at least one of min and max must be given, got None for both")
    return Clip(min, max)(x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh()(x)


def sigmoid(x: Tensor) -> Tensor:
    """Logistic function 1 / (1 + e^-x), stable for any x."""
    return Sigmoid()(x)


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return ReLU()(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope * x otherwise (PyTorch's argument name)."""
    return LeakyReLU(negative_slope)(x)


def softplus(x: Tensor) -> Tensor:
    """ln(1 + e^x), stable for any x."""
    return Softplus()(x)
