"""train.cpu_budget / train.wall_budget: the run stops at the first log step past its budget, as
an ordinary end (checkpoint, generator), and the count survives --resume."""
from __future__ import annotations

import json

import pytest

import ganforge
from ganforge.errors import GanforgeError
from ganforge.families import FAMILIES
from ganforge.training.checkpoint import load_checkpoint

RUN = {**FAMILIES.get("gan").smoke, "train.progress": False, "train.tensorboard": False, "train.sample_every": 0,
       "train.health": False, "train.ckpt_every": 0, "train.log_every": 5, "train.steps": 1_000_000}


def _records(out) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_cpu_budget_stops_the_run_and_resume_continues_the_count(tmp_path) -> None:
    res = ganforge.train("gan", **{**RUN, "train.out": str(tmp_path), "train.cpu_budget": 0.3})
    assert 0 < res.step < 1_000_000 and res.step % 5 == 0 and not res.interrupted
    assert res.stop_reason.startswith("CPU budget of 0.3 s reached at step")
    rows = [r for r in _records(tmp_path) if "d_loss" in r]
    assert rows[-1]["step"] == res.step and rows[-1]["cpu_s"] >= 0.3 > rows[-2]["cpu_s"]
    ck = load_checkpoint(tmp_path / "checkpoint.pt")
    assert ck["step"] == res.step and ck["hooks"]["budget"]["cpu_s"] >= 0.3
    assert (tmp_path / "generator").exists()

    # the same budget on --resume: already spent, so the run stops at its first log step
    again = ganforge.train("gan", resume=True, **{**RUN, "train.out": str(tmp_path), "train.cpu_budget": 0.3})
    assert again.step == res.step + 5
    # a larger one: training goes on, counting from what the first process used
    more = ganforge.train("gan", resume=True, **{**RUN, "train.out": str(tmp_path), "train.cpu_budget": 0.6})
    assert more.step > again.step
    rows = [r for r in _records(tmp_path) if "d_loss" in r]
    assert rows[-1]["cpu_s"] >= 0.6 and [r["step"] for r in rows] == sorted({r["step"] for r in rows})


def test_wall_budget_and_a_budget_given_only_at_resume_counts_the_earlier_training(tmp_path) -> None:
    first = ganforge.train("gan", **{**RUN, "train.out": str(tmp_path), "train.steps": 40})
    assert first.step == 40 and first.stop_reason is None
    used = load_checkpoint(tmp_path / "checkpoint.pt")["hooks"]["budget"]["wall_s"]
    assert used > 0
    res = ganforge.train("gan", resume=True, **{**RUN, "train.out": str(tmp_path), "train.wall_budget": used / 2})
    assert res.step == 45 and res.stop_reason.startswith("wall-clock budget")


@pytest.mark.parametrize("value", [0, -5, float("nan"), float("inf")])
def test_a_budget_that_is_not_positive_seconds_is_named(tmp_path, value) -> None:
    with pytest.raises(GanforgeError, match=r"train\.cpu_budget.*seconds > 0"):
        ganforge.train("gan", **{**RUN, "train.out": str(tmp_path), "train.cpu_budget": value})


def test_a_budget_without_log_steps_is_refused(tmp_path) -> None:
    with pytest.raises(GanforgeError, match=r"train\.wall_budget is checked at log steps.*--log-every"):
        ganforge.train("gan", **{**RUN, "train.out": str(tmp_path), "train.wall_budget": 60, "train.log_every": 0})
