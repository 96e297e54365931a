"""Checkpoints: ``save(obj, path)`` and ``load(path)`` for nested state dicts, in one ``.npz`` file.

A checkpoint is usually a dict such as::

    {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
     "epoch": 3, "rng": minigen.random.get_rng_state()}

It is stored as a NumPy ``.npz`` archive (a zip of ``.npy`` files) holding

* every array (Tensor, NumPy or CuPy array) as one ``.npy`` entry, named after where it
  sits in the structure (``model/fc.weight``, ``optimizer/state/0/exp_avg``), copied to
  the host first;
* one more entry, ``__structure__``: the nesting and every plain value (ints of any
  size, floats, bools, strings, None) as a UTF-8 JSON text, stored as a uint8 array.
  Arrays appear in it as ``{"$tensor": "model/fc.weight"}`` or ``{"$array": ...}``,
  tuples as ``{"$tuple": [...]}``, and dicts whose keys are not all strings (an
  optimizer's state is keyed by parameter number) as ``{"$dict": [[key, value], ...]}``.

Nothing is ever pickled. Unpickling runs whatever code the file names, so a
downloaded pickle is a program, not data; here the file is read with
``numpy.load(path, allow_pickle=False)`` and a file holding pickled objects is refused.

Writing is atomic: the archive goes to a temporary file in the same directory, is
flushed to disk, then renamed over ``path`` (``os.replace``). A crash or a full disk
during a save leaves the previous checkpoint intact, never a half-written one.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import zipfile
from typing import Any

import numpy

from minigen import backend
from minigen.tensor import Tensor

__all__ = ["CheckpointError", "load", "save"]

FORMAT = "minigen-checkpoint"
VERSION = 1
STRUCTURE_KEY = "__structure__"
ZIP_SIGNATURE = b"PK\x03\x04"


class CheckpointError(ValueError):
    """A file that is not a readable minigen checkpoint (corrupt, truncated, pickled, or another format)."""


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
        if isinstance(key, Tensor) or backend.device_of(key) is not None:
            raise TypeError(f"save: a dict key at {_describe(path)} is an array; keys must be plain values")
        return self.encode(key, path)

    def _add_array(self, array: Any, path: tuple[Any, ...]) -> str:
        host = backend.to_numpy(array)
        if host.dtype.hasobject:
            raise TypeError(
                f"save: {_describe(path)} is an array of Python objects (dtype {host.dtype}), "
                "which could only be stored by pickling; convert it to numbers or strings"
            )
        name = "/".join(str(part) for part in path) or "root"
        unique, copy = name, 1
        while unique in self.arrays or unique == STRUCTURE_KEY:
            copy += 1
            unique = f"{name}#{copy}"
        self.arrays[unique] = host
        return unique


def _describe(path: tuple[Any, ...]) -> str:
    """``('optimizer', 'state', 0)`` -> ``obj['optimizer']['state'][0]``, to name a place in an error."""
    return "obj" + "".join(f"[{part!r}]" for part in path)


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of Tensors, arrays and plain values) to ``path``.

    The file is a NumPy ``.npz`` archive written atomically at exactly ``path`` (no
    extension is added). Arrays on a GPU are copied to the host. See the module docstring.
    """
    encoder = _Encoder()
    root = encoder.encode(obj, ())
    header = json.dumps({"format": FORMAT, "version": VERSION, "root": root})
    arrays = {**encoder.arrays, STRUCTURE_KEY: numpy.frombuffer(header.encode("utf-8"), dtype=numpy.uint8)}
    _write_atomically(os.fspath(path), arrays)


def _write_atomically(path: str, arrays: dict[str, numpy.ndarray]) -> None:
    """Write the archive to a temporary file next to ``path``, flush it to disk, then rename it onto ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.tmp")
    # os.open with mode 0o666 lets the umask decide the permissions, as for any new file
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            # what numpy.savez does, but with allow_pickle=False and names that cannot clash with its arguments
            with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
                for name, array in arrays.items():
                    with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                        numpy.lib.format.write_array(member, array, allow_pickle=False)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    with contextlib.suppress(OSError, AttributeError):  # make the rename itself durable (POSIX only)
        directory_descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_descriptor)
        finally:
            os.close(directory_descriptor)


# --------------------------------------------------------------------------- loading
def load(path: str | os.PathLike[str], device: str = "cpu") -> Any:
    """Read a checkpoint written by :func:`save`.

    Values that were Tensors come back as Tensors on ``device`` ("cpu" or "cuda"),
    whatever device they were saved from; raw NumPy/CuPy arrays come back as NumPy
    arrays; ints (of any size), floats, bools, strings, None, tuples and dict keys
    come back as they were. Raises :class:`CheckpointError` for a file that is not a
    checkpoint, is truncated or corrupt, or holds pickled objects.
    """
    path = os.fspath(path)
    target = backend.get_device(device)  # fail early, and clearly, for an unusable device
    with open(path, "rb") as file:  # FileNotFoundError names the path
        signature = file.read(len(ZIP_SIGNATURE))
    if signature != ZIP_SIGNATURE:
        raise CheckpointError(f"{path} is not a minigen checkpoint: not an .npz (zip) archive")
    arrays = _read_arrays(path)
    if STRUCTURE_KEY not in arrays:
        raise CheckpointError(f"{path} is an .npz archive but not a minigen checkpoint (no {STRUCTURE_KEY} entry)")
    try:
        header = json.loads(arrays.pop(STRUCTURE_KEY).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: the {STRUCTURE_KEY} entry is corrupt ({error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT or "root" not in header:
        raise CheckpointError(f"{path}: the {STRUCTURE_KEY} entry is not a {FORMAT} header")
    if header.get("version") != VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {header.get('version')}, this minigen reads {VERSION}"
        )
    return _Decoder(path, arrays, target).decode(header["root"])


def _read_arrays(path: str) -> dict[str, numpy.ndarray]:
    """Every entry of the archive, read with ``allow_pickle=False``; errors name the file."""
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            arrays = {}
            for name in archive.files:
                try:
                    arrays[name] = archive[name]
                except ValueError as error:
                    if "allow_pickle" in str(error):
                        raise CheckpointError(
                            f"{path}: entry {name!r} holds pickled Python objects (an object array); minigen "
                            "never unpickles, since unpickling can run arbitrary code. Save plain arrays instead"
                        ) from None
                    raise
            return arrays
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise CheckpointError(
            f"{path} is truncated or corrupt, not a readable checkpoint ({type(error).__name__}: {error})"
        ) from None


class _Decoder:
    """Rebuilds the saved object from the JSON structure and the archive's arrays."""

    def __init__(self, path: str, arrays: dict[str, numpy.ndarray], device: backend.Device) -> None:
        self.path, self.arrays, self.device = path, arrays, device

    def decode(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.decode(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$tensor" in node:
            tensor = Tensor(backend.to_device(self._array(node["$tensor"]), self.device))
            tensor.requires_grad = bool(node.get("requires_grad", False))
            return tensor
        if "$array" in node:
            return self._array(node["$array"])
        if "$tuple" in node:
            return tuple(self.decode(item) for item in node["$tuple"])
        if "$dict" in node:
            return {self.decode(key): self.decode(value) for key, value in node["$dict"]}
        return {key: self.decode(value) for key, value in node.items()}

    def _array(self, name: str) -> numpy.ndarray:
        if name not in self.arrays:
            raise CheckpointError(f"{self.path}: the structure refers to array {name!r}, which the archive lacks")
        return self.arrays[name]
