"""Adadelta: a step size from running averages of squared gradients and squared updates (PyTorch's formulation)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minigen import backend
from minigen.optim.optimizer import Optimizer, check_non_negative

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as torch.optim.Adadelta. Per step, with g the gradient:

        g <- g + weight_decay * p                            (L2 penalty, if weight_decay != 0)
        v <- rho * v + (1 - rho) * g^2                       (state 'square_avg', starts at 0)
        d = sqrt(u + eps) / sqrt(v + eps) * g                (u: state 'acc_delta', starts at 0)
        u <- rho * u + (1 - rho) * d^2
        p <- p - lr * d

    The ratio of the two root mean squares gives the update the parameter's units, so the
    paper needs no learning rate; PyTorch keeps ``lr`` as a final factor (default 1.0).
    eps sits inside both square roots: on the first step u = 0 and the step is sqrt(eps) / |g| * g.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        check_non_negative("Adadelta", lr=lr, eps=eps, weight_decay=weight_decay)
        if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0 <= rho <= 1:
            raise ValueError(f"Adadelta: invalid rho={rho!r} (expected a number in [0, 1])")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = backend.get_array_module(param)
        rho, eps = group["rho"], group["eps"]
        if not state:
            state.update(step=0, square_avg=xp.zeros_like(param), acc_delta=xp.zeros_like(param))
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param  # a new array: p.grad itself is left as it was
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * (grad * grad)  # v <- rho v + (1 - rho) g^2
        delta = xp.sqrt(acc_delta + eps)
        delta /= xp.sqrt(square_avg + eps)
        delta *= grad  # d = sqrt(u + eps) / sqrt(v + eps) * g
        acc_delta *= rho
        acc_delta += (1 - rho) * (delta * delta)  # u <- rho u + (1 - rho) d^2
        param -= group["lr"] * delta
