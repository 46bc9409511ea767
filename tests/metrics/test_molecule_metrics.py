"""MOSES metrics on known molecules; FCD against fcd_torch's own computation."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rdkit")

from ganforge.data.molecules import read_moses  # noqa: E402
from ganforge.errors import GanforgeError  # noqa: E402
from ganforge.metrics import molecules as M  # noqa: E402
from ganforge.metrics.chemnet import chemnet_activations, fcd, load_chemnet  # noqa: E402

HAND = ["CCO", "OCC", "c1ccccc1", "C1CC(", "CC(=O)Nc1ccc(O)cc1", "xyz", "C[N+](C)(C)C", "CC(=O)Oc1ccccc1C(=O)O"]


def test_validity_uniqueness_novelty_of_a_hand_made_list():
    assert M.fraction_valid(HAND) == pytest.approx(6 / 8)
    canon = [c for c in (M.canonical_smiles(s) for s in HAND) if c is not None]
    assert len(canon) == 6
    assert M.fraction_unique(canon) == pytest.approx(5 / 6)  # CCO and OCC are one molecule
    assert M.fraction_unique(canon, 3) == pytest.approx(2 / 3)
    assert M.novelty(canon, ["CCO", "c1ccccc1"]) == pytest.approx(3 / 5)


def test_similarities_and_filters():
    mols = [M.to_mol(s) for s in ["CCO", "CCO", "c1ccccc1"]]
    fps = M.fingerprints(mols)
    assert fps.shape == (3, 1024) and fps.dtype == np.uint8
    assert M.internal_diversity(fps[:2]) == pytest.approx(0.0)
    assert M.agg_tanimoto(fps, fps, agg="max") == pytest.approx(1.0)  # SNN of a set to itself
    assert 0 < M.internal_diversity(fps) < 1
    assert M.cos_similarity({"a": 1, "b": 2}, {"a": 1, "b": 2}) == pytest.approx(1.0)
    assert M.cos_similarity({"a": 1}, {"b": 1}) == pytest.approx(0.0)
    assert M.passes_filters(M.to_mol("CC(=O)Nc1ccc(O)cc1"))
    assert not M.passes_filters(M.to_mol("C[N+](C)(C)C"))      # charged
    assert not M.passes_filters(M.to_mol("CCP(C)C"))           # phosphorus is not allowed
    assert not M.passes_filters(M.to_mol("C1CCCCCCC1"))        # a ring of 8 atoms
    assert M.scaffolds([M.to_mol("c1ccc(cc1)Cc1ccccc1CC")]) == {"c1ccc(Cc2ccccc2)cc1": 1}
    assert M.scaffolds([M.to_mol("c1ccccc1CC")]) == {}       # one ring: below MOSES's min_rings


def test_properties_match_rdkit_and_the_contrib_sa_score():
    import importlib.util
    import sys
    from pathlib import Path

    from rdkit.Chem import RDConfig
    from rdkit.Chem.QED import qed

    mol = M.to_mol("CC(=O)Oc1ccccc1C(=O)O")  # aspirin
    assert M.qed(mol) == pytest.approx(qed(mol))
    assert M.weight(mol) == pytest.approx(180.159, abs=1e-3)
    path = Path(RDConfig.RDContribDir) / "SA_Score" / "sascorer.py"
    spec = importlib.util.spec_from_file_location("sascorer_reference", path)
    ref = importlib.util.module_from_spec(spec)
    sys.modules["sascorer_reference"] = ref
    spec.loader.exec_module(ref)
    ref.readFragmentScores()  # the Contrib's own (pickle) loader, for comparison
    assert M.sa(mol) == pytest.approx(ref.calculateScore(mol))
    scores = M.load_objective("qed")(["CC(=O)Oc1ccccc1C(=O)O", "C1CC("])
    assert scores[0] == pytest.approx(qed(mol)) and scores[1] == 0.0
    assert M.load_objective("validity")(["CCO", "xyz"]) == [1.0, 0.0]
    assert all(0 <= v <= 1 for v in M.load_objective("logp")(["CCO", "CCCCCCCCCCCCCCCCCCCC"]))
    with pytest.raises(GanforgeError, match="reward 'qedd'"):
        M.load_objective("qedd")
    with pytest.raises(GanforgeError, match="cannot load"):
        M.load_objective("no_such_module_xyz:f")


def test_fcd_equals_fcd_torch():
    fcd_torch = pytest.importorskip("fcd_torch")
    gen = list(read_moses("train")[:40])
    ref = list(read_moses("test")[:40])
    ours = fcd(gen, ref)
    theirs = fcd_torch.FCD(device="cpu", n_jobs=1, batch_size=32)(gen, ref)
    assert ours == pytest.approx(theirs, rel=1e-5)
    act = chemnet_activations(gen[:8])
    assert np.allclose(act, fcd_torch.FCD(device="cpu", n_jobs=1).get_predictions(gen[:8]), atol=1e-6)
    assert not any(p.requires_grad for p in load_chemnet().parameters())
    with pytest.raises(GanforgeError, match="invalid SMILES"):
        chemnet_activations(["C1CC("])


def test_molecule_metrics_of_real_molecules(tmp_path, monkeypatch):
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path))
    test = list(read_moses("test")[:60])
    stats = M.cached_reference_stats("unit-test", test)
    again = M.cached_reference_stats("unit-test", test)  # from the cache file
    assert again["frag"] == stats["frag"] and (again["fps"] == stats["fps"]).all()
    assert np.allclose(again["fcd_mu"], stats["fcd_mu"])
    gen = list(read_moses("test")[60:100]) + ["C1CC(", "xyz"]
    m = M.molecule_metrics(gen, stats, train=list(read_moses("train")[:1000]))
    assert m["valid"] == pytest.approx(40 / 42) and m["unique@1k"] == 1.0 and m["unique@1k_n"] == 40
    assert m["Novelty"] == 1.0 and m["Filters"] > 0.9
    for k in ("FCD/Test", "SNN/Test", "Frag/Test", "Scaf/Test", "IntDiv", "IntDiv2", "QED", "FD/QED", "mean/QED"):
        assert np.isfinite(m[k]), k
    assert 0 < m["SNN/Test"] < 1 and 0.7 < m["IntDiv"] < 1


def test_eval_of_a_smiles_file(tmp_path, monkeypatch):
    import ganforge

    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path))
    f = tmp_path / "gen.smi"
    f.write_text("\n".join(list(read_moses("test")[-30:]) + ["C1CC("]) + "\n")
    res = ganforge.evaluate(f, n_reference=40)
    assert res["n"] == 31 and res["valid"] == pytest.approx(30 / 31) and res["n_reference"] == 40
    assert res["reference"] == "moses"
    with pytest.raises(GanforgeError, match="testsf"):
        ganforge.evaluate(f, metrics="fid", n_reference=40)
