"""Optimizers: ``optim.SGD``, ``optim.Adam``, ``optim.AdamW`` and ``optim.RMSprop``, with PyTorch's update rules.

Each updates parameters in place (``param.data``), in the parameter's dtype and on
its device, and saves/restores its state with ``state_dict()`` / ``load_state_dict()``.
"""

from minigen.optim.adam import Adam, AdamW
from minigen.optim.lbfgs import LBFGS
from minigen.optim.optimizer import Optimizer
from minigen.optim.rmsprop import RMSprop
from minigen.optim.sgd import SGD

__all__ = ["LBFGS", "SGD", "Adam", "AdamW", "Optimizer", "RMSprop"]
