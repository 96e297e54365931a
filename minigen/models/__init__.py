"""The generative models of the seed documents, a file per model.

- "gan":      :class:`MLPGAN`, kind "gan", samples in [-1, 1] (``mlp_gan.py``)
- "dcgan":    :class:`DCGAN`, kind "gan", samples in [-1, 1], 32x32 images (``dcgan.py``)
- "vae":      :class:`MLPVAE`, kind "vae", samples in [0, 1] (``mlp_vae.py``)
- "conv-vae": :class:`ConvVAE`, kind "vae", samples in [0, 1] (``conv_vae.py``)
- "cnn-mse":  :class:`CNNGenerator`, kind "regression", samples in [-1, 1] (``cnn_generator.py``)

Every model takes ``image_shape=(C, H, W)`` first and ``latent_dim``, has
``kind``, ``data_range`` and ``sample(n)``. ``build_model("vae", (1, 28, 28))``
builds one by name. What the VAEs share (reparameterisation, loss) is in
``base.py``.
"""

from __future__ import annotations

from typing import Any

from .base import VAE, GenerativeModel
from .cnn_generator import CNNGenerator
from .conv_vae import ConvVAE
from .dcgan import DCGAN
from .mlp_gan import MLPGAN
from .mlp_vae import MLPVAE

__all__ = ["CNNGenerator", "ConvVAE", "DCGAN", "GenerativeModel", "MLPGAN", "MLPVAE", "MODELS", "VAE", "build_model"]

MODELS: dict[str, type[GenerativeModel]] = {
    "gan": MLPGAN,
    "dcgan": DCGAN,
    "vae": MLPVAE,
    "conv-vae": ConvVAE,
    "cnn-mse": CNNGenerator,
}


def build_model(name: str, image_shape: tuple[int, int, int], **kwargs: Any) -> GenerativeModel:
    """The model called ``name`` (a key of :data:`MODELS`) for images of ``image_shape`` (C, H, W)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    return MODELS[name](image_shape, **kwargs)
