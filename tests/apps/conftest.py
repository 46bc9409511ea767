"""Shared fixtures for the application tests: one tiny conditional DCGAN run on 8x8 digits."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import ganforge


@pytest.fixture(scope="session")
def cgan_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-step cgan on 64 digits upscaled to 28 px, width 8: run folder with generator/ and discriminator/.
    Its D keeps the projection head (cgan's default D reads labels at its input since issue 17), so
    that its features need no labels, as the feature tests expect."""
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("apps") / "cgan"
    ganforge.train("cgan", **{"data.name": "digits", "data.resolution": 28, "data.limit": 64, "data.batch_size": 16,
                              "model.width": 8, "model.z_dim": 8, "model.d_kwargs": {"cond": "projection"},
                              "train.steps": 3, "train.out": str(out),
                              "train.progress": False, "train.tensorboard": False, "train.sample_every": 0})
    return out


@pytest.fixture(scope="session")
def digits28() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 scikit-learn digits as (N, 1, 28, 28) float32 in [-1, 1] and labels (N,)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.float32)).unsqueeze(1) / 8.0 - 1.0
    x = torch.nn.functional.interpolate(x, size=28, mode="bilinear", align_corners=False).clamp(-1, 1)
    return x.numpy(), d.target.astype(np.int64)
