"""Molecule graphs on the explorer: a molgan run's grid answers one tile per generated graph, its
RDKit drawing and its SMILES, the same SMILES `ganforge sample` gives for that seed."""
from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

pytest.importorskip("rdkit")

import ganforge  # noqa: E402
from ganforge.data.molgraphs import graphs_to_smiles  # noqa: E402
from webtools import call, running_server  # noqa: E402


def test_molgan_run_grid_is_molecule_tiles(tmp_path):
    run = tmp_path / "tiny-molgan"
    ganforge.train("molgan", **{"data.name": "moses-graphs", "data.limit": 16, "data.batch_size": 4,
                                "model.width": 8, "model.z_dim": 4, "train.steps": 2, "train.d_steps": 1,
                                "train.sample_every": 0, "train.ckpt_every": 0, "train.log_every": 1,
                                "train.progress": False, "train.tensorboard": False, "train.out": str(run)})
    with running_server([run]) as url:
        status, body, _ = call(url, "/api/runs/tiny-molgan/grid", {"seed": 3, "n": 3})
    assert status == 200, body[:300]
    g = json.loads(body)
    assert len(g["tiles"]) == 3
    G = ganforge.load(run)
    for tile, seed in zip(g["tiles"], g["seeds"]):
        smiles = graphs_to_smiles(ganforge.sample(G, 1, seed=seed), G.meta["data_extra"])[0]
        if smiles == "invalid":
            assert not tile["image"] and tile["caption"].startswith("invalid")
        else:
            assert tile["caption"] == smiles and tile["image"].startswith("data:image/png;base64,")
            Image.open(io.BytesIO(base64.b64decode(tile["image"].split(",", 1)[1])))
