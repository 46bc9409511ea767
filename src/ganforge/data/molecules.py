"""Molecules as SMILES token sequences: the MOSES benchmark (``moses``) and a user's file
(``smiles:PATH``).

``moses`` reads the benchmark's files as they ship inside the PyPI wheel ``molsets`` 0.3.1
(``moses/dataset/data/{train,test,test_scaffolds}.csv.gz``: 1,584,663 training, 176,074 test
and 176,225 scaffold-test SMILES from ZINC). The wheel is installed with ``--no-deps`` and only
its data files are read: the package itself is never imported (its requirements are old).
``data.split`` picks ``train``, ``test`` or ``test_scaffolds``; ``--limit N`` takes N molecules
of the split chosen by a seeded shuffle (option ``seed``), for CPU runs.

``smiles:PATH`` reads one SMILES a line from a ``.smi`` (the first whitespace-separated field:
the usual "SMILES name" layout), ``.txt`` (the whole line) or ``.csv`` file (the column named
``smiles``, any case, else the first column; a header row is recognised by that name). Blank
lines and lines starting with ``#`` are skipped. Every SMILES is parsed with RDKit; invalid ones
are an error naming their line numbers (``invalid: error``, the default) or are skipped with a
warning naming them (``invalid: skip``); either way their count and lines are recorded in
``DataInfo.extra`` (``num_invalid``, ``invalid_lines``). A seeded ``test_fraction`` of the
molecules is held out (``data.split`` train | test | all).

Field ``x`` is (N, max_len) int64 ids of SMILES tokens (:data:`ganforge.data.vocab.SMILES_RE`:
bracket atoms such as ``[nH]`` and ``[C@@H]``, ``Cl``, ``Br`` and ``%10`` are single tokens),
then ``<eos>`` and ``<pad>``. The vocabulary is built from the training molecules and saved with
the run (``info.extra['vocab']``, which the generator's meta carries). The data kind is
``smiles``. Options (``data.options``)::

    max_len: int            tokens per molecule including <eos> (moses: 56, the longest training
                            molecule has 54 tokens; smiles: the longest molecule + 1)
    invalid: error | skip   (smiles:PATH) what to do with SMILES RDKit cannot parse
    canonical: bool         (smiles:PATH) rewrite every SMILES as RDKit's canonical SMILES (true)
    test_fraction: float    (smiles:PATH) held-out share (0.1)
    seed: int               the shuffle's seed (0)
    vocab: PATH             a saved vocabulary to use instead of building one
"""
from __future__ import annotations

import contextlib
import csv
import gzip
import importlib.util
import io
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Sequence

import torch

from ..errors import GanforgeError
from .base import DataInfo, TensorDataset, register_dataset
from .vocab import SMILES_RE, Vocabulary

MOSES_FILES = {"train": "train.csv.gz", "test": "test.csv.gz", "test_scaffolds": "test_scaffolds.csv.gz"}
MOSES_MAX_LEN = 56
MOSES_INSTALL = "pip install --no-deps molsets==0.3.1 (or `make test-deps`)"
SUFFIXES = (".smi", ".csv", ".txt")
DEFAULTS: dict[str, Any] = {"max_len": None, "invalid": "error", "canonical": True, "test_fraction": 0.1,
                            "seed": 0, "vocab": None}
MOSES_OPTIONS = ("max_len", "seed", "vocab")
SHOWN_LINES = 10  # invalid lines named in a message (all are counted; extra['invalid_lines'] keeps 1000)


# --- RDKit -----------------------------------------------------------------------------------

@contextlib.contextmanager
def quiet_rdkit() -> Iterator[None]:
    """Silence RDKit's parse warnings (invalid SMILES are counted instead of printed)."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        yield
    finally:
        RDLogger.EnableLog("rdApp.*")


def to_mol(smiles: str) -> Any:
    """An RDKit molecule of ``smiles``, or None when it is empty or does not parse and sanitise
    (MOSES's ``get_mol``)."""
    from rdkit import Chem

    if not smiles:
        return None
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    try:
        Chem.SanitizeMol(mol)
    except ValueError:
        return None
    return mol


def canonical_smiles(smiles: str) -> str | None:
    """RDKit's canonical SMILES of ``smiles`` (None when invalid)."""
    from rdkit import Chem

    mol = to_mol(smiles)
    return None if mol is None else Chem.MolToSmiles(mol)


def smiles_tokens(smiles: str) -> list[str]:
    """The SMILES tokens of ``smiles``; a character no token covers is an error naming it."""
    toks = SMILES_RE.findall(smiles)
    if sum(map(len, toks)) != len(smiles):
        pos, i = 0, 0
        for t in toks:
            if smiles.startswith(t, pos):
                pos += len(t)
            else:
                break
        raise GanforgeError(f"SMILES {smiles!r}: character {smiles[pos]!r} at position {pos} is not a SMILES token")
    return toks


# --- MOSES -----------------------------------------------------------------------------------

def moses_dir() -> Path:
    """The ``moses/dataset/data`` folder of the installed ``molsets`` wheel (found without
    importing the package)."""
    spec = importlib.util.find_spec("moses")
    places = [Path(p) for p in (spec.submodule_search_locations or [])] if spec is not None else []
    if not places:
        try:
            from importlib.metadata import PackageNotFoundError, distribution

            dist = distribution("molsets")
            places = [Path(str(dist.locate_file("moses")))]
        except (PackageNotFoundError, ImportError):
            places = []
    for p in places:
        d = p / "dataset" / "data"
        if (d / MOSES_FILES["train"]).is_file():
            return d
    raise GanforgeError(f"the MOSES data files (moses/dataset/data/train.csv.gz) were not found: install the "
                        f"wheel that ships them with `{MOSES_INSTALL}`")


@lru_cache(maxsize=4)
def read_moses(split: str = "train") -> tuple[str, ...]:
    """Every SMILES of a MOSES split (``train``, ``test``, ``test_scaffolds``), in file order."""
    if split not in MOSES_FILES:
        raise GanforgeError(f"moses: split {split!r}; use one of {', '.join(MOSES_FILES)}")
    path = moses_dir() / MOSES_FILES[split]
    try:
        with gzip.open(path, "rt", encoding="ascii") as f:
            header = f.readline().strip().split(",")
            if header[0] != "SMILES":
                raise GanforgeError(f"{path}: expected a SMILES column first, found header {header}")
            return tuple(line.split(",", 1)[0].strip() for line in f if line.strip())
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise GanforgeError(f"{path}: cannot read the MOSES file ({type(e).__name__}: {e}); reinstall with "
                            f"`{MOSES_INSTALL}`") from None


def seeded_subset(items: Sequence[str], limit: int | None, seed: int) -> list[str]:
    """``limit`` items of ``items`` chosen by a shuffle seeded with ``seed`` (all, in order,
    when ``limit`` is None)."""
    if limit is None or limit >= len(items):
        return list(items)
    if limit < 1:
        raise GanforgeError(f"data.limit must be >= 1, got {limit}")
    perm = torch.randperm(len(items), generator=torch.Generator().manual_seed(int(seed)))[:limit]
    return [items[i] for i in perm.tolist()]


# --- a user's file -----------------------------------------------------------------------------

def read_smiles_file(path: str | Path) -> tuple[list[str], list[int]]:
    """The SMILES in a .smi/.txt/.csv file and their 1-based line numbers (see the module
    docstring for the layouts). Unparseable SMILES are kept: :func:`check_smiles` names them."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise GanforgeError(f"smiles:{path}: no such file")
    if p.suffix.lower() not in SUFFIXES:
        raise GanforgeError(f"smiles:{path}: give a {', '.join(SUFFIXES)} file (one SMILES a line), not "
                            f"{p.suffix or 'a file without a suffix'}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise GanforgeError(f"{p}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    smiles: list[str] = []
    lines: list[int] = []
    if p.suffix.lower() == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        col, start = 0, 0
        if rows:
            names = [c.strip().lower() for c in rows[0]]
            if "smiles" in names:
                col, start = names.index("smiles"), 1
        for i, row in enumerate(rows[start:], start + 1):
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            if col >= len(row):
                raise GanforgeError(f"{p} line {i}: {len(row)} columns, the SMILES column is number {col + 1}")
            smiles.append(row[col].strip())
            lines.append(i)
    else:
        for i, line in enumerate(text.splitlines(), 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            smiles.append(s.split()[0] if p.suffix.lower() == ".smi" else s)
            lines.append(i)
    if not smiles:
        raise GanforgeError(f"smiles:{path}: the file holds no SMILES")
    return smiles, lines


def check_smiles(smiles: Sequence[str], lines: Sequence[int], where: str) -> list[tuple[int, str]]:
    """(line, SMILES) of every entry RDKit cannot parse (or that holds a character that is not
    a SMILES token)."""
    bad = []
    with quiet_rdkit():
        for s, ln in zip(smiles, lines):
            if sum(map(len, SMILES_RE.findall(s))) != len(s) or to_mol(s) is None:
                bad.append((ln, s))
    return bad


def describe_invalid(bad: Sequence[tuple[int, str]], total: int, where: str) -> str:
    shown = ", ".join(f"line {ln}: {s[:60]!r}" for ln, s in bad[:SHOWN_LINES])
    more = f" and {len(bad) - SHOWN_LINES} more" if len(bad) > SHOWN_LINES else ""
    return f"{where}: {len(bad)} of {total} SMILES are not valid molecules (RDKit cannot parse them): {shown}{more}"


# --- building ----------------------------------------------------------------------------------

def molecule_options(cfg: Any, where: str, accepted: Sequence[str],
                     defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """``data.options`` of a molecule dataset over ``defaults`` (SMILES datasets' by default): unknown
    names and the options every molecule file has (``invalid``, ``test_fraction``) checked here, the
    others by the caller."""
    given = dict(getattr(cfg, "options", None) or {})
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise GanforgeError(f"{where}: unknown data.options {unknown}; accepted: {', '.join(accepted)}")
    opts = {**(DEFAULTS if defaults is None else defaults), **given}
    if opts["invalid"] not in ("error", "skip"):
        raise GanforgeError(f"{where}: data.options.invalid: {opts['invalid']!r}; use error or skip")
    tf = opts["test_fraction"]
    if not isinstance(tf, (int, float)) or not 0.0 <= tf < 1.0:
        raise GanforgeError(f"{where}: data.options.test_fraction must be in [0, 1), got {tf!r}")
    if "max_len" in opts and opts["max_len"] is not None and (not isinstance(opts["max_len"], int)
                                                             or opts["max_len"] < 6):
        raise GanforgeError(f"{where}: data.options.max_len must be an integer >= 6, got {opts['max_len']!r}")
    return opts


def encode_smiles(smiles: Sequence[str], vocab: Vocabulary, max_len: int) -> torch.Tensor:
    """(N, max_len) int64: tokens, <eos>, then <pad>. Every SMILES must fit."""
    x = torch.full((len(smiles), max_len), vocab.pad_id, dtype=torch.int64)
    for row, s in enumerate(smiles):
        ids = [vocab.stoi.get(t, vocab.unk_id) for t in smiles_tokens(s)] + [vocab.eos_id]
        x[row, : len(ids)] = torch.tensor(ids, dtype=torch.int64)
    return x


def _make(name: str, chosen: list[str], train: Sequence[str], opts: dict[str, Any], max_len: int,
          extra: dict[str, Any]) -> TensorDataset:
    """Drop molecules longer than max_len, build (or load) the vocabulary, encode."""
    lengths = [len(smiles_tokens(s)) + 1 for s in chosen]
    kept = [s for s, n in zip(chosen, lengths) if n <= max_len]
    if not kept:
        raise GanforgeError(f"{name}: every molecule is longer than max_len={max_len} tokens with <eos> (the "
                            f"shortest has {min(lengths)}); raise data.options.max_len")
    if len(kept) < len(chosen):
        warnings.warn(f"{name}: {len(chosen) - len(kept)} of {len(chosen)} molecules are longer than "
                      f"max_len={max_len} tokens and were left out", stacklevel=3)
    if opts["vocab"]:
        vocab = Vocabulary.load(opts["vocab"])
        if vocab.mode != "smiles":
            raise GanforgeError(f"data.options.vocab {opts['vocab']}: a {vocab.mode} vocabulary, not a SMILES one")
    else:
        vocab = Vocabulary.build(train, mode="smiles")
    x = encode_smiles(kept, vocab, max_len)
    info = DataInfo(name=name, kind="smiles", shape=(max_len,), extra={
        "vocab": vocab.to_dict(), "vocab_size": len(vocab), "max_len": max_len, "tokens": "smiles",
        "start_token": vocab.bos_id, "eos_token": vocab.eos_id, "pad_token": vocab.pad_id,
        "num_dropped_too_long": len(chosen) - len(kept), **extra})
    return TensorDataset({"x": x}, info)


def build_moses(cfg: Any) -> TensorDataset:
    """Builder of ``moses`` (see the module docstring)."""
    opts = molecule_options(cfg, "moses", MOSES_OPTIONS)
    split = getattr(cfg, "split", "train") or "train"
    if split not in MOSES_FILES:
        raise GanforgeError(f"moses: data.split {split!r}; use one of {', '.join(MOSES_FILES)}")
    chosen = seeded_subset(read_moses(split), getattr(cfg, "limit", None), opts["seed"])
    # the vocabulary comes from the training molecules in use (the chosen ones when training)
    train = chosen if split == "train" else seeded_subset(read_moses("train"), getattr(cfg, "limit", None),
                                                          opts["seed"])
    max_len = opts["max_len"] or MOSES_MAX_LEN
    return _make("moses", chosen, train, opts, max_len, {"split": split, "num_read": len(read_moses(split))})


def smiles_file_sets(path: str, opts: dict[str, Any]) -> tuple[list[str], list[str], dict[str, Any]]:
    """The train and test molecules of ``smiles:PATH`` (canonical when asked) and what was found
    (counts and invalid lines)."""
    where = f"smiles:{path}"
    smiles, lines = read_smiles_file(path)
    bad = check_smiles(smiles, lines, where)
    if bad and opts["invalid"] == "error":
        raise GanforgeError(describe_invalid(bad, len(smiles), where) + "; fix or remove them, or set "
                            "data.options.invalid=skip (--data-option invalid=skip) to leave them out")
    if bad:
        warnings.warn(describe_invalid(bad, len(smiles), where) + "; they were left out (invalid=skip)",
                      stacklevel=2)
    bad_lines = {ln for ln, _ in bad}
    good = [s for s, ln in zip(smiles, lines) if ln not in bad_lines]
    if not good:
        raise GanforgeError(f"{where}: none of the {len(smiles)} SMILES is a valid molecule")
    if opts["canonical"]:
        with quiet_rdkit():
            good = [canonical_smiles(s) or s for s in good]
    perm = torch.randperm(len(good), generator=torch.Generator().manual_seed(int(opts["seed"]))).tolist()
    n_test = int(round(len(good) * float(opts["test_fraction"])))
    train, test = [good[i] for i in perm[n_test:]], [good[i] for i in perm[:n_test]]
    if not train:
        raise GanforgeError(f"{where}: only {len(good)} valid molecules; lower test_fraction")
    found = {"num_read": len(smiles), "num_invalid": len(bad), "invalid_lines": [ln for ln, _ in bad[:1000]]}
    return train, test, found


def file_split(cfg: Any, where: str, train: list[str], test: list[str], opts: dict[str, Any]) -> tuple[str, list[str]]:
    """(``data.split``, its molecules) of a user's file: train, test (the seeded held-out part) or
    all; an unknown or empty split is an error naming ``where``."""
    split = getattr(cfg, "split", "train") or "train"
    sets = {"train": train, "test": test, "all": train + test}
    if split not in sets:
        raise GanforgeError(f"{where}: data.split {split!r}; use train, test or all")
    if not sets[split]:
        raise GanforgeError(f"{where}: the {split!r} split is empty (test_fraction={opts['test_fraction']})")
    return split, sets[split]


def build_smiles_file(cfg: Any, path: str) -> TensorDataset:
    """Builder of ``smiles:PATH`` (see the module docstring)."""
    opts = molecule_options(cfg, f"smiles:{path}", tuple(DEFAULTS))
    train, test, found = smiles_file_sets(path, opts)
    split, chosen = file_split(cfg, f"smiles:{path}", train, test, opts)
    limit = getattr(cfg, "limit", None)
    chosen = chosen[: int(limit)] if limit is not None else chosen
    max_len = opts["max_len"] or max(len(smiles_tokens(s)) for s in train) + 1
    return _make(f"smiles:{path}", chosen, train, opts, max(max_len, 6), {"split": split, **found})


def molecule_sets(name: str, options: dict[str, Any] | None = None) -> dict[str, list[str] | None]:
    """The reference sets of a molecule dataset for evaluation: ``train`` (novelty), ``test``
    and ``test_scaffolds`` (None for a user's file). ``moses``: the full MOSES splits;
    ``smiles:PATH``: the file's own train/test split with the run's options."""
    if name == "moses":
        return {"train": list(read_moses("train")), "test": list(read_moses("test")),
                "test_scaffolds": list(read_moses("test_scaffolds"))}
    if name.startswith("smiles:"):
        path = name.partition(":")[2]
        opts = {**DEFAULTS, **{k: v for k, v in (options or {}).items() if k in DEFAULTS}, "invalid": "skip"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            train, test, _ = smiles_file_sets(path, opts)
        return {"train": train, "test": test or None, "test_scaffolds": None}
    raise GanforgeError(f"dataset {name!r} is not a molecule dataset (moses, smiles:PATH)")


OPTION_HELP = {
    "invalid": "error | skip SMILES RDKit cannot parse (smiles data; default error; either way they are named)",
    "canonical": "rewrite SMILES as RDKit canonical SMILES (smiles data; default true)",
}
register_dataset("moses", help="MOSES benchmark SMILES (molsets wheel, --no-deps): split train|test|test_scaffolds; "
                 "--limit N takes N seeded-random molecules", options=OPTION_HELP)(build_moses)
register_dataset("smiles:", help="smiles:PATH - one SMILES a line (.smi, .csv, .txt); invalid ones are named by line",
                 options=OPTION_HELP)(build_smiles_file)
