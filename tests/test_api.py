"""The public API is the one way in: the command line's train and eval call it, and
ganforge.evaluate covers toy runs as well as images."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

import ganforge
from ganforge.cli import main
from ganforge.config import RunConfig


def test_cli_train_goes_through_ganforge_train(monkeypatch, tmp_path, capsys) -> None:
    calls = []

    def fake_train(cfg, **kw):
        calls.append((cfg, kw))
        return SimpleNamespace(out=tmp_path, step=7)

    monkeypatch.setattr(ganforge, "train", fake_train)
    assert main(["train", "wgan-gp", "--data", "ring8", "--steps", "7", "--lr-g", "0.001", "--option", "a=1",
                 "--overwrite"]) == 0
    (cfg, kw), = calls
    assert isinstance(cfg, RunConfig) and cfg.family == "wgan-gp" and cfg.data.name == "ring8"
    assert cfg.train.steps == 7 and cfg.train.lr_g == 0.001 and cfg.options == {"a": 1}
    assert kw == {"resume": False, "overwrite": True}
    assert f"run folder: {tmp_path}  (step 7)" in capsys.readouterr().out


def test_cli_tabular_flags_become_options(monkeypatch, tmp_path) -> None:
    calls = []
    monkeypatch.setattr(ganforge, "train", lambda cfg, **kw: calls.append(cfg) or SimpleNamespace(out=tmp_path, step=1))
    assert main(["train", "tabular", "--data", "table:adult", "--epochs", "3", "--discrete", "sex,income"]) == 0
    assert calls[0].family == "tabular" and calls[0].options == {"epochs": 3, "discrete": "sex,income"}


def test_cli_eval_goes_through_ganforge_evaluate(monkeypatch, tmp_path, capsys) -> None:
    calls = []

    def fake_evaluate(source, **kw):
        calls.append((source, kw))
        return {"fid/mnist": 12.5, "n": 5}

    monkeypatch.setattr(ganforge, "evaluate", fake_evaluate)
    (tmp_path / "generator").mkdir()
    assert main(["eval", str(tmp_path), "--metrics", "fid", "--n", "5", "--extractor", "mnist"]) == 0
    (source, kw), = calls
    assert Path(source) == tmp_path and kw["metrics"] == "fid" and kw["n"] == 5 and kw["extractor"] == "mnist"
    assert kw["kid_subsets"] is None and kw["reference"] is None  # None: the API's defaults
    assert json.loads((tmp_path / "eval.json").read_text()) == {"fid/mnist": 12.5, "n": 5}
    assert "12.5" in capsys.readouterr().out


def test_evaluate_a_toy_run_by_its_reference(tmp_path, tiny) -> None:
    run = ganforge.train("gan", data="ring8", steps=2, batch_size=32, out=str(tmp_path / "r"),
                         **{k.split(".")[1]: v for k, v in tiny.items()})
    res = ganforge.evaluate(run.out, reference="ring8", n=200)
    assert res["num_modes"] == 8 and 0 <= res["modes_captured"] <= 8
    assert ganforge.evaluate(ganforge.load(run.out), metrics="modes", n=200) == res  # G.meta names ring8


def test_evaluate_names_a_bad_metric(tmp_path) -> None:
    with pytest.raises(ganforge.GanforgeError):
        ganforge.evaluate(tmp_path / "missing", metrics="nonsense", n=10)
