"""The recurrent series nets rnn_g and rnn_d: shapes, conditioning, save/load, |x| input, global
latent and location-scale head."""
import pytest
import torch

from ganforge.nets import build_net, load_model, save_model
from gf_series import CASES
from gf_series import series_batch as _batch


def _nets(extra, cell="lstm"):
    G = build_net("rnn_g", z_dim=4, seq_len=12, features=2, hidden=16, num_layers=1, cell=cell, **extra)
    D = build_net("rnn_d", features=2, seq_len=12, hidden=16, cell=cell, **extra)
    return G, D


@pytest.mark.parametrize("extra, kind", CASES)
def test_shapes_and_save_load(extra, kind, tmp_path):
    torch.manual_seed(0)
    G, D = _nets(extra, cell="gru" if kind == "y" else "lstm")
    b = _batch(kind)
    c = b.get(kind) if kind else None
    z = G.sample_latent(8, generator=torch.Generator().manual_seed(1))
    assert z.shape == (8, 12, 4) and G.out_shape == (12, 2)
    x = G(z, c)
    assert x.shape == (8, 12, 2) and torch.isfinite(x).all()
    assert G(G.sample_latent(8, seq_len=30), c).shape == (8, 30, 2)  # any length
    logits = D(x, c)
    assert logits.shape == (8,)
    save_model(G, tmp_path / "g")
    save_model(D, tmp_path / "d")
    G2, D2 = load_model(tmp_path / "g"), load_model(tmp_path / "d")
    G.eval()
    D.eval()
    torch.testing.assert_close(G2(z, c), G(z, c))
    torch.testing.assert_close(D2(x, c), D(x, c))


def test_conditional_nets_need_c():
    G, D = _nets({"num_classes": 3})
    with pytest.raises(ValueError, match="class labels"):
        G(G.sample_latent(2))
    with pytest.raises(ValueError, match="needs c"):
        D(torch.zeros(2, 12, 2))
    with pytest.raises(ValueError, match="not both"):
        build_net("rnn_g", num_classes=2, context_len=3)


def test_abs_input_discriminator_sees_magnitudes(tmp_path):
    """abs_input feeds |x| too: flipping the sign of a window changes the plain D's input only
    through x, while the abs channel is unchanged; and the option survives save/load."""
    torch.manual_seed(0)
    D = build_net("rnn_d", features=2, seq_len=16, hidden=8, abs_input=True)
    assert D.rnn.input_size == 4
    x = torch.randn(3, 16, 2)
    y = D(x)
    assert y.shape == (3,) and torch.isfinite(y).all()
    save_model(D, tmp_path / "d")
    D2 = load_model(tmp_path / "d")
    assert D2.abs_input and torch.allclose(D2(x), y)
    # with the x-channel weights zeroed, D depends on |x| only: sign flips give the same logit
    with torch.no_grad():
        D.rnn.weight_ih_l0[:, :2] = 0
    assert torch.allclose(D(x), D(-x), atol=1e-6)


def test_global_latent_and_scale_head(tmp_path):
    """global_z: the step-0 noise's first channels reach every step, so changing them alone moves
    the last step; out_scale: x = mu + softplus(s) * eps with (mu, s) from the head and eps the
    step's last noise channel. Both options survive save/load; bad values are named."""
    torch.manual_seed(0)
    G = build_net("rnn_g", z_dim=4, seq_len=12, features=1, hidden=8, num_layers=1, global_z=2, out_scale=True)
    assert G.rnn.input_size == 4 + 2
    z = G.sample_latent(3)
    x = G(z)
    assert x.shape == (3, 12, 1) and torch.isfinite(x).all()
    z2 = z.clone()
    z2[:, 0, :2] += 1.0
    assert not torch.allclose(G(z2)[:, -1], x[:, -1])
    # the location-scale formula, recomputed from the nets' parts
    rnn_in = torch.cat([z, z[:, :1, :2].expand(-1, 12, -1)], dim=2)
    h, _ = G.rnn(rnn_in)
    mu, s = G.out(torch.cat([h, z], dim=2)).split(1, dim=2)
    assert torch.allclose(x, mu + torch.nn.functional.softplus(s) * z[:, :, 3:], atol=1e-6)
    save_model(G, tmp_path / "g")
    G2 = load_model(tmp_path / "g")
    assert G2.global_z == 2 and G2.out_scale and torch.allclose(G2(z), x)
    with pytest.raises(ValueError, match="global_z"):
        build_net("rnn_g", z_dim=4, global_z=5)
    with pytest.raises(ValueError, match="out_scale"):
        build_net("rnn_g", z_dim=1, features=2, out_scale=True)
