"""Checkpoints: ``save(obj, path)`` and ``load(path)`` for nested state dicts, in one ``.npz`` file.

A checkpoint is usually a dict such as::

    {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
     "epoch": 3, "rng": minigen.random.get_rng_state()}

It is stored as a NumPy ``.npz`` archive (a zip of ``.npy`` files) holding

* every array (Tensor, NumPy or CuPy array) as one ``.npy`` entry, copied to the host
  first and named by its number in order of appearance (``0.npy``, ``1.npy``, ...): no
  part of a key ever becomes a file name, so every string key round-trips (``"a.npy"``
  next to ``"a"``, ``"a/b"`` next to ``{"a": {"b": ...}}``, NUL, ``""``, any unicode);
* one more entry, ``__structure__``: the nesting and every plain value (ints of any
  size, floats, bools, strings, None) as a UTF-8 JSON text, stored as a uint8 array.
  Arrays appear in it as ``{"$tensor": "0"}`` or ``{"$array": "1"}``, tuples as
  ``{"$tuple": [...]}``, and dicts whose keys are not all strings (an optimizer's state
  is keyed by parameter number) or that start with ``$`` as ``{"$dict": [[key, value], ...]}``.

The first files named their entries after their place (``model/fc.weight``); the reader
looks entries up by the name the structure gives, so those files load as before.

Nothing is ever pickled. Unpickling runs whatever code the file names, so a
downloaded pickle is a program, not data; entries holding Python objects are refused.

Loading trusts nothing the file says: every entry's ``.npy`` header is read first, its
declared size (shape x item size) must equal the bytes the entry holds, and the sum over
all entries must not exceed ``max_bytes`` -- by default the size of the file itself,
since :func:`save` stores arrays uncompressed and so never needs more. A crafted file
declaring a 4 GB array over 16 bytes, or a zip bomb of compressed zeros, is refused in
one line before anything is allocated.

Writing is atomic: the archive goes to a temporary file ``.<name>.<pid>.<random>.tmp``
in the same directory, is flushed to disk, then renamed over ``path`` (``os.replace``).
A crash, a full disk or Ctrl-C during a save leaves the previous checkpoint intact and
the temporary removed; a process killed outright leaves its temporary, which
:func:`remove_stale_temporaries` collects on the next start.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy

from minigen import backend
from minigen.files import atomic_path, one_line, remove_stale_temporaries
from minigen.tensor import Tensor

__all__ = ["CheckpointError", "load", "remove_stale_temporaries", "save"]

FORMAT = "minigen-checkpoint"
VERSION = 1
STRUCTURE_KEY = "__structure__"
ZIP_SIGNATURE = b"PK\x03\x04"


class CheckpointError(ValueError):
    """A file that is not a readable minigen checkpoint (corrupt, truncated, pickled, oversized, or another format)."""


# --------------------------------------------------------------------------- saving
class _Encoder:
    """Turns a nested object into a JSON-ready structure, collecting its arrays on the way."""

    def __init__(self) -> None:
        self.arrays: dict[str, numpy.ndarray] = {}

    def encode(self, value: Any, path: tuple[Any, ...]) -> Any:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, numpy.generic) and value.dtype.kind in "biuf":
            return value.item()  # NumPy scalars (numpy.float32(0.5), numpy.int64(3)) as Python numbers
        if isinstance(value, Tensor):
            node = {"$tensor": self._add_array(value.data, path)}
            if value.requires_grad:
                node["requires_grad"] = True
            if value.device != "cpu":  # where it was saved from: map_location's dict and callable forms read it
                node["device"] = str(value.device)
            return node
        if _is_torch_tensor(value):  # a PyTorch state dict converts in one call: minigen.save(torch_state, path)
            node = {"$tensor": self._add_array(_torch_to_numpy(value, path), path)}
            if value.requires_grad:
                node["requires_grad"] = True
            return node
        if backend.device_of(value) is not None:
            return {"$array": self._add_array(value, path)}
        if isinstance(value, dict):
            if all(isinstance(key, str) and not key.startswith("$") for key in value):
                return {key: self.encode(item, (*path, key)) for key, item in value.items()}
            return {
                "$dict": [[self._encode_key(key, path), self.encode(item, (*path, key))] for key, item in value.items()]
            }
        if isinstance(value, list):
            return [self.encode(item, (*path, i)) for i, item in enumerate(value)]
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(item, (*path, i)) for i, item in enumerate(value)]}
        raise TypeError(
            f"save: {_describe(path)} is a {type(value).__name__}; a checkpoint holds dicts, lists, tuples, "
            "Tensors, NumPy/CuPy arrays, ints, floats, bools, strings and None"
        )

    def _encode_key(self, key: Any, path: tuple[Any, ...]) -> Any:
        """A dict key as JSON; only plain values and tuples of them, so that it loads back hashable."""
        if key is None or isinstance(key, bool | int | float | str):
            return key
        if isinstance(key, numpy.generic) and key.dtype.kind in "biuf":
            return key.item()
        if isinstance(key, tuple):
            return {"$tuple": [self._encode_key(part, path) for part in key]}
        kind = (
            "an array" if isinstance(key, Tensor) or backend.device_of(key) is not None else f"a {type(key).__name__}"
        )
        raise TypeError(
            f"save: a dict key at {_describe(path)} is {kind} ({one_line(repr(key), 60)}); keys must be str, int, "
            "float, bool, None or tuples of these"
        )

    def _add_array(self, array: Any, path: tuple[Any, ...]) -> str:
        host = backend.to_numpy(array)
        if host.dtype.hasobject:
            raise TypeError(
                f"save: {_describe(path)} is an array of Python objects (dtype {host.dtype}), "
                "which could only be stored by pickling; convert it to numbers or strings"
            )
        name = str(len(self.arrays))  # a number, never the key: keys live in the JSON structure only
        self.arrays[name] = host
        return name



def _is_torch_tensor(value: Any) -> bool:
    """True for a torch.Tensor (torch is not imported: its type is recognised by module and methods)."""
    return type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach") and hasattr(value, "numpy")


def _torch_to_numpy(value: Any, path: tuple[Any, ...]) -> numpy.ndarray:
    try:
        return value.detach().cpu().numpy()
    except (TypeError, RuntimeError) as error:  # bfloat16, complex32, ... have no NumPy dtype
        raise TypeError(
            f"save: {_describe(path)} is a torch tensor of dtype {value.dtype}, which NumPy cannot hold "
            f"({one_line(error, 120)}); convert it first, e.g. .float()"
        ) from None


def _describe(path: tuple[Any, ...]) -> str:
    """``('optimizer', 'state', 0)`` -> ``obj['optimizer']['state'][0]``, to name a place in an error."""
    return "obj" + "".join(f"[{part!r}]" for part in path)


def save(obj: Any, f: str | os.PathLike[str] | BinaryIO) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of Tensors, arrays and plain values) to ``f``, as torch.save.

    ``f`` is a path, written atomically at exactly that name (``model.pt``, ``ckpt.pth``: no ``.npz`` is
    added), or a binary file object opened for writing (``io.BytesIO()``), written where it stands. The
    content is a NumPy ``.npz`` archive, never a pickle. Arrays on a GPU are copied to the host; torch
    tensors are stored as tensors, so ``minigen.save(torch.load(...), path)`` converts a PyTorch state dict.
    See the module docstring.
    """
    encoder = _Encoder()
    root = encoder.encode(obj, ())
    header = json.dumps({"format": FORMAT, "version": VERSION, "root": root})
    arrays = {**encoder.arrays, STRUCTURE_KEY: numpy.frombuffer(header.encode("utf-8"), dtype=numpy.uint8)}
    if hasattr(f, "write"):
        _write_archive(f, arrays)
        return
    _write_atomically(os.fspath(f), arrays)


def _write_archive(file: BinaryIO, arrays: dict[str, numpy.ndarray]) -> None:
    """What numpy.savez does, but with allow_pickle=False and names that cannot clash with its arguments."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                numpy.lib.format.write_array(member, array, allow_pickle=False)


def _write_atomically(path: str, arrays: dict[str, numpy.ndarray]) -> None:
    """Write the archive to a temporary file next to ``path``, flush it to disk, then rename it onto ``path``.

    On any exception, Ctrl-C included, the temporary is removed and ``path`` is untouched.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):  # else the error would name the temporary, a file the caller never asked for
        raise FileNotFoundError(f"save: cannot write {path}: the folder {directory} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: cannot write {path}: it is a folder")
    with atomic_path(path) as temporary:
        # os.open with mode 0o666 lets the umask decide the permissions, as for any new file
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(descriptor, "wb") as file:
            _write_archive(file, arrays)
            file.flush()
            os.fsync(file.fileno())
    with contextlib.suppress(OSError, AttributeError):  # make the rename itself durable (POSIX only)
        directory_descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_descriptor)
        finally:
            os.close(directory_descriptor)


# --------------------------------------------------------------------------- loading
# torch.save's legacy (before PyTorch 1.6) files start with this pickled magic number; its zip files hold data.pkl
TORCH_LEGACY_SIGNATURE = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."
CONVERT = (
    "convert it where PyTorch is installed: python -c \"import torch, minigen; "
    "minigen.save(torch.load('{name}', map_location='cpu', weights_only=True), '{name}.npz')\", "
    "or pass torch.load(...)'s state dict straight to model.load_state_dict"
)


def _pickle_kind(signature: bytes, name: str) -> str:
    """For a file that is not a zip: what it is, when it is a (PyTorch) pickle, as the end of an error message."""
    if signature.startswith(TORCH_LEGACY_SIGNATURE):
        return (": it is a PyTorch checkpoint in torch.save's legacy pickle format, and minigen never unpickles "
                "(unpickling can run arbitrary code); " + CONVERT.format(name=name))  # fmt: skip
    if signature[:1] == b"\x80" and signature[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return (": it is a Python pickle, and minigen never unpickles (unpickling can run arbitrary code); "
                "if torch.save wrote it, " + CONVERT.format(name=name))  # fmt: skip
    return ""


def _torch_zip(source: Any) -> bool:
    """True for the zip torch.save writes (``archive/data.pkl`` and its storages)."""
    with contextlib.suppress(*_UNREADABLE):
        with zipfile.ZipFile(source) as archive:
            return any(entry.rsplit("/", 1)[-1] == "data.pkl" for entry in archive.namelist())
    return False


class _PlacementError(Exception):
    """An error of the user's map_location, carried past the decoder's "malformed file" handler."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


Placement = Callable[[numpy.ndarray, str], Tensor]


def _torch_location(name: str) -> str:
    """The location string PyTorch hands to a map_location callable: "cpu", "cuda:0"."""
    return "cuda:0" if name == "cuda" else name


def _placement(map_location: Any) -> Placement:
    """(host array, device it was saved from) -> the Tensor to return, as ``map_location`` asks; checked at once."""
    if map_location is None:
        map_location = "cpu"
    if isinstance(map_location, str | backend.Device):  # "cpu", "cuda", "cuda:0", minigen.device(...)
        target = backend.get_device(map_location)  # fail early, and clearly, for an unusable device
        return lambda array, saved: Tensor(backend.to_device(array, target))
    if isinstance(map_location, dict):  # {"cuda:0": "cpu"}: saved location -> target; others stay where they were
        mapping = {backend.device_name(key): backend.device_name(value) for key, value in map_location.items()}
        return lambda array, saved: Tensor(backend.to_device(array, mapping.get(saved, saved)))
    if callable(map_location):  # map_location(cpu_tensor, "cuda:0") -> a Tensor (None: the saved device)
        def place(array: numpy.ndarray, saved: str) -> Tensor:
            try:
                result = map_location(Tensor(array), _torch_location(saved))
                if result is None:
                    return Tensor(backend.to_device(array, saved))
            except Exception as error:
                raise _PlacementError(error) from error
            if isinstance(result, Tensor):
                return result
            if backend.device_of(result) is not None:
                return Tensor(result)
            raise _PlacementError(TypeError(
                f"load: map_location returned a {type(result).__name__}, expected a Tensor (or an array)"
            ))  # fmt: skip

        return place
    raise TypeError(
        f"load: map_location must be a device ('cpu', 'cuda', minigen.device(...)), a dict of locations or a "
        f"function, got {type(map_location).__name__}"
    )


def load(
    f: str | os.PathLike[str] | BinaryIO,
    map_location: Any = None,
    weights_only: bool = True,
    *,
    device: Any = None,
    max_bytes: int | None = None,
) -> Any:
    """Read a checkpoint written by :func:`save`, as torch.load.

    ``f`` is a path (any name: ``model.pt``, ``ckpt.pth``, ``ckpt.npz``) or a binary file object.
    Values that were Tensors come back as Tensors placed by ``map_location``:

    * None (the default): on the CPU, whatever device they were saved from (PyTorch would put each
      back on its saved device; ``load_state_dict`` copies onto the model's device either way);
    * a device, "cpu", "cuda" or ``minigen.device(...)``: all of them there;
    * a dict of saved location -> device (``{"cuda:0": "cpu"}``): the others stay on their saved device;
    * a function ``(tensor_on_cpu, saved_location) -> Tensor`` (``lambda storage, location: storage``), the
      location named as PyTorch does ("cpu", "cuda:0"); returning None keeps the saved device.

    ``device`` is the older name of ``map_location`` (give one). ``weights_only`` is accepted for PyTorch's
    signature: a minigen file holds only data, never pickled code, so True and False read the same.
    Raw NumPy/CuPy arrays come back as NumPy arrays; ints (of any size), floats, bools, strings, None,
    tuples and dict keys come back as they were.

    ``max_bytes``: the most memory the file's arrays may take, checked against the sizes
    their headers declare before anything is allocated. None (the default) allows the size
    of the file on disk, which is all a file written by :func:`save` (uncompressed) can
    need; pass more to read a compressed ``.npz`` you trust.

    Raises :class:`CheckpointError` (one line) for a file that is not a checkpoint, is
    truncated, corrupt or malformed, holds pickled objects (a PyTorch checkpoint: the message
    says how to convert it), or declares arrays larger than the data it holds or than ``max_bytes``.
    """
    if device is not None:
        if map_location is not None:
            raise TypeError("load: got map_location and device; device is the older name of map_location, give one")
        map_location = device
    if not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be a bool, got {type(weights_only).__name__}")
    place = _placement(map_location)
    if hasattr(f, "read"):  # a file object, read from where it stands
        path = getattr(f, "name", None)
        path = path if isinstance(path, str) else "<file object>"
        start = f.tell()
        signature = f.read(len(TORCH_LEGACY_SIGNATURE))
        file_size = f.seek(0, os.SEEK_END) - start
        f.seek(start)
        source: Any = f
    else:
        path = source = os.fspath(f)
        with open(path, "rb") as file:  # FileNotFoundError names the path
            signature = file.read(len(TORCH_LEGACY_SIGNATURE))
            file_size = os.fstat(file.fileno()).st_size
    if signature[: len(ZIP_SIGNATURE)] != ZIP_SIGNATURE:
        raise CheckpointError(
            f"{path} is not a minigen checkpoint: not an .npz (zip) archive{_pickle_kind(signature, path)}"
        )
    limit = file_size if max_bytes is None else int(max_bytes)
    arrays = _read_arrays(path, limit, "the file's size" if max_bytes is None else "max_bytes", source)
    if STRUCTURE_KEY not in arrays:
        if _torch_zip(source):
            raise CheckpointError(
                f"{path} is a PyTorch checkpoint (torch.save's zip of pickles), not a minigen one, and minigen "
                f"never unpickles (unpickling can run arbitrary code); {CONVERT.format(name=path)}"
            )
        raise CheckpointError(f"{path} is an .npz archive but not a minigen checkpoint (no {STRUCTURE_KEY} entry)")
    try:
        header = json.loads(arrays.pop(STRUCTURE_KEY).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:  # ValueError: bad JSON, a 5,000-digit int
        raise CheckpointError(f"{path}: the {STRUCTURE_KEY} entry is corrupt ({one_line(error, 300)})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT or "root" not in header:
        raise CheckpointError(f"{path}: the {STRUCTURE_KEY} entry is not a {FORMAT} header")
    if header.get("version") != VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {header.get('version')!r}, this minigen reads {VERSION}"
        )
    try:
        return _Decoder(path, arrays, place).decode(header["root"])
    except _PlacementError as failure:
        raise failure.error from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as error:
        if isinstance(error, CheckpointError):
            raise
        raise CheckpointError(
            f"{path}: the {STRUCTURE_KEY} entry is malformed ({type(error).__name__}: {one_line(error, 300)})"
        ) from None


# what a damaged archive raises; RuntimeError: an encrypted entry, NotImplementedError: a compression method we lack
_UNREADABLE = (
    zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError, RuntimeError, NotImplementedError,
)  # fmt: skip


class _Entry:
    """One ``.npy`` member of the archive, as its header declares it."""

    def __init__(
        self, info: zipfile.ZipInfo, shape: tuple[int, ...], fortran: bool, dtype: numpy.dtype, offset: int
    ) -> None:
        self.info, self.shape, self.fortran, self.dtype, self.offset = info, shape, fortran, dtype, offset
        self.nbytes = math.prod(shape) * dtype.itemsize
        self.cost = math.prod(shape) * max(dtype.itemsize, 1)  # what it takes in memory, even for 0-byte items


def _read_arrays(path: str, limit: int, limit_name: str, source: Any = None) -> dict[str, numpy.ndarray]:
    """Every ``.npy`` entry of the archive, by name without ``.npy``; errors name the file.

    Every header is read and checked -- no object dtype, the declared size equal to the
    entry's size, all sizes together within ``limit`` -- before any array is allocated.
    """
    try:
        with zipfile.ZipFile(path if source is None else source) as archive:
            members = {info.filename[: -len(".npy")]: info for info in archive.infolist()
                       if info.filename.endswith(".npy")}  # fmt: skip
            entries = {name: _read_header(archive, path, name, info) for name, info in members.items()}
            total = sum(entry.cost for entry in entries.values())
            if total > limit:
                largest = max(entries, key=lambda name: entries[name].cost)
                raise CheckpointError(
                    f"{path}: its arrays would take {total} bytes in memory (the largest, {largest!r}, "
                    f"{entries[largest].cost}), more than the {limit} bytes allowed ({limit_name}); "
                    "pass load(..., max_bytes=...) to read a compressed archive you trust"
                )
            return {name: _read_data(archive, entry) for name, entry in entries.items()}
    except CheckpointError:
        raise
    except _UNREADABLE as error:
        raise CheckpointError(
            f"{path} is truncated or corrupt, not a readable checkpoint "
            f"({type(error).__name__}: {one_line(error, 300)})"
        ) from None


def _read_header(archive: zipfile.ZipFile, path: str, name: str, info: zipfile.ZipInfo) -> _Entry:
    """The shape, order and dtype an entry declares, checked against the bytes it holds."""
    with archive.open(info) as member:
        version = numpy.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = numpy.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dtype = numpy.lib.format.read_array_header_2_0(member)
        else:
            raise CheckpointError(f"{path}: entry {name!r} is a .npy of version {version}, expected 1.0 or 2.0")
        offset = member.tell()
    if dtype.hasobject:
        raise CheckpointError(
            f"{path}: entry {name!r} holds pickled Python objects (an object array); minigen "
            "never unpickles, since unpickling can run arbitrary code. Save plain arrays instead"
        )
    if any(size < 0 for size in shape):
        raise CheckpointError(f"{path}: entry {name!r} declares the shape {shape}, expected sizes >= 0")
    entry = _Entry(info, shape, fortran, dtype, offset)
    if entry.nbytes != info.file_size - offset:
        raise CheckpointError(
            f"{path}: entry {name!r} declares a {dtype} array of shape {shape} ({entry.nbytes} bytes), "
            f"but holds {info.file_size - offset} bytes of data"
        )
    return entry


def _read_data(archive: zipfile.ZipFile, entry: _Entry) -> numpy.ndarray:
    """The entry's array, read straight into one buffer of the size already checked."""
    order = "F" if entry.fortran else "C"
    if entry.nbytes == 0:
        return numpy.empty(entry.shape, dtype=entry.dtype, order=order)
    raw = numpy.empty(entry.nbytes, dtype=numpy.uint8)
    with archive.open(entry.info) as member:
        member.seek(entry.offset)
        view, done = memoryview(raw), 0
        while done < entry.nbytes:
            count = member.readinto(view[done:])
            if not count:
                raise EOFError(f"entry {entry.info.filename!r} ends after {done} of {entry.nbytes} bytes")
            done += count
        if member.read(1):  # also lets zipfile check the CRC at the end
            raise ValueError(f"entry {entry.info.filename!r} holds more than {entry.nbytes} bytes")
    return raw.view(entry.dtype).reshape(entry.shape, order=order)


class _Decoder:
    """Rebuilds the saved object from the JSON structure and the archive's arrays."""

    def __init__(self, path: str, arrays: dict[str, numpy.ndarray], place: Placement) -> None:
        self.path, self.arrays, self.place = path, arrays, place

    def decode(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.decode(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$tensor" in node:
            saved = node.get("device", "cpu")
            if not isinstance(saved, str):
                raise CheckpointError(f"{self.path}: a tensor's device is {one_line(repr(saved), 60)}, not a name")
            tensor = self.place(self._array(node["$tensor"]), saved)
            tensor.requires_grad = bool(node.get("requires_grad", False))
            return tensor
        if "$array" in node:
            return self._array(node["$array"])
        if "$tuple" in node:
            return tuple(self.decode(item) for item in node["$tuple"])
        if "$dict" in node:
            return {self.decode(key): self.decode(value) for key, value in node["$dict"]}
        return {key: self.decode(value) for key, value in node.items()}

    def _array(self, name: Any) -> numpy.ndarray:
        if not isinstance(name, str) or name not in self.arrays:
            raise CheckpointError(
                f"{self.path}: the structure refers to array {one_line(repr(name), 60)}, which the archive lacks"
            )
        return self.arrays[name]
