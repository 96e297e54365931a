"""The generative models, a file per model, declared once in :mod:`.registry`.

- "gan":      :class:`MLPGAN`, kind "gan", samples in [-1, 1] (``mlp_gan.py``)
- "cgan":     :class:`CGAN`, the conditional MLPGAN, ``sample(n, labels=...)`` (``mlp_gan.py``)
- "dcgan":    :class:`DCGAN`, kind "gan", samples in [-1, 1], 32x32 images (``dcgan.py``)
- "vae":      :class:`MLPVAE`, kind "vae", samples in [0, 1] (``mlp_vae.py``)
- "cvae":     :class:`CVAE`, the conditional MLPVAE (``mlp_vae.py``)
- "conv-vae": :class:`ConvVAE`, kind "vae", samples in [0, 1] (``conv_vae.py``)
- "cnn-mse":  :class:`CNNGenerator`, kind "regression", samples in [-1, 1] (``cnn_generator.py``)
- "wgan-gp":  :class:`WGANGP`, kind "wgan-gp", samples in [-1, 1], 32x32 images (``wgan_gp.py``)

Every model takes ``image_shape=(C, H, W)`` first and ``latent_dim``, has
``kind``, ``data_range`` and ``sample(n)``. ``build_model("vae", (1, 28, 28))``
builds one by name; ``MODELS["vae"]`` is its :class:`ModelSpec` (class, kind,
default training recipe). What the VAEs share (reparameterisation, loss) is in
``base.py``.
"""

from __future__ import annotations

from .base import VAE, GenerativeModel
from .cnn_generator import CNNGenerator
from .conv_vae import ConvVAE
from .dcgan import DCGAN
from .mlp_gan import CGAN, MLPGAN
from .mlp_vae import CVAE, MLPVAE
from .registry import KIND_OPTIONS, MODELS, ModelSpec, build_model, get_model_spec, model_table, models_using
from .wgan_gp import WGANGP

__all__ = [
    "CGAN", "CNNGenerator", "CVAE", "ConvVAE", "DCGAN", "GenerativeModel", "KIND_OPTIONS", "MLPGAN", "MLPVAE",
    "MODELS", "ModelSpec", "VAE", "WGANGP", "build_model", "get_model_spec", "model_table", "models_using",
]  # fmt: skip
