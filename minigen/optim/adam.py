"""Adam and AdamW: momentum on the gradient and on its square, with bias correction (PyTorch's formulation).

AdamW is Adam with the weight decay taken out of the gradient and applied to the weights
directly ("decoupled", Loshchilov & Hutter, 2019); both share :meth:`Adam.update`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from minigen import backend
from minigen.optim.optimizer import Optimizer, check_non_negative

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as torch.optim.Adam. Per step t = 1, 2, ..., with g the gradient:

        g <- g + weight_decay * p                  (L2 penalty, if weight_decay != 0)
        m <- beta1 * m + (1 - beta1) * g           (state 'exp_avg', starts at 0)
        v <- beta2 * v + (1 - beta2) * g^2         (state 'exp_avg_sq', starts at 0)
        v_max <- max(v_max, v)                     (amsgrad only: state 'max_exp_avg_sq', starts at 0)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)     (v_max for v if amsgrad)

    The factors 1 / (1 - beta^t) undo the bias of m and v towards their zero start; with
    ``amsgrad`` the running maximum is taken of the uncorrected v, then corrected, as in PyTorch.
    AMSGrad (Reddi et al., 2018) never lets the step size grow back when v shrinks.
    ``decoupled_weight_decay=True`` (keyword only, as in PyTorch) is :class:`AdamW`'s rule.
    DCGAN uses lr=2e-4, betas=(0.5, 0.999).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        decoupled_weight_decay: bool = False,
    ) -> None:
        name = type(self).__name__
        check_non_negative(name, lr=lr, eps=eps, weight_decay=weight_decay)
        if len(betas) != 2 or not all(0 <= beta < 1 for beta in betas):
            raise ValueError(f"{name}: invalid betas={betas} (expected two numbers in [0, 1))")
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=bool(amsgrad),
            decoupled_weight_decay=bool(decoupled_weight_decay),
        )  # fmt: skip
        super().__init__(params, defaults)

    def update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        xp = backend.get_array_module(param)
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(param), exp_avg_sq=xp.zeros_like(param))
        if group["amsgrad"] and "max_exp_avg_sq" not in state:  # also when amsgrad is switched on later
            state["max_exp_avg_sq"] = xp.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"] != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - group["lr"] * group["weight_decay"]  # AdamW: p <- p (1 - lr wd), then Adam's step
            else:
                grad = grad + group["weight_decay"] * param
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
        second_moment = exp_avg_sq
        if group["amsgrad"]:
            second_moment = xp.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
        denominator = xp.sqrt(second_moment, out=scratch)
        denominator /= math.sqrt(1 - beta2**step)
        denominator += group["eps"]  # sqrt(v) / sqrt(1 - beta2^t) + eps
        step_direction = xp.divide(exp_avg, denominator, out=scratch)
        step_direction *= group["lr"] / (1 - beta1**step)
        param -= step_direction  # p <- p - lr / (1 - beta1^t) * m / denominator


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019), as torch.optim.AdamW: Adam with decoupled weight decay.

        p <- p * (1 - lr * weight_decay)           (before the step, instead of adding wd * p to g)
        then Adam's step (see :class:`Adam`), with ``amsgrad`` as there.

    Adam's L2 penalty passes through the division by sqrt(v), so weights with large gradients
    are barely decayed; AdamW shrinks every weight by the same factor. The default
    weight_decay is 1e-2, as in PyTorch (Adam's is 0).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)
