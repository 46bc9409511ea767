"""Discriminator features: `features()` when the net has it, a hook on the head otherwise; the CLI."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

import ganforge
from ganforge.apps.features import discriminator_features
from ganforge.cli import main


def test_dcgan_features_shape_and_batch_independence(cgan_run, digits28) -> None:
    D = ganforge.load(cgan_run, which="discriminator")
    x = torch.from_numpy(digits28[0][:10])
    f = discriminator_features(D, x)
    assert f.shape == (10, 16 * 7 * 7) and torch.isfinite(f).all()
    assert torch.allclose(discriminator_features(D, x, batch_size=3), f, atol=1e-6)  # eval mode: no batch statistics


class _NoFeatures(nn.Module):
    """A discriminator without a features() method: the hook must capture the head's input."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.Tanh())
        self.head = nn.Linear(3, 1)

    def forward(self, x):
        return self.head(self.body(x)).squeeze(1)


def test_hook_fallback_returns_head_input() -> None:
    torch.manual_seed(0)
    D = _NoFeatures()
    x = torch.randn(5, 1, 2, 2)
    assert torch.allclose(discriminator_features(D, x), D.body(x))


def test_cli_features_from_npy_and_dataset(cgan_run, digits28, tmp_path) -> None:
    np.save(tmp_path / "in.npy", digits28[0][:7])
    assert main(["features", str(cgan_run), str(tmp_path / "in.npy"), "--out", str(tmp_path / "f.npy")]) == 0
    f = np.load(tmp_path / "f.npy")
    D = ganforge.load(cgan_run, which="discriminator")
    assert np.allclose(f, discriminator_features(D, torch.from_numpy(digits28[0][:7])).numpy(), atol=1e-6)
    assert main(["features", str(cgan_run), "digits", "--limit", "9", "--out", str(tmp_path / "g.npy"),
                 "--labels-out", str(tmp_path / "y.npy")]) == 0
    assert np.load(tmp_path / "g.npy").shape == (9, 784) and np.load(tmp_path / "y.npy").shape == (9,)
