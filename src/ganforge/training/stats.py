"""The statistics collector: step functions return tensors, the loop reports them here, and
at each log step the collector reduces them (the mean over the steps since the last log, then
over processes) into one flat record of floats.

In the manner of StyleGAN2-ADA's ``training_stats``: whoever computes a statistic reports it
by name; the collector never needs to know what a name means. Which statistics are objective
values (checked for divergence, shown by the progress bar) is declared by the phases
(:attr:`ganforge.families.base.Phase.losses`), never guessed from names.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

import torch

from ..errors import TrainingDiverged


class StatsCollector:
    """Running sums of the step statistics between two log steps. Values stay tensors (on the
    device) until :meth:`flush`, so the hot path never waits for the device."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}

    def report(self, name: str, value: torch.Tensor | float | None) -> None:
        """Add one value (a 0-d tensor or a number; None: not measured on this step)."""
        if value is None:
            return
        v = value.detach().float() if isinstance(value, torch.Tensor) else torch.tensor(float(value))
        self.sums[name] = self.sums[name] + v if name in self.sums else v.clone()
        self.counts[name] = self.counts.get(name, 0) + 1

    def add(self, stats: dict[str, Any]) -> None:
        """Report every entry of a step function's returned dict."""
        for k, v in stats.items():
            self.report(k, v)

    def flush(self, world_size: int = 1) -> dict[str, float]:
        """The mean of each statistic since the last flush, over steps and (with several
        processes) over every process's values; then start again. Collective when
        ``world_size > 1``: every process must call it at the same step."""
        local = {k: (float(v), self.counts[k]) for k, v in self.sums.items()}
        self.sums.clear()
        self.counts.clear()
        if world_size > 1:
            # objects, not one tensor: processes may report different names (e.g. a statistic
            # measured only where a condition held); log steps are rare, so the cost is small
            parts: list[Any] = [None] * world_size
            torch.distributed.all_gather_object(parts, local)
            merged: dict[str, tuple[float, int]] = {}
            for part in parts:
                for k, (s, n) in part.items():
                    s0, n0 = merged.get(k, (0.0, 0))
                    merged[k] = (s0 + s, n0 + n)
            local = merged
        return {k: s / n for k, (s, n) in local.items()}

    def __bool__(self) -> bool:
        return bool(self.sums)


def declared_losses(phases: Iterable[Any]) -> tuple[str, ...]:
    """The names every phase declares in ``Phase.losses``, in phase order, without repeats."""
    out: list[str] = []
    for p in phases:
        out.extend(k for k in p.losses if k not in out)
    return tuple(out)


def check_divergence(record: dict[str, Any], losses: tuple[str, ...], step: int, limit: float,
                     ckpt: Path) -> None:
    """Raise :class:`TrainingDiverged` when a declared loss is NaN/inf or above ``limit``
    (``train.max_loss``). A family that declares no losses gets every reported statistic
    checked for NaN/inf only: a NaN anywhere is a divergence, but the size limit applies to
    objective values alone (a gradient norm may legitimately be large)."""
    names = losses if losses else tuple(k for k in record if k != "step")
    for k in names:
        v = record.get(k)
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            continue
        exploded = bool(losses) and abs(v) > limit
        if math.isfinite(v) and not exploded:
            continue
        what = "NaN/inf" if not math.isfinite(v) else f"{v:.3g} (above train.max_loss = {limit:g})"
        kept = f"The last good checkpoint is kept: {ckpt}" if ckpt.exists() else "No checkpoint had been written yet"
        raise TrainingDiverged(
            f"training diverged at step {step}: {k} is {what}. {kept}. Remedies: lower the learning "
            f"rates (--lr-g/--lr-d), use a gradient penalty (wgan-gp) or spectral norm, or --precision fp32.")
