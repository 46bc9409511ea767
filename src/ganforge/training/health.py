"""Live detection of the three classic GAN failures, with the step, the evidence and a remedy.

- **Vanishing generator gradients** (Goodfellow et al. 2014, sec. 3; Arjovsky & Bottou 2017):
  D rejects the fakes with confidence (mean D(G(z)) below 0.05) while G's gradient norm has
  collapsed to under a tenth of its early value. Typical of the saturating (minimax) loss
  against a strong D.
- **Mode collapse**: the generated samples lose the diversity they had. Measured on a fixed
  batch of latents as the mean pairwise distance of samples divided by that of real data: it
  is flagged when it falls below 0.25 and below half of its best value so far (an untrained
  generator starts with little diversity; that is not a collapse). On labelled toy data also
  when the samples reach at most half of the mixture modes after having reached three
  quarters; on MNIST-like images when one class takes over half of the samples under the
  bundled digit classifier (when installed) after the histogram had been balanced.
- **Unstable convergence**: D's accuracy stuck at 100% for many log steps (D has won and G
  gets no useful signal), or losses oscillating with growing amplitude. NaN/inf and exploding
  losses stop the run (see the loop).

It also reports how often D is fooled (the fraction of fakes D calls real, ``d_fooled``): the
game's equilibrium is D fooled about half the time.

Each warning is a record ``{"step", "event": "health", "kind", "message", "evidence"}`` in
``metrics.jsonl`` and a line in the progress output; it is raised once and raised again only
after the condition has cleared. Like every hook it runs inside the loop's guard
(:func:`ganforge.training.hooks.watching`: global RNG restored, eval mode, no gradients) and
samples for the diversity check with its own seeded generator, so it never changes training;
its windows and best values are saved in the checkpoint, so a resumed run warns as an
uninterrupted one would (resume stays exact).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import torch

VANISH_D_FAKE = 0.05
VANISH_GRAD_RATIO = 0.1
COLLAPSE_DIVERSITY = 0.25
STUCK_ACC = 0.99


@dataclass
class HealthEvent:
    step: int
    kind: str
    message: str
    evidence: dict[str, float] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {"step": self.step, "event": "health", "kind": self.kind, "message": self.message,
                "evidence": self.evidence}


def _pairwise_mean(x: torch.Tensor) -> float:
    x = x.reshape(x.shape[0], -1).double()
    d = torch.cdist(x, x)
    n = x.shape[0]
    return float(d.sum() / (n * (n - 1)))


class HealthMonitor:
    """A loop hook (``on_log``). ``window``: consecutive log records a condition must hold."""

    name = "health"

    def __init__(self, every: int = 0, window: int = 3, stuck_window: int = 20, n_samples: int = 256,
                 emit=print) -> None:
        self.every, self.window, self.stuck_window, self.n = every, window, stuck_window, n_samples
        self.emit = emit
        self.active: set[str] = set()
        self.events: list[HealthEvent] = []
        self.early_grad: list[float] = []
        self.recent: deque[dict[str, float]] = deque(maxlen=max(window, stuck_window))
        self.real_diversity: float | None = None
        self.fooled: list[float] = []
        self.best: dict[str, float] = {}
        self._last_check = 0
        self._classifier: Any = None

    # --- the hook ------------------------------------------------------------------------
    def on_log(self, ctx: Any, step: int, record: dict[str, Any]) -> dict[str, Any]:
        self.recent.append(record)
        if "d_fooled" in record:
            self.fooled.append(record["d_fooled"])
        out: dict[str, Any] = {}
        self._check_vanishing(ctx, step, record)
        self._check_stuck(ctx, step)
        self._check_oscillation(ctx, step)
        every = self.every or 5 * max(ctx.cfg.train.log_every, 1)
        if step - self._last_check >= every:
            self._last_check = step
            out.update(self._check_diversity(ctx, step))
        elif step == ctx.cfg.train.steps:  # a last look, off the schedule: it does not move it
            out.update(self._check_diversity(ctx, step))
        return out

    def state_dict(self) -> dict[str, Any]:
        """The history the conditions look back on (plain containers, for the checkpoint)."""
        return {"active": sorted(self.active), "early_grad": list(self.early_grad), "recent": list(self.recent),
                "real_diversity": self.real_diversity, "fooled": list(self.fooled), "best": dict(self.best),
                "last_check": self._last_check}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.active = set(state["active"])
        self.early_grad = list(state["early_grad"])
        self.recent.clear()
        self.recent.extend(state["recent"])
        self.real_diversity = state["real_diversity"]
        self.fooled = list(state["fooled"])
        self.best = dict(state["best"])
        self._last_check = int(state["last_check"])

    def summary(self) -> str:
        if not self.fooled:
            return ""
        f = sum(self.fooled) / len(self.fooled)
        return f"D was fooled by {100 * f:.1f}% of generated samples on average (equilibrium: about 50%)"

    # --- conditions ----------------------------------------------------------------------
    def _raise(self, ctx: Any, step: int, kind: str, message: str, evidence: dict[str, float]) -> None:
        if kind in self.active:
            return
        self.active.add(kind)
        ev = HealthEvent(step, kind, message, {k: round(float(v), 6) for k, v in evidence.items()})
        self.events.append(ev)
        ctx.events.append(ev.record())
        self.emit(f"[health] step {step}: {kind}: {message}")

    def _clear(self, kind: str) -> None:
        self.active.discard(kind)

    def _check_vanishing(self, ctx: Any, step: int, record: dict[str, Any]) -> None:
        g = record.get("g_grad_norm")
        if g is None or not math.isfinite(g):
            return
        if len(self.early_grad) < self.window:
            self.early_grad.append(g)
            return
        from ..losses import LOSSES

        loss = ctx.cfg.train.loss
        if loss not in LOSSES or not LOSSES.get(loss).probabilistic or "d_fake" not in record:
            return
        ref = max(self.early_grad)
        last = list(self.recent)[-self.window:]
        cond = len(last) == self.window and all(
            r.get("d_fake", 1.0) < VANISH_D_FAKE and r.get("g_grad_norm", ref) < VANISH_GRAD_RATIO * ref for r in last)
        if cond:
            remedy = ("switch to the non-saturating loss (--loss nonsaturating) or a Wasserstein loss (wgan-gp), "
                      "or weaken D (fewer --d-steps, lower --lr-d)") if loss == "minimax" else \
                     ("an R1 penalty on D (--r1-gamma 1; a larger gamma if it is on), weaken D (fewer "
                      "--d-steps, lower --lr-d, smaller --width) or use wgan-gp")
            self._raise(ctx, step, "vanishing_gradients",
                        f"D(G(z)) = {record['d_fake']:.3g} and G's gradient norm fell to {record['g_grad_norm']:.3g} "
                        f"(early: {ref:.3g}): the generator is barely learning. Remedy: {remedy}.",
                        {"d_fake": record["d_fake"], "g_grad_norm": record["g_grad_norm"], "early_grad_norm": ref})
        elif record.get("d_fake", 0.0) > 2 * VANISH_D_FAKE:
            self._clear("vanishing_gradients")

    def _check_stuck(self, ctx: Any, step: int) -> None:
        accs = [r["d_acc"] for r in self.recent if "d_acc" in r][-self.stuck_window:]
        if len(accs) == self.stuck_window and min(accs) >= STUCK_ACC:
            self._raise(ctx, step, "d_dominates",
                        f"D has classified real and fake samples with >= {100 * STUCK_ACC:.0f}% accuracy for the last "
                        f"{self.stuck_window} log steps: the game is not converging. Remedy: lower --lr-d or raise "
                        f"--lr-g, use a gradient penalty (wgan-gp) or R1 (--r1-gamma), or spectral norm in D.",
                        {"min_d_acc": min(accs), "log_steps": float(self.stuck_window)})
        elif accs and accs[-1] < 0.9:
            self._clear("d_dominates")

    def _check_oscillation(self, ctx: Any, step: int) -> None:
        vals = [r["g_loss"] for r in self.recent if "g_loss" in r and math.isfinite(r["g_loss"])]
        n = self.stuck_window
        if len(vals) < n:
            return
        vals = vals[-n:]
        first, second = vals[: n // 2], vals[n // 2:]
        amp1 = max(first) - min(first)
        amp2 = max(second) - min(second)
        diffs = [b - a for a, b in zip(vals, vals[1:])]
        reversals = sum(1 for a, b in zip(diffs, diffs[1:]) if a * b < 0)
        scale = sum(abs(v) for v in vals) / n + 1e-8
        if reversals >= 0.6 * (n - 2) and amp2 > 2 * amp1 and amp2 > 0.5 * scale:
            self._raise(ctx, step, "oscillation",
                        f"G's loss oscillates with growing amplitude ({amp1:.3g} -> {amp2:.3g} over the last "
                        f"{n} log steps). Remedy: lower the learning rates, Adam beta1 0.5 or 0, a gradient penalty, "
                        f"or EMA of G (--ema 0.999) for sampling.", {"amplitude_before": amp1, "amplitude_after": amp2})
        elif amp2 <= amp1:
            self._clear("oscillation")

    # --- diversity (mode collapse) -------------------------------------------------------
    def _check_diversity(self, ctx: Any, step: int) -> dict[str, Any]:
        family, info = ctx.family, ctx.dataset.info
        if info.kind not in ("image", "points") or not hasattr(family, "sample"):
            return {}
        G = family.nets[family.generator_name]
        fake = family.sample(self.n, generator=torch.Generator().manual_seed(12345), net=G).float().cpu()
        if self.real_diversity is None:
            g = torch.Generator().manual_seed(54321)
            idx = torch.randperm(len(ctx.dataset), generator=g)[: self.n]
            self.real_diversity = _pairwise_mean(ctx.dataset.x[idx].float())
        ratio = _pairwise_mean(fake) / max(self.real_diversity, 1e-12)
        best = self.best
        out: dict[str, Any] = {"diversity": ratio}
        evidence: dict[str, float] = {"diversity_ratio": ratio, "best_diversity_ratio": max(ratio, best.get("div", 0))}
        collapsed = ratio < COLLAPSE_DIVERSITY and ratio < 0.5 * best.get("div", 0.0)
        best["div"] = max(best.get("div", 0.0), ratio)
        modes = info.extra.get("modes") if info.kind == "points" else None
        if modes is not None:
            centres = torch.tensor(modes, dtype=torch.float32)
            nearest = torch.cdist(fake, centres).argmin(1)
            hist = torch.bincount(nearest, minlength=len(centres)).float()
            reached = int((hist >= 0.01 * self.n).sum())
            out["modes_reached"] = reached
            evidence["modes_reached"] = reached
            evidence["modes_total"] = len(centres)
            collapsed = collapsed or (reached <= len(centres) // 2 and best.get("modes", 0) >= 0.75 * len(centres))
            best["modes"] = max(best.get("modes", 0), reached)
        clf_hist = self._class_histogram(fake, info)
        if clf_hist is not None:
            top = float(clf_hist.max())
            out["top_class_fraction"] = top
            evidence["top_class_fraction"] = top
            collapsed = collapsed or (top > 0.5 and best.get("top", 1.0) < 0.3)
            best["top"] = min(best.get("top", 1.0), top)
        if collapsed:
            self._raise(ctx, step, "mode_collapse",
                        "generated samples have lost diversity ("
                        + ", ".join(f"{k} = {v:.3g}" for k, v in evidence.items())
                        + "). Remedy: PacGAN packing (--pack 2), an R1 penalty on D (--r1-gamma 1), "
                          "a Wasserstein loss with gradient penalty (wgan-gp), "
                          "a lower generator learning rate, or minibatch discrimination.", evidence)
        else:
            self._clear("mode_collapse")
        return out

    def _class_histogram(self, fake: torch.Tensor, info: Any) -> torch.Tensor | None:
        """Class frequencies of samples under the bundled MNIST classifier, for MNIST-like data."""
        if info.kind != "image" or info.num_classes != 10 or fake.shape[1] != 1 or "mnist" not in info.name:
            return None
        if self._classifier is None:
            try:
                from ..nets.classifier import load_mnist_classifier

                self._classifier = load_mnist_classifier()
            except Exception:  # classifier weights not installed: diversity alone decides
                self._classifier = False
        if self._classifier is False:
            return None
        logits = self._classifier(fake)
        return torch.bincount(logits.argmax(1), minlength=10).float() / fake.shape[0]
