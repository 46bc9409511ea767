"""kill -9 at arbitrary moments of a training run: the checkpoint and the saved generator stay
loadable, no temporary file outlives the next save, and --resume continues (issue 18)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import ganforge
from ganforge.training.checkpoint import load_checkpoint

pytestmark = pytest.mark.slow


def _train(out: Path, steps: int, resume: bool) -> subprocess.Popen:
    src = str(Path(ganforge.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "ganforge.cli", "train", "gan", "--data", "ring8", "--steps", str(steps),
            "--ckpt-every", "3", "--log-every", "1", "--sample-every", "0", "--no-progress", "--no-tensorboard",
            "--out", str(out)] + (["--resume"] if resume else [])
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.7])
def test_kill_9_then_resume(tmp_path: Path, delay: float) -> None:
    out = tmp_path / "run"
    first = _train(out, 100000, resume=False)
    deadline = time.time() + 120
    while not (out / "checkpoint.pt").exists():
        assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
        assert time.time() < deadline, "no checkpoint within 120 s"
        time.sleep(0.02)
    time.sleep(delay)  # somewhere between checkpoints, or in the middle of one
    first.send_signal(signal.SIGKILL)
    first.wait()
    step = int(load_checkpoint(out / "checkpoint.pt")["step"])
    assert step >= 3 and step % 3 == 0
    G = ganforge.load(out)
    assert torch.isfinite(ganforge.sample(G, 8, seed=0)).all()
    resumed = _train(out, step + 3, resume=True)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode()
    assert int(load_checkpoint(out / "checkpoint.pt")["step"]) == step + 3
    assert not [p.name for p in out.rglob("*") if ".tmp" in p.name]
