"""Checks of the advanced image nets over the tiny configurations of gf_tiny (conditional and
unconditional, several resolutions, ProGAN mid-fade): shapes and finite values, gradient flow
(InfoGAN's Q head and self-attention included). Eval determinism and the save/load round trip of
every registered net are in tests/nets/test_nets.py."""
from __future__ import annotations

import pytest
import torch

from ganforge.layers import SelfAttention
from ganforge.nets import build_net

from gf_tiny import TINY, build_pair, labels

NAMES = sorted(TINY)


def _prepare(name: str) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    G, D = build_pair(name)
    if name.startswith("progan"):  # a mid-fade stage: both paths of the fade are active
        G.set_stage(G.max_level, 0.5)
        D.set_stage(D.max_level, 0.5)
    return G, D


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_finite(name: str) -> None:
    G, D = _prepare(name)
    z = G.sample_latent(4, generator=torch.Generator().manual_seed(1))
    assert z.shape == (4, G.z_dim)
    c = labels(G, 4)
    x = G(z, c)
    assert x.shape == (4, *G.out_shape)
    assert torch.isfinite(x).all()
    logits = D(x, c)
    assert logits.shape == (4,)
    assert torch.isfinite(logits).all()


def _unused(name: str, net: torch.nn.Module) -> set[str]:
    """Parameters a forward pass legitimately does not reach: ProGAN's lower-level RGB layers."""
    if not name.startswith("progan"):
        return set()
    prefix = "to_rgb" if hasattr(net, "to_rgb") else "from_rgb"
    return {f"{prefix}.{k}." for k in range(net.max_level - 1)}


@pytest.mark.parametrize("name", NAMES)
def test_gradients_reach_every_parameter(name: str) -> None:
    G, D = _prepare(name)
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, SelfAttention):  # gamma starts at 0, which would zero the gradients behind it
            torch.nn.init.constant_(m.gamma, 0.5)
    z, c = G.sample_latent(4), labels(G, 4)
    out = D(G(z, c), c).sum()
    if hasattr(D, "q"):
        out = out + sum(t.sum() for t in D.q(G(z, c)))
    out.backward()
    for net in (G, D):
        skip = _unused(name, net)
        for pname, p in net.named_parameters():
            if any(pname.startswith(s) for s in skip):
                continue
            assert p.grad is not None, f"{pname} got no gradient"
            assert torch.isfinite(p.grad).all(), pname
            assert p.grad.abs().sum() > 0, f"{pname} got a zero gradient"


def test_unsupported_resolutions_are_named() -> None:
    with pytest.raises(ValueError, match="28"):
        build_net("stylegan_g", out_shape=(1, 28, 28))
    with pytest.raises(ValueError, match="supported"):
        build_net("sngan_g", out_shape=(1, 48, 48))
    with pytest.raises(ValueError, match="attention resolution 5"):
        build_net("biggan_g", out_shape=(1, 32, 32), ch=2, attention=[5])


@pytest.mark.parametrize("g, kw", [("progan_g", dict(channel_base=256, channel_max=8)),
                                   ("stylegan_g", dict(channel_base=256, channel_max=8, mapping_layers=1)),
                                   ("biggan_g", dict(ch=1, attention=[])), ("sngan_g", dict(ch=1))])
def test_64px_generators(g: str, kw: dict) -> None:
    G = build_net(g, z_dim=8, out_shape=(3, 64, 64), **kw).eval()
    with torch.no_grad():
        assert G(G.sample_latent(2)).shape == (2, 3, 64, 64)


def test_progan_fade_in_runs_under_bf16_autocast() -> None:
    """The fade-in blends two branches that autocast can leave in different precisions (on a GPU in
    bf16 one came out float32 and torch.lerp refused the pair): the blend must accept mixed dtypes,
    and G and D must run mid-fade under autocast."""
    from ganforge.nets.progan import _blend

    old, new = torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.bfloat16)
    with pytest.raises(RuntimeError):
        torch.lerp(old, new, 0.25)
    assert torch.allclose(_blend(old, new, 0.25).float(), torch.full((2, 3), 0.25))
    G = build_net("progan_g", z_dim=16, out_shape=(1, 32, 32), channel_base=256, channel_max=16)
    D = build_net("progan_d", in_shape=(1, 32, 32), channel_base=256, channel_max=16)
    for net in (G, D):
        net.set_stage(2, 0.5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        x = G(torch.randn(4, 16))
        out = D(x)
    assert x.shape == (4, 1, 32, 32) and out.shape[0] == 4
    assert torch.isfinite(out.float()).all()
