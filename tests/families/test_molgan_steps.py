"""The molgan family on a tiny slice of MOSES graphs: the generator's graphs, the reward network
and the mixed generator loss, and train -> sample (.smi, .png) -> eval from the command line."""
from __future__ import annotations

import pytest
import torch

pytest.importorskip("rdkit")

from ganforge.errors import GanforgeError  # noqa: E402
from ganforge.nets import build_net  # noqa: E402
from gf_family import build_family, first_batch  # noqa: E402

SMALL = {"data.limit": 16, "data.batch_size": 4, "model.width": 8, "train.d_steps": 1}


def molgan(**options):
    return build_family("molgan", **{**SMALL, "options": options})


@pytest.mark.parametrize("sampling", ["softmax", "soft_gumbel", "hard_gumbel"])
def test_generator_graphs_are_symmetric_and_discrete_in_eval(sampling):
    torch.manual_seed(0)
    G = build_net("molgan_g", z_dim=4, max_atoms=5, atom_types=3, bond_types=4, hidden=[8], sampling=sampling)
    z = torch.randn(6, 4)
    for train in (True, False):
        x = G.train(train)(z)
        bonds = x[..., 3:].reshape(6, 5, 5, 4)
        assert torch.allclose(bonds, bonds.transpose(1, 2)) and torch.allclose(bonds.sum(-1), torch.ones(6, 5, 5))
        assert torch.allclose(bonds.diagonal(dim1=1, dim2=2)[:, 0], torch.ones(6, 5))  # no self-bonds
        if not train or sampling == "hard_gumbel":
            assert set(x.unique().tolist()) <= {0.0, 1.0}
    G.train()
    x = G(z)
    (x * torch.randn_like(x)).sum().backward()
    assert G.edges.weight.grad.abs().sum() > 0  # the relaxation passes gradients


def test_reward_network_learns_the_objective_and_joins_the_generator_loss():
    fam, ds = molgan(reward="qed", reward_start=1)
    batch = first_batch(ds, 4)
    assert [p.name for p in fam.phases()] == ["D", "G", "R"]
    torch.manual_seed(0)
    fam.phases()[0].step(batch)
    first = fam.g_step(batch)
    assert "rl_loss" not in first  # reward_start=1: the first G step is WGAN alone
    second = fam.g_step(batch)
    assert {"rl_loss", "reward_pred", "g_loss", "valid", "unique"} <= set(second)
    r = fam.r_step(batch)
    assert float(r["objective_real"]) > 0.3  # real MOSES molecules are drug-like
    assert 0.0 <= float(r["objective"]) <= 1.0 and torch.isfinite(r["r_loss"])
    assert fam.extra_state() == {"g_steps": 2}


def test_reward_fits_the_real_objective_in_a_few_steps():
    fam, ds = molgan(reward="validity")
    torch.manual_seed(0)
    batch = first_batch(ds, 4)
    losses = [float(fam.r_step(batch)["r_loss"]) for _ in range(30)]
    assert losses[-1] < losses[0]


def test_bad_options_and_data_are_named():
    with pytest.raises(GanforgeError, match="reward_weight"):
        molgan(reward="qed", reward_weight=2.0)
    with pytest.raises(GanforgeError, match="reward 'sas'"):
        molgan(reward="sas")
    with pytest.raises(ValueError, match="sampling"):
        molgan(sampling="argmax")
    from ganforge.data.base import DataInfo

    with pytest.raises(GanforgeError, match="molecule graphs"):
        build_family("molgan", DataInfo("moses", "smiles", (56,), extra={"vocab_size": 9, "max_len": 56}))


def test_train_sample_eval_from_the_command_line(tmp_path, monkeypatch, capsys):
    from ganforge.cli import main

    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    assert main(["train", "molgan", "--data", "moses-graphs", "--limit", "24", "--batch-size", "4", "--width", "8",
                 "--z-dim", "8", "--d-steps", "1", "--steps", "3", "--sample-every", "3", "--no-progress",
                 "--threads", "1", "--option", "reward=validity", "--out", str(run)]) == 0
    assert (run / "samples.png").is_file() and (run / "samples.smi").is_file() and (run / "reward").is_dir()
    import ganforge

    G = ganforge.load(run)
    assert G.meta["kind"] == "molgraph" and G.meta["data_extra"]["max_atoms"] == 16
    out = tmp_path / "mols.smi"
    assert main(["sample", str(run), "--n", "12", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    from ganforge.data.molgraphs import graphs_to_smiles

    assert lines == graphs_to_smiles(ganforge.sample(G, 12, seed=0), G.meta["data_extra"])
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").stat().st_size > 1000
    capsys.readouterr()
    assert main(["eval", str(run), "--n", "12", "--n-reference", "30"]) == 0
    printed = capsys.readouterr().out
    assert "valid" in printed and "unique@1k" in printed and (run / "eval.json").is_file()
    import json

    res = json.loads((run / "eval.json").read_text())
    assert res["n"] == 12 and res["n_reference"] == 30 and "16 atoms" in res["reference"]
    # real graphs decode to valid, unique training molecules, and the metrics come out in range
    from ganforge.metrics.molgraphs import evaluate_molgraphs

    ds = ganforge.data.build_dataset(ganforge.make_config("molgan", **{"data.name": "moses-graphs",
                                                                       "data.limit": 16}).data)
    res = evaluate_molgraphs(ds.x, None, ds.info, n_reference=30)
    assert res["valid"] == 1.0 and res["unique@1k"] == 1.0 and res["Novelty"] == 0.0
    assert res["n_reference"] == 30 and 0 < res["SNN/Test"] < 1 and res["FCD/Test"] > 0


def test_molgraph_tiles_draw_molecules():
    from ganforge.plots import SAMPLE_TILES

    fam, ds = molgan()
    tiles = SAMPLE_TILES.get("molgraph")(ds.x[:2], ds.info)
    assert len(tiles) == 2 and all(t["image"][:4] == b"\x89PNG" and t["caption"] for t in tiles)
