"""Spectrograms and Griffin-Lim (SpecGAN's representation and inversion)."""
from __future__ import annotations

import math

import pytest
import torch

from ganforge.layers.stft import (BINS, CLIP_SAMPLES, FRAMES, EPS, bin_moments, denormalise, dominant_frequency,
                                  griffin_lim, log_magnitude, normalise)


def sine(freq: float, amp: float = 0.5) -> torch.Tensor:
    t = torch.arange(CLIP_SAMPLES) / 16000
    return (amp * torch.sin(2 * math.pi * freq * t)).view(1, 1, -1)


@pytest.mark.parametrize("freq", [440.0, 1000.0, 3000.0])
def test_griffin_lim_on_a_sine_recovers_its_frequency(freq: float) -> None:
    mag = torch.exp(log_magnitude(sine(freq))) - EPS
    assert mag.shape == (1, BINS, FRAMES)
    wave = griffin_lim(mag)
    assert wave.shape == (1, CLIP_SAMPLES) and torch.isfinite(wave).all()
    assert dominant_frequency(wave[0]) == pytest.approx(freq, abs=8)
    rebuilt = torch.exp(log_magnitude(wave)) - EPS
    assert float((rebuilt - mag).norm() / mag.norm()) < 0.15  # the magnitudes match closely
    assert torch.equal(wave, griffin_lim(mag))  # deterministic: its own seeded start


def test_normalise_round_trip_and_range() -> None:
    waves = torch.cat([sine(f) for f in (300, 600, 1200)])
    lm = log_magnitude(waves)
    mean, std = bin_moments(lm)
    spec = normalise(lm, mean, std)
    assert spec.shape == (3, 1, BINS, FRAMES) and spec.abs().max() <= 1
    back = denormalise(spec, mean, std)
    inside = ((lm - mean.view(1, -1, 1)).abs() < 2.9 * std.view(1, -1, 1))
    assert torch.allclose(torch.log(back + EPS)[inside], lm[inside], atol=1e-3)
