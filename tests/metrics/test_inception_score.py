"""Inception Score: known values for confident/uniform predictions; logits and probabilities agree."""
import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.inception_score import inception_score


def test_confident_balanced_predictions_score_the_number_of_classes():
    probs = np.eye(10)[np.arange(1000) % 10]
    mean, std = inception_score(probs=probs)
    assert mean == pytest.approx(10.0, rel=1e-9) and std == pytest.approx(0.0, abs=1e-9)


def test_one_class_or_uniform_predictions_score_one():
    assert inception_score(probs=np.eye(10)[np.zeros(200, dtype=int)])[0] == pytest.approx(1.0)
    assert inception_score(logits=np.zeros((200, 10)))[0] == pytest.approx(1.0)


def test_logits_and_probabilities_agree_and_match_the_formula():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(400, 7)) * 3
    p = torch.softmax(torch.from_numpy(logits), 1).numpy()
    a, b = inception_score(logits=logits, splits=4), inception_score(probs=p, splits=4)
    assert a[0] == pytest.approx(b[0], rel=1e-9)
    part = p[:100]
    kl = (part * (np.log(part) - np.log(part.mean(0)))).sum(1).mean()
    parts = [np.exp((q * (np.log(q) - np.log(q.mean(0)))).sum(1).mean()) for q in np.split(p, 4)]
    assert parts[0] == pytest.approx(np.exp(kl))
    assert a[0] == pytest.approx(np.mean(parts), rel=1e-9) and a[1] == pytest.approx(np.std(parts), rel=1e-6)


def test_errors():
    with pytest.raises(GanforgeError, match="too few"):
        inception_score(logits=np.zeros((15, 10)), splits=10)
    with pytest.raises(GanforgeError, match="exactly one"):
        inception_score()
    with pytest.raises(GanforgeError, match="summing to 1"):
        inception_score(probs=np.ones((40, 3)), splits=2)
