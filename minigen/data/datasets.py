"""``load_dataset(name, split)``: image datasets as plain NumPy arrays.

    images, labels = load_dataset("mnist-embedded", split="train")
    images.shape, images.dtype    # (4500, 28, 28) uint8, values 0..255
    labels.shape, labels.dtype    # (4500,) int64, values 0..9

==================  ==============  ===================  ========================
name                images          train / test size    where it comes from
==================  ==============  ===================  ========================
"mnist-embedded"    N x 28 x 28     4,500 / 500          shipped inside minigen
"mnist"             N x 28 x 28     60,000 / 10,000      downloaded on first use
"fashion-mnist"     N x 28 x 28     60,000 / 10,000      downloaded on first use
"cifar10"           N x 3 x 32 x 32 50,000 / 10,000      downloaded on first use
==================  ==============  ===================  ========================

Each dataset is declared once, in :mod:`minigen.data.registry` (shape, sizes, class
names, files, mirrors and checksums); this module holds the readers. Downloads are
cached (see :mod:`minigen.data.download`): in ``$MINIGEN_DATA`` (default
``~/.cache/minigen``), or under ``root`` when one is given (torchvision's layout:
``root/MNIST/raw``, ``root/FashionMNIST/raw``, ``root`` itself for CIFAR-10).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np

from .cifar import read_cifar10
from .download import fetch
from .idx import read_idx
from .registry import DATASET_NAMES, SOURCES, SPLITS, DatasetSpec, class_names, dataset_spec

__all__ = ["DATASET_NAMES", "SPLITS", "class_names", "load_dataset", "load_embedded_mnist"]

EMBEDDED_FILE = "mnist_embedded.npz"
EMBEDDED_TRAIN_SIZE = dataset_spec("mnist-embedded").sizes["train"]


def load_embedded_mnist() -> tuple[np.ndarray, np.ndarray]:
    """All 5,000 embedded MNIST digits: (images uint8 (5000, 28, 28), labels int64 (5000,)).

    The first 4,500 are the train split, the last 500 the test split; see
    ``MNIST_EMBEDDED_LICENSE.md`` next to this file for their origin and licence.
    """
    with resources.files(__package__).joinpath(EMBEDDED_FILE).open("rb") as file, np.load(file) as arrays:
        return arrays["images"], arrays["labels"].astype(np.int64)


def _fetch_all(spec: DatasetSpec, split: str, root: str | os.PathLike | None, download: bool) -> list[Path]:
    """Verified local copies of the files ``split`` of ``spec`` needs (see :func:`minigen.data.download.fetch`)."""
    source = SOURCES[spec.name]
    folder = None if root is None else Path(root).expanduser() / spec.root_folder
    return [
        fetch(name, source.checksums[name], source.mirrors, subdir=source.subdir, folder=folder, download=download)
        for name in spec.files[split]
    ]


def _read_idx_pair(paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """MNIST or Fashion-MNIST: parse a split's image and label IDX files."""
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"{paths[0]} and {paths[1]}: expected images (N, H, W) and labels (N,), "
            f"got shapes {images.shape} and {labels.shape}"
        )
    return images.astype(np.uint8, copy=False), labels.astype(np.int64)


def load_dataset(
    name: str, split: str = "train", *, root: str | os.PathLike | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of dataset ``name``'s ``split`` ("train" or "test").

    images: uint8, (N, H, W) for grey-scale sets, (N, C, H, W) for colour ones.
    labels: int64, (N,), class indices (see :func:`class_names`).
    root:   keep downloads under this folder (torchvision's layout) instead of minigen's cache.
    download: False: a missing file raises :class:`~minigen.data.download.DatasetNotFoundError`.
    """
    spec = dataset_spec(name)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for dataset {name!r}; expected one of {list(SPLITS)}")
    if spec.reader == "embedded":
        images, labels = load_embedded_mnist()
        part = slice(None, EMBEDDED_TRAIN_SIZE) if split == "train" else slice(EMBEDDED_TRAIN_SIZE, None)
        return images[part], labels[part]
    paths = _fetch_all(spec, split, root, download)
    if spec.reader == "cifar10-binary":
        return read_cifar10(paths[0], split)
    if spec.reader == "idx":
        return _read_idx_pair(paths)
    raise ValueError(f"dataset {name!r}: no reader for format {spec.reader!r} (expected embedded, idx, cifar10-binary)")
