"""Where the numbers of a run go: ``metrics.jsonl`` (one JSON object per epoch) and, optionally, TensorBoard.

Each line of ``metrics.jsonl`` is one finished epoch, e.g. for a VAE::

    {"epoch": 3, "step": 105, "seconds": 4.1, "loss": 141.2, "recon": 118.0, "kl": 23.2, "test_loss": 139.9}

The losses are the means over the epoch's steps; ``lr`` is the learning rate
the epoch trained with (it may change when a run is resumed with ``--lr``).
Read the file with ``[json.loads(line) for line in open("runs/vae/metrics.jsonl")]``
or ``pandas.read_json(path, lines=True)``.

Every line is valid JSON: a number that is not finite (NaN, inf) is written as
``null``, which JSON readers (and pandas, as NaN) understand, whereas Python's
bare ``NaN``/``Infinity`` are not JSON. :meth:`MetricsLog.read` gives ``null``
back as ``float("nan")`` and still reads the bare ``NaN``/``Infinity`` that
earlier versions wrote. A last line cut short (a crash while writing it) is
dropped with a warning; any other line that is not a JSON record is an error
naming the file and the line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from minigen.files import atomic_path

from .config import ConfigError

__all__ = ["MetricsLog", "require_tensorboard"]


class MetricsLog:
    """Append per-epoch records to ``out/metrics.jsonl``; per-step scalars to TensorBoard when asked."""

    def __init__(self, out: Path, tensorboard: bool = False, keep_epochs: int | None = None,
                 log: Callable[[str], Any] | None = None) -> None:
        """``keep_epochs``: resuming, keep the records of the first ``keep_epochs`` epochs; None starts afresh.

        ``log`` receives the warning about a torn last line.
        """
        self.path = out / "metrics.jsonl"
        kept = [r for r in self.read(self.path, log) if r["epoch"] <= keep_epochs] if keep_epochs else []
        _write_atomically(self.path, "".join(_line(record) for record in kept))
        self.records: list[dict[str, Any]] = kept
        self.writer = None
        if tensorboard:
            self.writer = require_tensorboard()(str(out / "tensorboard"))

    @staticmethod
    def read(path: str | Path, log: Callable[[str], Any] | None = None) -> list[dict[str, Any]]:
        """The records of a metrics.jsonl file ([] when there is none); ``null`` comes back as NaN.

        A torn last line is dropped (with a warning to ``log``); any other bad line raises
        :class:`ConfigError` naming the file and the line number.
        """
        path = Path(path)
        if not path.is_file():
            return []
        lines = [(number, line) for number, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]
        records = []
        for index, (number, line) in enumerate(lines):
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or not isinstance(record.get("epoch"), int):
                    raise ValueError("not a record with an int 'epoch'")
            except ValueError as error:
                reason = " ".join(str(error).split())
                if index == len(lines) - 1:  # a crash while writing the last line: drop it
                    if log is not None:
                        log(f"warning: {path}, line {number} is cut short ({reason}); dropped it")
                    continue
                raise ConfigError(
                    f"corrupt metrics file: {path}, line {number} ({reason}; expected one JSON record per line: "
                    "fix or delete that line)"
                ) from None
            records.append({key: math.nan if value is None else value for key, value in record.items()})
        return records

    def log_steps(self, first_step: int, names: list[str], values: Any) -> None:
        """Per-step losses (rows of ``values``, from ``first_step`` on) to TensorBoard, if enabled."""
        if self.writer is not None:
            for offset, row in enumerate(values):
                for name, value in zip(names, row):
                    self.writer.add_scalar(f"train/{name}", float(value), first_step + offset)

    def log_epoch(self, record: dict[str, Any]) -> None:
        """Append one epoch's record to the file (and its test numbers to TensorBoard)."""
        self.records.append(record)
        with self.path.open("a") as file:
            file.write(_line(record))
        if self.writer is not None:
            for name, value in record.items():
                if name.startswith("test_"):
                    self.writer.add_scalar(f"test/{name[5:]}", value, record["epoch"])
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def require_tensorboard() -> Any:
    """tensorboardX's SummaryWriter, or a ConfigError saying how to install it."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ConfigError(
            "tensorboard: True (needs tensorboardX, not installed; pip install tensorboardX)", option="tensorboard"
        ) from None
    return SummaryWriter


def _line(record: dict[str, Any]) -> str:
    """One record as a line of valid JSON: NaN and inf become null."""
    finite = {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in record.items()}
    return json.dumps(finite, allow_nan=False) + "\n"


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path``'s content by ``text`` through a temporary file: a crash leaves the old or the new file."""
    with atomic_path(path) as temporary:
        temporary.write_text(text)
