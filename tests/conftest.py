"""Shared fixtures: a temporary cache folder, one CPU thread per test, quiet runs, and the
tiny-config helper.

Helpers shared by several folders are modules at this root with unique names (gf_asserts,
gf_family, gf_tabular, gf_tiny): pytest's default "prepend" import mode puts tests/ on sys.path
for this conftest.py. No test folder has an __init__.py, so every test file needs a basename
unique across tests/."""
from __future__ import annotations

import os
from typing import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # reference statistics and downloads go to a per-session temporary cache
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # the nets under test are tiny: one thread is fastest, and more only contend on a shared CPU
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny() -> dict:
    """Overrides that make any run small and quiet."""
    return {"train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.log_every": 1}


def pytest_configure(config: pytest.Config) -> None:
    # GANFORGE_TEST_THREADS=1 helps on a machine busy with other work (thread spin-waits thrash)
    torch.set_num_threads(int(os.environ.get("GANFORGE_TEST_THREADS", min(2, os.cpu_count() or 1))))
