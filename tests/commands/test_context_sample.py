"""`ganforge sample` of a series model conditioned on the past (--context): the pasts come from
the run's own training data or from a .npy file; wrong shapes are named."""
from __future__ import annotations

import numpy as np
import pytest

from ganforge.cli import main


@pytest.fixture(scope="module")
def ctx_run(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("tsctx") / "run"
    assert main(["train", "timeseries", "--data", "sines", "--context", "6", "--window", "12", "--steps", "3",
                 "--batch-size", "8", "--width", "8", "--out", str(out), "--no-progress",
                 "--sample-every", "0"]) == 0
    return str(out)


def test_sample_draws_pasts_from_the_training_data(ctx_run: str, tmp_path) -> None:
    assert main(["sample", ctx_run, "--n", "5", "--out", str(tmp_path / "a.npy")]) == 0
    a = np.load(tmp_path / "a.npy")
    assert a.shape == (5, 12, 2) and np.isfinite(a).all()
    assert main(["sample", ctx_run, "--n", "5", "--out", str(tmp_path / "b.npy")]) == 0
    np.testing.assert_array_equal(a, np.load(tmp_path / "b.npy"))  # same seed, same pasts and noise
    assert main(["sample", ctx_run, "--n", "3", "--out", str(tmp_path / "c.csv")]) == 0
    assert (tmp_path / "c.csv").stat().st_size > 0


def test_sample_takes_pasts_from_a_file(ctx_run: str, tmp_path) -> None:
    np.save(tmp_path / "one.npy", np.zeros((6, 2), dtype=np.float32))
    assert main(["sample", ctx_run, "--n", "4", "--context-from", str(tmp_path / "one.npy"),
                 "--out", str(tmp_path / "x.npy")]) == 0
    assert np.load(tmp_path / "x.npy").shape == (4, 12, 2)
    np.save(tmp_path / "many.npy", np.zeros((4, 6, 2), dtype=np.float32))
    assert main(["sample", ctx_run, "--n", "4", "--context-from", str(tmp_path / "many.npy"),
                 "--out", str(tmp_path / "y.npy")]) == 0


def test_sample_names_a_wrong_past(ctx_run: str, tmp_path, capsys) -> None:
    np.save(tmp_path / "bad.npy", np.zeros((3, 2), dtype=np.float32))
    assert main(["sample", ctx_run, "--n", "4", "--context-from", str(tmp_path / "bad.npy"),
                 "--out", str(tmp_path / "z.npy")]) != 0
    err = capsys.readouterr().err
    assert "--context-from" in err and "(6, 2)" in err and "(3, 2)" in err
    assert main(["sample", ctx_run, "--context-from", "last", "--out", str(tmp_path / "z.npy")]) != 0
    assert "accepted values" in capsys.readouterr().err
