"""Metrics during training: every ``train.eval_every`` steps evaluate the exported generator,
log the results (metrics.jsonl and TensorBoard), keep the best checkpoint by
``train.best_metric`` (by default the first FID evaluated; ``ganforge sample`` then uses it)
and optionally stop early after ``train.early_stop`` evaluations without improvement.

Image data uses :func:`ganforge.metrics.evaluate` (reference: the dataset's test split unless
``train.eval_reference`` names another); toy point data with known modes uses the
mode-collapse protocol (:func:`ganforge.metrics.evaluate_toy`). Sampling for evaluation uses
its own seeded generator, and the hook runs inside the loop's guard
(:func:`ganforge.training.hooks.watching`), so it never changes training. The best value and
the patience count are saved in the checkpoint: a resumed run keeps the same best and stops
at the same evaluation. The last step is evaluated too when it is off the schedule, but only
reported: scheduled evaluations alone choose the best checkpoint and count for early
stopping, so a run stopped at N and continued with more ``--steps`` decides exactly as the
same run made in one go.
"""
from __future__ import annotations

import math
from typing import Any

from ..errors import GanforgeError

# metrics where larger is better; every other key (fid, kid, reverse_kl) is minimised
HIGHER_IS_BETTER = ("is_mean", "precision", "recall", "density", "coverage", "class_acc", "modes_captured",
                    "high_quality")


def higher_is_better(key: str) -> bool:
    return key.split("/")[0] in HIGHER_IS_BETTER


class EvalHook:
    """The in-training evaluation hook (see the module docstring)."""

    name = "evaluation"

    def __init__(self, cfg: Any, info: Any) -> None:
        t = cfg.train
        self.every, self.n, self.seed = t.eval_every, t.eval_n, t.seed
        self.metrics = [m.strip() for m in t.eval_metrics.split(",") if m.strip()]
        self.extractor = t.eval_extractor
        # bf16 Inception features are for monitoring only (never published numbers); the mnist
        # extractor has no bf16 mode, so the setting applies when Inception is among the extractors
        self.feature_precision = t.eval_precision if "inception" in t.eval_extractor else "fp32"
        self.toy = info.kind == "points" and info.name in ("ring8", "grid25")
        if info.kind not in ("image", "points"):
            raise GanforgeError(f"train.eval_every: in-training evaluation supports image and toy data, "
                                f"not {info.kind!r}")
        if info.kind == "points" and not self.toy:
            raise GanforgeError("train.eval_every: toy metrics exist for ring8 and grid25 only")
        base = info.name.split(":")[0] if not info.name.startswith("folder:") else info.name
        self.reference = t.eval_reference or (f"{base}-test" if not base.startswith("folder:") else base)
        self.best_key, self.patience = t.best_metric, t.early_stop
        self.best: float | None = None
        self.bad = 0

    def key_of(self, res: dict[str, Any]) -> str | None:
        """The key that picks the best checkpoint: ``train.best_metric``; when unset, the first
        FID of the evaluation (else the first KID), so a run that evaluates keeps its best
        generator by default; ``off`` keeps no best."""
        if self.best_key in ("none", "off"):
            return None
        if self.best_key:
            if self.best_key not in res:
                raise GanforgeError(f"train.best_metric {self.best_key!r} is not among the evaluated keys: "
                                    f"{', '.join(k for k in res if k not in ('n', 'n_reference', 'reference'))}")
            return self.best_key
        for prefix in ("fid", "kid"):
            found = [k for k in res if k.split("/")[0] == prefix and isinstance(res[k], (int, float))]
            if found:
                return found[0]
        return None

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "bad": self.bad}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.bad = state["best"], int(state["bad"])

    def on_log(self, ctx: Any, step: int, record: dict[str, Any]) -> dict[str, Any]:
        on_schedule = bool(self.every) and step % self.every == 0
        if not on_schedule and not (self.every and step == ctx.cfg.train.steps):
            return {}
        G = ctx.export_generator()
        if self.toy:
            from ..metrics import evaluate_toy

            res = evaluate_toy(G, ctx.dataset.info.name, seed=self.seed)
        else:
            from ..metrics import evaluate

            res = evaluate(G, reference=self.reference, metrics=self.metrics, n=self.n,
                           extractor=self.extractor, seed=self.seed, device=ctx.family.device,
                           feature_precision=self.feature_precision)
        out = {f"eval/{k}": float(v) for k, v in res.items() if isinstance(v, (int, float)) and k not in ("n", "n_reference", "kid_subset_size")}
        # an evaluation at the last step off the schedule is reported only: were it to count
        # for the best or the patience, a run continued with more --steps would decide otherwise
        # than the same run made in one go
        key = self.key_of(res) if on_schedule else None
        if key is not None:
            value = float(res[key])
            better = self.best is None or (value > self.best if higher_is_better(key) else value < self.best)
            if better and math.isfinite(value):
                self.best, self.bad = value, 0
                ctx.save_best = True
            else:
                self.bad += 1
                if self.patience and self.bad >= self.patience:
                    ctx.stop_reason = (f"early stop: {key} did not improve for {self.bad} evaluations "
                                       f"(best {self.best:.4g})")
        return out
