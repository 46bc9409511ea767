"""Evaluation split across two real CPU processes (torchrun, gloo) gives the one-process result."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import evaluate
from ganforge.metrics.shard import gather_batches

HERE = Path(__file__).parent


def _run(cmd: list[str], cache: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GANFORGE_CACHE": str(cache),
           "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_two_processes_give_the_one_process_result(tmp_path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    _run([sys.executable, str(HERE / "eval_worker.py"), str(tmp_path / "one")], tmp_path / "one")
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
          str(HERE / "eval_worker.py"), str(tmp_path / "two")], tmp_path / "two")
    one = json.loads((tmp_path / "one" / "results0.json").read_text())
    r0, r1 = (json.loads((tmp_path / "two" / f"results{r}.json").read_text()) for r in (0, 1))
    assert r0 == r1  # every process returns the same result
    for source in ("generator", "array"):
        assert one[source].keys() == r0[source].keys() and "class_acc/mnist" in one[source]
        for key, value in one[source].items():
            if isinstance(value, str):
                assert r0[source][key] == value
            else:
                assert r0[source][key] == pytest.approx(value, rel=1e-6, abs=1e-12), (source, key)
    # the split run cached the array reference's features (process 0 wrote them), and they are
    # the one-process run's features
    (cached,) = (tmp_path / "two" / "stats").glob("*.npz")
    (single,) = (tmp_path / "one" / "stats").glob("*.npz")
    with np.load(cached) as a, np.load(single) as b:
        assert np.array_equal(a["features"], b["features"])


def test_gather_in_one_process_is_concatenation():
    chunks = [torch.arange(6.0).reshape(3, 2), torch.ones(1, 2)]
    assert torch.equal(gather_batches(chunks, 4, 3, (0, 1)), torch.cat(chunks))


def test_distributed_needs_a_process_group():
    with pytest.raises(GanforgeError, match="no torch.distributed process group is initialised"):
        evaluate(torch.zeros(4, 1, 28, 28), reference=torch.zeros(4, 1, 28, 28), metrics="fid", n=4,
                 extractor="mnist", distributed=True)
