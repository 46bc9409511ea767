"""The attngan family end to end on a tiny CUB-style folder made here, its steps, sampling from
text (CLI and API), caption interpolation and the text-to-image metrics."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import ganforge
from ganforge.cli import main
from ganforge.errors import GanforgeError
from ganforge.families.attngan import kl_loss, same_captions
from gf_captions import make_cub

TINY = {"data.resolution": 16, "data.batch_size": 4, "model.width": 4, "model.z_dim": 4,
        "data.options": {"test_fraction": 0.0},
        "options": {"damsm_steps": 2, "ca_dim": 4, "residuals": 1, "embed_dim": 8, "hidden": 8, "encoder_width": 4,
                    "region_grid": 4},
        "train.log_every": 1, "train.sample_every": 0, "train.progress": False, "train.tensorboard": False}


@pytest.fixture(scope="module")
def cub_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("t2i")
    cub = make_cub(root / "cub", n=8)
    out = root / "run"
    ganforge.train("attngan", **{**TINY, "data.name": f"captions:{cub}", "train.steps": 5, "train.out": str(out)})
    return out


def test_cub_folder_trains_end_to_end(cub_run: Path) -> None:
    rows = [json.loads(line) for line in (cub_run / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "event" not in r]
    assert [("damsm_loss" in r, "g_loss" in r) for r in steps] == [(True, False)] * 2 + [(False, True)] * 3
    for sub in ("generator", "discriminator", "text_encoder", "image_encoder"):
        assert (cub_run / sub / "model.safetensors").is_file(), sub
    G = ganforge.load(cub_run)
    TE = ganforge.load(cub_run / "text_encoder")
    # the generator's text encoder is the DAMSM-trained one saved next to it
    te = {k[len("text_encoder."):]: v for k, v in G.state_dict().items() if k.startswith("text_encoder.")}
    assert te.keys() == TE.state_dict().keys() and all(torch.equal(te[k], TE.state_dict()[k]) for k in te)
    assert G.meta["kind"] == "captioned" and "handwritten" in G.meta["data_extra"]["vocab"]["tokens"]


def test_sample_from_text(cub_run: Path) -> None:
    G = ganforge.load(cub_run)
    x = ganforge.sample(G, 3, seed=0, text="a handwritten seven")
    assert x.shape == (3, 3, 16, 16) and torch.isfinite(x).all()
    assert torch.equal(x, ganforge.sample(G, 3, seed=0, text="a handwritten seven"))
    assert not torch.equal(x, ganforge.sample(G, 3, seed=0, text="the digit one"))
    with pytest.raises(GanforgeError, match="unknown word.*purple"):
        ganforge.sample(G, 2, text="a purple seven")
    with pytest.raises(GanforgeError, match="expected one caption or 2"):
        ganforge.sample(G, 2, text=["a seven", "a one", "a two"])


def test_cli_sample_interpolate_and_eval(cub_run: Path, tmp_path: Path, capsys) -> None:
    assert main(["sample", str(cub_run), "--text", "a handwritten seven", "--text", "the digit two", "--n", "3",
                 "--out", str(tmp_path / "grid.png")]) == 0
    from PIL import Image

    with Image.open(tmp_path / "grid.png") as im:  # 2 rows of 3
        assert im.size[0] > im.size[1]
    assert main(["interpolate", str(cub_run), "--text", "a handwritten seven", "--text", "the digit two",
                 "--steps", "4", "--out", str(tmp_path / "i.npy")]) == 0
    import numpy as np

    arr = np.load(tmp_path / "i.npy")
    assert arr.shape == (4, 3, 16, 16)
    G = ganforge.load(cub_run)
    ends = ganforge.sample(G, 1, seed=0, text=["a handwritten seven"]), ganforge.sample(G, 1, seed=0, text="the digit two")
    assert np.allclose(arr[0], ends[0][0].numpy(), atol=1e-5) and np.allclose(arr[-1], ends[1][0].numpy(), atol=1e-5)
    assert main(["sample", str(cub_run), "--text", "a zebra", "--out", str(tmp_path / "x.png")]) == 2
    assert "unknown word(s) zebra" in capsys.readouterr().err
    res = ganforge.evaluate(cub_run, n=8, metrics="fid", extractor="mnist")
    assert res["n"] == 8 and res["fid/mnist"] > 0


def test_family_refuses_other_data_and_bad_options() -> None:
    with pytest.raises(GanforgeError, match="images with captions"):
        ganforge.train("attngan", **{"data.name": "digits", "train.steps": 1, "train.out": "/nonexistent/x"})
    with pytest.raises(GanforgeError, match="stages"):
        ganforge.train("attngan", **{**TINY, "data.name": "mnist-captions", "data.split": "test", "data.resolution": 20, "data.limit": 8,
                                     "data.options": {}, "train.steps": 1, "train.out": "/tmp/never-written-t2i"})


def test_kl_and_same_captions() -> None:
    assert float(kl_loss(torch.zeros(2, 3), torch.zeros(2, 3))) == 0.0
    assert float(kl_loss(torch.ones(1, 4), torch.zeros(1, 4))) == pytest.approx(2.0)
    t = torch.tensor([[5, 6, 2], [5, 6, 2], [5, 7, 2]])
    assert same_captions(t).tolist() == [[True, True, False], [True, True, False], [False, False, True]]
