"""The Optimizer base class: parameter groups, per-parameter state, and saving both.

An optimizer changes parameters in place, using their gradients:

    optimizer.zero_grad()   # forget the previous step's gradients (sets .grad to None)
    loss.backward()         # fill every parameter's .grad
    optimizer.step()        # param.data <- update(param.data, param.grad.data, state)

As in PyTorch, parameters are organised in *groups* (``param_groups``), each a dict
holding its ``'params'`` and its own hyper-parameters (``'lr'``, ...), so that
different parts of a model can use different learning rates. Whatever an
algorithm remembers between steps (momentum, running averages, the step count)
lives in ``state[param]``, a dict per parameter.

``state_dict()`` / ``load_state_dict()`` have PyTorch's layout::

    {'state': {0: {'step': 5, 'exp_avg': Tensor, ...}, 1: {...}},
     'param_groups': [{'lr': 0.001, 'betas': (0.9, 0.999), ..., 'params': [0, 1]}]}

where parameters are numbered in the order of the groups, so a checkpoint does
not depend on object identities and training resumes exactly after loading.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

from minigen import backend
from minigen.tensor import Tensor

__all__ = ["Optimizer", "check_non_negative"]


def check_non_negative(optimizer: str, **values: float) -> None:
    """Each hyper-parameter must be a finite number >= 0 (a NaN learning rate would silently ruin every step)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
            what = "learning rate lr" if name == "lr" else name
            raise ValueError(f"{optimizer}: invalid {what}={value!r} (expected a finite number >= 0)")


def _is_array(value: Any) -> bool:
    """True for Tensors and NumPy/CuPy arrays (the buffers of an optimizer's state)."""
    return isinstance(value, Tensor) or backend.device_of(value) is not None


class Optimizer:
    """Base class of every optimizer.

    Subclasses pass their hyper-parameters as ``defaults`` and implement
    :meth:`update`, the rule for one parameter; this class does the rest.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Tensors or of dicts (parameter groups), got a single Tensor; "
                "pass [tensor] or model.parameters()"
            )
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}  # Tensors hash by identity
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list (did the model register any?)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters, with hyper-parameters that override the defaults."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"a parameter group must be a dict with a 'params' entry, got {group!r}")
        params = [group["params"]] if isinstance(group["params"], Tensor) else list(group["params"])
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for position, param in enumerate(params):
            where = f"parameter {position} of group {len(self.param_groups)}"
            if not isinstance(param, Tensor):
                raise TypeError(f"{type(self).__name__}: {where} is a {type(param).__name__}, expected a Tensor")
            if not param.is_leaf:
                raise ValueError(
                    f"{type(self).__name__}: {where} is not a leaf tensor (it was computed); "
                    "optimize the tensors you created, such as a model's parameters"
                )
            if param.dtype.kind != "f":
                raise TypeError(f"{type(self).__name__}: {where} has dtype {param.dtype}; expected floating point")
            if id(param) in seen:
                raise ValueError(f"{type(self).__name__}: {where} appears twice (it would be updated twice per step)")
            seen.add(id(param))
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: unknown hyper-parameter(s) {sorted(unknown)} in a parameter "
                f"group; expected some of {sorted(self.defaults)}"
            )
        self.param_groups.append({**self.defaults, **group, "params": params})

    # ----------------------------------------------------------------- stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``.grad = None``, as PyTorch's default)."""
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none or param.grad is None:
                    param.grad = None
                else:  # a leaf's gradient owns its memory (backward copies it), so zeroing it touches nothing else
                    param.grad.data[...] = 0
                    param.grad.bump_version()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; parameters without one are left alone.

        ``closure`` (optional) recomputes and returns the loss, as in PyTorch.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                self.update(param.data, param.grad.data, self.state.setdefault(param, {}), group)
                param.bump_version()  # a graph built before this step can no longer be differentiated
        return loss

    def update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Change the array ``param`` in place, given its gradient ``grad``, its ``state`` and its group."""
        raise NotImplementedError

    # --------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the state and hyper-parameters, with parameters numbered 0, 1, ... in group order.

        Buffers are copied (as Tensors), so later steps do not change a state dict
        you already took.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            indices = []
            for param in group["params"]:
                index_of[id(param)] = len(index_of)
                indices.append(index_of[id(param)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": indices})
        state = {}
        for param, values in self.state.items():
            state[index_of[id(param)]] = {
                key: Tensor(value.copy()) if _is_array(value) else value for key, value in values.items()
            }
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict`.

        The optimizer must have been built with the same groups of the same sizes.
        Buffers are copied onto each parameter's device, in its dtype (so a state
        saved on a GPU loads on the CPU and the reverse).
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups', got {keys}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter group(s), "
                f"this optimizer has {len(self.param_groups)}"
            )
        params_by_index: dict[int, Tensor] = {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {number} has {len(saved['params'])} "
                    f"parameter(s) in the state dict and {len(group['params'])} in this optimizer"
                )
            params_by_index.update(zip((int(i) for i in saved["params"]), group["params"]))

        new_state: dict[Tensor, dict[str, Any]] = {}
        for index, values in state_dict["state"].items():
            if int(index) not in params_by_index:
                raise ValueError(f"{name}.load_state_dict: state for parameter {index}, which no group lists")
            param = params_by_index[int(index)]
            new_state[param] = {key: self._restore(key, value, param) for key, value in values.items()}
        self.state = new_state
        # A hyper-parameter the saved group lacks (an older checkpoint, a PyTorch group cut down) keeps this
        # optimizer's value, as PyTorch's __setstate__ fills in 'amsgrad' and the like.
        self.param_groups = [
            {**group, **{k: v for k, v in saved.items() if k != "params"}, "params": group["params"]}
            for saved, group in zip(saved_groups, self.param_groups)
        ]

    @staticmethod
    def _restore(key: str, value: Any, param: Tensor) -> Any:
        """A saved state value made ready for ``param``: arrays copied to its device (floats in its dtype)."""
        if hasattr(value, "detach") and hasattr(value, "cpu") and not isinstance(value, Tensor):
            value = value.detach().cpu().numpy()  # a torch.Tensor, from a PyTorch optimizer's state dict
        if not _is_array(value):
            return value
        array = value.data if isinstance(value, Tensor) else value
        if key == "step":  # PyTorch keeps the step count in a tensor; here it is an int
            return int(backend.to_numpy(array))
        dtype = param.dtype if array.dtype.kind == "f" else None
        restored = backend.as_array(array, dtype=dtype, device=param.device)
        return restored.copy() if restored is array else restored

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])
