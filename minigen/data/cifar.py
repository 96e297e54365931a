"""Read CIFAR-10 from its *binary* archive, ``cifar-10-binary.tar.gz``.

The binary version is used so that nothing is unpickled (the "python version"
of CIFAR-10 stores pickles, and unpickling a downloaded file can run code).
The archive holds ``cifar-10-batches-bin/data_batch_1.bin`` ... ``_5.bin``
(training, 10,000 images each) and ``test_batch.bin``. Each is a run of
3,073-byte records::

    1 byte       the label, 0-9
    3,072 bytes  the image: 1,024 red, then 1,024 green, then 1,024 blue
                 values, each a 32x32 plane stored row by row

which is exactly an (N, 3, 32, 32) uint8 array after the label is cut off.
Only those six files are read from the archive; nothing is extracted to disk.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import numpy as np

__all__ = ["CIFAR10_CLASSES", "CIFAR10_MEMBERS", "CifarFormatError", "parse_cifar_records", "read_cifar10"]

RECORD_SIZE = 1 + 3 * 32 * 32
CIFAR10_MEMBERS = {
    "train": [f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6)],
    "test": ["cifar-10-batches-bin/test_batch.bin"],
}
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


class CifarFormatError(ValueError):
    """A CIFAR-10 binary archive is incomplete or a batch file is corrupt."""


def parse_cifar_records(raw: bytes, name: str = "<bytes>") -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 3, 32, 32), labels int64 (N,)) from the records in ``raw``."""
    if len(raw) == 0 or len(raw) % RECORD_SIZE != 0:
        raise CifarFormatError(f"{name}: {len(raw)} bytes is not a whole number of {RECORD_SIZE}-byte CIFAR-10 records")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD_SIZE)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise CifarFormatError(f"{name}: found label {labels.max()}; CIFAR-10 labels are 0-9")
    images = records[:, 1:].reshape(-1, 3, 32, 32).copy()
    return images, labels


def read_cifar10(archive: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 3, 32, 32), labels int64 (N,)) for ``split`` from the binary archive."""
    if split not in CIFAR10_MEMBERS:
        raise ValueError(f"unknown split {split!r}; expected one of {list(CIFAR10_MEMBERS)}")
    archive = Path(archive)
    wanted = CIFAR10_MEMBERS[split]
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:  # one pass in archive order: no re-reading of the gzip stream
                if member.name in wanted and member.isfile():
                    found[member.name] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise CifarFormatError(f"{archive}: not a readable .tar.gz archive ({error})") from error
    missing = [name for name in wanted if name not in found]
    if missing:
        raise CifarFormatError(f"{archive}: missing {missing}; is it cifar-10-binary.tar.gz?")
    parts = [parse_cifar_records(found[name], name=f"{archive}:{name}") for name in wanted]
    images = np.concatenate([images for images, _ in parts])
    labels = np.concatenate([labels for _, labels in parts])
    return images, labels
