"""`capstone` command line. Each sub-command lives in its own module under capstone/commands/
and exposes `add_parser(subparsers)`, which sets `func` on its parser."""
from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = (
    "capstone.commands.cloud",
    "capstone.commands.report",
    "capstone.commands.env",
    "capstone.commands.verify",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="capstone", description="AWS CI/CD pipeline conformance suite")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
