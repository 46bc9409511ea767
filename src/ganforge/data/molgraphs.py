"""Molecules as fixed-size graphs (MolGAN's form, De Cao and Kipf 2018): ``moses-graphs`` and
``molgraphs:PATH``.

A molecule (RDKit, kekulized, hydrogens implicit) of at most ``max_atoms`` heavy atoms becomes

- node types: (max_atoms,) ids into the atom vocabulary ``atom_types`` (id 0: "no atom"), and
- bond types: (max_atoms, max_atoms) symmetric ids into ``bond_types`` (id 0: "no bond", then
  SINGLE, DOUBLE, TRIPLE, and AROMATIC when ``kekulize`` is false), zero on the diagonal.

Field ``x`` packs both one-hot, float32, as the generator emits and the discriminator reads
them: (N, max_atoms, A + max_atoms * B) where ``x[:, i, :A]`` is atom i's type and
``x[:, i, A:].view(max_atoms, B)`` its bonds to every atom (A, B: the sizes of the two
vocabularies, "no atom" / "no bond" included). The data kind is ``molgraph``; the vocabularies
and ``max_atoms`` are saved in ``DataInfo.extra`` and travel with the generator, so samples
decode without the data (:func:`decode_graphs`).

What is encoded: the element of each heavy atom and the bond orders. What is not: formal
charges, radicals, isotopes, explicit hydrogen counts that differ from the default valence,
and stereochemistry. A molecule is kept only when it fits and decodes back to the same
canonical SMILES (stereochemistry removed on both sides); every other one is counted by reason
(``too_many_atoms``, ``atom_type`` outside the vocabulary, ``charge``, ``radical``, ``isotope``,
``round_trip``) in ``extra['dropped']`` and, for a user's file, named by line in a warning. Molecules with
stereo marks are kept without them and counted (``extra['num_stereo_removed']``).

``moses-graphs``: the MOSES training set (``molsets`` wheel, :mod:`.molecules`) restricted to
molecules of at most ``max_atoms`` heavy atoms (default 16: 21,087 of the 1,584,663 training
and 2,388 of the 176,074 test molecules; the molecules are drug-sized, MW 250-350, so a cap
of 9 atoms as MolGAN's QM9 would keep 37), all of them in a seeded shuffle, or with ``--limit
N`` the first N that fit in a seeded shuffle of the whole split. ``molgraphs:PATH``: a .smi/.csv/.txt file read as
``smiles:PATH`` reads it (invalid SMILES named by line: ``invalid: error | skip``), its own
seeded train/test split; ``max_atoms`` defaults to the largest molecule in the file.

Options (``data.options``)::

    max_atoms: int         the node count N_max (moses-graphs: 16)
    atoms: str             the atom vocabulary, comma separated (e.g. C,N,O,F); default: the
                           elements of the training molecules, most frequent first
    kekulize: bool         kekulé bonds (true); false keeps aromatic bonds as a fourth type
    seed, invalid, canonical, test_fraction   as for moses / smiles:PATH
"""
from __future__ import annotations

import re
import warnings
from collections import Counter
from functools import lru_cache
from typing import Any, Sequence

import torch

from ..errors import GanforgeError
from .base import DataInfo, TensorDataset, register_dataset
from .molecules import (MOSES_FILES, SHOWN_LINES, file_split, molecule_options, quiet_rdkit, read_moses,
                        smiles_file_sets)

MOSES_MAX_ATOMS = 16
KEKULE_BONDS = ("", "SINGLE", "DOUBLE", "TRIPLE")
AROMATIC_BONDS = KEKULE_BONDS + ("AROMATIC",)
DEFAULTS: dict[str, Any] = {"max_atoms": None, "atoms": None, "kekulize": True, "invalid": "error",
                            "canonical": True, "test_fraction": 0.1, "seed": 0}
MOSES_OPTIONS = ("max_atoms", "atoms", "kekulize", "seed")
REASONS = ("too_many_atoms", "atom_type", "charge", "radical", "isotope", "round_trip")
# characters that are (the first letter of) one heavy atom in a SMILES without brackets
_ATOM_CHARS = "BCNOPSFIbcnops"
_KEEP_ATOM_CHARS = {ord(c): None for c in map(chr, range(128)) if c not in _ATOM_CHARS}


_BRACKET_RE = re.compile(r"\[(\d*)([A-Z][a-z]?|[a-z][a-z]?|\*)?[^\]]*\]")


def _bracket_atom(m: re.Match) -> str:
    return "" if m.group(2) in ("H", None) else "C"  # an explicit hydrogen is not a heavy atom


def heavy_atoms_upper_bound_ok(smiles: str, max_atoms: int) -> bool:
    """A fast pre-filter: False only when ``smiles`` certainly has more than ``max_atoms`` heavy
    atoms (counted from its letters, each bracket atom one, an explicit [H] none; RDKit counts
    exactly afterwards)."""
    if "[" in smiles:
        smiles = _BRACKET_RE.sub(_bracket_atom, smiles)
    return len(smiles.translate(_KEEP_ATOM_CHARS)) <= max_atoms


# --- one molecule <-> one graph -------------------------------------------------------------------

def bond_types(kekulize: bool) -> tuple[str, ...]:
    return KEKULE_BONDS if kekulize else AROMATIC_BONDS


def plain_smiles(mol: Any) -> str:
    """Canonical SMILES without stereochemistry (what the graph encodes)."""
    from rdkit import Chem

    return Chem.MolToSmiles(mol, isomericSmiles=False)


def mol_to_graph(mol: Any, atom_types: Sequence[str], bonds: Sequence[str], max_atoms: int
                 ) -> tuple[list[int], list[tuple[int, int, int]]] | str:
    """(atom type ids, [(i, j, bond type id)]) of an RDKit molecule, or the reason it does not fit
    (one of :data:`REASONS`, the round trip excepted). Kekulizes a copy when ``bonds`` has no
    AROMATIC."""
    from rdkit import Chem

    if mol.GetNumAtoms() > max_atoms:
        return "too_many_atoms"
    if "AROMATIC" not in bonds:
        mol = Chem.Mol(mol)
        try:
            Chem.Kekulize(mol, clearAromaticFlags=True)
        except Exception:  # noqa: BLE001 - RDKit raises its own KekulizeException
            return "round_trip"
    index = {s: i for i, s in enumerate(atom_types)}
    nodes = []
    for a in mol.GetAtoms():
        if a.GetFormalCharge():
            return "charge"
        if a.GetNumRadicalElectrons():
            return "radical"
        if a.GetIsotope():
            return "isotope"
        if a.GetSymbol() not in index or a.GetSymbol() == "":
            return "atom_type"
        nodes.append(index[a.GetSymbol()])
    bindex = {s: i for i, s in enumerate(bonds)}
    edges = []
    for b in mol.GetBonds():
        name = str(b.GetBondType())
        if name not in bindex or name == "":
            return "round_trip"
        edges.append((b.GetBeginAtomIdx(), b.GetEndAtomIdx(), bindex[name]))
    return nodes, edges


def graph_to_mol(nodes: Sequence[int], adj: Any, atom_types: Sequence[str], bonds: Sequence[str]) -> Any:
    """An RDKit molecule of type ids ``nodes`` (max_atoms,) and bond type ids ``adj`` (max_atoms,
    max_atoms; the upper triangle is read), or None when it does not sanitise, has no atom, or
    falls into several fragments (MolGAN counts those invalid). Bonds to "no atom" nodes are
    ignored."""
    from rdkit import Chem

    rw = Chem.RWMol()
    where: dict[int, int] = {}
    for i, t in enumerate(nodes):
        if int(t) > 0:
            where[i] = rw.AddAtom(Chem.Atom(atom_types[int(t)]))
    if not where:
        return None
    kinds = {name: getattr(Chem.BondType, name) for name in bonds if name}
    for i in where:
        for j in where:
            if j > i and int(adj[i][j]) > 0:
                rw.AddBond(where[i], where[j], kinds[bonds[int(adj[i][j])]])
    mol = rw.GetMol()
    try:
        Chem.SanitizeMol(mol)
    except Exception:  # noqa: BLE001 - valence and kekulization errors are RDKit's own classes
        return None
    if len(Chem.GetMolFrags(mol)) > 1:
        return None
    return mol


def pack(nodes: torch.Tensor, adj: torch.Tensor, num_atoms: int, num_bonds: int) -> torch.Tensor:
    """(N, M) node ids and (N, M, M) bond ids -> (N, M, A + M * B) float32 one-hot."""
    n, m = nodes.shape
    a = torch.nn.functional.one_hot(nodes.long(), num_atoms).float()
    b = torch.nn.functional.one_hot(adj.long(), num_bonds).float().reshape(n, m, m * num_bonds)
    return torch.cat([a, b], dim=2)


def unpack_ids(x: torch.Tensor, num_atoms: int, num_bonds: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, M, A + M * B) one-hot or scores -> (N, M) node ids and (N, M, M) bond ids (argmax)."""
    n, m, width = x.shape
    if width != num_atoms + m * num_bonds:
        raise GanforgeError(f"molecule graphs: {width} features per node, expected {num_atoms} atom types + "
                            f"{m} x {num_bonds} bond types = {num_atoms + m * num_bonds}")
    x = x.float()
    return x[..., :num_atoms].argmax(-1), x[..., num_atoms:].reshape(n, m, m, num_bonds).argmax(-1)


def graph_vocab(extra: dict[str, Any]) -> tuple[list[str], list[str], int]:
    """(atom types, bond types, max_atoms) saved in a dataset's (or a generator's) ``extra``."""
    try:
        return list(extra["atom_types"]), list(extra["bond_types"]), int(extra["max_atoms"])
    except (KeyError, TypeError):
        raise GanforgeError("these molecule graphs carry no atom/bond vocabulary (data_extra atom_types, bond_types, "
                            "max_atoms); was the generator trained on moses-graphs or molgraphs:PATH?") from None


def decode_graphs(x: torch.Tensor, extra: dict[str, Any]) -> list[str | None]:
    """(N, M, A + M * B) graphs -> N canonical SMILES (None for an invalid graph)."""
    atoms, bonds, _ = graph_vocab(extra)
    nodes, adj = unpack_ids(x.detach().cpu(), len(atoms), len(bonds))
    out: list[str | None] = []
    with quiet_rdkit():
        for v, e in zip(nodes.tolist(), adj.tolist()):
            mol = graph_to_mol(v, e, atoms, bonds)
            out.append(None if mol is None else plain_smiles(mol))
    return out


INVALID = "invalid"  # the line written for a graph that is not a molecule (RDKit does not parse it)


def graphs_to_smiles(x: torch.Tensor, extra: dict[str, Any]) -> list[str]:
    """:func:`decode_graphs` with :data:`INVALID` for invalid graphs (a SMILES file line that
    every SMILES reader counts as invalid)."""
    return [s if s is not None else INVALID for s in decode_graphs(x, extra)]


# --- a set of molecules ---------------------------------------------------------------------------

def atom_vocabulary(smiles: Sequence[str], given: Any) -> list[str]:
    """["", elements...]: ``given`` (comma separated or a list) or the elements of ``smiles``,
    most frequent first (ties alphabetical)."""
    if given:
        items = [s.strip() for s in (given.split(",") if isinstance(given, str) else given) if str(s).strip()]
        from rdkit import Chem

        table = Chem.GetPeriodicTable()
        for s in items:
            try:
                if table.GetAtomicNumber(s) < 1:
                    raise ValueError
            except (RuntimeError, ValueError):
                raise GanforgeError(f"data.options.atoms: {s!r} is not an element symbol (e.g. C,N,O,F)") from None
        return [""] + list(dict.fromkeys(items))
    from .molecules import to_mol

    counts: Counter[str] = Counter()
    with quiet_rdkit():
        for s in smiles:
            mol = to_mol(s)
            if mol is not None:
                counts.update(a.GetSymbol() for a in mol.GetAtoms())
    return [""] + sorted(counts, key=lambda k: (-counts[k], k))


def encode_one(smiles: str, atoms: Sequence[str], bonds: Sequence[str], max_atoms: int
               ) -> tuple[torch.Tensor, torch.Tensor, str, bool] | str:
    """(node ids (M,), bond ids (M, M), the plain canonical SMILES, whether stereo marks were
    removed) of one SMILES, or the
    reason it is left out (:data:`REASONS`, or ``invalid`` when RDKit cannot parse it). The
    graph is decoded again and must give the same canonical SMILES."""
    from .molecules import to_mol

    mol = to_mol(smiles)
    if mol is None:
        return "invalid"
    got = mol_to_graph(mol, atoms, bonds, max_atoms)
    if isinstance(got, str):
        return got
    nodes_l, edges = got
    nodes = torch.zeros(max_atoms, dtype=torch.int64)
    nodes[: len(nodes_l)] = torch.tensor(nodes_l, dtype=torch.int64)
    adj = torch.zeros(max_atoms, max_atoms, dtype=torch.int64)
    for i, j, t in edges:
        adj[i, j] = adj[j, i] = t
    back = graph_to_mol(nodes.tolist(), adj.tolist(), atoms, bonds)
    target = plain_smiles(mol)
    if back is None or plain_smiles(back) != target:
        return "round_trip"
    from rdkit import Chem

    return nodes, adj, target, target != Chem.MolToSmiles(mol)


def encode_set(smiles: Sequence[str], lines: Sequence[int] | None, atoms: Sequence[str], bonds: Sequence[str],
               max_atoms: int, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor, list[str], dict[str, Any]]:
    """Encode ``smiles`` in order until ``limit`` fit: (node ids (N, M), bond ids (N, M, M), the
    plain canonical SMILES kept, a report: ``dropped`` {reason: count}, ``dropped_lines``
    {reason: the first 1000 line numbers (``lines``) or SMILES}, ``num_examined``,
    ``num_stereo_removed``)."""
    nodes, adjs, kept = [], [], []
    dropped: Counter[str] = Counter()
    named: dict[str, list[int]] = {}
    stereo, examined = 0, 0
    with quiet_rdkit():
        for k, s in enumerate(smiles):
            if limit is not None and len(kept) >= limit:
                break
            examined += 1
            got: Any = "too_many_atoms" if not heavy_atoms_upper_bound_ok(s, max_atoms) else \
                encode_one(s, atoms, bonds, max_atoms)
            if isinstance(got, str):
                dropped[got] += 1
                where = named.setdefault(got, [])
                if len(where) < 1000:
                    where.append(lines[k] if lines is not None else s)
                continue
            nodes.append(got[0])
            adjs.append(got[1])
            kept.append(got[2])
            stereo += int(got[3])
    m = max_atoms
    report = {"dropped": dict(dropped), "dropped_lines": named, "num_examined": examined,
              "num_stereo_removed": stereo}
    if not nodes:
        return torch.zeros(0, m, dtype=torch.int64), torch.zeros(0, m, m, dtype=torch.int64), kept, report
    return torch.stack(nodes), torch.stack(adjs), kept, report


def describe_dropped(report: dict[str, Any], where: str, by_line: bool) -> str:
    parts = []
    for reason, count in sorted(report["dropped"].items(), key=lambda kv: -kv[1]):
        shown = report["dropped_lines"].get(reason, [])[:SHOWN_LINES]
        label = "lines" if by_line else "e.g."
        parts.append(f"{count} {reason.replace('_', ' ')} ({label} {', '.join(map(str, shown))}"
                     f"{' ...' if count > len(shown) else ''})")
    return f"{where}: {sum(report['dropped'].values())} of {report['num_examined']} molecules do not fit the " \
           f"graph form and were left out: " + "; ".join(parts)


def _options(cfg: Any, where: str, accepted: Sequence[str]) -> dict[str, Any]:
    opts = molecule_options(cfg, where, accepted, DEFAULTS)
    m = opts["max_atoms"]
    if m is not None and (isinstance(m, bool) or not isinstance(m, int) or not 2 <= m <= 64):
        raise GanforgeError(f"{where}: data.options.max_atoms must be an integer in 2..64, got {m!r}")
    if not isinstance(opts["kekulize"], bool):
        raise GanforgeError(f"{where}: data.options.kekulize must be true or false, got {opts['kekulize']!r}")
    return opts


def _dataset(name: str, nodes: torch.Tensor, adj: torch.Tensor, kept: list[str], atoms: list[str],
             bonds: Sequence[str], max_atoms: int, report: dict[str, Any], extra: dict[str, Any]) -> TensorDataset:
    x = pack(nodes, adj, len(atoms), len(bonds))
    counts = Counter((nodes > 0).sum(1).tolist())
    info = DataInfo(name=name, kind="molgraph", shape=tuple(x.shape[1:]), extra={
        "atom_types": list(atoms), "bond_types": list(bonds), "max_atoms": max_atoms,
        "num_molecules": len(kept), "atoms_per_molecule": {str(k): v for k, v in sorted(counts.items())},
        "dropped": report["dropped"], "dropped_examples": {k: v[:20] for k, v in report["dropped_lines"].items()},
        "num_examined": report["num_examined"],
        "num_stereo_removed": report["num_stereo_removed"], **extra})
    return TensorDataset({"x": x}, info)


@lru_cache(maxsize=8)
def moses_fitting(split: str, max_atoms: int) -> tuple[str, ...]:
    """The molecules of a MOSES split that pass the heavy-atom pre-filter (file order)."""
    return tuple(s for s in read_moses(split) if heavy_atoms_upper_bound_ok(s, max_atoms))


def build_moses_graphs(cfg: Any) -> TensorDataset:
    """Builder of ``moses-graphs`` (see the module docstring)."""
    opts = _options(cfg, "moses-graphs", MOSES_OPTIONS)
    split = getattr(cfg, "split", "train") or "train"
    if split not in MOSES_FILES:
        raise GanforgeError(f"moses-graphs: data.split {split!r}; use one of {', '.join(MOSES_FILES)}")
    m = opts["max_atoms"] or MOSES_MAX_ATOMS
    limit = getattr(cfg, "limit", None)
    if limit is not None and limit < 1:
        raise GanforgeError(f"data.limit must be >= 1, got {limit}")
    every = read_moses(split)
    gen = torch.Generator().manual_seed(int(opts["seed"]))
    skipped = [0]  # molecules the pre-filter finds too large (exact for MOSES: no explicit hydrogens)
    extra: dict[str, Any] = {"split": split, "num_read": len(every)}
    if limit is None:  # every molecule that fits, in a seeded shuffle
        pool = moses_fitting(split, m)
        chosen: Any = [pool[i] for i in torch.randperm(len(pool), generator=gen).tolist()]
        skipped[0] = len(every) - len(pool)
        extra["num_within_cap_prefilter"] = len(pool)
    else:  # the first `limit` that fit in a seeded shuffle of the whole split (no pass over all of it)
        def walk() -> Any:
            for i in torch.randperm(len(every), generator=gen).tolist():
                if heavy_atoms_upper_bound_ok(every[i], m):
                    yield every[i]
                else:
                    skipped[0] += 1

        chosen = walk()
    # the vocabulary: MOSES's own elements (its filters allow only C N S O F Cl Br), most frequent first
    atoms = atom_vocabulary([], opts["atoms"]) if opts["atoms"] else ["", "C", "N", "O", "S", "F", "Cl", "Br"]
    bonds = bond_types(opts["kekulize"])
    nodes, adj, kept, report = encode_set(chosen, None, atoms, bonds, m, limit)
    report["dropped"]["too_many_atoms"] = report["dropped"].get("too_many_atoms", 0) + skipped[0]
    report["num_examined"] += skipped[0]
    if not kept:
        raise GanforgeError(f"moses-graphs: no MOSES {split} molecule fits the graph form ({report['dropped']}); "
                            f"check data.options.atoms / max_atoms (the smallest molecules have 8 heavy atoms)")
    return _dataset("moses-graphs", nodes, adj, kept, atoms, bonds, m, report, extra)


def build_molgraphs_file(cfg: Any, path: str) -> TensorDataset:
    """Builder of ``molgraphs:PATH`` (see the module docstring)."""
    where = f"molgraphs:{path}"
    opts = _options(cfg, where, tuple(DEFAULTS))
    train, test, found = smiles_file_sets(path, opts)
    split, chosen = file_split(cfg, where, train, test, opts)
    from .molecules import to_mol

    with quiet_rdkit():
        sizes = [m.GetNumAtoms() for m in (to_mol(s) for s in train) if m is not None]
    m = opts["max_atoms"] or max(2, max(sizes))
    atoms = atom_vocabulary(train, opts["atoms"])
    bonds = bond_types(opts["kekulize"])
    limit = getattr(cfg, "limit", None)
    nodes, adj, kept, report = encode_set(chosen, None, atoms, bonds, m, limit)
    if report["dropped"]:
        warnings.warn(describe_dropped(report, where, by_line=False) + " (counts in DataInfo.extra['dropped'])",
                      stacklevel=2)
    if not kept:
        raise GanforgeError(f"{where}: none of the {report['num_examined']} molecules fits the graph form "
                            f"({report['dropped']}); raise data.options.max_atoms or widen data.options.atoms")
    return _dataset(where, nodes, adj, kept, atoms, bonds, m, report, {"split": split, **found})


@lru_cache(maxsize=2)
def _moses_test_graphs(max_atoms: int, atoms: tuple[str, ...], bonds: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(encode_set(moses_fitting("test", max_atoms), None, atoms, bonds, max_atoms)[2])


def graph_molecule_sets(name: str, extra: dict[str, Any], options: dict[str, Any] | None = None
                        ) -> dict[str, list[str]]:
    """The reference sets of a graph dataset for evaluation: ``test``, the held-out molecules
    that fit the graph form (the same max_atoms, atom and bond types; plain canonical SMILES),
    and ``train``, the training molecules of at most max_atoms heavy atoms (for novelty). ``moses-graphs``: the MOSES splits; ``molgraphs:PATH``: the file's own split."""
    atoms, bonds, m = graph_vocab(extra)
    if name == "moses-graphs":
        # novelty against the MOSES training SMILES as they are, as for SMILES runs (they are RDKit
        # canonical SMILES: 3 of the 21,087 of <= 16 atoms differ from this RDKit's canonical form)
        return {"train": list(moses_fitting("train", m)), "test": list(_moses_test_graphs(m, tuple(atoms),
                                                                                          tuple(bonds)))}
    elif name.startswith("molgraphs:"):
        path = name.partition(":")[2]
        opts = {**DEFAULTS, **{k: v for k, v in (options or {}).items() if k in DEFAULTS}, "invalid": "skip"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            train, test, _ = smiles_file_sets(path, opts)
    else:
        raise GanforgeError(f"dataset {name!r} is not a molecule-graph dataset (moses-graphs, molgraphs:PATH)")
    return {"train": train, "test": encode_set(test, None, atoms, bonds, m)[2]}


OPTION_HELP = {
    "max_atoms": "heavy atoms per molecule graph, N_max (moses-graphs: 16; molgraphs: the largest)",
    "atoms": "the atom vocabulary of molecule graphs, comma separated (default: the data's elements)",
    "kekulize": "molecule graphs with kekule bonds (true) or aromatic bonds as a 4th type (false)",
}
register_dataset("moses-graphs", help="MOSES molecules of at most 16 heavy atoms (data.options.max_atoms) as MolGAN "
                 "graphs (atom types x adjacency by bond type); --limit N: the first N that fit in a seeded shuffle",
                 options=OPTION_HELP)(build_moses_graphs)
register_dataset("molgraphs:", help="molgraphs:PATH - a SMILES file (.smi, .csv, .txt) as molecule graphs; molecules "
                 "that do not fit are counted and named", options=OPTION_HELP)(build_molgraphs_file)
