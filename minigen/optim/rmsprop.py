"""RMSprop: divide the gradient by a running root mean square of recent gradients (PyTorch's formulation)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minigen import backend
from minigen.optim.optimizer import Optimizer, check_non_negative

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as torch.optim.RMSprop. Per step, with g the gradient:

        g <- g + weight_decay * p                        (L2 penalty, if weight_decay != 0)
        v <- alpha * v + (1 - alpha) * g^2               (state 'square_avg', starts at 0)
        if centered:                                     (divide by a variance estimate instead)
            a <- alpha * a + (1 - alpha) * g             (state 'grad_avg')
            d = sqrt(v - a^2) + eps
        else:
            d = sqrt(v) + eps
        if momentum > 0:
            b <- momentum * b + g / d                    (state 'momentum_buffer')
            p <- p - lr * b
        else:
            p <- p - lr * g / d

    eps is added after the square root, as in PyTorch (TensorFlow adds it inside).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        check_non_negative("RMSprop", lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = backend.get_array_module(param)
        alpha = group["alpha"]
        if not state:
            state.update(step=0, square_avg=xp.zeros_like(param))
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(param)
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denominator = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            denominator = xp.sqrt(square_avg)
        denominator += group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += grad / denominator
            param -= group["lr"] * buffer
        else:
            param -= group["lr"] * (grad / denominator)
