"""The ``minigen`` command: errors are one line with exit status 2, train -> sample writes a PNG, info."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigen
from minigen import backend, serialization
from minigen.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--subset", "128", "--batch-size", "64", "--epochs", "1", "--no-progress"]


def run_minigen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m minigen ARGS`` in a fresh interpreter, as a user would run it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "minigen", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A one-epoch VAE run made through the command (in-process), its folder."""
    out = tmp_path_factory.mktemp("cli-run") / "vae"
    assert main(["train", "vae", *TINY, "--out", str(out)]) == 0
    return out


def test_train_then_sample_writes_a_png(trained, tmp_path, capsys):
    assert (trained / "checkpoint.npz").is_file() and (trained / "samples_epoch_001.png").is_file()
    grid = tmp_path / "grid.png"
    assert main(["sample", str(trained / "checkpoint.npz"), "--n", "16", "--out", str(grid)]) == 0
    assert "wrote 16 samples" in capsys.readouterr().out
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = __import__("matplotlib.image", fromlist=["imread"]).imread(grid)
    assert image.ndim == 3 and np.ptp(image) > 0.5  # not a blank picture


def test_unknown_model_and_dataset(tmp_path):
    assert_one_line_error(run_minigen("train", "transformer", cwd=tmp_path), "model: 'transformer' (expected one of")
    assert_one_line_error(run_minigen("train", "vae", "--dataset", "svhn", cwd=tmp_path),
                          "--dataset: 'svhn' (expected one of")  # fmt: skip


@pytest.mark.skipif(backend.cuda_is_available(), reason="checks the message given when there is no GPU")
def test_cuda_without_gpu(tmp_path):
    assert_one_line_error(run_minigen("train", "vae", "--device", "cuda", cwd=tmp_path), "device 'cuda'", "not usable")


def test_unreadable_and_mismatched_checkpoints(trained, tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a checkpoint at all")
    assert_one_line_error(run_minigen("sample", str(junk), cwd=tmp_path), "checkpoint: ", "cannot read it")
    assert_one_line_error(run_minigen("sample", str(tmp_path / "missing.npz"), cwd=tmp_path), "no such file")

    # a checkpoint whose config says "gan" but whose weights are a VAE's
    state = serialization.load(trained / "checkpoint.npz")
    state["config"] = state["config"].replace('"model": "vae"', '"model": "gan"')
    serialization.save(state, tmp_path / "mixed.npz")
    assert_one_line_error(run_minigen("sample", str(tmp_path / "mixed.npz"), cwd=tmp_path),
                          "do not fit a 'gan' model")  # fmt: skip

    # resuming with a different batch size, or with nothing to resume from
    resumed = run_minigen("train", "vae", "--out", str(trained), "--resume", "--batch-size", "32", cwd=tmp_path)
    assert_one_line_error(resumed, "--batch-size: 32 (cannot resume with it", "batch_size=64")
    assert_one_line_error(run_minigen("train", "vae", "--out", str(tmp_path / "none"), "--resume", cwd=tmp_path),
                          "--resume: ", "no checkpoint.npz in that folder")  # fmt: skip


def test_info_and_help(tmp_path):
    info = run_minigen("info", cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    assert f"minigen {minigen.__version__}" in info.stdout
    assert "backend: numpy" in info.stdout and "cuda GPU usable:" in info.stdout
    assert "data cache:" in info.stdout
    bare = run_minigen(cwd=tmp_path)  # no command: the help, exit status 2
    assert bare.returncode == 2 and "usage: minigen" in bare.stderr and "train" in bare.stderr


def test_train_help_reads_the_model_registry(capsys):
    """``train``'s choices, its option help and its list of models come from minigen.models.MODELS."""
    from minigen.models import MODELS

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "{" + ",".join(MODELS) + "}" in text
    for name, spec in MODELS.items():
        assert f"{name} {spec.description}" in text and spec.recipe() in text
    assert "--beta BETA vae, cvae, conv-vae:" in text and "gan, cgan, dcgan: real label" in text
    assert "default gan 40, cgan 40, dcgan 3, wgan-gp 40, vae 20, cvae 20, conv-vae 10, cnn-mse 3" in text
    assert "--gp-weight GP_WEIGHT wgan-gp: weight lambda of the gradient penalty (default 10)" in text
