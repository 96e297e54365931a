"""The array backend: the one place that knows about NumPy and CuPy.

Compute code never imports numpy or cupy. It asks ``get_array_module(*values)``
for ``xp`` (the module that owns its arrays) and writes ``xp.exp(x)``, so the
same line runs on the CPU (NumPy) and on an NVIDIA GPU (CuPy).

A *device* is a name ("cpu", "cuda") bound to a :class:`Device`: its array
module, how to recognise its arrays, and how arrays cross to and from the host.
CuPy is imported lazily, the first time "cuda" is asked for, so
``import minigen`` never touches a GPU.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy

__all__ = [
    "Device",
    "DeviceName",
    "cuda_device_count",
    "cuda_is_available",
    "cuda_unavailable_reason",
    "device_name",
    "device_of",
    "as_array",
    "get_array_module",
    "get_device",
    "register_device",
    "scatter_add",
    "to_device",
    "to_numpy",
]


@dataclass(frozen=True)
class Device:
    """A place where arrays live.

    xp:          the array module (numpy, cupy, ...).
    array_type:  the class of its arrays, to tell which device an array is on.
    from_host:   numpy.ndarray -> array on this device.
    to_host:     array on this device -> numpy.ndarray.
    scatter_add: ``scatter_add(target, indices, values)`` adds in place, with
                 repeated indices accumulating (NumPy's ``np.add.at``).
    """

    name: str
    xp: Any
    array_type: type
    from_host: Callable[[numpy.ndarray], Any]
    to_host: Callable[[Any], numpy.ndarray]
    scatter_add: Callable[[Any, Any, Any], None]


CPU = Device(
    name="cpu",
    xp=numpy,
    array_type=numpy.ndarray,
    from_host=lambda array: array,
    to_host=lambda array: array,
    scatter_add=numpy.add.at,
)

_devices: dict[str, Device] = {"cpu": CPU}
_device_by_array_type: dict[type, Device] = {numpy.ndarray: CPU}  # a fast path for device_of
_cuda_error: str | None = None  # why CUDA is unusable, once we have tried


def register_device(device: Device) -> None:
    """Make a device known by name (used for "cuda", and by the tests' strict device)."""
    _devices[device.name] = device
    _device_by_array_type[device.array_type] = device


def _load_cuda() -> Device | None:
    """Import CuPy and check for a GPU; remember the reason if either is missing."""
    global _cuda_error
    if "cuda" in _devices:
        return _devices["cuda"]
    if _cuda_error is not None:
        return None
    try:
        cupy = importlib.import_module("cupy")
        cupyx = importlib.import_module("cupyx")
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no CUDA GPU found")
    except Exception as error:  # ImportError, or a CUDA driver error
        _cuda_error = f"{type(error).__name__}: {error}"
        return None
    # CuPy's ufunc.at is not available in every version; cupyx.scatter_add is.
    register_device(
        Device(
            name="cuda",
            xp=cupy,
            array_type=cupy.ndarray,
            from_host=cupy.asarray,
            to_host=cupy.asnumpy,
            scatter_add=cupyx.scatter_add,
        )
    )
    return _devices["cuda"]


def cuda_is_available() -> bool:
    """True when CuPy imports and sees at least one GPU. Safe to call without CuPy."""
    return _load_cuda() is not None


def cuda_unavailable_reason() -> str | None:
    """Why "cuda" is not usable (``"ImportError: No module named 'cupy'"``, ``"RuntimeError: no CUDA GPU found"``),
    or None when it is. Tries CuPy first if that was not done yet; safe to call without CuPy."""
    return None if cuda_is_available() else _cuda_error


def get_device(name: str) -> Device:
    """The Device called ``name`` ("cpu" or "cuda"), with a clear error if unusable."""
    if isinstance(name, Device):
        return name
    if type(name) is not str or ":" in name:  # minigen.device("cuda"), "cuda:0"
        name = device_name(name)
    if name == "cuda" and _load_cuda() is None:
        raise RuntimeError(
            f"device 'cuda' requested but CUDA is not usable ({_cuda_error}); "
            "install the cuda12 or cuda13 extra on a machine with an NVIDIA GPU, or use device='cpu'"
        )
    if name not in _devices:
        raise ValueError(f"unknown device {name!r}; expected one of {sorted(set(_devices) | {'cuda'})}")
    return _devices[name]


def cuda_device_count() -> int:
    """How many GPUs CuPy sees; 0 without CuPy or a GPU (minigen computes on the current one)."""
    if _load_cuda() is None:
        return 0
    return int(_devices["cuda"].xp.cuda.runtime.getDeviceCount())


def _split_device(spec: Any, index: Any = None) -> tuple[str, int | None]:
    """``("cuda", 0)`` from "cuda:0", ``("cuda", 0)``, a DeviceName or a Device; checks the name and the index."""
    if isinstance(spec, Device):
        spec = spec.name
    if isinstance(spec, DeviceName):
        spec, index = str(spec), spec.index if index is None else index
    if not isinstance(spec, str):
        raise TypeError(f"device: expected a name such as 'cpu', 'cuda' or 'cuda:0', got {type(spec).__name__}")
    name, colon, number = spec.strip().partition(":")
    if colon:
        if index is not None or not number.isdigit():
            raise ValueError(f"device: {spec!r} is not a device; expected 'cpu', 'cuda' or 'cuda:0'")
        index = int(number)
    if name not in _devices and name != "cuda":
        raise ValueError(f"device: unknown device type {name!r}; expected one of {sorted(set(_devices) | {'cuda'})}")
    if index is not None:
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"device: the index {index!r} of {name!r} is not an int >= 0")
        if index != 0:
            raise ValueError(
                f"device: {name}:{index} requested, but minigen computes on one device of each type, index 0 "
                "(select another GPU with CUDA_VISIBLE_DEVICES)"
            )
    return name, index


def device_name(spec: Any) -> str:
    """The plain name ("cpu", "cuda") of a device given as a name, "cuda:0", a DeviceName or a Device."""
    return _split_device(spec)[0]


class DeviceName(str):
    """A device as ``torch.device`` shows it, and still its plain name: ``DeviceName("cuda:0") == "cuda"``.

    ``.type`` is the name ("cpu", "cuda"), ``.index`` the number given (None, or 0: minigen uses one GPU).
    Being a ``str``, it goes wherever a device name goes (``tensor(..., device=d)``, ``x.to(d)``,
    ``model.to(d)``) and compares equal to ``tensor.device``. Unlike ``torch.device``, "cuda" and
    "cuda:0" are equal, as minigen has one GPU. Nothing is checked for availability here: a machine
    without a GPU may name "cuda"; using it raises.
    """

    index: int | None

    def __new__(cls, type: Any, index: int | None = None) -> DeviceName:  # noqa: A002 - torch.device's name
        name, index = _split_device(type, index)
        self = super().__new__(cls, name)
        self.index = index
        return self

    def __getnewargs__(self) -> tuple[str, int | None]:  # copy and pickle rebuild it from name and index
        return str(self), self.index

    @property
    def type(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self}'{index})"


def _unwrap(value: Any) -> Any:
    """A Tensor's backing array, or the value itself."""
    return getattr(value, "data", value) if hasattr(value, "_is_minigen_tensor") else value


def device_of(array: Any) -> Device | None:
    """The device whose array type ``array`` is, or None for scalars and non-arrays."""
    device = _device_by_array_type.get(type(array))  # called for every op: try the exact type first
    if device is not None:
        return device
    array = _unwrap(array)
    for device in _devices.values():
        if isinstance(array, device.array_type):
            return device
    return None


def get_array_module(*values: Any) -> Any:
    """The array module (numpy or cupy) of the first array among ``values``; numpy if none.

    Tensors are unwrapped to their data. Scalars do not decide anything.
    """
    for value in values:
        device = device_of(value)
        if device is not None:
            return device.xp
    return numpy


def to_device(array: Any, device: str | Device) -> Any:
    """Move an array to ``device``; no copy when it is already there."""
    target = get_device(device)
    source = device_of(array)
    if source is target:
        return array
    host = numpy.asarray(array) if source is None else source.to_host(array)
    return target.from_host(host)


def to_numpy(array: Any) -> numpy.ndarray:
    """A host NumPy array holding ``array``'s values, from any device."""
    source = device_of(array)
    return numpy.asarray(array) if source is None else source.to_host(array)


def scatter_add(target: Any, indices: Any, values: Any) -> None:
    """``target[indices] += values`` in place, repeated indices accumulating."""
    device_of(target).scatter_add(target, indices, values)


def as_array(data: Any, dtype: Any = None, device: str | Device | None = None) -> Any:
    """An array on ``device`` from arrays, lists or scalars.

    Arrays keep their dtype unless ``dtype`` is given; Python floats and lists of
    them become float32 (minigen's default), as in PyTorch. ``device=None`` keeps
    an array where it is and puts other data on the CPU.
    """
    source = device_of(data)
    if source is None:
        host = numpy.asarray(data)
        if host.dtype.kind not in "biuf":
            what = type(data).__name__ if host.dtype.kind == "O" else f"{type(data).__name__} of dtype {host.dtype}"
            raise TypeError(f"expected numbers (a scalar, nested lists of numbers, or an array), got {what}")
        if dtype is None and host.dtype == numpy.float64 and not isinstance(data, numpy.ndarray | numpy.generic):
            dtype = numpy.float32
        data, source = host, CPU
    elif data.dtype.kind not in "biuf":
        raise TypeError(f"expected numbers (a scalar, nested lists of numbers, or an array), got an array of dtype "
                        f"{data.dtype}")  # fmt: skip
    target = source if device is None else get_device(device)
    array = to_device(data, target)
    if dtype is not None and array.dtype != numpy.dtype(dtype):
        array = array.astype(dtype)
    return array
