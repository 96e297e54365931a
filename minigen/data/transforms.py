"""Small, composable transforms on a *batch* of NumPy images.

Each transform is a callable ``batch -> batch`` on host (NumPy) arrays whose
first axis is the batch: (N, H, W) or (N, C, H, W). Chain them with
:class:`Compose`::

    to_gan_input = Compose([Pad(2), Scale(-1.0, 1.0)])      # (N, 28, 28) uint8 -> (N, 32, 32) in [-1, 1]
    to_mlp_input = Compose([Scale(0.0, 1.0), Flatten()])    # (N, 28, 28) uint8 -> (N, 784) in [0, 1]

Pad before scaling, so the added border takes the background's value (0)
whatever range the pixels are scaled to afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["Compose", "Flatten", "Pad", "Scale", "Transform"]

Transform = Callable[[np.ndarray], np.ndarray]


class Compose:
    """Apply ``transforms`` one after the other, first to last."""

    def __init__(self, transforms: Sequence[Transform]):
        self.transforms = list(transforms)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        for transform in self.transforms:
            batch = transform(batch)
        return batch

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


class Scale:
    """Map uint8 pixels 0..255 linearly onto [low, high] as float32.

    ``Scale(0, 1)`` gives x / 255; ``Scale(-1, 1)`` gives x / 127.5 - 1, the range of
    a tanh output layer, which is what a GAN generator usually produces.
    """

    def __init__(self, low: float = 0.0, high: float = 1.0, max_value: float = 255.0):
        if not high > low:
            raise ValueError(f"Scale needs high > low, got low={low}, high={high}")
        self.low, self.high, self.max_value = low, high, max_value

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        unit = batch.astype(np.float32) / np.float32(self.max_value)  # in [0, 1]
        return unit * np.float32(self.high - self.low) + np.float32(self.low)

    def __repr__(self) -> str:
        return f"Scale(low={self.low}, high={self.high})"


class Pad:
    """Add ``width`` pixels of ``value`` on every side of each image (the last two axes).

    ``Pad(2)`` turns 28 x 28 MNIST digits into 32 x 32 images, a size that halves
    cleanly four times (32, 16, 8, 4, 2), as strided convolutions like.
    """

    def __init__(self, width: int = 2, value: float = 0):
        if width < 0:
            raise ValueError(f"Pad width must be >= 0, got {width}")
        self.width, self.value = width, value

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if batch.ndim < 3:
            raise ValueError(f"Pad expects a batch of images (N, H, W) or (N, C, H, W), got shape {batch.shape}")
        pad_widths = [(0, 0)] * (batch.ndim - 2) + [(self.width, self.width)] * 2
        return np.pad(batch, pad_widths, mode="constant", constant_values=self.value)

    def __repr__(self) -> str:
        return f"Pad(width={self.width}, value={self.value})"


class Flatten:
    """(N, ...) -> (N, features): one row per image, for fully connected networks."""

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return batch.reshape(len(batch), -1)

    def __repr__(self) -> str:
        return "Flatten()"
