"""Data-parallel training in two real CPU processes (torchrun, gloo backend)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

HERE = Path(__file__).parent


def test_two_processes_hold_identical_weights(tmp_path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           str(HERE / "ddp_worker.py"), str(tmp_path), "dcgan", "4"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r0, r1 = load_file(str(tmp_path / "rank0.safetensors")), load_file(str(tmp_path / "rank1.safetensors"))
    assert r0.keys() == r1.keys() and len(r0) > 0
    for k in r0:
        assert torch.equal(r0[k], r1[k]), f"{k} differs between ranks"
    # the weights moved away from a common start, and only rank 0 wrote the run folder's files
    run = tmp_path / "run"
    assert (run / "checkpoint.pt").exists() and (run / "generator" / "model.safetensors").exists()
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 4  # one writer, one line per step
