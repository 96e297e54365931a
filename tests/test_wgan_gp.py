"""WGAN-GP: the critic's gradient penalty (a second derivative) against PyTorch's, and the training task."""

import json

import numpy as np
import pytest

import minigen as mg
from minigen.cli import main
from minigen.models import WGANGP, build_model
from minigen.train import ConfigError, TrainConfig, Trainer
from minigen.train.wgan import gradient_penalty


def torch_critic(model, torch):
    """PyTorch's layers with the critic's weights: Conv-LeakyReLU x3 (no BatchNorm), Conv, Flatten."""
    nn = torch.nn
    layers = [m for m in model.critic.modules() if isinstance(m, mg.nn.Conv2d)]
    critic = nn.Sequential(*(module for conv in layers for module in (
        nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding),
        nn.LeakyReLU(0.2))))[:-1]  # fmt: skip
    critic.append(nn.Flatten())
    for ours, theirs in zip(layers, [m for m in critic if isinstance(m, nn.Conv2d)]):
        theirs.weight.data = torch.tensor(ours.weight.numpy())
        theirs.bias.data = torch.tensor(ours.bias.numpy())
    return critic


def test_the_critic_has_no_batchnorm_and_no_sigmoid():
    model = WGANGP((1, 32, 32), features=8)
    kinds = {type(m).__name__ for m in model.critic.modules()}
    assert "BatchNorm2d" not in kinds and "Sigmoid" not in kinds
    assert all(m.bias is not None for m in model.critic.modules() if isinstance(m, mg.nn.Conv2d))
    assert model.kind == "wgan-gp" and model.critic is model.discriminator
    assert "BatchNorm2d" in {type(m).__name__ for m in model.generator.modules()}  # the DCGAN generator


def test_one_critic_steps_penalty_and_its_gradient_match_pytorch(torch):
    mg.manual_seed(0)
    model = WGANGP((1, 32, 32), features=8)
    rng = np.random.default_rng(0)
    real, fake = rng.uniform(-1, 1, (6, 1, 32, 32)), rng.uniform(-1, 1, (6, 1, 32, 32))
    eps = rng.uniform(0, 1, (6, 1, 1, 1))
    f32 = [a.astype(np.float32) for a in (real, fake, eps)]

    penalty = gradient_penalty(model.critic, *(mg.tensor(a) for a in f32))
    loss = model.critic(mg.tensor(f32[1])).mean() - model.critic(mg.tensor(f32[0])).mean() + 10 * penalty
    model.critic.zero_grad()
    loss.backward()

    torch.set_default_dtype(torch.float32)
    critic = torch_critic(model, torch)
    real_t, fake_t, eps_t = (torch.tensor(a) for a in f32)
    mixed = (eps_t * real_t + (1 - eps_t) * fake_t).requires_grad_()
    (slopes,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    penalty_t = (((slopes**2).flatten(1).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()
    loss_t = critic(fake_t).mean() - critic(real_t).mean() + 10 * penalty_t
    loss_t.backward()

    np.testing.assert_allclose(penalty.item(), penalty_t.item(), rtol=1e-5)
    np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-5, atol=1e-6)
    ours = [m for m in model.critic.modules() if isinstance(m, mg.nn.Conv2d)]
    theirs = [m for m in critic if isinstance(m, torch.nn.Conv2d)]
    for position, (a, b) in enumerate(zip(ours, theirs)):
        for name in ("weight", "bias"):
            mine, reference = getattr(a, name).grad.numpy(), getattr(b, name).grad.numpy()
            scale = np.abs(reference).max()
            np.testing.assert_allclose(mine, reference, rtol=1e-3, atol=1e-4 * scale, err_msg=f"conv {position} {name}")


def test_the_penalty_is_zero_for_a_critic_with_unit_slopes():
    """C(x) = <w, x> with ||w|| = 1 has slope 1 everywhere: no penalty (and 1 for w = 0)."""
    w = np.zeros((1, 4, 4))
    w[0, 1, 2] = 0.6
    w[0, 3, 0] = 0.8
    weight = mg.tensor(w.astype(np.float32))

    def linear(x):
        return (x * weight).sum(dim=(1, 2, 3))

    real, fake = mg.randn(5, 1, 4, 4), mg.randn(5, 1, 4, 4)
    assert gradient_penalty(linear, real, fake, mg.rand(5, 1, 1, 1)).item() == pytest.approx(0.0, abs=1e-6)
    assert gradient_penalty(lambda x: (x * 0).sum(dim=(1, 2, 3)), real, fake, mg.rand(5, 1, 1, 1)).item() == \
        pytest.approx(1.0, abs=1e-5)  # fmt: skip


def test_training_steps_the_generator_once_every_n_critic_steps(tmp_path):
    config = TrainConfig(model="wgan-gp", subset=48, batch_size=16, epochs=1, n_critic=3, out=str(tmp_path / "run"))
    trainer = Trainer(config, log=lambda *args: None, progress=False)
    generator = list(trainer.model.generator.parameters())[0]
    critic = list(trainer.model.critic.parameters())[0]
    x = mg.tensor(np.random.default_rng(0).uniform(-1, 1, (16, 1, 32, 32)).astype(np.float32))
    g0, c0 = generator.numpy().copy(), critic.numpy().copy()
    losses = trainer.task.train_step(x)
    assert set(losses) == {"critic_loss", "wasserstein", "gradient_penalty", "g_loss"}
    assert all(np.isfinite(v.item()) for v in losses.values())
    assert not np.array_equal(critic.numpy(), c0) and np.array_equal(generator.numpy(), g0)
    trainer.task.train_step(x)
    assert np.array_equal(generator.numpy(), g0)
    trainer.task.train_step(x)  # the third critic step is followed by a generator step
    assert not np.array_equal(generator.numpy(), g0)


def test_defaults_are_the_papers_recipe():
    config = TrainConfig(model="wgan-gp").resolved()
    assert (config.gp_weight, config.n_critic, config.lr) == (10.0, 5, 1e-4)
    assert TrainConfig(model="dcgan").resolved().gp_weight is None
    model = build_model("wgan-gp", (1, 32, 32), features=8)
    from minigen.train.wgan import WGANGPTask

    task = WGANGPTask(model, config)
    assert task.optimizers["critic"].param_groups[0]["betas"] == (0.0, 0.9)
    with pytest.raises(ConfigError, match="n_critic: 0"):
        TrainConfig(model="wgan-gp", n_critic=0).resolved()
    with pytest.raises(ConfigError, match="only wgan-gp uses it, not dcgan"):
        Trainer(TrainConfig(model="dcgan", gp_weight=5.0, out="unused"))


def test_minigen_train_wgan_gp_runs_and_samples(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "wgan-gp", "--subset", "32", "--batch-size", "16", "--epochs", "1", "--n-critic", "2",
            "--gp-weight", "5", "--no-progress", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
    assert all(np.isfinite(record[k]) for k in ("critic_loss", "wasserstein", "gradient_penalty", "g_loss"))
    assert main(["sample", str(out / "checkpoint.npz"), "--n", "4", "--out", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").stat().st_size > 0
    capsys.readouterr()
    for option, message in [
        (["--n-critic", "0"], "--n-critic: 0 (expected an int from 1 to 1000)"),
        (["--n-critic", "5000"], "--n-critic: 5000 (expected an int from 1 to 1000)"),
        (["--n-critic", "9"], "--n-critic: 9 (more than the run's 2 critic steps: the generator would never train)"),
        (["--gp-weight", "1e308"], "--gp-weight: 1e+308 (expected a number from 0 to 10000)"),
        (["--gp-weight", "nan"], "--gp-weight: nan"),
    ]:
        args = ["train", "wgan-gp", "--subset", "32", "--batch-size", "16", "--epochs", "1", "--no-progress",
                "--out", str(tmp_path / "bad"), *option]  # fmt: skip
        assert main(args) == 2, option
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "bad").exists()
