"""The quality table: every model's samples measured with ``minigen eval``'s metrics, 3 seeds per recipe.

For each model, recipe (the default, and a longer one) and seed, ``minigen.train`` runs the recipe on the
embedded MNIST (4,500 digits); then :func:`minigen.metrics.evaluate_model` draws 10,000 samples and reads
them with the shipped judge (a VAE's likelihood: 1,000 importance samples per binarised test digit). Each
run appends one JSON line to ``bench/quality_runs.jsonl`` (so runs can be split across processes and a
killed bench loses only the run under way); ``--table`` turns those lines into ``bench/QUALITY.md``:
mean ± std over the seeds, the real test digits' row on top.

    OMP_NUM_THREADS=1 python bench/bench_quality.py --models vae gan --seeds 0 1 2
    python bench/bench_quality.py --table
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine  # noqa: E402

from minigen.metrics import evaluate_model, evaluate_real, load_judge  # noqa: E402
from minigen.metrics.evaluate import real_reference  # noqa: E402
from minigen.models import MODELS  # noqa: E402
from minigen.train import TrainConfig, Trainer  # noqa: E402

HERE = Path(__file__).resolve().parent
RUNS, TABLE = HERE / "quality_runs.jsonl", HERE / "QUALITY.md"
DATASET = "mnist-embedded"
# The longer recipe of each model: more epochs (the default's are in minigen.models.MODELS).
LONGER = {"gan": 100, "cgan": 100, "dcgan": 10, "wgan-gp": 80, "vae": 60, "cvae": 60, "conv-vae": 30,
          "cnn-mse": 10}  # fmt: skip
# (key, column title, format) of the table
COLUMNS = (
    ("judge_score", "judge score", "{:.2f}"),
    ("classes_covered", "classes", "{:.1f}"),
    ("class_kl", "class KL", "{:.3f}"),
    ("frechet", "Fréchet", "{:.1f}"),
    ("precision", "precision", "{:.3f}"),
    ("recall", "recall", "{:.3f}"),
    ("nearest_train_median", "NN dist.", "{:.2f}"),
    ("copies", "copies", "{:.3f}"),
    ("label_accuracy", "as asked", "{:.3f}"),
    ("elbo_nats", "−ELBO", "{:.1f}"),
    ("nll_nats", "NLL (IWAE)", "{:.1f}"),
    ("seconds", "train s", "{:.0f}"),
)


def run(model: str, recipe: str, seed: int, judge, reference) -> dict:
    epochs = MODELS[model].epochs if recipe == "default" else LONGER[model]
    with tempfile.TemporaryDirectory() as folder:
        config = TrainConfig(model=model, dataset=DATASET, epochs=epochs, seed=seed, out=folder)
        trainer = Trainer(config, log=lambda message: None, progress=False)
        started = time.perf_counter()
        trainer.fit()
        seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = evaluate_model(trainer.model, DATASET, judge=judge, reference=reference,
                            likelihood=trainer.config.likelihood or "bernoulli")  # fmt: skip
    return {"model": model, "recipe": recipe, "epochs": epochs, "seed": seed, "seconds": seconds,
            "eval_seconds": time.perf_counter() - started, "date": str(date.today()), "machine": machine(),
            **result}  # fmt: skip


def mean_std(values: list[float], form: str) -> str:
    values = np.asarray(values, dtype=np.float64)
    return form.format(values.mean()) + (f" ± {form.format(values.std())}" if len(values) > 1 else "")


def table() -> str:
    records = [json.loads(line) for line in RUNS.read_text().splitlines() if line.strip()]
    judge, facts = load_judge(DATASET)
    real = evaluate_real(DATASET, judge)
    header = "| model | recipe | seeds | " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    lines = [header, "|" + "---|" * 3 + "---:|" * len(COLUMNS)]
    cells = [f"{real[key]:.3g}" if key in real else "" for key, _, _ in COLUMNS]
    lines.append(f"| real test digits ({real['n']}) | | | " + " | ".join(cells) + " |")
    for model in MODELS:
        for recipe in ("default", "longer"):
            group = [r for r in records if r["model"] == model and r["recipe"] == recipe]
            if not group:
                continue
            seeds = ",".join(str(r["seed"]) for r in group)
            cells = [mean_std([r[key] for r in group], form) if key in group[0] else "" for key, _, form in COLUMNS]
            lines.append(f"| {model} | {group[0]['epochs']} epochs | {seeds} | " + " | ".join(cells) + " |")
    machines = sorted({r["machine"] for r in records})
    dates = sorted({r["date"] for r in records})
    return "\n".join([
        f"Judge: `minigen/metrics/judge_mnist.npz`, {facts['test_accuracy']:.1%} on the 500 embedded test digits. "
        f"Each model run: 10,000 samples; Fréchet, precision and recall against the 4,500 training digits' judge "
        f"features; runs of {', '.join(dates)} on {'; '.join(machines)}, one BLAS thread.", "", *lines])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--recipes", nargs="+", default=["default", "longer"], choices=["default", "longer"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--table", action="store_true", help="write QUALITY.md's table from the runs so far")
    args = parser.parse_args()
    if args.table:
        text = table()
        current = TABLE.read_text() if TABLE.exists() else ""
        begin, end = "<!-- begin table -->", "<!-- end table -->"
        if begin in current:
            text = current[: current.index(begin) + len(begin)] + "\n" + text + "\n" + current[current.index(end) :]
        else:
            text = f"# Quality of minigen's models\n\n{begin}\n{text}\n{end}\n"
        TABLE.write_text(text)
        print(text)
        return
    judge, _ = load_judge(DATASET)
    reference = real_reference(DATASET, judge)
    for model in args.models:
        for recipe in args.recipes:
            for seed in args.seeds:
                result = run(model, recipe, seed, judge, reference)
                del result["class_histogram"]
                with RUNS.open("a") as file:
                    file.write(json.dumps(result) + "\n")
                print(f"{model} {recipe} seed {seed}: judge score {result['judge_score']:.2f}, "
                      f"{result['classes_covered']} classes, Fréchet {result['frechet']:.1f}, precision "
                      f"{result['precision']:.3f}, recall {result['recall']:.3f}, trained {result['seconds']:.0f} s, "
                      f"measured {result['eval_seconds']:.0f} s", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
