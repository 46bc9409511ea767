"""The command line of the run kinds (fit/sample models such as the tabular GAN): the flags
each adds to `ganforge train` and how `ganforge sample` writes what its model draws.

Training, loading and evaluating go through the public API like every family; the run kinds
themselves are registered in :data:`ganforge.families.RUN_KINDS`. Each entry here has the
name of the run kind it serves.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..registry import Registry

__all__ = ["RUN_KINDS", "RunKindCommands", "register_run_kind_commands", "run_kind_of"]


@dataclass(frozen=True)
class RunKindCommands:
    #: adds this kind's own flags to `ganforge train` (an argument group named after it); a flag
    #: whose dest is ``options.NAME`` sets that option
    add_train_arguments: Callable[[Any], None]
    #: sample(run_dir, args) -> exit code, for `ganforge sample RUN` of the runs it wrote
    sample: Callable[[Path, argparse.Namespace], int]


RUN_KINDS: Registry[RunKindCommands] = Registry("run kind")


def register_run_kind_commands(name: str, commands: RunKindCommands) -> None:
    RUN_KINDS.register(name, commands, help=name)


def run_kind_of(run: str | Path) -> str | None:
    """The run kind that wrote folder ``run``, or None for loop runs (see
    :func:`ganforge.families.runkinds.run_kind_of`; imported here on use, so that building the
    parser for `ganforge --help` does not import every family)."""
    from ..families.runkinds import run_kind_of as find

    return find(run)
