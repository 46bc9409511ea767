"""The audio metrics: the bundled spoken-digit classifier, Inception-score-like numbers, class
accuracy, Frechet distance and nearest-neighbour distances (the memorisation check)."""
from __future__ import annotations

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.metrics.audio import audio_metrics, nearest_distances
from ganforge.nets.audio import SpokenDigitClassifier, load_digit_classifier


def test_nearest_distances() -> None:
    pts = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    assert nearest_distances(pts, torch.tensor([[0.0, 0.0]])).tolist() == [0.0, 5.0, 1.0]
    assert nearest_distances(pts, pts, exclude_self=True).tolist() == [1.0, pytest.approx(18 ** 0.5), 1.0]


def test_copies_of_the_training_set_are_caught_by_nn_train() -> None:
    train = build_dataset(DataConfig(name="tones", limit=16)).x
    other = build_dataset(DataConfig(name="tones", split="test", limit=16)).x
    torch.manual_seed(0)
    clf = SpokenDigitClassifier(num_classes=10, width=2).eval()
    copies = audio_metrics(train, None, other, train, clf, metrics="frechet,nn")
    fresh = audio_metrics(other, None, other, train, clf, metrics="frechet,nn")
    assert copies["nn_train"] == 0.0 < fresh["nn_train"]
    assert fresh["frechet/digits"] < 1e-3 * copies["frechet/digits"]  # the reference itself: ~0


def test_the_bundled_classifier_is_trained() -> None:
    clf = load_digit_classifier()
    assert clf.meta["test_accuracy"] > 0.9 and not clf.training
    x = torch.zeros(2, 1, 16384)
    x[:, 0, ::40] = 0.5
    assert clf(x).shape == (2, 10) and clf.features(x).shape == (2, clf.feature_dim)


def test_inception_score_and_class_accuracy_from_logits(monkeypatch) -> None:
    clips = torch.zeros(20, 1, 16384)
    labels = torch.arange(20) % 10

    class Oracle(torch.nn.Module):  # a classifier that is sure of each clip's class
        def features(self, x):
            return torch.nn.functional.one_hot(labels[: len(x)], 10).float() * 50

        def head(self, f):
            return f

    res = audio_metrics(clips, labels, clips, clips, Oracle(), metrics="is,class_acc", splits=2)
    assert res["is_mean/digits"] == pytest.approx(10.0, rel=1e-6) and res["class_acc/digits"] == 1.0
