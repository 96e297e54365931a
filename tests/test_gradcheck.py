"""minigen.gradcheck itself: it passes correct backwards and catches wrong ones, with a useful report."""

import numpy as np
import pytest

import minigen as mg
from minigen.tensor import Function


class SquareWithWrongBackward(Function):
    """y = x^2 whose backward forgets the factor 2 for one element: the bug gradcheck must find."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        wrong = grad * 2 * self.x
        wrong[1] = grad[1] * self.x[1]  # dy/dx = x instead of 2x at element 1
        return wrong


class SquareWithWrongScale(Function):
    """y = x^2 with backward 2.01 x everywhere: a 0.5% error, still far above finite-difference noise."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        return grad * 2.01 * self.x


def test_gradcheck_passes_a_correct_backward(device):
    x = mg.tensor([0.5, -1.0, 2.0], requires_grad=True, dtype="float64", device=device)
    assert mg.gradcheck(lambda t: t * t, x)


def test_gradcheck_reports_the_worst_element_with_both_values(device):
    x = mg.tensor([0.5, -1.5, 2.0], requires_grad=True, dtype="float64", device=device)
    with pytest.raises(mg.GradcheckError) as failure:
        mg.gradcheck(lambda t: SquareWithWrongBackward()(t), x)
    message = str(failure.value)
    assert "input 0" in message and "element (1,)" in message, message
    assert "analytic" in message and "numeric" in message and "relative error" in message, message
    # The numbers in the report are the ones at element 1: analytic w*x, numeric w*2x, relative error 0.5.
    assert "relative error 0.5" in message, message


def test_gradcheck_catches_a_small_error_along_random_directions(device):
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.uniform(0.5, 1.5, (30, 30)), requires_grad=True, dtype="float64", device=device)
    with pytest.raises(mg.GradcheckError, match="random direction"):
        mg.gradcheck(lambda t: SquareWithWrongScale()(t), x)


def test_gradcheck_checks_only_inputs_that_require_grad_and_passes_others_through():
    a = mg.tensor([[1.0, 2.0]], requires_grad=True, dtype="float64")
    b = mg.tensor([[3.0], [4.0]], dtype="float64")
    assert mg.gradcheck(lambda x, y, scale: (x @ y) * scale, a, b, 2.0)


def test_gradcheck_refuses_float32_and_inputs_without_grad():
    with pytest.raises(TypeError, match="float64"):
        mg.gradcheck(lambda t: t * t, mg.tensor([1.0], requires_grad=True))
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda t: t * t, mg.tensor([1.0], dtype="float64"))


def test_gradcheck_finds_a_gradient_missing_for_the_second_input():
    class ForgetsB(Function):
        def forward(self, a, b):
            return a * b

        def backward(self, grad):
            return grad, None  # dL/da also wrong (should be grad * b), dL/db missing

    a = mg.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    b = mg.tensor([3.0, 4.0], requires_grad=True, dtype="float64")
    with pytest.raises(mg.GradcheckError, match="input 0"):
        mg.gradcheck(lambda x, y: ForgetsB()(x, y), a, b)
    with pytest.raises(mg.GradcheckError, match="input 1"):
        mg.gradcheck(lambda x, y: ForgetsB()(x, y), a.detach(), b)
