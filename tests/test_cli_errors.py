"""Every failure of every subcommand is one line, ``minigen: error: <what>: <value> (<expected>)``, exit status 2,
naming the argument, never a traceback; nothing is overwritten unless asked; ``--version``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import minigen
from minigen.cli import main
from minigen.train import ConfigError, TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[1]
# Tiny settings, so that a probe the command wrongly accepts still ends at once.
TINY = ["--subset", "64", "--batch-size", "16", "--epochs", "1", "--max-steps", "1", "--no-progress"]


def run_main(argv, capsys):
    """``main(argv)`` in-process: (status, stdout, stderr). An exception escaping it fails the test (a traceback)."""
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_error(status, err, *fragments):
    lines = err.strip().splitlines()
    assert status == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("minigen: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def run_minigen(*args, cwd, env=None):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **(env or {})}
    return subprocess.run([sys.executable, "-m", "minigen", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-errors") / "vae"
    assert main(["train", "vae", *TINY, "--out", str(out)]) == 0
    return out / "checkpoint.npz"


# --------------------------------------------------------------------------- train
TRAIN_PROBES = [
    (["--epochs", "0"], "--epochs: 0"),
    (["--epochs", "-3"], "--epochs: -3"),
    (["--epochs", "x"], "--epochs: 'x' (expected an int"),
    (["--batch-size", "0"], "--batch-size: 0"),
    (["--batch-size", "-1"], "--batch-size: -1"),
    (["--batch-size", "100000"], "--batch-size: 100000"),
    (["--log-every", "0"], "--log-every: 0"),
    (["--lr", "nan"], "--lr: nan"),
    (["--lr", "inf"], "--lr: inf"),
    (["--lr", "-1"], "--lr: -1"),
    (["--lr", "0"], "--lr: 0"),
    (["--lr", "abc"], "--lr: 'abc' (expected a number"),
    (["--beta", "nan"], "--beta: nan"),
    (["--beta", "inf"], "--beta: inf"),
    (["--beta", "-1"], "--beta: -1"),
    (["--latent-dim", "0"], "--latent-dim: 0"),
    (["--seed", "-1"], "--seed: -1"),
    (["--seed", str(2**40)], "--seed: "),
    (["--device", "nonsense"], "--device: nonsense"),
    (["--likelihood", "poisson"], "--likelihood: 'poisson'"),
    (["--dataset", "svhn"], "--dataset: 'svhn'"),
    (["--subset", "0"], "--subset: 0"),
    (["--max-steps", "0"], "--max-steps: 0"),
    (["--bogus"], "--bogus"),
    (["--epochs"], "--epochs: nothing"),
]


@pytest.mark.parametrize("args, fragment", TRAIN_PROBES, ids=[" ".join(a) for a, _ in TRAIN_PROBES])
def test_train_refuses_a_bad_option_in_one_line(tmp_path, capsys, args, fragment):
    # the probe comes last: argparse keeps the last value of an option given twice
    status, _, err = run_main(["train", "vae", *TINY, "--out", str(tmp_path / "run"), *args], capsys)
    assert_error(status, err, fragment)
    assert not (tmp_path / "run").exists()  # a refused command leaves nothing behind


@pytest.mark.parametrize(
    "model, option, users",
    [("gan", ["--likelihood", "gaussian"], "vae, cvae, conv-vae"), ("dcgan", ["--beta", "4"], "vae, cvae, conv-vae"),
     ("gan", ["--beta", "1"], "vae, cvae, conv-vae"), ("cnn-mse", ["--likelihood", "bernoulli"], "vae, cvae, conv-vae"),
     ("vae", ["--label-smoothing", "0.1"], "gan, cgan, dcgan"),
     ("conv-vae", ["--label-smoothing", "0"], "gan, cgan, dcgan"),
     ("cnn-mse", ["--label-smoothing", "0.1"], "gan, cgan, dcgan"), ("wgan-gp", ["--beta", "2"], "vae, cvae, conv-vae"),
     ("dcgan", ["--n-critic", "3"], "wgan-gp"), ("vae", ["--gp-weight", "1"], "wgan-gp")],
)  # fmt: skip
def test_an_option_the_model_does_not_use_is_refused(tmp_path, capsys, model, option, users):
    status, _, err = run_main(["train", model, *TINY, "--out", str(tmp_path / "run"), *option], capsys)
    verb = "uses" if "," not in users else "use"
    assert_error(status, err, f"{option[0]}: ", f"only {users} {verb} it, not {model}")
    assert not (tmp_path / "run").exists()


def test_the_python_api_refuses_an_unused_option_too(tmp_path):
    with pytest.raises(ConfigError, match="only vae, cvae, conv-vae use it, not gan") as caught:
        Trainer(TrainConfig(model="gan", beta=2.0, out=str(tmp_path)))
    assert caught.value.option == "beta"
    resolved = TrainConfig(model="gan").resolved()
    assert resolved.beta is None and resolved.likelihood is None and resolved.label_smoothing == 0.1
    vae = TrainConfig(model="vae").resolved()
    assert vae.beta == 1.0 and vae.label_smoothing is None
    Trainer(TrainConfig(model="vae", out=str(tmp_path / "resolved"), subset=64, batch_size=16).resolved())


def test_train_into_a_folder_holding_a_run_is_refused_then_resume_or_force(checkpoint, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    for path in checkpoint.parent.iterdir():
        (out / path.name).write_bytes(path.read_bytes())
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    status, _, err = run_main(["train", "vae", *TINY, "--out", str(out)], capsys)
    assert_error(status, err, f"--out: {out} (already holds a run", "--resume", "--force")
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    status, _, err = run_main(["train", "vae", *TINY, "--out", str(out), "--resume", "--force"], capsys)
    assert_error(status, err, "--force: ", "resume")
    assert main(["train", "vae", *TINY, "--out", str(out), "--force"]) == 0


def test_train_out_that_is_a_file_or_under_a_file(tmp_path, capsys):
    (tmp_path / "afile").write_text("mine")
    status, _, err = run_main(["train", "vae", *TINY, "--out", str(tmp_path / "afile")], capsys)
    assert_error(status, err, f"--out: {tmp_path / 'afile'} (a file")
    status, _, err = run_main(["train", "vae", *TINY, "--out", str(tmp_path / "afile" / "run")], capsys)
    assert_error(status, err, "--out: ", "cannot write there")
    assert (tmp_path / "afile").read_text() == "mine"


def test_train_out_that_cannot_be_written(tmp_path, capsys, monkeypatch):
    out = tmp_path / "readonly"
    out.mkdir()
    mkdir = Path.mkdir

    def read_only_mkdir(self, *args, **kwargs):  # what a read-only folder does to a non-root user
        if self == out or out in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only_mkdir)
    status, _, err = run_main(["train", "vae", *TINY, "--out", str(out / "run")], capsys)
    assert_error(status, err, "--out: ", "Permission denied")


def test_train_really_read_only_out_and_data_cache(tmp_path, capsys, monkeypatch):
    readonly = tmp_path / "readonly"
    readonly.mkdir(mode=0o500)
    try:
        (readonly / "probe").write_text("")
        pytest.skip("this user writes in read-only folders (root)")
    except PermissionError:
        pass
    status, _, err = run_main(["train", "vae", *TINY, "--out", str(readonly)], capsys)
    assert_error(status, err, "--out: ", "cannot write there")
    monkeypatch.setenv("MINIGEN_DATA", str(readonly / "cache"))
    status, _, err = run_main(["train", "vae", "--dataset", "mnist", *TINY, "--out", str(tmp_path / "r")], capsys)
    assert_error(status, err, "MINIGEN_DATA: ")


def test_train_data_cache_that_cannot_be_made(tmp_path):
    (tmp_path / "afile").write_text("x")  # MINIGEN_DATA under a file: no cache folder can be made there
    result = run_minigen("train", "vae", "--dataset", "mnist", *TINY, "--out", str(tmp_path / "run"), cwd=tmp_path,
                         env={"MINIGEN_DATA": str(tmp_path / "afile" / "cache")})  # fmt: skip
    assert_error(result.returncode, result.stderr, "MINIGEN_DATA: ", str(tmp_path / "afile" / "cache"))


@pytest.mark.parametrize("args, fragment", [
    (["--out", "afile"], "--out: afile (a file"),
    (["--seed", "-1"], "--seed: -1"),
])  # fmt: skip
def test_train_failures_in_a_fresh_interpreter(tmp_path, args, fragment):
    (tmp_path / "afile").write_text("x")
    result = run_minigen("train", "vae", *TINY, *(["--out", "run"] if "--out" not in args else []), *args,
                         cwd=tmp_path)  # fmt: skip
    assert_error(result.returncode, result.stderr, fragment)


def test_resume_failures(checkpoint, tmp_path, capsys):
    status, _, err = run_main(["train", "vae", "--resume", "--out", str(tmp_path / "none")], capsys)
    assert_error(status, err, "--resume: ", "no checkpoint.npz")
    torn = tmp_path / "torn"
    torn.mkdir()
    (torn / "checkpoint.npz").write_bytes(checkpoint.read_bytes()[:300])
    status, _, err = run_main(["train", "vae", "--resume", "--out", str(torn)], capsys)
    assert_error(status, err, "--resume: ", "cannot read it")
    status, _, err = run_main(["train", "vae", "--resume", "--batch-size", "32", "--out", str(checkpoint.parent)],
                              capsys)  # fmt: skip
    assert_error(status, err, "--batch-size: 32 (cannot resume with it")


# --------------------------------------------------------------------------- sample
def test_sample_failures(checkpoint, tmp_path, capsys):
    (tmp_path / "notes.npz").write_text("not a checkpoint")
    (tmp_path / "torn.npz").write_bytes(checkpoint.read_bytes()[:300])
    (tmp_path / "afile").write_text("x")
    probes = [
        ([str(tmp_path / "missing.npz")], "checkpoint: ", "no such file"),
        ([str(checkpoint.parent)], "checkpoint: ", "a folder", "did you mean"),
        ([str(tmp_path / "notes.npz")], "checkpoint: ", "cannot read it"),
        ([str(tmp_path / "torn.npz")], "checkpoint: ", "cannot read it"),
        ([str(checkpoint), "--n", "0"], "--n: 0"),
        ([str(checkpoint), "--n", "-5"], "--n: -5"),
        ([str(checkpoint), "--n", "100000"], "--n: 100000"),
        ([str(checkpoint), "--seed", "-1"], "--seed: -1"),
        ([str(checkpoint), "--device", "nonsense"], "--device: nonsense"),
        ([str(checkpoint), "--out", str(tmp_path / "afile" / "g.png")], "--out: ", "is a file"),
        ([str(checkpoint), "--out", str(tmp_path / "no" / "g.png")], "--out: ", "does not exist"),
        ([str(checkpoint), "--out", str(tmp_path)], "--out: ", ".png"),
        ([str(checkpoint), "--out", str(tmp_path / "grid")], "--out: ", ".png"),
        ([str(checkpoint), "--out", str(tmp_path / "grid.jpg")], "--out: ", ".png"),
        ([], "missing argument: checkpoint"),
    ]
    for args, *fragments in probes:
        out = ["--out", str(tmp_path / "g.png")] if args and "--out" not in args else []
        status, _, err = run_main(["sample", *args, *out], capsys)
        assert_error(status, err, *fragments)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["afile", "notes.npz", "torn.npz"]


def test_sample_does_not_overwrite_unless_forced_and_says_what_it_wrote(checkpoint, tmp_path, capsys):
    grid = tmp_path / "grid.png"
    grid.write_bytes(b"my picture")
    status, _, err = run_main(["sample", str(checkpoint), "--out", str(grid)], capsys)
    assert_error(status, err, f"--out: {grid} (already exists", "--force")
    assert grid.read_bytes() == b"my picture"

    status, out, _ = run_main(["sample", str(checkpoint), "--n", "9", "--out", str(grid), "--force"], capsys)
    assert status == 0
    assert out.startswith(f"wrote 9 samples from {checkpoint} ") and out.strip().endswith(f"to {grid}, a PNG grid")
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["grid.png"]  # no temporary left


def test_sample_writes_atomically(checkpoint, tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    grid = tmp_path / "grid.png"
    grid.write_bytes(b"my picture")

    def crash_midway(self, target, *args, **kwargs):
        Path(target).write_bytes(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", crash_midway)
    status, _, err = run_main(["sample", str(checkpoint), "--out", str(grid), "--force"], capsys)
    assert grid.read_bytes() == b"my picture"  # the old file is whole
    assert status == 1 and "No space left on device" in err and "Traceback" not in err  # 1: the write failed
    assert sorted(path.name for path in tmp_path.iterdir()) == ["grid.png"]


# --------------------------------------------------------------------------- info, version, argparse
def test_version(capsys):
    status, out, _ = run_main(["--version"], capsys)
    assert status == 0 and out.strip() == f"minigen {minigen.__version__}"


def test_argparse_errors_have_the_same_form(capsys):
    for argv, fragment in [(["fly"], "command: 'fly' (expected one of"), (["info", "extra"], "extra"),
                           (["train"], "missing argument: model"), (["train", "gpt"], "model: 'gpt'")]:  # fmt: skip
        status, _, err = run_main(argv, capsys)
        assert_error(status, err, fragment, "see minigen")
