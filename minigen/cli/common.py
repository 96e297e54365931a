"""What every subcommand shares: the one-line error form, exit statuses, the parser, output-file checks."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

EXIT_FAILED = 1  # the command ran and failed (a NaN loss, a download, a write midway)
EXIT_USAGE = 2  # the command cannot run as given
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130; SIGTERM gives 128 + 15 = 143


def argparse_message(message: str, prog: str, commands: str = "") -> str:
    """argparse's error message in the form ``<what>: <value> (<expected>; see PROG --help)``."""
    patterns = (
        (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", "{0}: {1} (expected one of {2}"),
        (r"argument (\S+): invalid int value: (.*)", "{0}: {1} (expected an int"),
        (r"argument (\S+): invalid float value: (.*)", "{0}: {1} (expected a number"),
        (r"argument (\S+): expected one argument", "{0}: nothing (expected a value after it"),
        (r"argument (\S+): ignored explicit argument (.*)", "{0}: {1} (expected no value"),
        (r"the following arguments are required: (.*)", "missing argument: {0} (required"),
        (r"unrecognized arguments: (.*)", "unrecognized argument: {0} (not an option of this command"),
    )
    for pattern, form in patterns:
        match = re.fullmatch(pattern, message.strip())
        if match:
            groups = [group.replace(commands, "command") if commands else group for group in match.groups()]
            return f"{form.format(*groups)}; see {prog} --help)"
    return f"{message} (see {prog} --help)"


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr (``minigen: error: ...``, no usage block), exit status 2."""

    commands_metavar = ""  # "{train,sample,...}", read as "command" in messages

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"minigen: error: {argparse_message(message, self.prog, Parser.commands_metavar)}\n")


def fail(message: object, status: int = EXIT_USAGE) -> int:
    """Print ``minigen: error: <message>`` on one line; return ``status``."""
    print(f"minigen: error: {' '.join(str(message).split())}", file=sys.stderr)
    return status


def seed_problem(seed: int) -> str | None:
    """What is wrong with ``--seed`` (one line), or None: seeds are ints in [0, 2**32), as training takes them."""
    from minigen.train.config import SEED_LIMIT

    return None if 0 <= seed < SEED_LIMIT else f"--seed: {seed} (expected an int in [0, 2**32))"


def output_file_problem(option: str, out: str | os.PathLike[str], force: bool, suffixes: Sequence[str]) -> str | None:
    """What is wrong with writing the file ``out`` (a one-line message naming ``option``), or None.

    The suffix must be one of ``suffixes``; an existing file is refused unless ``force``; the folder must exist
    and be writable.
    """
    out = Path(out)
    if out.suffix.lower() not in suffixes:
        return f"{option}: {out} (expected a file name ending in {' or '.join(suffixes)})"
    if out.is_dir():
        return f"{option}: {out} (a folder, expected a {suffixes[0]} file name)"
    if out.exists() and not force:
        return f"{option}: {out} (already exists; use --force to replace it)"
    if out.parent.exists() and not out.parent.is_dir():
        return f"{option}: {out} ({out.parent} is a file, not a folder)"
    if not out.parent.is_dir():
        return f"{option}: {out} (its folder {out.parent} does not exist)"
    if not os.access(out.parent, os.W_OK):
        return f"{option}: {out} (cannot write in {out.parent}: permission denied)"
    return None


def device_problem(device: str) -> str | None:
    """What is wrong with ``--device`` (unknown, or CUDA unusable here), or None."""
    from minigen import backend

    try:
        backend.get_device(device)
    except ValueError:
        return f"--device: {device} (unknown device; expected cpu or cuda)"
    except RuntimeError as error:
        return f"--device: {device} ({error})"
    return None


def checkpoint_problem(checkpoint: str | os.PathLike[str]) -> str | None:
    """What is wrong with a ``checkpoint`` argument before reading it (a folder, no such file), or None."""
    checkpoint = Path(checkpoint)
    try:
        checkpoint.stat()
    except OSError as error:
        if not isinstance(error, FileNotFoundError):
            return f"checkpoint: {checkpoint} (cannot read it: {error.strerror or error})"
    if checkpoint.is_dir():
        hint = f"; did you mean {checkpoint / 'checkpoint.npz'}?" if (checkpoint / "checkpoint.npz").is_file() else ""
        return f"checkpoint: {checkpoint} (a folder, expected a checkpoint.npz file{hint})"
    if not checkpoint.is_file():
        return f"checkpoint: {checkpoint} (no such file; expected a checkpoint.npz written by minigen train)"
    return None


def open_checkpoint(checkpoint: str, device: str) -> tuple[dict[str, Any], Any] | str:
    """(the checkpoint's state, its model on ``device``), or the one-line problem of reading it."""
    from minigen.train import ConfigError, image_shape_for, load_checkpoint, model_from_checkpoint

    try:
        state = load_checkpoint(checkpoint)
        config = state["config"]
        return state, model_from_checkpoint(state, image_shape_for(config.model, config.dataset), device)
    except (ConfigError, RuntimeError, ValueError, KeyError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        prefix = f"cannot read checkpoint {checkpoint}: "
        reason = "cannot read it: " + reason[len(prefix) :] if reason.startswith(prefix) else reason
        return f"checkpoint: {checkpoint} ({reason})"
