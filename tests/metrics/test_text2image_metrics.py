"""R-precision, the DAMSM scores and the attribute accuracy of text-to-image runs."""
from __future__ import annotations

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.text2image import attribute_accuracy, r_precision
from ganforge.nets.text2image import damsm_loss, sentence_scores, word_scores


def _captions(n: int) -> torch.Tensor:
    return torch.stack([torch.tensor([4 + i % 50, 4 + i // 50, 2]) for i in range(n)])


def test_r_precision_is_one_for_matching_features_and_chance_for_random() -> None:
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(300, 16, generator=g)
    p, se = r_precision(feats, feats, _captions(300), generator=torch.Generator().manual_seed(1))
    assert p == 1.0 and se == 0.0
    p, _ = r_precision(torch.randn(300, 16, generator=g), feats, _captions(300), generator=torch.Generator().manual_seed(1))
    assert p < 0.06  # chance is 1/100
    with pytest.raises(GanforgeError, match="at least 100 different captions"):
        r_precision(feats[:50], feats[:50], _captions(50))


def test_damsm_prefers_matching_pairs() -> None:
    g = torch.Generator().manual_seed(0)
    regions = torch.randn(6, 8, 16, generator=g)
    words = regions[:, :, :5].clone()           # each caption's words are 5 of its image's regions
    mask = torch.ones(6, 5, dtype=torch.bool)
    mask[0, 3:] = False
    scores = word_scores(words, mask, regions)
    assert (scores.argmax(1) == torch.arange(6)).all()
    glob = torch.randn(6, 8, generator=g)
    assert (sentence_scores(glob, glob).argmax(1) == torch.arange(6)).all()
    w_match, s_match = damsm_loss(words, glob, mask, regions, glob)
    w_wrong, s_wrong = damsm_loss(words, glob, mask, regions.roll(1, 0), glob.roll(1, 0))
    assert w_match < w_wrong and s_match < s_wrong
    # equal captions are left out of the softmax rather than counted as mismatches
    same = torch.ones(6, 6, dtype=torch.bool)
    assert float(damsm_loss(words, glob, mask, regions.roll(1, 0), glob.roll(1, 0), same)[1]) == pytest.approx(0, abs=1e-3)


def test_attribute_accuracy_counts_named_bins_only() -> None:
    attrs = [{"name": "thickness", "thresholds": [1.0, 2.0], "words": [["thin"], ["regular"], ["thick"]]}]
    values = torch.tensor([[0.5], [1.5], [3.0], [3.0]])
    named = torch.tensor([[0], [2], [2], [-1]])
    out = attribute_accuracy(values, named, attrs, shuffled=torch.tensor([[2], [0], [1], [-1]]))
    assert out["attr_acc/thickness"] == pytest.approx(2 / 3)
    assert out["attr_acc_shuffled/thickness"] == 0.0
    assert out["attr_mean/thickness/thin"] == 0.5 and out["attr_mean/thickness/thick"] == pytest.approx(2.25)
