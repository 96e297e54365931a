"""Random numbers: one seed makes a run reproducible.

Two kinds of generator, both seeded by :func:`manual_seed`:

* the *host* generator (NumPy, on the CPU) draws initial weights, so a model
  built with the same seed has identical weights on the CPU and on the GPU;
* one generator per *device* draws the noise used while training (latent
  vectors, dropout masks, the VAE's epsilon) directly where it is used, so no
  array crosses between host and GPU each step.
"""

from __future__ import annotations

import numbers
import zlib
from typing import Any

import numpy

from minigen import backend
from minigen.tensor import Tensor

__all__ = ["generator_from", "get_rng_state", "host_generator", "manual_seed", "rand", "randn", "set_rng_state"]

_seed: int | None = None
_host = numpy.random.default_rng()
_device_generators: dict[str, Any] = {}


def manual_seed(seed: int) -> None:
    """Seed every generator (host and devices) so that runs repeat exactly.

    As in PyTorch, any int in [-2^63, 2^64) is accepted; a negative seed is taken modulo 2^64.
    """
    global _seed, _host
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not -(2**63) <= seed < 2**64:
        raise ValueError(f"manual_seed: seed must be an int in [-2**63, 2**64), got {seed!r}")
    _seed = int(seed) % 2**64
    _host = numpy.random.default_rng(_seed)
    _device_generators.clear()


def host_generator() -> numpy.random.Generator:
    """The NumPy generator used for parameter initialisation."""
    return _host


def device_generator(device: str) -> Any:
    """The generator that draws noise on ``device`` (``xp.random.default_rng``)."""
    if device == "cpu":
        return _host
    if device not in _device_generators:
        # One stream per device name, derived from the seed (crc32: the same number in every run).
        seed = None if _seed is None else numpy.random.SeedSequence([_seed, zlib.crc32(device.encode())])
        _device_generators[device] = backend.get_device(device).xp.random.default_rng(seed)
    return _device_generators[device]


def _shape(shape: tuple) -> tuple[int, ...]:
    """``(2, 3)`` from ``randn(2, 3)`` or ``randn((2, 3))``, as in PyTorch."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape


def randn(*shape: int, dtype: Any = "float32", device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1), drawn on ``device`` in ``dtype`` (float32 by default); randn(2, 3) or randn((2, 3))."""
    shape = _shape(shape)
    data = device_generator(device).standard_normal(shape, dtype=dtype)
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape: int, dtype: Any = "float32", device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Samples of U[0, 1), drawn on ``device`` in ``dtype`` (float32 by default); rand(2, 3) or rand((2, 3))."""
    shape = _shape(shape)
    data = device_generator(device).random(shape, dtype=dtype)
    return Tensor(data, requires_grad=requires_grad)


def get_rng_state() -> dict[str, Any]:
    """The host generator's state (a dict of plain ints), to store in a checkpoint."""
    return {"seed": _seed, "host": _host.bit_generator.state}


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state from :func:`get_rng_state`; device generators restart from the seed."""
    global _seed
    _seed = state["seed"]
    _host.bit_generator.state = state["host"]
    _device_generators.clear()


def generator_from(rng: Any) -> numpy.random.Generator:
    """A host generator from ``rng``: None (the generator :func:`manual_seed` seeds), an int seed >= 0, or a
    numpy Generator itself. For host-side random choices, such as which block quilting copies."""
    if rng is None:
        return host_generator()
    if isinstance(rng, numpy.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return numpy.random.default_rng(int(rng))
    raise ValueError(f"rng: {rng!r} (expected None, an int seed >= 0 or a numpy.random.Generator)")
