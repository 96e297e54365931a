"""Random numbers: one seed makes a run reproducible.

Two kinds of generator, both seeded by :func:`manual_seed`:

* the *host* generator (NumPy, on the CPU) draws initial weights, so a model
  built with the same seed has identical weights on the CPU and on the GPU;
* one generator per *device* draws the noise used while training (latent
  vectors, dropout masks, the VAE's epsilon) directly where it is used, so no
  array crosses between host and GPU each step.
"""

from __future__ import annotations

import contextlib
import copy
import numbers
import zlib
from collections.abc import Iterator
from typing import Any

import numpy

from minigen import backend
from minigen.creation import size_of
from minigen.tensor import Tensor

__all__ = [
    "Generator", "fork_rng", "generator_from", "get_rng_state", "host_generator", "manual_seed", "rand", "rand_like",
    "randint", "randn", "randn_like", "randperm", "seed_device", "set_rng_state",
]  # fmt: skip

_seed: int | None = None
_host = numpy.random.default_rng()
_device_generators: dict[str, Any] = {}


def manual_seed(seed: int) -> None:
    """Seed every generator (host and devices) so that runs repeat exactly.

    As in PyTorch, any int in [-2^63, 2^64) is accepted; a negative seed is taken modulo 2^64.
    """
    global _seed, _host
    _seed = _check_seed(seed)
    _host = numpy.random.default_rng(_seed)
    _device_generators.clear()


@contextlib.contextmanager
def fork_rng() -> Iterator[None]:
    """A block whose draws (and :func:`manual_seed` calls) leave the generators outside it untouched.

    As ``torch.random.fork_rng``: the host generator continues from its state inside the block and is
    put back as it was after it; device generators inside the block start afresh from the seed.
    """
    global _seed, _host, _device_generators
    saved = _seed, _host, _device_generators
    _host, _device_generators = copy.deepcopy(_host), {}
    try:
        yield
    finally:
        _seed, _host, _device_generators = saved


def host_generator() -> numpy.random.Generator:
    """The NumPy generator used for parameter initialisation."""
    return _host


def device_generator(device: str) -> Any:
    """The generator that draws noise on ``device`` (``xp.random.default_rng``)."""
    device = backend.device_name(device)
    if device == "cpu":
        return _host
    if device not in _device_generators:  # one stream per device name, derived from the seed
        _device_generators[device] = (backend.get_device(device).xp.random.default_rng() if _seed is None
                                      else _seeded(device, _seed))  # fmt: skip
    return _device_generators[device]


class Generator:
    """A generator of its own (torch.Generator): ``g = Generator().manual_seed(0)``, then ``randn(3, generator=g)``.

    It draws on ``device`` with that device's generator type (``xp.random.default_rng``), independently of
    :func:`manual_seed`'s generators. Unseeded, it starts from fresh entropy.
    """

    def __init__(self, device: Any = "cpu") -> None:
        self.device = backend.device_name(device)
        self._initial_seed: int | None = None
        self.rng = backend.get_device(self.device).xp.random.default_rng()

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed`` (any int in [-2^63, 2^64)); returns self, as PyTorch's does.

        As in PyTorch, its numbers are then those :func:`manual_seed` with the same seed gives on its device.
        """
        self._initial_seed = _check_seed(seed)
        self.rng = _seeded(self.device, self._initial_seed)
        return self

    def initial_seed(self) -> int | None:
        """The seed last given to :meth:`manual_seed` (None before)."""
        return self._initial_seed


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not -(2**63) <= seed < 2**64:
        raise ValueError(f"manual_seed: seed must be an int in [-2**63, 2**64), got {seed!r}")
    return int(seed) % 2**64


def seed_device(device: Any, seed: int) -> None:
    """Restart only ``device``'s noise generator from ``seed`` (torch.cuda.manual_seed); the host one is left alone."""
    name = backend.device_name(device)
    if name == "cpu":
        raise ValueError("seed_device: the CPU's generator is the host one; seed it with manual_seed")
    _device_generators[name] = _seeded(name, _check_seed(seed))


def _seeded(device: str, seed: int) -> Any:
    """The generator :func:`manual_seed` (``seed``) makes for ``device``: one stream per device name."""
    if device == "cpu":
        return numpy.random.default_rng(seed)
    sequence = numpy.random.SeedSequence([seed, zlib.crc32(device.encode())])  # crc32: the same in every run
    return backend.get_device(device).xp.random.default_rng(sequence)


def _generator(generator: Any, device: Any, function: str) -> tuple[Any, str]:
    """The generator to draw from and the device name: ``generator``'s, or the device's own (see module doc)."""
    name = backend.device_name("cpu" if device is None else device)
    if generator is None:
        return device_generator(name), name
    if isinstance(generator, Generator):
        if device is not None and name != generator.device:
            raise RuntimeError(f"{function}: a generator on {generator.device} cannot draw on {name}")
        return generator.rng, generator.device
    if isinstance(generator, numpy.random.Generator) and name == "cpu":
        return generator, name
    raise TypeError(f"{function}: generator must be a minigen.Generator (or None), got {type(generator).__name__}")


def _float_dtype(dtype: Any, function: str) -> numpy.dtype:
    dtype = numpy.dtype("float32" if dtype is None else dtype)
    if dtype.kind != "f":
        raise TypeError(f"{function}: dtype must be a floating-point one, got {dtype}")
    return dtype


def _drawn(dtype: numpy.dtype) -> numpy.dtype:
    """The dtype to draw in: ``dtype``, or float32 for float16 (the generators draw float32 and float64 only)."""
    return dtype if dtype.itemsize >= 4 else numpy.dtype(numpy.float32)


def _shape(shape: tuple, function: str = "randn") -> tuple[int, ...]:
    """``(2, 3)`` from ``randn(2, 3)`` or ``randn((2, 3))``, as in PyTorch."""
    return size_of(shape, function)


def _float_samples(
    function: str, draw: str, shape: tuple, generator: Any, dtype: Any, device: Any, requires_grad: bool
) -> Tensor:
    """``function``'s samples: the generator's method ``draw`` in ``dtype``'s drawing precision, cast to it."""
    rng, _ = _generator(generator, device, function)
    dtype = _float_dtype(dtype, function)
    data = getattr(rng, draw)(_shape(shape, function), dtype=_drawn(dtype))
    return Tensor(data.astype(dtype, copy=False), requires_grad=requires_grad)


def randn(
    *shape: int, generator: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Samples of N(0, 1), drawn on ``device`` in ``dtype`` (float32 by default); randn(2, 3) or randn((2, 3))."""
    return _float_samples("randn", "standard_normal", shape, generator, dtype, device, requires_grad)


def rand(
    *shape: int, generator: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Samples of U[0, 1), drawn on ``device`` in ``dtype`` (float32 by default); rand(2, 3) or rand((2, 3))."""
    return _float_samples("rand", "random", shape, generator, dtype, device, requires_grad)


def randint(
    *args: Any, size: Any = None, generator: Any = None, dtype: Any = None, device: Any = None,
    requires_grad: bool = False, low: int | None = None, high: int | None = None,
) -> Tensor:
    """Integers drawn uniformly from [low, high) (torch.randint): ``randint(high, size)`` or
    ``randint(low, high, size)``, ``low`` 0 by default; int64 unless ``dtype`` says otherwise."""
    given = list(args)
    if size is None and given and isinstance(given[-1], tuple | list):
        size = given.pop()
    if len(given) == 2 and low is None and high is None:
        low, high = given
    elif len(given) == 1 and high is None:
        high = given[0]
    elif len(given) == 1 and low is None:
        low = given[0]
    elif given:
        raise TypeError(f"randint: expected randint(high, size) or randint(low, high, size), got {len(args)} arguments")
    if high is None or size is None:
        raise TypeError("randint: high and size are required, as in randint(10, (2, 3)) or randint(0, 10, (2, 3))")
    low = 0 if low is None else low
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"randint: {name} must be an int, got {value!r}")
    if not low < high:
        raise ValueError(f"randint: low ({low}) must be less than high ({high})")
    dtype = numpy.dtype("int64" if dtype is None else dtype)
    if requires_grad:
        raise TypeError(f"randint: only floating-point tensors can require gradients, got dtype {dtype}")
    shape = _shape(tuple(size) if isinstance(size, tuple | list) else (size,), "randint")
    rng, _ = _generator(generator, device, "randint")
    if hasattr(rng, "integers"):
        data = rng.integers(int(low), int(high), shape, dtype=numpy.int64)
    else:  # a generator without integers(): floor of a uniform draw
        data = (rng.random(shape, dtype=numpy.float64) * (int(high) - int(low))).astype(numpy.int64) + int(low)
    return Tensor(data.astype(dtype, copy=False))


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None) -> Tensor:
    """A random permutation of 0..n-1 (torch.randperm), int64 unless ``dtype`` says otherwise."""
    (n,) = _shape((n,), "randperm")
    rng, name = _generator(generator, device, "randperm")
    xp = backend.get_device(name).xp
    data = xp.argsort(rng.random(n, dtype=numpy.float64)) if n else xp.zeros(0, dtype=numpy.int64)
    return Tensor(data.astype(numpy.dtype("int64" if dtype is None else dtype), copy=False))


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """N(0, 1) samples with ``input``'s shape, dtype and device (each may be overridden)."""
    return randn(input.shape, dtype=input.dtype if dtype is None else dtype,
                 device=input.device if device is None else device, requires_grad=requires_grad)  # fmt: skip


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """U[0, 1) samples with ``input``'s shape, dtype and device (each may be overridden)."""
    return rand(input.shape, dtype=input.dtype if dtype is None else dtype,
                device=input.device if device is None else device, requires_grad=requires_grad)  # fmt: skip


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
    """A host generator from ``rng``: None (the generator :func:`manual_seed` seeds), an int seed >= 0, a
    numpy Generator itself, or a CPU :class:`Generator`'s (as torch.utils.data takes a torch.Generator).
    For host-side random choices, such as which block quilting copies."""
    if rng is None:
        return host_generator()
    if isinstance(rng, numpy.random.Generator):
        return rng
    if isinstance(rng, Generator) and isinstance(rng.rng, numpy.random.Generator):  # a CPU minigen.Generator
        return rng.rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return numpy.random.default_rng(int(rng))
    raise ValueError(
        f"rng: {rng!r} (expected None, an int seed >= 0, a numpy.random.Generator or a CPU minigen.Generator)"
    )
