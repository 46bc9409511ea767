import numpy as np
import pandas as pd
import pytest

from ganforge.errors import GanforgeError
from ganforge.data.tabular_transformer import DataTransformer
from gf_tabular import DISCRETE


def test_round_trip_keeps_values_and_dtypes(frame):
    t = DataTransformer(seed=0).fit(frame, DISCRETE)
    enc = t.transform(frame, np.random.default_rng(1))
    assert enc.shape == (len(frame), t.output_dim_)
    assert enc.dtype == np.float32
    back = t.inverse_transform(enc)
    assert list(back.columns) == list(frame.columns)
    assert back.dtypes.to_dict() == frame.dtypes.to_dict()
    np.testing.assert_allclose(back["x"], frame["x"], atol=1e-4)
    for col in ["age", "color", "flag", "k", "const"]:
        assert (back[col] == frame[col]).all(), col


def test_spans_layout_and_value_ranges(frame):
    t = DataTransformer(seed=0).fit(frame, DISCRETE)
    kinds = [m["kind"] for m in t.columns_]
    assert kinds == ["continuous", "continuous", "discrete", "discrete", "discrete", "constant"]
    # "x" is a mixture of two well separated normals: at least two modes survive the threshold.
    assert t.columns_[1]["n_modes"] >= 2
    assert t.output_info_[0].activation == "tanh" and t.output_info_[1].activation == "softmax"
    enc = t.transform(frame, np.random.default_rng(0))
    start = 0
    for span in t.output_info_:
        block = enc[:, start: start + span.size]
        if span.activation == "tanh":
            assert np.abs(block).max() <= 0.99 + 1e-6
        else:
            np.testing.assert_array_equal(block.sum(axis=1), 1.0)
        start += span.size


def test_save_load_gives_same_encoding(frame, tmp_path):
    t = DataTransformer(seed=0).fit(frame, DISCRETE)
    t.save(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"transformer.json", "transformer.safetensors"}
    t2 = DataTransformer.load(tmp_path)
    a = t.transform(frame, np.random.default_rng(3))
    b = t2.transform(frame, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(t.inverse_transform(a), t2.inverse_transform(b))


def test_inverse_clips_and_rounds_integers(frame):
    t = DataTransformer(seed=0).fit(frame, DISCRETE)
    enc = t.transform(frame, np.random.default_rng(0))
    enc[:, 0] = 1.0  # alpha of "age" at the top of its range: value must stay within the seen range
    back = t.inverse_transform(enc)
    assert back["age"].max() <= frame["age"].max()
    assert back["age"].dtype == np.int64


def test_unseen_category_and_wrong_width_are_errors(frame):
    t = DataTransformer(seed=0).fit(frame, DISCRETE)
    bad = frame.copy()
    bad.loc[0, "color"] = "purple"
    with pytest.raises(GanforgeError, match="'color'.*purple"):
        t.transform(bad)
    with pytest.raises(GanforgeError, match="expects"):
        t.inverse_transform(np.zeros((2, t.output_dim_ + 1)))
