"""Read IDX files, the simple binary format of MNIST and Fashion-MNIST.

An IDX file is a header followed by the raw array, big-endian:

    bytes 0-1   zero
    byte  2     the element type (0x08 = uint8, ... see ``IDX_DTYPES``)
    byte  3     the number of dimensions, ndim
    then        ndim sizes, each a 4-byte unsigned integer
    then        the values, row-major (C order)

So MNIST's training images start with ``00 00 08 03`` then 60000, 28, 28, and
its labels with ``00 00 08 01`` then 60000. Files ending in ``.gz`` are
decompressed first.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IDX_DTYPES", "IdxFormatError", "parse_idx", "read_idx"]

# Type byte -> big-endian NumPy dtype of the stored values.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IdxFormatError(ValueError):
    """An IDX file is truncated, corrupt, or not an IDX file at all."""


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """The array stored in the IDX bytes ``raw``; ``name`` is used in error messages.

    The result has native byte order (uint8 for MNIST) and owns its memory.
    """
    if len(raw) < 4:
        raise IdxFormatError(f"{name}: only {len(raw)} bytes, too short for an IDX header (4 bytes)")
    zero, type_code, ndim = int.from_bytes(raw[0:2], "big"), raw[2], raw[3]
    if zero != 0 or type_code not in IDX_DTYPES:
        raise IdxFormatError(
            f"{name}: bad IDX magic number 0x{raw[:4].hex()}; expected 0x0000TTNN with type byte "
            f"TT in {[f'0x{code:02x}' for code in IDX_DTYPES]} (is it an IDX file, and decompressed?)"
        )
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise IdxFormatError(f"{name}: header promises {ndim} dimensions but the file is only {len(raw)} bytes")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_DTYPES[type_code]
    expected = header_size + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise IdxFormatError(
            f"{name}: header says shape {shape} of {dtype.name} ({expected} bytes in all) "
            f"but the file has {len(raw)} bytes; it is truncated or corrupt"
        )
    values = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a native-order copy


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in the IDX file at ``path`` (gzip-compressed if it ends in .gz)."""
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError
            raise IdxFormatError(f"{path}: not a valid gzip file ({error})") from error
    return parse_idx(raw, name=str(path))
