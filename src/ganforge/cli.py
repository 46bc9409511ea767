"""The command line: a thin layer over the public API (see `ganforge --help`)."""
from __future__ import annotations

import argparse
import sys

from . import __version__
from .errors import GanforgeError, TrainingDiverged


def build_parser() -> argparse.ArgumentParser:
    from .commands import COMMANDS

    parser = argparse.ArgumentParser(prog="ganforge", description="Train, sample and evaluate GANs.")
    parser.add_argument("--version", action="version", version=f"ganforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for entry in COMMANDS.items():
        p = sub.add_parser(entry.name, help=entry.help, description=entry.help)
        entry.obj.add_arguments(p)
        p.set_defaults(_run=entry.obj.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except (GanforgeError, TrainingDiverged) as e:
        print(f"ganforge {args.command}: error: {e}", file=sys.stderr)
        return 1 if isinstance(e, TrainingDiverged) else 2


if __name__ == "__main__":
    sys.exit(main())
