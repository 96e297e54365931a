"""Adam: momentum on the gradient and on its square, with bias correction (PyTorch's formulation)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from minigen import backend
from minigen.optim.optimizer import Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as torch.optim.Adam. Per step t = 1, 2, ..., with g the gradient:

        g <- g + weight_decay * p                  (L2 penalty, if weight_decay != 0)
        m <- beta1 * m + (1 - beta1) * g           (state 'exp_avg', starts at 0)
        v <- beta2 * v + (1 - beta2) * g^2         (state 'exp_avg_sq', starts at 0)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The factors 1 / (1 - beta^t) undo the bias of m and v towards their zero start.
    DCGAN uses lr=2e-4, betas=(0.5, 0.999).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if lr < 0:
            raise ValueError(f"Adam: invalid learning rate lr={lr} (expected >= 0)")
        if eps < 0:
            raise ValueError(f"Adam: invalid eps={eps} (expected >= 0)")
        if len(betas) != 2 or not all(0 <= beta < 1 for beta in betas):
            raise ValueError(f"Adam: invalid betas={betas} (expected two numbers in [0, 1))")
        if weight_decay < 0:
            raise ValueError(f"Adam: invalid weight_decay={weight_decay} (expected >= 0)")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        if not state:
            xp = backend.get_array_module(param)
            state.update(step=0, exp_avg=xp.zeros_like(param), exp_avg_sq=xp.zeros_like(param))
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        xp = backend.get_array_module(param)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        # Every line below works in place in one scratch array the size of the parameter (``out=``,
        # ``*=``): written as plain expressions the update allocates six temporaries per parameter and
        # step, which made Adam a third of an MLP VAE's training step at batch 32.
        scratch = xp.multiply(grad, 1 - beta1)
        exp_avg *= beta1
        exp_avg += scratch  # m <- beta1 m + (1 - beta1) g
        xp.multiply(grad, grad, out=scratch)
        scratch *= 1 - beta2
        exp_avg_sq *= beta2
        exp_avg_sq += scratch  # v <- beta2 v + (1 - beta2) g^2
        denominator = xp.sqrt(exp_avg_sq, out=scratch)
        denominator /= math.sqrt(1 - beta2**step)
        denominator += group["eps"]  # sqrt(v) / sqrt(1 - beta2^t) + eps
        step_direction = xp.divide(exp_avg, denominator, out=scratch)
        step_direction *= group["lr"] / (1 - beta1**step)
        param -= step_direction  # p <- p - lr / (1 - beta1^t) * m / denominator
