"""What a training run is: one :class:`TrainConfig`, with defaults chosen per model.

Every option the ``minigen train`` command takes is a field here. Fields left
as ``None`` take the model's default from :data:`DEFAULTS`, chosen so that each
model trains in about a minute on a 2-core CPU on the embedded MNIST and
produces recognisable samples (more epochs make them better).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULTS", "ConfigError", "TrainConfig"]


class ConfigError(ValueError):
    """A bad setting or an unusable checkpoint: the command reports it in one line and exits with status 2."""


# Per model: epochs, batch size, learning rate (and, for GANs, one-sided label smoothing) of a short run on the
# embedded MNIST (4,500 digits). GANs use Adam with betas (0.5, 0.999), the DCGAN paper's setting; VAEs Adam(lr 1e-3).
# The MLP GAN needs lr 1e-3 (not the DCGAN paper's 2e-4), label smoothing 0.1 and MLPGAN's Dropout(0.3) in the
# discriminator: with lr 2e-4 its 1,400 steps end on a single noisy image (mode collapse), measured with minigen and
# PyTorch alike (mean pairwise distance of 64 samples ~0.8 against ~10.5 for real digits; see MLPGAN's docstring).
# Wall time on a 2-core CPU (measured on a shared machine, single-threaded BLAS): vae ~35 s (recognisable
# digits, test loss ~138), gan ~75 s, conv-vae ~1.5 min, cnn-mse ~30 s, dcgan ~1 min per epoch (use --device cuda).
DEFAULTS: dict[str, dict[str, Any]] = {
    "gan": {"epochs": 40, "batch_size": 64, "lr": 1e-3, "label_smoothing": 0.1},
    "dcgan": {"epochs": 3, "batch_size": 64, "lr": 2e-4, "label_smoothing": 0.0},
    "vae": {"epochs": 20, "batch_size": 32, "lr": 1e-3},
    "conv-vae": {"epochs": 10, "batch_size": 64, "lr": 1e-3},
    "cnn-mse": {"epochs": 3, "batch_size": 64, "lr": 1e-3},
}

# Settings that change the numbers a run produces: a resumed run must keep them.
FIXED_ON_RESUME = (
    "model", "dataset", "batch_size", "lr", "seed", "latent_dim", "beta", "likelihood", "label_smoothing", "subset",
)  # fmt: skip


@dataclass
class TrainConfig:
    """Settings of one training run (``minigen train MODEL ...``).

    model:           "gan", "dcgan", "vae", "conv-vae" or "cnn-mse" (see ``minigen.models.MODELS``).
    dataset:         "mnist-embedded" (offline), "mnist", "fashion-mnist" or "cifar10".
    epochs, batch_size, lr: None takes the model's entry in :data:`DEFAULTS`.
    device:          "cpu" or "cuda".
    seed:            seeds the weights, the noise and the batch order: same seed, same run.
    out:             folder for samples, curves, metrics and the checkpoint (default ``runs/MODEL``).
    resume:          continue from ``out/checkpoint.npz``.
    beta:            weight of the KL term of a VAE (1: the ELBO; > 1: a beta-VAE).
    likelihood:      a VAE's reconstruction term: "bernoulli" (BCE summed over pixels) or "gaussian" (MSE).
    label_smoothing: a GAN's real label is 1 - label_smoothing for the discriminator (0.1 gives 0.9);
                     None takes the model's default (0.1 for "gan", else 0).
    latent_dim:      None keeps the model's default size of z.
    log_every:       steps between two transfers of the losses from the device to the host.
    tensorboard:     also log to ``out/tensorboard`` (needs tensorboardX).
    subset:          train on the first ``subset`` images only (and test on as many at most): for tests.
    max_steps:       stop, as if interrupted, after this many steps in all (saving a checkpoint): for tests.
    """

    model: str = "vae"
    dataset: str = "mnist-embedded"
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    device: str = "cpu"
    seed: int = 0
    out: str | None = None
    resume: bool = False
    beta: float = 1.0
    likelihood: str = "bernoulli"
    label_smoothing: float | None = None
    latent_dim: int | None = None
    log_every: int = 10
    tensorboard: bool = False
    subset: int | None = None
    max_steps: int | None = None

    def resolved(self) -> TrainConfig:
        """A copy with every ``None`` default filled in and every value checked."""
        from minigen.data import DATASET_NAMES
        from minigen.models import MODELS

        if self.model not in MODELS:
            raise ConfigError(f"unknown model {self.model!r}; expected one of {', '.join(MODELS)}")
        if self.dataset not in DATASET_NAMES:
            raise ConfigError(f"unknown dataset {self.dataset!r}; expected one of {', '.join(DATASET_NAMES)}")
        defaults = DEFAULTS[self.model]
        config = dataclasses.replace(
            self,
            epochs=defaults["epochs"] if self.epochs is None else int(self.epochs),
            batch_size=defaults["batch_size"] if self.batch_size is None else int(self.batch_size),
            lr=defaults["lr"] if self.lr is None else float(self.lr),
            label_smoothing=(
                defaults.get("label_smoothing", 0.0) if self.label_smoothing is None else float(self.label_smoothing)
            ),
            out=f"runs/{self.model}" if self.out is None else str(self.out),
        )
        checks = [
            (config.epochs >= 1, "epochs", config.epochs, "an int >= 1"),
            (config.batch_size >= 1, "batch_size", config.batch_size, "an int >= 1"),
            (config.lr > 0, "lr", config.lr, "a number > 0"),
            (config.likelihood in ("bernoulli", "gaussian"), "likelihood", config.likelihood, "bernoulli or gaussian"),
            (0 <= config.label_smoothing < 1, "label_smoothing", config.label_smoothing, "in [0, 1)"),
            (config.beta >= 0, "beta", config.beta, "a number >= 0"),
            (config.log_every >= 1, "log_every", config.log_every, "an int >= 1"),
            (config.subset is None or config.subset >= 1, "subset", config.subset, "an int >= 1"),
            (config.max_steps is None or config.max_steps >= 1, "max_steps", config.max_steps, "an int >= 1"),
            (config.latent_dim is None or config.latent_dim >= 1, "latent_dim", config.latent_dim, "an int >= 1"),
        ]
        for ok, name, value, expected in checks:
            if not ok:
                raise ConfigError(f"{name} must be {expected}, got {value!r}")
        return config

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in json.loads(text).items() if key in known})

    def check_resumable_from(self, saved: TrainConfig, given: set[str]) -> None:
        """Refuse to resume when a setting the user gave differs from the checkpoint's."""
        for name in FIXED_ON_RESUME:
            if name in given and getattr(self, name) != getattr(saved, name):
                raise ConfigError(
                    f"cannot resume: the checkpoint in {saved.out} was trained with {name}={getattr(saved, name)!r}, "
                    f"not {getattr(self, name)!r} (drop that option, or use another --out)"
                )
