"""The judge: a small CNN classifier, trained by minigen, that reads generated images.

    [Conv 3x3 + BatchNorm + ReLU] x 2 (32)  -> MaxPool 2 -> [Conv 3x3 + BatchNorm + ReLU] x 2 (64) -> MaxPool 2
    -> Conv 3x3 (128, no padding) + BatchNorm + ReLU -> global average pool = the 128 features -> Dropout -> Linear

on images (C, H, W) with pixels in [0, 1]. Its class probabilities feed the judge score and the class
coverage, its 128 features the Fréchet distance and precision/recall (:mod:`.scores`). MNIST's judge
ships with minigen (``judge_mnist.npz``, trained by ``scripts/train_judge.py``); for another dataset
:func:`load_judge` trains one on first use and caches it. For a conditional model :func:`class_accuracy`
is the share of images drawn for label k that the judge puts in class k.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from minigen import backend, nn, optim, serialization
from minigen.data.loader import DataLoader
from minigen.nn import functional as F
from minigen.random import fork_rng, manual_seed
from minigen.tensor import Tensor, no_grad

__all__ = ["SHIPPED", "Judge", "class_accuracy", "judge_outputs", "judge_predictions", "load_judge", "train_judge"]

SHIPPED = {"mnist-embedded": Path(__file__).with_name("judge_mnist.npz")}  # datasets whose judge ships
SHIPPED["mnist"] = SHIPPED["mnist-embedded"]  # the same digits: the embedded set is 5,000 of MNIST's


def _block(channels_in: int, channels_out: int, padding: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(channels_in, channels_out, 3, padding=padding, bias=False), nn.BatchNorm2d(channels_out),
            nn.ReLU()]  # fmt: skip


class Judge(nn.Module):
    """Logits (N, classes) for images (N, C, H, W) in [0, 1]; :meth:`features` gives the (N, 128) before them."""

    def __init__(self, classes: int = 10, image_shape: tuple[int, int, int] = (1, 28, 28)) -> None:
        super().__init__()
        channels, height, width = self.image_shape = tuple(image_shape)
        if height != width or height < 16:
            raise ValueError(f"Judge: image_shape {image_shape} (expected square images of 16 pixels or more)")
        pooled = (height // 2 // 2) - 2  # after two 2x2 poolings and the last unpadded 3x3 convolution
        self.body = nn.Sequential(
            *_block(channels, 32), *_block(32, 32), nn.MaxPool2d(2),
            *_block(32, 64), *_block(64, 64), nn.MaxPool2d(2),
            *_block(64, 128, padding=0), nn.AvgPool2d(pooled), nn.Flatten(),
        )  # fmt: skip
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(128, classes))
        self.classes = classes

    def features(self, x: Tensor) -> Tensor:
        """The (N, 128) globally pooled features of images ``x``, the penultimate layer."""
        return self.body(x.reshape(x.shape[0], *self.image_shape))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))

    def extra_repr(self) -> str:
        return f"classes={self.classes}, image_shape={self.image_shape}"

    def save(self, path: str | Path, **facts: Any) -> None:
        """Write the weights, the shape and ``facts`` (e.g. its test accuracy) to ``path`` (atomically)."""
        serialization.save({"format": "minigen-judge", "classes": self.classes, "image_shape": list(self.image_shape),
                            "facts": facts, "model": self.state_dict()}, path)  # fmt: skip

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> tuple[Judge, dict[str, Any]]:
        """(the judge saved at ``path``, in eval mode, its facts); a one-line ValueError naming the file otherwise."""
        try:
            state = serialization.load(path)
            if not isinstance(state, dict) or state.get("format") != "minigen-judge":
                raise ValueError("not a minigen judge file")
            classes, shape = int(state["classes"]), tuple(int(size) for size in state["image_shape"])
            if not (2 <= classes <= 1000 and len(shape) == 3 and shape[0] in (1, 3) and shape[1] <= 256):
                raise ValueError(f"classes {classes} and image_shape {shape} out of range")
            with fork_rng():  # building draws initial weights: leave the caller's generator where it was
                judge = cls(classes, shape)
            judge.load_state_dict(state["model"])
            facts = dict(state.get("facts", {}))
        except (OSError, KeyError, RuntimeError, TypeError, ValueError) as error:
            reason = " ".join(str(error).split())[:200] or type(error).__name__
            hint = "delete a cached judge to train it again"
            raise ValueError(f"judge: {path} (cannot read it: {reason}; {hint})") from None
        return judge.to(device).eval(), facts


def jitter(images: Any, rng: np.random.Generator, degrees: float = 12, shift: float = 2.5, scale: float = 0.1,
           nuisance: bool = True) -> Any:  # fmt: skip
    """Each image (N, C, H, W) rotated, scaled and shifted at random, bilinear, zero outside: augmentation.

    The output pixel at p samples the input at A^-1 (p - c - t) + c (c the centre, t the shift), all images
    at once by gathering the four neighbours of every sampling point. ``nuisance`` then adds, at random
    strengths, what generated digits often have and real ones rarely do: blur, faint strokes and speckles,
    so that the judge reads the digit and not the artefact.
    """
    xp = backend.get_array_module(images)
    n, _, height, width = images.shape
    angle = np.deg2rad(rng.uniform(-degrees, degrees, n))
    zoom, move = rng.uniform(1 - scale, 1 + scale, n), rng.uniform(-shift, shift, (n, 2))
    cos, sin = (xp.asarray(f(angle) / zoom)[:, None, None] for f in (np.cos, np.sin))
    dy, dx = (xp.asarray(move[:, i])[:, None, None] for i in (0, 1))
    ys, xs = xp.meshgrid(xp.arange(height) - (height - 1) / 2, xp.arange(width) - (width - 1) / 2, indexing="ij")
    sy = cos * (ys - dy) - sin * (xs - dx) + (height - 1) / 2
    sx = sin * (ys - dy) + cos * (xs - dx) + (width - 1) / 2
    y0, x0 = xp.floor(sy).astype(xp.int64), xp.floor(sx).astype(xp.int64)
    fy, fx = (sy - y0)[:, None], (sx - x0)[:, None]
    padded = xp.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)))  # index -1 and H read the zero border
    batch = xp.arange(n)[:, None, None]

    def at(y: Any, x: Any) -> Any:  # (N, C, H, W): each image's pixels at its own (y, x) grid
        return padded[batch, :, xp.clip(y + 1, 0, height + 1), xp.clip(x + 1, 0, width + 1)].transpose(0, 3, 1, 2)

    top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx
    bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx
    warped = top * (1 - fy) + bottom * fy
    if nuisance:
        warped = _nuisance(warped, rng)
    return warped.astype(images.dtype)


def _nuisance(images: Any, rng: np.random.Generator) -> Any:
    """Blur (a random mix with the 3x3 box average), a gain in [0.5, 1], and up to 8% of pixels set at random."""
    xp = backend.get_array_module(images)
    n, _, height, width = images.shape
    padded = xp.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)))
    box = sum(padded[:, :, i : i + height, j : j + width] for i in range(3) for j in range(3)) / 9

    def per_image(low: float, high: float) -> Any:
        return xp.asarray(rng.uniform(low, high, (n, 1, 1, 1)), dtype=images.dtype)

    blur, gain = per_image(0, 1), per_image(0.5, 1)
    rate = rng.uniform(0, 0.08, (n, 1, 1, 1)).astype(images.dtype)  # compared on the host with the host's draws
    images = ((1 - blur) * images + blur * box) * gain
    speckled = xp.asarray(rng.random(images.shape) < rate)
    return xp.where(speckled, xp.asarray(rng.random(images.shape), dtype=images.dtype), images)


def train_judge(images: Any, labels: Any, epochs: int = 15, batch_size: int = 64, lr: float = 1e-3, seed: int = 0,
                clean_epochs: int = 0, device: str = "cpu", progress: bool = False) -> Judge:  # fmt: skip
    """A :class:`Judge` trained on ``images`` (N, H, W) or (N, C, H, W), uint8 or in [0, 1], and integer ``labels``.

    Adam with a cosine-decaying learning rate, on images jittered afresh each epoch (:func:`jitter`) but in
    the last ``clean_epochs``, which see them as they are (so the judge grows confident on clean images).
    """
    from tqdm.auto import tqdm

    images = backend.to_numpy(_pixels(images, None))
    images = images[:, None] if images.ndim == 3 else images
    labels = backend.to_numpy(labels.data if isinstance(labels, Tensor) else labels).astype(np.int64)
    with fork_rng():  # the caller's generators (a training run's) go on as if nothing was drawn
        manual_seed(seed)
        rng = np.random.default_rng(seed)
        judge = Judge(int(labels.max()) + 1, images.shape[1:]).to(device)
        optimizer = optim.Adam(judge.parameters(), lr=lr)
        loader = DataLoader(images, labels, batch_size, shuffle=True, seed=seed, device=device)
        for epoch in tqdm(range(epochs), desc="training the judge", unit="epoch", disable=not progress):
            for group in optimizer.param_groups:
                group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * epoch / epochs))
            for x, y in loader:
                x = x if epoch >= epochs - clean_epochs else Tensor(jitter(x.data, rng))
                loss = F.cross_entropy(judge(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return judge.eval()


def load_judge(dataset: str, device: str = "cpu", progress: bool = False) -> tuple[Judge, dict[str, Any]]:
    """(the judge of ``dataset``, its facts): the shipped one for MNIST, else one cached in the data folder,
    trained on the dataset's training split on first use (which needs the dataset)."""
    from minigen.data import data_dir, load_dataset
    from minigen.data.registry import dataset_spec

    spec = dataset_spec(dataset)  # a ValueError naming the datasets for an unknown name
    path = SHIPPED.get(dataset, data_dir() / "judges" / f"{dataset}.npz")
    if not path.is_file():
        images, labels = load_dataset(dataset, "train")
        judge = train_judge(images, labels, device=device, progress=progress)
        test_images, test_labels = load_dataset(dataset, "test")
        accuracy, _ = class_accuracy(judge, test_images, test_labels)
        path.parent.mkdir(parents=True, exist_ok=True)
        judge.save(path, dataset=dataset, test_accuracy=accuracy, image_shape=list(spec.shape))
    return Judge.load(path, device)


def judge_outputs(judge: Judge, images: Any, batch_size: int = 500) -> tuple[Any, Any]:
    """(class probabilities (N, classes), features (N, 128)) of ``images`` in [0, 1] or uint8, on the judge's
    device."""
    if not isinstance(judge, Judge):
        raise ValueError(f"judge: {type(judge).__name__} (expected a minigen.metrics.Judge)")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: {batch_size!r} (expected an int >= 1)")
    images = backend.to_device(_pixels(images, judge.image_shape), next(iter(judge.parameters())).device)
    judge.eval()
    probs, features = [], []
    with no_grad():
        for start in range(0, len(images), batch_size):
            block = judge.features(Tensor(images[start : start + batch_size]))
            features.append(block.data)
            probs.append(judge.head(block).softmax(dim=1).data)
    xp = backend.get_array_module(probs[0])
    return xp.concatenate(probs), xp.concatenate(features)


def judge_predictions(judge: Judge, images: Any, batch_size: int = 500) -> np.ndarray:
    """The judge's class for each image (see :func:`judge_outputs`), as a NumPy array."""
    return backend.to_numpy(judge_outputs(judge, images, batch_size)[0].argmax(axis=1))


def class_accuracy(judge: Judge, images: Any, labels: Any) -> tuple[float, np.ndarray]:
    """(overall, per class): the share of ``images`` the judge puts in the class of their ``labels``."""
    labels = backend.to_numpy(labels.data if isinstance(labels, Tensor) else labels)
    classes = judge.classes
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(images) or len(labels) == 0:
        raise ValueError(f"class_accuracy: labels of shape {labels.shape} and dtype {labels.dtype} for "
                         f"{len(images)} images (expected one integer label per image)")  # fmt: skip
    if labels.min() < 0 or labels.max() >= classes:
        low, high = labels.min(), labels.max()
        raise ValueError(f"class_accuracy: labels from {low} to {high}, expected each in [0, {classes})")
    labels = labels.astype(np.int64)
    hits = judge_predictions(judge, images) == labels
    with np.errstate(invalid="ignore", divide="ignore"):  # a class never asked for: NaN
        per_class = np.bincount(labels, weights=hits, minlength=classes) / np.bincount(labels, minlength=classes)
    return float(hits.mean()), per_class


def _pixels(images: Any, shape: tuple[int, ...] | None) -> Any:
    """``images`` as float32 pixels in [0, 1] on their device (uint8 scaled by 1/255), reshaped to (N, *shape)
    when ``shape`` is given; anything else is a ValueError."""
    data = images.data if isinstance(images, Tensor) else images
    data = data if backend.device_of(data) is not None else np.asarray(data)
    expected = "" if shape is None else f" of {'x'.join(map(str, shape))} pixels"
    size_fits = shape is None or (data.ndim >= 2 and int(np.prod(data.shape[1:])) == int(np.prod(shape)))
    if data.dtype.kind not in "fu" or (data.dtype.kind == "u" and data.dtype != np.uint8) or data.ndim < 2 \
            or data.shape[0] == 0 or not size_fits:  # fmt: skip
        raise ValueError(f"judge: images of shape {tuple(data.shape)} and dtype {data.dtype} "
                         f"(expected N >= 1 images{expected}, floats in [0, 1] or uint8)")  # fmt: skip
    if data.dtype == np.uint8:
        data = data.astype(np.float32) / 255
    low, high = float(data.min()), float(data.max())
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"judge: pixels from {low} to {high} (expected finite numbers in [0, 1]; did the model "
                         "diverge?)")  # fmt: skip
    if not (low >= -1e-3 and high <= 1 + 1e-3):
        raise ValueError(f"judge: pixels from {low:.3g} to {high:.3g}, expected [0, 1] (map a GAN's [-1, 1] "
                         "samples with (x + 1) / 2)")  # fmt: skip
    data = data.astype(np.float32, copy=False)
    return data if shape is None else data.reshape(len(data), *shape)
