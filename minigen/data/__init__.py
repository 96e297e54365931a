"""Datasets and mini-batches for minigen, a file per idea.

- :mod:`~minigen.data.datasets`   ``load_dataset(name, split)`` -> (uint8 images, int64 labels)
- :mod:`~minigen.data.loader`     ``DataLoader``: shuffled, resumable batches of minigen tensors
- :mod:`~minigen.data.transforms` ``Compose``, ``Scale``, ``Pad``, ``Flatten`` on NumPy batches
- :mod:`~minigen.data.download`   fetch-once cache with checksums and mirrors
- :mod:`~minigen.data.sources`    the mirrors and published checksums of each dataset
- :mod:`~minigen.data.idx`        the IDX format of MNIST and Fashion-MNIST
- :mod:`~minigen.data.cifar`      CIFAR-10's binary format

Quick start (offline, with the 5,000 MNIST digits shipped inside minigen)::

    from minigen.data import DataLoader, Compose, Pad, Scale, load_dataset

    images, labels = load_dataset("mnist-embedded", split="train")
    loader = DataLoader(images, labels, batch_size=64, seed=0,
                        transform=Compose([Pad(2), Scale(-1, 1)]))
    for x, y in loader:  # x: float32 (64, 32, 32) in [-1, 1]; y: int64 (64,)
        ...
"""

from .cifar import CifarFormatError
from .datasets import DATASET_NAMES, class_names, load_dataset, load_embedded_mnist
from .download import DownloadError, data_dir
from .idx import IdxFormatError, read_idx
from .loader import DataLoader
from .transforms import Compose, Flatten, Pad, Scale

__all__ = [
    "DATASET_NAMES",
    "CifarFormatError",
    "Compose",
    "DataLoader",
    "DownloadError",
    "Flatten",
    "IdxFormatError",
    "Pad",
    "Scale",
    "class_names",
    "data_dir",
    "load_dataset",
    "load_embedded_mnist",
    "read_idx",
]
