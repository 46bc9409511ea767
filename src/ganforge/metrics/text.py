"""Text metrics: BLEU-n against reference text, Self-BLEU (diversity), NLL-oracle.

BLEU here is what the text-GAN literature reports (SeqGAN, Texygen): each generated sentence
is scored by sentence-level BLEU-n (Papineni et al. 2002: clipped n-gram precisions, uniform
weights 1/n over orders 1..n, brevity penalty against the closest reference length) with *all*
reference sentences as its references, smoothed by Chen & Cherry's (2014) method 1 (a zero
precision count becomes epsilon = 0.1), and the scores are averaged. It matches
``nltk.translate.bleu_score.sentence_bleu(refs, hyp, weights, SmoothingFunction().method1)``,
including nltk's rule that a sentence with no matching unigram scores 0.

Self-BLEU (Zhu et al. 2018) scores each generated sentence against the *other* generated
sentences: high Self-BLEU means the samples repeat each other (low diversity).

Clipping against many references only needs, per n-gram, its maximum count over the
references, so both metrics precompute that table once (Self-BLEU keeps the two largest counts
to leave one sentence out) and run in time linear in the number of n-grams.
"""
from __future__ import annotations

import bisect
import math
from collections import Counter
from typing import Iterable, Sequence

from ..errors import GanforgeError
from ..data.oracle import oracle_nll

Sentence = Sequence[str]
EPSILON = 0.1  # smoothing method 1

__all__ = ["bleu", "self_bleu", "sentence_bleu", "oracle_nll", "ngrams"]


def ngrams(tokens: Sentence, n: int) -> Counter:
    """Counts of the n-grams (tuples) of ``tokens``."""
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _check(sentences: Sequence[Sentence], what: str) -> list[list[str]]:
    if isinstance(sentences, str) or not sentences:
        raise GanforgeError(f"{what}: give a non-empty list of token lists")
    out = []
    for i, s in enumerate(sentences):
        if isinstance(s, str):
            raise GanforgeError(f"{what}[{i}] is a string; give a list of tokens (e.g. vocab.tokenize(text))")
        out.append(list(s))
    return out


def _score(hyp: Sentence, max_ref: list[dict], ref_lens: Sequence[int], max_n: int) -> float:
    """Smoothed sentence BLEU-max_n of ``hyp`` given per-order max reference counts and the
    sorted reference lengths."""
    if not hyp:
        return 0.0
    log_sum = 0.0
    for n in range(1, max_n + 1):
        counts = ngrams(hyp, n)
        table = max_ref[n - 1]
        matched = sum(min(c, table.get(g, 0)) for g, c in counts.items())
        total = max(1, sum(counts.values()))  # nltk: a sentence shorter than n has 0/1 precision
        if n == 1 and matched == 0:
            return 0.0
        log_sum += math.log((matched if matched else EPSILON) / total) / max_n
    # Brevity penalty against the closest reference length (the shorter one on a tie).
    h = len(hyp)
    j = bisect.bisect_left(ref_lens, h)
    cands = [ref_lens[k] for k in (j - 1, j) if 0 <= k < len(ref_lens)]
    r = min(cands, key=lambda L: (abs(L - h), L))
    bp = 1.0 if h > r else math.exp(1.0 - r / h)
    return bp * math.exp(log_sum)


def sentence_bleu(references: Sequence[Sentence], hypothesis: Sentence, max_n: int = 4) -> float:
    """Smoothed sentence-level BLEU-max_n of one token list against a list of references."""
    return bleu([hypothesis], references, max_n)


def _max_counts(refs: Iterable[Sentence], max_n: int) -> list[dict]:
    tables: list[dict] = [{} for _ in range(max_n)]
    for r in refs:
        for n in range(1, max_n + 1):
            t = tables[n - 1]
            for g, c in ngrams(r, n).items():
                if c > t.get(g, 0):
                    t[g] = c
    return tables


def bleu(hypotheses: Sequence[Sentence], references: Sequence[Sentence], max_n: int = 4) -> float:
    """Mean smoothed sentence BLEU-max_n of each hypothesis against all ``references``
    (token lists). In [0, 1]; 1.0 when every hypothesis occurs among the references."""
    if max_n < 1:
        raise GanforgeError(f"BLEU order must be >= 1, got {max_n}")
    hyps, refs = _check(hypotheses, "hypotheses"), _check(references, "references")
    tables = _max_counts(refs, max_n)
    ref_lens = sorted(len(r) for r in refs)
    return sum(_score(h, tables, ref_lens, max_n) for h in hyps) / len(hyps)


def self_bleu(sentences: Sequence[Sentence], max_n: int = 4) -> float:
    """Mean BLEU-max_n of each sentence against all the others (needs >= 2 sentences). Lower is
    more diverse."""
    sents = _check(sentences, "sentences")
    if len(sents) < 2:
        raise GanforgeError("self_bleu needs at least 2 sentences")
    # Per n-gram: (largest count, index holding it, second largest count over other sentences).
    top: list[dict] = [{} for _ in range(max_n)]
    per_sent = [[ngrams(s, n) for n in range(1, max_n + 1)] for s in sents]
    for i, grams in enumerate(per_sent):
        for n_idx, counts in enumerate(grams):
            t = top[n_idx]
            for g, c in counts.items():
                best, who, second = t.get(g, (0, -1, 0))
                if c > best:
                    t[g] = (c, i, best)
                elif c > second:
                    t[g] = (best, who, c)
    all_lens = sorted(len(s) for s in sents)

    class _LeaveOut(dict):
        """max count over the sentences other than ``i``, read from the top-2 table."""

        def __init__(self, table: dict, i: int) -> None:
            super().__init__()
            self.table, self.i = table, i

        def get(self, g, default=0):  # type: ignore[override]
            e = self.table.get(g)
            if e is None:
                return default
            best, who, second = e
            return second if who == self.i else best

    total = 0.0
    for i, s in enumerate(sents):
        lens = list(all_lens)
        lens.pop(bisect.bisect_left(lens, len(s)))
        total += _score(s, [_LeaveOut(t, i) for t in top], lens, max_n)
    return total / len(sents)
