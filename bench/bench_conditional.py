"""Conditional models (cgan, cvae) after their default recipe: does the digit drawn obey the label?

For each model and seed, ``minigen.train`` runs the model's default recipe on the embedded MNIST
(4,500 digits); then 100 images are drawn for each label 0-9 and a judge classifier
(``minigen.metrics.train_judge``, trained once on the same training digits; its accuracy on the
500 test digits is printed) says which digit each one is. Reported: the share classified as the
label asked for, overall (mean ± std over the seeds) and per class, and the wall time of a run.
Issue 16's targets: >= 90% for cgan, >= 95% for cvae.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine, write_section  # noqa: E402

import minigen  # noqa: E402
from minigen.data import load_dataset  # noqa: E402
from minigen.metrics import class_accuracy, train_judge  # noqa: E402
from minigen.train import TrainConfig, Trainer  # noqa: E402

TARGETS = {"cgan": 0.90, "cvae": 0.95}
PER_CLASS = 100


def run(model: str, seed: int, judge) -> tuple[float, np.ndarray, float]:
    """(overall accuracy, per-class accuracy, seconds) of one default-recipe run."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        trainer = Trainer(TrainConfig(model=model, seed=seed, out=out), log=lambda *args: None, progress=False)
        trainer.fit()
        seconds = time.perf_counter() - start
        trainer.model.eval()
        labels = np.repeat(np.arange(10), PER_CLASS)
        minigen.manual_seed(1000 + seed)
        images = trainer.model.sample(len(labels), labels=minigen.tensor(labels)).numpy()
    low, high = trainer.model.data_range
    overall, per_class = class_accuracy(judge, ((images - low) / (high - low)).astype(np.float32), labels)
    return overall, per_class, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=list(TARGETS))
    args = parser.parse_args()

    images, labels = load_dataset("mnist-embedded", "train")
    test_images, test_labels = load_dataset("mnist-embedded", "test")
    judge = train_judge(images, labels)
    judge_accuracy, _ = class_accuracy(judge, test_images.astype(np.float32) / 255, test_labels)
    print(f"judge: {judge_accuracy:.1%} on the 500 embedded test digits")

    rows = ["| model | seed | accuracy | per class 0-9 | run (s) |", "|---|---|---:|---|---:|"]
    summary = []
    for model in args.models:
        overall = []
        for seed in args.seeds:
            accuracy, per_class, seconds = run(model, seed, judge)
            overall.append(accuracy)
            classes = " ".join(f"{value:.2f}" for value in per_class)
            rows.append(f"| {model} | {seed} | {accuracy:.1%} | {classes} | {seconds:.0f} |")
            print(rows[-1], flush=True)
        mean, std = float(np.mean(overall)), float(np.std(overall))
        verdict = "met" if mean >= TARGETS.get(model, 0) else "not met"
        summary.append(f"| {model} | {mean:.1%} ± {std:.1%} | ≥ {TARGETS.get(model, 0):.0%} ({verdict}) |")

    text = "\n".join([
        "## Conditional models: the judge's accuracy on the label asked for (`bench_conditional.py`)", "",
        f"{machine()}; {date.today().isoformat()}. Default recipes (`minigen train cgan|cvae`) on the embedded "
        f"MNIST, seeds {args.seeds}; {PER_CLASS} images per label; judge (`minigen.metrics.train_judge`, 6 epochs) "
        f"{judge_accuracy:.1%} on the 500 test digits.", "",
        "| model | accuracy (mean ± std over seeds) | target |", "|---|---:|---|", *summary, "",
        *rows,
    ])  # fmt: skip
    print(text)
    write_section("bench_conditional", text)


if __name__ == "__main__":
    main()
