"""The advanced families through the real loop: exact resume of each of them (StyleGAN with
lazy R1 and path length, ProGAN in the middle of a fade-in, InfoGAN, BigGAN, SNGAN, DiffAugment),
the growth stage on the EMA copy, option validation, and the sampling commands (truncation,
style mixing, code traversal)."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import ganforge
from ganforge.cli import main
from ganforge.errors import GanforgeError
from ganforge.families import FAMILIES
from ganforge.nets.progan import progan_schedule
from ganforge.training.checkpoint import load_checkpoint

from gf_family import build_family

QUIET = {"train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.log_every": 1,
         "train.health": False}


def _fails(capsys, pattern: str, argv: list[str]) -> None:
    """The command exits with an error whose message matches ``pattern``."""
    assert main(argv) != 0
    assert re.search(pattern, capsys.readouterr().err), pattern


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _train(out, family: str, steps: int, resume: bool = False, **extra) -> dict:
    over = {**FAMILIES.get(family).smoke, **QUIET, "train.steps": steps, "train.out": str(out),
            "train.ckpt_every": 0, **extra}
    res = ganforge.train(family, resume=resume, **over)
    return load_checkpoint(res.out / "checkpoint.pt")


@pytest.mark.parametrize("family,extra", [
    # R1 every 4 iterations and path length every 2 run before and after the split at step 3
    ("stylegan", {"options.r1_interval": 4, "train.augment": "color,translation,cutout"}),
    # phase_steps 2: level 0 for steps 0-1, fade-in of 8x8 over steps 2-3: the split is mid-fade
    ("progan", {"options.phase_steps": 2, "train.augment": "translation"}),
    ("dcgan", {"train.augment": "color,translation,cutout"}),
    ("infogan", {"train.augment": "translation"}),
    ("biggan", {"train.d_steps": 2}),
    ("sngan", {}),
])
def test_resume_is_bit_exact(family: str, extra: dict, tmp_path) -> None:
    whole = _train(tmp_path / "whole", family, 6, **extra)
    _train(tmp_path / "split", family, 3, **extra)
    split = _train(tmp_path / "split", family, 6, resume=True, **extra)
    assert whole["step"] == split["step"] == 6
    for name in whole["nets"]:
        assert _equal(whole["nets"][name], split["nets"][name]), name
    if whole["ema"] is not None:
        assert _equal(whole["ema"], split["ema"])
    for name in whole["optimizers"]:
        sw, ss = whole["optimizers"][name]["state"], split["optimizers"][name]["state"]
        assert sw.keys() == ss.keys() and all(_equal(sw[k], ss[k]) for k in sw), name
    for k, v in whole["family"].items():
        assert torch.equal(torch.as_tensor(v), torch.as_tensor(split["family"][k])), k


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


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, str]:
    out = {}
    for family in ("stylegan", "biggan", "infogan"):
        path = tmp_path_factory.mktemp("runs") / family
        ganforge.train(family, **{**FAMILIES.get(family).smoke, **QUIET, "train.steps": 2, "train.out": str(path)})
        out[family] = str(path)
    return out


def test_sample_truncation(runs, tmp_path, capsys) -> None:
    # StyleGAN psi = 0: every latent maps to w_avg, and eval-mode noise is fixed: identical images
    assert main(["sample", runs["stylegan"], "--n", "4", "--truncation", "0", "--out", str(tmp_path / "s.npy")]) == 0
    x = np.load(tmp_path / "s.npy")
    assert np.array_equal(x[0], x[3]) and x.min() >= -1 and x.max() <= 1
    assert main(["sample", runs["stylegan"], "--n", "4", "--out", str(tmp_path / "s1.npy")]) == 0
    assert not np.array_equal(np.load(tmp_path / "s1.npy")[0], np.load(tmp_path / "s1.npy")[3])
    # BigGAN threshold: the latents come from a truncated normal, so the samples change
    G = ganforge.load(runs["biggan"])
    z = ganforge.api.latents(G, 64, seed=0, truncation=0.25)
    assert z.abs().max() <= 0.25
    for t, name in ((None, "b.npy"), ("0.25", "bt.npy")):
        assert main(["sample", runs["biggan"], "--n", "8", "--out", str(tmp_path / name),
                     *(["--truncation", t] if t else [])]) == 0
    assert not np.allclose(np.load(tmp_path / "b.npy"), np.load(tmp_path / "bt.npy"))
    _fails(capsys, "--truncation: this generator has no truncation",
           ["sample", runs["infogan"], "--truncation", "0.5", "--out", str(tmp_path / "x.png")])


def test_mix_grid(runs, tmp_path, capsys) -> None:
    out = tmp_path / "mix.npy"
    assert main(["mix", runs["stylegan"], "--seed", "1", "--seed", "2", "--seed", "3", "--rows", "2",
                 "--layers", "0-3", "--out", str(out)]) == 0
    x = np.load(out)
    assert x.shape == (9, 1, 32, 32)  # (rows + 1) x (columns + 1)
    assert (x[0] == -1).all()  # blank corner
    G = ganforge.load(runs["stylegan"])
    assert np.allclose(x[1], ganforge.sample(G, 1, seed=2).numpy()[0], atol=1e-5)  # column image = seed 2
    assert np.allclose(x[3], ganforge.sample(G, 1, seed=1).numpy()[0], atol=1e-5)  # row image = seed 1
    full = ganforge.api.style_mix(G, [1], [2], layers=f"0-{G.num_ws - 1}")
    assert torch.allclose(full[3], full[1], atol=1e-5)  # all styles from the column: the column image
    assert main(["mix", runs["stylegan"], "--seed", "1", "--seed", "2", "--out", str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").exists()
    _fails(capsys, r"--layers '0-99': this generator has style layers 0\.\.7",
           ["mix", runs["stylegan"], "--seed", "1", "--seed", "2", "--layers", "0-99"])
    _fails(capsys, "StyleGAN-like generator", ["mix", runs["biggan"], "--seed", "1", "--seed", "2"])


def test_traverse_code(runs, tmp_path, capsys) -> None:
    assert main(["traverse", runs["infogan"], "--code", "c1", "--n", "2", "--out", str(tmp_path / "c1.npy")]) == 0
    assert np.load(tmp_path / "c1.npy").shape == (20, 1, 28, 28)  # 2 rows x 10 categories
    assert main(["traverse", runs["infogan"], "--code", "c2", "--range", "-2", "2", "--steps", "5", "--n", "3",
                 "--out", str(tmp_path / "c2.npy")]) == 0
    x = np.load(tmp_path / "c2.npy")
    assert x.shape == (15, 1, 28, 28) and not np.allclose(x[0], x[4])
    assert main(["traverse", runs["infogan"], "--dim", "0", "--out", str(tmp_path / "d.png")]) == 0
    _fails(capsys, "codes are c1, c2, c3", ["traverse", runs["infogan"], "--code", "c9"])
    _fails(capsys, "no structured latent codes", ["traverse", runs["stylegan"], "--code", "c1"])
    _fails(capsys, "either --dim N .* or --code", ["traverse", runs["infogan"]])
