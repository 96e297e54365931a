"""Scenes with a known answer, made from the shipped photographs, for tests, benchmarks, lessons and demos.

``matting_scene`` composites Chelsea the cat's fur over the coffee photograph through an alpha the code draws
(a soft-edged ellipse with thin hair-like strands of partial alpha), I = alpha F + (1 - alpha) B, and gives the
trimap a user would draw: the alpha eroded and dilated by ``band`` pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

from minigen.imaging.io import sample_image

__all__ = ["MattingScene", "matting_scene"]


@dataclass
class MattingScene:
    """A composite and its parts, float32 NumPy arrays: image (H, W, 3), alpha (H, W), foreground and background
    (H, W, 3), trimap (H, W) with 0 background, 1 foreground and 0.5 unknown."""

    image: numpy.ndarray
    alpha: numpy.ndarray
    foreground: numpy.ndarray
    background: numpy.ndarray
    trimap: numpy.ndarray

    @property
    def unknown(self) -> numpy.ndarray:
        """The trimap's unknown pixels (a boolean mask): where a matting method is judged."""
        return (self.trimap > 0) & (self.trimap < 1)


def matting_scene(height: int = 330, width: int = 400, *, strands: int = 40, edge: float = 3.0, band: int = 6,
                  seed: int = 0) -> MattingScene:  # fmt: skip
    """A composite of known alpha, ``height`` x ``width``: the shipped "chelsea" over "coffee", each resized to
    cover the frame; an ellipse with an ``edge``-pixel soft border and ``strands`` curved strands about a pixel
    wide (opacity 0.3-0.8); the image rounded to 8 bits, as a photograph would be; the trimap from ``band``."""
    if min(height, width) < 16 or band < 1 or strands < 0 or not edge > 0:
        raise ValueError(f"matting_scene: size {height}x{width} (at least 16x16), band {band} (>= 1), strands "
                         f"{strands} (>= 0) and edge {edge} (> 0)")  # fmt: skip
    rng = numpy.random.default_rng(seed)
    foreground, background = _cover("chelsea", height, width), _cover("coffee", height, width)
    y, x = numpy.mgrid[0:height, 0:width].astype(numpy.float64)
    cy, cx, ry, rx = height * 0.5, width * 0.5, height * 0.3, width * 0.28
    inside = (1 - numpy.hypot((y - cy) / ry, (x - cx) / rx)) * min(ry, rx)  # about the distance to the ellipse
    alpha = numpy.clip(inside / edge + 0.5, 0, 1)
    s = numpy.linspace(0, 1, 50)
    for _ in range(strands):  # a loop over strands; each strand's distance field is computed at once
        angle, length = rng.uniform(0, 2 * numpy.pi), rng.uniform(0.08, 0.2) * min(height, width)
        opacity, bend = rng.uniform(0.3, 0.8), rng.uniform(-0.6, 0.6)
        py = cy + 0.95 * ry * numpy.sin(angle) + length * s * numpy.sin(angle + bend * s)
        px = cx + 0.95 * rx * numpy.cos(angle) + length * s * numpy.cos(angle + bend * s)
        top, bottom = max(int(py.min()) - 3, 0), min(int(py.max()) + 4, height)
        left, right = max(int(px.min()) - 3, 0), min(int(px.max()) + 4, width)
        if top >= bottom or left >= right:
            continue
        distance = numpy.hypot(y[top:bottom, left:right, None] - py, x[top:bottom, left:right, None] - px).min(-1)
        box = alpha[top:bottom, left:right]
        numpy.maximum(box, opacity * numpy.clip(1.2 - distance, 0, 1), out=box)
    image = numpy.round((alpha[..., None] * foreground + (1 - alpha[..., None]) * background) * 255) / 255
    windows = numpy.lib.stride_tricks.sliding_window_view(numpy.pad(alpha, band, mode="edge"), (2 * band + 1,) * 2)
    trimap = numpy.full((height, width), 0.5)
    trimap[windows.min(axis=(-1, -2)) >= 1] = 1
    trimap[windows.max(axis=(-1, -2)) <= 0] = 0
    parts = (image, alpha, foreground, background, trimap)
    return MattingScene(*(part.astype(numpy.float32) for part in parts))


def _cover(name: str, height: int, width: int) -> numpy.ndarray:
    """The sample image resized (bicubic, Pillow) to cover height x width, centre-cropped; float64."""
    from PIL import Image

    picture = sample_image(name)
    scale = max(height / picture.shape[0], width / picture.shape[1])
    size = (max(width, round(picture.shape[1] * scale)), max(height, round(picture.shape[0] * scale)))
    resized = Image.fromarray(numpy.round(picture * 255).astype(numpy.uint8)).resize(size, Image.Resampling.BICUBIC)
    array = numpy.asarray(resized).astype(numpy.float64) / 255
    top, left = (size[1] - height) // 2, (size[0] - width) // 2
    return array[top : top + height, left : left + width]
