"""The timeseries family's phases on (12, 2) windows: plain, labelled and with a past; its
precision. Exact resume is checked by tests/families/test_family_contract.py."""
import pytest
import torch

from ganforge.data.base import DataInfo
from ganforge.errors import GanforgeError
from gf_family import build_family, output_dtypes
from gf_series import CASES
from gf_series import series_batch as _batch


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
