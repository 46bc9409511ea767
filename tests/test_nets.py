"""The same checks for every registered network: shapes, no NaN, determinism, save/load."""
from __future__ import annotations

import json

import pytest
import torch

from ganforge.nets import NETS, build_net, load_model, save_model

# Small constructor arguments per network (anything not listed is built with its defaults).
TINY: dict[str, dict] = {
    "mlp_g": {"z_dim": 4, "out_shape": [2], "width": 16, "depth": 2},
    "mlp_d": {"in_shape": [2], "width": 16, "depth": 2},
    "dcgan_g": {"z_dim": 8, "out_shape": [1, 28, 28], "width": 8},
    "dcgan_d": {"in_shape": [1, 28, 28], "width": 8},
    "tabular_d": {"data_dim": 6, "hidden": [16], "pac": 2},  # 4 test rows pack into 2
}


def _input_for(net: torch.nn.Module) -> tuple:
    if hasattr(net, "example_inputs"):  # nets with several inputs say what they take
        return tuple(net.example_inputs(4, generator=torch.Generator().manual_seed(0)))
    if hasattr(net, "z_dim") and hasattr(net, "sample_latent"):
        z = net.sample_latent(4, generator=torch.Generator().manual_seed(0))
        return (z,)
    if hasattr(net, "in_shape"):
        return (torch.randn(4, *net.in_shape, generator=torch.Generator().manual_seed(0)).clamp(-1, 1),)
    pytest.skip(f"{type(net).__name__} has no generic input (tested in its own module)")


@pytest.mark.parametrize("name", list(NETS))
def test_every_net_forward_save_load(name: str, tmp_path) -> None:
    torch.manual_seed(0)
    net = build_net(name, **TINY.get(name, {})).eval()
    args = _input_for(net)
    with torch.no_grad():
        out = net(*args)
        again = net(*args)
    out_t = out[0] if isinstance(out, tuple) else out
    assert torch.isfinite(out_t).all()
    assert torch.equal(out_t, again[0] if isinstance(again, tuple) else again)  # deterministic in eval mode
    if hasattr(net, "out_shape") and getattr(net, "z_dim", 0):
        assert tuple(out_t.shape) == (4, *net.out_shape)
    save_model(net, tmp_path / "m", meta={"note": "x"})
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["net"] == name
    loaded = load_model(tmp_path / "m")
    assert loaded.meta == {"note": "x"}
    with torch.no_grad():
        out2 = loaded(*args)
    assert torch.equal(out_t, out2[0] if isinstance(out2, tuple) else out2)


@pytest.mark.parametrize("res,channels", [(28, 1), (32, 3), (64, 3), (128, 1)])
def test_dcgan_resolutions_and_conditioning(res: int, channels: int) -> None:
    G = build_net("dcgan_g", z_dim=8, out_shape=[channels, res, res], width=4, num_classes=10)
    for cond in ("projection", "concat"):
        D = build_net("dcgan_d", in_shape=[channels, res, res], width=4, num_classes=10, cond=cond)
        y = torch.tensor([0, 3])
        x = G(torch.randn(2, 8), y)
        assert x.shape == (2, channels, res, res) and x.abs().max() <= 1
        assert D(x, y).shape == (2,)


def test_dcgan_rejects_unsupported_resolution() -> None:
    with pytest.raises(ValueError, match="28, 32, 64 or 128"):
        build_net("dcgan_g", out_shape=[1, 30, 30])


def test_packing_shapes_and_label_requirement() -> None:
    D = build_net("dcgan_d", in_shape=[1, 28, 28], width=4, pack=2, num_classes=10, cond="concat")
    assert D(torch.randn(6, 1, 28, 28), torch.zeros(6, dtype=torch.long)).shape == (3,)
    with pytest.raises(ValueError, match="needs class labels"):
        D(torch.randn(6, 1, 28, 28))
    with pytest.raises(ValueError, match="cond='concat'"):
        build_net("mlp_d", in_shape=[2], num_classes=3, pack=2, cond="projection")


def test_projection_changes_logits_by_class() -> None:
    torch.manual_seed(0)
    D = build_net("mlp_d", in_shape=[2], width=8, num_classes=3).eval()
    torch.nn.init.normal_(D.proj.embed.weight, 0, 1.0)
    x = torch.randn(1, 2)
    assert not torch.allclose(D(x, torch.tensor([0])), D(x, torch.tensor([1])))


def test_unknown_net_and_bad_kwargs_are_named() -> None:
    with pytest.raises(ValueError, match="unknown network 'dcgan'"):
        build_net("dcgan")
    with pytest.raises(ValueError, match="Accepted arguments"):
        build_net("mlp_g", hidden=3)
