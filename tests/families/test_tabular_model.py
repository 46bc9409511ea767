import numpy as np
import pandas as pd
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.families.tabular_gan import TabularGAN
from ganforge.nets import NETS
from gf_tabular import DISCRETE, make_frame

TINY = dict(epochs=2, batch_size=40, pac=10, embedding_dim=16, generator_dim=(32, 32), discriminator_dim=(32,),
            max_modes=4, seed=0)


@pytest.fixture(scope="module")
def fitted() -> TabularGAN:
    torch.set_num_threads(1)
    return TabularGAN(**TINY).fit(make_frame(), DISCRETE)


def test_params_stored_verbatim_and_nets_registered():
    gan = TabularGAN(epochs=7, generator_dim=(8,), nan="drop")
    assert gan.get_params()["epochs"] == 7 and gan.generator_dim == (8,) and gan.nan == "drop"
    assert not hasattr(gan, "generator_")
    assert "tabular_g" in NETS and "tabular_d" in NETS


def test_fit_logs_losses_and_samples(fitted):
    assert fitted.columns_ == list(make_frame().columns)
    assert [e["epoch"] for e in fitted.loss_log_] == [1, 2]
    for e in fitted.loss_log_:
        assert all(np.isfinite(v) for v in e.values())
    assert list(fitted.loss_frame().columns)[:3] == ["epoch", "loss_d", "gp"]
    rows = fitted.sample(50, seed=0)
    assert rows.shape == (50, 6)
    assert rows.dtypes.to_dict() == make_frame().dtypes.to_dict()
    assert set(rows["color"]) <= {"red", "green", "blue"}
    assert (rows["const"] == 3.5).all()
    assert rows["age"].between(18, 79).all()


def test_fit_changes_generator_weights():
    df = make_frame()
    before = TabularGAN(**{**TINY, "epochs": 1})
    # same seed -> same initial weights; compare against a fit of 1 epoch vs 2 epochs
    a = before.fit(df, DISCRETE).generator_.out.weight.detach().clone()
    b = TabularGAN(**TINY).fit(df, DISCRETE).generator_.out.weight.detach()
    assert not torch.equal(a, b)


def test_conditional_sampling(fitted):
    rows = fitted.sample(30, conditions={"color": "blue"}, seed=1)
    assert len(rows) == 30 and (rows["color"] == "blue").all()
    rows = fitted.sample(10, conditions={"k": 2, "flag": True}, seed=2)
    assert (rows["k"] == 2).all() and rows["flag"].all()


@pytest.mark.parametrize("conditions, match", [
    ({"nope": 1}, "unknown column 'nope'"),
    ({"color": "purple"}, "'purple' never occurs in column 'color'"),
    ({"x": 1.0}, "'x' is continuous"),
])
def test_conditional_sampling_errors(fitted, conditions, match):
    with pytest.raises(GanforgeError, match=match):
        fitted.sample(5, conditions=conditions)


def test_same_seed_same_samples_and_save_load(fitted, tmp_path):
    pd.testing.assert_frame_equal(fitted.sample(20, seed=5), fitted.sample(20, seed=5))
    assert not fitted.sample(20, seed=5).equals(fitted.sample(20, seed=6))
    fitted.save(tmp_path / "m")
    names = {p.name for p in (tmp_path / "m").iterdir()}
    assert {"tabular.json", "transformer.json", "transformer.safetensors", "generator", "discriminator"} <= names
    assert not list((tmp_path / "m").rglob("*.pkl")) and not list((tmp_path / "m").rglob("*.pt"))
    loaded = TabularGAN.load(tmp_path / "m")
    assert loaded.get_params() == {**fitted.get_params(), "generator_dim": [32, 32], "discriminator_dim": [32]}
    assert loaded.loss_log_ == fitted.loss_log_
    pd.testing.assert_frame_equal(loaded.sample(20, seed=5), fitted.sample(20, seed=5))
    pd.testing.assert_frame_equal(loaded.sample(8, conditions={"color": "green"}, seed=3),
                                  fitted.sample(8, conditions={"color": "green"}, seed=3))


def test_seeded_fit_is_reproducible():
    df = make_frame(n=60)
    kw = {**TINY, "epochs": 1, "batch_size": 20}
    a = TabularGAN(**kw).fit(df, DISCRETE).sample(10, seed=0)
    b = TabularGAN(**kw).fit(df, DISCRETE).sample(10, seed=0)
    pd.testing.assert_frame_equal(a, b)


def test_no_discrete_columns():
    df = make_frame(n=60)[["age", "x"]]
    gan = TabularGAN(**{**TINY, "epochs": 1, "batch_size": 20}).fit(df)
    rows = gan.sample(15, seed=0)
    assert rows.shape == (15, 2) and rows["age"].dtype == np.int64


def test_unfitted_and_bad_params():
    with pytest.raises(GanforgeError, match="not fitted"):
        TabularGAN().sample(3)
    with pytest.raises(GanforgeError, match="multiple of pac"):
        TabularGAN(batch_size=25, pac=10).fit(make_frame(), DISCRETE)
    with pytest.raises(GanforgeError, match="unknown TabularGAN parameter"):
        TabularGAN().set_params(epoch=3)
    with pytest.raises(GanforgeError, match="no saved TabularGAN"):
        TabularGAN.load("/nonexistent/dir")
