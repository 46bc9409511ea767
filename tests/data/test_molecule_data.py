"""moses and smiles:PATH: tiny slices of the real MOSES files, SMILES tokens, bad files named by line."""
from __future__ import annotations

import pytest

pytest.importorskip("rdkit")

from ganforge.config import DataConfig  # noqa: E402
from ganforge.data import build_dataset  # noqa: E402
from ganforge.data.molecules import read_moses, smiles_tokens  # noqa: E402
from ganforge.data.vocab import Vocabulary, tokenize, vocab_from_info  # noqa: E402
from ganforge.errors import GanforgeError  # noqa: E402


def test_smiles_tokens_keep_multi_character_atoms_whole():
    s = "CC(=O)Nc1ccc(Cl)cc1[nH]Br%10C/C=C\\[C@@H](O)C#N"
    toks = tokenize(s, "smiles")
    assert "Cl" in toks and "Br" in toks and "[nH]" in toks and "%10" in toks and "[C@@H]" in toks
    assert "".join(toks) == s
    v = Vocabulary.build([s], mode="smiles")
    assert v.decode(v.encode(s)) == s
    assert Vocabulary.from_dict(v.to_dict()) == v
    with pytest.raises(GanforgeError, match="position 2"):
        smiles_tokens("CC&C")


def test_moses_slice_is_seeded_and_decodes_back():
    d = build_dataset(DataConfig(name="moses", limit=40))
    assert d.info.kind == "smiles" and d.x.shape == (40, 56)
    assert d.info.extra["num_read"] == 1584663
    again = build_dataset(DataConfig(name="moses", limit=40))
    assert (again.x == d.x).all()
    other = build_dataset(DataConfig(name="moses", limit=40, options={"seed": 1}))
    assert not (other.x == d.x).all()
    vocab = vocab_from_info(d.info)
    train = set(read_moses("train"))
    assert all(s in train for s in vocab.decode_batch(d.x))
    test = build_dataset(DataConfig(name="moses", split="test_scaffolds", limit=5))
    assert test.x.shape[0] == 5 and test.info.extra["num_read"] == 176225


def test_moses_rejects_unknown_split_and_options():
    with pytest.raises(GanforgeError, match="test_scaffolds"):
        build_dataset(DataConfig(name="moses", split="valid", limit=5))
    with pytest.raises(GanforgeError, match="unknown data.options"):
        build_dataset(DataConfig(name="moses", limit=5, options={"tokens": "char"}))


def test_bad_smiles_are_named_by_line(tmp_path):
    f = tmp_path / "mols.smi"
    f.write_text("CCO ethanol\nc1ccccc1 benzene\n# a comment\nC1CC( broken\n\nCC(=O)Nc1ccc(O)cc1\nxyz\n")
    with pytest.raises(GanforgeError) as e:
        build_dataset(DataConfig(name=f"smiles:{f}"))
    msg = str(e.value)
    assert str(f) in msg and "2 of 5" in msg and "line 4: 'C1CC('" in msg and "line 7: 'xyz'" in msg
    assert "invalid=skip" in msg
    with pytest.warns(UserWarning, match="line 4"):
        d = build_dataset(DataConfig(name=f"smiles:{f}", options={"invalid": "skip", "test_fraction": 0.0}))
    assert d.info.extra["num_invalid"] == 2 and d.info.extra["invalid_lines"] == [4, 7]
    assert sorted(vocab_from_info(d.info).decode_batch(d.x)) == sorted(["CCO", "c1ccccc1", "CC(=O)Nc1ccc(O)cc1"])


def test_smiles_csv_and_txt(tmp_path):
    c = tmp_path / "m.csv"
    c.write_text("name,SMILES\nethanol,OCC\nbenzene,c1ccccc1\nacid,CC(=O)O\n")
    d = build_dataset(DataConfig(name=f"smiles:{c}", options={"test_fraction": 0.0}))
    assert sorted(vocab_from_info(d.info).decode_batch(d.x)) == ["CC(=O)O", "CCO", "c1ccccc1"]  # canonical
    t = tmp_path / "m.txt"
    t.write_text("OCC\nC1CC(\n")
    with pytest.raises(GanforgeError, match="line 2"):
        build_dataset(DataConfig(name=f"smiles:{t}"))
    with pytest.raises(GanforgeError, match="no such file"):
        build_dataset(DataConfig(name=f"smiles:{tmp_path / 'nope.smi'}"))
    bad = tmp_path / "m.sdf"
    bad.write_text("x")
    with pytest.raises(GanforgeError, match=r"\.smi"):
        build_dataset(DataConfig(name=f"smiles:{bad}"))
