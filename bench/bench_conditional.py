"""Conditional models (cgan, cvae) after their default recipe: does the digit drawn obey the label?

For each variant and seed, ``minigen.train`` runs the model's default recipe on the embedded MNIST
(4,500 digits); then 100 images are drawn for each label 0-9 and a judge classifier
(the shipped one, ``minigen.metrics.load_judge``, trained on the same training digits; its accuracy on
the 500 test digits is printed) says which digit each one is. Reported: the share classified as the
label asked for, overall (mean ± std over the seeds) and per class, and the wall time of a run.
Besides the recipes, the variants they were chosen against ("before"): the conditional GAN with the
gan's dropout and label smoothing, and with the label concatenated to D's input instead of a
projection discriminator; the conditional VAE with the vae's z of 20.
Issue 16's targets: >= 90% for cgan, >= 95% for cvae.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
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
from minigen.metrics import class_accuracy, load_judge  # noqa: E402
from minigen.models import MODELS  # noqa: E402
from minigen.train import TrainConfig, Trainer  # noqa: E402

TARGETS = {"cgan": 0.90, "cvae": 0.95}
PER_CLASS = 100
# (name, model, settings of the run, arguments of the model's class)
VARIANTS = [
    ("cgan", "cgan", {}, {}),
    ("cgan, D with dropout 0.3 and label smoothing 0.1 (the gan's recipe)", "cgan", {"label_smoothing": 0.1},
     {"dropout": 0.3}),
    ("cgan, label concatenated to D's input, no projection", "cgan", {}, {"projection": False}),
    ("cvae", "cvae", {}, {}),
    ("cvae, z 20 (the vae's)", "cvae", {"latent_dim": 20}, {}),
]  # fmt: skip


@contextlib.contextmanager
def model_options(name: str, **options):
    """While the block runs, the trainer builds model ``name`` with ``options`` (its frozen spec's class is swapped)."""
    spec = MODELS[name]
    original = spec.cls
    latent_default = inspect.signature(original).parameters["latent_dim"].default

    class Variant(original):
        def __init__(self, image_shape, latent_dim=latent_default, **kwargs):
            super().__init__(image_shape, latent_dim, **{**options, **kwargs})

    object.__setattr__(spec, "cls", Variant)
    try:
        yield
    finally:
        object.__setattr__(spec, "cls", original)


def run(model: str, seed: int, judge, settings: dict, options: dict) -> tuple[float, np.ndarray, float]:
    """(overall accuracy, per-class accuracy, seconds) of one default-recipe run."""
    with tempfile.TemporaryDirectory() as out, model_options(model, **options):
        start = time.perf_counter()
        config = TrainConfig(model=model, seed=seed, out=out, **settings)
        trainer = Trainer(config, log=lambda *args: None, progress=False)
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
    parser.add_argument("--recipes-only", action="store_true", help="skip the 'before' variants")
    args = parser.parse_args()

    test_images, test_labels = load_dataset("mnist-embedded", "test")
    judge, _ = load_judge("mnist-embedded")
    judge_accuracy, _ = class_accuracy(judge, test_images, test_labels)
    print(f"judge: {judge_accuracy:.1%} on the 500 embedded test digits")

    rows = ["| variant | seed | accuracy | per class 0-9 | run (s) |", "|---|---|---:|---|---:|"]
    summary = []
    variants = [v for v in VARIANTS if v[0] in TARGETS] if args.recipes_only else VARIANTS
    for label, model, settings, options in variants:
        overall = []
        for seed in args.seeds:
            accuracy, per_class, seconds = run(model, seed, judge, settings, options)
            overall.append(accuracy)
            classes = " ".join(f"{value:.2f}" for value in per_class)
            rows.append(f"| {label} | {seed} | {accuracy:.1%} | {classes} | {seconds:.0f} |")
            print(rows[-1], flush=True)
        mean, std = float(np.mean(overall)), float(np.std(overall))
        verdict = "before"
        if label in TARGETS:
            verdict = f"≥ {TARGETS[model]:.0%}: " + ("met" if mean >= TARGETS[model] else "not met")
        summary.append(f"| {label} | {mean:.1%} ± {std:.1%} | {verdict} |")

    text = "\n".join([
        "## Conditional models: the judge's accuracy on the label asked for (`bench_conditional.py`)", "",
        f"{machine()}; {date.today().isoformat()}. Default recipes (`minigen train cgan|cvae`) on the embedded "
        f"MNIST, seeds {args.seeds}; {PER_CLASS} images per label; judge (`minigen.metrics.load_judge`, shipped) "
        f"{judge_accuracy:.1%} on the 500 test digits.", "",
        "| variant | accuracy (mean ± std over seeds) | target |", "|---|---:|---|", *summary, "",
        *rows,
    ])  # fmt: skip
    print(text)
    write_section("bench_conditional", text)


if __name__ == "__main__":
    main()
