"""Training the models of :mod:`minigen.models`, one file per idea.

- :mod:`~minigen.train.config`     ``TrainConfig``: every option of ``minigen train``, defaults per model
- :mod:`~minigen.train.trainer`    ``Trainer``: the loop, logging, pictures, checkpoints, resume, Ctrl-C
- :mod:`~minigen.train.gan`        a GAN's discriminator and generator steps (non-saturating loss)
- :mod:`~minigen.train.vae`        a VAE's step (reconstruction + beta * KL) and test-set ELBO
- :mod:`~minigen.train.regression` the MSE baseline that can only learn the mean image
- :mod:`~minigen.train.checkpoint` what a checkpoint holds, saving and loading it
- :mod:`~minigen.train.metrics`    ``metrics.jsonl`` and optional TensorBoard
- :mod:`~minigen.train.plots`      sample grids and loss curves as PNG files

    from minigen.train import TrainConfig, Trainer
    Trainer(TrainConfig(model="vae", epochs=5, out="runs/vae")).fit()

is what ``minigen train vae --epochs 5`` runs.
"""

from .checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from .config import DEFAULTS, ConfigError, TrainConfig
from .plots import image_grid, save_image_grid, save_loss_curves
from .trainer import NonFiniteLossError, Trainer, TrainingInterrupted, image_shape_for, transform_for

__all__ = [
    "DEFAULTS", "ConfigError", "NonFiniteLossError", "TrainConfig", "Trainer", "TrainingInterrupted",
    "image_grid", "image_shape_for", "load_checkpoint", "model_from_checkpoint", "save_checkpoint",
    "save_image_grid", "save_loss_curves", "transform_for",
]  # fmt: skip
