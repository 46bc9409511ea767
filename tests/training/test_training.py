"""Every registered family trains; hooks change nothing and resume is exact under the default
settings; divergence, Ctrl-C and kill -9 keep the user's work. The checks every family gets
(determinism, exact resume, precision, export) are in tests/families/test_family_contract.py."""
from __future__ import annotations

import json
import os
import signal

import pytest
import torch

import ganforge
from ganforge.cli import main
from ganforge.errors import GanforgeError, TrainingDiverged
from ganforge.families import FAMILIES
from ganforge.training.checkpoint import load_checkpoint


def _weights(run_dir) -> dict:
    ckpt = load_checkpoint(run_dir / "checkpoint.pt")
    return {"nets": ckpt["nets"], "ema": ckpt["ema"], "optimizers": ckpt["optimizers"], "rng": ckpt["rng"]}


def _same(a, b) -> bool:
    """Deep bit-for-bit equality of checkpoint pieces."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    return a == b


@pytest.mark.parametrize("family,data,extra", [
    # the health monitor's first diversity check builds the bundled MNIST classifier
    ("dcgan", "mnist", {"train.ema": 0.9}),
    # in-training evaluation (toy mode metrics) and best-checkpoint export every 2 steps
    ("gan", "ring8", {"train.eval_every": 2, "train.best_metric": "modes_captured"}),
])
def test_hooks_firing_at_every_step_change_nothing(family: str, data: str, extra: dict, tmp_path) -> None:
    base = {**FAMILIES.get(family).smoke, "data.name": data, "train.steps": 4, "train.ckpt_every": 0, **extra}
    on = {"train.log_every": 1, "train.sample_every": 1, "train.health_every": 1, "train.progress": True}
    off = {"train.log_every": 0, "train.sample_every": 0, "train.health": False, "train.progress": False,
           "train.tensorboard": False, "train.eval_every": 0}
    ganforge.train(family, **{**base, **on, "train.out": str(tmp_path / "on")})
    ganforge.train(family, **{**base, **off, "train.out": str(tmp_path / "off")})
    assert _same(_weights(tmp_path / "on"), _weights(tmp_path / "off"))
    if "train.eval_every" in extra:
        assert (tmp_path / "on" / "checkpoint-best.pt").is_file()


@pytest.mark.parametrize("extra", [[], ["--r1-interval", "2"]])
def test_cli_resume_is_exact_under_default_settings(extra: list[str], tmp_path) -> None:
    """The report of issue 15: `--steps 3`, then `--steps 6 --resume`, equals `--steps 6`,
    with every default on (health monitor, logging, progress, TensorBoard); with a lazy R1 the
    resumed run keeps the R1 schedule (iterations 0, 2, 4), the split falling between two."""
    args = ["train", "dcgan", "--data", "mnist", "--limit", "64", "--batch-size", "16", "--width", "8", *extra]
    assert main([*args, "--steps", "6", "--out", str(tmp_path / "whole")]) == 0
    assert main([*args, "--steps", "3", "--out", str(tmp_path / "split")]) == 0
    assert main([*args, "--steps", "6", "--out", str(tmp_path / "split"), "--resume"]) == 0
    assert _same(_weights(tmp_path / "whole"), _weights(tmp_path / "split"))


def test_resume_refuses_a_different_config_and_names_fields(tmp_path, tiny) -> None:
    base = {**FAMILIES.get("gan").smoke, **tiny, "train.out": str(tmp_path)}
    ganforge.train("gan", **{**base, "train.steps": 2})
    with pytest.raises(GanforgeError, match=r"train.lr_d: checkpoint 0.0001 vs now 0.001"):
        ganforge.train("gan", resume=True, **{**base, "train.steps": 4, "train.lr_d": 1e-3})
    with pytest.raises(GanforgeError, match="--resume to continue"):
        ganforge.train("gan", **{**base, "train.steps": 4})
    ganforge.train("gan", resume=True, **{**base, "train.steps": 4})  # more steps is allowed


class _NaNAt:
    """A hook that poisons G's weights at a given step (a stand-in for an exploding update)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_log(self, ctx, step: int, record: dict) -> dict:
        if step == self.step:
            with torch.no_grad():
                for p in ctx.family.nets["G"].parameters():
                    p.fill_(float("nan"))
        return {}


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, tiny) -> None:
    base = {**FAMILIES.get("gan").smoke, **tiny, "train.out": str(tmp_path), "train.steps": 20,
            "train.ckpt_every": 2}
    # poisoned after step 3: step 4's losses are NaN, so the checkpoint of step 4 is never written
    with pytest.raises(TrainingDiverged, match=r"step 4: .*NaN.*last good checkpoint is kept"):
        ganforge.train("gan", hooks=[_NaNAt(3)], **base)
    ckpt = load_checkpoint(tmp_path / "checkpoint.pt")
    assert ckpt["step"] == 2
    assert all(torch.isfinite(v).all() for v in ckpt["nets"]["G"].values())


class _CtrlCAt:
    """Ctrl-C after ``step`` (a log step)."""

    def __init__(self, step: int = 3) -> None:
        self.step = step

    def on_log(self, ctx, step: int, record: dict) -> dict:
        if step == self.step:
            os.kill(os.getpid(), signal.SIGINT)
        return {}


def test_ctrl_c_saves_a_checkpoint_that_resumes(tmp_path, tiny) -> None:
    base = {**FAMILIES.get("gan").smoke, **tiny, "train.out": str(tmp_path), "train.steps": 10, "train.ckpt_every": 0}
    res = ganforge.train("gan", hooks=[_CtrlCAt(3)], **base)
    assert res.interrupted and res.step == 3
    assert load_checkpoint(tmp_path / "checkpoint.pt")["step"] == 3
    assert ganforge.train("gan", resume=True, **base).step == 10


def test_toy_samples_are_points_and_conditional_labels_work(tmp_path, tiny) -> None:
    res = ganforge.train("cgan", **{**FAMILIES.get("gan").smoke, **tiny, "train.steps": 2, "train.out": str(tmp_path)})
    G = ganforge.load(res.out)
    assert G.num_classes == 8 and G.out_shape == (2,)
    x = ganforge.sample(G, 5, seed=1, labels=3)
    assert x.shape == (5, 2)
    with pytest.raises(GanforgeError, match="accepted 0..7"):
        ganforge.sample(G, 2, labels=9)


def test_precision_bf16_runs(tmp_path, tiny) -> None:
    res = ganforge.train("dcgan", **{**FAMILIES.get("dcgan").smoke, **tiny, "train.steps": 2,
                                     "train.out": str(tmp_path), "train.precision": "bf16"})
    assert res.step == 2


def _kill_and_resume(tmp_path, kills: int, steps: int, seed: int) -> None:
    """Run `ganforge train` in a subprocess with a checkpoint at every step, SIGKILL it at a
    random moment, resume, and again ``kills`` times; then let the last resume finish. Most
    kills wait until the process trains, then fall anywhere: in a step, in a log write, in a
    checkpoint or model write (there is one at every step); some fall while it starts."""
    import random
    import subprocess
    import sys
    import time
    from pathlib import Path

    rnd = random.Random(seed)
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "ganforge.cli", "train", "gan", "--data", "ring8", "--limit", "256",
            "--batch-size", "16", "--width", "8", "--steps", str(steps), "--ckpt-every", "1", "--log-every", "1",
            "--sample-every", "5", "--health-every", "3", "--no-progress", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(ganforge.__file__).parents[1]),
                                                          os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    metrics = out / "metrics.jsonl"
    killed = 0
    while killed < kills:
        proc = subprocess.Popen([*argv, *(["--resume"] if out.exists() else [])], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen = metrics.stat().st_size if metrics.exists() else -1
        deadline = time.monotonic() + 120
        if out.exists() and rnd.random() < 0.25:  # while it starts (imports, data, resume)
            deadline = time.monotonic() + rnd.uniform(0.0, 3.0)
        # wait until this process has written a record (it is training), then a random moment more
        while proc.poll() is None and time.monotonic() < deadline:
            if metrics.exists() and metrics.stat().st_size != seen:
                time.sleep(rnd.uniform(0.0, 0.4))
                break
            time.sleep(0.01)
        if proc.poll() is not None:  # finished before the kill: nothing left to interrupt
            assert proc.returncode == 0, proc.stderr.read().decode()
            break
        proc.kill()
        proc.wait()
        killed += 1
    done = subprocess.run([*argv, "--resume"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    logged = [r["step"] for r in rows if "event" not in r]
    assert logged == list(range(1, steps + 1))  # one record per logged step, in order
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    assert load_checkpoint(out / "checkpoint.pt")["step"] == steps
    G = ganforge.load(out)
    assert G.meta["step"] == steps and torch.isfinite(ganforge.sample(G, 4, seed=0)).all()
    assert killed >= min(kills, 1)


def test_kill_9_at_random_moments_then_resume_keeps_the_run_consistent(tmp_path) -> None:
    _kill_and_resume(tmp_path, kills=2, steps=20, seed=0)


@pytest.mark.slow
def test_twenty_kill_9_then_resume(tmp_path) -> None:
    _kill_and_resume(tmp_path, kills=20, steps=300, seed=1)


def test_resume_after_a_kill_drops_later_records_and_stale_temporaries(tmp_path, tiny) -> None:
    """What a process killed after its checkpoint of step 3 leaves behind: records of steps 4
    and 5, a line cut in the middle, and temporary files of interrupted atomic writes."""
    base = {**FAMILIES.get("gan").smoke, **tiny, "train.out": str(tmp_path), "train.sample_every": 2}
    ganforge.train("gan", **{**base, "train.steps": 3})
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"step": 4, "d_loss": 1.0}\n{"step": 4, "event": "health", "kind": "x"}\n{"step": 5, "d_lo')
    stale = [tmp_path / ".checkpoint.pt.tmp4242", tmp_path / "generator" / ".config.json.tmp4242",
             tmp_path / "discriminator" / ".model.safetensors.tmp4242",
             tmp_path / "samples" / ".step_0000004.tmp4242.png"]
    for p in stale:
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(b"half")
    kept = tmp_path / "notes.tmp.txt"  # not a temporary of ours
    kept.write_text("mine")
    ganforge.train("gan", resume=True, **{**base, "train.steps": 6})
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "event" not in r] == [1, 2, 3, 4, 5, 6]
    assert not any(r.get("kind") == "x" for r in rows)
    assert not any(p.exists() for p in stale) and kept.read_text() == "mine"


def test_the_progress_bar_shows_the_declared_losses_at_every_log_step(tmp_path, tiny, capsys) -> None:
    ganforge.train("gan", **{**FAMILIES.get("gan").smoke, **tiny, "train.progress": True, "train.steps": 3,
                             "train.out": str(tmp_path)})
    err = capsys.readouterr().err
    assert "d_loss=" in err and "g_loss=" in err and "samples_per_s=" in err


def test_the_divergence_guard_checks_the_declared_losses_only(tmp_path) -> None:
    from ganforge.training.stats import StatsCollector, check_divergence

    stats = StatsCollector()
    stats.add({"d_loss": torch.tensor(1.0), "g_grad_norm": torch.tensor(float("inf")), "skipped": None})
    stats.add({"d_loss": torch.tensor(3.0), "g_grad_norm": torch.tensor(2e9)})
    record = {"step": 2, **stats.flush()}
    assert record["d_loss"] == 2.0 and "skipped" not in record and not stats
    check_divergence(record, ("d_loss",), 2, 1e6, tmp_path / "ckpt.pt")  # an inf gradient norm is no loss
    with pytest.raises(TrainingDiverged, match=r"step 2: d_loss is 2 \(above train.max_loss = 1\)"):
        check_divergence(record, ("d_loss",), 2, 1.0, tmp_path / "ckpt.pt")
    # a family that declares no losses: any NaN/inf stops the run, no size limit applies
    with pytest.raises(TrainingDiverged, match="g_grad_norm is NaN/inf"):
        check_divergence(record, (), 2, 1.0, tmp_path / "ckpt.pt")
    check_divergence({"step": 2, "d_loss": 5.0}, (), 2, 1.0, tmp_path / "ckpt.pt")


def test_the_hook_guard_restores_rng_modes_and_batch_norm_statistics() -> None:
    import random

    import numpy as np

    from ganforge.training.hooks import watching

    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Dropout(0.5))
    net.train()
    net[2].eval()  # a sub-module kept in eval on purpose stays so
    before = {k: v.clone() for k, v in net.state_dict().items()}
    states = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    with watching([net]):
        assert not net.training and not torch.is_grad_enabled()
        net(torch.randn(8, 3))  # draws from the global RNG, runs batch norm
        torch.nn.Linear(5, 5)  # building a net draws too
        np.random.rand(), random.random()
    assert net.training and net[1].training and not net[2].training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert torch.equal(torch.get_rng_state(), states[0])
    assert (np.random.get_state()[1] == states[1]).all() and random.getstate() == states[2]


def test_a_resumed_run_logs_and_decides_as_an_uninterrupted_one(tmp_path, tiny) -> None:
    """The hooks' history (health windows, best evaluation, patience) is in the checkpoint:
    stopped at step 3 (Ctrl-C) and resumed, the run writes the same records (health checks,
    evaluation results) and ends with the same hook state as the run made in one go. Stopped
    with `--steps 3` instead, the extra evaluation of its last step is reported only, so the
    best value and the patience still agree."""
    base = {**FAMILIES.get("gan").smoke, **tiny, "train.health_every": 2, "train.eval_every": 2,
            "train.best_metric": "modes_captured", "train.early_stop": 5}
    ganforge.train("gan", **{**base, "train.steps": 6, "train.out": str(tmp_path / "whole")})
    assert ganforge.train("gan", hooks=[_CtrlCAt(3)], **{**base, "train.steps": 6,
                                                         "train.out": str(tmp_path / "split")}).step == 3
    ganforge.train("gan", resume=True, **{**base, "train.steps": 6, "train.out": str(tmp_path / "split")})
    ganforge.train("gan", **{**base, "train.steps": 3, "train.out": str(tmp_path / "more")})
    ganforge.train("gan", resume=True, **{**base, "train.steps": 6, "train.out": str(tmp_path / "more")})
    whole, split, more = (load_checkpoint(tmp_path / p / "checkpoint.pt") for p in ("whole", "split", "more"))
    assert whole["hooks"]["evaluation"]["best"] is not None and whole["hooks"]["health"]["last_check"] == 6
    for ck in (whole, split):  # the speed and the time used are measured, not computed
        assert ck["hooks"].pop("budget")["cpu_s"] > 0
        ck["hooks"]["health"]["recent"] = [{k: v for k, v in r.items() if k != "samples_per_s"}
                                           for r in ck["hooks"]["health"]["recent"]]
    assert _same(whole["hooks"], split["hooks"])
    assert _same(whole["hooks"]["evaluation"], more["hooks"]["evaluation"])

    def records(run: str) -> list[dict]:
        rows = [json.loads(line) for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
        return [{k: v for k, v in r.items() if k != "samples_per_s"} for r in rows]

    assert records("whole") == records("split")
    assert any("diversity" in r for r in records("whole")) and any("eval/modes_captured" in r for r in records("whole"))
