"""The one place a dataset is declared: ``DATASETS[name]`` -> :class:`DatasetSpec`.

Everything else reads from here: :func:`minigen.data.load_dataset` (which reader, which files),
``minigen.data.sources.SOURCES`` (mirrors and checksums), the trainer's image shapes, the CLI's
``--dataset`` choices, and ``minigen.vision.datasets`` (torchvision's class names and folders).
To add a dataset, add an entry here (and a reader in :mod:`minigen.data.datasets` if its format is new).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .cifar import CIFAR10_CLASSES

__all__ = [
    "DATASETS", "DATASET_NAMES", "DEFAULT_DATASET", "SOURCES", "SPLITS", "DatasetSpec", "Source", "class_names",
    "dataset_spec",
]  # fmt: skip

SPLITS = ("train", "test")


@dataclass
class Source:
    """The files of one downloadable dataset.

    subdir:    the folder for its files inside the cache (``minigen.data.download.data_dir()``).
    mirrors:   base URLs, tried in order; a file's URL is ``mirror/filename``.
    checksums: file name -> ``"md5:<hex>"`` or ``"sha256:<hex>"``.
    """

    subdir: str
    mirrors: list[str]
    checksums: dict[str, str]


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: what its images are and where they come from.

    name:        the name ``load_dataset`` and ``minigen train --dataset`` take.
    shape:       (C, H, W) of one image as stored (grey sets are stored (N, H, W), so C = 1).
    sizes:       split -> number of images.
    classes:     label -> class name (torchvision's names).
    reader:      the file format ``load_dataset`` reads: "embedded", "idx" or "cifar10-binary".
    files:       split -> the files that split needs (downloaded ones are in ``source``).
    source:      mirrors and checksums, or None for data shipped inside minigen.
    root_folder: where the files go under a torchvision-style ``root`` (``MNIST(root)`` -> root/MNIST/raw).
    summary:     a few words for help texts.
    """

    name: str
    shape: tuple[int, int, int]
    sizes: dict[str, int]
    classes: tuple[str, ...]
    reader: str
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: Source | None = None
    root_folder: str = ""
    summary: str = ""

    @property
    def downloaded(self) -> bool:
        """True when the data comes from mirrors (and is cached), False when it ships with minigen."""
        return self.source is not None


def _idx_files() -> dict[str, tuple[str, ...]]:
    return {
        split: (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz")
        for split, prefix in (("train", "train"), ("test", "t10k"))
    }


_DIGITS = ("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
           "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine")  # fmt: skip

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="mnist-embedded",
            shape=(1, 28, 28),
            sizes={"train": 4500, "test": 500},
            classes=_DIGITS,
            reader="embedded",
            files={"train": ("mnist_embedded.npz",), "test": ("mnist_embedded.npz",)},
            summary="5,000 MNIST digits shipped inside minigen (offline)",
        ),
        DatasetSpec(
            name="mnist",
            shape=(1, 28, 28),
            sizes={"train": 60000, "test": 10000},
            classes=_DIGITS,
            reader="idx",
            files=_idx_files(),
            source=Source(
                subdir="mnist",
                mirrors=[
                    "https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/",
                ],
                checksums={
                    "train-images-idx3-ubyte.gz": "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
                    "train-labels-idx1-ubyte.gz": "md5:d53e105ee54ea40749a09fcbcd1e9432",
                    "t10k-images-idx3-ubyte.gz": "md5:9fb629c4189551a2d022fa330f9573f3",
                    "t10k-labels-idx1-ubyte.gz": "md5:ec29112dd5afa0611ce80d1b7f02629c",
                },
            ),
            root_folder="MNIST/raw",
            summary="MNIST digits, downloaded once",
        ),
        DatasetSpec(
            name="fashion-mnist",
            shape=(1, 28, 28),
            sizes={"train": 60000, "test": 10000},
            classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),  # fmt: skip
            reader="idx",
            files=_idx_files(),
            source=Source(
                subdir="fashion-mnist",
                mirrors=[
                    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                ],
                checksums={
                    "train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                    "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
                    "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
                    "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
                },
            ),
            root_folder="FashionMNIST/raw",
            summary="Zalando's clothing images, downloaded once",
        ),
        DatasetSpec(
            name="cifar10",
            shape=(3, 32, 32),
            sizes={"train": 50000, "test": 10000},
            classes=tuple(CIFAR10_CLASSES),
            reader="cifar10-binary",
            files={"train": ("cifar-10-binary.tar.gz",), "test": ("cifar-10-binary.tar.gz",)},
            source=Source(
                subdir="cifar10",
                mirrors=["https://www.cs.toronto.edu/~kriz/"],
                checksums={"cifar-10-binary.tar.gz": "md5:c32a1d4ab5d03f1284b67883e8d87530"},
            ),
            root_folder="",
            summary="32x32 colour photos in 10 classes, downloaded once",
        ),
    )
}
DATASET_NAMES = tuple(DATASETS)
DEFAULT_DATASET = "mnist-embedded"

# name -> Source of every downloaded dataset: the mirrors actually used. Replace an entry to use
# your own mirror (the tests point one at a web server on 127.0.0.1); see minigen.data.sources.
SOURCES: dict[str, Source] = {name: spec.source for name, spec in DATASETS.items() if spec.source is not None}


def dataset_spec(name: str) -> DatasetSpec:
    """The declaration of dataset ``name``; a ValueError listing the known names otherwise."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {list(DATASET_NAMES)}")
    return DATASETS[name]


def class_names(name: str) -> list[str]:
    """The label names of dataset ``name``: ``class_names(name)[label]``."""
    return list(dataset_spec(name).classes)
