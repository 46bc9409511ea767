"""The explorer's caption box: a text-to-image run's grid, render and interpolation take a
caption; unknown words are a 400 naming them; other generators refuse a caption."""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ganforge
from gf_captions import make_cub
from webtools import call, running_server


@pytest.fixture(scope="module")
def text_server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("webt2i")
    cub = make_cub(root / "cub", n=8)
    out = root / "tiny-t2i"
    ganforge.train("attngan", **{"data.name": f"captions:{cub}", "data.resolution": 16, "data.batch_size": 4,
                                 "data.options": {"test_fraction": 0.0}, "model.width": 4, "model.z_dim": 4,
                                 "options": {"damsm_steps": 1, "ca_dim": 4, "residuals": 1, "embed_dim": 8,
                                             "hidden": 8, "encoder_width": 4, "region_grid": 4},
                                 "train.steps": 2, "train.out": str(out), "train.progress": False,
                                 "train.tensorboard": False, "train.sample_every": 0})
    with running_server([out]) as url:
        yield url, out


def _json(resp) -> dict:
    status, body, _ = resp
    return {"status": status, **json.loads(body)}


def _img(u: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))))


def test_caption_box_drives_the_grid(text_server) -> None:
    url, out = text_server
    info = _json(call(url, "/api/runs/tiny-t2i"))
    text = info["model"]["text"]
    assert text["default"] and "handwritten" in text["vocabulary"] and info["model"]["mode"] == "generate"
    a = _json(call(url, "/api/runs/tiny-t2i/grid", {"seed": 0, "n": 2, "text": "a handwritten seven"}))
    b = _json(call(url, "/api/runs/tiny-t2i/grid", {"seed": 0, "n": 2, "text": "the digit two"}))
    assert a["status"] == 200 and a["labels"] is None and len(a["images"]) == 2
    assert not np.array_equal(_img(a["images"][0]), _img(b["images"][0]))
    # the same image as the API gives for that caption and seed
    G = ganforge.load(out)
    x = ganforge.sample(G, 1, seed=0, text="a handwritten seven")
    from ganforge.imageio import to_uint8

    assert np.array_equal(_img(a["images"][0]).reshape(to_uint8(x).shape[1:]), to_uint8(x)[0])
    bad = _json(call(url, "/api/runs/tiny-t2i/grid", {"seed": 0, "n": 2, "text": "a purple seven"}))
    assert bad["status"] == 400 and "purple" in json.dumps(bad)
    status, body, ctype = call(url, "/api/runs/tiny-t2i/render", {"z": a["latents"][0], "text": "the digit two"})
    assert status == 200 and ctype == "image/png"
    inter = _json(call(url, "/api/runs/tiny-t2i/interpolate", {"z_a": a["latents"][0], "z_b": a["latents"][1],
                                                               "steps": 3, "text": "the digit two"}))
    assert inter["status"] == 200 and len(inter["images"]) == 3
    cls = _json(call(url, "/api/runs/tiny-t2i/grid", {"seed": 0, "n": 2, "label": 1}))
    assert cls["status"] == 400 and "caption" in json.dumps(cls)
