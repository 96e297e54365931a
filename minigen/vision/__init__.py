"""``torchvision`` for minigen: ``datasets``, ``transforms`` and ``utils`` with torchvision's names and signatures.

    from minigen.vision import datasets, transforms
    from minigen.vision.utils import save_image

A face over :mod:`minigen.data` (datasets, verified downloads, array transforms) and Pillow; nothing here is a
second implementation of what ``minigen.data`` does.
"""

from minigen.vision import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
