"""``torch.cuda``'s common calls, answered through CuPy: ``minigen.cuda.is_available()`` and friends.

Safe without CuPy or a GPU: the questions answer False or 0, and seeding does nothing (as in PyTorch,
where seeding CUDA without it is silently ignored). What cannot be done without a GPU
(:func:`synchronize`, :func:`get_device_name`) raises, naming the reason.
"""

from __future__ import annotations

from minigen import backend, random

__all__ = [
    "current_device", "device_count", "empty_cache", "get_device_name", "is_available", "manual_seed",
    "manual_seed_all", "synchronize",
]  # fmt: skip


def is_available() -> bool:
    """True when CuPy imports and sees a GPU."""
    return backend.cuda_is_available()


def device_count() -> int:
    """How many GPUs CuPy sees; 0 without CuPy or a GPU."""
    return backend.cuda_device_count()


def current_device() -> int:
    """The index of the GPU minigen computes on (CuPy's current device)."""
    return int(_cuda().xp.cuda.runtime.getDevice())


def get_device_name(device: object = None) -> str:
    """The GPU's name, such as "NVIDIA H100 80GB HBM3"."""
    properties = _cuda().xp.cuda.runtime.getDeviceProperties(current_device())
    name = properties["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def manual_seed(seed: int) -> None:
    """Restart the GPU's noise generator from ``seed``; does nothing without a GPU (as in PyTorch)."""
    if backend.cuda_is_available():
        random.seed_device("cuda", seed)


manual_seed_all = manual_seed  # minigen uses one GPU


def synchronize(device: object = None) -> None:
    """Wait until the GPU has finished its queued work (for timing)."""
    _cuda().xp.cuda.Device().synchronize()


def empty_cache() -> None:
    """Give the memory CuPy keeps cached back to the GPU; does nothing without a GPU."""
    if backend.cuda_is_available():
        xp = backend.get_device("cuda").xp
        xp.get_default_memory_pool().free_all_blocks()
        xp.get_default_pinned_memory_pool().free_all_blocks()


def _cuda() -> backend.Device:
    """The CUDA device, or a RuntimeError that names why it is not usable."""
    return backend.get_device("cuda")
