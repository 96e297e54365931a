"""Training loop: exact resume (after --max-steps and after a real Ctrl-C), NaN stop, checkpoints, pictures."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest

from minigen.train import (
    ConfigError,
    NonFiniteLossError,
    TrainConfig,
    Trainer,
    TrainingInterrupted,
    image_grid,
    image_shape_for,
    load_checkpoint,
    model_from_checkpoint,
)

# Tiny runs: 4 steps per epoch on the embedded MNIST.
TINY = {
    "vae": {"subset": 256, "batch_size": 64, "log_every": 3},
    "gan": {"subset": 64, "batch_size": 16, "log_every": 3},
    "cgan": {"subset": 64, "batch_size": 16, "log_every": 3},
    "wgan-gp": {"subset": 64, "batch_size": 16, "log_every": 3, "n_critic": 3},
}


def make_trainer(out, model="vae", **overrides):
    settings = {"model": model, "epochs": 2, "out": str(out), **TINY[model], **overrides}
    return Trainer(TrainConfig(**settings), log=lambda *args: None, progress=False)


def epoch_records(out):
    """metrics.jsonl without the wall-clock seconds, which differ between runs."""
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in lines]


def assert_same_run(straight, resumed):
    assert epoch_records(resumed) == epoch_records(straight)  # exact float equality, every loss of every epoch
    a, b = load_checkpoint(straight / "checkpoint.npz"), load_checkpoint(resumed / "checkpoint.npz")
    assert (a["epoch"], a["step"]) == (b["epoch"], b["step"])
    for name in a["history"]:
        np.testing.assert_array_equal(a["history"][name], b["history"][name])
    for name, value in a["model"].items():
        np.testing.assert_array_equal(value.numpy(), b["model"][name].numpy(), err_msg=name)


@pytest.fixture(scope="module")
def straight_runs(tmp_path_factory):
    """Uninterrupted 2-epoch runs, one per model, to compare resumed runs with."""
    runs = {}
    for model in TINY:
        out = tmp_path_factory.mktemp(f"straight-{model}")
        make_trainer(out, model).fit()
        runs[model] = out
    return runs


# Stopped mid-epoch (the loader's position is saved) and at an epoch's end. (Ctrl-C is tested below.)
# wgan-gp stops after 2 critic steps, before its first generator step: the resumed run must keep that rhythm.
@pytest.mark.parametrize("model, stop_at", [("gan", 2), ("vae", 4), ("cgan", 3), ("wgan-gp", 2)])
def test_resume_after_max_steps_is_exact(tmp_path, straight_runs, model, stop_at):
    assert make_trainer(tmp_path, model, max_steps=stop_at).fit() == {}
    stopped = load_checkpoint(tmp_path / "checkpoint.npz")
    assert stopped["step"] == stop_at
    make_trainer(tmp_path, model, resume=True).fit()
    assert_same_run(straight_runs[model], tmp_path)


def test_ctrl_c_saves_a_checkpoint_and_resume_is_exact(tmp_path, straight_runs):
    trainer = make_trainer(tmp_path)
    train_step = trainer.task.train_step

    def step_then_ctrl_c(x, labels=None):
        losses = train_step(x, labels)
        if trainer.step == 5:  # 6th step of the run, 2nd of epoch 2: Ctrl-C while it runs
            os.kill(os.getpid(), signal.SIGINT)
        return losses

    trainer.task.train_step = step_then_ctrl_c
    with pytest.raises(TrainingInterrupted, match=r"interrupted \(Ctrl-C\) at step 6 .*--resume"):
        trainer.fit()
    assert load_checkpoint(tmp_path / "checkpoint.npz")["step"] == 6  # the step under way was finished first
    make_trainer(tmp_path, resume=True).fit()
    assert_same_run(straight_runs["vae"], tmp_path)


def test_non_finite_loss_stops_naming_step_and_loss(tmp_path):
    trainer = make_trainer(tmp_path, epochs=3)
    train_step = trainer.task.train_step

    def poisoned(x, labels=None):
        losses = train_step(x, labels)
        if trainer.step == 5:  # the 6th step returns a NaN KL
            losses["kl"] = losses["kl"] * float("nan")
        return losses

    trainer.task.train_step = poisoned
    with pytest.raises(NonFiniteLossError, match=r"kl is nan at step 6 \(epoch 2\)"):
        trainer.fit()
    # The last good checkpoint (end of epoch 1) is left as it was.
    assert load_checkpoint(tmp_path / "checkpoint.npz")["step"] == 4
    assert [record["epoch"] for record in epoch_records(tmp_path)] == [1]


def test_run_writes_pictures_metrics_and_a_loadable_checkpoint(tmp_path, straight_runs):
    out = straight_runs["vae"]
    names = {path.name for path in out.iterdir()}
    assert {"samples_epoch_001.png", "samples_epoch_002.png", "losses.png", "metrics.jsonl", "checkpoint.npz"} <= names
    records = epoch_records(out)
    assert [r["epoch"] for r in records] == [1, 2] and [r["step"] for r in records] == [4, 8]
    for record in records:  # negative ELBO on the test split, and its parts
        assert record["test_loss"] == pytest.approx(record["test_recon"] + record["test_kl"])
        assert record["loss"] == pytest.approx(record["recon"] + record["kl"], rel=1e-5)
    assert records[1]["loss"] < records[0]["loss"]

    state = load_checkpoint(out / "checkpoint.npz")
    assert state["config"].model == "vae" and state["epoch"] == 2
    assert set(state["optimizers"]) == {"model"}
    model = model_from_checkpoint(state, image_shape_for("vae", "mnist-embedded"))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state["model"][name].numpy())
    grid = __import__("matplotlib.image", fromlist=["imread"]).imread(out / "samples_epoch_002.png")
    assert grid.ndim == 3 and grid.shape[0] > 100


def test_gan_checkpoint_has_both_optimizers(straight_runs):
    state = load_checkpoint(straight_runs["gan"] / "checkpoint.npz")
    assert set(state["optimizers"]) == {"generator", "discriminator"}
    record = epoch_records(straight_runs["gan"])[-1]
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(record)
    assert 0 < record["d_fake"] < 1 and 0 < record["d_real"] < 1


def test_resume_refuses_a_changed_setting_or_a_missing_checkpoint(tmp_path, straight_runs):
    with pytest.raises(ConfigError, match=r"batch_size: 32 \(cannot resume with it: .* batch_size=64"):
        make_trainer(straight_runs["vae"], resume=True, batch_size=32)
    with pytest.raises(ConfigError, match="no checkpoint.npz in that folder"):
        make_trainer(tmp_path, resume=True)


def test_resume_of_a_finished_run_does_nothing(straight_runs):
    before = (straight_runs["vae"] / "checkpoint.npz").read_bytes()
    record = make_trainer(straight_runs["vae"], resume=True).fit()
    assert record["epoch"] == 2
    assert (straight_runs["vae"] / "checkpoint.npz").read_bytes() == before


def test_bad_settings_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"model: nope \(unknown model"):
        TrainConfig(model="nope").resolved()
    with pytest.raises(ConfigError, match="unknown dataset"):
        TrainConfig(dataset="svhn").resolved()
    with pytest.raises(ConfigError, match=r"epochs: 0 \(expected an int >= 1\)"):
        TrainConfig(epochs=0).resolved()
    with pytest.raises(ConfigError, match="unknown device") as caught:
        make_trainer(tmp_path, device="tpu")
    assert caught.value.option == "device"


def test_defaults_fill_in_per_model():
    config = TrainConfig(model="dcgan").resolved()
    assert (config.lr, config.out) == (2e-4, "runs/dcgan")
    assert image_shape_for("dcgan", "mnist") == (1, 32, 32)  # DCGAN pads MNIST 28 -> 32
    assert image_shape_for("vae", "mnist") == (1, 28, 28)
    assert image_shape_for("dcgan", "cifar10") == (3, 32, 32)


def test_image_grid_tiles_and_rescales():
    images = np.stack([np.full((1, 4, 4), value, np.float32) for value in (-1.0, 0.0, 1.0)])
    grid = image_grid(images, data_range=(-1.0, 1.0), padding=1)
    assert grid.shape == (2 * 5 + 1, 2 * 5 + 1, 1)  # 3 images -> a 2 x 2 grid
    assert grid[1, 1, 0] == 0.0 and grid[1, 6, 0] == 0.5 and grid[6, 1, 0] == 1.0
    colour = image_grid(np.zeros((2, 3, 4, 4), np.float32))
    assert colour.shape[-1] == 3


def test_gan_generator_step_with_frozen_discriminator_gets_the_same_gradient():
    """Freezing D for the generator's backward pass saves work but must not change G's gradient."""
    import minigen
    from minigen.models import MLPGAN
    from minigen.nn.functional import binary_cross_entropy_with_logits

    minigen.manual_seed(0)
    model = MLPGAN((1, 4, 4), latent_dim=3, hidden=(8, 8), dropout=0.0)  # no dropout: both passes see the same D
    z = minigen.randn(5, 3)

    def generator_grads(freeze):
        model.zero_grad()
        model.discriminator.requires_grad_(not freeze)
        logits = model.discriminator(model.generator(z))
        binary_cross_entropy_with_logits(logits, np.ones((5, 1), np.float32)).backward()
        model.discriminator.requires_grad_(True)
        d_grads = [p.grad for p in model.discriminator.parameters()]
        return [p.grad.numpy() for p in model.generator.parameters()], d_grads

    frozen, d_frozen = generator_grads(True)
    free, d_free = generator_grads(False)
    for a, b in zip(frozen, free):
        np.testing.assert_array_equal(a, b)
    assert all(g is None for g in d_frozen) and all(g is not None for g in d_free)
