"""Learning-rate schedules, as torch.optim.lr_scheduler: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR and
LambdaLR.

A scheduler changes the ``'lr'`` of each of its optimizer's parameter groups (every optimizer reads
``group['lr']`` afresh at each step), once per epoch:

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train(...)              # optimizer.step() for each batch
        scheduler.step()        # then the schedule moves one epoch on

As in PyTorch, building a scheduler stores each group's starting rate as ``group['initial_lr']``
(``base_lrs``) and performs step 0 (``last_epoch`` becomes 0); ``get_last_lr()`` gives the rates
set last. Most schedules are recursive — the next rate is computed from the group's current
``'lr'`` — so resuming needs both state dicts: the optimizer's (which holds ``'lr'`` and
``'initial_lr'``) and the scheduler's (``last_epoch`` and the settings).
"""

from __future__ import annotations

import math
import numbers
import types
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from minigen.optim.optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "MultiStepLR", "StepLR"]


def _check(scheduler: str, name: str, value: Any, integer: bool = False, minimum: float = 0.0,
           strict: bool = True) -> None:  # fmt: skip
    """``value`` must be a finite number (an int if ``integer``) above ``minimum`` (or equal, if not ``strict``)."""
    kind = numbers.Integral if integer else numbers.Real
    relation = ">" if strict else ">="
    if (
        isinstance(value, bool)
        or not isinstance(value, kind)
        or not math.isfinite(value)
        or (value <= minimum if strict else value < minimum)
    ):
        expected = "an integer" if integer else "a finite number"
        raise ValueError(f"{scheduler}: invalid {name}={value!r} (expected {expected} {relation} {minimum:g})")


class LRScheduler:
    """Base class of the schedulers: subclasses implement :meth:`get_lr`, the rates for ``last_epoch``.

    ``last_epoch=-1`` (the default) starts a schedule: each group's current ``'lr'`` becomes its
    ``'initial_lr'``. A larger ``last_epoch`` continues one, and then every group must already hold an
    ``'initial_lr'`` (from a loaded optimizer state dict).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: {type(optimizer).__name__} is not an Optimizer")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral) or last_epoch < -1:
            raise ValueError(f"{name}: invalid last_epoch={last_epoch!r} (expected -1 to start, or an epoch >= 0)")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for number, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: param_groups[{number}] has no 'initial_lr' to resume from with last_epoch="
                        f"{last_epoch}; load the optimizer's state dict first, or start with last_epoch=-1"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self._step_count = 0
        self._is_initial = True  # step 0, done now: the recursive schedules keep the rates they find
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The rate of each group for epoch ``last_epoch`` (called by :meth:`step`; read rates with get_last_lr)."""
        raise NotImplementedError

    def step(self) -> None:
        """Move the schedule one epoch on and set each group's ``'lr'``; call after the epoch's optimizer steps."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The rates the last :meth:`step` set, one per parameter group."""
        return list(self._last_lr)

    def _current(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (``last_epoch``, ``base_lrs``, the settings), as in PyTorch."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (load the optimizer's state dict too: it holds the rates)."""
        if not isinstance(state_dict, dict) or "last_epoch" not in state_dict:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected a scheduler state dict, got {got}")
        self.__dict__.update(state_dict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self.get_last_lr()})"


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch): ``lr_lambda`` is one function for every group, or a list, one per group.

    As in PyTorch, the state dict leaves plain functions and lambdas out (they cannot be pickled):
    build the scheduler with the same functions, then load. A callable object's ``__dict__`` is saved.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:  # fmt: skip
        groups = len(getattr(optimizer, "param_groups", []))
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(
                    f"LambdaLR: expected {groups} lr_lambdas (one per parameter group), got {len(lr_lambda)}"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        for function in self.lr_lambdas:
            if not callable(function):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got {type(function).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * function(self.last_epoch) for function, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(function, types.FunctionType) else dict(function.__dict__)
            for function in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        super().load_state_dict(state)
        for function, values in zip(self.lr_lambdas, saved):
            if values is not None:
                function.__dict__.update(values)


class StepLR(LRScheduler):
    """lr <- lr * gamma every ``step_size`` epochs: initial_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        _check("StepLR", "step_size", step_size, integer=True)
        _check("StepLR", "gamma", gamma)
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class MultiStepLR(LRScheduler):
    """lr <- lr * gamma at each epoch in ``milestones`` (twice if listed twice, as PyTorch's Counter)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:  # fmt: skip
        milestones = list(milestones)
        for milestone in milestones:
            _check("MultiStepLR", "milestone", milestone, integer=True)
        _check("MultiStepLR", "gamma", gamma)
        self.milestones, self.gamma = Counter(int(m) for m in milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current()]


class ExponentialLR(LRScheduler):
    """lr <- lr * gamma every epoch: initial_lr * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from initial_lr down to ``eta_min`` over ``T_max`` epochs (SGDR, Loshchilov & Hutter, 2017,
    without restarts), then back up over the next T_max, and so on:

        lr_t = eta_min + (initial_lr - eta_min) * (1 + cos(pi t / T_max)) / 2

    computed, as in PyTorch, recursively from the group's current rate (so a rate changed by hand
    carries on from there):

        lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi t / T_max)) / (1 + cos(pi (t - 1) / T_max))

    except at the bottom of each cycle, t - 1 = T_max (mod 2 T_max), where the denominator is 0 and
    lr_t = lr_{t-1} + (initial_lr - eta_min) * (1 - cos(pi / T_max)) / 2.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:  # noqa: N803
        _check("CosineAnnealingLR", "T_max", T_max, integer=True)
        _check("CosineAnnealingLR", "eta_min", eta_min, strict=False)
        self.T_max, self.eta_min = int(T_max), eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if (t - 1 - period) % (2 * period) == 0:
            return [
                lr + (base - eta_min) * (1 - math.cos(math.pi / period)) / 2
                for lr, base in zip(self._current(), self.base_lrs)
            ]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current()]
