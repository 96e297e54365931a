"""Where the numbers of a run go: ``metrics.jsonl`` (one JSON object per epoch) and, optionally, TensorBoard.

Each line of ``metrics.jsonl`` is one finished epoch, e.g. for a VAE::

    {"epoch": 3, "step": 105, "seconds": 4.1, "loss": 141.2, "recon": 118.0, "kl": 23.2, "test_loss": 139.9}

The losses are the means over the epoch's steps. Read the file with
``[json.loads(line) for line in open("runs/vae/metrics.jsonl")]`` or
``pandas.read_json(path, lines=True)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .config import ConfigError

__all__ = ["MetricsLog"]


class MetricsLog:
    """Append per-epoch records to ``out/metrics.jsonl``; per-step scalars to TensorBoard when asked."""

    def __init__(self, out: Path, tensorboard: bool = False, keep_epochs: int | None = None) -> None:
        """``keep_epochs``: resuming, keep the records of the first ``keep_epochs`` epochs; None starts afresh."""
        self.path = out / "metrics.jsonl"
        kept = [record for record in self.read(self.path) if record["epoch"] <= keep_epochs] if keep_epochs else []
        self.path.write_text("".join(json.dumps(record) + "\n" for record in kept))
        self.records: list[dict[str, Any]] = kept
        self.writer = None
        if tensorboard:
            try:
                from tensorboardX import SummaryWriter
            except ImportError:
                raise ConfigError("--tensorboard needs tensorboardX: pip install tensorboardX") from None
            self.writer = SummaryWriter(str(out / "tensorboard"))

    @staticmethod
    def read(path: Path) -> list[dict[str, Any]]:
        """The records of a metrics.jsonl file ([] when there is none)."""
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

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
            file.write(json.dumps(record) + "\n")
        if self.writer is not None:
            for name, value in record.items():
                if name.startswith("test_"):
                    self.writer.add_scalar(f"test/{name[5:]}", value, record["epoch"])
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
