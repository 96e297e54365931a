"""The checkpoint of a run: everything needed to continue it exactly, in one ``.npz`` file.

``out/checkpoint.npz`` is written after every epoch (and when training is
interrupted) by :func:`minigen.serialization.save`, which writes a temporary
file and renames it, so a crash while saving never leaves a half-written
checkpoint. It holds plain arrays, numbers and strings (no pickles):

=============  ==============================================================
"format"       "minigen-train/1", to recognise the file
"config"       the run's :class:`TrainConfig` as JSON
"model"        ``model.state_dict()`` (parameters and BatchNorm buffers)
"optimizers"   each optimizer's ``state_dict()`` (Adam's moments, step counts)
"epoch"        epochs completed; "step": optimisation steps completed
"rng"          ``minigen.random.get_rng_state()`` as JSON (the noise generator)
"loader"       ``DataLoader.state_dict()`` (its shuffling generator, and where
               it is inside the current epoch)
"history"      every step's losses, for the loss curves
=============  ==============================================================

A checkpoint may come from elsewhere, so loading trusts none of it: the archive's
arrays are size-checked before allocation (:func:`minigen.serialization.load`), the
saved config must hold values of the right types that :meth:`TrainConfig.resolved`
accepts, with ``latent_dim`` at most :data:`MAX_LATENT_DIM`, before any model is
built from it, and the weights' names and shapes must match the built model's before
any is copied. Each failure is one :class:`ConfigError` line.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

import numpy as np

from minigen import files, serialization
from minigen.files import one_line

from .config import MAX_LATENT_DIM, ConfigError, TrainConfig

__all__ = [
    "CHECKPOINT_FORMAT", "CHECKPOINT_NAME", "MAX_LATENT_DIM", "load_checkpoint", "model_from_checkpoint",
    "remove_stale_temporaries", "save_checkpoint",
]  # fmt: skip

CHECKPOINT_FORMAT = "minigen-train/1"
CHECKPOINT_NAME = "checkpoint.npz"

# Ctrl-C and crashes remove their temporary; a killed process leaves one, which this collects:
# remove_stale_temporaries(out / CHECKPOINT_NAME) when a run starts.
remove_stale_temporaries = files.remove_stale_temporaries


def save_checkpoint(path: str | Path, *, config: TrainConfig, model: Any, optimizers: dict[str, Any], epoch: int,
                    step: int, rng_state: dict[str, Any], loader_state: dict[str, Any],
                    history: dict[str, np.ndarray]) -> None:
    """Write one checkpoint atomically (see the module docstring for its entries)."""
    serialization.save(
        {
            "format": CHECKPOINT_FORMAT,
            "config": config.to_json(),
            "model": model.state_dict(),
            "optimizers": optimizers,
            "epoch": int(epoch),
            "step": int(step),
            "rng": json.dumps(rng_state),
            "loader": loader_state,
            "history": history,
        },
        path,
    )


def _text(value: Any) -> str:
    """A string entry as saved (a str, or a 0-d array of one)."""
    return value if isinstance(value, str) else str(np.asarray(value).item())


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`; ``config`` and ``rng`` come back decoded.

    Raises :class:`ConfigError` (one line) when the file is missing, unreadable, not a training
    checkpoint, or holds a config that is out of range (see the module docstring).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no checkpoint at {path}")
    try:
        state = serialization.load(path)
    except Exception as error:  # a truncated zip, a foreign .npz, a file that is not one at all
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ConfigError(f"cannot read checkpoint {path}: {reason}") from None
    if not isinstance(state, dict) or _text(state.get("format", "")) != CHECKPOINT_FORMAT:
        raise ConfigError(f"{path} is not a minigen training checkpoint (expected format {CHECKPOINT_FORMAT!r})")
    try:
        state["config"] = TrainConfig.from_json(_text(state["config"]))
        state["rng"] = json.loads(_text(state["rng"]))
        state["epoch"], state["step"] = int(state["epoch"]), int(state["step"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ConfigError(f"checkpoint {path} is damaged: {type(error).__name__}: {error}") from None
    _check_config(state["config"], path)
    return state


def _check_config(config: TrainConfig, path: Path) -> None:
    """Refuse a saved config that could not have been trained, before anything is built from it."""
    hints = typing.get_type_hints(TrainConfig)
    for field in dataclasses.fields(TrainConfig):
        value, hint = getattr(config, field.name), hints[field.name]
        allowed = typing.get_args(hint) or (hint,)
        if float in allowed:
            allowed = (*allowed, int)  # JSON writes 1.0 as 1 when a person edits it
        if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
            names = [kind.__name__ for kind in allowed if kind is not type(None)]
            expected = " or ".join(names) + (" or None" if type(None) in allowed else "")
            raise ConfigError(f"checkpoint {path} has {field.name}={one_line(repr(value), 60)}, expected {expected}")
    try:  # latent_dim among the rest: at most MAX_LATENT_DIM, so a hostile 10**9 fails before a model is built
        config.resolved()
    except ConfigError as error:
        raise ConfigError(f"checkpoint {path} has an unusable config: {error}") from None



def model_from_checkpoint(state: dict[str, Any], image_shape: tuple[int, int, int], device: str = "cpu") -> Any:
    """Build the checkpoint's model for ``image_shape`` and load its weights (a ConfigError on mismatch).

    ``state`` comes from :func:`load_checkpoint`, whose config checks bound what is built here;
    every weight's name and shape is compared with the built model's before any is copied.
    """
    from minigen.models import build_model

    config = state["config"]
    kwargs = {} if config.latent_dim is None else {"latent_dim": config.latent_dim}
    model = build_model(config.model, image_shape, **kwargs)
    try:
        model.load_state_dict(state["model"])  # checks every key and shape first, then copies
    except (RuntimeError, KeyError, ValueError, TypeError) as error:
        first = " ".join(str(error).replace(":\n\t", ": ").replace("\n\t", "; ").split())
        raise ConfigError(f"the checkpoint's weights do not fit a {config.model!r} model: {first}") from None
    return model.to(device)
