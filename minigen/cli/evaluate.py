"""``minigen eval``: the metrics of a trained model, or of the real test images, as a table or JSON.

    minigen eval runs/dcgan/checkpoint.npz             # 10,000 samples read by the dataset's judge
    minigen eval runs/vae/checkpoint.npz --json        # one JSON object; a VAE adds elbo_nats, nll_nats
    minigen eval --real mnist-embedded                 # the real test digits: the row to compare with
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from minigen.cli.common import EXIT_FAILED, checkpoint_problem, device_problem, fail, open_checkpoint, seed_problem

__all__ = ["add_commands", "format_table"]

MAX_N = 100_000
MAX_K = 100_000

# (key, what it is, format) in the order the table prints them; JSON holds every key of the result.
ROWS = (
    ("judge_score", "judge score (1 to the number of classes)", "{:.3f}"),
    ("classes_covered", "classes holding >= 2% of the samples", "{}"),
    ("class_kl", "KL(class histogram || uniform), nats", "{:.4f}"),
    ("frechet", "Fréchet judge distance to the training images", "{:.3f}"),
    ("precision", "precision (k = 3)", "{:.3f}"),
    ("recall", "recall (k = 3)", "{:.3f}"),
    ("nearest_train_median", "median distance to the nearest training image", "{:.3f}"),
    ("test_nearest_train_median", "  the same for real test images", "{:.3f}"),
    ("copies", "share nearer a training image than the nearest 1% of test images", "{:.4f}"),
    ("label_accuracy", "share read as the class asked for (conditional models)", "{:.3f}"),
    ("elbo_nats", "negative ELBO, nats per image", "{:.2f}"),
    ("nll_nats", "negative log-likelihood (importance-weighted), nats per image", "{:.2f}"),
    ("bits_per_dim", "negative log-likelihood, bits per dimension", "{:.4f}"),
)


def add_commands(commands: Any) -> dict[str, Any]:
    """Add ``eval`` to the subparsers ``commands``; returns its handler."""
    from minigen.data.registry import DATASET_NAMES

    evaluate = commands.add_parser(
        "eval", help="measure a checkpoint's samples (judge score, Fréchet, precision/recall, likelihood)",
        description="Measure a trained model with the dataset's judge classifier (shipped for MNIST; trained "
        "and cached on first use for the others), or the real test images with --real.")  # fmt: skip
    evaluate.add_argument("checkpoint", nargs="?", help="a checkpoint.npz written by minigen train")
    evaluate.add_argument("--real", choices=DATASET_NAMES, help="measure this dataset's real test images instead")
    evaluate.add_argument("--n", type=int, help="samples to draw (default 10000)")
    evaluate.add_argument("--k", type=int,
                          help="a VAE's importance samples per test image for the likelihood (default 1000)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    evaluate.add_argument("--seed", type=int, help="seed of the samples (default 0)")
    evaluate.add_argument("--device", default="cpu", help="cpu or cuda")
    evaluate.add_argument("--no-progress", action="store_true", help="no progress bar while a judge trains")
    return {"eval": _eval}


def _check(args: argparse.Namespace) -> str | None:
    if (args.checkpoint is None) == (args.real is None):
        given = "both" if args.checkpoint is not None else "neither"
        return f"checkpoint: {given} of a checkpoint and --real given (expected exactly one)"
    if args.real:
        for option in ("n", "k", "seed"):
            if getattr(args, option) is not None:
                return f"--{option}: {getattr(args, option)} (--real measures the test images as they are: no samples)"
    args.n, args.k, args.seed = (default if given is None else given
                                 for given, default in ((args.n, 10_000), (args.k, 1000), (args.seed, 0)))  # fmt: skip
    if not 10 <= args.n <= MAX_N:
        return f"--n: {args.n} (expected from 10 to {MAX_N} samples)"
    if not 1 <= args.k <= MAX_K:
        return f"--k: {args.k} (expected from 1 to {MAX_K} importance samples)"
    return seed_problem(args.seed) or device_problem(args.device) or (
        checkpoint_problem(args.checkpoint) if args.checkpoint else None)


def _data_problem(dataset: str) -> str | None:
    """Why ``dataset``'s images cannot be read here (not downloaded), or None."""
    from minigen.data import load_dataset
    from minigen.data.download import DatasetNotFoundError

    try:
        for split in ("train", "test"):
            load_dataset(dataset, split, download=False)
    except DatasetNotFoundError:
        return (f"dataset: {dataset} (its images are not in the data folder; minigen eval compares with them "
                f"and never downloads: minigen train --dataset {dataset} fetches them once)")  # fmt: skip
    return None


def _eval(args: argparse.Namespace) -> int:
    import warnings

    from minigen.metrics import evaluate_model, evaluate_real, load_judge

    problem = _check(args)
    if problem:
        return fail(problem)
    progress = not args.no_progress and not args.json
    state = model = None
    if args.checkpoint is not None:
        opened = open_checkpoint(args.checkpoint, args.device)
        if isinstance(opened, str):
            return fail(opened)
        state, model = opened
    dataset = args.real or state["config"].dataset
    problem = _data_problem(dataset)
    if problem:
        return fail(problem)
    try:
        judge, _ = load_judge(dataset, args.device, progress)
    except (OSError, ValueError) as error:  # a judge cache that cannot be written, a damaged cached judge
        return fail(f"dataset: {dataset} (cannot load or train its judge: {error})", EXIT_FAILED)
    with warnings.catch_warnings():  # a diverged model's overflows: the error below says it in one line
        warnings.simplefilter("ignore", RuntimeWarning)
        if args.real:
            result = {"model": "real test images", "dataset": dataset, **evaluate_real(dataset, judge, args.device)}
        else:
            config = state["config"]
            try:
                measured = evaluate_model(model, dataset, n=args.n, k=args.k, likelihood=config.likelihood or
                                          "bernoulli", seed=args.seed, judge=judge)  # fmt: skip
            except ValueError as error:  # e.g. a diverged model's NaN samples
                return fail(f"checkpoint: {args.checkpoint} (cannot measure its samples: {error})", EXIT_FAILED)
            result = {"model": config.model, "dataset": dataset, "epoch": state["epoch"], **measured}
    print(json.dumps(_plain(result)) if args.json else format_table(result))
    return 0


def _plain(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` with non-finite numbers as None (JSON's null)."""
    return {key: None if isinstance(value, float) and not math.isfinite(value) else value
            for key, value in result.items()}  # fmt: skip


def format_table(result: dict[str, Any]) -> str:
    """The metrics of ``result`` as a two-column Markdown table, with a title line."""
    title = f"{result['model']} on {result['dataset']}" + (f", epoch {result['epoch']}" if "epoch" in result else "")
    lines = [f"{title}: {result['n']} images against {result['reference_images']} training images", "",
             "| metric | value |", "|---|---:|"]  # fmt: skip
    lines += [f"| {label} | {form.format(result[key])} |" for key, label, form in ROWS if key in result]
    if "nll_nats" in result:
        lines += ["", f"likelihood: {result['likelihood_images']} {result['likelihood_data']}, "
                  f"{result['likelihood_k']} importance samples each"]  # fmt: skip
    return "\n".join(lines)
