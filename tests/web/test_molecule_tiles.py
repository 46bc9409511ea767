"""Molecules on the explorer: an organ run's grid answers one tile per molecule, its RDKit
drawing and its SMILES, the same SMILES `ganforge sample` gives for that seed."""
from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("rdkit")

import ganforge  # noqa: E402
from ganforge.data.base import DataInfo  # noqa: E402
from ganforge.data.vocab import Vocabulary  # noqa: E402
from ganforge.plots import SAMPLE_TILES, info_from_meta  # noqa: E402
from ganforge.plots.molecules import decode_smiles, smiles_tiles  # noqa: E402
from webtools import call, running_server  # noqa: E402


def test_smiles_tiles_draw_valid_molecules_and_name_invalid_ones():
    assert "smiles" in SAMPLE_TILES
    vocab = Vocabulary.build(["CC(=O)Nc1ccc(O)cc1", "C1CC("], mode="smiles")
    info = DataInfo("t", "smiles", (20,), extra={"vocab": vocab.to_dict()})
    x = vocab.encode_batch(["CC(=O)Nc1ccc(O)cc1", "C1CC("], 20)
    tiles = smiles_tiles(x, info)
    img = np.asarray(Image.open(io.BytesIO(tiles[0]["image"])))
    assert img.ndim == 3 and (img != 255).any() and tiles[0]["caption"] == "CC(=O)Nc1ccc(O)cc1"
    assert "image" not in tiles[1] and tiles[1]["caption"] == "invalid: C1CC("


def test_organ_run_grid_is_molecule_tiles(tmp_path):
    run = tmp_path / "tiny-organ"
    ganforge.train("organ", **{"data.name": "moses", "data.limit": 16, "data.batch_size": 4, "model.width": 8,
                               "options": {"mle_steps": 2, "d_pretrain_steps": 0, "embed_dim": 4, "d_embed_dim": 4},
                               "train.steps": 2, "train.d_steps": 1, "train.sample_every": 0, "train.ckpt_every": 0,
                               "train.log_every": 1, "train.progress": False, "train.tensorboard": False,
                               "train.out": str(run)})
    with running_server([run]) as url:
        status, body, _ = call(url, "/api/runs/tiny-organ/grid", {"seed": 3, "n": 3})
    assert status == 200, body[:300]
    g = json.loads(body)
    assert len(g["tiles"]) == 3
    G = ganforge.load(run)
    for tile, seed in zip(g["tiles"], g["seeds"]):
        smiles = decode_smiles(ganforge.sample(G, 1, seed=seed), info_from_meta(G.meta))[0]
        assert tile["caption"] in (smiles, f"invalid: {smiles}")
        if tile["image"]:
            assert tile["image"].startswith("data:image/png;base64,")
            Image.open(io.BytesIO(base64.b64decode(tile["image"].split(",", 1)[1])))
    assert torch.is_tensor(ganforge.sample(G, 2, seed=0))
