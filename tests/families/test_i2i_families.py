"""The image-to-image families train through the generic loop (CycleGAN with its image pools and
learning-rate decay), write input | output | target grids and export the translators."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ganforge
from ganforge.errors import GanforgeError
from ganforge.families import FAMILIES
from ganforge.families.cyclegan import linear_decay
from ganforge.training.checkpoint import load_checkpoint

QUIET = {"train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.log_every": 1,
         "train.ckpt_every": 0}


def run(family: str, out, steps: int, **extra):
    return ganforge.train(family, **{**FAMILIES.get(family).smoke, **QUIET, "train.steps": steps,
                                     "train.out": str(out), **extra.pop("overrides", {})}, **extra)


def test_cyclegan_checkpoint_holds_full_pools_and_the_decayed_learning_rate(tmp_path) -> None:
    # (exact resume of every image-to-image family, pools included, is checked by
    # tests/families/test_family_contract.py)
    total = 5
    res = run("cyclegan", tmp_path, total)
    ck = load_checkpoint(res.out / "checkpoint.pt")
    assert ck["family"]["iteration"] == total
    assert len(ck["family"]["pool_a"]["images"]) == FAMILIES.get("cyclegan").smoke["options.pool_size"]
    # linear decay from step 2 (half of 5) to zero at step 5: the 5th update used 1/3 of the rate
    lr = ck["optimizers"]["G"]["param_groups"][0]["lr"]
    assert lr == pytest.approx(2e-4 * (1 - 2 / 3))


def test_cyclegan_learning_rate_schedule() -> None:
    assert [linear_decay(i, 10) for i in (0, 4, 5, 6, 9)] == pytest.approx([1, 1, 1, 0.8, 0.2])
    assert [linear_decay(i, 10, 8) for i in (7, 8, 9, 10)] == pytest.approx([1, 1, 0.5, 0])


def _tiles(path, cols: int, size: int = 28, pad: int = 2, scale: int = 2) -> np.ndarray:
    """The tiles of a saved grid: (rows, cols, H, W) uint8 (gray)."""
    from PIL import Image

    im = np.asarray(Image.open(path))[::scale, ::scale]
    rows = (im.shape[0] - pad) // (size + pad)
    assert (im.shape[1] - pad) // (size + pad) == cols
    return np.stack([[im[pad + r * (size + pad):pad + r * (size + pad) + size,
                         pad + c * (size + pad):pad + c * (size + pad) + size] for c in range(cols)]
                     for r in range(rows)])


@pytest.mark.parametrize("family,columns", [("cyclegan", {0: "a", 3: "b"}), ("inpaint", {0: "a", 2: "b"})])
def test_grids_show_input_output_target_rows(family: str, columns: dict, tmp_path) -> None:
    res = run(family, tmp_path, 2)
    held = load_checkpoint(res.out / "checkpoint.pt")["family"]["held"]
    cols = {"cyclegan": 6, "inpaint": 3}[family]
    tiles = _tiles(res.out / "samples.png", cols)
    grid = FAMILIES.get(family).smoke["train.grid"]
    assert len(tiles) == grid // cols
    for col, key in columns.items():
        for r in range(len(tiles)):
            expected = ((held[key][r, 0].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
            assert np.array_equal(tiles[r, col], expected), (col, key, r)
    assert not np.array_equal(tiles[:, 1], tiles[:, 0])  # the output column is the translation


def test_exports_and_load(tmp_path) -> None:
    res = run("cyclegan", tmp_path, 1)
    for folder in ("generator", "generator_ba", "discriminator_a", "discriminator_b"):
        assert (res.out / folder / "model.safetensors").is_file(), folder
    G = ganforge.load(res.out)
    G_ba = ganforge.load(res.out, which="generator_ba")
    assert G.meta["translators"] == {"AtoB": "generator", "BtoA": "generator_ba"}
    assert G.meta["command"] == "translate" and G_ba.meta["role"] == "G_BA"
    x = torch.rand(2, *G.in_shape) * 2 - 1
    y = ganforge.translate(G, x)
    assert y.shape == (2, *G.out_shape) and torch.isfinite(y).all()
    assert ganforge.translate(G_ba, y).shape == x.shape
    with pytest.raises(GanforgeError, match="no latent space.*ganforge.translate"):
        ganforge.sample(G, 2)


def test_srgan_pretrains_then_goes_adversarial(tmp_path) -> None:
    res = run("srgan", tmp_path, 3, overrides={"options.pretrain_steps": 2})
    import json

    rows = [json.loads(line) for line in (res.out / "metrics.jsonl").read_text().splitlines()]
    assert "mse" in rows[0] and "d_loss" not in rows[0] and "mse" in rows[1]
    assert "d_loss" in rows[2] and "g_content" in rows[2] and "mse" not in rows[2]
    G = ganforge.load(res.out)
    assert G.meta["scale"] == 4 and G.meta["command"] == "upscale" and G.meta["content"] in ("pixel", "classifier")
    assert ganforge.translate(G, torch.zeros(1, 1, 7, 7)).shape == (1, 1, 28, 28)


def test_inpaint_draws_holes_on_plain_images(tmp_path) -> None:
    res = run("inpaint", tmp_path, 2, overrides={"data.name": "mnist", "options.hole": 10})
    held = load_checkpoint(res.out / "checkpoint.pt")["family"]["held"]
    mask = held["mask"]
    assert mask.shape[1:] == (1, 28, 28) and torch.all(mask.sum((1, 2, 3)) == 100)
    assert torch.equal(held["a"] * (1 - mask), held["b"] * (1 - mask)) and torch.all(held["a"][mask.bool()] == 0)


@pytest.mark.parametrize("family,overrides,match", [
    ("pix2pix", {"data.name": "mnist-thin2thick"}, "pix2pix.*trains on paired data.*'unpaired'"),
    ("pix2pix", {"data.name": "mnist-sr"}, "for super-resolution use the srgan family"),
    ("srgan", {"data.name": "mnist-edges2digits"}, "srgan needs targets 2, 4 or 8 times"),
    ("inpaint", {"data.name": "mnist-edges2digits"}, "paired dataset without masks"),
    ("cyclegan", {"data.name": "mnist-colorize"}, "lambda_identity = 0.5 needs domains with the same channels"),
    ("cyclegan", {"options.pool": 3}, r"unknown option\(s\) pool for family 'cyclegan'.*pool_size=50"),
    ("pix2pix", {"options.lambda_l1": "big"}, r"--option lambda_l1 \(family 'pix2pix'\): expected a number, got 'big'"),
    ("srgan", {"options.content": "vgg"}, "accepted values are auto, classifier, pixel"),
])
def test_clear_errors(family: str, overrides: dict, match: str, tmp_path) -> None:
    with pytest.raises(GanforgeError, match=match):
        run(family, tmp_path, 1, overrides=overrides)
