"""The advanced image families through the real loop: the growth stage on the EMA copy, StyleGAN's
phases and lazy Adam, option validation, SNGAN's conditioning. Their exact resume is checked by
tests/families/test_family_contract.py; the sampling commands on their runs by
tests/commands/test_sampling_controls.py."""
from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge.errors import GanforgeError
from ganforge.families import FAMILIES
from ganforge.nets.progan import progan_schedule
from ganforge.training.checkpoint import load_checkpoint

from gf_family import build_family

QUIET = {"train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.log_every": 1,
         "train.health": False}


def _train(out, family: str, steps: int, **extra) -> dict:
    over = {**FAMILIES.get(family).smoke, **QUIET, "train.steps": steps, "train.out": str(out),
            "train.ckpt_every": 0, **extra}
    res = ganforge.train(family, **over)
    return load_checkpoint(res.out / "checkpoint.pt")


def test_progan_stage_follows_the_schedule_on_g_d_and_ema(tmp_path) -> None:
    ck = _train(tmp_path, "progan", 5, **{"options.phase_steps": 2})
    # the D step of iteration 4 (the last) set the stage of step 4
    level, alpha = progan_schedule(4, 2, 3)
    assert (level, alpha) == (1, 1.0) and ck["family"]["iteration"] == 5
    for state in (ck["nets"]["G"], ck["nets"]["D"], ck["ema"]):
        assert int(state["level"]) == level and float(state["alpha"]) == alpha
    G = ganforge.load(tmp_path)  # the exported EMA generator samples at that stage, clamped to [-1, 1]
    assert G.stage == (1, 1.0)
    x = ganforge.sample(G, 4, seed=0)
    assert x.abs().max() <= 1.0
    assert torch.equal(x[..., ::2, ::2], x[..., 1::2, 1::2])  # 8x8 images up-sampled to 32x32


def test_stylegan_phases_and_lazy_adam() -> None:
    from ganforge.families.stylegan import StyleGANFamily

    assert FAMILIES.get("stylegan").cls is StyleGANFamily
    fam, _ = build_family("stylegan", **{"options.pl_weight": 2.0})
    phases = {p.name: p for p in fam.phases()}
    assert list(phases) == ["D", "R1", "G", "PL"]
    assert phases["R1"].every == 16 and not phases["R1"].uses_data and phases["PL"].every == 2
    assert [p.losses for p in phases.values()] == [("d_loss",), ("r1",), ("g_loss",), ("pl_penalty",)]
    # StyleGAN2 appendix B: lr * c and betas ** c with c = 16 / 17 for D
    g = fam.optimizers["D"].param_groups[0]
    assert g["lr"] == pytest.approx(2.5e-3 * 16 / 17) and g["betas"][1] == pytest.approx(0.99 ** (16 / 17))


def test_options_are_validated(tmp_path) -> None:
    base = {**FAMILIES.get("stylegan").smoke, **QUIET, "train.steps": 1, "train.out": str(tmp_path)}
    with pytest.raises(GanforgeError, match=r"unknown option\(s\) mixing for family 'stylegan'.*style_mixing_prob=0.9"):
        ganforge.train("stylegan", **{**base, "options.mixing": 0.5})
    with pytest.raises(GanforgeError, match="r1_interval .*expected an integer"):
        ganforge.train("stylegan", **{**base, "options.r1_interval": "often"})
    with pytest.raises(GanforgeError, match="unknown option.*family 'dcgan'.*accepted .*: none"):
        ganforge.train("dcgan", **{**FAMILIES.get("dcgan").smoke, **QUIET, "train.out": str(tmp_path / "d"),
                                   "options.phase_steps": 3})
    with pytest.raises(GanforgeError, match=r"--option r1_interval=0 \(family 'stylegan'\): must be a positive"):
        ganforge.train("stylegan", **{**base, "options.r1_interval": 0})
    with pytest.raises(GanforgeError, match=r"--option style_mixing_prob=1.5 .*must be in \[0, 1\]"):
        ganforge.train("stylegan", **{**base, "options.style_mixing_prob": 1.5})
    with pytest.raises(GanforgeError, match=r"--option phase_steps=-1 \(family 'progan'\)"):
        ganforge.train("progan", **{**FAMILIES.get("progan").smoke, **QUIET, "train.out": str(tmp_path / "p"),
                                    "options.phase_steps": -1})
    with pytest.raises(GanforgeError, match="train.loss = 'hinge'.*'nonsaturating'"):
        ganforge.train("stylegan", **{**base, "train.loss": "hinge"})
    with pytest.raises(GanforgeError, match="train.augment: .*unknown transform 'flip'"):
        ganforge.train("dcgan", **{**FAMILIES.get("dcgan").smoke, **QUIET, "train.augment": "color,flip"})
    with pytest.raises(GanforgeError, match="DiffAugment needs image data"):
        ganforge.train("gan", **{**FAMILIES.get("gan").smoke, **QUIET, "train.augment": "color",
                                 "train.out": str(tmp_path / "g")})


def test_sngan_is_conditional_when_the_data_has_labels(tmp_path) -> None:
    base = {**FAMILIES.get("sngan").smoke, **QUIET, "train.steps": 1, "train.d_steps": 1}
    assert ganforge.load(ganforge.train("sngan", **base, **{"train.out": str(tmp_path / "a")}).out).num_classes == 10
    off = ganforge.train("sngan", **base, **{"train.out": str(tmp_path / "b"), "options.conditional": "false"})
    assert ganforge.load(off.out).num_classes == 0


def test_gan_on_images_takes_the_papers_mnist_latent_not_the_toy_one() -> None:
    """`gan` defaults to a 2-d latent and 128 units for the toy mixtures; on images it takes 100-d
    noise and 512 units (the user's settings still win)."""
    from ganforge.api import make_config
    from ganforge.training.setup import resolve_config

    img = resolve_config(make_config("gan", **{"data.name": "mnist"}), "image").model
    pts = resolve_config(make_config("gan", **{"data.name": "ring8"}), "points").model
    mine = resolve_config(make_config("gan", **{"data.name": "mnist", "model.z_dim": 16}), "image").model
    assert (img.z_dim, img.width) == (100, 512)
    assert (pts.z_dim, pts.width) == (2, None)
    assert (mine.z_dim, mine.width) == (16, 512)
