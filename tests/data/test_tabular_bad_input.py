import numpy as np
import pandas as pd
import pytest

from ganforge.errors import GanforgeError
from ganforge.families.tabular_gan import TabularGAN
from gf_tabular import DISCRETE, make_frame

QUICK = dict(epochs=1, batch_size=20, embedding_dim=8, generator_dim=(16,), discriminator_dim=(16,), max_modes=3,
             seed=0)


def test_missing_discrete_column():
    with pytest.raises(GanforgeError, match=r"\['colour'\].*not in the table"):
        TabularGAN(**QUICK).fit(make_frame(), ["colour"])


def test_mixed_types():
    df = make_frame(n=40)
    df["mixed"] = pd.Series([1, "a"] * 20, dtype=object)
    with pytest.raises(GanforgeError, match="column 'mixed' mixes value types"):
        TabularGAN(**QUICK).fit(df, DISCRETE + ["mixed"])


def test_string_column_not_declared_discrete():
    with pytest.raises(GanforgeError, match="column 'color'.*not numeric.*discrete_columns"):
        TabularGAN(**QUICK).fit(make_frame(), ["flag", "k"])


def test_nan_is_an_error_unless_drop():
    df = make_frame(n=60)
    df.loc[[3, 7], "x"] = np.nan
    df.loc[5, "color"] = None
    with pytest.raises(GanforgeError, match=r"'x' \(2 missing\).*'color' \(1 missing\).*nan='drop'"):
        TabularGAN(**QUICK).fit(df, DISCRETE)
    gan = TabularGAN(**{**QUICK, "nan": "drop"}).fit(df, DISCRETE)
    assert gan.n_dropped_ == 3
    assert not gan.sample(20, seed=0).isna().any().any()
    with pytest.raises(GanforgeError, match="nan='zero'"):
        TabularGAN(**{**QUICK, "nan": "zero"}).fit(df, DISCRETE)


def test_single_valued_columns_are_kept():
    df = make_frame(n=60)
    df["one_cat"] = "only"
    gan = TabularGAN(**QUICK).fit(df, DISCRETE + ["one_cat"])
    rows = gan.sample(20, seed=0)
    assert (rows["one_cat"] == "only").all() and (rows["const"] == 3.5).all()
    kinds = {m["name"]: m["kind"] for m in gan.transformer_.columns_}
    assert kinds["const"] == "constant" and kinds["one_cat"] == "discrete"


def test_empty_and_non_frame():
    with pytest.raises(GanforgeError, match="empty"):
        TabularGAN(**QUICK).fit(make_frame().iloc[:0], DISCRETE)
    with pytest.raises(GanforgeError, match="pandas DataFrame"):
        TabularGAN(**QUICK).fit(np.zeros((3, 3)), [])
    with pytest.raises(GanforgeError, match="list of column names"):
        TabularGAN(**QUICK).fit(make_frame(), "color")
