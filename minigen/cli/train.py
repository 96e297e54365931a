"""``minigen train``, ``minigen sample`` and ``minigen info``: the learned generators.

    minigen train vae                      # embedded MNIST, about a minute on a laptop CPU
    minigen train dcgan --dataset mnist --epochs 5 --device cuda
    minigen train vae --resume             # continue runs/vae from its checkpoint
    minigen sample runs/vae/checkpoint.npz --n 64 --out grid.png
    minigen info                           # version, backend, GPU, data cache

``train --out DIR`` refuses a folder that holds a run (``--resume`` continues it, ``--force`` starts
afresh over it). Ctrl-C or SIGTERM saves a checkpoint first; the exit status is then 130 or 143
(128 + the signal's number, as a shell reports a process killed by it).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import platform
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

from minigen.cli.common import (
    EXIT_FAILED,
    checkpoint_problem,
    device_problem,
    fail,
    open_checkpoint,
    output_file_problem,
    seed_problem,
)

__all__ = ["add_commands", "info_lines"]

MAX_SAMPLES = 1024  # a 32 x 32 grid: more images than that are too small to see in one picture


def _flag(option: str) -> str:
    """A TrainConfig field as the command line spells it: ``batch_size`` -> ``--batch-size``."""
    return option if option.isupper() else "--" + option.replace("_", "-")


def _config_error(error: Exception) -> str:
    """A ConfigError's message, with the field it starts with written as the option (``--batch-size: ...``)."""
    message, option = str(error), getattr(error, "option", None)
    if option and message.startswith(f"{option}:"):
        return _flag(option) + message[len(option) :]
    return message


def _models_epilog() -> str:
    """The models, what each is and its default run, for ``minigen train --help`` (from the registry)."""
    from minigen.models import MODELS

    width = max(map(len, MODELS))
    lines = ["models (minigen.models.MODELS):"]
    for name, spec in MODELS.items():
        text = f"{spec.description}. Default: {spec.recipe()}."
        lines += textwrap.wrap(text, 100, initial_indent=f"  {name:<{width}}  ", subsequent_indent=" " * (width + 4),
                               break_on_hyphens=False)  # fmt: skip
    return "\n".join(lines)


def add_commands(commands: Any) -> dict[str, Any]:
    """Add ``train``, ``sample`` and ``info`` to the subparsers ``commands``; returns their handlers by name."""
    from minigen.data.registry import DATASET_NAMES, DEFAULT_DATASET
    from minigen.models import KIND_OPTIONS, MODELS, models_using

    def default(setting: str) -> str:
        """Each model's default ``setting``, among the models that use it: ``"gan 0.1, dcgan 0"``."""
        values = [(name, spec.defaults()[setting]) for name, spec in MODELS.items() if setting in spec.defaults()]
        return ", ".join(f"{name} {value:g}" if isinstance(value, float) else f"{name} {value}"
                         for name, value in values)  # fmt: skip

    def users(option: str) -> str:
        return ", ".join(models_using(option))

    kind_default = {option: value for options in KIND_OPTIONS.values() for option, value in options.items()}
    train = commands.add_parser("train", help="train a model; writes samples, curves, metrics and a checkpoint",
                                description="Train a model. Unset options take the model's defaults, "
                                "a short run on the embedded MNIST (listed below).",
                                epilog=_models_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("model", choices=tuple(MODELS), help="which model (see below)")
    train.add_argument("--dataset", choices=DATASET_NAMES, default=DEFAULT_DATASET,
                       help="mnist-embedded ships with minigen (offline); the others are downloaded once")
    train.add_argument("--epochs", type=int, help=f"number of epochs (default {default('epochs')})")
    train.add_argument("--batch-size", type=int, help=f"images per batch (default {default('batch_size')})")
    train.add_argument("--lr", type=float,
                       help=f"Adam learning rate (default {default('lr')}); may change with --resume")
    train.add_argument("--device", help="cpu (default) or cuda (needs CuPy and an NVIDIA GPU)")
    train.add_argument("--seed", type=int, help="seeds weights, noise and batch order (default 0)")
    train.add_argument("--out", help="output folder (default runs/MODEL)")
    train.add_argument("--resume", action="store_true",
                       help="continue from OUT/checkpoint.npz (--epochs, --lr may change)")
    train.add_argument("--force", action="store_true", help="start afresh in an OUT that holds a run, replacing it")
    train.add_argument("--beta", type=float,
                       help=f"{users('beta')}: weight of the KL term (default {kind_default['beta']:g})")
    train.add_argument("--likelihood", choices=("bernoulli", "gaussian"),
                       help=f"{users('likelihood')}: BCE (bernoulli) or MSE (gaussian) reconstruction "
                       f"(default {kind_default['likelihood']})")
    train.add_argument("--label-smoothing", type=float, help=f"{users('label_smoothing')}: real label 1 - S for "
                       f"the discriminator (0.1 gives 0.9; default {default('label_smoothing')})")
    train.add_argument("--gp-weight", type=float, help=f"{users('gp_weight')}: weight lambda of the gradient "
                       f"penalty (default {kind_default['gp_weight']:g})")
    train.add_argument("--n-critic", type=int, help=f"{users('n_critic')}: critic steps per generator step "
                       f"(default {kind_default['n_critic']})")
    train.add_argument("--latent-dim", type=int, help="size of z (model default)")
    train.add_argument("--log-every", type=int, help="steps between two loss transfers (default 10)")
    train.add_argument("--eval-every", type=int, help="every N epochs and after the last, measure 2000 samples "
                       "with the dataset's judge (minigen eval's metrics) into metrics.jsonl and losses.png")
    train.add_argument("--tensorboard", action="store_true", help="also log to OUT/tensorboard (needs tensorboardX)")
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    # for tests and quick trials, not shown in --help
    train.add_argument("--subset", type=int, help=argparse.SUPPRESS)
    train.add_argument("--max-steps", type=int, help=argparse.SUPPRESS)

    sample = commands.add_parser("sample", help="draw a grid of new images from a checkpoint")
    sample.add_argument("checkpoint", help="a checkpoint.npz written by minigen train")
    sample.add_argument("--n", type=int, help=f"number of images, 1 to {MAX_SAMPLES} (default 64; with --labels, "
                        "images per class, default 10)")
    sample.add_argument("--label", type=int, help="a conditional model (cgan, cvae): draw every image of class K")
    sample.add_argument("--labels", help="a conditional model: a row per class, e.g. 0-9 or 1,4,7; the images of "
                        "one column share their z (the same style, each digit)")
    sample.add_argument("--out", default="grid.png", help="PNG file to write (default grid.png)")
    sample.add_argument("--force", action="store_true", help="replace --out if it exists")
    sample.add_argument("--seed", type=int, default=0, help="seed of the noise (default 0)")
    sample.add_argument("--device", default="cpu", help="cpu or cuda")

    commands.add_parser("info", help="version, array backend, GPU and data cache")
    return {"train": _train, "sample": _sample, "info": _info}


def _train(args: argparse.Namespace) -> int:
    from minigen.data import DownloadError
    from minigen.train import ConfigError, NonFiniteLossError, TrainConfig, Trainer, TrainingInterrupted

    # Options left out are None here (argparse's defaults are None), so that TrainConfig resolves the defaults
    # and can tell a given option from an absent one (an option a model does not use is refused only if given).
    fields = {field.name for field in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{name: value for name, value in vars(args).items() if name in fields and value is not None})
    try:
        trainer = Trainer(config, progress=False if args.no_progress else None)
    except ConfigError as error:
        return fail(_config_error(error))
    except DownloadError as error:  # offline, or every mirror failed: says which file and where to put it
        return fail(f"--dataset: {config.dataset} ({error})", status=EXIT_FAILED)
    try:
        trainer.fit()
    except NonFiniteLossError as error:
        return fail(error, status=EXIT_FAILED)
    except ConfigError as error:  # e.g. a corrupt metrics.jsonl met while resuming
        return fail(_config_error(error))
    except TrainingInterrupted as interrupt:
        print(f"minigen: {interrupt}", file=sys.stderr)
        return 128 + interrupt.signum
    except OSError as error:  # the disk filled up, the folder was removed, ...
        return fail(f"--out: {trainer.out} (cannot write {error.filename or 'there'}: {error.strerror or error})",
                     status=EXIT_FAILED)  # fmt: skip
    print(f"done: samples, losses.png, metrics.jsonl and checkpoint.npz are in {trainer.out}")
    return 0


def _check_sample_args(args: argparse.Namespace) -> str | None:
    """What is wrong with ``sample``'s arguments (a one-line message), or None."""
    checkpoint = Path(args.checkpoint)
    if args.label is not None and args.labels is not None:
        return f"--label: {args.label} (give --label or --labels, not both)"
    classes = 1
    if args.labels is not None:
        args.classes = _parse_labels(args.labels)
        if args.classes is None:
            return (f"--labels: {args.labels!r} (expected a rising range such as 0-9 or a list such as 1,4,7 of "
                    "different ints >= 0)")
        classes = len(args.classes)
    if args.label is not None and args.label < 0:
        return f"--label: {args.label} (expected an int >= 0)"
    if args.n is None:
        args.n = 64 if args.labels is None else 10
    if not 1 <= args.n * classes <= MAX_SAMPLES:
        per_class = f" x {classes} classes" if classes > 1 else ""
        return f"--n: {args.n}{per_class} (expected from 1 to {MAX_SAMPLES} images in all)"
    return seed_problem(args.seed) or checkpoint_problem(checkpoint) or output_file_problem(
        "--out", args.out, args.force, (".png",))


def _sample(args: argparse.Namespace) -> int:
    import minigen
    from minigen.train import save_image_grid

    problem = _check_sample_args(args) or device_problem(args.device)
    if problem:
        return fail(problem)
    opened = open_checkpoint(args.checkpoint, args.device)
    if isinstance(opened, str):
        return fail(opened)
    state, model = opened
    config = state["config"]
    given = args.label if args.labels is None else args.labels
    if given is not None:
        asked = [args.label] if args.labels is None else args.classes
        if not model.conditional:
            return fail(f"--label{'s' if args.labels else ''}: {given} ({config.model} is not conditional; "
                        f"cgan and cvae take labels)")  # fmt: skip
        if max(asked) >= model.num_classes:
            return fail(f"--label{'s' if args.labels else ''}: {given} ({config.model} knows classes 0 to "
                        f"{model.num_classes - 1})")  # fmt: skip
    model.eval()
    minigen.manual_seed(args.seed)
    columns = None
    if args.labels is not None:  # a row per class; column j keeps z_j in every row
        columns = args.n
        codes = minigen.randn(args.n, model.latent_dim, device=args.device).repeat(len(args.classes), 1)
        labels = minigen.tensor([label for label in args.classes for _ in range(args.n)], device=args.device)
        with minigen.no_grad():
            images = model.generate(codes, labels).numpy()
    else:
        labels = None if args.label is None else [args.label] * args.n
        images = model.sample(args.n, labels=labels).numpy()
    done = f"epoch {state['epoch']}" + (f", step {state['step']}" if "step" in state else "")
    title = f"{config.model}, {config.dataset}, {done}"
    try:
        save_image_grid(images, args.out, model.data_range, title=title, nrow=columns)
    except OSError as error:
        return fail(f"--out: {args.out} (cannot write it: {error.strerror or error})", status=EXIT_FAILED)
    print(f"wrote {len(images)} samples from {args.checkpoint} ({title}) to {args.out}, a PNG grid")
    return 0


def _parse_labels(text: str) -> list[int] | None:
    """``"0-9"`` -> [0, ..., 9], ``"1,4,7"`` -> [1, 4, 7] (each class once, at most MAX_SAMPLES of them); None when
    ``text`` is neither."""
    if re.fullmatch(r"[0-9]{1,9}-[0-9]{1,9}", text):
        low, high = (int(part) for part in text.split("-"))
        labels = list(range(low, high + 1)) if low <= high and high - low < MAX_SAMPLES else []
    elif re.fullmatch(r"[0-9]{1,9}(,[0-9]{1,9})*", text):
        labels = [int(part) for part in text.split(",")]
    else:
        return None
    return labels if labels and len(set(labels)) == len(labels) <= MAX_SAMPLES else None


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def info_lines() -> list[str]:
    """What ``minigen info`` prints: versions, array backend, CuPy and GPU, the data cache."""
    import numpy

    import minigen
    from minigen import backend
    from minigen.data import data_dir

    cupy_version = next((v for v in map(_version, ("cupy", "cupy-cuda12x", "cupy-cuda13x")) if v), None)
    reason = backend.cuda_unavailable_reason()
    gpu = f"no ({reason})" if reason else "yes"
    if reason is None:
        xp = backend.get_device("cuda").xp
        name = xp.cuda.runtime.getDeviceProperties(0)["name"]
        gpu = f"yes ({name.decode() if isinstance(name, bytes) else name})"
    return [
        f"minigen {minigen.__version__}",
        f"python {platform.python_version()} ({sys.executable})",
        f"backend: numpy {numpy.__version__} (cpu, always)",
        f"cupy: {cupy_version or 'not installed (pip install minigen[cuda12] or minigen[cuda13])'}",
        f"cuda GPU usable: {gpu}",
        f"data cache: {data_dir()} (set MINIGEN_DATA to move it)",
        f"tensorboardX: {_version('tensorboardX') or 'not installed (optional, for --tensorboard)'}",
    ]


def _info(args: argparse.Namespace) -> int:
    print("\n".join(info_lines()))
    return 0
