"""Run kinds: models that ``ganforge.train`` reaches by name but that fit themselves instead of
running the generic loop's phases (the CTGAN-style tabular GAN, :mod:`.tabular`).

A run kind named ``NAME`` answers ``ganforge.train("NAME", ...)`` with the same
:class:`~ganforge.config.RunConfig` as every family, and ``ganforge.load`` / ``ganforge.evaluate``
of the run folders it writes: such a folder's ``config.yaml`` names it as its ``family``, the
marker :func:`run_kind_of` reads. A fitted model samples itself (``model.sample(n, seed=...)``)
and names its kind in ``model.run_kind``. Loop families are in :data:`FAMILIES` instead; the
two registries never share a name.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..config import RunConfig
from ..registry import Registry


@dataclass
class FitResult:
    """What a run kind's train returns; the same fields as the loop's ``TrainResult``."""

    out: Path
    step: int                                        # epochs (or updates) done
    record: dict[str, Any] = field(default_factory=dict)  # the last log entry
    model: Any = None                                # the fitted model


@dataclass(frozen=True)
class RunKind:
    #: train(cfg, resume, overwrite) -> FitResult; writes cfg.train.out
    train: Callable[[RunConfig, bool, bool], FitResult]
    #: load(run_dir, device) -> the fitted model (with ``sample`` and ``run_kind``)
    load: Callable[[Path, str], Any]
    #: evaluate(model, metrics=, n=, reference=, seed=, run=, **kw) -> one flat dict of results;
    #: ``run`` is the run folder (None for a model object), ``kw`` the kind's own arguments
    evaluate: Callable[..., dict[str, Any]]
    help: str


RUN_KINDS: Registry[RunKind] = Registry("run kind")


def register_run_kind(name: str, kind: RunKind) -> None:
    from .base import FAMILIES

    if name in FAMILIES:
        raise KeyError(f"run kind {name!r} would hide the loop family of the same name")
    RUN_KINDS.register(name, kind, help=kind.help)


def run_kind_of(run: str | os.PathLike[str]) -> str | None:
    """The run kind that wrote folder ``run`` (from its config.yaml), or None for loop runs."""
    import yaml

    path = Path(run) / "config.yaml"
    if not path.is_file():
        return None
    try:
        family = (yaml.safe_load(path.read_text()) or {}).get("family")
    except (yaml.YAMLError, AttributeError):
        return None
    return family if family in RUN_KINDS else None
