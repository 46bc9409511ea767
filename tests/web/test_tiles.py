"""Samples that are not images (text, series; audio and molecules register the same way) on the
explorer: the API gives one tile per sample (image, audio, caption) and the page shows them."""
from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

import ganforge
from ganforge.plots import SAMPLE_TILES, info_from_meta
from webtools import call


def _json(resp: tuple[int, bytes, str]) -> dict:
    status, body, ctype = resp
    assert status == 200 and ctype.startswith("application/json"), (status, body[:300])
    return json.loads(body)


def _png(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def test_text_and_series_kinds_have_tiles() -> None:
    assert {"tokens", "series"} <= set(SAMPLE_TILES)


def test_token_run_grid_gives_the_decoded_text_of_ganforge_sample(server: str, tile_runs: list) -> None:
    info = _json(call(server, "/api/runs/tiny-seqgan"))["model"]
    assert (info["mode"], info["media"]) == ("generate", "tiles")
    g = _json(call(server, "/api/runs/tiny-seqgan/grid", {"seed": 3, "n": 4}))
    assert len(g["tiles"]) == 4 and g["images"] == [None] * 4
    G = ganforge.load(tile_runs[0])
    from ganforge.plots.text import decode

    for i, seed in enumerate(g["seeds"]):
        ids = ganforge.sample(G, 1, seed=seed)
        assert not ids.is_floating_point()
        assert g["tiles"][i]["caption"] == decode(ids, info_from_meta(G.meta))[0]
        assert g["tiles"][i]["audio"] is None
    words = set(" ".join(t["caption"] for t in g["tiles"]).split())
    assert words and words <= {"the", "big", "small", "red", "cat", "sat", "on", "old", "new", "mat", "<unk>", "<eos>"} | {""}


def test_tile_endpoint_follows_the_latent_and_render_refuses_tiles(server: str) -> None:
    z = _json(call(server, "/api/runs/tiny-series/latent", {"seed": 0}))["z"]
    a = _json(call(server, "/api/runs/tiny-series/tile", {"z": z}))["tile"]
    b = _json(call(server, "/api/runs/tiny-series/tile", {"z": [v + 2.0 for v in z]}))["tile"]
    pa, pb = _png(a["image"]), _png(b["image"])
    assert pa.shape == pb.shape and pa.ndim == 3 and (pa != 255).any()
    assert (pa != pb).any()
    status, body, _ = call(server, "/api/runs/tiny-series/render", {"z": z})
    assert status == 400 and b"/tile" in body


def test_interpolation_and_grid_of_a_series_run_are_tiles(server: str) -> None:
    za = _json(call(server, "/api/runs/tiny-series/latent", {"seed": 0}))["z"]
    zb = _json(call(server, "/api/runs/tiny-series/latent", {"seed": 1}))["z"]
    r = _json(call(server, "/api/runs/tiny-series/interpolate", {"z_a": za, "z_b": zb, "steps": 3}))
    assert len(r["tiles"]) == 3 and all(t["image"] and t["caption"] for t in r["tiles"])
    first = _json(call(server, "/api/runs/tiny-series/tile", {"z": za}))["tile"]
    assert (_png(first["image"]) == _png(r["tiles"][0]["image"])).all()


def test_series_tiles_draw_every_sample() -> None:
    from ganforge.plots.series import series_tiles
    from ganforge.data.base import DataInfo

    x = torch.linspace(-1, 1, 2 * 20 * 2).reshape(2, 20, 2)
    x[1] = -x[1]
    tiles = series_tiles(x, DataInfo(name="t", kind="series", shape=(20, 2)))
    imgs = [np.asarray(Image.open(io.BytesIO(t["image"]))) for t in tiles]
    assert len(tiles) == 2 and imgs[0].shape == (72, 192, 3) and (imgs[0] != imgs[1]).any()


def test_explorer_shows_text_tiles_and_the_selected_one(page: Any, server: str) -> None:
    page.goto(f"{server}/explore?run=tiny-seqgan")
    page.wait_for_function("document.querySelectorAll('#grid figure.tile figcaption').length === 16")
    page.wait_for_function("+document.querySelector('#big-tile').dataset.version > 0")
    assert page.is_hidden("#big") and page.is_visible("#big-tile")
    g = _json(call(server, "/api/runs/tiny-seqgan/grid", {"seed": 0, "n": 16}))
    shown = page.eval_on_selector_all("#grid figure.tile figcaption", "els => els.map(e => e.textContent)")
    assert shown == [t["caption"] for t in g["tiles"]]
    assert page.inner_text("#big-tile figcaption") == g["tiles"][0]["caption"]
    page.click("#grid figure.tile:nth-child(3)")
    page.wait_for_function("document.querySelector('#big-tile figcaption').textContent === arguments[0]"
                           .replace("arguments[0]", json.dumps(g["tiles"][2]["caption"])))
    assert "--n 1 --seed 2" in page.inner_text("#command")


def test_the_pages_flat_latent_reproduces_a_series_sample(server: str, tile_runs: list, tmp_path: Any,
                                                          capsys: Any) -> None:
    """The page's latent.npy of a recurrent generator is the flattened (steps, z_dim) noise;
    `ganforge sample --latent` takes it and gives the windows of `--seed`."""
    from ganforge.cli import main

    z = _json(call(server, "/api/runs/tiny-series/latent", {"seed": 4}))["z"]
    np.save(tmp_path / "latent.npy", np.asarray([z], dtype=np.float32))
    assert main(["sample", str(tile_runs[1]), "--latent", str(tmp_path / "latent.npy"),
                 "--out", str(tmp_path / "a.npy")]) in (0, None)
    assert main(["sample", str(tile_runs[1]), "--n", "1", "--seed", "4", "--out", str(tmp_path / "b.npy")]) in (0, None)
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == b.shape and np.allclose(a, b, atol=1e-4)
    np.save(tmp_path / "bad.npy", np.zeros((1, 7), dtype=np.float32))
    capsys.readouterr()
    assert main(["sample", str(tile_runs[1]), "--latent", str(tmp_path / "bad.npy"), "--out", str(tmp_path / "c.npy")]) != 0
    assert "bad.npy: expected a numeric array of shape (N, 16, 8), (16, 8) or flattened (N, 128), got float32 (1, 7)" \
        in capsys.readouterr().err
