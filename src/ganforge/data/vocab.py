"""A token vocabulary: text <-> integer ids, with special tokens, saved as JSON.

Ids 0..3 are always the special tokens ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>`` (in that
order), so a padded batch is all zeros after the end of each sequence, and the SeqGAN
generator's start token is ``bos_id``. Regular tokens follow, most frequent first (ties in
order of first appearance), which keeps building deterministic.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Sequence

import torch

from ..errors import GanforgeError

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
MODES = ("word", "char", "smiles")

# Words (with an inner apostrophe: don't, o'clock) and single punctuation marks.
_WORD_RE = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
# SMILES tokens (Schwaller et al. 2019): bracket atoms ([nH], [C@@H], [O-]) whole, the two-letter
# organic-subset atoms Cl and Br, ring-closure numbers %10..%99, then single characters.
SMILES_RE = re.compile(r"\[[^\]]+\]|Br|Cl|%\d{2}|[BCNOPSFIbcnops]|[()=#\-+\\/:~@?>*$.]|\d")
# Punctuation that is written attached to the previous word when decoding word tokens.
_NO_SPACE_BEFORE = set(".,;:!?)]}%'")
_NO_SPACE_AFTER = set("([{$")


def tokenize(text: str, mode: str = "word", lowercase: bool = False) -> list[str]:
    """Split ``text`` into word tokens (words and punctuation marks), characters or SMILES
    tokens (atoms, bonds, branches, ring closures; see :data:`SMILES_RE`)."""
    if mode not in MODES:
        raise GanforgeError(f"tokens: {mode!r} is not a tokenization; use one of {', '.join(MODES)}")
    if lowercase:
        text = text.lower()
    if mode == "char":
        return list(text)
    if mode == "smiles":
        return SMILES_RE.findall(text)
    return _WORD_RE.findall(text)


def detokenize(tokens: Sequence[str], mode: str = "word") -> str:
    """Join tokens back into text: characters are concatenated; words are joined by spaces,
    except before closing punctuation and after opening brackets."""
    if mode in ("char", "smiles"):
        return "".join(tokens)
    out: list[str] = []
    for tok in tokens:
        if out and not (tok in _NO_SPACE_BEFORE or out[-1] in _NO_SPACE_AFTER):
            out.append(" ")
        out.append(tok)
    return "".join(out)


class Vocabulary:
    """Token <-> id mapping. ``tokens`` are the regular tokens (specials are added in front).

    Build one from texts with :meth:`build`; encode with :meth:`encode` / :meth:`encode_batch`
    (int64 ids, ``eos`` appended, ``pad`` after it); decode with :meth:`decode`, which stops at
    the first ``eos`` and skips ``pad``/``bos``.
    """

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __init__(self, tokens: Iterable[str], mode: str = "word", lowercase: bool = False) -> None:
        if mode not in MODES:
            raise GanforgeError(f"vocabulary mode {mode!r}: use one of {', '.join(MODES)}")
        self.mode, self.lowercase = mode, bool(lowercase)
        self.itos: list[str] = list(SPECIALS)
        for t in tokens:
            if t in SPECIALS:
                continue
            self.itos.append(t)
        self.stoi: dict[str, int] = {}
        for i, t in enumerate(self.itos):
            if t in self.stoi:
                raise GanforgeError(f"vocabulary: token {t!r} appears twice")
            self.stoi[t] = i

    # ---- building -------------------------------------------------------------------------
    @classmethod
    def build(cls, texts: Iterable[str], mode: str = "word", min_freq: int = 1,
              max_size: int | None = None, lowercase: bool = False) -> "Vocabulary":
        """Count tokens over ``texts``; keep those seen at least ``min_freq`` times, at most
        ``max_size`` of them (the most frequent; the 4 special tokens are not counted)."""
        if not isinstance(min_freq, int) or min_freq < 1:
            raise GanforgeError(f"min_freq must be an integer >= 1, got {min_freq!r}")
        if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
            raise GanforgeError(f"max_size must be a positive integer or null, got {max_size!r}")
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(tokenize(text, mode, lowercase))
        # Counter.most_common keeps first-seen order among equal counts: deterministic.
        kept = [t for t, c in counts.most_common() if c >= min_freq and t not in SPECIALS]
        if max_size is not None:
            kept = kept[:max_size]
        if not kept:
            raise GanforgeError(f"vocabulary: no token occurs at least min_freq={min_freq} times "
                                f"({sum(counts.values())} tokens, {len(counts)} distinct)")
        return cls(kept, mode=mode, lowercase=lowercase)

    # ---- mapping --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Vocabulary) and self.itos == other.itos and self.mode == other.mode
                and self.lowercase == other.lowercase)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens, mode={self.mode!r}, lowercase={self.lowercase})"

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text, self.mode, self.lowercase)

    def encode(self, text: str, add_eos: bool = True) -> list[int]:
        """Token ids of ``text`` (unknown tokens -> ``unk_id``), with ``eos_id`` appended."""
        ids = [self.stoi.get(t, self.unk_id) for t in self.tokenize(text)]
        return ids + [self.eos_id] if add_eos else ids

    def encode_batch(self, texts: Sequence[str], max_len: int) -> torch.Tensor:
        """(N, max_len) int64 ids, ``eos`` then ``pad``. A text that does not fit (its tokens
        plus ``eos`` are longer than ``max_len``) is an error: filter first with :meth:`fits`."""
        out = torch.full((len(texts), max_len), self.pad_id, dtype=torch.int64)
        for i, text in enumerate(texts):
            ids = self.encode(text)
            if len(ids) > max_len:
                raise GanforgeError(f"text {i} has {len(ids)} tokens with <eos>, more than max_len={max_len}")
            out[i, : len(ids)] = torch.tensor(ids, dtype=torch.int64)
        return out

    def decode(self, ids: Iterable[int], strip: bool = True) -> str:
        """Text of ``ids``. With ``strip`` it stops at the first ``eos`` and drops ``pad``/``bos``;
        without, every token is written (specials included)."""
        toks: list[str] = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise GanforgeError(f"token id {i} is outside the vocabulary (0..{len(self.itos) - 1})")
            if strip:
                if i == self.eos_id:
                    break
                if i in (self.pad_id, self.bos_id):
                    continue
            toks.append(self.itos[i])
        return detokenize(toks, self.mode)

    def decode_tokens(self, ids: Iterable[int]) -> list[str]:
        """Token strings up to the first ``eos`` (no ``pad``/``bos``): what BLEU compares."""
        toks: list[str] = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i not in (self.pad_id, self.bos_id):
                toks.append(self.itos[i])
        return toks

    def decode_batch(self, x: torch.Tensor) -> list[str]:
        """Texts of a (N, T) id tensor."""
        return [self.decode(row.tolist()) for row in x]

    # ---- persistence ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"format": "ganforge-vocab-1", "mode": self.mode, "lowercase": self.lowercase,
                "specials": list(SPECIALS), "tokens": self.itos[len(SPECIALS):]}

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "vocabulary") -> "Vocabulary":
        if not isinstance(d, dict) or "tokens" not in d or "mode" not in d:
            raise GanforgeError(f"{where}: not a ganforge vocabulary (needs fields 'tokens' and 'mode')")
        if list(d.get("specials", SPECIALS)) != list(SPECIALS):
            raise GanforgeError(f"{where}: special tokens {d.get('specials')} differ from {list(SPECIALS)}")
        if not isinstance(d["tokens"], list) or not all(isinstance(t, str) for t in d["tokens"]):
            raise GanforgeError(f"{where}: field 'tokens' must be a list of strings")
        return cls(d["tokens"], mode=d["mode"], lowercase=bool(d.get("lowercase", False)))

    def save(self, path: str | os.PathLike[str]) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=0), encoding="utf-8")
        return p

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Vocabulary":
        p = Path(path)
        if not p.is_file():
            raise GanforgeError(f"{p}: vocabulary file not found")
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise GanforgeError(f"{p}: not a JSON vocabulary ({e})") from None
        return cls.from_dict(d, where=str(p))


def vocab_from_info(info: Any) -> Vocabulary | None:
    """The vocabulary stored in a token dataset's ``DataInfo.extra['vocab']`` (None if absent,
    e.g. for the synthetic oracle, whose tokens are plain ids)."""
    d = getattr(info, "extra", {}).get("vocab")
    return None if d is None else Vocabulary.from_dict(d, where=f"dataset {info.name!r} vocabulary")


def format_samples(x: torch.Tensor, vocab: Vocabulary | None = None) -> list[str]:
    """Printable lines for (N, T) generated ids: decoded text with a vocabulary, else the ids
    separated by spaces (the synthetic oracle's tokens have no text)."""
    if x.dim() != 2:
        raise GanforgeError(f"format_samples: expected (N, T) token ids, got shape {tuple(x.shape)}")
    if vocab is None:
        return [" ".join(str(int(t)) for t in row) for row in x]
    return vocab.decode_batch(x)
