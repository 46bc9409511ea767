"""`ganforge eval` under torchrun: two real CPU processes (gloo) split the feature extraction and
report the same numbers as one process (issue 16)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ganforge


@pytest.mark.skipif(shutil.which("torchrun") is None and not Path(sys.executable).with_name("torchrun").exists(),
                    reason="torchrun is not installed next to this Python")
def test_eval_under_torchrun_equals_one_process(tmp_path: Path) -> None:
    run = tmp_path / "run"
    ganforge.train("dcgan", **{"data.name": "digits", "data.resolution": 28, "data.limit": 64, "data.batch_size": 16,
                               "model.width": 8, "model.z_dim": 8, "train.steps": 2, "train.out": str(run),
                               "train.progress": False, "train.tensorboard": False, "train.sample_every": 0})
    args = ["eval", str(run), "--metrics", "fid,kid,pr", "--num-samples", "96", "--extractor", "mnist",
            "--reference", "digits-test", "--batch-size", "16"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GANFORGE_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(Path(ganforge.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    one = subprocess.run([sys.executable, "-m", "ganforge.cli", *args, "--out", str(tmp_path / "one.json")],
                         env=env, capture_output=True, text=True, timeout=300)
    assert one.returncode == 0, one.stderr
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    two = subprocess.run([torchrun, "--nproc-per-node", "2", "-m", "ganforge.cli", *args,
                          "--out", str(tmp_path / "two.json")], env=env, capture_output=True, text=True, timeout=300)
    assert two.returncode == 0, two.stderr[-3000:]
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("one.json", "two.json"))
    assert a.keys() == b.keys() and a["n"] == 96
    for k, v in a.items():
        if isinstance(v, float):
            assert b[k] == pytest.approx(v, rel=1e-6, abs=1e-9), k
        else:
            assert b[k] == v, k
    assert two.stdout.count("fid/mnist") == 1  # rank 0 alone reports
