"""``torch.backends`` for scripts written for PyTorch: the switches minigen has nothing to tune with."""

from minigen.backends import cudnn

__all__ = ["cudnn"]
