"""Models that are not trained by the generic loop (fit/sample estimators such as the tabular
GAN), routed by the command line through one registry.

A run kind named ``NAME`` answers ``ganforge train NAME ...`` (after the usual config flags are
parsed into a :class:`~ganforge.config.RunConfig` whose ``family`` is ``NAME``) and
``ganforge sample RUN`` of the runs it wrote: such a run's ``config.yaml`` names it as its
``family``, which is the marker ``sample`` reads. Loop families are in
:data:`ganforge.families.FAMILIES` instead.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from ..registry import Registry


@dataclass(frozen=True)
class RunKind:
    #: adds this kind's own flags to `ganforge train` (in an argument group named after it)
    add_train_arguments: Callable[[Any], None]
    #: train(cfg, args, explicit) -> exit code; ``explicit`` holds the dotted config keys the user set
    train: Callable[[Any, argparse.Namespace, set[str]], int]
    #: sample(run_dir, args) -> exit code
    sample: Callable[[Path, argparse.Namespace], int]
    help: str


RUN_KINDS: Registry[RunKind] = Registry("model")


def register_run_kind(name: str, kind: RunKind) -> None:
    RUN_KINDS.register(name, kind, help=kind.help)


def run_kind_of(run: str | Path) -> str | None:
    """The run kind that wrote folder ``run`` (from its config.yaml), or None for loop runs."""
    path = Path(run) / "config.yaml"
    if not path.is_file():
        return None
    try:
        family = (yaml.safe_load(path.read_text()) or {}).get("family")
    except (yaml.YAMLError, AttributeError):
        return None
    return family if family in RUN_KINDS else None
