import pytest
import torch

import ganforge
from ganforge.data.base import DataInfo
from ganforge.errors import GanforgeError
from ganforge.families import FAMILIES
from ganforge.nets import build_net, load_model, save_model
from ganforge.training.checkpoint import load_checkpoint
from gf_asserts import state_equal
from gf_family import build_family, output_dtypes


CASES = [
    ({}, None),
    ({"num_classes": 3}, "y"),
    ({"context_len": 5}, "context"),
]


def _batch(kind, n=8, t=12, f=2):
    gen = torch.Generator().manual_seed(0)
    b = {"x": torch.randn(n, t, f, generator=gen)}
    if kind == "y":
        b["y"] = torch.randint(0, 3, (n,), generator=gen)
    if kind == "context":
        b["context"] = torch.randn(n, 5, f, generator=gen)
    return b


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


def _family(kind, **overrides):
    """The timeseries family on (12, 2) windows: plain, labelled (3 classes) or with a 5-step past."""
    info = DataInfo("windows", "series", (12, 2), num_classes=3 if kind == "y" else 0,
                    extra={"context": 5 if kind == "context" else 0})
    fam, _ = build_family("timeseries", info, **{"model.width": 16, **overrides})
    return fam


@pytest.mark.parametrize("extra, kind", CASES)
def test_phases_are_finite_and_change_weights(extra, kind):
    fam = _family(kind)
    G, D = fam.nets["G"], fam.nets["D"]
    assert all(getattr(G, k) == v for k, v in extra.items())
    g0 = [p.detach().clone() for p in G.parameters()]
    d0 = [p.detach().clone() for p in D.parameters()]
    b = _batch(kind)
    for _ in range(3):
        out_d, out_g = fam.d_step(b), fam.g_step(b)
        assert set(out_d) == {"d_loss", "d_real", "d_fake", "d_acc"} and {"g_loss", "d_fooled"} <= set(out_g)
        assert all(torch.isfinite(v) for v in [*out_d.values(), *out_g.values()] if v is not None)
        assert 0.0 <= out_d["d_real"] <= 1.0 and 0.0 <= out_d["d_acc"] <= 1.0
    assert any(not torch.equal(a, p) for a, p in zip(g0, G.parameters()))
    assert any(not torch.equal(a, p) for a, p in zip(d0, D.parameters()))
    assert [(p.name, p.losses) for p in fam.phases()] == [("D", ("d_loss",)), ("G", ("g_loss",))]


def test_the_family_has_no_options():
    with pytest.raises(GanforgeError, match="unknown option.*window for family 'timeseries'; accepted.*none"):
        _family(None, **{"options.window": 8})


def test_d_phase_leaves_generator_and_g_phase_leaves_discriminator():
    fam = _family(None, **{"train.optimizer": "sgd", "train.lr_g": 0.1, "train.lr_d": 0.1})
    G, D = fam.nets["G"], fam.nets["D"]
    b = _batch(None)
    g0 = [p.detach().clone() for p in G.parameters()]
    fam.d_step(b)
    assert all(torch.equal(a, p) for a, p in zip(g0, G.parameters()))
    d1 = [p.detach().clone() for p in D.parameters()]
    fam.g_step(b)
    assert all(torch.equal(a, p) for a, p in zip(d1, D.parameters()))
    assert all(p.requires_grad for p in D.parameters())  # D is frozen only during the G step


@pytest.mark.parametrize("kind", [None, "context"])
@pytest.mark.parametrize("precision,dtype", [("bf16", torch.bfloat16), ("fp32", torch.float32)])
def test_precision_reaches_g_and_d(kind, precision, dtype):
    fam = _family(kind, **{"train.precision": precision})
    seen = output_dtypes(fam, _batch(kind), {"G": fam.nets["G"], "D": fam.nets["D"]})
    assert seen == {"G": {dtype}, "D": {dtype}}


def test_resume_is_bit_exact(tmp_path):
    """2 steps, stop, resume to 5 == 5 steps in one go (nets and optimizers, bit for bit)."""
    spec = FAMILIES.get("timeseries")
    quiet = {"train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.log_every": 1,
             "train.ckpt_every": 0, "train.d_steps": 2}

    def run(out, steps, resume=False):
        return ganforge.train("timeseries", resume=resume, **{**spec.smoke, **quiet, "train.steps": steps,
                                                              "train.out": str(tmp_path / out)})

    run("whole", 5)
    run("split", 2)
    run("split", 5, resume=True)
    whole, split = (load_checkpoint(tmp_path / p / "checkpoint.pt") for p in ("whole", "split"))
    assert whole["step"] == split["step"] == 5
    for name in ("G", "D"):
        assert state_equal(whole["nets"][name], split["nets"][name]), name
        a, b = whole["optimizers"][name]["state"], split["optimizers"][name]["state"]
        assert a.keys() == b.keys() and all(torch.equal(a[i][k], b[i][k]) for i in a for k in a[i]), name


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
