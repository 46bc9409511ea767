"""Shared fixtures: a temporary cache folder, quiet runs, and the tiny-config helper."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # reference statistics and downloads go to a per-session temporary cache
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture
def tiny() -> dict:
    """Overrides that make any run small and quiet."""
    return {"train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.log_every": 1}


def pytest_configure(config: pytest.Config) -> None:
    # GANFORGE_TEST_THREADS=1 helps on a machine busy with other work (thread spin-waits thrash)
    torch.set_num_threads(int(os.environ.get("GANFORGE_TEST_THREADS", min(2, os.cpu_count() or 1))))
