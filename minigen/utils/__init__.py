"""PyTorch-shaped utilities: ``minigen.utils.data`` is ``torch.utils.data`` (Dataset, DataLoader, ...)."""

from minigen.utils import data

__all__ = ["data"]
