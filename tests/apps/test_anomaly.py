"""GANAnomalyDetector: scikit-learn conventions, a separable vector case, save/load, the CLI."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from ganforge.apps.anomaly import GANAnomalyDetector
from ganforge.cli import main
from ganforge.errors import GanforgeError

TINY_IMG = {"steps": 3, "encoder_steps": 3, "batch_size": 16, "width": 8, "z_dim": 8, "seed": 0}


@pytest.fixture(scope="module")
def fitted_images(digits28, tmp_path_factory) -> GANAnomalyDetector:
    x, y = digits28
    return GANAnomalyDetector(**TINY_IMG, work_dir=str(tmp_path_factory.mktemp("det"))).fit(x[y != 0][:160])


def test_params_stored_verbatim_and_clone() -> None:
    kw = {"steps": 7, "kappa": 0.5, "gan_overrides": {"train.lr_g": 1e-3}, "contamination": 0.1, "width": None}
    det = GANAnomalyDetector(**kw)
    params = det.get_params()
    assert all(params[k] == v for k, v in kw.items()) and params["gan_overrides"] is kw["gan_overrides"]
    assert not [a for a in vars(det) if a.endswith("_")]  # nothing learned before fit
    c = clone(det)
    assert c is not det and c.get_params()["kappa"] == 0.5
    assert det.set_params(kappa=2.0) is det and det.kappa == 2.0
    with pytest.raises(GanforgeError, match="not fitted"):
        det.predict(np.zeros((2, 3)))


def test_fit_returns_self_with_learned_attributes(fitted_images, digits28) -> None:
    det = fitted_images
    learned = {a for a in vars(det) if a.endswith("_") and not a.startswith("_")}
    assert {"generator_", "discriminator_", "encoder_", "threshold_", "offset_", "kind_", "in_shape_",
            "n_features_in_", "validation_scores_"} <= learned
    assert det.kind_ == "image" and det.in_shape_ == [1, 28, 28] and det.n_features_in_ == 784
    x = digits28[0][:40]
    a = det.anomaly_score(x)
    assert a.shape == (40,) and np.isfinite(a).all() and (a >= 0).all()
    assert np.array_equal(det.score_samples(x), -a)
    assert np.allclose(det.decision_function(x), -a + det.threshold_)
    pred = det.predict(x)
    assert set(pred.tolist()) <= {-1, 1} and np.array_equal(pred == -1, a > det.threshold_)
    # the threshold is the 95% quantile of held-out normal scores
    assert det.threshold_ == pytest.approx(np.quantile(det.validation_scores_, 0.95))
    # uint8 and (N, H, W) inputs give the same scores as [-1, 1] floats
    u8 = np.round((x[:, 0] + 1) * 127.5).astype(np.uint8)
    assert np.allclose(det.anomaly_score(u8), det.anomaly_score(u8.astype(np.float32) / 127.5 - 1), atol=1e-6)
    with pytest.raises(GanforgeError, match="shape"):
        det.anomaly_score(np.zeros((2, 1, 8, 8), np.float32))


def test_save_load_gives_identical_scores(fitted_images, digits28, tmp_path) -> None:
    fitted_images.save(tmp_path / "det")
    back = GANAnomalyDetector.load(tmp_path / "det")
    x = digits28[0][:30]
    assert np.array_equal(back.anomaly_score(x), fitted_images.anomaly_score(x))
    assert np.array_equal(back.predict(x), fitted_images.predict(x))
    assert back.get_params() == fitted_images.get_params()
    assert not list(tmp_path.rglob("*.pkl")) and not list(tmp_path.rglob("*.pt"))
    with pytest.raises(GanforgeError, match="detector.json"):
        GANAnomalyDetector.load(tmp_path)


def test_vectors_separates_shifted_rows(tmp_path) -> None:
    rng = np.random.default_rng(0)
    cols = ["a", "b", "c", "d"]
    normal = pd.DataFrame(rng.normal(10, 3, size=(240, 4)), columns=cols)
    det = GANAnomalyDetector(steps=30, encoder_steps=60, batch_size=32, width=16, seed=0,
                             work_dir=str(tmp_path)).fit(normal)
    assert det.kind_ == "vectors" and list(det.feature_names_in_) == cols and det.mean_.shape == (4,)
    test = pd.DataFrame(np.r_[rng.normal(10, 3, (40, 4)), rng.normal(30, 3, (40, 4))], columns=cols)
    auc = roc_auc_score(np.r_[np.zeros(40), np.ones(40)], det.anomaly_score(test))
    assert auc > 0.9
    with pytest.raises(GanforgeError, match="columns"):
        det.anomaly_score(test.rename(columns={"a": "z"}))


def test_bad_params_name_the_parameter(digits28) -> None:
    with pytest.raises(GanforgeError, match="contamination"):
        GANAnomalyDetector(contamination=0.7).fit(digits28[0][:20])
    with pytest.raises(GanforgeError, match="too few"):
        GANAnomalyDetector(validation_fraction=0.01).fit(digits28[0][:20])


def test_cli_fit_and_score(digits28, tmp_path, capsys) -> None:
    x, y = digits28
    np.savez(tmp_path / "train.npz", x=x[:200], y=y[:200])
    out = tmp_path / "det"
    assert main(["anomaly", "fit", "--data", str(tmp_path / "train.npz"), "--out", str(out), "--normal-classes", "1,2,3",
                 "--steps", "2", "--encoder-steps", "2", "--batch-size", "16", "--width", "8", "--z-dim", "8"]) == 0
    det = GANAnomalyDetector.load(out)
    np.save(tmp_path / "test.npy", x[200:230])
    assert main(["anomaly", "score", str(out), str(tmp_path / "test.npy"), "--out", str(tmp_path / "s.csv")]) == 0
    scores = pd.read_csv(tmp_path / "s.csv")
    assert len(scores) == 30 and np.allclose(scores["score"], det.anomaly_score(x[200:230]), rtol=1e-6)
    assert (scores["anomaly"] == (scores["score"] > det.threshold_)).all()
    assert (out / "work" / "gan" / "metrics.jsonl").is_file() and not (out / "work" / "normal_train.npz").exists()
    from ganforge.imageio import save_image

    (tmp_path / "imgs" / "sub").mkdir(parents=True)
    for i in range(3):
        save_image(torch.from_numpy(x[200 + i]), tmp_path / "imgs" / ("sub" if i else "") / f"{i}.png")
    assert main(["anomaly", "score", str(out), str(tmp_path / "imgs"), "--out", str(tmp_path / "f.csv")]) == 0
    by_file = pd.read_csv(tmp_path / "f.csv")
    assert list(by_file["file"]) == ["0.png", "sub/1.png", "sub/2.png"] and np.isfinite(by_file["score"]).all()
    assert main(["anomaly", "fit", "--data", str(tmp_path / "train.npz"), "--out", str(out),
                 "--normal-classes", "seven"]) == 2
    assert "unknown class" in capsys.readouterr().err
