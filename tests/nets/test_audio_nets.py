"""WaveGAN's and SpecGAN's nets beyond the shared net checks: the paper's shapes, phase shuffle."""
from __future__ import annotations

import pytest
import torch

from ganforge.nets import build_net
from ganforge.nets.audio import phase_shuffle


def test_wavegan_shapes_follow_the_paper() -> None:
    G = build_net("wavegan_g", z_dim=100, width=2)
    D = build_net("wavegan_d", width=2)
    assert [m.kernel_size[0] for m in G.modules() if isinstance(m, torch.nn.ConvTranspose1d)] == [25] * 5
    assert [m.out_channels for m in G.modules() if isinstance(m, torch.nn.ConvTranspose1d)] == [16, 8, 4, 2, 1]
    assert [m.out_channels for m in D.convs] == [2, 4, 8, 16, 32] and all(m.stride == (4,) for m in D.convs)
    x = G(torch.randn(3, 100))
    assert x.shape == (3, 1, 16384) and x.abs().max() <= 1
    assert D(x).shape == (3,)
    with pytest.raises(ValueError, match="16 x 4"):
        build_net("wavegan_g", out_shape=[1, 16000])


def test_phase_shuffle_shifts_by_at_most_n_with_reflection() -> None:
    x = torch.arange(20.0).view(1, 1, 20).repeat(64, 2, 1)
    torch.manual_seed(0)
    y = phase_shuffle(x, 2)
    shifts = y[:, 0, 5] - x[:, 0, 5]
    assert set(shifts.tolist()) == {-2.0, -1.0, 0.0, 1.0, 2.0}
    assert torch.equal(y[:, 0], y[:, 1])  # one shift per sample, the same in every channel
    right = y[shifts == -2][:, 0]  # content moved right by 2: the first two values are reflections
    assert right[0, :3].tolist() == [2.0, 1.0, 0.0]


def test_phase_shuffle_acts_in_training_only() -> None:
    torch.manual_seed(0)
    D = build_net("wavegan_d", in_shape=[1, 1024], width=2).eval()
    x = torch.rand(4, 1, 1024) * 2 - 1
    state = torch.get_rng_state()
    assert torch.equal(D(x), D(x)) and torch.equal(torch.get_rng_state(), state)
    D.train()
    assert not torch.equal(D(x), D(x))


def test_specgan_generator_is_a_dcgan_on_spectrograms_plus_griffin_lim() -> None:
    G = build_net("specgan_g", z_dim=8, width=2, griffin_lim=4)
    z = torch.randn(2, 8)
    spec = G.spectrogram(z)
    assert spec.shape == (2, 1, 128, 128) and spec.abs().max() <= 1
    G.eval()
    wave = G(z)
    assert wave.shape == (2, 1, 16384) and torch.equal(wave, G.to_wave(G.spectrogram(z)))
