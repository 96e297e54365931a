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

Downloads are cached (see :mod:`minigen.data.download`); their mirrors and
checksums live in :mod:`minigen.data.sources`.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from .cifar import CIFAR10_CLASSES, read_cifar10
from .download import fetch
from .idx import read_idx
from .sources import SOURCES

__all__ = ["DATASET_NAMES", "SPLITS", "class_names", "load_dataset", "load_embedded_mnist"]

SPLITS = ("train", "test")
EMBEDDED_FILE = "mnist_embedded.npz"
EMBEDDED_TRAIN_SIZE = 4500

_CLASS_NAMES = {
    "mnist-embedded": [str(digit) for digit in range(10)],
    "mnist": [str(digit) for digit in range(10)],
    "fashion-mnist": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
    "cifar10": CIFAR10_CLASSES,
}
DATASET_NAMES = tuple(_CLASS_NAMES)


def _check_name(name: str) -> None:
    if name not in _CLASS_NAMES:
        raise ValueError(f"unknown dataset {name!r}; expected one of {list(DATASET_NAMES)}")


def class_names(name: str) -> list[str]:
    """The label names of dataset ``name``: ``class_names(name)[label]``."""
    _check_name(name)
    return list(_CLASS_NAMES[name])


def load_embedded_mnist() -> tuple[np.ndarray, np.ndarray]:
    """All 5,000 embedded MNIST digits: (images uint8 (5000, 28, 28), labels int64 (5000,)).

    The first 4,500 are the train split, the last 500 the test split; see
    ``MNIST_EMBEDDED_LICENSE.md`` next to this file for their origin and licence.
    """
    with resources.files(__package__).joinpath(EMBEDDED_FILE).open("rb") as file, np.load(file) as arrays:
        return arrays["images"], arrays["labels"].astype(np.int64)


def _load_idx_pair(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST or Fashion-MNIST: fetch and parse the split's image and label IDX files."""
    source = SOURCES[name]
    prefix = "train" if split == "train" else "t10k"
    paths = [
        fetch(filename, source.checksums[filename], source.mirrors, subdir=source.subdir)
        for filename in (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz")
    ]
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"{paths[0]} and {paths[1]}: expected images (N, H, W) and labels (N,), "
            f"got shapes {images.shape} and {labels.shape}"
        )
    return images.astype(np.uint8, copy=False), labels.astype(np.int64)


def _load_cifar10(split: str) -> tuple[np.ndarray, np.ndarray]:
    source = SOURCES["cifar10"]
    filename = "cifar-10-binary.tar.gz"
    archive = fetch(filename, source.checksums[filename], source.mirrors, subdir=source.subdir)
    return read_cifar10(archive, split)


def load_dataset(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of dataset ``name``'s ``split`` ("train" or "test").

    images: uint8, (N, H, W) for grey-scale sets, (N, C, H, W) for colour ones.
    labels: int64, (N,), class indices (see :func:`class_names`).
    """
    _check_name(name)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for dataset {name!r}; expected one of {list(SPLITS)}")
    if name == "mnist-embedded":
        images, labels = load_embedded_mnist()
        part = slice(None, EMBEDDED_TRAIN_SIZE) if split == "train" else slice(EMBEDDED_TRAIN_SIZE, None)
        return images[part], labels[part]
    if name == "cifar10":
        return _load_cifar10(split)
    return _load_idx_pair(name, split)
