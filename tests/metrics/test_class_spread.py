"""class_spread: the within-class diversity number reported for conditional samples (issue 17)."""
from __future__ import annotations

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import class_spread, evaluate
from ganforge.nets import build_net


def test_one_image_per_class_scores_zero_and_label_blind_samples_score_one():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(400) % 4
    centres = torch.randn(4, 16, generator=g) * 5
    assert class_spread(centres[y], y) == pytest.approx(0.0, abs=1e-3)  # one image per class (cdist rounding)
    noise = torch.randn(400, 16, generator=g)
    assert class_spread(noise, y) == pytest.approx(1.0, abs=0.03)  # classes as varied as the whole
    between = class_spread(centres[y] + noise, y)
    assert 0.0 < between < 1.0
    # exact on a case worked by hand: class 0 at {0, 2} (distance 2), class 1 at {10, 10} (0);
    # all 12 ordered pairs: 2 * (2 + 0 + 10 + 8 + 10 + 8) / 12 = 76 / 12
    f = torch.tensor([[0.0], [2.0], [10.0], [10.0]])
    assert class_spread(f, torch.tensor([0, 0, 1, 1])) == pytest.approx(1.0 / (76 / 12))


def test_bad_shapes_and_too_few_samples_are_named():
    with pytest.raises(GanforgeError, match=r"class_spread: expected features \(N, F\) and labels \(N,\)"):
        class_spread(torch.zeros(4, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(GanforgeError, match="at least 2 samples of one class"):
        class_spread(torch.zeros(3, 2), torch.tensor([0, 1, 2]))


def test_evaluate_reports_it_for_conditional_generators_only():
    torch.manual_seed(0)
    fast = {"n": 60, "n_reference": 60, "extractor": "mnist", "reference": "mnist-test"}
    Gc = build_net("dcgan_g", z_dim=8, out_shape=(1, 28, 28), width=8, num_classes=10)
    out = evaluate(Gc, metrics="fid", **fast)
    assert 0.0 < out["class_spread/mnist"] < 2.0
    G = build_net("dcgan_g", z_dim=8, out_shape=(1, 28, 28), width=8)
    assert "class_spread/mnist" not in evaluate(G, metrics="fid", **fast)
