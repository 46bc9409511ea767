"""The tabular model through the public API: ganforge.train / load / sample / evaluate."""
import dataclasses
import inspect
import math

import pandas as pd
import pytest
import yaml

import ganforge
from ganforge.errors import GanforgeError
from ganforge.families.tabular import TabularOptions
from ganforge.families.tabular_gan import TabularGAN
from gf_tabular import make_frame

QUIET = {"progress": False, "tensorboard": False}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("tab")
    make_frame().to_csv(path / "t.csv", index=False)
    result = ganforge.train("tabular", data=f"table:{path / 't.csv'}", batch_size=40, width=16, seed=0,
                            out=str(path / "run"), options={"epochs": 2, "discrete": "color,flag,k"}, **QUIET)
    return result


def test_train_returns_the_run_and_records_resolved_options(run):
    assert run.step == 2 and isinstance(run.model, TabularGAN)
    cfg = yaml.safe_load((run.out / "config.yaml").read_text())
    assert cfg["family"] == "tabular"
    assert cfg["options"]["batch_size"] == 40 and cfg["options"]["generator_dim"] == [16, 16]
    assert cfg["options"]["discrete"] == ["color", "flag", "k"] and cfg["options"]["epochs"] == 2
    assert (run.out / "loss.png").stat().st_size > 1000
    assert "tabular" in ganforge.list_families()


def test_load_and_sample_like_any_run(run):
    gan = ganforge.load(run.out)
    assert isinstance(gan, TabularGAN) and gan.discrete_columns_ == ["color", "flag", "k"]
    a = ganforge.sample(gan, 25, seed=4)
    b = ganforge.sample(gan, 25, seed=4)
    assert isinstance(a, pd.DataFrame) and len(a) == 25 and a.equals(b)
    only_blue = ganforge.sample(gan, 10, seed=1, conditions={"color": "blue"})
    assert (only_blue["color"] == "blue").all()
    with pytest.raises(GanforgeError, match="conditions"):
        ganforge.sample(gan, 10, labels=1)


def test_evaluate_a_run_and_a_model(run, tmp_path):
    res = ganforge.evaluate(run.out, n=120, seed=0)
    assert res["n"] == 120 and res["reference"].startswith("table:")
    for key in ("ks_mean", "tvd_mean", "association_diff"):
        assert 0.0 <= res[key] <= 1.0 and math.isfinite(res[key]), key
    assert ganforge.evaluate(run.model, n=120, seed=0, reference=res["reference"]) == res
    eff = ganforge.evaluate(run.out, metrics="efficacy", n=120, target="flag", test=res["reference"])
    assert 0.0 <= eff["f1_real_mean"] <= 1.0 and 0.0 <= eff["f1_synthetic_mean"] <= 1.0
    assert eff["f1_real_mean"] == pytest.approx(sum(eff[f"f1_real/{c}"] for c in ("logistic", "random_forest", "mlp")) / 3)
    for kwargs, message in [({"metrics": "fid"}, "do not apply to a tabular model"),
                            ({"metrics": "efficacy"}, "needs target=COLUMN"),
                            ({"kid_subsets": 10}, "does not use kid_subsets")]:
        with pytest.raises(GanforgeError, match=message):
            ganforge.evaluate(run.out, **kwargs)
    with pytest.raises(GanforgeError, match="needs reference="):
        ganforge.evaluate(run.model)


def test_options_are_checked_and_unused_settings_named(tmp_path):
    src = tmp_path / "t.csv"
    make_frame().to_csv(src, index=False)
    base = dict(data=f"table:{src}", out=str(tmp_path / "r"), **QUIET)
    with pytest.raises(GanforgeError, match="unknown option.*epoch.*accepted"):
        ganforge.train("tabular", options={"epoch": 1}, **base)
    with pytest.raises(GanforgeError, match="--option epochs .*expected an integer"):
        ganforge.train("tabular", options={"epochs": "many"}, **base)
    with pytest.raises(GanforgeError, match="does not use train.steps"):
        ganforge.train("tabular", steps=5, **base)
    with pytest.raises(GanforgeError, match="cannot resume"):
        ganforge.train("tabular", resume=True, **base)


def test_option_defaults_are_the_models_defaults():
    model = {k: p.default for k, p in inspect.signature(TabularGAN.__init__).parameters.items() if k != "self"}
    for f in dataclasses.fields(TabularOptions):
        if f.name == "discrete":
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        assert default == (list(model[f.name]) if isinstance(model[f.name], tuple) else model[f.name]), f.name


def test_train_on_the_builtin_adult_table(tmp_path):
    # the example of the docs, at a few hundred rows and one epoch
    result = ganforge.train("tabular", data="table:adult", limit=200, batch_size=50, width=16, out=str(tmp_path),
                            options={"epochs": 1}, **QUIET)
    gan = ganforge.load(result.out)
    assert "income" in gan.discrete_columns_ and len(ganforge.sample(gan, 30, seed=0)) == 30
    assert ganforge.evaluate(result.out, n=200)["reference"] == "table:adult"


def test_tabular_settings_get_the_loops_range_checks(tmp_path) -> None:
    """A run kind is validated like a loop family: a NaN learning rate is a named error before
    any data is read (issue 18)."""
    with pytest.raises(GanforgeError, match=r"train.lr_g = nan"):
        ganforge.train("tabular", data="table:/no/such/file.csv", out=str(tmp_path / "t"), **{"train.lr_g": float("nan")})
