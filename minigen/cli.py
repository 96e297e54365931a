"""The ``minigen`` command: ``train``, ``sample`` and ``info``.

    minigen train vae                      # embedded MNIST, about a minute on a laptop CPU
    minigen train dcgan --dataset mnist --epochs 5 --device cuda
    minigen train vae --resume             # continue runs/vae from its checkpoint
    minigen sample runs/vae/checkpoint.npz --n 64 --out grid.png
    minigen info                           # version, backend, GPU, data cache

``python -m minigen ...`` is the same command. Mistakes in the arguments (an
unknown model or dataset, ``--device cuda`` without a GPU, an unreadable or
mismatched checkpoint) print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import platform
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

__all__ = ["main"]

MODEL_NAMES = ("gan", "dcgan", "vae", "conv-vae", "cnn-mse")
DATASET_NAMES = ("mnist-embedded", "mnist", "fashion-mnist", "cifar10")
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"minigen: error: {' '.join(str(message).split())}", file=sys.stderr)
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="minigen", description="Train and sample GANs and VAEs built from scratch on NumPy/CuPy.")
    commands = parser.add_subparsers(dest="command", metavar="{train,sample,info}", parser_class=_Parser)

    train = commands.add_parser("train", help="train a model; writes samples, curves, metrics and a checkpoint",
                                description="Train a model. Unset options take the model's defaults "
                                "(minigen.train.DEFAULTS), tuned for about a minute on a 2-core CPU.")
    train.add_argument("model", choices=MODEL_NAMES, help="which model")
    train.add_argument("--dataset", choices=DATASET_NAMES, default="mnist-embedded",
                       help="mnist-embedded ships with minigen (offline); the others are downloaded once")
    train.add_argument("--epochs", type=int, help="number of epochs (per-model default)")
    train.add_argument("--batch-size", type=int, help="images per batch (per-model default)")
    train.add_argument("--lr", type=float, help="Adam learning rate (gan 1e-3, dcgan 2e-4, VAEs 1e-3)")
    train.add_argument("--device", default="cpu", help="cpu or cuda (needs CuPy and an NVIDIA GPU)")
    train.add_argument("--seed", type=int, default=0, help="seeds weights, noise and batch order (default 0)")
    train.add_argument("--out", help="output folder (default runs/MODEL)")
    train.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
    train.add_argument("--beta", type=float, default=1.0, help="VAE: weight of the KL term (default 1)")
    train.add_argument("--likelihood", choices=("bernoulli", "gaussian"), default="bernoulli",
                       help="VAE: BCE (bernoulli, default) or MSE (gaussian) reconstruction")
    train.add_argument("--label-smoothing", type=float,
                       help="GAN: real label 1 - S for the discriminator (0.1 gives 0.9; default 0.1 for gan, 0 dcgan)")
    train.add_argument("--latent-dim", type=int, help="size of z (model default)")
    train.add_argument("--log-every", type=int, default=10, help="steps between two loss transfers (default 10)")
    train.add_argument("--tensorboard", action="store_true", help="also log to OUT/tensorboard (needs tensorboardX)")
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    # for tests and quick trials, not shown in --help
    train.add_argument("--subset", type=int, help=argparse.SUPPRESS)
    train.add_argument("--max-steps", type=int, help=argparse.SUPPRESS)

    sample = commands.add_parser("sample", help="draw a grid of new images from a checkpoint")
    sample.add_argument("checkpoint", help="a checkpoint.npz written by minigen train")
    sample.add_argument("--n", type=int, default=64, help="number of images (default 64)")
    sample.add_argument("--out", default="grid.png", help="PNG to write (default grid.png)")
    sample.add_argument("--seed", type=int, default=0, help="seed of the noise (default 0)")
    sample.add_argument("--device", default="cpu", help="cpu or cuda")

    commands.add_parser("info", help="version, array backend, GPU and data cache")
    return parser


def _train(args: argparse.Namespace) -> int:
    from minigen.data import DownloadError
    from minigen.train import ConfigError, NonFiniteLossError, TrainConfig, Trainer, TrainingInterrupted

    fields = {field.name for field in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{name: value for name, value in vars(args).items() if name in fields})
    try:
        trainer = Trainer(config, progress=False if args.no_progress else None)
    except ConfigError as error:
        return _fail(error)
    except DownloadError as error:  # offline, or every mirror failed: says which file and where to put it
        return _fail(error, status=1)
    try:
        trainer.fit()
    except NonFiniteLossError as error:
        return _fail(error, status=1)
    except TrainingInterrupted as interrupt:
        print(f"minigen: {interrupt}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"done: samples, losses.png, metrics.jsonl and checkpoint.npz are in {trainer.out}")
    return 0


def _sample(args: argparse.Namespace) -> int:
    import minigen
    from minigen import backend
    from minigen.train import ConfigError, image_shape_for, load_checkpoint, model_from_checkpoint, save_image_grid

    if args.n < 1:
        return _fail(f"--n must be >= 1, got {args.n}")
    try:
        backend.get_device(args.device)
        state = load_checkpoint(args.checkpoint)
        config = state["config"]
        model = model_from_checkpoint(state, image_shape_for(config.model, config.dataset), args.device)
    except (ConfigError, RuntimeError, ValueError) as error:
        return _fail(error)
    model.eval()
    minigen.manual_seed(args.seed)
    images = model.sample(args.n).numpy()
    title = f"{config.model}, {config.dataset}, epoch {state['epoch']}"
    try:
        save_image_grid(images, args.out, model.data_range, title=title)
    except OSError as error:
        return _fail(f"cannot write {args.out}: {error.strerror or error}")
    print(f"wrote {args.n} samples of {config.model} ({title}) to {args.out}")
    return 0


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
    gpu = "yes" if backend.cuda_is_available() else f"no ({backend._cuda_error or 'CuPy not imported'})"
    if gpu == "yes":
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    handlers: dict[str, Any] = {"train": _train, "sample": _sample}
    if args.command == "info":
        print("\n".join(info_lines()))
        return 0
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("minigen: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
