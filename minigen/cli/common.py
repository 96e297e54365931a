"""What every subcommand shares: the one-line error form, exit statuses, the parser, output-file checks."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

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
