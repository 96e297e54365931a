"""No lost runs: no silent overwrite, metrics.jsonl that survives a crash and NaN, a bad test loss keeps the last
good checkpoint, --lr may change on resume, SIGTERM saves like Ctrl-C, loss plots that show the curves."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minigen.train import ConfigError, NonFiniteLossError, TrainConfig, Trainer, load_checkpoint, plots
from minigen.train.metrics import MetricsLog

ROOT = Path(__file__).resolve().parents[1]
TINY = {"model": "vae", "subset": 256, "batch_size": 64, "log_every": 3}  # 4 steps per epoch


def make_trainer(out, log=None, **overrides):
    settings = {**TINY, "epochs": 1, "out": str(out), **overrides}
    return Trainer(TrainConfig(**settings), log=log or (lambda *args: None), progress=False)


def strict_json(line):
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(line, parse_constant=refuse)


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory):
    out = tmp_path_factory.mktemp("one-epoch")
    make_trainer(out).fit()
    return out


def copy_run(source, target):
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    return target


# ----------------------------------------------------------------------------- never overwrite a run
def test_an_out_holding_a_run_is_refused_and_force_starts_afresh(tmp_path, one_epoch):
    out = copy_run(one_epoch, tmp_path / "run")
    make_trainer(out, epochs=2, resume=True).fit()  # two epochs: samples_epoch_002.png
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    with pytest.raises(ConfigError, match=r"already holds a run.*--resume.*--force") as caught:
        make_trainer(out)
    assert caught.value.option == "out"
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before  # nothing touched

    make_trainer(out, force=True, seed=1).fit()
    assert load_checkpoint(out / "checkpoint.npz")["epoch"] == 1
    assert [json.loads(line)["epoch"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1]
    assert not (out / "samples_epoch_002.png").exists()  # nothing of the old run is left to mislead
    with pytest.raises(ConfigError, match="force.*resume"):
        make_trainer(out, force=True, resume=True)


def test_force_touches_only_the_runs_own_files_and_only_once_every_check_passed(tmp_path, one_epoch, monkeypatch):
    out = copy_run(one_epoch, tmp_path / "run")
    mine = {".report.txt.deadbeef.tmp": b"a user's", "samples_epoch_final.png": b"a user's", "notes.md": b"a user's"}
    for name, content in mine.items():
        (out / name).write_bytes(content)
        os.utime(out / name, (time.time() - 7200, time.time() - 7200))  # old enough to look stale
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # not installed: refused before anything is removed
    with pytest.raises(ConfigError, match="tensorboard.*tensorboardX"):
        make_trainer(out, force=True, tensorboard=True)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    make_trainer(out, force=True, seed=1).fit()
    assert all((out / name).read_bytes() == content for name, content in mine.items())


def test_an_empty_folder_is_no_run(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    make_trainer(tmp_path, max_steps=1).fit()
    assert (tmp_path / "notes.txt").read_text() == "mine"


# ----------------------------------------------------------------------------- metrics.jsonl
def test_a_torn_last_metrics_line_is_dropped_with_a_warning(tmp_path, one_epoch):
    out = copy_run(one_epoch, tmp_path / "run")
    with (out / "metrics.jsonl").open("a") as file:
        file.write('{"epoch": 2, "step": 8, "loss": 14')  # the process died while writing epoch 2
    messages = []
    make_trainer(out, log=messages.append, epochs=2, resume=True).fit()
    assert any("metrics.jsonl, line 2" in m and "dropped" in m for m in messages), messages
    records = [strict_json(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in records] == [1, 2]


def test_a_corrupt_metrics_line_is_refused_naming_the_file_and_line(tmp_path, one_epoch):
    out = copy_run(one_epoch, tmp_path / "run")
    make_trainer(out, epochs=2, resume=True).fit()
    lines = (out / "metrics.jsonl").read_text().splitlines()
    (out / "metrics.jsonl").write_text("\n".join(["garbage{", *lines]) + "\n")
    with pytest.raises(ConfigError, match=r"metrics.jsonl, line 1 \(") as caught:
        make_trainer(out, epochs=3, resume=True)
    assert "\n" not in str(caught.value)


def test_non_finite_numbers_are_written_as_valid_json_and_read_back(tmp_path):
    log = MetricsLog(tmp_path)
    log.log_epoch({"epoch": 1, "step": 4, "loss": math.nan, "kl": math.inf, "recon": 1.5})
    line = (tmp_path / "metrics.jsonl").read_text().splitlines()[0]
    assert strict_json(line) == {"epoch": 1, "step": 4, "loss": None, "kl": None, "recon": 1.5}
    (record,) = MetricsLog.read(tmp_path / "metrics.jsonl")
    assert math.isnan(record["loss"]) and record["recon"] == 1.5
    # what earlier versions wrote: bare NaN and Infinity
    (tmp_path / "old.jsonl").write_text('{"epoch": 1, "loss": NaN, "kl": Infinity}\n')
    (old,) = MetricsLog.read(tmp_path / "old.jsonl")
    assert math.isnan(old["loss"]) and old["kl"] == math.inf


# ----------------------------------------------------------------------------- a NaN test loss
def test_a_non_finite_test_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path, epochs=3)
    evaluate = trainer.task.evaluate

    def poisoned(loader):
        numbers = evaluate(loader)
        if trainer.epoch == 2:
            numbers["test_loss"] = math.nan
        return numbers

    trainer.task.evaluate = poisoned
    with pytest.raises(NonFiniteLossError, match=r"test_loss is nan .*after epoch 2.*not saved"):
        trainer.fit()
    assert load_checkpoint(tmp_path / "checkpoint.npz")["epoch"] == 1  # epoch 1's checkpoint, untouched
    assert [json.loads(line)["epoch"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [1]
    assert not (tmp_path / "samples_epoch_002.png").exists()


# ----------------------------------------------------------------------------- a new lr on resume
@pytest.mark.parametrize("model", ["vae", "gan"])
def test_resume_with_a_new_lr_uses_it_and_records_it(tmp_path, model):
    settings = {"model": model, "subset": 64, "batch_size": 16} if model == "gan" else {}
    make_trainer(tmp_path, **settings).fit()
    old_lr = TrainConfig(model=model).resolved().lr
    messages = []
    trainer = make_trainer(tmp_path, log=messages.append, **settings, epochs=2, resume=True, lr=old_lr / 10)
    groups = [group for optimizer in trainer.task.optimizers.values() for group in optimizer.param_groups]
    assert len(groups) >= 1 and all(group["lr"] == pytest.approx(old_lr / 10) for group in groups)
    assert any("resuming with lr" in m for m in messages)
    trainer.fit()
    records = [strict_json(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [(r["epoch"], r["lr"]) for r in records] == [(1, pytest.approx(old_lr)), (2, pytest.approx(old_lr / 10))]
    assert load_checkpoint(tmp_path / "checkpoint.npz")["config"].lr == pytest.approx(old_lr / 10)


# ----------------------------------------------------------------------------- SIGTERM
def test_sigterm_handler_is_installed_while_training_and_restored_after():
    from minigen.train.trainer import _ctrl_c_waits_for_step

    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    with _ctrl_c_waits_for_step():
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None)
        assert signal.getsignal(signal.SIGTERM) is signal.getsignal(signal.SIGINT)
    assert {signum: signal.getsignal(signum) for signum in before} == before


def test_a_second_signal_mid_step_stops_at_once_without_saving_a_half_step(tmp_path, one_epoch):
    from minigen.train import TrainingInterrupted

    out = copy_run(one_epoch, tmp_path / "run")
    before = (out / "checkpoint.npz").read_bytes()
    trainer = make_trainer(out, epochs=2, resume=True)
    train_step = trainer.task.train_step

    def interrupted_twice(x, labels=None):
        os.kill(os.getpid(), signal.SIGINT)  # the first asks for a stop after this step
        os.kill(os.getpid(), signal.SIGINT)  # the second stops now, in the middle of the step
        return train_step(x, labels)

    trainer.task.train_step = interrupted_twice
    with pytest.raises(TrainingInterrupted, match="not saved") as caught:
        trainer.fit()
    assert caught.value.saved is False
    assert (out / "checkpoint.npz").read_bytes() == before  # the last consistent checkpoint, untouched


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a POSIX signal")
def test_sigterm_saves_a_checkpoint_and_exits_143(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}  # fmt: skip
    command = [sys.executable, "-m", "minigen", "train", "vae", "--subset", "2048", "--batch-size", "16",
               "--epochs", "50", "--no-progress", "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        line = ""
        while not line.startswith("training ") and time.monotonic() < deadline:  # printed once the handlers are in
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
        assert line.startswith("training "), process.stderr.read()
        time.sleep(0.5)  # a few steps in
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 128 + signal.SIGTERM, stderr  # 143, as a shell reports "killed by SIGTERM"
    assert "Traceback" not in stderr
    assert "checkpoint saved to" in stderr and "--resume" in stderr
    state = load_checkpoint(out / "checkpoint.npz")
    assert state["step"] >= 1
    assert not [path for path in out.iterdir() if path.name.endswith(".tmp")]


# ----------------------------------------------------------------------------- loss plots
def test_loss_plot_labels_its_axes_and_ignores_the_first_steps_spike(tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(plots, "_save", lambda figure, path: figures.append(figure))
    rng = np.random.default_rng(0)
    steps = np.arange(1, 201)
    d_loss, g_loss = 1.0 + 0.1 * rng.random(200), 2.0 + 0.1 * rng.random(200)
    d_loss[0] = 1e6  # the first step's spike
    d_real, d_fake = 0.6 + 0.01 * rng.random(200), 0.4 + 0.01 * rng.random(200)
    panels = (("losses", ("d_loss", "g_loss")), ("D output: sigmoid(D(x)) mean", ("d_real", "d_fake")))
    plots.save_loss_curves(tmp_path / "losses.png", steps,
                           {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake}, panels, 20)
    (figure,) = figures
    losses, outputs = figure.axes
    assert [axes.get_xlabel() for axes in figure.axes] == ["epoch", "epoch"]
    assert losses.get_ylabel() == "loss" and "sigmoid(D)" in outputs.get_ylabel()
    low, high = losses.get_ylim()
    assert high < 10 and low > 0.5  # the curves fill the panel, the spike is off it
    assert outputs.get_ylim()[0] > 0.3 and outputs.get_ylim()[1] < 0.7


def test_pictures_are_written_whole_at_the_path_given(tmp_path):
    plots.save_image_grid(np.zeros((4, 1, 8, 8), np.float32), tmp_path / "grid")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["grid"]  # no "grid.png", no temporary left
    assert (tmp_path / "grid").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
