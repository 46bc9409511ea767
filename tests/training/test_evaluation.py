"""Metrics during training (logged, best checkpoint, early stopping) and `ganforge eval`."""
from __future__ import annotations

import json

import pytest

import ganforge
from ganforge.cli import main
from ganforge.errors import GanforgeError

QUIET = {"train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.ckpt_every": 0}


def _rows(out) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_toy_metrics_during_training_keep_the_best_checkpoint(tmp_path) -> None:
    res = ganforge.train("gan", **{**QUIET, "data.name": "ring8", "train.steps": 60, "train.log_every": 20,
                                   "train.eval_every": 20, "train.best_metric": "modes_captured",
                                   "train.out": str(tmp_path)})
    evals = [r for r in _rows(res.out) if "eval/modes_captured" in r]
    assert [r["step"] for r in evals] == [20, 40, 60]
    assert all(0 <= r["eval/modes_captured"] <= 8 and 0 <= r["eval/high_quality"] <= 1 for r in evals)
    assert (tmp_path / "checkpoint-best.pt").exists() and (tmp_path / "best" / "generator" / "config.json").exists()
    best = ganforge.load(tmp_path / "best")
    assert best.meta["step"] in (20, 40, 60)


def test_image_metrics_during_training_and_early_stop(tmp_path) -> None:
    # a generator with zero learning rate cannot improve: early stopping after 2 evaluations
    res = ganforge.train("dcgan", **{**QUIET, "data.name": "digits", "data.resolution": 28, "data.limit": 64,
                                     "data.batch_size": 16, "model.width": 8, "train.steps": 50, "train.log_every": 2,
                                     "train.lr_g": 1e-12, "train.eval_every": 2, "train.eval_n": 64,
                                     "train.eval_metrics": "fid", "train.eval_extractor": "mnist",
                                     "train.best_metric": "fid/mnist", "train.early_stop": 2,
                                     "train.out": str(tmp_path)})
    evals = [r for r in _rows(res.out) if "eval/fid/mnist" in r]
    assert res.step < 50 and len(evals) >= 3
    assert all(r["eval/fid/mnist"] > 0 for r in evals)


def test_unknown_best_metric_is_named(tmp_path) -> None:
    with pytest.raises(GanforgeError, match="train.best_metric 'fid/mnist' is not among the evaluated keys"):
        ganforge.train("gan", **{**QUIET, "data.name": "ring8", "train.steps": 10, "train.log_every": 10,
                                 "train.eval_every": 10, "train.best_metric": "fid/mnist", "train.out": str(tmp_path)})


def test_eval_command_prints_and_writes_json(tmp_path, capsys) -> None:
    run = tmp_path / "dc"
    ganforge.train("dcgan", **{**QUIET, "data.name": "mnist", "data.limit": 64, "data.batch_size": 16,
                               "model.width": 8, "train.steps": 2, "train.out": str(run)})
    assert main(["eval", str(run), "--metrics", "fid,kid,is,pr", "--n", "100", "--n-reference", "200",
                 "--extractor", "mnist", "--kid-subset-size", "50"]) == 0
    res = json.loads((run / "eval.json").read_text())
    assert res["reference"].startswith("mnist") and res["n"] == 100
    for key in ("fid/mnist", "kid_mean/mnist", "kid_std/mnist", "is_mean/mnist", "precision/mnist", "recall/mnist"):
        assert key in res and res[key] == res[key]  # present and not NaN
    assert "fid/mnist" in capsys.readouterr().out
    assert main(["eval", str(run), "--metrics", "fid,kid", "--n", "50", "--extractor", "mnist",
                 "--kid-subset-size", "100"]) == 2  # a KID subset larger than the sample count


def test_evaluating_run_keeps_its_best_by_default_and_sample_uses_it(tmp_path, capsys) -> None:
    """No --best-metric: the first FID picks RUN/best/; `ganforge sample` and ganforge.load take
    the best generator unless --last / checkpoint="last"; "off" keeps no best."""
    import numpy as np
    import torch

    common = {**QUIET, "data.name": "digits", "data.resolution": 28, "data.limit": 64, "data.batch_size": 16,
              "model.width": 8, "train.steps": 6, "train.log_every": 2, "train.eval_every": 2, "train.eval_n": 64,
              "train.eval_metrics": "fid", "train.eval_extractor": "mnist"}
    run = tmp_path / "dc"
    ganforge.train("dcgan", **{**common, "train.out": str(run)})
    evals = {r["step"]: r["eval/fid/mnist"] for r in _rows(run) if "eval/fid/mnist" in r}
    best_step = min((s for s in evals if s % 2 == 0), key=lambda s: evals[s])
    best, last = ganforge.load(run), ganforge.load(run, checkpoint="last")
    assert best.meta["checkpoint"] == "best" and best.meta["step"] == best_step
    assert last.meta["checkpoint"] == "last" and last.meta["step"] == 6
    capsys.readouterr()
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "b.npy")]) == 0
    assert f"using the best generator of {run} (step {best_step}" in capsys.readouterr().err
    assert main(["sample", str(run), "--n", "4", "--last", "--out", str(tmp_path / "l.npy")]) == 0
    assert "best" not in capsys.readouterr().err
    b, l = np.load(tmp_path / "b.npy"), np.load(tmp_path / "l.npy")
    assert np.allclose(b, ganforge.sample(best, 4, seed=0).numpy(), atol=1e-5)
    if best_step != 6:
        assert not np.allclose(b, l)
    off = tmp_path / "off"
    ganforge.train("dcgan", **{**common, "train.best_metric": "off", "train.out": str(off)})
    assert not (off / "best").exists() and "checkpoint" not in ganforge.load(off).meta
    with pytest.raises(GanforgeError, match="no best checkpoint"):
        ganforge.load(off, checkpoint="best")
    assert torch.is_tensor(ganforge.sample(ganforge.load(off), 2, seed=0))
