"""Conditional models: one_hot, labels through the networks, cgan and cvae training and sampling by label."""

import tempfile

import numpy as np
import pytest

import minigen as mg
import minigen.nn.functional as F
from minigen.cli import main
from minigen.models import CGAN, CVAE, MLPGAN, MLPVAE, build_model
from minigen.models.mlp_gan import Projection
from minigen.train import TrainConfig, Trainer


def test_one_hot_matches_pytorch(torch):
    labels = np.array([[0, 3], [2, 2]])
    np.testing.assert_array_equal(F.one_hot(mg.tensor(labels), 5).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(labels), 5).numpy())  # fmt: skip
    assert F.one_hot(mg.tensor([1, 0]), -1).shape == (2, 2) and F.one_hot(mg.tensor([1, 0])).dtype == np.int64
    with pytest.raises(ValueError, match=r"labels from 0 to 5, expected each in \[0, 3\)"):
        F.one_hot(mg.tensor([0, 5]), 3)
    with pytest.raises(TypeError, match="integers"):
        F.one_hot(mg.tensor([0.5]), 3)


@pytest.mark.parametrize("cls", [CGAN, CVAE])
def test_conditional_models_need_labels_and_plain_ones_refuse_them(cls):
    model = cls()
    assert model.conditional and model.num_classes == 10
    z = mg.randn(4, model.latent_dim)
    assert model.generate(z, mg.tensor([0, 1, 2, 3])).shape == (4, 1, 28, 28)
    with pytest.raises(ValueError, match="is conditional: give the labels"):
        model.generate(z)
    with pytest.raises(ValueError, match=r"labels of shape \(3,\) for a batch of 4 images"):
        model.generate(z, mg.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"expected each in \[0, 10\)"):
        model.generate(z, mg.tensor([0, 1, 2, 10]))
    plain = {CGAN: MLPGAN, CVAE: MLPVAE}[cls]()
    with pytest.raises(ValueError, match="is not conditional: it takes no labels"):
        plain.generate(mg.randn(2, plain.latent_dim), mg.tensor([0, 1]))
    with pytest.raises(ValueError, match="num_classes must be a positive int, got 0"):
        cls(num_classes=0)


def test_the_label_changes_the_image_and_z_is_kept():
    mg.manual_seed(0)
    model = CVAE().eval()
    z = mg.randn(1, model.latent_dim).repeat(2, 1)
    images = model.decode(z, mg.tensor([3, 7])).numpy()
    assert not np.allclose(images[0], images[1])
    samples = model.sample(20)  # the classes in turn by default
    assert samples.shape == (20, 1, 28, 28)
    with pytest.raises(ValueError, match=r"labels of shape \(3,\) for a batch of 4 images"):
        model.sample(4, labels=[1, 2, 3])
    with pytest.raises(ValueError, match=r"labels of shape \(\) for a batch of 4 images"):
        model.sample(4, labels=3)
    assert model.sample(0).shape == (0, 1, 28, 28) and model.sample(0, labels=[]).shape == (0, 1, 28, 28)


def test_the_projection_discriminator_adds_the_labels_embedding_dotted_with_the_features():
    mg.manual_seed(0)
    model = CGAN(dropout=0.0)
    critic = model.discriminator
    assert isinstance(critic, Projection)
    x, labels = mg.randn(3, 1, 28, 28), mg.tensor([2, 0, 9])
    features = critic.features(x).numpy()
    expected = features @ critic.head.weight.numpy().T + critic.head.bias.numpy()
    expected += (critic.embed.weight.numpy().T[[2, 0, 9]] * features).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(critic(x, labels).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert critic.embed.weight.shape == (128, 10)
    # the generator is told the label beside z: its first layer reads latent_dim + 10 numbers
    assert model.generator.net[0].weight.shape == (128, model.latent_dim + 10)


@pytest.mark.parametrize("model", ["cgan", "cvae"])
def test_training_feeds_the_labels(tmp_path, model, monkeypatch):
    seen = []
    config = TrainConfig(model=model, subset=64, batch_size=16, epochs=1, out=str(tmp_path / "run"))
    trainer = Trainer(config, log=lambda *args: None, progress=False)
    original = trainer.task.train_step

    def spy(x, labels=None):
        seen.append(labels.numpy().copy())
        return original(x, labels)

    monkeypatch.setattr(trainer.task, "train_step", spy)
    trainer.fit()
    from minigen.data import load_dataset

    _, all_labels = load_dataset("mnist-embedded", "train")
    assert len(seen) == 4 and set(np.concatenate(seen)) <= set(all_labels[:64].tolist())
    assert np.array_equal(np.sort(np.concatenate(seen)), np.sort(all_labels[:64]))  # each image's own label
    assert (tmp_path / "run" / "samples_epoch_001.png").exists()


def test_sample_by_label_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "cvae", "--subset", "64", "--batch-size", "16", "--epochs", "1", "--no-progress",
                 "--out", str(out)]) == 0  # fmt: skip
    checkpoint = str(out / "checkpoint.npz")
    assert main(["sample", checkpoint, "--label", "7", "--n", "6", "--out", str(tmp_path / "sevens.png")]) == 0
    assert main(["sample", checkpoint, "--labels", "0-9", "--n", "5", "--out", str(tmp_path / "grid.png")]) == 0
    assert "wrote 50 samples" in capsys.readouterr().out
    assert main(["sample", checkpoint, "--labels", "1,4,7", "--out", str(tmp_path / "some.png")]) == 0
    for args, message in [
        (["--label", "10"], "--label: 10 (cvae knows classes 0 to 9)"),
        (["--labels", "3-x"], "--labels: '3-x' (expected a rising range such as 0-9"),
        (["--labels", "9-0"], "--labels: '9-0' (expected a rising range"),
        (["--labels", "0-99999999999999999999"], "--labels: '0-99999999999999999999' (expected"),
        (["--labels", "1,,2"], "--labels: '1,,2' (expected"),
        (["--labels", "1,1"], "--labels: '1,1' (expected"),
        (["--labels", "0-9", "--n", "200"], "--n: 200 x 10 classes (expected from 1 to 1024 images in all)"),
        (["--label", "1", "--labels", "0-9"], "give --label or --labels, not both"),
        (["--label", "-2"], "--label: -2 (expected an int >= 0)"),
    ]:
        assert main(["sample", checkpoint, *args, "--out", str(tmp_path / "bad.png")]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "bad.png").exists()


def test_an_unconditional_checkpoint_refuses_labels(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "vae", "--subset", "64", "--batch-size", "16", "--epochs", "1", "--no-progress",
                 "--out", str(out)]) == 0  # fmt: skip
    assert main(["sample", str(out / "checkpoint.npz"), "--label", "3", "--out", str(tmp_path / "x.png")]) == 2
    assert "--label: 3 (vae is not conditional; cgan and cvae take labels)" in capsys.readouterr().err


def test_build_model_by_name():
    assert isinstance(build_model("cgan", (1, 28, 28)), CGAN)
    assert isinstance(build_model("cvae", (1, 28, 28), latent_dim=4), CVAE)


def test_the_default_recipes_draw_the_digit_asked_for():
    """After each default recipe (seed 0) the shipped judge reads 95.1% of the CVAE's digits and 82.4% of the
    conditional GAN's as the label asked for (issue 16's weaker judge, 96.2% on the test digits, read 96% and 92%;
    the shipped one, trained to read blurred and speckled digits too, is stricter on the GAN's speckles)."""
    from minigen.metrics import class_accuracy, load_judge

    judge, _ = load_judge("mnist-embedded")
    asked = np.repeat(np.arange(10), 100)
    for model, target in (("cvae", 0.93), ("cgan", 0.80)):
        with tempfile.TemporaryDirectory() as out:
            trainer = Trainer(TrainConfig(model=model, out=out), log=lambda *args: None, progress=False)
            trainer.fit()
        model_ = trainer.model.eval()
        mg.manual_seed(1000)
        drawn = model_.sample(len(asked), labels=mg.tensor(asked)).numpy()
        low, high = model_.data_range
        overall, per_class = class_accuracy(judge, ((drawn - low) / (high - low)).astype(np.float32), asked)
        assert overall >= target, f"{model}: {overall:.1%} drawn as asked (per class {np.round(per_class, 2)})"
