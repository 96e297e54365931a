"""Gradient checking: compare backward() with central finite differences.

For a scalar function L(x), the central difference

    (L(x + h e) - L(x - h e)) / (2 h)  =  dL/dx . e  +  O(h^2)

approximates the directional derivative along e. With float64 and h ~ 1e-6 it
is accurate to about 1e-8, so a relative error above ~1e-5 means a wrong backward.
:func:`gradgradcheck` applies the same test to the gradient itself (``create_graph=True``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from minigen import backend
from minigen.autograd import grad
from minigen.tensor import Tensor, enable_grad, no_grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""


def _scalar_loss(fn: Callable[..., Tensor], inputs: list[Tensor], weights: Tensor) -> Tensor:
    """L = sum(fn(*inputs) * weights): a scalar whose gradient exercises every output."""
    return (fn(*inputs) * weights).sum()


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    max_elements: int = 256,
    seed: int = 0,
) -> bool:
    """Check ``fn``'s backward against central finite differences, in float64.

    ``inputs`` are Tensors (those with ``requires_grad=True`` are checked) or
    other arguments passed through. The output is reduced to a scalar with fixed
    random weights. Inputs with at most ``max_elements`` elements are checked
    element by element; larger ones along three random directions.
    Returns True, or raises :class:`GradcheckError` naming the input, the worst
    element, both values and the relative error.
    """
    rng = numpy.random.default_rng(seed)
    for position, value in enumerate(inputs):
        if isinstance(value, Tensor) and value.requires_grad and value.dtype != numpy.float64:
            raise TypeError(f"gradcheck needs float64 inputs; input {position} is {value.dtype}")
    checked = [i for i, v in enumerate(inputs) if isinstance(v, Tensor) and v.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")

    args = list(inputs)
    output = fn(*args)
    xp = backend.get_array_module(output)
    weights = Tensor(backend.to_device(rng.standard_normal(output.shape), output.device))
    for i in checked:
        args[i].grad = None
    _scalar_loss(fn, args, weights).backward()

    def loss_at(i: int, perturbed: Any) -> float:
        with no_grad():
            trial = list(args)
            trial[i] = Tensor(xp.asarray(perturbed))  # NumPy turns 0-d results into scalars
            return _scalar_loss(fn, trial, weights).item()

    for i in checked:
        x = args[i].data
        analytic = args[i].grad.data if args[i].grad is not None else xp.zeros_like(x)
        if x.size <= max_elements:
            directions = [("element", flat) for flat in range(x.size)]
        else:
            directions = [("direction", k) for k in range(3)]
        worst = None
        for kind, which in directions:
            if kind == "element":
                step = xp.zeros(x.size, dtype=x.dtype)
                step[which] = 1
                label = f"element {tuple(int(k) for k in numpy.unravel_index(which, x.shape))}"
            else:
                step = backend.to_device(rng.standard_normal(x.size), args[i].device)
                label = f"random direction {which}"
            step = step.reshape(x.shape)
            numeric = (loss_at(i, x + eps * step) - loss_at(i, x - eps * step)) / (2 * eps)
            expected = float((analytic * step).sum())
            error = abs(numeric - expected) / max(abs(numeric), abs(expected), 1e-12)
            if abs(numeric - expected) > atol + rtol * abs(numeric) and (worst is None or error > worst[0]):
                worst = (error, label, expected, numeric)
        if worst is not None:
            error, label, expected, numeric = worst
            raise GradcheckError(
                f"gradcheck failed for input {i} (shape {tuple(x.shape)}) at {label}: "
                f"analytic {expected:.10g}, numeric {numeric:.10g}, relative error {error:.3g}"
            )
    return True


def gradgradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    max_elements: int = 256,
    seed: int = 0,
) -> bool:
    """Check the second derivatives of ``fn`` against finite differences of its first derivatives, in float64.

    The first derivative, ``grad(fn(*inputs), inputs, v, create_graph=True)`` for fixed random
    ``grad_outputs`` v, must equal the plain backward's (``backward_graph`` and ``backward`` agree); then it is
    made a function of the inputs and of v, and that function goes through :func:`gradcheck`: its backward
    is the backward of ``fn``'s backward.
    """
    checked = [i for i, v in enumerate(inputs) if isinstance(v, Tensor) and v.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input has requires_grad=True")
    rng = numpy.random.default_rng(seed + 1)
    output = fn(*inputs)
    outer = [backend.to_device(rng.standard_normal(inputs[i].shape), inputs[i].device) for i in checked]
    upstream = Tensor(backend.to_device(rng.standard_normal(output.shape), output.device), requires_grad=True)
    leaves = [inputs[i] for i in checked]
    recorded = grad(output, leaves, upstream, create_graph=True, allow_unused=True)  # keeps the graph for the next
    plain = grad(output, leaves, upstream.detach(), allow_unused=True)
    for i, mine, reference in zip(checked, recorded, plain):
        mine, reference = (None if g is None else backend.to_numpy(g.data) for g in (mine, reference))
        if (mine is None) != (reference is None) or (mine is not None and not numpy.allclose(mine, reference,
                                                                                               rtol, atol)):
            raise GradcheckError(
                f"gradgradcheck: input {i}: the recorded first derivative (backward_graph) differs from backward's"
            )

    def first_derivative(*args: Any) -> Tensor:
        """sum_i <d<fn, v>/d(input_i), u_i>: a scalar function of the inputs and v through the first gradients."""
        *args, v = args
        args = list(args)
        with enable_grad():
            for i in checked:  # the finite-difference probes arrive as plain tensors: differentiate at them
                if not args[i].requires_grad:
                    args[i] = Tensor(args[i].data, requires_grad=True)
            grads = grad(fn(*args), [args[i] for i in checked], v, create_graph=True, allow_unused=True)
            total = None
            for g, u in zip(grads, outer):
                if g is not None:
                    total = (g * u).sum() if total is None else total + (g * u).sum()
        if total is None:
            raise GradcheckError("gradgradcheck: fn's output does not depend on any checked input")
        return total

    return gradcheck(first_derivative, *inputs, upstream, eps=eps, atol=atol, rtol=rtol,
                     max_elements=max_elements, seed=seed)  # fmt: skip
