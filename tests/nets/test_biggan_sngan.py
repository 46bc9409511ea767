"""BigGAN and SNGAN specifics: truncated sampling, spectral norm placement, conditioning."""
from __future__ import annotations

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.layers import count_spectral_norm, has_spectral_norm
from ganforge.nets.biggan import truncated_normal

from gf_tiny import build_pair


def test_truncated_sampling_is_bounded_and_reproducible() -> None:
    G, _ = build_pair("biggan")
    z = G.sample_latent(64, generator=torch.Generator().manual_seed(0), truncation=0.5)
    assert z.shape == (64, 8) and z.abs().max() <= 0.5
    assert z.std() > 0.2  # truncated N(0,1) on [-0.5, 0.5] has std 0.28
    assert torch.equal(z, G.sample_latent(64, generator=torch.Generator().manual_seed(0), truncation=0.5))
    assert G.sample_latent(64).abs().max() > 0.5
    assert truncated_normal((2000,), 0.05).abs().max() <= 0.05
    with pytest.raises(GanforgeError, match="> 0"):
        G.sample_latent(2, truncation=0.0)


def test_spectral_norm_everywhere_but_the_shared_embedding() -> None:
    G, D = build_pair("biggan_cond28")
    assert not has_spectral_norm(G.latent.shared)
    layers = lambda net: sum(isinstance(m, (torch.nn.Conv2d, torch.nn.Linear, torch.nn.Embedding))  # noqa: E731
                             for m in net.modules())
    assert count_spectral_norm(G) == layers(G) - 1
    assert count_spectral_norm(D) == layers(D)
    Gs, Ds = build_pair("sngan")
    assert count_spectral_norm(Gs) == 0 and count_spectral_norm(Ds) == layers(Ds)


def test_class_conditioning_changes_the_output() -> None:
    for name in ("biggan_cond28", "sngan_cond28"):
        torch.manual_seed(0)
        G, D = build_pair(name)
        if name.startswith("sngan"):  # per-class gains start at the identity: give them values
            for m in G.modules():
                if hasattr(m, "cond_dim") and m.cond_dim:
                    torch.nn.init.normal_(m.gain.weight, 0, 0.5)
        G.eval(), D.eval()
        z = G.sample_latent(2).repeat(2, 1)
        with torch.no_grad():
            x = G(z, torch.tensor([0, 0, 1, 1]))
            assert not torch.allclose(x[0], x[2])
            d = D(x[:1].repeat(2, 1, 1, 1), torch.tensor([0, 3]))
        assert d[0] != d[1]
        with pytest.raises(ValueError, match="labels"):
            G(z)


def test_d_plan_follows_the_reference_tables() -> None:
    from ganforge.layers import resnet_d_plan, resnet_g_plan
    assert resnet_g_plan(128) == (4, (16, 16, 8, 4, 2, 1))
    assert resnet_d_plan(32) == ((4, 4, 4, 4), (True, True, False, False))
    _, D = build_pair("biggan")
    h = D.features(torch.randn(2, 3, 32, 32))
    assert h.shape == (2, 8)
