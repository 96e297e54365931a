"""The training loop shared by every model: data, steps, logging, pictures and checkpoints.

    from minigen.train import TrainConfig, Trainer
    summary = Trainer(TrainConfig(model="vae", epochs=5)).fit()

Per epoch it runs the task's steps over shuffled batches (:mod:`.gan`,
:mod:`.vae`, :mod:`.regression`), then measures the test split (VAEs), draws
``samples_epoch_NNN.png`` from a fixed noise batch, redraws ``losses.png``,
appends to ``metrics.jsonl`` and writes ``checkpoint.npz``.

Two habits keep a GPU busy and the numbers honest:

* **Losses stay on the device.** Each step's losses are kept as 0-d device
  tensors and brought to the host together every ``log_every`` steps (one
  transfer), never with ``.item()`` per step, which would make the CPU wait
  for the GPU at every step.
* **A NaN or Inf stops the run** at the next transfer, naming the first bad step
  and loss; a non-finite test loss stops it too, before the epoch is saved:
  the last good checkpoint is left untouched.

Ctrl-C or SIGTERM (what ``kill``, job schedulers and containers send) finishes
the current step, saves a checkpoint and stops (a second one stops at once,
without saving). ``resume=True`` reloads the weights, the optimizers' state,
the random generators and the loader's position: on the CPU the resumed run
computes exactly the losses the uninterrupted one would have. A resumed run
may train more epochs or with another learning rate (recorded per epoch in
``metrics.jsonl``).

A folder that already holds a run is never overwritten unless asked:
``resume=True`` continues it, ``force=True`` starts afresh over it (removing
its samples, curves, metrics and checkpoint first).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

import minigen.random
from minigen import backend
from minigen.data import Compose, DataLoader, Pad, Scale, load_dataset
from minigen.data.registry import dataset_spec
from minigen.models import MODELS, build_model
from minigen.tensor import Tensor, no_grad

from . import plots
from .checkpoint import (
    CHECKPOINT_NAME,
    load_checkpoint,
    model_from_checkpoint,
    remove_stale_temporaries,
    save_checkpoint,
)
from .config import ConfigError, TrainConfig, bad_setting
from .gan import GANTask
from .metrics import MetricsLog, require_tensorboard
from .regression import RegressionTask
from .vae import VAETask
from .wgan import WGANGPTask

__all__ = ["NonFiniteLossError", "TASKS", "Trainer", "TrainingInterrupted", "image_shape_for", "transform_for"]

TASKS = {"gan": GANTask, "vae": VAETask, "regression": RegressionTask, "wgan-gp": WGANGPTask}
SAMPLE_GRID_SIZE = 64
CONDITIONAL_GRID_ROWS = 8
# --eval-every: samples read by the judge, a VAE's importance samples per test image, what is recorded and drawn
EVAL_SAMPLES, EVAL_K = 2000, 100
EVAL_KEYS = ("judge_score", "classes_covered", "frechet", "precision", "recall", "elbo_nats", "nll_nats")
EVAL_PANELS = (
    ("judge score of 2,000 samples", ("judge_score",)),
    ("Fréchet judge distance", ("frechet",)),
    ("precision and recall (k = 3)", ("precision", "recall")),
)

class NonFiniteLossError(RuntimeError):
    """A loss became NaN or Inf: training stopped (the message names the step and the loss)."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during training: a checkpoint was saved first (``.checkpoint`` is its path).

    ``signum``: the signal that stopped it (``signal.SIGINT`` or ``signal.SIGTERM``); ``saved``: False
    when a second signal stopped it at once, leaving the previous checkpoint (if any) as it was.
    """

    def __init__(self, message: str, checkpoint: Path, signum: int = signal.SIGINT, saved: bool = True) -> None:
        super().__init__(message)
        self.checkpoint, self.signum, self.saved = checkpoint, int(signum), saved


def image_shape_for(model: str, dataset: str) -> tuple[int, int, int]:
    """The (C, H, W) the model sees: the dataset's, padded to the model's ``image_size`` if it has one and the
    images are smaller (DCGAN: 28x28 digits padded to 32x32)."""
    channels, height, width = dataset_spec(dataset).shape
    size = MODELS[model].image_size
    if size is not None and height == width < size and (size - height) % 2 == 0:
        return channels, size, size
    return channels, height, width


def transform_for(model: str, dataset: str) -> Compose:
    """uint8 images -> the model's input: padded to the model's image size (DCGAN: 32x32), scaled to its
    data_range."""
    steps = []
    height, size = dataset_spec(dataset).shape[1], image_shape_for(model, dataset)[1]
    if size != height:
        steps.append(Pad((size - height) // 2))  # pad before scaling, so the border takes the background's value
    steps.append(Scale(*MODELS[model].data_range))
    return Compose(steps)


# The signals that stop a run after the current step, with a checkpoint, and their names in messages.
STOP_SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class _StopEvent(threading.Event):
    """Set by the first stop signal; ``signum`` says which one."""

    signum: int = signal.SIGINT


@contextlib.contextmanager
def _ctrl_c_waits_for_step() -> Iterator[_StopEvent]:
    """While inside, a first Ctrl-C or SIGTERM only sets the yielded event (checked between steps);
    a second one interrupts at once. Both handlers are restored on leaving.

    Stopping between steps keeps the weights, the optimizer and the random state
    consistent, so the checkpoint written then resumes exactly.
    """
    requested = _StopEvent()
    if threading.current_thread() is not threading.main_thread():
        yield requested  # signals reach only the main thread: a Ctrl-C there raises KeyboardInterrupt as usual
        return
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}

    def handler(signum: int, frame: Any) -> None:
        if requested.is_set():
            raise KeyboardInterrupt
        requested.signum = signum
        requested.set()
        name = STOP_SIGNALS.get(signum, f"signal {signum}")
        print(f"\n{name}: stopping after this step and saving a checkpoint ({name} again to stop at once)",
              file=sys.stderr, flush=True)  # fmt: skip

    for signum in STOP_SIGNALS:
        signal.signal(signum, handler)
    try:
        yield requested
    finally:
        for signum, restore in previous.items():
            signal.signal(signum, restore)


class _StopRequested(Exception):
    """Raised between steps to stop and save: ``max_steps`` reached (signum None), or a stop signal."""

    def __init__(self, signum: int | None = None) -> None:
        super().__init__(signum)
        self.signum = signum


# What a run writes in its folder (a regular expression on file names): a folder holding any of these holds a run.
RUN_FILES = r"checkpoint\.npz|metrics\.jsonl|losses\.png|samples_epoch_\d{3,}\.png"
TENSORBOARD_FILES = "events.out.tfevents.*"  # what tensorboardX writes in out/tensorboard


def _holds_run(folder: Path) -> list[Path]:
    """The files of a run in ``folder`` ([] when none, or no folder); nothing else in it is the run's."""
    if not folder.is_dir():
        return []
    run = sorted(path for path in folder.iterdir() if re.fullmatch(RUN_FILES, path.name) and path.is_file())
    return run + sorted((folder / "tensorboard").glob(TENSORBOARD_FILES))


def _prepare_out(folder: Path) -> None:
    """Create ``folder`` if needed and check that files can be written in it (ConfigError if not)."""
    if folder.exists() and not folder.is_dir():
        raise bad_setting("out", folder, "a file, expected a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".minigen-write-test.{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise bad_setting("out", folder, f"cannot write there: {reason}; expected a writable folder") from None


class Trainer:
    """One training run of ``config`` (a :class:`TrainConfig`); call :meth:`fit`.

    ``log``: where one-line messages go (default ``print``); ``progress``: show
    tqdm bars (None: only on a terminal).
    """

    def __init__(self, config: TrainConfig, log: Any = print, progress: bool | None = None) -> None:
        given = {f.name for f in dataclasses.fields(TrainConfig) if getattr(config, f.name) != f.default}
        self.log, self.progress = log, progress
        requested = config
        config = config.resolved()
        requested.check_options_apply()
        if config.tensorboard:  # before anything is written or removed
            require_tensorboard()
        self.out = Path(config.out)
        self.checkpoint_path = self.out / CHECKPOINT_NAME
        if self.out.exists() and not self.out.is_dir():
            raise bad_setting("out", self.out, "a file, expected a folder")
        saved, previous_lr = None, None
        if config.resume:
            if not self.checkpoint_path.is_file():
                raise bad_setting("resume", self.out, f"no {CHECKPOINT_NAME} in that folder to continue from")
            try:
                saved = load_checkpoint(self.checkpoint_path)
            except ConfigError as error:
                raise self._unusable_checkpoint(error) from None
            config.check_resumable_from(saved["config"], given)
            # How long, how fast and where to train may change on resume; what the numbers depend on may not.
            changeable = ("device", "out", "log_every", "eval_every", "tensorboard", "max_steps")
            settings = {name: getattr(config, name) for name in changeable}
            settings.update({name: getattr(config, name) for name in ("epochs", "lr") if name in given})
            previous_lr = saved["config"].lr
            config = dataclasses.replace(saved["config"], resume=True, force=False, **settings).resolved()
        elif not config.force and _holds_run(self.out):
            raise bad_setting(
                "out", self.out, "already holds a run: continue it with --resume, or start afresh over it with --force"
            )
        try:
            backend.get_device(config.device)
        except ValueError:
            raise bad_setting("device", config.device, "unknown device; expected cpu or cuda") from None
        except RuntimeError as error:
            raise bad_setting("device", config.device, " ".join(str(error).split())) from None
        self.config = config

        minigen.random.manual_seed(config.seed)
        self.image_shape = image_shape_for(config.model, config.dataset)
        self.train_loader, self.test_loader = self._loaders()
        steps = len(self.train_loader) * config.epochs
        if config.n_critic is not None and config.n_critic > steps:
            raise bad_setting("n_critic", config.n_critic,
                              f"more than the run's {steps} critic steps: the generator would never train")  # fmt: skip
        if saved is not None:
            try:
                self.model = model_from_checkpoint(saved, self.image_shape, config.device)
            except ConfigError as error:
                raise self._unusable_checkpoint(error) from None
        else:
            kwargs = {} if config.latent_dim is None else {"latent_dim": config.latent_dim}
            self.model = build_model(config.model, self.image_shape, **kwargs).to(config.device)
        self.task = TASKS[self.model.kind](self.model, config)
        # The noise behind every sample grid: drawn once from the seed by its own generator, so the
        # grids of successive epochs (and of a resumed run) show the same z, and training's noise is untouched.
        # A conditional model's grid has a column per class and one z per row: each row is one style, every digit.
        classes = max(self.model.num_classes, 1)
        rows = SAMPLE_GRID_SIZE if classes == 1 else CONDITIONAL_GRID_ROWS
        noise = np.random.default_rng([config.seed, 1]).standard_normal((rows, self.model.latent_dim))
        noise = np.repeat(noise, classes, axis=0)
        self.fixed_noise = Tensor(backend.as_array(noise.astype(np.float32), device=config.device))
        labels = backend.as_array(np.tile(np.arange(classes), rows), device=config.device)
        self.fixed_labels = self.model.condition(labels if self.model.conditional else None)
        self.grid_columns = classes if self.model.conditional else None

        self.epoch, self.step = 0, 0
        self.history: dict[str, list[float]] = {"step": [], **{name: [] for name in self.task.loss_names}}
        self._pending: list[dict[str, Tensor]] = []
        self._batches: Iterator | None = None
        self._judge: tuple[Any, dict[str, Any]] | None = None  # (judge, real reference): the first --eval-every
        _prepare_out(self.out)  # made only now that every setting was checked
        # what a killed run left half-written (checkpoint, metrics, pictures); a live writer's files are kept
        stale = remove_stale_temporaries(self.out, names=RUN_FILES)
        if stale:
            self.log(f"removed {len(stale)} temporary file(s) that an interrupted run left in {self.out}")
        if saved is not None:
            self._restore(saved)
            self._set_lr(config.lr)  # the optimizers' state brought back the checkpoint's lr
            if previous_lr != config.lr:
                self.log(f"resuming with lr {config.lr:g} (the run trained with lr {previous_lr:g} until now)")
        elif config.force:
            for path in _holds_run(self.out):  # start afresh: no sample or curve of the old run stays behind
                path.unlink()
        log_warning = (lambda message: None) if log is None else log
        self.metrics = MetricsLog(self.out, config.tensorboard, keep_epochs=self.epoch if saved else None,
                                  log=log_warning)  # fmt: skip

    # ------------------------------------------------------------------ setup
    def _loaders(self) -> tuple[DataLoader, DataLoader]:
        config = self.config
        transform = transform_for(config.model, config.dataset)
        loaders = []
        for split, shuffle in (("train", True), ("test", False)):
            try:
                images, labels = load_dataset(config.dataset, split)
            except OSError as error:  # the data cache ($MINIGEN_DATA) cannot be made or written
                raise _cache_error(error) from None
            if config.subset is not None:
                images, labels = images[: config.subset], labels[: config.subset]
            batch_size = min(config.batch_size, len(images)) if split == "test" else config.batch_size
            if split == "train" and batch_size > len(images):
                raise bad_setting("batch_size", batch_size, f"larger than the {len(images)} training images")
            loaders.append(
                DataLoader(images, labels, batch_size, shuffle=shuffle, seed=config.seed, drop_last=split == "train",
                           transform=transform, device=config.device)
            )  # fmt: skip
        return loaders[0], loaders[1]

    def _restore(self, saved: dict[str, Any]) -> None:
        try:
            self.task.load_optimizer_state(saved["optimizers"])
            self.train_loader.load_state_dict(saved["loader"])
        except (KeyError, ValueError, TypeError) as error:
            reason = " ".join(f"does not match this run: {error}".split())
            raise bad_setting("resume", self.checkpoint_path, reason) from None
        minigen.random.set_rng_state(saved["rng"])
        self.epoch, self.step = saved["epoch"], saved["step"]
        history = saved.get("history", {})
        for name in self.history:
            self.history[name] = [float(v) for v in np.asarray(history.get(name, []), dtype=np.float64)]

    def _unusable_checkpoint(self, error: ConfigError) -> ConfigError:
        """``load_checkpoint``'s error as ``resume: PATH (reason)``."""
        reason = " ".join(str(error).split())
        for prefix in (f"cannot read checkpoint {self.checkpoint_path}: ", f"checkpoint {self.checkpoint_path} "):
            if reason.startswith(prefix):
                reason = ("cannot read it: " if prefix.startswith("cannot") else "") + reason[len(prefix) :]
        return bad_setting("resume", self.checkpoint_path, reason)

    def _set_lr(self, lr: float) -> None:
        for optimizer in self.task.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = float(lr)

    @property
    def lr(self) -> float:
        """The learning rate the optimizers use now."""
        return float(next(iter(self.task.optimizers.values())).param_groups[0]["lr"])

    # ------------------------------------------------------------------ loop
    def fit(self) -> dict[str, Any]:
        """Train up to ``config.epochs`` epochs; returns the last epoch's metrics record ({} if none ran).

        Raises :class:`NonFiniteLossError` on a NaN/Inf loss (train or test) and :class:`TrainingInterrupted`
        (a KeyboardInterrupt) after saving a checkpoint when Ctrl-C is pressed or SIGTERM received.
        """
        config = self.config
        if self.epoch >= config.epochs:
            self.log(f"{self.out}: already trained {self.epoch} epochs (raise --epochs to train more)")
            return self.metrics.records[-1] if self.metrics.records else {}
        try:
            with _ctrl_c_waits_for_step() as stop_requested:
                # logged once the signal handlers are in place: from this line on, SIGTERM saves a checkpoint
                self.log(
                    f"training {config.model} on {config.dataset} ({len(self.train_loader)} batches of "
                    f"{config.batch_size} per epoch, device {config.device}, lr {self.lr:g}) from epoch "
                    f"{self.epoch + 1} to {config.epochs}; writing to {self.out}"
                )
                while self.epoch < config.epochs:
                    self._run_epoch(stop_requested)
        except KeyboardInterrupt:  # a second signal, or Ctrl-C with no handler: stop at once, save nothing
            if self._batches is None:
                raise
            raise TrainingInterrupted(
                f"stopped at once at step {self.step} (epoch {self.epoch + 1}), not saved; the last checkpoint "
                f"(if any) is {self.checkpoint_path}: continue with --resume",
                self.checkpoint_path, getattr(stop_requested, "signum", signal.SIGINT), saved=False,
            ) from None  # fmt: skip
        except _StopRequested as stop:  # between two steps: the state is consistent, save it
            self._flush()
            self._save()
            reason = "--max-steps reached" if stop.signum is None else f"interrupted ({STOP_SIGNALS[stop.signum]})"
            message = (
                f"{reason} at step {self.step} (epoch {self.epoch + 1}); checkpoint saved to {self.checkpoint_path}: "
                "continue with --resume"
            )
            if stop.signum is None:
                self.log(message)
                return {}
            raise TrainingInterrupted(message, self.checkpoint_path, stop.signum) from None
        finally:
            self._batches = None
            self.metrics.close()
        return self.metrics.records[-1]

    def _run_epoch(self, stop_requested: threading.Event) -> None:
        from tqdm.auto import tqdm

        config, loader = self.config, self.train_loader
        started = time.perf_counter()
        first_step = self.step - loader.state_dict()["batches_done"]
        bar = tqdm(
            total=len(loader), initial=self.step - first_step, desc=f"epoch {self.epoch + 1}/{config.epochs}",
            disable=None if self.progress is None else not self.progress, leave=False, unit="batch",
        )  # fmt: skip
        self.model.train()
        # The loader's iterator is kept on self: until the epoch ends, the loader's state_dict() says
        # how far into the epoch it is, which is what a checkpoint saved on Ctrl-C must record.
        self._batches = iter(loader)
        try:
            for x, labels in self._batches:
                self._pending.append(self.task.train_step(x, labels))
                self.step += 1
                bar.update(1)
                if len(self._pending) >= config.log_every:
                    self._flush(bar)
                if stop_requested.is_set():
                    raise _StopRequested(stop_requested.signum)
                if config.max_steps is not None and self.step >= config.max_steps:
                    raise _StopRequested
            self._batches = None
            self._flush(bar)
        finally:
            bar.close()
        self.epoch += 1
        record = {"epoch": self.epoch, "step": self.step, "seconds": round(time.perf_counter() - started, 3),
                  "lr": self.lr}  # fmt: skip
        steps = np.asarray(self.history["step"])
        in_epoch = steps > first_step
        for name in self.task.loss_names:
            record[name] = float(np.mean(np.asarray(self.history[name])[in_epoch])) if in_epoch.any() else math.nan
        measured = self.task.evaluate(self.test_loader)
        for name, value in measured.items():  # checked like the training losses, before anything is saved
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"{name} is {value} on the test split after epoch {self.epoch}; training stopped, this epoch "
                    f"was not saved and the last good checkpoint (if any) is {self.checkpoint_path}; "
                    "try a lower --lr (--resume --lr X continues from it)"
                )
        record.update(measured)
        every = config.eval_every
        if every is not None and (self.epoch % every == 0 or self.epoch == config.epochs):
            try:
                record.update(self._judge_metrics())
            except (OSError, ValueError) as error:  # NaN samples, an unreadable or unwritable judge: the run goes on
                self.log(f"--eval-every: epoch {self.epoch} not measured ({' '.join(str(error).split())})")
        self._pictures(record)
        self.metrics.log_epoch(record)
        self._save()
        self.log(self._summary(record))

    def _flush(self, bar: Any = None) -> None:
        """Bring the pending steps' losses to the host in one transfer; stop on NaN or Inf."""
        if not self._pending:
            return
        names = list(self.task.loss_names)
        xp = backend.get_array_module(self._pending[0][names[0]])
        values = backend.to_numpy(xp.stack([xp.stack([p[n].data for n in names]) for p in self._pending]))
        values = values.astype(np.float64)
        first = self.step - len(self._pending) + 1
        self._pending.clear()
        bad = np.argwhere(~np.isfinite(values))
        if len(bad):
            row, column = bad[0]
            raise NonFiniteLossError(
                f"{names[column]} is {values[row, column]} at step {first + row} (epoch {self.epoch + 1}); "
                f"training stopped, the last good checkpoint (if any) is {self.checkpoint_path}; "
                "try a lower --lr (--resume --lr X continues from it)"
            )
        self.history["step"].extend(range(first, first + len(values)))
        for column, name in enumerate(names):
            self.history[name].extend(values[:, column].tolist())
        self.metrics.log_steps(first, names, values)
        if bar is not None:
            bar.set_postfix({name: f"{values[-1, i]:.4g}" for i, name in enumerate(names)}, refresh=False)

    def _judge_metrics(self) -> dict[str, float]:
        """``minigen eval``'s numbers for EVAL_SAMPLES samples (a VAE's likelihood with EVAL_K importance samples)."""
        from minigen.metrics import evaluate_model, load_judge
        from minigen.metrics.evaluate import real_reference

        config = self.config
        if self._judge is None:
            judge, _ = load_judge(config.dataset, config.device, progress=bool(self.progress))
            self._judge = judge, real_reference(config.dataset, judge, config.device)
        measured = evaluate_model(self.model, config.dataset, n=EVAL_SAMPLES, k=EVAL_K, judge=self._judge[0],
                                  likelihood=config.likelihood or "bernoulli", reference=self._judge[1])  # fmt: skip
        return {name: measured[name] for name in EVAL_KEYS if name in measured}

    # ------------------------------------------------------------------ outputs
    def _pictures(self, record: dict[str, Any]) -> None:
        self.model.eval()
        try:
            with no_grad():
                images = self.model.generate(self.fixed_noise, *self.fixed_labels).numpy()
        finally:
            self.model.train()
        plots.save_image_grid(images, self.out / f"samples_epoch_{self.epoch:03d}.png", self.model.data_range,
                              nrow=self.grid_columns,
                              title=f"{self.config.model}, epoch {self.epoch}")
        done = [*self.metrics.records, record]
        epoch_values = {name: [(r["epoch"], r[name]) for r in done if name in r] for name in ("test_loss", *EVAL_KEYS)}
        judged = any(epoch_values[name] for name in EVAL_KEYS)
        plots.save_loss_curves(
            self.out / "losses.png", np.asarray(self.history["step"]),
            {name: np.asarray(self.history[name]) for name in self.task.loss_names},
            (*self.task.panels, *(EVAL_PANELS if judged else ())), len(self.train_loader), epoch_values,
        )  # fmt: skip

    def _save(self) -> None:
        save_checkpoint(
            self.checkpoint_path, config=self.config, model=self.model, optimizers=self.task.optimizer_state(),
            epoch=self.epoch, step=self.step, rng_state=minigen.random.get_rng_state(),
            loader_state=self.train_loader.state_dict(),
            history={name: np.asarray(values, dtype=np.float64) for name, values in self.history.items()},
        )  # fmt: skip

    def _summary(self, record: dict[str, Any]) -> str:
        numbers = "  ".join(f"{k} {v:.4g}" for k, v in record.items() if k not in ("epoch", "step", "seconds", "lr"))
        return f"epoch {record['epoch']}/{self.config.epochs}  {numbers}  ({record['seconds']:.1f} s)"


def _cache_error(error: OSError) -> ConfigError:
    """The data cache cannot be written (read-only, or under a file): a ConfigError naming MINIGEN_DATA."""
    from minigen.data import data_dir

    reason = error.strerror or type(error).__name__
    where = f" ({error.filename})" if error.filename else ""
    return ConfigError(
        f"MINIGEN_DATA: {data_dir()} (cannot write the data cache: {reason}{where}; "
        "set MINIGEN_DATA to a writable folder)",
        option="MINIGEN_DATA",
    )
