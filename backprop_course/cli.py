"""The ``backprop-course`` command (also ``python -m backprop_course``).

Each subcommand lives in the module that does its work; this file only wires
them into one argument parser. A module adds a subcommand with a function
``add_subcommand(subparsers)`` that sets ``func`` on its parser.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .authoring import execute, exercises, home, release, site, slides
from .grading import cli as grading_cli

#: modules that contribute subcommands, in the order ``--help`` lists them
SUBCOMMAND_MODULES = [execute, exercises, slides, site, release, home, grading_cli]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop-course",
        description="Course tools: notebooks, exercises, slides, site, student release, grading.",
    )
    parser.add_argument("--version", action="version", version=f"backprop-course {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in SUBCOMMAND_MODULES:
        module.add_subcommand(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
