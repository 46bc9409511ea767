"""Every registered family trains; resume is exact; divergence and Ctrl-C keep the user's work."""
from __future__ import annotations

import json
import os
import signal

import pytest
import torch

import ganforge
from ganforge.errors import GanforgeError, TrainingDiverged
from ganforge.families import FAMILIES
from ganforge.training.checkpoint import load_checkpoint

from gf_asserts import state_equal


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_trains_a_few_steps(family: str, tmp_path, tiny) -> None:
    spec = FAMILIES.get(family)
    overrides = {**spec.smoke, **tiny, "train.steps": 3, "train.out": str(tmp_path / family)}
    res = ganforge.train(family, **overrides)
    assert res.step == 3
    rows = [json.loads(line) for line in (res.out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert all(v is None or isinstance(v, (int, float)) for r in rows for v in r.values())
    assert any(k.endswith("_loss") for k in rows[-1])
    for name in ("checkpoint.pt", "config.yaml", "samples.png", "loss.png", "generator/model.safetensors"):
        assert (res.out / name).exists(), name
    G = ganforge.load(res.out)
    assert G.meta["family"] == family and G.meta["step"] == 3
    if getattr(G, "z_dim", None) == 0 and hasattr(G, "in_shape"):  # an image-to-image translator
        gen = torch.Generator().manual_seed(0)
        inputs = (G.example_inputs(4, generator=gen) if hasattr(G, "example_inputs")
                  else (torch.rand(4, *G.in_shape, generator=gen) * 2 - 1,))
        x = ganforge.translate(G, *inputs)
        assert torch.equal(x, ganforge.translate(G, *inputs))
    else:
        x = ganforge.sample(G, 4, seed=0)
        assert torch.equal(x, ganforge.sample(G, 4, seed=0))
    assert torch.isfinite(x).all() and x.shape[0] == 4


def _train_steps(tmp_path, family: str, steps: int, resume: bool, extra: dict) -> dict:
    overrides = {**FAMILIES.get(family).smoke, "train.progress": False, "train.tensorboard": False,
                 "train.steps": steps, "train.out": str(tmp_path), "train.sample_every": 0, "train.log_every": 2,
                 "train.ckpt_every": 0, **extra}
    res = ganforge.train(family, resume=resume, **overrides)
    return load_checkpoint(res.out / "checkpoint.pt")


@pytest.mark.parametrize("family,extra", [
    ("gan", {"train.d_steps": 2}),
    ("dcgan", {"train.ema": 0.9, "train.ema_start": 2}),
    ("wgan-gp", {"train.d_steps": 2}),
])
def test_resume_is_bit_exact(family: str, extra: dict, tmp_path) -> None:
    whole = _train_steps(tmp_path / "whole", family, 6, False, extra)
    _train_steps(tmp_path / "split", family, 3, False, extra)
    split = _train_steps(tmp_path / "split", family, 6, True, extra)
    assert split["step"] == whole["step"] == 6
    for name in whole["nets"]:
        assert state_equal(whole["nets"][name], split["nets"][name]), name
    if whole["ema"] is not None:
        assert state_equal(whole["ema"], split["ema"])
    for name in whole["optimizers"]:
        sw, ss = whole["optimizers"][name]["state"], split["optimizers"][name]["state"]
        assert all(state_equal(sw[k], ss[k]) for k in sw)


def test_resume_refuses_a_different_config_and_names_fields(tmp_path, tiny) -> None:
    base = {**FAMILIES.get("gan").smoke, **tiny, "train.out": str(tmp_path)}
    ganforge.train("gan", **{**base, "train.steps": 2})
    with pytest.raises(GanforgeError, match=r"train.lr_d: checkpoint 0.0001 vs now 0.001"):
        ganforge.train("gan", resume=True, **{**base, "train.steps": 4, "train.lr_d": 1e-3})
    with pytest.raises(GanforgeError, match="--resume to continue"):
        ganforge.train("gan", **{**base, "train.steps": 4})
    ganforge.train("gan", resume=True, **{**base, "train.steps": 4})  # more steps is allowed


class _NaNAt:
    """A hook that poisons G's weights at a given step (a stand-in for an exploding update)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_log(self, ctx, step: int, record: dict) -> dict:
        if step == self.step:
            with torch.no_grad():
                for p in ctx.family.nets["G"].parameters():
                    p.fill_(float("nan"))
        return {}


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, tiny) -> None:
    base = {**FAMILIES.get("gan").smoke, **tiny, "train.out": str(tmp_path), "train.steps": 20,
            "train.ckpt_every": 2}
    # poisoned after step 3: step 4's losses are NaN, so the checkpoint of step 4 is never written
    with pytest.raises(TrainingDiverged, match=r"step 4: .*NaN.*last good checkpoint is kept"):
        ganforge.train("gan", hooks=[_NaNAt(3)], **base)
    ckpt = load_checkpoint(tmp_path / "checkpoint.pt")
    assert ckpt["step"] == 2
    assert all(torch.isfinite(v).all() for v in ckpt["nets"]["G"].values())


class _CtrlC:
    def on_log(self, ctx, step: int, record: dict) -> dict:
        if step == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return {}


def test_ctrl_c_saves_a_checkpoint_that_resumes(tmp_path, tiny) -> None:
    base = {**FAMILIES.get("gan").smoke, **tiny, "train.out": str(tmp_path), "train.steps": 10, "train.ckpt_every": 0}
    res = ganforge.train("gan", hooks=[_CtrlC()], **base)
    assert res.interrupted and res.step == 3
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 3
    assert ganforge.train("gan", resume=True, **base).step == 10


def test_toy_samples_are_points_and_conditional_labels_work(tmp_path, tiny) -> None:
    res = ganforge.train("cgan", **{**FAMILIES.get("gan").smoke, **tiny, "train.steps": 2, "train.out": str(tmp_path)})
    G = ganforge.load(res.out)
    assert G.num_classes == 8 and G.out_shape == (2,)
    x = ganforge.sample(G, 5, seed=1, labels=3)
    assert x.shape == (5, 2)
    with pytest.raises(GanforgeError, match="accepted 0..7"):
        ganforge.sample(G, 2, labels=9)


def test_precision_bf16_runs(tmp_path, tiny) -> None:
    res = ganforge.train("dcgan", **{**FAMILIES.get("dcgan").smoke, **tiny, "train.steps": 2,
                                     "train.out": str(tmp_path), "train.precision": "bf16"})
    assert res.step == 2
