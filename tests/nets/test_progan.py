"""ProGAN specifics: fade-in continuity, growth state, schedule, real-image fading."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ganforge.nets import load_model, save_model
from ganforge.nets.progan import fade_real_images, progan_schedule

from gf_tiny import build_pair


def _pair():
    torch.manual_seed(0)
    G, D = build_pair("progan")
    return G.eval(), D.eval()


def _g_without_fade(G, z: torch.Tensor, level: int) -> torch.Tensor:
    """G's stage-``level`` path written out with no fade branch at all."""
    from ganforge.layers import pixel_norm
    h = pixel_norm(z)
    h = pixel_norm(F.leaky_relu(G.dense(h).view(z.shape[0], -1, 4, 4), 0.2))
    h = pixel_norm(F.leaky_relu(G.conv0(h), 0.2))
    for k in range(1, level + 1):
        h = G._block(k, h)
    img = G.to_rgb[level](h)
    return F.interpolate(img, size=G.out_shape[-1], mode="nearest")


@pytest.mark.parametrize("level", [1, 2, 3])
def test_alpha_one_equals_the_stage_without_fade_and_alpha_zero_the_previous_stage(level: int) -> None:
    G, D = _pair()
    z, x = torch.randn(4, 8), torch.rand(4, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        G.set_stage(level, 1.0)
        assert torch.allclose(G(z), _g_without_fade(G, z, level), atol=1e-6)
        new = G(z)
        G.set_stage(level, 0.0)
        start = G(z)
        G.set_stage(level - 1, 1.0)
        prev = G(z)
        G.set_stage(level, 0.25)
        quarter = G(z)
        assert torch.allclose(start, prev, atol=1e-6)  # a new level fades in without a jump
        assert torch.allclose(quarter, 0.75 * prev + 0.25 * new, atol=1e-5)
        D.set_stage(level, 0.0)
        d_start = D(x)
        D.set_stage(level - 1, 1.0)
        assert torch.allclose(d_start, D(x), atol=1e-5)


def test_lower_stages_output_blocky_full_size_images() -> None:
    G, D = _pair()
    G.set_stage(1, 1.0)
    assert G.resolution == 8 and D.resolution == 32
    with torch.no_grad():
        x = G(torch.randn(2, 8))
    assert x.shape == (2, 1, 32, 32)
    assert torch.equal(x, F.interpolate(x[:, :, ::4, ::4], scale_factor=4, mode="nearest"))


def test_growth_state_is_in_the_state_dict_and_survives_save_load(tmp_path) -> None:
    G, _ = _pair()
    G.set_stage(2, 0.375)
    assert int(G.state_dict()["level"]) == 2 and float(G.state_dict()["alpha"]) == 0.375
    save_model(G, tmp_path)
    assert load_model(tmp_path).stage == (2, 0.375)
    with pytest.raises(ValueError, match="0..3"):
        G.set_stage(4, 1.0)
    with pytest.raises(ValueError, match="alpha"):
        G.set_stage(1, 1.5)


def test_schedule_fades_then_stabilises_each_level() -> None:
    P = 10
    assert progan_schedule(0, P, 3) == (0, 1.0) and progan_schedule(9, P, 3) == (0, 1.0)
    assert progan_schedule(10, P, 3) == (1, 0.0)
    assert progan_schedule(15, P, 3) == (1, 0.5)
    assert progan_schedule(20, P, 3) == (1, 1.0) and progan_schedule(29, P, 3) == (1, 1.0)
    assert progan_schedule(33, P, 3) == (2, 0.3)
    assert progan_schedule(50, P, 3) == (3, 0.0)
    assert progan_schedule(10_000, P, 3) == (3, 1.0)


def test_fade_real_images() -> None:
    x = torch.rand(2, 1, 32, 32)
    assert torch.equal(fade_real_images(x, 3, 1.0), x)
    x8 = F.avg_pool2d(x, 4)
    assert torch.allclose(fade_real_images(x, 1, 1.0), F.interpolate(x8, scale_factor=4), atol=1e-6)
    x4 = F.avg_pool2d(x, 8)
    assert torch.allclose(fade_real_images(x, 1, 0.0), F.interpolate(x4, scale_factor=8), atol=1e-6)
    half = fade_real_images(x, 1, 0.5)
    assert torch.allclose(half, 0.5 * (fade_real_images(x, 1, 0.0) + fade_real_images(x, 1, 1.0)), atol=1e-6)
