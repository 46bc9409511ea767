"""The sampling commands on advanced-family runs: truncation (StyleGAN psi, BigGAN threshold),
style mixing grids and InfoGAN code traversal, with their errors."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import ganforge
from ganforge.cli import main
from ganforge.families import FAMILIES

QUIET = {"train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.log_every": 1,
         "train.health": False}


def _fails(capsys, pattern: str, argv: list[str]) -> None:
    """The command exits with an error whose message matches ``pattern``."""
    assert main(argv) != 0
    assert re.search(pattern, capsys.readouterr().err), pattern


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
