"""Run logs: metrics.jsonl (one JSON object per line), TensorBoard events, the loss plot.

metrics.jsonl holds one record per logged step (and health events, which carry the step they
were raised at). A process killed after its last checkpoint leaves records of steps that the
resumed run repeats; :func:`truncate_metrics` drops them on resume, so every logged step has
exactly one record."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..fileio import named_os_errors, write_text

METRICS_NAME = "metrics.jsonl"


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


def truncate_metrics(path: Path, step: int) -> int:
    """Keep the records of ``path`` whose step is at most ``step`` (the checkpoint a run
    resumes from) and drop the rest, with any line cut by a crash; rewritten atomically (a
    kill during the rewrite leaves the old file). Returns how many records were dropped."""
    if not path.is_file():
        return 0
    text = path.read_text()
    keep, dropped = [], 0
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            dropped += bool(line.strip())
            continue
        if isinstance(rec, dict) and isinstance(rec.get("step"), int) and rec["step"] > step:
            dropped += 1
        else:
            keep.append(line)
    if dropped or (text and not text.endswith("\n")):  # a last line without its newline: end it
        write_text(path, "".join(f"{line}\n" for line in keep), "the metrics log")
    return dropped


def plot_losses(metrics_path: Path, out_path: Path, losses: tuple[str, ...] | None = None) -> Path | None:
    """Two panels: the losses, and D(x) / D(G(z)) over steps. ``losses``: the statistics to
    plot in the first panel (the phases' declared losses); None: every ``*_loss`` key."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in read_metrics(metrics_path) if "step" in r and "event" not in r]
    if not rows:
        return None
    steps = [r["step"] for r in rows]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5), dpi=100)
    loss_keys = ([k for k in losses if any(k in r for r in rows)] if losses is not None
                 else sorted({k for r in rows for k in r if k.endswith("_loss")}))
    for k in loss_keys:
        a1.plot(steps, [r.get(k) for r in rows], label=k)
    a1.set_xlabel("step"), a1.set_title("losses"), a1.legend()
    for k, lab in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
        if any(k in r for r in rows):
            a2.plot(steps, [r.get(k) for r in rows], label=lab)
    a2.set_xlabel("step"), a2.set_title("discriminator outputs")
    if a2.lines:  # families without D(x)/D(G(z)) records (tabular, MLE stages) leave the panel empty
        a2.legend()
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.22)  # tight_layout: 2x slower
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_path)
    plt.close(fig)
    return out_path
