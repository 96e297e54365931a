"""The model registry: every model is declared here once, by a :class:`ModelSpec`.

A spec holds the model's name, its class, a one-line description and its default
training recipe (epochs, batch size, Adam's learning rate, the options of its kind).
Everything that lists models reads :data:`MODELS`: :func:`build_model`, the choices
and help of ``minigen train``, the defaults and task of ``minigen.train``, and the
model table of README.md (a test checks it against :func:`model_table`).

Adding a model: write its file in ``minigen/models/`` (a :class:`GenerativeModel`
subclass with ``kind``, ``data_range``, ``latent_dim`` and ``generate``) and add one
``ModelSpec`` to :data:`MODELS`.

The *kind* of a model (``cls.kind``) says how it trains: ``minigen.train`` has one
task per kind ("gan", "vae", "regression"), and each kind reads the options of
:data:`KIND_OPTIONS` (with their defaults); a spec may change those defaults.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .base import GenerativeModel
from .cnn_generator import CNNGenerator
from .conv_vae import ConvVAE
from .dcgan import DCGAN
from .mlp_gan import CGAN, MLPGAN
from .mlp_vae import CVAE, MLPVAE
from .wgan_gp import WGANGP

__all__ = ["KIND_OPTIONS", "MODELS", "ModelSpec", "build_model", "get_model_spec", "model_table", "models_using"]

# The options each kind of model trains with, and their defaults: a GAN's one-sided label smoothing (the real
# label is 1 - s for the discriminator), a VAE's KL weight beta and its reconstruction likelihood, a WGAN-GP's
# penalty weight lambda and critic steps per generator step.
KIND_OPTIONS: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    "vae": MappingProxyType({"beta": 1.0, "likelihood": "bernoulli"}),
    "gan": MappingProxyType({"label_smoothing": 0.0}),
    "wgan-gp": MappingProxyType({"gp_weight": 10.0, "n_critic": 5}),
    "regression": MappingProxyType({}),
})  # fmt: skip


@dataclass(frozen=True)
class ModelSpec:
    """One model: its name, class, description and default training recipe.

    name:        what ``minigen train NAME`` and :func:`build_model` call it.
    cls:         the :class:`GenerativeModel` subclass; its ``kind`` picks the training task,
                 its ``data_range`` the interval the training images are scaled to.
    description: one line, for the README's table and ``minigen train --help``.
    epochs, batch_size, lr: the default run (Adam's learning rate).
    options:     defaults of the kind's options (:data:`KIND_OPTIONS`) that this model changes.
    image_size:  the height and width the model needs (DCGAN: 32), or None for any; smaller images
                 are padded to it by the trainer.
    """

    name: str
    cls: type[GenerativeModel]
    description: str
    epochs: int
    batch_size: int
    lr: float
    options: Mapping[str, Any] = field(default_factory=dict)
    image_size: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KIND_OPTIONS:
            raise ValueError(f"{self.name}: {self.cls.__name__}.kind {self.kind!r} is not one of {list(KIND_OPTIONS)}")
        unknown = set(self.options) - set(KIND_OPTIONS[self.kind])
        if unknown:
            raise ValueError(f"{self.name}: options {sorted(unknown)} are not options of kind {self.kind!r}")

    @property
    def kind(self) -> str:
        """How the model trains: "gan", "vae" or "regression" (``cls.kind``)."""
        return self.cls.kind

    @property
    def data_range(self) -> tuple[float, float]:
        """The interval of the model's samples and of its training images (``cls.data_range``)."""
        return self.cls.data_range

    @property
    def latent_dim(self) -> int:
        """The default size of z: the class's ``latent_dim`` argument's default."""
        return int(inspect.signature(self.cls).parameters["latent_dim"].default)

    def uses(self, option: str) -> bool:
        """Whether this model trains with ``option`` (one of its kind's options)."""
        return option in KIND_OPTIONS[self.kind]

    def option_defaults(self) -> dict[str, Any]:
        """The kind's options with this model's defaults, e.g. ``{"label_smoothing": 0.1}``."""
        return {**KIND_OPTIONS[self.kind], **self.options}

    def defaults(self) -> dict[str, Any]:
        """The default run: epochs, batch_size, lr and the options of the model's kind."""
        return {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr, **self.option_defaults()}

    def recipe(self) -> str:
        """The default run in words: ``"40 epochs, batch 64, Adam lr 0.001, label smoothing 0.1, z 100"``."""
        words = [f"{self.epochs} epochs", f"batch {self.batch_size}", f"Adam lr {self.lr:g}"]
        words += [f"{name.replace('_', ' ')} {value:g}" if isinstance(value, float) else f"{name} {value}"
                  for name, value in self.option_defaults().items()]  # fmt: skip
        return ", ".join([*words, f"z {self.latent_dim}"])

    def build(self, image_shape: tuple[int, int, int], **kwargs: Any) -> GenerativeModel:
        """The model for images of ``image_shape`` (C, H, W); ``kwargs`` go to the class."""
        return self.cls(image_shape, **kwargs)


# Each recipe is a short run on the embedded MNIST (4,500 digits) with Adam; GANs take betas (0.5, 0.999) and
# VAEs and the regression baseline Adam's defaults (see minigen.train). bench/README.md has the wall times of
# these runs and the measurements behind the MLP GAN's recipe.
MODELS: Mapping[str, ModelSpec] = MappingProxyType({spec.name: spec for spec in (
    ModelSpec("gan", MLPGAN,
              "MLP GAN: G z(100)→128→256→512→784, D 784→512→256→128→1 (ReLU, dropout 0.3) on logits, "
              "non-saturating loss",
              epochs=40, batch_size=64, lr=1e-3, options={"label_smoothing": 0.1}),
    ModelSpec("cgan", CGAN,
              "conditional MLP GAN: the gan's generator given the one-hot label beside z (Mirza & Osindero 2014), "
              "a projection discriminator (Miyato & Koyama 2018) without dropout; `sample --label K`",
              epochs=40, batch_size=64, lr=1e-3),
    ModelSpec("dcgan", DCGAN,
              "DCGAN (Radford et al. 2016), 32×32 (MNIST padded, or CIFAR-10 with C=3) or 64×64; "
              "use a GPU for more epochs",
              epochs=3, batch_size=64, lr=2e-4, image_size=32),
    ModelSpec("wgan-gp", WGANGP,
              "WGAN-GP (Gulrajani et al. 2017): the DCGAN generator and a critic without BatchNorm, "
              "Wasserstein loss with a gradient penalty (a second derivative); Adam betas (0, 0.9)",
              epochs=40, batch_size=64, lr=1e-4, image_size=32),
    ModelSpec("vae", MLPVAE, "MLP VAE 784→128→256→512→(μ, log σ²), Bernoulli decoder",
              epochs=20, batch_size=32, lr=1e-3),
    ModelSpec("cvae", CVAE,
              "conditional MLP VAE (Sohn et al. 2015): the vae's encoder and decoder, each given the one-hot "
              "label; z keeps the style",
              epochs=20, batch_size=32, lr=1e-3),
    ModelSpec("conv-vae", ConvVAE, "convolutional VAE for 28×28 or 32×32 images",
              epochs=10, batch_size=64, lr=1e-3),
    ModelSpec("cnn-mse", CNNGenerator,
              "a conv generator trained with MSE alone: the baseline that shows why regression cannot generate "
              "(it converges to the blurry mean image)",
              epochs=3, batch_size=64, lr=1e-3),
)})  # fmt: skip


def get_model_spec(name: str) -> ModelSpec:
    """The spec of the model called ``name``; a ValueError listing the models otherwise."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    return MODELS[name]


def build_model(name: str, image_shape: tuple[int, int, int], **kwargs: Any) -> GenerativeModel:
    """The model called ``name`` (a key of :data:`MODELS`) for images of ``image_shape`` (C, H, W)."""
    return get_model_spec(name).build(image_shape, **kwargs)


def models_using(option: str) -> list[str]:
    """The names of the models that train with ``option`` (e.g. "beta": the VAEs), in registry order."""
    return [name for name, spec in MODELS.items() if spec.uses(option)]


def model_table() -> str:
    """README.md's model table (Markdown): name, description, default run."""
    rows = ["| model | what it is | default run (embedded MNIST) |", "|---|---|---|"]
    rows += [f"| `{spec.name}` | {spec.description} | {spec.recipe()} |" for spec in MODELS.values()]
    return "\n".join(rows)
