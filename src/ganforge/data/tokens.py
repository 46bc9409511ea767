"""The ``tokens:PATH`` dataset: a user's own token-id sequences, for SeqGAN and other token
generators, without writing a dataset builder.

PATH is a ``.npy`` file holding an integer array (N, T), or a text file (``.txt``, any other
suffix) with one sequence a line, ids separated by spaces or commas. Field ``x`` is (N, max_len)
int64.

Two conventions, chosen by whether a vocabulary is given:

- ``vocab: PATH.json`` (a ganforge vocabulary, e.g. ``RUN/vocab.json`` or one saved with
  :meth:`ganforge.data.vocab.Vocabulary.save`): ids follow its specials (``<pad>`` 0, ``<bos>``
  1, ``<eos>`` 2, ``<unk>`` 3). Rows may differ in length: a row that does not end in ``<eos>``
  gets one when there is room, then ``<pad>``. Samples decode to text.
- no vocabulary: plain ids 0..vocab_size-1 with no special meaning (like the SeqGAN oracle's);
  every row must have the same length, since there is no padding token to fill with.

Options (``data.options``)::

    vocab: PATH            a ganforge vocabulary JSON (see above)
    vocab_size: int        plain ids: the vocabulary size (default: the largest id + 1)
    max_len: int           tokens per sequence (default: the longest row; with a vocabulary,
                           + 1 for an <eos> when the longest row has none); longer rows are an error
    test_fraction: float   held-out share chosen by a seeded shuffle (0.1); data.split picks it
    seed: int              the shuffle's seed (0)
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .base import DataInfo, TensorDataset, register_dataset
from .text import train_test_indices
from .vocab import Vocabulary
from ..errors import GanforgeError

DEFAULTS: dict[str, Any] = {"vocab": None, "vocab_size": None, "max_len": None, "test_fraction": 0.1, "seed": 0}
_SEP = re.compile(r"[\s,]+")


def read_rows(path: Path) -> list[list[int]]:
    """The id rows of a .npy (N, T) integer array or of a text file (one row a line; blank lines
    are skipped). A token that is not an integer is named by line and position."""
    if path.suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise GanforgeError(f"tokens:{path}: cannot read a .npy array ({e})") from None
        if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.integer):
            raise GanforgeError(f"tokens:{path}: expected a 2-D integer array (N sequences, T tokens), "
                                f"got {arr.dtype} {arr.shape}")
        return arr.astype(np.int64).tolist()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise GanforgeError(f"tokens:{path}: not a UTF-8 text file of ids ({e.reason} at byte {e.start})") from None
    rows: list[list[int]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        parts = [p for p in _SEP.split(line.strip()) if p]
        if not parts:
            continue
        row = []
        for pos, p in enumerate(parts, 1):
            try:
                row.append(int(p))
            except ValueError:
                raise GanforgeError(f"tokens:{path}: line {lineno}, token {pos}: {p[:40]!r} is not an integer id; "
                                    f"each line holds ids separated by spaces or commas") from None
        rows.append(row)
    return rows


def _line_of(path: Path, row: int) -> str:
    return f"row {row}" if path.suffix == ".npy" else f"sequence {row + 1} (blank lines skipped)"


def _options(cfg: Any, path: str) -> dict[str, Any]:
    given = dict(getattr(cfg, "options", None) or {})
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise GanforgeError(f"tokens:{path}: unknown data.options {unknown}; accepted: {', '.join(DEFAULTS)}")
    opts = {**DEFAULTS, **given}
    tf = opts["test_fraction"]
    if not isinstance(tf, (int, float)) or not 0.0 <= tf < 1.0:
        raise GanforgeError(f"data.options.test_fraction must be in [0, 1), got {tf!r}")
    for key in ("vocab_size", "max_len"):
        v = opts[key]
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            raise GanforgeError(f"data.options.{key} must be a positive integer, got {v!r}")
    if opts["vocab"] and opts["vocab_size"]:
        raise GanforgeError("data.options: give vocab (a vocabulary file) or vocab_size (plain ids), not both")
    return opts


def build_tokens_dataset(cfg: Any, path: str) -> TensorDataset:
    """Builder of ``tokens:PATH`` (see the module docstring)."""
    opts = _options(cfg, path)
    p = Path(path).expanduser()
    if not p.is_file():
        raise GanforgeError(f"tokens:{path}: no such file (a .npy (N, T) integer array or a text file of ids)")
    rows = read_rows(p)
    if not rows:
        raise GanforgeError(f"tokens:{path}: no sequences found")
    vocab = Vocabulary.load(opts["vocab"]) if opts["vocab"] else None
    ids = [t for r in rows for t in r]
    size = len(vocab) if vocab is not None else int(opts["vocab_size"] or max(ids) + 1)
    for i, r in enumerate(rows):
        bad = [t for t in r if not 0 <= t < size]
        if bad:
            where = f"the vocabulary {opts['vocab']} ({size} tokens)" if vocab is not None else \
                f"vocab_size {size}" if opts["vocab_size"] else "ids"
            raise GanforgeError(f"tokens:{path}: {_line_of(p, i)} holds id {bad[0]}, outside 0..{size - 1} of {where}")
    if vocab is not None:
        longest = max(len(r) for r in rows)
        needs_eos = any(not r or r[-1] != vocab.eos_id for r in rows if len(r) == longest)
        max_len = int(opts["max_len"] or longest + int(needs_eos))
        x = torch.full((len(rows), max_len), vocab.pad_id, dtype=torch.int64)
        for i, r in enumerate(rows):
            if len(r) > max_len:
                raise GanforgeError(f"tokens:{path}: {_line_of(p, i)} has {len(r)} tokens, more than max_len={max_len}")
            row = r + [vocab.eos_id] if (len(r) < max_len and (not r or r[-1] != vocab.eos_id)) else r
            x[i, : len(row)] = torch.tensor(row, dtype=torch.int64)
    else:
        lengths = {len(r) for r in rows}
        if len(lengths) > 1:
            first = next(i for i, r in enumerate(rows) if len(r) != len(rows[0]))
            raise GanforgeError(f"tokens:{path}: {_line_of(p, first)} has {len(rows[first])} tokens but the first has "
                                f"{len(rows[0])}; plain ids need sequences of one length (give data.options.vocab, "
                                f"a vocabulary with <pad>/<eos>, for sequences of different lengths)")
        max_len = len(rows[0])
        if opts["max_len"] is not None and opts["max_len"] != max_len:
            raise GanforgeError(f"tokens:{path}: the sequences have {max_len} tokens but data.options.max_len is "
                                f"{opts['max_len']}; plain ids are not padded or cut")
        x = torch.tensor(rows, dtype=torch.int64)
    train_idx, test_idx = train_test_indices(len(x), float(opts["test_fraction"]), opts["seed"])
    split = getattr(cfg, "split", "train") or "train"
    chosen = {"train": train_idx, "test": test_idx, "all": list(range(len(x)))}.get(split)
    if chosen is None:
        raise GanforgeError(f"data.split {split!r}: use train, test or all")
    if not chosen:
        raise GanforgeError(f"tokens:{path}: the {split!r} split is empty ({len(x)} sequences, test_fraction "
                            f"{opts['test_fraction']})")
    limit = getattr(cfg, "limit", None)
    if limit is not None:
        chosen = chosen[: int(limit)]
    extra: dict[str, Any] = {"vocab_size": size, "max_len": max_len, "split": split, "num_read": len(rows)}
    if vocab is not None:
        extra.update({"vocab": vocab.to_dict(), "tokens": vocab.mode, "start_token": vocab.bos_id,
                      "eos_token": vocab.eos_id, "pad_token": vocab.pad_id})
    else:
        extra.update({"start_token": 0, "eos_token": None, "pad_token": None})
    return TensorDataset({"x": x[chosen]}, DataInfo(name=f"tokens:{path}", kind="tokens", shape=(max_len,),
                                                    extra=extra))


OPTION_HELP = {
    "vocab_size": "plain ids: the vocabulary size (tokens: data; default the largest id + 1)",
}
register_dataset("tokens:", help="tokens:PATH - your own token ids: a .npy (N, T) integer array or a text file, "
                 "one sequence of ids a line; option vocab PATH.json to decode them",
                 options=OPTION_HELP)(build_tokens_dataset)
