"""What a training run is: one :class:`TrainConfig`, with defaults chosen per model.

Every option the ``minigen train`` command takes is a field here. Fields left
as ``None`` take the model's default recipe from its spec in
:data:`minigen.models.MODELS` (:data:`DEFAULTS` is a view of them), a short run on
the embedded MNIST that produces recognisable samples (more epochs make them better).

A bad setting raises :class:`ConfigError`, whose message reads
``<setting>: <value> (<what was expected>)``; ``.option`` names the field (the
command line shows it as ``--batch-size`` for ``batch_size``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

from minigen.data.registry import DEFAULT_DATASET
from minigen.models import KIND_OPTIONS, MODELS, models_using

__all__ = ["DEFAULTS", "MAX_LATENT_DIM", "ConfigError", "TrainConfig"]


class ConfigError(ValueError):
    """A bad setting or an unusable checkpoint: the command reports it in one line and exits with status 2.

    ``option``: the :class:`TrainConfig` field the message starts with (``"batch_size: 0 (...)"``), or None.
    """

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


def bad_setting(name: str, value: Any, expected: str) -> ConfigError:
    """The error for setting ``name``: ``"name: value (expected)"``."""
    return ConfigError(f"{name}: {value} ({expected})", option=name)


# Each model's default run (epochs, batch_size, lr and its kind's options), read from its spec in minigen.models.
DEFAULTS: dict[str, dict[str, Any]] = {name: spec.defaults() for name, spec in MODELS.items()}

# Settings that change the numbers a run produces: a resumed run must keep them. (The learning rate and the
# number of epochs may change on resume: a run whose loss became NaN continues from its last checkpoint with a
# lower --lr; metrics.jsonl records each epoch's lr.)
FIXED_ON_RESUME = (
    "model", "dataset", "batch_size", "seed", "latent_dim", "beta", "likelihood", "label_smoothing", "subset",
    "gp_weight", "n_critic",
)  # fmt: skip

# Settings that only some kinds of model use (minigen.models.KIND_OPTIONS); giving one to another model is an error.
KIND_SETTINGS = tuple(name for options in KIND_OPTIONS.values() for name in options)
# The largest latent_dim a run may use: the models' weights grow with it (the DCGAN's and CNN generator's first
# layers by ~4,000-6,000 floats per unit, ~100 MB at 4096); a checkpoint asking for 10**9 is refused before building.
MAX_LATENT_DIM = 4096
# A WGAN-GP's penalty weight beyond this swamps the Wasserstein term (and its float32 products overflow); more
# critic steps per generator step than this leave the generator all but untrained.
MAX_GP_WEIGHT, MAX_N_CRITIC = 1e4, 1000
SEED_LIMIT = 2**32  # seeds are ints in [0, 2**32): NumPy refuses negative ones, CuPy's generators take 32 bits


@dataclass
class TrainConfig:
    """Settings of one training run (``minigen train MODEL ...``).

    model:           a name in ``minigen.models.MODELS``: "gan", "dcgan", "wgan-gp", "vae", "conv-vae", "cnn-mse".
    dataset:         a name in ``minigen.data.registry.DATASETS``; the default, "mnist-embedded", ships with minigen.
    epochs, batch_size, lr: None takes the model's default (its spec in ``minigen.models.MODELS``).
    device:          "cpu" or "cuda".
    seed:            seeds the weights, the noise and the batch order: same seed, same run.
    out:             folder for samples, curves, metrics and the checkpoint (default ``runs/MODEL``).
    resume:          continue from ``out/checkpoint.npz`` (``epochs`` and ``lr`` may be changed).
    force:           start afresh in an ``out`` that already holds a run, replacing it (without it, that
                     is an error: nothing is overwritten unless asked).
    beta:            weight of the KL term of a VAE (1: the ELBO; > 1: a beta-VAE); None: 1. VAEs only.
    likelihood:      a VAE's reconstruction term: "bernoulli" (BCE summed over pixels, the default) or
                     "gaussian" (MSE). VAEs only.
    label_smoothing: a GAN's real label is 1 - label_smoothing for the discriminator (0.1 gives 0.9);
                     None takes the model's default (0.1 for "gan", else 0). GANs only.
    gp_weight:       a WGAN-GP's penalty weight lambda (default 10). wgan-gp only.
    n_critic:        a WGAN-GP's critic steps per generator step (default 5). wgan-gp only.
    latent_dim:      None keeps the model's default size of z.
    log_every:       steps between two transfers of the losses from the device to the host.
    eval_every:      every this many epochs (and after the last), measure samples with the dataset's judge
                     (``minigen eval``'s metrics, on fewer samples) into metrics.jsonl and losses.png.
    tensorboard:     also log to ``out/tensorboard`` (needs tensorboardX).
    subset:          train on the first ``subset`` images only (and test on as many at most): for tests.
    max_steps:       stop, as if interrupted, after this many steps in all (saving a checkpoint): for tests.
    """

    model: str = "vae"
    dataset: str = DEFAULT_DATASET
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    device: str = "cpu"
    seed: int = 0
    out: str | None = None
    resume: bool = False
    force: bool = False
    beta: float | None = None
    likelihood: str | None = None
    label_smoothing: float | None = None
    gp_weight: float | None = None
    n_critic: int | None = None
    latent_dim: int | None = None
    log_every: int = 10
    eval_every: int | None = None
    tensorboard: bool = False
    subset: int | None = None
    max_steps: int | None = None

    def resolved(self) -> TrainConfig:
        """A copy with every ``None`` default filled in and every value checked."""
        from minigen.data import DATASET_NAMES

        if self.model not in MODELS:
            raise bad_setting("model", self.model, f"unknown model; expected one of {', '.join(MODELS)}")
        if self.dataset not in DATASET_NAMES:
            raise bad_setting("dataset", self.dataset, f"unknown dataset; expected one of {', '.join(DATASET_NAMES)}")
        spec = MODELS[self.model]
        defaults = spec.defaults()

        def option(name: str, convert: Any) -> Any:
            """A model's own option filled in; one it does not use stays as given (None unless set by hand)."""
            value = getattr(self, name)
            if not spec.uses(name):
                return value
            return defaults[name] if value is None else convert(value)

        config = dataclasses.replace(
            self,
            epochs=defaults["epochs"] if self.epochs is None else int(self.epochs),
            batch_size=defaults["batch_size"] if self.batch_size is None else int(self.batch_size),
            lr=defaults["lr"] if self.lr is None else float(self.lr),
            label_smoothing=option("label_smoothing", float),
            beta=option("beta", float),
            likelihood=option("likelihood", str),
            gp_weight=option("gp_weight", float),
            n_critic=option("n_critic", int),
            out=f"runs/{self.model}" if self.out is None else str(self.out),
        )
        checks = [
            (config.epochs >= 1, "epochs", config.epochs, "expected an int >= 1"),
            (config.batch_size >= 1, "batch_size", config.batch_size, "expected an int >= 1"),
            (math.isfinite(config.lr) and config.lr > 0, "lr", config.lr, "expected a finite number > 0"),
            (config.likelihood in (None, "bernoulli", "gaussian"), "likelihood", config.likelihood,
             "expected bernoulli or gaussian"),
            (config.label_smoothing is None or 0 <= config.label_smoothing < 1, "label_smoothing",
             config.label_smoothing, "expected a number in [0, 1)"),
            (config.beta is None or (math.isfinite(config.beta) and config.beta >= 0), "beta", config.beta,
             "expected a finite number >= 0"),
            (config.gp_weight is None or 0 <= config.gp_weight <= MAX_GP_WEIGHT, "gp_weight", config.gp_weight,
             f"expected a number from 0 to {MAX_GP_WEIGHT:g}"),
            (config.n_critic is None or 1 <= config.n_critic <= MAX_N_CRITIC, "n_critic", config.n_critic,
             f"expected an int from 1 to {MAX_N_CRITIC}"),
            (0 <= config.seed < SEED_LIMIT, "seed", config.seed, "expected an int in [0, 2**32)"),
            (config.log_every >= 1, "log_every", config.log_every, "expected an int >= 1"),
            (config.eval_every is None or config.eval_every >= 1, "eval_every", config.eval_every,
             "expected an int >= 1 epochs"),
            (config.subset is None or config.subset >= 1, "subset", config.subset, "expected an int >= 1"),
            (config.max_steps is None or config.max_steps >= 1, "max_steps", config.max_steps, "expected an int >= 1"),
            (config.latent_dim is None or 1 <= config.latent_dim <= MAX_LATENT_DIM, "latent_dim", config.latent_dim,
             f"expected an int in [1, {MAX_LATENT_DIM}]"),
            (not (config.resume and config.force), "force", config.force,
             "cannot go with resume: resume continues the run in out, force starts afresh over it"),
        ]  # fmt: skip
        for ok, name, value, expected in checks:
            if not ok:
                raise bad_setting(name, value, expected)
        return config

    def check_options_apply(self) -> None:
        """Refuse a setting given (not None) that this model does not use, e.g. ``beta`` for a GAN."""
        spec = MODELS[self.model]
        for name in KIND_SETTINGS:
            if getattr(self, name) is not None and not spec.uses(name):
                users = ", ".join(models_using(name))
                verb = "uses" if len(models_using(name)) == 1 else "use"
                raise bad_setting(name, getattr(self, name), f"only {users} {verb} it, not {self.model}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        known = {field.name for field in dataclasses.fields(cls)}
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ConfigError(f"a saved config must be a JSON object, got {type(values).__name__}")
        return cls(**{key: value for key, value in values.items() if key in known})

    def check_resumable_from(self, saved: TrainConfig, given: set[str]) -> None:
        """Refuse to resume when a setting the user gave differs from the checkpoint's."""
        for name in FIXED_ON_RESUME:
            if name in given and getattr(self, name) != getattr(saved, name):
                raise bad_setting(
                    name, getattr(self, name),
                    f"cannot resume with it: the checkpoint in {saved.out} was trained with "
                    f"{name}={getattr(saved, name)!r}; drop that option, or use another out folder",
                )  # fmt: skip
