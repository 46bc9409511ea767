"""Molecule metrics as MOSES defines them (Polykovskiy et al. 2020, the ``molsets`` code), and
the chemistry objectives ORGAN rewards.

Properties (RDKit): QED (``rdkit.Chem.QED.qed``), logP (Crippen ``MolLogP``), SA (Ertl and
Schuffenhauer's synthetic accessibility score, RDKit Contrib ``SA_Score/sascorer.py``; its
fragment table ``fpscores.pkl.gz`` is read with an unpickler that accepts only lists, ints and
floats, so no code in it can run) and molecular weight (``Descriptors.MolWt``).

Metrics of a list of generated SMILES ``gen`` (see :func:`molecule_metrics`):

=================  =====================================================================
``valid``          share of ``gen`` RDKit parses and sanitises
``unique@1k/@10k`` share of distinct canonical SMILES among the first 1,000 / 10,000 valid
``FCD/Test``       Frechet ChemNet Distance of the valid molecules to the test set
                   (:mod:`.chemnet`), ``FCD/TestSF`` to the scaffold test set
``SNN/Test``       mean over valid molecules of the Tanimoto similarity (Morgan r=2, 1024 bits)
                   to the nearest test molecule
``Frag/Test``      cosine similarity of BRICS fragment counts
``Scaf/Test``      cosine similarity of Bemis-Murcko scaffold counts (scaffolds with >= 2 rings;
                   MOSES's ``min_rings``)
``IntDiv``         1 - mean pairwise Tanimoto similarity within the valid molecules (p=1);
``IntDiv2``        1 - mean over molecules of sqrt(mean squared similarity) (p=2)
``Filters``        share passing MOSES's filters: MCF and PAINS SMARTS, no charge, only
                   C N S O F Cl Br H atoms, no ring of 8 or more atoms
``Novelty``        share of distinct valid molecules not in the training set
``logP``, ``SA``,  1-D Wasserstein distance of the property between valid molecules and the
``QED``, ``weight`` test set (MOSES's property columns), and ``FD/<prop>`` the Frechet
                   distance of the two 1-D Gaussians, (mu1-mu2)^2 + (s1-s2)^2
``mean/<prop>``    the property's mean over the valid molecules
=================  =====================================================================

MOSES's ``valid`` counts over every sample; every other metric is over the valid molecules
(duplicates kept, as MOSES does), and unique@k over the first k valid ones.
"""
from __future__ import annotations

import csv
import gzip
import importlib
import io
import math
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import GanforgeError
from ..data.molecules import canonical_smiles, quiet_rdkit, to_mol

PROPERTIES = ("logP", "SA", "QED", "weight")
OBJECTIVES = ("validity", "qed", "logp", "sa")
# ORGAN's normalisation of logP to [0, 1] (its "solubility" objective): the range of logP in its data
LOGP_RANGE = (-2.12178879609, 6.0429063424)


# --- properties ----------------------------------------------------------------------------------

class _ListUnpickler(pickle.Unpickler):
    """Reads pickles of plain lists and numbers only: any class or function reference is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise GanforgeError(f"SA score table: refused to load {module}.{name} (only lists and numbers are read)")


@lru_cache(maxsize=1)
def _sascorer() -> Any:
    """RDKit Contrib's sascorer module, with its fragment scores loaded safely."""
    from rdkit.Chem import RDConfig

    folder = Path(RDConfig.RDContribDir) / "SA_Score"
    src = folder / "sascorer.py"
    if not src.is_file():
        raise GanforgeError(f"the SA score needs RDKit's Contrib/SA_Score/sascorer.py ({src} not found); install "
                            "rdkit from PyPI")
    spec = importlib.util.spec_from_file_location("ganforge_rdkit_sascorer", src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    with gzip.open(folder / "fpscores.pkl.gz", "rb") as f:
        data = _ListUnpickler(f).load()
    mod._fscores = {int(k): float(row[0]) for row in data for k in row[1:]}
    return mod


def qed(mol: Any) -> float:
    from rdkit.Chem.QED import qed as _qed

    return float(_qed(mol))


def logp(mol: Any) -> float:
    from rdkit.Chem import Crippen

    return float(Crippen.MolLogP(mol))


def sa(mol: Any) -> float:
    """Synthetic accessibility, 1 (easy) to 10 (hard)."""
    return float(_sascorer().calculateScore(mol))


def weight(mol: Any) -> float:
    from rdkit.Chem import Descriptors

    return float(Descriptors.MolWt(mol))


PROPERTY_FNS: dict[str, Callable[[Any], float]] = {"logP": logp, "SA": sa, "QED": qed, "weight": weight}


# --- chemistry objectives (ORGAN's rewards, each in [0, 1]; 0 for an invalid molecule) ---------

def _objective_of_mol(name: str) -> Callable[[Any], float]:
    if name == "validity":
        return lambda mol: 1.0
    if name == "qed":
        return qed
    if name == "logp":
        lo, hi = LOGP_RANGE
        return lambda mol: min(max((logp(mol) - lo) / (hi - lo), 0.0), 1.0)
    if name == "sa":  # ORGAN's synthesizability: 1 for SA 1 (easy), 0 for SA 10
        return lambda mol: min(max((10.0 - sa(mol)) / 9.0, 0.0), 1.0)
    raise GanforgeError(f"reward {name!r}: use one of {', '.join(OBJECTIVES)} or a Python function module:function")


def load_objective(name: str) -> Callable[[Sequence[str]], list[float]]:
    """SMILES list -> scores in [0, 1] (invalid molecules score 0). ``name`` is one of
    :data:`OBJECTIVES` or ``module:function``, a user's function of one SMILES string (valid,
    canonical) returning a number, which is clipped to [0, 1]."""
    if ":" in name:
        mod_name, _, fn_name = name.partition(":")
        try:
            fn = getattr(importlib.import_module(mod_name), fn_name)
        except (ImportError, AttributeError) as e:
            raise GanforgeError(f"reward {name!r}: cannot load {fn_name!r} from module {mod_name!r} "
                                f"({type(e).__name__}: {e})") from None
        if not callable(fn):
            raise GanforgeError(f"reward {name!r}: {mod_name}.{fn_name} is not a function")

        def user(smiles: Sequence[str]) -> list[float]:
            out = []
            with quiet_rdkit():
                for s in smiles:
                    c = canonical_smiles(s)
                    if c is None:
                        out.append(0.0)
                        continue
                    v = float(fn(c))
                    out.append(min(max(v, 0.0), 1.0) if math.isfinite(v) else 0.0)
            return out

        return user
    per_mol = _objective_of_mol(name)

    def score(smiles: Sequence[str]) -> list[float]:
        out = []
        with quiet_rdkit():
            for s in smiles:
                mol = to_mol(s)
                out.append(0.0 if mol is None else float(per_mol(mol)))
        return out

    return score


# --- MOSES's building blocks -----------------------------------------------------------------------

FP_BITS = 1024  # Morgan radius 2, 1,024 bits (MOSES's fingerprints for SNN and IntDiv)


def fingerprints(mols: Sequence[Any]) -> np.ndarray:
    """(N, 1024) uint8 Morgan fingerprints (radius 2) of RDKit molecules."""
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=FP_BITS)
    out = np.zeros((len(mols), FP_BITS), dtype=np.uint8)
    for i, m in enumerate(mols):
        out[i] = gen.GetFingerprintAsNumPy(m)
    return out


def agg_tanimoto(stock: np.ndarray, gen: np.ndarray, agg: str = "max", p: int = 1, batch: int = 5000) -> float:
    """MOSES's ``average_agg_tanimoto``: for each row of ``gen`` the max (or the power mean
    (mean s^p)^(1/p)) of its Tanimoto similarity to every row of ``stock``, averaged over ``gen``;
    two empty fingerprints have similarity 1."""
    import torch

    if agg not in ("max", "mean"):
        raise GanforgeError(f"agg_tanimoto: agg {agg!r}; use max or mean")
    acc = np.zeros(len(gen))
    for j in range(0, len(stock), batch):
        x = torch.from_numpy(stock[j:j + batch]).float()
        xs = x.sum(1, keepdim=True)
        for i in range(0, len(gen), batch):
            y = torch.from_numpy(gen[i:i + batch]).float().T
            tp = x @ y
            jac = (tp / (xs + y.sum(0, keepdim=True) - tp)).numpy()
            jac[np.isnan(jac)] = 1.0
            if agg == "max":
                acc[i:i + y.shape[1]] = np.maximum(acc[i:i + y.shape[1]], jac.max(0))
            else:
                acc[i:i + y.shape[1]] += (jac ** p).sum(0)
    if agg == "mean":
        acc = (acc / len(stock)) ** (1.0 / p)
    return float(acc.mean())


def fragments(mols: Sequence[Any]) -> dict[str, int]:
    """Counts of BRICS fragments (canonical SMILES with dummy atoms), MOSES's ``compute_fragments``."""
    from collections import Counter

    from rdkit import Chem
    from rdkit.Chem import AllChem

    counts: Counter[str] = Counter()
    for m in mols:
        counts.update(Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(m)).split("."))
    return dict(counts)


def scaffolds(mols: Sequence[Any], min_rings: int = 2) -> dict[str, int]:
    """Counts of Bemis-Murcko scaffolds with at least ``min_rings`` rings (MOSES's ``compute_scaffolds``)."""
    from collections import Counter

    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    counts: Counter[str] = Counter()
    for m in mols:
        try:
            scaf = MurckoScaffold.GetScaffoldForMol(m)
        except (ValueError, RuntimeError):
            continue
        s = Chem.MolToSmiles(scaf)
        if s and scaf.GetRingInfo().NumRings() >= min_rings:
            counts[s] += 1
    return dict(counts)


def cos_similarity(ref: dict[str, int], gen: dict[str, int]) -> float:
    """Cosine similarity of two count dictionaries (absent keys count 0); NaN when one is empty."""
    if not ref or not gen:
        return float("nan")
    keys = sorted(set(ref) | set(gen))
    r = np.array([ref.get(k, 0) for k in keys], dtype=np.float64)
    g = np.array([gen.get(k, 0) for k in keys], dtype=np.float64)
    return float(r @ g / (np.linalg.norm(r) * np.linalg.norm(g)))


@lru_cache(maxsize=1)
def _filters() -> tuple[Any, ...]:
    """MOSES's MCF and PAINS SMARTS, read from the molsets wheel's ``moses/metrics/`` files."""
    from rdkit import Chem

    from ..data.molecules import MOSES_INSTALL, moses_dir

    folder = moses_dir().parent.parent / "metrics"
    pats = []
    try:
        with open(folder / "mcf.csv", newline="") as f:
            rows = list(csv.reader(f))
        pats += [r[1] for r in rows[1:] if len(r) > 1]
        with open(folder / "wehi_pains.csv", newline="") as f:
            pats += [r[0] for r in csv.reader(f) if r]
    except OSError as e:
        raise GanforgeError(f"the MOSES filter files (moses/metrics/mcf.csv, wehi_pains.csv) cannot be read ({e}); "
                            f"install `{MOSES_INSTALL}`") from None
    out = []
    for s in pats:
        m = Chem.MolFromSmarts(s.strip())
        if m is None:
            raise GanforgeError(f"{folder}: a filter SMARTS does not parse: {s.strip()!r}")
        out.append(m)
    return tuple(out)


ALLOWED_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})


def passes_filters(mol: Any) -> bool:
    """MOSES's ``mol_passes_filters``: no ring of 8+ atoms, no charge, only C N S O F Cl Br H, no
    MCF/PAINS match (on the molecule with explicit hydrogens), and a SMILES that parses back."""
    from rdkit import Chem

    ri = mol.GetRingInfo()
    if ri.NumRings() and any(len(r) >= 8 for r in ri.AtomRings()):
        return False
    if any(a.GetFormalCharge() != 0 for a in mol.GetAtoms()):
        return False
    if any(a.GetSymbol() not in ALLOWED_ATOMS for a in mol.GetAtoms()):
        return False
    h_mol = Chem.AddHs(mol)
    if any(h_mol.HasSubstructMatch(p) for p in _filters()):
        return False
    s = Chem.MolToSmiles(mol, isomericSmiles=False)
    return bool(s) and Chem.MolFromSmiles(s) is not None


def properties(mols: Sequence[Any]) -> dict[str, np.ndarray]:
    """{"logP", "SA", "QED", "weight"}: float64 values per molecule."""
    return {name: np.array([fn(m) for m in mols], dtype=np.float64) for name, fn in PROPERTY_FNS.items()}


# --- reference statistics (what MOSES's compute_intermediate_statistics precomputes) --------------

STATS_VERSION = 1


def reference_stats(smiles: Sequence[str], fcd: bool = True) -> dict[str, Any]:
    """Everything the metrics need of a reference set of valid SMILES: ChemNet mu/sigma,
    fingerprints, fragment and scaffold counts, property values."""
    from .chemnet import fcd_stats

    with quiet_rdkit():
        mols = [to_mol(s) for s in smiles]
    bad = [s for s, m in zip(smiles, mols) if m is None]
    if bad:
        raise GanforgeError(f"reference molecules: {len(bad)} invalid SMILES, e.g. {bad[0]!r}")
    out: dict[str, Any] = {"n": len(mols), "fps": fingerprints(mols), "frag": fragments(mols),
                           "scaf": scaffolds(mols), **{f"prop/{k}": v for k, v in properties(mols).items()}}
    if fcd:
        st = fcd_stats(list(smiles))
        out["fcd_mu"], out["fcd_sigma"] = st["mu"], st["sigma"]
    return out


def _to_npz(stats: dict[str, Any]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"version": np.array(STATS_VERSION), "n": np.array(stats["n"])}
    for k, v in stats.items():
        if k in ("frag", "scaf"):
            out[f"{k}_keys"] = np.array(list(v.keys()), dtype=str)
            out[f"{k}_counts"] = np.array(list(v.values()), dtype=np.int64)
        elif k == "fps":
            out["fps_packed"] = np.packbits(v, axis=1)
        elif k != "n":
            out[k] = np.asarray(v)
    return out


def _from_npz(z: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"n": int(z["n"])}
    for k in z.files:
        if k.endswith("_keys"):
            name = k[: -len("_keys")]
            out[name] = dict(zip(z[k].tolist(), z[f"{name}_counts"].tolist()))
        elif k == "fps_packed":
            out["fps"] = np.unpackbits(z[k], axis=1)[:, :FP_BITS]
        elif not k.endswith("_counts") and k not in ("n", "version"):
            out[k] = z[k]
    return out


def cached_reference_stats(key: str, smiles: Sequence[str], progress: bool = False) -> dict[str, Any]:
    """:func:`reference_stats`, cached as ``$GANFORGE_CACHE/molecules/<key>.npz`` (no pickles)."""
    from ..data.idx import cache_dir
    from ..fileio import atomic_write

    path = cache_dir() / "molecules" / f"{key}__n{len(smiles)}__v{STATS_VERSION}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                return _from_npz(z)
        except (OSError, ValueError, KeyError):
            pass  # unreadable cache: recompute and overwrite
    if progress:
        print(f"computing reference statistics of {len(smiles)} molecules ({key}); cached in {path}")
    stats = reference_stats(smiles)
    data = _to_npz(stats)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: np.savez(f, **data), "cached molecule reference statistics (GANFORGE_CACHE)")
    return stats


# --- the metrics -------------------------------------------------------------------------------------

def fraction_valid(gen: Sequence[str]) -> float:
    with quiet_rdkit():
        return sum(to_mol(s) is not None for s in gen) / max(1, len(gen))


def fraction_unique(valid_canonical: Sequence[str], k: int | None = None) -> float:
    """unique@k: distinct SMILES among the first k valid (canonical) ones."""
    chosen = list(valid_canonical[:k] if k is not None else valid_canonical)
    return len(set(chosen)) / len(chosen) if chosen else float("nan")


def novelty(valid_canonical: Sequence[str], train: Sequence[str]) -> float:
    distinct = set(valid_canonical)
    return len(distinct - set(train)) / len(distinct) if distinct else float("nan")


def internal_diversity(fps: np.ndarray, p: int = 1) -> float:
    """1 - the power-mean Tanimoto similarity of each molecule to all (itself included), averaged."""
    return 1.0 - agg_tanimoto(fps, fps, agg="mean", p=p)


def frechet_1d(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance of two 1-D Gaussians fitted to a and b: (mu_a - mu_b)^2 + (s_a - s_b)^2."""
    return float((a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2)


def molecule_metrics(gen: Sequence[str], test: dict[str, Any], train: Sequence[str] | None = None,
                     test_sf: dict[str, Any] | None = None, ks: Sequence[int] = (1000, 10000)) -> dict[str, Any]:
    """The MOSES metrics of generated SMILES ``gen`` against reference statistics ``test`` (and
    ``test_sf``, the scaffold test set) from :func:`reference_stats`; novelty against ``train``.
    Keys as in the module docstring."""
    from scipy.stats import wasserstein_distance

    from .chemnet import fcd_from_stats, fcd_stats

    if not gen:
        raise GanforgeError("molecule metrics: no generated SMILES")
    with quiet_rdkit():
        canon = [canonical_smiles(s) for s in gen]
        valid = [c for c in canon if c is not None]
        out: dict[str, Any] = {"n": len(gen), "n_valid": len(valid), "valid": len(valid) / len(gen)}
        for k in ks:
            key = f"unique@{k // 1000}k" if k % 1000 == 0 else f"unique@{k}"
            out[key] = fraction_unique(valid, k)
            if len(valid) < k:
                out[f"{key}_n"] = len(valid)  # fewer valid molecules than k: computed on these
        if len(valid) < 2:
            out["note"] = "fewer than 2 valid molecules: the other metrics need at least 2"
            return out
        mols = [to_mol(c) for c in valid]
        fps = fingerprints(mols)
        gen_frag, gen_scaf = fragments(mols), scaffolds(mols)
        props = properties(mols)
        gen_fcd = fcd_stats(valid)
        for tag, ref in (("Test", test), ("TestSF", test_sf)):
            if ref is None:
                continue
            out[f"FCD/{tag}"] = fcd_from_stats(gen_fcd, {"mu": ref["fcd_mu"], "sigma": ref["fcd_sigma"]})
            out[f"SNN/{tag}"] = agg_tanimoto(ref["fps"], fps, agg="max")
            out[f"Frag/{tag}"] = cos_similarity(ref["frag"], gen_frag)
            out[f"Scaf/{tag}"] = cos_similarity(ref["scaf"], gen_scaf)
        out["IntDiv"] = internal_diversity(fps, 1)
        out["IntDiv2"] = internal_diversity(fps, 2)
        out["Filters"] = float(np.mean([passes_filters(m) for m in mols]))
        for name in PROPERTIES:
            out[name] = float(wasserstein_distance(test[f"prop/{name}"], props[name]))
        for name in PROPERTIES:
            out[f"FD/{name}"] = frechet_1d(props[name], test[f"prop/{name}"])
        for name in PROPERTIES:
            out[f"mean/{name}"] = float(props[name].mean())
        if train is not None:
            out["Novelty"] = novelty(valid, train)
    return out


# --- `ganforge eval` of a molecule run or a SMILES file ----------------------------------------------

MOSES_NUM_SAMPLES = 30000  # the MOSES protocol: metrics of 30,000 generated SMILES


def _reference_sets(info: Any, reference: Any, n_reference: int | None, seed: int,
                    with_sf: bool) -> tuple[str, list[str], list[str] | None, list[str] | None]:
    """(label, test SMILES, scaffold-test SMILES or None, train SMILES or None)."""
    from ..data.molecules import molecule_sets, read_smiles_file, seeded_subset

    name = str(reference) if reference is not None else (getattr(info, "name", None) or "moses")
    if name in ("moses", "moses-test"):
        name = "moses"
    if name == "moses" or name.startswith("smiles:"):
        options = (getattr(info, "extra", {}) or {}).get("data_options") if info is not None else None
        sets = molecule_sets(name, options)
        if not sets["test"]:
            raise GanforgeError(f"{name}: no held-out molecules to compare with (test_fraction=0); give --reference "
                                f"moses or a .smi file")
        test = seeded_subset(sets["test"], n_reference, seed)
        sf = seeded_subset(sets["test_scaffolds"], n_reference, seed) if with_sf and sets["test_scaffolds"] else None
        return name, test, sf, sets["train"]
    p = Path(name)
    if p.suffix.lower() in (".smi", ".csv", ".txt"):
        smiles, lines = read_smiles_file(p)
        with quiet_rdkit():
            test = [c for c in (canonical_smiles(s) for s in smiles) if c is not None]
        return str(p), seeded_subset(test, n_reference, seed), None, None
    raise GanforgeError(f"--reference {name}: for molecules give moses, smiles:PATH or a .smi/.csv/.txt file")


def evaluate_smiles(samples: Any, labels: Any = None, info: Any = None, *, run: Any = None, reference: Any = None,
                    metrics: str | None = None, n_reference: int | None = None, seed: int = 0,
                    progress: bool = False) -> dict[str, Any]:
    """MOSES metrics of generated molecules: ``samples`` are (N, T) SMILES token ids of a
    generator trained on ``info``'s dataset, or a list of SMILES (a file). The reference is the
    dataset's test set (MOSES: the full 176,074-molecule test set; statistics cached on disk),
    or ``reference`` (moses, smiles:PATH, a SMILES file); ``n_reference`` takes a seeded subset
    of it. ``metrics``: None for every /Test metric, or a comma list that may add ``testsf``
    (the scaffold test set, MOSES only)."""
    if isinstance(samples, (list, tuple)):
        gen = [str(s) for s in samples]
    else:
        from ..data.vocab import format_samples, vocab_from_info

        gen = format_samples(samples.long().cpu(), vocab_from_info(info))
    wanted = {m.strip().lower() for m in (metrics or "").split(",") if m.strip()}
    unknown = wanted - {"moses", "testsf", "all"}
    if unknown:
        raise GanforgeError(f"--metrics {metrics}: molecules take moses (the default: every /Test metric) or testsf "
                            f"(adds the scaffold test set); not {', '.join(sorted(unknown))}")
    with_sf = bool(wanted & {"testsf", "all"})
    label, test, sf, train = _reference_sets(info, reference, n_reference, seed, with_sf)
    key = "".join(c if c.isalnum() or c in "-_" else "_" for c in label)[-80:]
    if progress:
        print(f"evaluating {len(gen)} generated SMILES against {len(test)} reference molecules ({label})")
    test_stats = cached_reference_stats(f"{key}-test-s{seed}", test, progress=progress) if label != "moses" or \
        n_reference is not None else cached_reference_stats("moses-test", test, progress=progress)
    sf_stats = None
    if sf is not None:
        sf_stats = cached_reference_stats(f"{key}-test_scaffolds" + (f"-s{seed}" if n_reference else ""), sf,
                                          progress=progress)
    out = molecule_metrics(gen, test_stats, train=train, test_sf=sf_stats)
    out["reference"], out["n_reference"] = label, len(test)
    return out


def read_smiles_samples(path: Any) -> list[str]:
    """Generated SMILES in a file (every line, invalid ones included: they count against validity)."""
    from ..data.molecules import read_smiles_file

    return read_smiles_file(path)[0]


from .evaluate import KindEvaluator, register_kind_evaluator  # noqa: E402

register_kind_evaluator("smiles", KindEvaluator(evaluate_smiles, MOSES_NUM_SAMPLES, (".smi",), read_smiles_samples),
                        help="MOSES metrics: validity, unique@k, novelty, FCD, SNN, Frag, Scaf, IntDiv, Filters, "
                             "property distances")
