"""`ganforge translate`, `upscale` and `inpaint` end to end on PNG files in temporary folders,
with tiny runs trained for one step."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import ganforge
from ganforge.cli import main
from ganforge.families import FAMILIES
from ganforge.nets import build_net, save_model

QUIET = {"train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.log_every": 1}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for family in ("pix2pix", "cyclegan", "srgan", "inpaint"):
        overrides = {**FAMILIES.get(family).smoke, **QUIET, "train.steps": 1, "train.out": str(root / family)}
        out[family] = ganforge.train(family, **overrides).out
    return out


def write_png(path, arr: np.ndarray):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


def digits(n: int, size: int = 28, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (size, size), dtype=np.uint8) for _ in range(n)]


def as_uint8(y: torch.Tensor) -> np.ndarray:
    return ((y[0, 0].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()


def as_input(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(arr).float().div(127.5).sub(1)[None, None]


def cli(capsys, *args: str) -> tuple[int, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_translate_a_folder_keeps_names_and_matches_the_api(runs, tmp_path, capsys) -> None:
    imgs = digits(3)
    for i, a in enumerate(imgs):
        write_png(tmp_path / "in" / f"digit_{i}.png", a)
    code, text = cli(capsys, "translate", runs["pix2pix"], tmp_path / "in", "--out", tmp_path / "out")
    assert code == 0 and "translated 3 image(s) AtoB" in text
    G = ganforge.load(runs["pix2pix"])
    for i, a in enumerate(imgs):
        out = np.asarray(Image.open(tmp_path / "out" / f"digit_{i}.png"))
        assert out.shape == (28, 28)
        assert np.array_equal(out, as_uint8(ganforge.translate(G, as_input(a))))


def test_translate_cyclegan_both_directions_and_resize(runs, tmp_path, capsys) -> None:
    a = digits(1, size=56)[0]
    src = write_png(tmp_path / "big.png", a)
    assert cli(capsys, "translate", runs["cyclegan"], src, "--out", tmp_path / "ab")[0] == 0
    assert cli(capsys, "translate", runs["cyclegan"], src, "--out", tmp_path / "ba", "--direction", "BtoA")[0] == 0
    ab, ba = (np.asarray(Image.open(tmp_path / d / "big.png")) for d in ("ab", "ba"))
    assert ab.shape == ba.shape == (56, 56) and not np.array_equal(ab, ba)
    G_ba = ganforge.load(runs["cyclegan"], which="generator_ba")
    assert np.array_equal(ba, as_uint8(ganforge.translate(G_ba, as_input(a))))  # native size by default
    assert cli(capsys, "translate", runs["cyclegan"], src, "--out", tmp_path / "rs", "--resize")[0] == 0
    assert np.asarray(Image.open(tmp_path / "rs" / "big.png")).shape == (56, 56)


def test_upscale(runs, tmp_path, capsys) -> None:
    small = digits(2, size=7)
    for i, a in enumerate(small):
        write_png(tmp_path / "lr" / f"{i}.png", a)
    code, text = cli(capsys, "upscale", runs["srgan"], tmp_path / "lr", "--out", tmp_path / "hr")
    assert code == 0 and "upscaled 2 image(s)" in text
    G = ganforge.load(runs["srgan"])
    for i, a in enumerate(small):
        out = np.asarray(Image.open(tmp_path / "hr" / f"{i}.png"))
        assert out.shape == (28, 28) and np.array_equal(out, as_uint8(ganforge.translate(G, as_input(a))))


def test_inpaint_keeps_known_pixels(runs, tmp_path, capsys) -> None:
    img = digits(1)[0]
    mask = np.zeros((28, 28), np.uint8)
    mask[8:18, 10:20] = 255
    code, text = cli(capsys, "inpaint", runs["inpaint"], write_png(tmp_path / "img.png", img),
                     "--mask", write_png(tmp_path / "mask.png", mask), "--out", tmp_path / "filled.png")
    assert code == 0 and "filled.png" in text
    out = np.asarray(Image.open(tmp_path / "filled.png"))
    hole = mask > 127
    assert out.shape == (28, 28) and np.array_equal(out[~hole], img[~hole]) and not np.array_equal(out[hole], img[hole])


@pytest.mark.parametrize("case,match", [
    ("missing", "INPUT .*nope.png does not exist"),
    ("empty", "holds no image files"),
    ("wrong_family", "holds a 'srgan' model: use `ganforge upscale` with it. `ganforge translate` needs a "
                     "cyclegan or pix2pix run"),
    ("noise_model", "holds a 'dcgan' model: it generates images from noise"),
    ("pix2pix_BtoA", "translates AtoB only"),
    ("colour", "is a colour image, but this model takes gray images"),
    ("mask_size", "mask .* is 14x14 but the image is 28x28"),
    ("empty_mask", "marks no hole"),
    ("not_a_run", "no saved model"),
])
def test_clear_errors(case: str, match: str, runs, tmp_path, capsys) -> None:
    gray = write_png(tmp_path / "g.png", digits(1)[0])
    if case == "missing":
        args = ["translate", runs["pix2pix"], tmp_path / "nope.png", "--out", tmp_path / "o"]
    elif case == "empty":
        (tmp_path / "empty").mkdir()
        args = ["translate", runs["pix2pix"], tmp_path / "empty", "--out", tmp_path / "o"]
    elif case == "wrong_family":
        args = ["translate", runs["srgan"], gray, "--out", tmp_path / "o"]
    elif case == "noise_model":
        save_model(build_net("dcgan_g", z_dim=4, out_shape=[1, 28, 28], width=4), tmp_path / "dc" / "generator",
                   {"family": "dcgan"})
        args = ["translate", tmp_path / "dc", gray, "--out", tmp_path / "o"]
    elif case == "pix2pix_BtoA":
        args = ["translate", runs["pix2pix"], gray, "--out", tmp_path / "o", "--direction", "BtoA"]
    elif case == "colour":
        colour = write_png(tmp_path / "c.png", np.random.default_rng(0).integers(0, 256, (28, 28, 3), dtype=np.uint8))
        args = ["translate", runs["pix2pix"], colour, "--out", tmp_path / "o"]
    elif case in ("mask_size", "empty_mask"):
        mask = np.zeros((14, 14) if case == "mask_size" else (28, 28), np.uint8)
        args = ["inpaint", runs["inpaint"], gray, "--mask", write_png(tmp_path / "m.png", mask), "--out", tmp_path / "o.png"]
    else:
        (tmp_path / "notarun").mkdir()
        args = ["upscale", tmp_path / "notarun", gray, "--out", tmp_path / "o"]
    code, text = cli(capsys, *args)
    assert code == 2
    assert "error" in text and __import__("re").search(match, text), text
