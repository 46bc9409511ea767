"""The ``text:PATH`` dataset: token sequences from a text file (or a folder of them).

One sequence per line (``format: lines``) or one per fortune-cookie entry (``format: fortune``:
entries separated by lines holding only ``%``, as in the Debian ``fortunes`` files; an entry's
lines are joined by single spaces). Field ``x`` is (N, max_len) int64 ids: the tokens, ``<eos>``,
then ``<pad>`` (id 0). ``info.extra['vocab']`` holds the vocabulary as a JSON-able dict
(:func:`ganforge.data.vocab.vocab_from_info` rebuilds it).

Options (``data.options``)::

    tokens: word | char         word: words and punctuation marks; char: characters
    max_len: int                tokens per sequence including <eos> (default 20 word / 80 char)
    format: lines | fortune
    min_freq: int               keep tokens seen at least this often in the training part (1)
    max_size: int | null        at most this many regular tokens (most frequent)
    lowercase: bool             (false)
    too_long: drop | truncate   what to do with longer sequences (drop; truncate cuts the <eos>)
    test_fraction: float        held-out part, chosen by a seeded shuffle (0.1); data.split picks
                                train | test | all; the vocabulary is built from the train part
    seed: int                   the shuffle's seed (0)
    vocab: PATH                 use this saved vocabulary instead of building one
    encoding: str               file encoding (utf-8)
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch

from .base import DataInfo, TensorDataset, register_dataset
from ..errors import GanforgeError
from .vocab import Vocabulary, tokenize

FORMATS = ("lines", "fortune")
DEFAULTS: dict[str, Any] = {"tokens": "word", "max_len": None, "format": "lines", "min_freq": 1,
                            "max_size": None, "lowercase": False, "too_long": "drop",
                            "test_fraction": 0.1, "seed": 0, "vocab": None, "encoding": "utf-8"}
DEFAULT_MAX_LEN = {"word": 20, "char": 80}

_OVERSTRIKE = re.compile(r".\x08")          # "_\bx" (underline/bold in old fortune files)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FORTUNE_SEP = re.compile(r"^%[ \t]*$", re.M)


def _clean(text: str) -> str:
    return _CONTROL.sub("", _OVERSTRIKE.sub("", text))


def text_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files a ``text:PATH`` reads: PATH itself, or the regular non-hidden files in the
    folder PATH (sorted; symbolic links and ``*.dat`` index files, as in the fortunes folder,
    are skipped)."""
    p = Path(path).expanduser()
    if p.is_file():
        return [p]
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file() and not f.is_symlink()
                       and not f.name.startswith(".") and f.suffix != ".dat")
        if not files:
            raise GanforgeError(f"text:{path}: the folder holds no text files")
        return files
    raise GanforgeError(f"text:{path}: no such file or folder")


def read_sequences(path: str | os.PathLike[str], format: str = "lines", encoding: str = "utf-8") -> list[str]:
    """The raw text sequences in PATH (file or folder), whitespace-normalised, empty ones dropped."""
    if format not in FORMATS:
        raise GanforgeError(f"text option format: {format!r} is not known; use one of {', '.join(FORMATS)}")
    out: list[str] = []
    for f in text_files(path):
        try:
            raw = f.read_text(encoding=encoding)
        except UnicodeDecodeError as e:
            raise GanforgeError(f"{f}: not {encoding} text ({e.reason} at byte {e.start}); "
                                f"set data.options.encoding (e.g. latin-1)") from None
        raw = _clean(raw)
        chunks = _FORTUNE_SEP.split(raw) if format == "fortune" else raw.splitlines()
        out.extend(s for s in (" ".join(c.split()) for c in chunks) if s)
    if not out:
        raise GanforgeError(f"text:{path}: no non-empty {'entries' if format == 'fortune' else 'lines'} found")
    return out


def _options(cfg: Any, path: str) -> dict[str, Any]:
    given = dict(getattr(cfg, "options", None) or {})
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise GanforgeError(f"text:{path}: unknown data.options {unknown}; accepted: {', '.join(DEFAULTS)}")
    opts = {**DEFAULTS, **given}
    if opts["tokens"] not in DEFAULT_MAX_LEN:
        raise GanforgeError(f"data.options.tokens: {opts['tokens']!r}; use word or char")
    if opts["max_len"] is None:
        opts["max_len"] = DEFAULT_MAX_LEN[opts["tokens"]]
    if not isinstance(opts["max_len"], int) or opts["max_len"] < 2:
        raise GanforgeError(f"data.options.max_len must be an integer >= 2, got {opts['max_len']!r}")
    if opts["too_long"] not in ("drop", "truncate"):
        raise GanforgeError(f"data.options.too_long: {opts['too_long']!r}; use drop or truncate")
    tf = opts["test_fraction"]
    if not isinstance(tf, (int, float)) or not 0.0 <= tf < 1.0:
        raise GanforgeError(f"data.options.test_fraction must be in [0, 1), got {tf!r}")
    return opts


def train_test_indices(n: int, test_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, test) indices of n items: a shuffle seeded ``seed``, the first round(n * test_fraction) held out."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed))).tolist()
    n_test = int(round(n * test_fraction))
    return perm[n_test:], perm[:n_test]


def build_text_dataset(cfg: Any, path: str) -> TensorDataset:
    """Builder of ``text:PATH`` (see the module docstring for the options)."""
    opts = _options(cfg, path)
    max_len, mode = opts["max_len"], opts["tokens"]
    texts = read_sequences(path, opts["format"], opts["encoding"])
    n_read = len(texts)

    # Length filter first, so the split and the vocabulary see only usable sequences.
    lengths = [len(tokenize(t, mode, opts["lowercase"])) + 1 for t in texts]
    if opts["too_long"] == "drop":
        texts = [t for t, n in zip(texts, lengths) if n <= max_len]
        if not texts:
            raise GanforgeError(f"text:{path}: all {n_read} sequences are longer than max_len={max_len} "
                                f"tokens (with <eos>; the shortest has {min(lengths)}); raise "
                                f"data.options.max_len or use too_long: truncate")
    n_dropped = n_read - len(texts)

    train_idx, test_idx = train_test_indices(len(texts), float(opts["test_fraction"]), opts["seed"])
    if not train_idx:
        raise GanforgeError(f"text:{path}: only {len(texts)} usable sequences; lower test_fraction")
    if opts["vocab"]:
        vocab = Vocabulary.load(opts["vocab"])
        if vocab.mode != mode:
            raise GanforgeError(f"data.options.vocab {opts['vocab']}: a {vocab.mode} vocabulary, but tokens={mode}")
    else:
        vocab = Vocabulary.build((texts[i] for i in train_idx), mode=mode, min_freq=opts["min_freq"],
                                 max_size=opts["max_size"], lowercase=opts["lowercase"])

    split = getattr(cfg, "split", "train") or "train"
    chosen = {"train": train_idx, "test": test_idx, "all": list(range(len(texts)))}.get(split)
    if chosen is None:
        raise GanforgeError(f"data.split {split!r}: use train, test or all")
    if not chosen:
        raise GanforgeError(f"text:{path}: the {split!r} split is empty (test_fraction="
                            f"{opts['test_fraction']} of {len(texts)} sequences)")
    limit = getattr(cfg, "limit", None)
    if limit is not None:
        chosen = chosen[: int(limit)]

    x = torch.full((len(chosen), max_len), vocab.pad_id, dtype=torch.int64)
    for row, i in enumerate(chosen):
        ids = vocab.encode(texts[i])[:max_len]
        x[row, : len(ids)] = torch.tensor(ids, dtype=torch.int64)

    unk_rate = float((x == vocab.unk_id).sum()) / max(1, int((x != vocab.pad_id).sum()))
    info = DataInfo(name=f"text:{path}", kind="tokens", shape=(max_len,), extra={
        "vocab": vocab.to_dict(), "vocab_size": len(vocab), "max_len": max_len, "tokens": mode,
        "start_token": vocab.bos_id, "eos_token": vocab.eos_id, "pad_token": vocab.pad_id,
        "format": opts["format"], "split": split, "num_read": n_read, "num_dropped_too_long": n_dropped,
        "unk_rate": unk_rate})
    return TensorDataset({"x": x}, info)


OPTION_HELP = {
    "tokens": "word | char tokens (text data; default word)",
    "max_len": "tokens per sequence including <eos> (text data: 20 word / 80 char; seqgan-oracle: 20)",
    "format": "lines | fortune (text data; default lines)",
    "min_freq": "keep tokens seen at least this often (text data; default 1)",
    "max_size": "at most this many regular tokens, the most frequent (text data)",
    "lowercase": "lowercase the text (text data; default false)",
    "too_long": "drop | truncate longer sequences (text data; default drop)",
    "test_fraction": "held-out share of the sequences (text data; default 0.1)",
    "vocab": "a saved vocabulary JSON: text data use it instead of building one; tokens: data decode their ids with it",
    "encoding": "text file encoding (default utf-8)",
}
register_dataset("text:", help="text:PATH - token sequences, one per line (or per fortune entry); "
                 "options tokens word|char, max_len, format lines|fortune, min_freq",
                 options=OPTION_HELP)(build_text_dataset)
