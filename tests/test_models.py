"""The seed models: shapes on every dataset's image shape, architectures against PyTorch twins,
DCGAN's initialisation, the VAE loss (gradient-checked, and falling on real digits), sampling."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import minigen
from minigen import optim
from minigen.data import load_dataset
from minigen.models import (
    CGAN,
    CVAE,
    DCGAN,
    MLPGAN,
    MLPVAE,
    MODELS,
    WGANGP,
    CNNGenerator,
    ConvVAE,
    ModelSpec,
    build_model,
)
from minigen.models.registry import model_table, models_using
from minigen.ops import losses

SHAPES = [(1, 28, 28), (1, 32, 32), (3, 32, 32)]


# DCGAN and WGAN-GP are defined for 32x32 images only (DCGAN's refusal of 28x28 is tested below); the others take all
CASES = [(name, shape) for name in MODELS for shape in SHAPES if not MODELS[name].image_size or shape[1:] == (32, 32)]


# ----------------------------------------------------------------------------- registry
def test_registry_names_and_kinds():
    assert list(MODELS) == ["gan", "cgan", "dcgan", "wgan-gp", "vae", "cvae", "conv-vae", "cnn-mse"]
    kinds = {name: spec.kind for name, spec in MODELS.items()}
    assert kinds == {"gan": "gan", "cgan": "gan", "dcgan": "gan", "wgan-gp": "wgan-gp", "vae": "vae", "cvae": "vae",
                     "conv-vae": "vae", "cnn-mse": "regression"}  # fmt: skip
    classes = {name: spec.cls for name, spec in MODELS.items()}
    assert classes == {"gan": MLPGAN, "cgan": CGAN, "dcgan": DCGAN, "wgan-gp": WGANGP, "vae": MLPVAE, "cvae": CVAE,
                       "conv-vae": ConvVAE, "cnn-mse": CNNGenerator}  # fmt: skip
    for name, spec in MODELS.items():
        assert spec.name == name and spec.kind == spec.cls.kind and spec.data_range == spec.cls.data_range
        assert spec.data_range == ((0.0, 1.0) if spec.kind == "vae" else (-1.0, 1.0))
        assert spec.latent_dim == build_model(name, (1, 32, 32)).latent_dim


def test_registry_recipes_and_options():
    defaults = {name: spec.defaults() for name, spec in MODELS.items()}
    assert defaults == {
        "gan": {"epochs": 40, "batch_size": 64, "lr": 1e-3, "label_smoothing": 0.1},
        "cgan": MODELS["cgan"].defaults(),  # its measured recipe: tests/test_conditional.py
        "dcgan": {"epochs": 3, "batch_size": 64, "lr": 2e-4, "label_smoothing": 0.0},
        "wgan-gp": {"epochs": 40, "batch_size": 64, "lr": 1e-4, "gp_weight": 10.0, "n_critic": 5},
        "vae": {"epochs": 20, "batch_size": 32, "lr": 1e-3, "beta": 1.0, "likelihood": "bernoulli"},
        "cvae": {"epochs": 20, "batch_size": 32, "lr": 1e-3, "beta": 1.0, "likelihood": "bernoulli"},
        "conv-vae": {"epochs": 10, "batch_size": 64, "lr": 1e-3, "beta": 1.0, "likelihood": "bernoulli"},
        "cnn-mse": {"epochs": 3, "batch_size": 64, "lr": 1e-3},
    }
    assert models_using("beta") == models_using("likelihood") == ["vae", "cvae", "conv-vae"]
    assert models_using("label_smoothing") == ["gan", "cgan", "dcgan"]
    assert [name for name, spec in MODELS.items() if spec.image_size] == ["dcgan", "wgan-gp"]
    with pytest.raises(ValueError, match="not options of kind 'vae'"):
        ModelSpec("bad", MLPVAE, "a VAE given a GAN's option", 1, 1, 1e-3, options={"label_smoothing": 0.1})


def test_readme_model_table_is_the_registry():
    """README.md's model table and the train synopsis list exactly the registered models with their defaults."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    header = model_table().splitlines()[0]
    assert header in readme, f"README.md has no model table; paste this one:\n{model_table()}"
    start = readme.index(header)
    table = readme[start : readme.find("\n\n", start)]
    assert table == model_table(), f"README.md's model table is not the registry's; replace it by:\n{model_table()}"
    assert f"minigen train {{{','.join(MODELS)}}}" in readme


def test_build_model_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown model 'gann'.*conv-vae.*dcgan"):
        build_model("gann", (1, 28, 28))


def test_build_model_passes_keyword_arguments():
    model = build_model("vae", (1, 28, 28), latent_dim=2, hidden=(400,))
    assert isinstance(model, MLPVAE) and model.latent_dim == 2 and model.fc_mu.weight.shape == (2, 400)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: DCGAN((1, 28, 28)), "32x32"),
        (lambda: DCGAN((3, 64, 32)), "32x32 or 64x64"),
        (lambda: DCGAN((3, 128, 128)), "32x32 or 64x64"),
        (lambda: ConvVAE((1, 30, 30)), "divisible by 4"),
        (lambda: CNNGenerator((3, 27, 28)), "divisible by 4"),
        (lambda: MLPVAE((28, 28)), r"\(channels, height, width\)"),
        (lambda: MLPGAN((1, 0, 28)), r"\(channels, height, width\)"),
    ],
)
def test_unsupported_image_shapes_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# ----------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("name, shape", CASES, ids=[f"{n}-{'x'.join(map(str, s))}" for n, s in CASES])
def test_output_shapes_and_dtype(name, shape):
    minigen.manual_seed(0)
    model = build_model(name, shape)
    n = 3
    assert model.image_shape == shape
    assert all(p.dtype == np.float32 for p in model.parameters())
    z = minigen.randn(n, model.latent_dim)
    x = minigen.rand(n, *shape)
    condition = (minigen.tensor([0, 4, 9]),) if model.conditional else ()  # cgan, cvae: the labels too
    if model.kind in ("gan", "wgan-gp"):
        images = model.generator(z, *condition)
        logits = model.discriminator(images, *condition)
        assert images.shape == (n, *shape) and logits.shape == (n, 1)
        assert images.dtype == np.float32 and logits.dtype == np.float32
    elif model.kind == "vae":
        logits, mu, logvar = model(x, None, *condition)
        assert logits.shape == (n, *shape) and mu.shape == logvar.shape == (n, model.latent_dim)
        assert model.decode(z, *condition).shape == (n, *shape) and logits.dtype == np.float32
        if shape[0] == 1:  # a channel-less batch, as the data loader gives for MNIST, is accepted
            assert model.encode(x.reshape(n, *shape[1:]), *condition)[0].shape == (n, model.latent_dim)
    else:
        images = model(z)
        assert images.shape == (n, *shape) and images.dtype == np.float32


# ----------------------------------------------------------------------------- PyTorch twins
def torch_twin(torch, name, shape):
    """The architecture of ``name`` written independently in torch.nn, with the same state-dict keys."""
    nn = torch.nn
    c, h, w = shape
    pixels = c * h * w
    if name == "gan":
        generator = nn.Sequential(
            nn.Linear(100, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
            nn.Linear(512, pixels), nn.Tanh(), nn.Unflatten(1, shape),
        )  # fmt: skip
        discriminator = nn.Sequential(  # ReLU as the seed says, plus the default recipe's Dropout(0.3)
            nn.Flatten(), nn.Linear(pixels, 512), nn.ReLU(), nn.Dropout(0.3), nn.Linear(512, 256), nn.ReLU(),
            nn.Dropout(0.3), nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 1),
        )  # fmt: skip
        return nn.ModuleDict({"generator": generator, "discriminator": discriminator})
    if name == "dcgan":
        generator = nn.Sequential(
            nn.Unflatten(1, (100, 1, 1)),
            nn.ConvTranspose2d(100, 256, 4, 1, 0, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
            nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, c, 4, 2, 1), nn.Tanh(),
        )  # fmt: skip
        discriminator = nn.Sequential(
            nn.Identity(),  # minigen's AsImages
            nn.Conv2d(c, 64, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
            nn.Conv2d(256, 1, 4, 1, 0), nn.Flatten(),
        )  # fmt: skip
        return nn.ModuleDict({"generator": generator, "discriminator": discriminator})
    if name == "vae":
        encoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(pixels, 128),
            nn.ReLU(),
            nn.Linear(128, 256),
            nn.ReLU(),
            nn.Linear(256, 512),
            nn.ReLU(),
        )
        decoder = nn.Sequential(
            nn.Linear(20, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
            nn.Linear(128, pixels), nn.Unflatten(1, shape),
        )  # fmt: skip
        return nn.ModuleDict(
            {"encoder": encoder, "fc_mu": nn.Linear(512, 20), "fc_logvar": nn.Linear(512, 20), "decoder": decoder}
        )
    if name == "conv-vae":
        flat = 64 * (h // 4) * (w // 4)
        encoder = nn.Sequential(
            nn.Identity(), nn.Conv2d(c, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
            nn.Flatten(), nn.Linear(flat, 256), nn.ReLU(),
        )  # fmt: skip
        decoder = nn.Sequential(
            nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, flat), nn.ReLU(), nn.Unflatten(1, (64, h // 4, w // 4)),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, c, 4, 2, 1),
        )  # fmt: skip
        return nn.ModuleDict(
            {"encoder": encoder, "fc_mu": nn.Linear(256, 20), "fc_logvar": nn.Linear(256, 20), "decoder": decoder}
        )
    generator = nn.Sequential(
        nn.Linear(100, 128 * (h // 4) * (w // 4), bias=False), nn.Unflatten(1, (128, h // 4, w // 4)),
        nn.BatchNorm2d(128), nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, c, 4, 2, 1), nn.Tanh(),
    )  # fmt: skip
    return nn.ModuleDict({"generator": generator})


def outputs(model, inputs):
    """The deterministic outputs of a model or its twin (a torch ModuleDict reads the same way), as a list."""
    z, x = inputs
    if hasattr(model, "discriminator"):
        return [model.generator(z), model.discriminator(x)]
    if hasattr(model, "encoder"):
        h = model.encoder(x)
        return [model.fc_mu(h), model.fc_logvar(h), model.decoder(z)]
    return [model.generator(z)]


@pytest.mark.parametrize(
    "name, shape", [("gan", (1, 28, 28)), ("dcgan", (3, 32, 32)), ("vae", (1, 28, 28)), ("conv-vae", (3, 32, 32)),
                    ("cnn-mse", (1, 28, 28))],
)  # fmt: skip
def test_architecture_matches_torch_twin(torch, name, shape):
    """Same keys, shapes and parameter count as the spec written in torch.nn; same outputs and gradients in float64."""
    minigen.manual_seed(1)
    model = build_model(name, shape).double()
    twin = torch_twin(torch, name, shape)
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in twin.parameters())
    twin.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()})  # strict
    if name == "gan":  # dropout draws different masks in each framework: compare the deterministic network
        model.discriminator.eval()
        twin["discriminator"].eval()

    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((4, model.latent_dim)), rng.random((4, *shape))]
    ours = outputs(model, [minigen.tensor(a, requires_grad=True) for a in inputs])
    theirs = outputs(twin, [torch.tensor(a, requires_grad=True) for a in inputs])
    weights = [rng.standard_normal(tuple(t.shape)) for t in theirs]
    sum((o * w).sum() for o, w in zip(ours, weights)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(theirs, weights)).backward()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-10)
    twin_params = dict(twin.named_parameters())
    for key, param in model.named_parameters():
        np.testing.assert_allclose(
            param.grad.numpy(), twin_params[key].grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=key
        )


def test_parameter_counts_of_the_seed_architectures():
    gan = MLPGAN((1, 28, 28))
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    assert count(gan.generator) == (100 * 128 + 128) + (128 * 256 + 256) + (256 * 512 + 512) + (512 * 784 + 784)
    assert count(gan.discriminator) == (784 * 512 + 512) + (512 * 256 + 256) + (256 * 128 + 128) + (128 + 1)
    assert count(MLPVAE((1, 28, 28), hidden=(400,))) == 652_824  # PyTorch's examples/vae
    assert MLPVAE((1, 28, 28)).fc_mu.weight.shape == (20, 512)


# ----------------------------------------------------------------------------- DCGAN init
def test_dcgan_64_is_the_pytorch_example_network():
    """At 64x64 the DCGAN is pytorch/examples' dcgan (ngf = ndf = 64, nz = 100): the same layers, in order,
    and the same weights' shapes; it keeps the biases of its three convolutions not followed by BatchNorm."""
    model = DCGAN((3, 64, 64))
    layers = [(type(m).__name__, m.in_channels, m.out_channels, m.stride, m.padding)
              for m in model.modules() if type(m).__name__.startswith("Conv")]  # fmt: skip
    example = [  # netG then netD of pytorch/examples dcgan/main.py
        ("ConvTranspose2d", 100, 512, (1, 1), (0, 0)), ("ConvTranspose2d", 512, 256, (2, 2), (1, 1)),
        ("ConvTranspose2d", 256, 128, (2, 2), (1, 1)), ("ConvTranspose2d", 128, 64, (2, 2), (1, 1)),
        ("ConvTranspose2d", 64, 3, (2, 2), (1, 1)),
        ("Conv2d", 3, 64, (2, 2), (1, 1)), ("Conv2d", 64, 128, (2, 2), (1, 1)), ("Conv2d", 128, 256, (2, 2), (1, 1)),
        ("Conv2d", 256, 512, (2, 2), (1, 1)), ("Conv2d", 512, 1, (1, 1), (0, 0)),
    ]  # fmt: skip
    assert layers == example
    example_parameters = 3_576_704 + 2_765_568  # netG + netD, printed by the example's networks in PyTorch
    assert sum(p.numel() for p in model.parameters()) == example_parameters + 3 + 64 + 1  # + the three biases
    minigen.manual_seed(0)
    images = model.generator(minigen.randn(2, 100))
    assert images.shape == (2, 3, 64, 64) and model.discriminator(images).shape == (2, 1)


@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_initialisation(channels):
    minigen.manual_seed(0)
    model = DCGAN((channels, 32, 32))
    convs = bns = 0
    for module_name, module in model.named_modules():
        kind = type(module).__name__
        if kind.startswith("Conv"):
            w = module.weight.numpy()
            if w.size > 4000:  # the big kernels: tight statistics
                assert abs(w.std() - 0.02) < 0.02 * 0.05 and abs(w.mean()) < 0.002, module_name
            assert module.bias is None or not module.bias.numpy().any(), module_name
            convs += 1
        elif kind == "BatchNorm2d":
            scale = module.weight.numpy()
            assert abs(scale.mean() - 1) < 0.01 and 0.01 < scale.std() < 0.03, module_name
            assert not module.bias.numpy().any(), module_name
            bns += 1
    assert (convs, bns) == (8, 5)
    no_bias = [n for n, m in model.named_modules() if type(m).__name__.startswith("Conv") and m.bias is None]
    assert len(no_bias) == 5  # exactly the convolutions followed by BatchNorm


# ----------------------------------------------------------------------------- VAE loss
def small_vae():
    minigen.manual_seed(3)
    return MLPVAE((1, 4, 4), latent_dim=3, hidden=(5,)).double()


def test_vae_loss_terms_by_hand():
    """total = reconstruction + beta * KL, each per image; BCE on logits and MSE on probabilities."""
    model = small_vae()
    rng = np.random.default_rng(0)
    x = minigen.tensor(rng.random((6, 1, 4, 4)))
    eps = minigen.tensor(rng.standard_normal((6, 3)))
    total, recon, kl = model.loss(x, beta=0.5, eps=eps)
    mu, logvar = (t.numpy() for t in model.encode(x))
    p = model.decode(minigen.tensor(mu + np.exp(0.5 * logvar) * eps.numpy())).numpy()
    xs = x.numpy()
    expected_recon = -(xs * np.log(p) + (1 - xs) * np.log(1 - p)).sum() / 6
    expected_kl = -0.5 * (1 + logvar - mu**2 - np.exp(logvar)).sum() / 6
    expected = [expected_recon, expected_kl, expected_recon + 0.5 * expected_kl]
    np.testing.assert_allclose([recon.item(), kl.item(), total.item()], expected, rtol=1e-10)
    _, gaussian, _ = model.loss(x, likelihood="gaussian", eps=eps)
    np.testing.assert_allclose(gaussian.item(), ((p - xs) ** 2).sum() / 6, rtol=1e-10)
    with pytest.raises(ValueError, match="likelihood"):
        model.loss(x, likelihood="poisson")


def test_vae_loss_gradcheck_wrt_a_parameter():
    """d(negative ELBO)/d(fc_logvar.weight) in float64 with epsilon fixed: the path through sigma and the KL."""
    model = small_vae()
    rng = np.random.default_rng(1)
    x = minigen.tensor(rng.random((4, 1, 4, 4)))
    eps = minigen.tensor(rng.standard_normal((4, 3)))
    layer = model.fc_logvar
    original = layer.weight

    def loss_of(weight):
        layer._parameters["weight"] = weight  # evaluate the model at this value of the parameter
        try:
            return model.loss(x, eps=eps)[0]
        finally:
            layer._parameters["weight"] = original

    assert minigen.gradcheck(loss_of, minigen.tensor(original.numpy(), requires_grad=True))


def test_reparameterize_uses_the_model_dtype_and_scale():
    model = MLPVAE((1, 28, 28))
    mu = minigen.tensor(np.full((2000, 20), 3.0, dtype=np.float32))
    logvar = minigen.tensor(np.full((2000, 20), np.log(4.0), dtype=np.float32))
    z = model.reparameterize(mu, logvar).numpy()
    assert z.dtype == np.float32
    assert abs(z.mean() - 3) < 0.02 and abs(z.std() - 2) < 0.02  # sigma = exp(logvar / 2) = 2, not exp(logvar)


@pytest.mark.parametrize("name", ["vae", "conv-vae"])
def test_vae_loss_falls_on_real_digits(name):
    images, _ = load_dataset("mnist-embedded", split="train")
    x = minigen.tensor(images[:16].astype(np.float32)[:, None] / 255)
    minigen.manual_seed(0)
    model = build_model(name, (1, 28, 28))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    history = []
    for _ in range(20):
        opt.zero_grad()
        total, recon, kl = model.loss(x)
        total.backward()
        opt.step()
        history.append((total.item(), recon.item(), kl.item()))
    history = np.array(history)
    assert np.isfinite(history).all() and (history[:, 2] >= 0).all()
    assert history[0, 0] > 400  # near chance: BCE of 784 pixels at p = 1/2 is 543
    assert history[-5:, 0].mean() < 0.7 * history[:5, 0].mean()


# ----------------------------------------------------------------------------- devices, sampling
@pytest.mark.parametrize("name", ["gan", "dcgan"])
def test_gan_forward_backward_on_device(name, device):
    minigen.manual_seed(0)
    model = build_model(name, (1, 32, 32)).to(device)
    real = minigen.rand(4, 1, 32, 32, device=device) * 2 - 1
    fake = model.generator(minigen.randn(4, model.latent_dim, device=device))
    ones = minigen.tensor(np.ones((4, 1), dtype=np.float32), device=device)
    d_loss = losses.binary_cross_entropy_with_logits(model.discriminator(real), ones) + \
        losses.binary_cross_entropy_with_logits(model.discriminator(fake.detach()), ones * 0)  # fmt: skip
    d_loss.backward()
    assert all(p.grad is not None and p.grad.device == device for p in model.discriminator.parameters())
    assert all(p.grad is None for p in model.generator.parameters())
    g_loss = losses.binary_cross_entropy_with_logits(model.discriminator(fake), ones)  # non-saturating
    g_loss.backward()
    grads = [p.grad for p in model.generator.parameters()]
    assert all(g is not None and g.device == device and g.dtype == np.float32 for g in grads)
    assert math.isfinite(g_loss.item()) and any(np.abs(g.numpy()).max() > 0 for g in grads)


@pytest.mark.parametrize("name", list(MODELS))
def test_sample_range_and_no_graph(name, device):
    minigen.manual_seed(0)
    shape = (3, 32, 32) if MODELS[name].image_size else (1, 28, 28)
    model = build_model(name, shape).to(device)
    images = model.sample(5)
    low, high = model.data_range
    assert images.shape == (5, *shape) and images.device == device and images.dtype == np.float32
    assert not images.requires_grad
    values = images.numpy()
    assert values.min() >= low and values.max() <= high and values.std() > 0


@pytest.mark.parametrize("name", list(MODELS))
def test_sampling_in_blocks_gives_the_images_of_one_batch(name):
    """In eval mode, drawing 10 images 3 at a time gives the 10 images of one batch (same z, same network)."""
    shape = (1, 32, 32) if MODELS[name].image_size else (1, 28, 28)
    minigen.manual_seed(0)
    model = build_model(name, shape).eval()
    minigen.manual_seed(1)
    whole = model.sample(10).numpy()
    minigen.manual_seed(1)
    blocks = model.sample(10, batch_size=3).numpy()
    np.testing.assert_allclose(blocks, whole, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"batch_size must be a positive int, got 0"):
        model.sample(4, batch_size=0)


def test_cnn_generator_mse_loss():
    minigen.manual_seed(0)
    model = CNNGenerator((1, 28, 28))
    x = minigen.rand(8, 1, 28, 28) * 2 - 1
    loss = model.loss(x)
    loss.backward()
    assert loss.shape == () and math.isfinite(loss.item())
    assert all(p.grad is not None for p in model.parameters())
