"""The organ family on a tiny slice of MOSES: ORGAN's mixed reward, whole-sequence and rollout
rewards, a user's objective, init from a saved run, and train -> sample -> eval from the command line."""
from __future__ import annotations

import sys

import pytest
import torch

pytest.importorskip("rdkit")

from ganforge.errors import GanforgeError  # noqa: E402
from gf_family import build_family, first_batch  # noqa: E402

SMALL = {"data.limit": 16, "data.batch_size": 4, "model.width": 8, "train.d_steps": 1}


def organ(**options):
    fam, ds = build_family("organ", **{**SMALL, "options": {"mle_steps": 0, "d_pretrain_steps": 0, "embed_dim": 4,
                                                            "d_embed_dim": 4, **options}})
    return fam, ds


def test_reward_mixes_d_and_the_objective():
    fam, ds = organ(reward="qed", reward_weight=0.25)
    real = ds.x[:4]
    with torch.no_grad():
        d = torch.sigmoid(fam.nets["D"].eval()(real).float())
    from ganforge.metrics.molecules import load_objective

    q = torch.tensor(load_objective("qed")(fam.decode(real)))
    assert torch.allclose(fam.reward(real), 0.75 * d + 0.25 * q, atol=1e-6)
    assert (q > 0.3).all()  # real MOSES molecules are drug-like


@pytest.mark.parametrize("rollouts", [0, 2])
def test_pg_step_reports_the_objective(rollouts):
    fam, ds = organ(reward="validity", n_rollouts=rollouts)
    torch.manual_seed(0)
    stats = fam.pg_step(first_batch(ds, 4))
    assert {"g_loss", "reward", "objective", "rollout_gap"} <= set(stats)
    assert all(torch.isfinite(torch.as_tensor(v)).all() for v in stats.values())
    assert float(stats["objective"]) == 0.0 or 0.0 <= float(stats["objective"]) <= 1.0


def test_user_objective_and_bad_options(tmp_path, monkeypatch):
    (tmp_path / "my_objective_mod.py").write_text("def heavy(smiles):\n    return min(len(smiles) / 40.0, 2.0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("my_objective_mod", None)
    fam, ds = organ(reward="my_objective_mod:heavy", reward_weight=1.0)
    scores = fam.objective_scores(ds.x[:3])
    smiles = fam.decode(ds.x[:3])
    assert torch.allclose(scores, torch.tensor([min(len(s) / 40.0, 1.0) for s in smiles]))
    with pytest.raises(GanforgeError, match="reward_weight"):
        organ(reward="qed", reward_weight=1.5)
    with pytest.raises(GanforgeError, match="reward 'sas'"):
        organ(reward="sas")


def test_organ_refuses_text_data():
    from ganforge.data.base import DataInfo

    info = DataInfo("corpus", "tokens", (6,), extra={"vocab_size": 9, "max_len": 6})
    with pytest.raises(GanforgeError, match="SMILES"):
        build_family("organ", info)


def test_train_init_sample_eval_from_the_command_line(tmp_path, monkeypatch, capsys):
    from ganforge.cli import main

    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "cache"))
    common = ["--data", "moses", "--limit", "24", "--batch-size", "4", "--width", "8", "--d-steps", "1",
              "--option", "embed_dim=4", "--option", "d_embed_dim=4", "--log-every", "1", "--sample-every", "2",
              "--ckpt-every", "2", "--no-progress", "--threads", "1"]
    mle = tmp_path / "mle"
    assert main(["train", "organ", *common, "--steps", "2", "--option", "mle_steps=2", "--out", str(mle)]) == 0
    assert (mle / "samples.png").is_file() and (mle / "samples.smi").is_file()
    adv = tmp_path / "adv"
    assert main(["train", "organ", *common, "--steps", "2", "--option", "mle_steps=0", "--option",
                 "d_pretrain_steps=1", "--option", "reward=qed", "--option", f"init={mle}", "--out", str(adv)]) == 0
    import ganforge

    g0, g1 = ganforge.load(mle), ganforge.load(adv)
    assert g1.meta["kind"] == "smiles" and g1.meta["data_extra"]["vocab"] == g0.meta["data_extra"]["vocab"]
    out = tmp_path / "mols.smi"
    assert main(["sample", str(adv), "--n", "12", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 12
    assert main(["sample", str(adv), "--n", "4", "--out", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").stat().st_size > 1000
    capsys.readouterr()
    assert main(["eval", str(adv), "--n", "12", "--n-reference", "20"]) == 0
    printed = capsys.readouterr().out
    assert "valid" in printed and "unique@1k" in printed and (adv / "eval.json").is_file()
    capsys.readouterr()
    assert main(["train", "organ", *common[:2], "--limit", "30", *common[4:], "--steps", "1", "--option",
                 f"init={mle}", "--out", str(tmp_path / "bad")]) != 0
    assert "another SMILES vocabulary" in capsys.readouterr().err
