"""StyleGAN specifics: truncation, w_avg tracking, style mixing, noise modes."""
from __future__ import annotations

import pytest
import torch

from gf_tiny import build_pair


def _g():
    torch.manual_seed(0)
    G, _ = build_pair("stylegan")
    return G


def test_num_ws_and_mapping_shape() -> None:
    G = _g()
    assert G.num_ws == 8  # 32 px: 7 convs + the last toRGB
    ws = G.mapping(torch.randn(5, 8))
    assert ws.shape == (5, 8, 8)
    assert torch.equal(ws[:, 0], ws[:, 7])  # the mapping gives every layer the same w


def test_truncation_psi_zero_gives_w_avg_and_one_is_identity() -> None:
    G = _g()
    G.train()
    G(torch.randn(16, 8))  # training passes track the mean of w
    assert G.mapping.w_avg.abs().sum() > 0
    G.eval()
    z = torch.randn(4, 8)
    ws0 = G.mapping(z, truncation=0.0)
    assert torch.allclose(ws0, G.mapping.w_avg.expand_as(ws0))
    assert torch.equal(G.mapping(z, truncation=1.0), G.mapping(z))
    half = G.mapping(z, truncation=0.5)
    assert torch.allclose(half, 0.5 * (G.mapping(z) + G.mapping.w_avg), atol=1e-6)
    cut = G.mapping(z, truncation=0.0, truncation_cutoff=3)
    assert torch.allclose(cut[:, :3], ws0[:, :3]) and torch.equal(cut[:, 3:], G.mapping(z)[:, 3:])
    with torch.no_grad():
        imgs = G(torch.randn(3, 8), truncation=0.0)
    assert torch.allclose(imgs[0], imgs[1], atol=1e-5) and torch.allclose(imgs[0], imgs[2], atol=1e-5)


def test_w_avg_moves_only_in_training_mode() -> None:
    G = _g()
    G.eval()
    G(torch.randn(4, 8))
    assert torch.equal(G.mapping.w_avg, torch.zeros(8))
    G.train()
    z = torch.randn(6, 8)
    G(z)
    expect = 0.005 * G.mapping(z)[:, 0].mean(0)  # lerp(mean, 0, beta=0.995)
    assert torch.allclose(G.mapping.w_avg, expect, atol=1e-6)


def test_style_mixing_takes_chosen_layers_from_the_second_latent() -> None:
    G = _g().eval()
    a, b = G.mapping(torch.randn(2, 8)), G.mapping(torch.randn(2, 8))
    mixed = G.mix(a, b, range(0, 4))
    assert torch.equal(mixed[:, :4], b[:, :4]) and torch.equal(mixed[:, 4:], a[:, 4:])
    with torch.no_grad():
        assert torch.equal(G.synthesis(G.mix(a, b, range(G.num_ws)), "const"), G.synthesis(b, "const"))
        coarse, fine = G.synthesis(G.mix(a, b, [0, 1]), "const"), G.synthesis(G.mix(a, b, [6, 7]), "const")
    assert not torch.allclose(coarse, fine)
    assert torch.equal(G.mix(a, b[:1], [2])[:, 2], b[:1, 2].expand(2, -1))  # one source for every row
    with pytest.raises(ValueError, match="0..7"):
        G.mix(a, b, [8])


def test_noise_modes_and_seeded_random_noise() -> None:
    G = _g()
    for layer in G.synthesis.convs:  # make the noise visible
        torch.nn.init.constant_(layer.noise.strength, 0.3)
    ws = G.mapping(torch.randn(2, 8))
    with torch.no_grad():
        c1, c2 = G.synthesis(ws, "const"), G.synthesis(ws, "const")
        r1 = G.synthesis(ws, "random", torch.Generator().manual_seed(1))
        r2 = G.synthesis(ws, "random", torch.Generator().manual_seed(1))
        n = G.synthesis(ws, "none")
    assert torch.equal(c1, c2) and torch.equal(r1, r2)
    assert not torch.allclose(c1, r1) and not torch.allclose(c1, n)
    G.eval()
    with torch.no_grad():
        assert torch.equal(G(torch.zeros(2, 8)), G(torch.zeros(2, 8)))  # eval defaults to const noise
