import numpy as np

from ganforge.data.tabular_condvec import CondSampler
from ganforge.data.tabular_transformer import DataTransformer
from gf_tabular import DISCRETE, make_frame


def _sampler(log_frequency=True):
    df = make_frame(n=400, seed=1)
    t = DataTransformer(seed=0).fit(df, DISCRETE)
    data = t.transform(df, np.random.default_rng(0))
    return t, data, CondSampler(t.discrete_info(), data, log_frequency)


def test_training_draws_follow_log_frequency():
    t, data, s = _sampler()
    assert s.cond_dim == 3 + 2 + 3 and s.n_discrete == 3
    draw = s.sample_train(60000, np.random.default_rng(0))
    # every row selects exactly one column and one category inside that column's block
    assert (draw["cond"].sum(axis=1) == 1).all() and (draw["mask"].sum(axis=1) == 1).all()
    np.testing.assert_allclose(np.bincount(draw["col"], minlength=3) / 60000, 1 / 3, atol=0.01)
    color = t.discrete_info()[0]
    counts = np.array(color["counts"], dtype=float)
    expected = np.log1p(counts) / np.log1p(counts).sum()
    got = np.bincount(draw["cat"][draw["col"] == 0], minlength=3) / (draw["col"] == 0).sum()
    np.testing.assert_allclose(got, expected, atol=0.015)
    # log-frequency favours the rare category over its plain frequency
    rare = counts.argmin()
    assert got[rare] > counts[rare] / counts.sum() + 0.1


def test_original_draws_follow_frequency():
    t, data, s = _sampler()
    cond = s.sample_original(60000, np.random.default_rng(1))
    block = cond[:, :3]
    chosen = block.sum(axis=1) == 1
    counts = np.array(t.discrete_info()[0]["counts"], dtype=float)
    np.testing.assert_allclose(block[chosen].mean(axis=0), counts / counts.sum(), atol=0.015)


def test_sampled_rows_hold_the_requested_category():
    t, data, s = _sampler()
    rng = np.random.default_rng(2)
    draw = s.sample_train(500, rng)
    idx = s.sample_rows(draw["col"], draw["cat"], 500, rng)
    for j, d in enumerate(t.discrete_info()):
        sel = draw["col"] == j
        codes = data[idx[sel], d["offset"]: d["offset"] + d["size"]].argmax(axis=1)
        np.testing.assert_array_equal(codes, draw["cat"][sel])


def test_no_discrete_columns():
    s = CondSampler([], np.zeros((10, 2), dtype=np.float32))
    assert s.cond_dim == 0 and s.sample_train(5, np.random.default_rng(0)) is None
    assert len(s.sample_rows(None, None, 7, np.random.default_rng(0))) == 7
