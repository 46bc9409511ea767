"""The health monitor flags each classic failure when provoked on purpose, and nothing in a healthy run."""
from __future__ import annotations

import json

import torch

import ganforge

BASE = {"data.name": "ring8", "train.progress": False, "train.tensorboard": False, "train.sample_every": 0,
        "train.ckpt_every": 0, "train.log_every": 20}


def _run(tmp_path, family="gan", hooks=None, **kw):
    return ganforge.train(family, hooks=hooks, **{**BASE, "train.out": str(tmp_path), **kw})


def _kinds(res) -> list[str]:
    return [e.kind for e in res.health]


def test_saturating_loss_against_a_strong_discriminator_vanishes(tmp_path) -> None:
    res = _run(tmp_path, **{"train.loss": "minimax", "train.d_steps": 5, "train.lr_d": 5e-3, "train.steps": 120,
                            "train.log_every": 10})
    assert "vanishing_gradients" in _kinds(res)
    ev = next(e for e in res.health if e.kind == "vanishing_gradients")
    assert ev.evidence["d_fake"] < 0.05 and ev.evidence["g_grad_norm"] < 0.1 * ev.evidence["early_grad_norm"]
    assert "nonsaturating" in ev.message  # the remedy is named
    logged = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert any(r.get("event") == "health" and r["kind"] == "vanishing_gradients" for r in logged)


class _CollapseAt:
    """Zero G's output layer: every latent maps to the same point (a total mode collapse)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_log(self, ctx, step, record):
        if step == self.step:
            last = [m for m in ctx.family.nets["G"].modules() if isinstance(m, torch.nn.Linear)][-1]
            with torch.no_grad():
                last.weight.zero_()
        return {}


def test_mode_collapse_is_flagged_with_its_evidence(tmp_path) -> None:
    res = _run(tmp_path, hooks=[_CollapseAt(300)], **{"train.steps": 400})
    assert _kinds(res) == ["mode_collapse"]
    ev = res.health[0]
    assert ev.step >= 300 and ev.evidence["diversity_ratio"] < 0.05 and ev.evidence["modes_reached"] <= 2
    assert ev.evidence["best_diversity_ratio"] > 0.3  # it had diversity before


def test_a_discriminator_that_always_wins_is_unstable(tmp_path) -> None:
    res = _run(tmp_path, **{"train.lr_g": 1e-7, "train.lr_d": 1e-3, "train.steps": 400, "train.log_every": 10})
    assert "d_dominates" in _kinds(res)


def test_healthy_runs_raise_nothing(tmp_path) -> None:
    assert _kinds(_run(tmp_path / "gan", **{"train.steps": 800})) == []
    res = _run(tmp_path / "wgp", family="wgan-gp", **{"train.steps": 200})
    assert _kinds(res) == []
    rows = [json.loads(line) for line in (tmp_path / "gan" / "metrics.jsonl").read_text().splitlines()]
    fooled = [r["d_fooled"] for r in rows if "d_fooled" in r]
    assert 0.1 < sum(fooled) / len(fooled) < 0.9  # D is fooled a fair share of the time, not never
    assert min(r["diversity"] for r in rows if "diversity" in r) > 0.3
