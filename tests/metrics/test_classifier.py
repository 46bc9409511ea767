"""The bundled MNIST classifier: accurate, small, reusable, and a well-behaved Net."""
from pathlib import Path

import pytest
import torch

from ganforge.data.base import to_unit_range
from ganforge.data.idx import load_mnist
from ganforge.errors import GanforgeError
from ganforge.nets import load_model, save_model
from ganforge.nets.classifier import MNISTClassifier, default_classifier_dir, load_mnist_classifier


def test_bundled_weights_are_small_and_accurate():
    d = default_classifier_dir()
    assert (d / "config.json").is_file() and (d / "model.safetensors").is_file()
    assert (d / "model.safetensors").stat().st_size < 2_000_000
    net = load_mnist_classifier()
    assert net.meta["test_accuracy"] >= 0.99  # recorded by scripts/train_mnist_classifier.py
    x, y = load_mnist("test", limit=500)
    with torch.no_grad():
        logits = net(to_unit_range(x).unsqueeze(1))
    assert logits.shape == (500, 10)
    assert (logits.argmax(1) == y).float().mean() >= 0.98


def test_cached_frozen_and_in_eval_mode():
    a, b = load_mnist_classifier(), load_mnist_classifier()
    assert a is b and not a.training and not any(p.requires_grad for p in a.parameters())


def test_features_and_prepare():
    net = load_mnist_classifier()
    x, _ = load_mnist("test", limit=8)
    x = to_unit_range(x).unsqueeze(1)
    with torch.no_grad():
        f = net.features(x)
        assert f.shape == (8, net.feature_dim) and (f >= 0).all()
        # logits are the head applied to the features (dropout is off in eval mode)
        assert torch.allclose(net.head(f), net(x), atol=1e-5)
        # an RGB copy maps back to the gray original (the luma weights sum to 1) ...
        back = MNISTClassifier.prepare(x.expand(-1, 3, -1, -1))
        assert back.shape == (8, 1, 28, 28) and (back - x).abs().max() < 1e-5
        # ... and a 56 px copy is resized back to 28 px, blurred a little but classified alike
        big = MNISTClassifier.prepare(torch.nn.functional.interpolate(x, size=(56, 56), mode="nearest"))
        assert big.shape == (8, 1, 28, 28) and (big - x).abs().mean() < 0.1
        assert torch.equal(net(big).argmax(1), net(x).argmax(1))
        # per-sample results: the batch size does not matter
        assert torch.allclose(torch.cat([net(x[:3]), net(x[3:])]), net(x), atol=1e-6)
    with pytest.raises(GanforgeError, match="expected images"):
        MNISTClassifier.prepare(torch.zeros(2, 2, 28, 28))


def test_save_load_round_trip(tmp_path: Path):
    net = MNISTClassifier(width=4, feature_dim=8).eval()
    save_model(net, tmp_path / "clf")
    back = load_model(tmp_path / "clf")
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert isinstance(back, MNISTClassifier) and torch.equal(back(x), net(x))
    with pytest.raises(GanforgeError, match="no trained MNIST classifier"):
        load_mnist_classifier(tmp_path / "nothing")


def test_training_script_smoke(tmp_path: Path):
    import importlib.util

    path = Path(__file__).parents[2] / "scripts" / "train_mnist_classifier.py"
    spec = importlib.util.spec_from_file_location("train_mnist_classifier", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    # augmentation keeps shape and range, and a tiny run writes a loadable model
    x = to_unit_range(load_mnist("train", limit=4)[0]).unsqueeze(1)
    out = mod.augment(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.min() >= -1 - 1e-5 and out.max() <= 1 + 1e-5
    assert mod.main(["--limit", "256", "--epochs", "1", "--width", "4", "--feature-dim", "8", "--threads", "1",
                     "--out", str(tmp_path / "clf")]) == 0
    assert isinstance(load_model(tmp_path / "clf"), MNISTClassifier)
