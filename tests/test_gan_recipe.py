"""The default MLP GAN recipe: the settings that keep ``minigen train gan`` from collapsing stay the defaults.

With the DCGAN paper's lr 2e-4, no label smoothing and no dropout, the MLP GAN of seed 000 collapses to one noisy
image on the embedded MNIST in its 1-2 minute budget (in PyTorch too). The defaults below are what fixes it (measured
figures in ``minigen/models/mlp_gan.py``); these tests make sure nobody reverts one of them by accident.
"""

from __future__ import annotations

import numpy as np

import minigen
from minigen import nn
from minigen.models import MLPGAN
from minigen.train import TrainConfig


def test_gan_defaults_are_the_measured_recipe():
    config = TrainConfig(model="gan").resolved()
    assert (config.lr, config.batch_size, config.label_smoothing) == (1e-3, 64, 0.1)
    # dcgan keeps the DCGAN paper's recipe, without label smoothing
    dcgan = TrainConfig(model="dcgan").resolved()
    assert (dcgan.lr, dcgan.label_smoothing) == (2e-4, 0.0)


def test_an_explicit_label_smoothing_of_zero_is_kept():
    assert TrainConfig(model="gan", label_smoothing=0.0).resolved().label_smoothing == 0.0
    assert TrainConfig(model="gan", label_smoothing=0.2).resolved().label_smoothing == 0.2
    assert TrainConfig(model="vae").resolved().label_smoothing is None  # a VAE has no such option


def test_mlpgan_discriminator_keeps_relu_and_adds_dropout():
    model = MLPGAN((1, 28, 28))
    kinds = [type(layer) for layer in model.discriminator]
    assert kinds == [nn.Flatten] + [nn.Linear, nn.ReLU, nn.Dropout] * 3 + [nn.Linear]
    assert all(layer.p == 0.3 for layer in model.discriminator if isinstance(layer, nn.Dropout))
    plain = MLPGAN((1, 28, 28), negative_slope=0.2, dropout=0.0)
    assert [type(layer) for layer in plain.discriminator] == [nn.Flatten] + [nn.Linear, nn.LeakyReLU] * 3 + [nn.Linear]


def test_mlpgan_discriminator_dropout_is_random_in_training_and_off_in_eval():
    minigen.manual_seed(0)
    model = MLPGAN((1, 8, 8), latent_dim=4, hidden=(16, 16))
    x = minigen.rand(6, 1, 8, 8)
    first, second = model.discriminator(x).numpy(), model.discriminator(x).numpy()
    assert not np.allclose(first, second)
    model.eval()
    np.testing.assert_array_equal(model.discriminator(x).numpy(), model.discriminator(x).numpy())
