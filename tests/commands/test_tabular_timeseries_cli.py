"""`ganforge train/sample` for tables and series, end to end in temporary folders."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from ganforge.cli import main

QUIET = ["--no-progress", "--no-tensorboard"]
SERIES = ["--data", "sines", "--window", "8", "--length", "120", "--width", "8", "--batch-size", "8",
          "--sample-every", "0", "--log-every", "2", *QUIET]


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120
    return pd.DataFrame({"color": rng.choice(["red", "green", "blue"], n, p=[0.6, 0.3, 0.1]),
                         "size": rng.normal(10, 2, n), "flag": rng.random(n) < 0.3,
                         "grade": rng.integers(1, 4, n)})


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tabular_train_and_conditional_sample(fmt, table, tmp_path, capsys) -> None:
    src = tmp_path / f"t.{fmt}"
    table.to_csv(src, index=False) if fmt == "csv" else table.to_parquet(src, index=False)
    run = tmp_path / "run"
    assert main(["train", "tabular", "--data", f"table:{src}", "--discrete", "color,flag,grade", "--epochs", "2",
                 "--batch-size", "20", "--width", "16", "--out", str(run), *QUIET]) == 0
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    assert cfg["family"] == "tabular" and cfg["options"]["epochs"] == 2 and cfg["options"]["batch_size"] == 20
    assert cfg["options"]["generator_dim"] == [16, 16]
    assert [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()] == [1, 2]
    out = tmp_path / f"synth.{fmt}"
    # an integer category is matched by its text, a string one directly
    assert main(["sample", str(run), "--n", "30", "--out", str(out), "--condition", "grade=2",
                 "--condition", "color=blue", "--seed", "3"]) == 0
    rows = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
    assert list(rows.columns) == list(table.columns) and len(rows) == 30
    assert (rows["grade"] == 2).all() and (rows["color"] == "blue").all()
    again = tmp_path / f"again.{fmt}"
    main(["sample", str(run), "--n", "30", "--out", str(again), "--condition", "grade=2", "--condition",
          "color=blue", "--seed", "3"])
    assert again.read_bytes() == out.read_bytes() if fmt == "csv" else rows.equals(pd.read_parquet(again))
    assert "wrote 30 rows" in capsys.readouterr().out


def test_tabular_default_discrete_and_bad_inputs(table, tmp_path, capsys) -> None:
    src = tmp_path / "t.csv"
    table.to_csv(src, index=False)
    run = tmp_path / "run"
    base = ["train", "tabular", "--data", f"table:{src}", "--epochs", "1", "--batch-size", "20", "--width", "8",
            "--out", str(run), *QUIET]
    assert main(base) == 0
    assert json.loads((run / "tabular.json").read_text())["discrete_columns"] == ["color", "flag"]
    cases = [
        (base, "already holds a tabular model"),
        (base + ["--discrete", "colour", "--overwrite"], "--discrete names ['colour']"),
        (base + ["--loss", "hinge", "--overwrite"], "does not use train.loss"),
        (["train", "tabular", "--data", f"table:{tmp_path / 'none.csv'}", "--out", str(tmp_path / "x")],
         "no such table file"),
        (["train", "tabular", "--data", "table:x.xlsx", "--out", str(tmp_path / "x")], "unknown table format"),
        (["sample", str(run), "--condition", "color=purple", "--out", str(tmp_path / "s.csv")],
         "never occurs in column 'color'"),
        (["sample", str(run), "--condition", "size=3", "--out", str(tmp_path / "s.csv")], "'size' is continuous"),
        (["sample", str(run), "--class", "1", "--out", str(tmp_path / "s.csv")], "--class does not apply"),
        (["train", "dcgan", "--data", f"table:{src}"], "train it with `ganforge train tabular"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err, argv


def test_timeseries_cli_train_sample_and_window_flag(tmp_path, capsys) -> None:
    run = tmp_path / "ts"
    assert main(["train", "timeseries", *SERIES, "--steps", "4", "--out", str(run)]) == 0
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    assert cfg["data"]["options"] == {"window": 8, "length": 120}
    assert (run / "samples.png").stat().st_size > 1000
    assert main(["sample", str(run), "--n", "5", "--out", str(tmp_path / "p.csv")]) == 0
    df = pd.read_csv(tmp_path / "p.csv")
    assert list(df.columns) == ["path", "t", "sines0", "sines1"] and len(df) == 5 * 8
    assert main(["sample", str(run), "--n", "5", "--out", str(tmp_path / "p.npy"), "--seed", "0"]) == 0
    arr = np.load(tmp_path / "p.npy")
    assert arr.shape == (5, 8, 2)
    # the .npy holds the same (original-unit) values as the table, for the same seed
    np.testing.assert_allclose(arr.reshape(-1, 2), df[["sines0", "sines1"]].to_numpy())
    assert main(["sample", str(run), "--n", "3", "--out", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").stat().st_size > 1000
    capsys.readouterr()
    assert main(["train", "timeseries", *SERIES, "--stride", "0", "--out", str(tmp_path / "bad")]) == 2
    assert "stride (0) >= 1" in capsys.readouterr().err
    assert main(["train", "timeseries", "--data", "digits", "--steps", "1", "--out", str(tmp_path / "bad2"),
                 "--limit", "16", *QUIET]) == 2
    assert "trains on windows of a series" in capsys.readouterr().err
    assert main(["sample", str(run), "--condition", "a=b"]) == 2
