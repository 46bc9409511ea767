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


# Registration order is the order in `ganforge --help`.
from . import listing, train, sampling, i2i  # noqa: E402,F401
