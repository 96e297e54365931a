"""``torchvision.datasets`` for minigen: MNIST, FashionMNIST, CIFAR10, FakeData and ImageFolder, same signatures.

    from minigen.vision import datasets, transforms
    train = datasets.MNIST("../data", train=True, download=True, transform=transforms.ToTensor())
    image, label = train[0]       # float32 (1, 28, 28) Tensor, int
    datasets.EmbeddedMNIST("../data", train=True)[0]    # (PIL image "L", int), offline

A facade over :mod:`minigen.data`: each class names a dataset of the registry
(:mod:`minigen.data.registry`: classes, sizes, files, mirrors) and loads it with
:func:`minigen.data.load_dataset`, so the files are checksum-verified downloads kept in torchvision's layout
under ``root`` (``root/MNIST/raw``, ``root/FashionMNIST/raw``; ``root`` itself for CIFAR-10, whose binary
archive minigen reads instead of the pickled one), or in minigen's cache when ``root`` is None. With
``download=False`` a missing file raises torchvision's one-line "Dataset not found. You can use download=True
to download it" (a RuntimeError).

``EmbeddedMNIST`` is MNIST's signature over the 5,000 digits shipped inside minigen (4,500 train, 500 test):
``root`` and ``download`` are accepted and unused. Without a transform a sample is ``(PIL.Image, int)`` as in
torchvision; ``.data``, ``.targets`` and ``.classes`` are torchvision's too (MNIST: uint8 Tensor (N, 28, 28) and
int64 Tensor; CIFAR10: uint8 ndarray (N, 32, 32, 3) and a list of ints).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from minigen import backend
from minigen.data.datasets import load_dataset
from minigen.data.registry import dataset_spec
from minigen.tensor import Tensor
from minigen.utils.data import Dataset
from minigen.vision.transforms import batched

__all__ = [
    "CIFAR10", "IMG_EXTENSIONS", "DatasetFolder", "EmbeddedMNIST", "FakeData", "FashionMNIST", "ImageFolder", "MNIST",
    "VisionDataset", "default_loader", "pil_loader",
]  # fmt: skip

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def _host(values: Any) -> np.ndarray:
    """A Tensor's, an array's or a list's values as a host NumPy array."""
    return backend.to_numpy(values.data if getattr(values, "_is_minigen_tensor", False) else np.asarray(values))


class VisionDataset(Dataset):
    """What every dataset here shares: ``root``, ``transform`` (on the image), ``target_transform`` (on the label)."""

    _repr_indent = 4

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        self.root = os.path.expanduser(root) if isinstance(root, str) else root
        self.transform, self.target_transform = transform, target_transform

    def _sample(self, image: Any, target: Any) -> tuple[Any, Any]:
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}".replace("\n", "\n" + " " * self._repr_indent))
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}")
        return "\n".join([f"Dataset {type(self).__name__}"] + [" " * self._repr_indent + line for line in lines])

    # The vectorised path of minigen.utils.data.DataLoader: whole batches by fancy indexing.
    def _pixels(self, indices: np.ndarray) -> np.ndarray | None:
        """The raw pixels of ``indices`` as (B, H, W, C) uint8, what the PIL images hold; None: no batch form."""
        return None

    def _labels(self, indices: np.ndarray) -> np.ndarray:
        return _host(self.targets)[indices].astype(np.int64)

    def _minigen_batch_fetcher(self) -> Callable[[list[int]], list[Tensor]] | None:
        """indices -> [images, labels] as ``default_collate`` would make them of the samples, or None when the
        transform has no batch form (see :func:`minigen.vision.transforms.batched`) or a target_transform is set."""
        run = batched(self.transform) if self.transform is not None else None
        if run is None or self.target_transform is not None or self._pixels(np.zeros(0, np.int64)) is None:
            return None

        def fetch(indices: list[int]) -> list[Tensor]:
            chosen = np.asarray(indices, dtype=np.int64)
            return [Tensor(run(self._pixels(chosen))), Tensor(self._labels(chosen))]

        return fetch


class _RegisteredDataset(VisionDataset):
    """A dataset of ``minigen.data``'s registry (its name in ``dataset``), with torchvision's arguments."""

    dataset: str

    def __init__(
        self,
        root: str | os.PathLike | None,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        spec = dataset_spec(self.dataset)
        self.classes = list(spec.classes)
        self._keep(*self._load(spec.name, "train" if train else "test", download))

    def _load(self, name: str, split: str, download: bool) -> tuple[np.ndarray, np.ndarray]:
        return load_dataset(name, split, root=self.root, download=download)

    def _keep(self, images: np.ndarray, labels: np.ndarray) -> None:
        """Store the split's (images, labels) as ``.data`` and ``.targets``, in torchvision's types."""
        raise NotImplementedError

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.classes)}


class MNIST(_RegisteredDataset):
    """MNIST digits: 60,000 train and 10,000 test images, 28 x 28 grey, downloaded once into ``root/MNIST/raw``.

    ``.data`` is a uint8 Tensor (N, 28, 28), ``.targets`` an int64 Tensor (N,); a sample is ``(image, label)``,
    the image a PIL image of mode "L" before ``transform``.
    """

    dataset = "mnist"  # its name in minigen.data's registry

    def _keep(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.data, self.targets = Tensor(images), Tensor(labels)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, dataset_spec(self.dataset).root_folder)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = Image.fromarray(_host(self.data)[index])  # (28, 28) uint8: mode "L"
        return self._sample(image, int(_host(self.targets)[index]))

    def __len__(self) -> int:
        return len(self.data)

    def _pixels(self, indices: np.ndarray) -> np.ndarray:
        return _host(self.data)[indices][..., None]

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (10 kinds of clothing), MNIST's format and sizes, in ``root/FashionMNIST/raw``."""

    dataset = "fashion-mnist"


class EmbeddedMNIST(MNIST):
    """MNIST's signature over the 5,000 digits shipped inside minigen (4,500 train, 500 test): no network, no files;
    ``root`` and ``download`` are accepted and unused."""

    dataset = "mnist-embedded"

    def _load(self, name: str, split: str, download: bool) -> tuple[np.ndarray, np.ndarray]:
        return load_dataset(name, split)

    @property
    def raw_folder(self) -> str:
        raise AttributeError("EmbeddedMNIST has no files: its digits ship inside minigen")


class CIFAR10(_RegisteredDataset):
    """CIFAR-10: 50,000 train and 10,000 test colour images, 32 x 32, 10 classes, from its binary archive in ``root``.

    ``.data`` is a uint8 ndarray (N, 32, 32, 3), ``.targets`` a list of ints, as in torchvision; a sample's image
    is a PIL image of mode "RGB" before ``transform``.
    """

    dataset = "cifar10"

    def _keep(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.data = np.ascontiguousarray(images.transpose(0, 2, 3, 1))  # (N, 3, H, W) as stored -> (N, H, W, 3)
        self.targets = labels.tolist()

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self._sample(Image.fromarray(self.data[index]), int(self.targets[index]))

    def __len__(self) -> int:
        return len(self.data)

    def _pixels(self, indices: np.ndarray) -> np.ndarray:
        return np.asarray(self.data)[indices]

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FakeData(VisionDataset):
    """``size`` random images of ``image_size`` (C, H, W), C in 1, 3, 4, and random labels below ``num_classes``.

    Sample i is the same on every call and in every run: it is drawn from a generator seeded with
    ``i + random_offset`` (torchvision does the same with torch's generator, so the pixels differ from its),
    and minigen's own random state is not touched. Pixels are uniform uint8; the image is a PIL image of
    mode "L", "RGB" or "RGBA".
    """

    _MODES = {1: "L", 3: "RGB", 4: "RGBA"}

    def __init__(
        self,
        size: int = 1000,
        image_size: tuple[int, int, int] = (3, 224, 224),
        num_classes: int = 10,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        random_offset: int = 0,
    ) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        image_size = tuple(image_size)
        if len(image_size) != 3 or image_size[0] not in self._MODES or min(image_size) <= 0:
            raise ValueError(f"FakeData: image_size {image_size} (expected (C, H, W) with C in 1, 3, 4 and H, W > 0)")
        if int(size) < 0 or int(num_classes) <= 0 or int(random_offset) < 0:
            raise ValueError(
                f"FakeData: size={size}, num_classes={num_classes}, random_offset={random_offset} "
                "(expected size >= 0, num_classes > 0, random_offset >= 0)"
            )
        self.size, self.num_classes, self.image_size = int(size), int(num_classes), image_size
        self.random_offset = int(random_offset)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not -self.size <= index < self.size:
            raise IndexError(f"{type(self).__name__} index {index} out of range for {self.size} images")
        rng = np.random.default_rng(index % self.size + self.random_offset)
        channels, height, width = self.image_size
        pixels = rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
        target = int(rng.integers(0, self.num_classes))
        return self._sample(Image.fromarray(pixels[..., 0] if channels == 1 else pixels), target)

    def __len__(self) -> int:
        return self.size


def pil_loader(path: str | os.PathLike) -> Image.Image:
    """The image at ``path`` as an "RGB" PIL image (torchvision's loader)."""
    with open(path, "rb") as file:
        image = Image.open(file)
        return image.convert("RGB")


default_loader = pil_loader


class DatasetFolder(VisionDataset):
    """Samples arranged ``root/<class>/**/<file>``: classes are the sorted sub-folders, a sample is
    ``(loader(path), class index)``; only files with ``extensions`` (or for which ``is_valid_file`` is true)."""

    def __init__(
        self,
        root: str | os.PathLike,
        loader: Callable[[str], Any],
        extensions: tuple[str, ...] | None = None,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> None:
        super().__init__(os.fspath(Path(root).expanduser()), transform=transform, target_transform=target_transform)
        if (extensions is None) == (is_valid_file is None):
            raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
        self.classes, self.class_to_idx = self.find_classes(self.root)
        valid = is_valid_file or (lambda path: path.lower().endswith(tuple(extensions)))
        self.samples = self.make_dataset(self.root, self.class_to_idx, valid, allow_empty, extensions)
        self.loader, self.extensions = loader, extensions
        self.targets = [target for _, target in self.samples]

    @staticmethod
    def find_classes(directory: str) -> tuple[list[str], dict[str, int]]:
        """(sorted class folder names, name -> index); FileNotFoundError when there are none."""
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"{directory}: no such folder (expected root/<class>/<image> files)")
        classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
        if not classes:
            raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
        return classes, {name: index for index, name in enumerate(classes)}

    @staticmethod
    def make_dataset(
        directory: str,
        class_to_idx: dict[str, int],
        is_valid_file: Callable[[str], bool],
        allow_empty: bool = False,
        extensions: tuple[str, ...] | None = None,
    ) -> list[tuple[str, int]]:
        """[(path, class index)], class by class, files in sorted order within each folder (os.walk)."""
        samples, empty = [], []
        for name in sorted(class_to_idx):
            folder = os.path.join(directory, name)
            found = [
                (os.path.join(parent, file), class_to_idx[name])
                for parent, _, files in sorted(os.walk(folder, followlinks=True))
                for file in sorted(files)
                if is_valid_file(os.path.join(parent, file))
            ]
            samples += found
            if not found:
                empty.append(name)
        if empty and not allow_empty:
            supported = f" Supported extensions are: {', '.join(extensions)}" if extensions else ""
            raise FileNotFoundError(f"Found no valid file for the classes {', '.join(empty)}.{supported}")
        return samples

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        return self._sample(self.loader(path), target)

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images arranged ``root/<class>/<image>``: ``.classes`` (sorted folder names), ``.class_to_idx``,
    ``.samples`` / ``.imgs`` ([(path, class index)]) and ``.targets``; each image read with Pillow as "RGB"."""

    def __init__(
        self,
        root: str | os.PathLike,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        loader: Callable[[str], Any] = default_loader,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> None:
        super().__init__(
            root,
            loader,
            IMG_EXTENSIONS if is_valid_file is None else None,
            transform=transform,
            target_transform=target_transform,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )
        self.imgs = self.samples
