"""Run logs: metrics.jsonl (one JSON object per line), TensorBoard events, the loss plot."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import torch

from ..fileio import named_os_errors

METRICS_NAME = "metrics.jsonl"


class StatsAccumulator:
    """Running means of the step statistics between two log lines (tensors until flushed,
    so the hot path does not synchronise with the device)."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}

    def add(self, stats: dict[str, Any]) -> None:
        for k, v in stats.items():
            if v is None:  # a statistic not measured on this step
                continue
            v = v.detach().float() if isinstance(v, torch.Tensor) else torch.tensor(float(v))
            self.sums[k] = self.sums[k] + v if k in self.sums else v.clone()
            self.counts[k] = self.counts.get(k, 0) + 1

    def flush(self) -> dict[str, float]:
        out = {k: float(v) / self.counts[k] for k, v in self.sums.items()}
        self.sums.clear()
        self.counts.clear()
        return out

    def __bool__(self) -> bool:
        return bool(self.sums)


class RunLogger:
    """Appends records to ``metrics.jsonl`` and mirrors scalars to TensorBoard."""

    def __init__(self, out: Path, tensorboard: bool, fresh: bool) -> None:
        self.path = out / METRICS_NAME
        if fresh and self.path.exists():
            self.path.unlink()
        with named_os_errors("the metrics log", self.path):
            self._file = open(self.path, "a", buffering=1)
        self.tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.tb = SummaryWriter(str(out / "tb"))
            except ImportError:  # tensorboard is a dependency, but keep training if it is broken
                self.tb = None

    def log(self, record: dict[str, Any]) -> None:
        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}
        with named_os_errors("the metrics log", self.path):  # a full disk: named, not a traceback
            self._file.write(json.dumps(clean) + "\n")
        if self.tb is not None and "step" in record:
            for k, v in record.items():
                if k != "step" and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                    self.tb.add_scalar(k, v, record["step"])

    def close(self) -> None:
        self._file.close()
        if self.tb is not None:
            self.tb.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by a crash
    return out


def plot_losses(metrics_path: Path, out_path: Path) -> Path | None:
    """Two panels: the losses, and D(x) / D(G(z)) over steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in read_metrics(metrics_path) if "step" in r and "event" not in r]
    if not rows:
        return None
    steps = [r["step"] for r in rows]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5), dpi=100)
    loss_keys = sorted({k for r in rows for k in r if k.endswith("_loss")})
    for k in loss_keys:
        a1.plot(steps, [r.get(k) for r in rows], label=k)
    a1.set_xlabel("step"), a1.set_title("losses"), a1.legend()
    for k, lab in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
        if any(k in r for r in rows):
            a2.plot(steps, [r.get(k) for r in rows], label=lab)
    a2.set_xlabel("step"), a2.set_title("discriminator outputs")
    if a2.lines:  # families without D(x)/D(G(z)) records (tabular, MLE stages) leave the panel empty
        a2.legend()
    fig.tight_layout()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_path)
    plt.close(fig)
    return out_path
