"""The few helpers the lessons in ``lessons/`` share: lesson tooling, not part of the ``minigen`` package.

A lesson imports it as ``from lessons_support import ...``: Python finds it beside the lesson when the
lesson runs as a script (``python lessons/NN_topic.py``) or as a notebook whose kernel starts in
``lessons/`` (Jupyter's default); ``tests/test_lessons.py`` puts ``lessons/`` on ``PYTHONPATH``.

- ``SMOKE``: True when ``MINIGEN_SMOKE=1`` or ``CI`` is set; lessons then shrink
  data and epochs so that each runs in seconds (the tests run them this way).
- ``smoke(full, small)``: ``small`` in smoke mode, else ``full``.
- ``pick_device()``: "cuda" when CuPy sees a GPU, else "cpu".
- ``check_exercise(check, function)``: runs an exercise's check; an exercise the
  learner has not done yet (it raises NotImplementedError) prints a hint instead of
  failing, so a lesson always runs top to bottom. With ``MINIGEN_SOLUTIONS`` naming a
  file (``lessons/solutions/NN_topic.py``) the check runs against the reference
  solution of the same name instead: that is how the tests prove every check passes.
- ``show_images(images, ...)``: a grid of grey or colour images, with matplotlib.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any

import numpy

from minigen.data.transforms import tile_images

__all__ = ["SMOKE", "check_exercise", "image_grid", "pick_device", "show_images", "smoke"]

SMOKE = os.environ.get("MINIGEN_SMOKE") == "1" or "CI" in os.environ


def smoke(full: Any, small: Any) -> Any:
    """``small`` when the smoke switch is on, ``full`` otherwise."""
    return small if SMOKE else full


def pick_device() -> str:
    """ "cuda" when a GPU is usable through CuPy, else "cpu"."""
    from minigen.backend import cuda_is_available

    return "cuda" if cuda_is_available() else "cpu"


def _reference_solution(name: str) -> Callable[..., Any]:
    path = os.environ["MINIGEN_SOLUTIONS"]
    spec = importlib.util.spec_from_file_location("minigen_lesson_solutions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, name):
        raise AttributeError(f"the solutions file {path} has no {name!r}")
    return getattr(module, name)


def check_exercise(check: Callable[[Callable[..., Any]], None], function: Callable[..., Any]) -> bool:
    """Run ``check(function)``: True when it passes, False (with a hint) when not done yet.

    A wrong answer raises AssertionError from ``check``, with what was expected.
    """
    name = function.__name__
    if os.environ.get("MINIGEN_SOLUTIONS"):
        function = _reference_solution(name)
    try:
        check(function)
    except NotImplementedError:
        print(f"[exercise] {name} is not implemented yet: fill it in, then run this cell again.")
        return False
    print(f"[exercise] {name}: correct.")
    return True


def image_grid(images: Any, nrow: int = 8, pad: int = 1) -> numpy.ndarray:
    """Tile a batch (N, H, W), (N, 1, H, W) or (N, 3, H, W) into one host image, values kept: (H', W') for grey,
    (H', W', 3) for colour, the gaps filled with the smallest value (minigen.data.transforms.tile_images)."""
    images = numpy.asarray(getattr(images, "numpy", lambda: images)())
    if images.ndim == 3:
        images = images[:, None]
    grid = tile_images(images, nrow, pad, pad_value=images.min())
    return grid[0] if grid.shape[0] == 1 else grid.transpose(1, 2, 0)


def show_images(images: Any, nrow: int = 8, title: str | None = None, ax: Any = None) -> None:
    """Show a batch of images as one grid (grey for one channel)."""
    import matplotlib.pyplot as plt

    grid = image_grid(images, nrow)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(2 + grid.shape[1] / 30, 10), min(2 + grid.shape[0] / 30, 10)))
    if grid.ndim == 3:
        low, high = grid.min(), grid.max()
        grid = (grid - low) / max(high - low, 1e-12)
    ax.imshow(grid, cmap="gray")
    ax.axis("off")
    if title:
        ax.set_title(title)
