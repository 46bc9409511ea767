"""Command-line subcommands, one module each. A command is registered with
:func:`register_command` and provides ``add_arguments(parser)`` and ``run(args) -> int``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..registry import Registry


@dataclass(frozen=True)
class Command:
    add_arguments: Callable[[Any], None]
    run: Callable[[Any], int | None]
    help: str


COMMANDS: Registry[Command] = Registry("command")


def register_command(name: str, add_arguments: Callable[[Any], None], run: Callable[[Any], int | None], help: str) -> None:
    COMMANDS.register(name, Command(add_arguments, run, help), help=help)


# Each module registers its command on import; `ganforge --help` lists them alphabetically.
# runkinds, tabular and outputs register the run kinds' flags and sample writers, not commands.
from . import runkinds, listing, train, sampling, evaluate, serve, tabular, outputs, apps, i2i  # noqa: E402,F401
