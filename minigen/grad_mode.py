"""``set_grad_enabled(mode)`` and ``inference_mode()``: PyTorch's switches of graph recording, as calls or ``with``.

Built from :class:`minigen.no_grad` and :class:`minigen.enable_grad` (``minigen/tensor.py``), which own the switch.
"""

from __future__ import annotations

import contextlib
from typing import Any

from minigen.tensor import enable_grad, no_grad

__all__ = ["inference_mode", "set_grad_enabled"]


class set_grad_enabled(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Record graphs when ``mode`` is true, not when it is false, from the call on, as torch.set_grad_enabled.

    ``minigen.set_grad_enabled(False)`` switches at once and for good; ``with minigen.set_grad_enabled(is_train):``
    switches for the block and then restores the previous mode (also on an exception); as a decorator
    (``@set_grad_enabled(False)``) it does so around each call.
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {type(mode).__name__}")
        self.mode = mode
        self._switch: Any = None
        self._switch_now()

    def _switch_now(self) -> None:
        self._switch = enable_grad() if self.mode else no_grad()
        self._switch.__enter__()  # takes effect at the call, as in PyTorch

    def __enter__(self) -> None:
        if self._switch is None:  # a second use of the same object (a decorator called again)
            self._switch_now()

    def __exit__(self, *exc: Any) -> None:
        self._switch.__exit__(*exc)
        self._switch = None

    def __call__(self, function: Any) -> Any:
        """As a decorator: undo the switch the constructor made (as PyTorch does), then switch around each call."""
        if self._switch is not None:
            self._switch.__exit__(None, None, None)
            self._switch = None
        return super().__call__(function)

    def _recreate_cm(self) -> set_grad_enabled:
        """ContextDecorator: a fresh, not yet switched object for each decorated call (recursion included)."""
        fresh = object.__new__(type(self))
        fresh.mode, fresh._switch = self.mode, None
        return fresh


class inference_mode(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """``with minigen.inference_mode():`` records no graph, as torch.inference_mode (here: :class:`no_grad`).

    ``inference_mode(False)`` changes nothing. Use as ``with`` or as a decorator, ``@inference_mode()``.
    """

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)
        self._switch: Any = None

    def __enter__(self) -> None:
        if self.mode:
            self._switch = no_grad()
            self._switch.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self._switch is not None:
            self._switch.__exit__(*exc)
            self._switch = None

    def _recreate_cm(self) -> inference_mode:  # a fresh object for each decorated call
        return type(self)(self.mode)
