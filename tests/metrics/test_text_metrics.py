"""BLEU / Self-BLEU on hand cases, and against nltk's smoothed sentence BLEU when installed."""
import math
import random

import pytest

from ganforge.errors import GanforgeError
from ganforge.metrics.text import bleu, ngrams, self_bleu, sentence_bleu

S = "the cat sat on the mat".split()


def test_identical_is_one_and_disjoint_is_zero():
    for n in (2, 3, 4):
        assert bleu([S], [S], n) == pytest.approx(1.0)
    assert bleu(["a b c d".split()], ["w x y z".split()], 4) == 0.0
    assert bleu([S, S], [S, "a b".split()], 3) == pytest.approx(1.0)


def test_hand_computed_bleu2():
    # hyp "the cat sat" vs ref S: p1 = 3/3, p2 = 2/2, brevity penalty exp(1 - 6/3).
    assert sentence_bleu([S], "the cat sat".split(), 2) == pytest.approx(math.exp(-1.0))
    # hyp "the the the": clipped unigrams 2/3, no bigram match -> smoothed 0.1/2.
    expected = math.exp(0.5 * math.log(2 / 3) + 0.5 * math.log(0.1 / 2)) * math.exp(1 - 6 / 3)
    assert sentence_bleu([S], "the the the".split(), 2) == pytest.approx(expected)
    assert ngrams("a b a b".split(), 2) == {("a", "b"): 2, ("b", "a"): 1}


def test_self_bleu_diversity_ordering():
    same = [S] * 4
    assert self_bleu(same, 4) == pytest.approx(1.0)
    varied = [s.split() for s in ["a b c d", "e f g h", "i j k l", "m n o p"]]
    assert self_bleu(varied, 2) == 0.0
    # Leave-one-out: a sentence seen once is not its own reference.
    mixed = [S, S, "x y z w".split()]
    assert self_bleu(mixed, 2) == pytest.approx(2 / 3)
    with pytest.raises(GanforgeError, match="at least 2"):
        self_bleu([S])
    with pytest.raises(GanforgeError, match="string"):
        bleu(["the cat"], [S])


def _random_corpus(rng, n, vocab=8):
    return [[f"w{rng.randrange(vocab)}" for _ in range(rng.randint(1, 9))] for _ in range(n)]


def test_matches_nltk():
    nltk_bleu = pytest.importorskip("nltk.translate.bleu_score")
    smooth = nltk_bleu.SmoothingFunction().method1
    rng = random.Random(0)
    hyps, refs = _random_corpus(rng, 30), _random_corpus(rng, 25)
    for n in (2, 3, 4):
        w = tuple([1.0 / n] * n)
        want = sum(nltk_bleu.sentence_bleu(refs, h, w, smoothing_function=smooth) for h in hyps) / len(hyps)
        assert bleu(hyps, refs, n) == pytest.approx(want, abs=1e-12)
        want_self = sum(nltk_bleu.sentence_bleu(hyps[:i] + hyps[i + 1:], h, w, smoothing_function=smooth)
                        for i, h in enumerate(hyps)) / len(hyps)
        assert self_bleu(hyps, n) == pytest.approx(want_self, abs=1e-12)
