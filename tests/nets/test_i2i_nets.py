"""Every image-to-image net: shapes, range, no NaN, eval determinism, save/load round trip."""
from __future__ import annotations

import pytest
import torch

from ganforge.nets import build_net, load_model, save_model
from ganforge.nets.patchgan import receptive_field

# name, constructor kwargs, inputs (shapes; "mask" = a random hole mask), expected output shape
CASES = [
    ("unet_g", dict(in_shape=(1, 28, 28), out_channels=1, width=8), [(1, 28, 28)], (1, 28, 28)),
    ("unet_g", dict(in_shape=(1, 28, 28), out_channels=3, width=4, depth=3), [(1, 28, 28)], (3, 28, 28)),
    ("unet_g", dict(in_shape=(3, 32, 32), out_channels=3, width=4, norm="instance"), [(3, 32, 32)], (3, 32, 32)),
    ("patchgan_d", dict(in_shape=(1, 28, 28), cond_channels=1, width=8, n_layers=2), [(1, 28, 28), (1, 28, 28)], (5, 5)),
    ("patchgan_d", dict(in_shape=(3, 32, 32), width=8, n_layers=1, norm="instance"), [(3, 32, 32)], (14, 14)),
    ("resnet_g", dict(in_shape=(1, 28, 28), out_channels=1, width=8, n_blocks=2), [(1, 28, 28)], (1, 28, 28)),
    ("resnet_g", dict(in_shape=(3, 30, 30), out_channels=1, width=4, n_blocks=1, n_down=2), [(3, 30, 30)], (1, 30, 30)),
    ("srgan_g", dict(in_shape=(1, 7, 7), scale=4, width=8, n_blocks=2), [(1, 7, 7)], (1, 28, 28)),
    ("srgan_g", dict(in_shape=(3, 14, 14), scale=2, width=8, n_blocks=1), [(3, 14, 14)], (3, 28, 28)),
    ("srgan_d", dict(in_shape=(1, 28, 28), width=8, n_stages=3, hidden=32), [(1, 28, 28)], ()),
    ("inpaint_g", dict(in_shape=(1, 28, 28), width=8), [(1, 28, 28), "mask"], (1, 28, 28)),
    ("inpaint_g", dict(in_shape=(3, 30, 30), width=8, dilations=[2, 4, 8, 16]), [(3, 30, 30), "mask"], (3, 30, 30)),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _inputs(specs, n: int = 3, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for s in specs:
        if s == "mask":
            h, w = out[0].shape[-2:]
            m = torch.zeros(n, 1, h, w)
            m[:, :, h // 4: h // 4 + h // 3, w // 3: w // 3 + w // 3] = 1
            out.append(m)
        else:
            out.append(torch.rand(n, *s, generator=g) * 2 - 1)
    return out


@pytest.mark.parametrize("name,kwargs,specs,expected", CASES, ids=IDS)
def test_shapes_range_determinism_and_roundtrip(name, kwargs, specs, expected, tmp_path):
    torch.manual_seed(0)
    net = build_net(name, **kwargs)
    xs = _inputs(specs)
    net.train()
    y_train = net(*xs)  # one train-mode pass (batch-norm statistics, dropout)
    assert torch.isfinite(y_train).all()
    net.eval()
    with torch.no_grad():
        y1, y2 = net(*xs), net(*xs)
    assert tuple(y1.shape) == (3, *expected)
    assert torch.isfinite(y1).all()
    assert torch.equal(y1, y2), "eval mode must be deterministic"
    if name.endswith("_g"):
        assert y1.abs().max() <= 1.0
        assert tuple(net.out_shape) == expected and net.z_dim == 0 and net.num_classes == 0
    save_model(net, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is type(net) and loaded.init_kwargs == net.init_kwargs
    with torch.no_grad():
        assert torch.equal(loaded(*xs), y1)


def test_unet_pads_28_to_32_and_dropout_is_train_only():
    g = build_net("unet_g", in_shape=(1, 28, 28), width=4)
    assert g.depth == 5  # 28 -> padded 32 -> 1x1 bottleneck
    assert build_net("unet_g", in_shape=(3, 256, 256), width=2).depth == 8
    x = _inputs([(1, 28, 28)])[0]
    g.train()
    torch.manual_seed(1)
    a = g(x)
    torch.manual_seed(2)
    b = g(x)
    assert not torch.equal(a, b), "dropout should make train-mode outputs differ"
    assert sum(isinstance(m, torch.nn.Dropout) for m in g.modules()) == 3


def test_unet_skip_connections_carry_input_detail():
    # With the bottleneck zeroed, the output still depends on the input via the skips.
    g = build_net("unet_g", in_shape=(1, 32, 32), width=4).eval()
    with torch.no_grad():
        for p in g.down[-1].parameters():
            p.zero_()
        x1, x2 = _inputs([(1, 32, 32)], seed=1)[0], _inputs([(1, 32, 32)], seed=2)[0]
        assert not torch.allclose(g(x1), g(x2))


@pytest.mark.parametrize("n_layers,expected", [(1, 16), (2, 34), (3, 70), (4, 142), (5, 286)])
def test_patchgan_receptive_field_formula(n_layers, expected):
    assert receptive_field(n_layers) == expected


@pytest.mark.parametrize("n_layers", [1, 2])
def test_patchgan_receptive_field_matches_gradient_support(n_layers):
    size = 72
    d = build_net("patchgan_d", in_shape=(1, size, size), width=4, n_layers=n_layers, norm="none").eval()
    x = torch.randn(1, 1, size, size, requires_grad=True)
    out = d(x)
    h, w = out.shape[-2:]
    out[0, h // 2, w // 2].backward()
    rows = x.grad[0, 0].abs().sum(1).nonzero().squeeze(1)
    cols = x.grad[0, 0].abs().sum(0).nonzero().squeeze(1)
    # the support of one logit's gradient is at most the receptive field (close to it here)
    assert int(rows[-1] - rows[0] + 1) <= receptive_field(n_layers)
    assert int(cols[-1] - cols[0] + 1) >= receptive_field(n_layers) - 4
    assert tuple(out.shape[-2:]) == d.output_shape(size, size)


def test_patchgan_conditioning_and_bce_mean_over_patches():
    d = build_net("patchgan_d", in_shape=(1, 28, 28), cond_channels=1, width=4, n_layers=2).eval()
    y, x1, x2 = _inputs([(1, 28, 28)] * 3)
    with torch.no_grad():
        assert not torch.equal(d(y, x1), d(y, x2)), "the condition must change the logits"
        logits = d(y, x1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    assert loss.dim() == 0 and torch.isfinite(loss)
    with pytest.raises(ValueError, match="needs the input image"):
        d(y)


def test_inpaint_keeps_known_pixels_and_ignores_hole_content():
    g = build_net("inpaint_g", in_shape=(1, 28, 28), width=8).eval()
    x, mask = _inputs([(1, 28, 28), "mask"])
    x2 = x * (1 - mask) + 0.7 * mask  # different hole content
    with torch.no_grad():
        y, y2 = g(x, mask), g(x2, mask.squeeze(1))
    assert torch.equal(y[mask.expand_as(y) == 0], x[mask.expand_as(x) == 0])
    assert torch.equal(y, y2)


def test_translators_reject_wrong_channels():
    g = build_net("resnet_g", in_shape=(1, 28, 28), width=4, n_blocks=1)
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        g(torch.zeros(1, 3, 28, 28))
