"""The ``minigen`` command; one module per family of subcommands.

    minigen train vae                       # train.py: train, sample, info
    minigen eval runs/vae/checkpoint.npz    # evaluate.py: eval
    minigen texture --demo                  # imaging.py: texture, matte, composite
    minigen --version

``python -m minigen ...`` is the same command. Every error is one line on stderr,
``minigen: error: <what>: <value> (<expected>)``, never a traceback: exit status 2 when the
command cannot run as given (a bad or useless option, an unreadable input, an output that
exists), 1 when it ran and failed (a NaN loss, a download, a write midway). Nothing is
overwritten unless asked (``--force``); every output is written to a temporary and renamed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from minigen.cli import evaluate, imaging, train
from minigen.cli.common import EXIT_INTERRUPTED, EXIT_USAGE, Parser

__all__ = ["build_parser", "main"]

FAMILIES = (train, evaluate, imaging)  # each adds its subcommands and returns their handlers


def build_parser() -> tuple[Parser, dict[str, Any]]:
    """The argument parser and the handler of each subcommand."""
    import minigen

    parser = Parser(prog="minigen", description="Deep generative imaging built from scratch on NumPy/CuPy: "
                    "train GANs and VAEs, synthesise textures, matte and composite images.")  # fmt: skip
    parser.add_argument("--version", action="version", version=f"minigen {minigen.__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=Parser)
    handlers: dict[str, Any] = {}
    for family in FAMILIES:
        handlers.update(family.add_commands(commands))
    commands.metavar = Parser.commands_metavar = "{" + ",".join(handlers) + "}"
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("minigen: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
