"""``torch.accelerator``'s questions: is there a GPU to compute on, and which device is it?

minigen's one accelerator is an NVIDIA GPU through CuPy ("cuda"). These ask the backend, which imports
CuPy lazily and never fails without it: on a machine without CuPy or without a GPU the answers are
False, None and 0, and :func:`minigen.backend.cuda_unavailable_reason` says why.
"""

from __future__ import annotations

from minigen import backend

__all__ = ["current_accelerator", "device_count", "is_available"]


def is_available() -> bool:
    """True when CuPy imports and sees a GPU."""
    return backend.cuda_is_available()


def current_accelerator() -> backend.DeviceName | None:
    """``device(type='cuda')`` when a GPU is usable, else None (as in PyTorch without an accelerator)."""
    return backend.DeviceName("cuda") if backend.cuda_is_available() else None


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy or a GPU); minigen computes on the current one."""
    return backend.cuda_device_count()
