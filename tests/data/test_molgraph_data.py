"""Molecule graphs (moses-graphs, molgraphs:PATH): the encoding round trip on real MOSES molecules,
the heavy-atom cap and its counts, and molecules that do not fit, counted and named."""
from __future__ import annotations

import pytest
import torch

pytest.importorskip("rdkit")

from ganforge.config import DataConfig  # noqa: E402
from ganforge.data import build_dataset  # noqa: E402
from ganforge.data.molecules import canonical_smiles, read_moses  # noqa: E402
from ganforge.data.molgraphs import (MOSES_MAX_ATOMS, decode_graphs, encode_one, encode_set,  # noqa: E402
                                     graph_to_mol, graphs_to_smiles, heavy_atoms_upper_bound_ok, moses_fitting,
                                     pack)
from ganforge.errors import GanforgeError  # noqa: E402

ATOMS = ["", "C", "N", "O", "S", "F", "Cl", "Br"]


def test_moses_graphs_round_trip_to_the_same_canonical_smiles():
    ds = build_dataset(DataConfig(name="moses-graphs", limit=150, resolution=None))
    a, b, m = len(ATOMS), 4, MOSES_MAX_ATOMS
    assert ds.info.kind == "molgraph" and ds.x.shape == (150, m, a + m * b)
    assert ds.info.extra["atom_types"] == ATOMS and ds.info.extra["bond_types"] == ["", "SINGLE", "DOUBLE", "TRIPLE"]
    x = ds.x
    assert ((x[..., :a].sum(-1) == 1).all() and (x[..., a:].reshape(150, m, m, b).sum(-1) == 1).all())
    bonds = x[..., a:].reshape(150, m, m, b).argmax(-1)
    assert torch.equal(bonds, bonds.transpose(1, 2)) and (bonds.diagonal(dim1=1, dim2=2) == 0).all()
    # the molecules are the first 150 of a seeded shuffle of the split that have <= 16 heavy atoms
    every = read_moses("train")
    order = torch.randperm(len(every), generator=torch.Generator().manual_seed(0)).tolist()
    from ganforge.data.vocab import SMILES_RE

    expected = []
    for i in order:  # heavy atoms counted as SMILES atom tokens (MOSES has no explicit [H])
        if sum(t[0].isalpha() or t[0] == "[" for t in SMILES_RE.findall(every[i])) <= m:
            expected.append(canonical_smiles(every[i]))
            if len(expected) == 150:
                break
    assert decode_graphs(x, ds.info.extra) == expected
    # MOSES molecules carry no charge or stereo: every one examined fits or has too many atoms
    assert ds.info.extra["dropped"]["too_many_atoms"] == ds.info.extra["num_examined"] - 150 > 150 * 50
    assert ds.info.extra["num_stereo_removed"] == 0


def test_aromatic_bonds_as_a_fourth_type_round_trip_too():
    smiles = list(moses_fitting("test", MOSES_MAX_ATOMS)[:40])
    bonds = ("", "SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")
    nodes, adj, kept, report = encode_set(smiles, None, ATOMS, bonds, MOSES_MAX_ATOMS)
    # an aromatic [nH] needs its hydrogen, which the graph does not hold: counted, not kept
    lost = report["dropped_lines"].get("round_trip", [])
    assert len(kept) + len(lost) == 40 and len(kept) > 30 and all("[nH]" in s for s in lost)
    assert (adj == 4).any()  # aromatic bonds kept as such
    extra = {"atom_types": ATOMS, "bond_types": list(bonds), "max_atoms": MOSES_MAX_ATOMS}
    assert decode_graphs(pack(nodes, adj, len(ATOMS), 5), extra) == \
        [canonical_smiles(s) for s in smiles if s not in lost]


def test_heavy_atom_prefilter_never_drops_a_molecule_that_fits():
    from rdkit import Chem

    for s in list(read_moses("test")[:800]) + ["[2H]C([2H])Cl", "[Co]C", "OC[C@@H](N)C(=O)[O-]", "[H]OC"]:
        assert heavy_atoms_upper_bound_ok(s, Chem.MolFromSmiles(s).GetNumAtoms()), s


def test_molecules_that_do_not_fit_are_counted_by_reason():
    bonds = ("", "SINGLE", "DOUBLE", "TRIPLE")
    cases = {"CC[N+](C)(C)C": "charge", "C[CH2]": "radical", "[13CH4]": "isotope", "CCP(C)C": "atom_type",
             "C" * 20: "too_many_atoms", "C1CC(": "invalid"}
    for s, reason in cases.items():
        assert encode_one(s, ATOMS, bonds, 16) == reason, s
    got = encode_one("C[C@H](N)O", ATOMS, bonds, 16)
    assert not isinstance(got, str) and got[2] == "CC(N)O" and got[3] is True  # stereo removed, counted


def test_invalid_graphs_decode_to_none():
    bonds = ["", "SINGLE", "DOUBLE", "TRIPLE"]
    five_bonds = torch.zeros(6, 6, dtype=torch.long)
    five_bonds[0, 1:6] = five_bonds[1:6, 0] = 1  # a carbon with five neighbours
    assert graph_to_mol([1] * 6, five_bonds.tolist(), ATOMS, bonds) is None
    two = torch.zeros(4, 4, dtype=torch.long)
    two[0, 1] = two[1, 0] = two[2, 3] = two[3, 2] = 1  # two fragments: invalid, as MolGAN counts
    assert graph_to_mol([1, 1, 1, 1], two.tolist(), ATOMS, bonds) is None
    assert graph_to_mol([0, 0], [[0, 0], [0, 0]], ATOMS, bonds) is None
    extra = {"atom_types": ATOMS, "bond_types": bonds, "max_atoms": 4}
    x = pack(torch.tensor([[1, 1, 1, 1], [1, 3, 0, 0]]), torch.stack([two, torch.tensor(
        [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])]), len(ATOMS), 4)
    assert graphs_to_smiles(x, extra) == ["invalid", "CO"]


def test_a_users_file_names_what_does_not_fit(tmp_path):
    f = tmp_path / "mols.smi"
    f.write_text("CCO ethanol\nc1ccccc1Cl\nC1CC(\nCC[N+](C)(C)C\nCCCCCCCCCCCC\nCC(=O)O\nCCN\n")
    with pytest.raises(GanforgeError, match="line 3"):
        build_dataset(DataConfig(name=f"molgraphs:{f}", resolution=None))
    cfg = DataConfig(name=f"molgraphs:{f}", resolution=None, split="all",
                     options={"invalid": "skip", "max_atoms": 8, "atoms": "C,N,O", "test_fraction": 0.0})
    with pytest.warns(UserWarning) as seen:
        ds = build_dataset(cfg)
    text = " ".join(str(w.message) for w in seen)
    assert "line 3" in text  # the invalid SMILES, by line
    assert "atom type" in text and "Clc1ccccc1" in text and "charge" in text and "too many atoms" in text
    assert ds.info.extra["dropped"] == {"atom_type": 1, "charge": 1, "too_many_atoms": 1}
    assert ds.info.extra["num_invalid"] == 1 and ds.info.extra["atom_types"] == ["", "C", "N", "O"]
    assert sorted(decode_graphs(ds.x, ds.info.extra)) == ["CC(=O)O", "CCN", "CCO"]


@pytest.mark.parametrize("options,match", [({"max_atoms": 1}, "max_atoms"), ({"atoms": "C,Xx"}, "'Xx'"),
                                           ({"kekulize": "maybe"}, "kekulize"), ({"window": 3}, "unknown")])
def test_bad_options_are_named(options, match):
    with pytest.raises(GanforgeError, match=match):
        build_dataset(DataConfig(name="moses-graphs", limit=4, resolution=None, options=options))


@pytest.mark.slow
def test_the_whole_capped_training_set_encodes():
    ds = build_dataset(DataConfig(name="moses-graphs", resolution=None))
    assert len(ds) == 21087 == ds.info.extra["num_within_cap_prefilter"] == len(moses_fitting("train", 16))
    assert ds.info.extra["dropped"] == {"too_many_atoms": 1584663 - 21087}
