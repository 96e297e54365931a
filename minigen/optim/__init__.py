"""Optimizers: ``optim.SGD``, ``optim.Adam``, ``optim.AdamW``, ``optim.RMSprop`` and ``optim.Adadelta``, with
PyTorch's update rules, and learning-rate schedules in ``optim.lr_scheduler``.

Each updates parameters in place (``param.data``), in the parameter's dtype and on
its device, and saves/restores its state with ``state_dict()`` / ``load_state_dict()``.
"""

from minigen.optim import lr_scheduler
from minigen.optim.adadelta import Adadelta
from minigen.optim.adam import Adam, AdamW
from minigen.optim.lbfgs import LBFGS
from minigen.optim.optimizer import Optimizer
from minigen.optim.rmsprop import RMSprop
from minigen.optim.sgd import SGD

__all__ = ["LBFGS", "SGD", "Adadelta", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
