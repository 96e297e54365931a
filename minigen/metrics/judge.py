"""The judge: a small CNN digit classifier, trained by minigen, that reads generated images.

    Conv(1 -> 32, 3) + ReLU + MaxPool 2  ->  Conv(32 -> 64, 3) + ReLU + MaxPool 2  ->  Linear(1600 -> 128) + ReLU
    -> Dropout 0.25 -> Linear(128 -> 10)

on 28x28 images with pixels in [0, 1]. For a conditional model, :func:`class_accuracy` is the
share of images drawn for label k that the judge classifies as k, per class and overall: a
measure of how well the model obeys its label (not of how good the images are).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigen import backend, nn, optim
from minigen.data.loader import DataLoader
from minigen.nn import functional as F
from minigen.random import manual_seed
from minigen.tensor import Tensor, no_grad

__all__ = ["Judge", "class_accuracy", "judge_predictions", "train_judge"]


class Judge(nn.Module):
    """Logits (N, classes) for images (N, 1, 28, 28), (N, 28, 28) or (N, 784) in [0, 1]."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, classes),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.reshape(x.shape[0], 1, 28, 28))


def train_judge(images: Any, labels: Any, epochs: int = 6, batch_size: int = 64, lr: float = 1e-3,
                seed: int = 0) -> Judge:  # fmt: skip
    """A :class:`Judge` trained with Adam on ``images`` (N, 28, 28) uint8 or in [0, 1] and integer ``labels``."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255
    manual_seed(seed)
    judge = Judge(int(np.max(labels)) + 1)
    optimizer = optim.Adam(judge.parameters(), lr=lr)
    loader = DataLoader(images.astype(np.float32), np.asarray(labels), batch_size, shuffle=True, seed=seed)
    for _ in range(epochs):
        for x, y in loader:
            loss = F.cross_entropy(judge(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return judge.eval()


def judge_predictions(judge: Judge, images: Any, batch_size: int = 500) -> np.ndarray:
    """The judge's class for each image (N, 28, 28), (N, 1, 28, 28) or (N, 784), pixels in [0, 1] or uint8 0-255."""
    images = _pixels(images)
    judge.eval()
    with no_grad():
        blocks = [judge(Tensor(images[start : start + batch_size])).argmax(dim=1).numpy()
                  for start in range(0, len(images), batch_size)]  # fmt: skip
    return np.concatenate(blocks)


def class_accuracy(judge: Judge, images: Any, labels: Any) -> tuple[float, np.ndarray]:
    """(overall, per class): the share of ``images`` the judge puts in the class of their ``labels``."""
    labels = backend.to_numpy(labels.data) if isinstance(labels, Tensor) else np.asarray(labels)
    classes = judge.net[-1].out_features
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(images) or len(labels) == 0:
        raise ValueError(f"class_accuracy: labels of shape {labels.shape} and dtype {labels.dtype} for "
                         f"{len(images)} images (expected one integer label per image)")  # fmt: skip
    if labels.min() < 0 or labels.max() >= classes:
        low, high = labels.min(), labels.max()
        raise ValueError(f"class_accuracy: labels from {low} to {high}, expected each in [0, {classes})")
    hits = judge_predictions(judge, images) == labels
    with np.errstate(invalid="ignore", divide="ignore"):  # a class never asked for: NaN
        per_class = np.bincount(labels, weights=hits, minlength=classes) / np.bincount(labels, minlength=classes)
    return float(hits.mean()), per_class


def _pixels(images: Any) -> Any:
    """``images`` as float32 pixels in [0, 1] on their device (uint8 scaled by 1/255); anything else is an error."""
    data = images.data if isinstance(images, Tensor) else np.asarray(images)
    if data.dtype == np.uint8:
        return data.astype(np.float32) / 255
    if data.dtype.kind != "f" or data.ndim < 2 or data.shape[0] == 0 or int(np.prod(data.shape[1:])) != 28 * 28:
        raise ValueError(f"judge: images of shape {tuple(data.shape)} and dtype {data.dtype} "
                         "(expected N >= 1 images of 28x28 pixels, floats in [0, 1] or uint8)")  # fmt: skip
    low, high = float(data.min()), float(data.max())
    if low < -1e-3 or high > 1 + 1e-3:
        raise ValueError(f"judge: pixels from {low:.3g} to {high:.3g}, expected [0, 1] (map a GAN's [-1, 1] "
                         "samples with (x + 1) / 2)")  # fmt: skip
    return data.astype(np.float32, copy=False)
