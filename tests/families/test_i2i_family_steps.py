"""Each image-to-image family's phases, 3 iterations on one batch with tiny nets: finite
losses in the papers' proportions, weights move, frozen networks are left as they were, every
update goes through ``Family.update``, and ``--precision bf16`` reaches every G and D forward."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ganforge.errors import GanforgeError
from ganforge.families.inpaint import masked_l1
from ganforge.families.srgan import content_loss
from ganforge.families.translation import adversarial
from gf_family import build_family, first_batch, output_dtypes, run_iteration


def snapshot(*nets: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for n in nets for p in n.parameters()]


def moved(before: list[torch.Tensor], *nets: nn.Module) -> bool:
    after = [p.detach() for n in nets for p in n.parameters()]
    return all(not torch.equal(b, a) for b, a in zip(before, after) if b.numel() > 1) and len(before) == len(after)


def all_requires_grad(*nets: nn.Module) -> bool:
    return all(p.requires_grad for n in nets for p in n.parameters())


def check(stats: dict, keys: set[str]) -> dict[str, float]:
    """The stats as floats, after checking they hold ``keys`` and are finite."""
    assert keys <= set(stats), (keys, set(stats))
    out = {k: float(v) for k, v in stats.items()}
    assert all(math.isfinite(v) for v in out.values()), out
    return out


@pytest.mark.parametrize("loss", ["nonsaturating", "lsgan"])
def test_pix2pix_phases(loss: str) -> None:
    fam, ds = build_family("pix2pix", **{"train.loss": loss})
    G, D = fam.nets["G"], fam.nets["D"]
    batch = first_batch(ds, 4)
    g0, d0 = snapshot(G), snapshot(D)
    l1 = []
    for _ in range(3):
        stats = check(run_iteration(fam, batch), {"d_loss", "d_real", "d_fake", "g_loss", "g_adv", "g_l1"})
        assert stats["g_loss"] == pytest.approx(stats["g_adv"] + 100 * stats["g_l1"], rel=1e-5)
        l1.append(stats["g_l1"])
    assert moved(g0, G) and moved(d0, D) and all_requires_grad(G, D)
    assert l1[-1] < l1[0]  # lambda = 100 drives L1 down on a fixed batch
    assert fam.iteration == 3


def test_cyclegan_phases_fill_the_pools() -> None:
    fam, ds = build_family("cyclegan", **{"options.pool_size": 50})
    nets = [fam.nets[k] for k in ("G", "G_BA", "D_A", "D_B")]
    batch = first_batch(ds, 2)
    before = snapshot(*nets)
    for _ in range(3):
        stats = check(run_iteration(fam, batch), {"g_loss", "g_adv_ab", "g_adv_ba", "cycle_a", "cycle_b", "idt_a",
                                                  "idt_b", "d_a", "d_b", "d_loss"})
        expected = (stats["g_adv_ab"] + stats["g_adv_ba"] + 10 * (stats["cycle_a"] + stats["cycle_b"])
                    + 5 * (stats["idt_a"] + stats["idt_b"]))
        assert stats["g_loss"] == pytest.approx(expected, rel=1e-5)
        assert stats["d_loss"] == pytest.approx(stats["d_a"] + stats["d_b"], rel=1e-6)
    assert moved(before, *nets) and all_requires_grad(*nets)
    assert len(fam.pool_a) == len(fam.pool_b) == 6


def test_cyclegan_without_identity_loss_across_channel_counts() -> None:
    """A gray -> colour task: the identity loss needs equal channels (an error names the option),
    without it the phases train."""
    with pytest.raises(GanforgeError, match="lambda_identity"):
        build_family("cyclegan", **{"data.name": "mnist-colorize"})
    fam, ds = build_family("cyclegan", **{"data.name": "mnist-colorize", "options.lambda_identity": 0.0})
    stats = check(run_iteration(fam, first_batch(ds, 2)), {"cycle_a", "cycle_b"})
    assert "idt_a" not in stats


class TinyFeatures(nn.Module):
    """A small random conv net standing in for the MNIST classifier's feature extractor."""

    def __init__(self, maps: bool) -> None:
        super().__init__()
        self.maps = maps
        self.c1 = nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.ReLU())
        self.c2 = nn.Sequential(nn.Conv2d(4, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        h1 = self.c1(x)
        h2 = self.c2(h1)
        return [h1, h2] if self.maps else h2.flatten(1)


@pytest.mark.parametrize("features", ["maps", "vector", None])
def test_srgan_pretrain_then_adversarial(features) -> None:
    fam, ds = build_family("srgan", **{"options.pretrain_steps": 3, "options.content": "pixel"})
    G, D = fam.nets["G"], fam.nets["D"]
    phi = None if features is None else TinyFeatures(maps=features == "maps")
    fam.features = phi
    batch = first_batch(ds, 4)
    g0, d0 = snapshot(G), snapshot(D)
    mse = [check(run_iteration(fam, batch), {"mse"})["mse"] for _ in range(3)]
    assert mse[-1] < mse[0] and moved(g0, G)
    assert all(torch.equal(a, b) for a, b in zip(d0, snapshot(D)))  # D idle while pre-training
    g1, d1 = snapshot(G), snapshot(D)
    phi_before = snapshot(phi) if phi is not None else []
    if phi is not None:
        phi.train()
    for _ in range(3):
        stats = check(run_iteration(fam, batch), {"d_loss", "g_loss", "g_content", "g_adv"})
        assert "mse" not in stats
        assert stats["g_loss"] == pytest.approx(stats["g_content"] + 1e-3 * stats["g_adv"], rel=1e-5)
    assert moved(g1, G) and moved(d1, D) and all_requires_grad(G, D)
    if phi is not None:  # the extractor is used frozen, in eval mode, and left as it was
        assert all(torch.equal(a, b) for a, b in zip(phi_before, snapshot(phi)))
        assert all(p.grad is None for p in phi.parameters()) and phi.training and all_requires_grad(phi)


def test_content_loss_accepts_a_bound_method() -> None:
    class Clf(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = TinyFeatures(maps=False)

        def features(self, x):
            return self.body(x)

    clf = Clf()
    gen = torch.Generator().manual_seed(0)
    fake = (torch.rand(2, 1, 28, 28, generator=gen) * 2 - 1).requires_grad_(True)
    loss = content_loss(clf.features, fake, torch.rand(2, 1, 28, 28, generator=gen) * 2 - 1)
    loss.backward()
    assert loss.item() > 0 and fake.grad is not None and all(p.grad is None for p in clf.parameters())


def test_inpaint_phase() -> None:
    fam, ds = build_family("inpaint")
    G, D = fam.nets["G"], fam.nets["D"]
    batch = first_batch(ds, 4)
    g0, d0 = snapshot(G), snapshot(D)
    rec = []
    for _ in range(3):
        stats = check(run_iteration(fam, batch), {"d_loss", "g_loss", "g_rec", "g_adv"})
        assert stats["g_loss"] == pytest.approx(0.999 * stats["g_rec"] + 0.001 * stats["g_adv"], rel=1e-5)
        rec.append(stats["g_rec"])
    assert moved(g0, G) and moved(d0, D) and all_requires_grad(G, D)
    assert rec[-1] < rec[0]


def test_masked_l1_counts_only_the_hole() -> None:
    real = torch.zeros(1, 2, 4, 4)
    fake = torch.ones(1, 2, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :2] = 1
    fake[..., 2:, 2:] = 50.0  # outside the hole: ignored
    assert masked_l1(fake, real, mask).item() == pytest.approx(1.0)


def test_unknown_adversarial_loss() -> None:
    with pytest.raises(GanforgeError, match="unknown loss 'nope'.*lsgan.*nonsaturating"):
        adversarial("nope")


def test_adversarial_scaling_matches_the_papers_code() -> None:
    """D: the mean of the two criteria; G: the full criterion (plain MSE for lsgan)."""
    real, fake = torch.tensor([0.5, 2.0]), torch.tensor([-1.0, 0.3])
    bce = adversarial("nonsaturating")
    crit = nn.functional.binary_cross_entropy_with_logits
    expected_d = 0.5 * (crit(real, torch.ones(2)) + crit(fake, torch.zeros(2)))
    assert bce.d(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-6)
    assert bce.g(fake).item() == pytest.approx(crit(fake, torch.ones(2)).item(), rel=1e-6)
    ls = adversarial("lsgan")
    mse = nn.functional.mse_loss
    assert ls.d(real, fake).item() == pytest.approx(0.5 * (mse(real, torch.ones(2)) + mse(fake, torch.zeros(2))).item())
    assert ls.g(fake).item() == pytest.approx(mse(fake, torch.ones(2)).item())
    # logits from a bf16 forward give a float loss
    assert ls.d(real.bfloat16(), fake.bfloat16()).dtype == torch.float32


UPDATES = {"pix2pix": ["D", "G"], "cyclegan": ["G", "D"], "srgan": ["D", "G"], "inpaint": ["D", "G"]}


@pytest.mark.parametrize("family", list(UPDATES))
def test_every_update_goes_through_family_update(family: str, monkeypatch) -> None:
    """The phases hand each loss to ``Family.update`` (precision, scaler, all-reduce, step), in
    the papers' order, and declare the losses they report."""
    fam, ds = build_family(family, **{"options.pretrain_steps": 0} if family == "srgan" else {})
    calls = []
    real_update = fam.update

    def update(opt_name, loss, **kw):
        calls.append(opt_name)
        assert loss.dtype == torch.float32 and loss.dim() == 0
        return real_update(opt_name, loss, **kw)

    monkeypatch.setattr(fam, "update", update)
    stats = run_iteration(fam, first_batch(ds, 2))
    assert calls == UPDATES[family]
    declared = {name for phase in fam.phases() for name in phase.losses}
    assert {"g_loss", "d_loss"} <= declared and {"g_loss", "d_loss"} <= set(stats)


NETS = {"pix2pix": ("G", "D"), "cyclegan": ("G", "G_BA", "D_A", "D_B"), "srgan": ("G", "D"), "inpaint": ("G", "D")}


def watched(fam, name: str) -> nn.Module:
    """The module whose output shows the precision of net ``name``: the net itself, except the
    inpainting generator, whose output pastes the known pixels (in the input's dtype) around
    the hole its decoder paints."""
    net = fam.nets[name]
    return net.decoder if fam.cfg.family == "inpaint" and name == "G" else net


@pytest.mark.parametrize("family", list(NETS))
@pytest.mark.parametrize("precision,dtype", [("bf16", torch.bfloat16), ("fp32", torch.float32)])
def test_precision_reaches_every_forward(family: str, precision: str, dtype: torch.dtype) -> None:
    overrides = {"train.precision": precision, **({"options.pretrain_steps": 0} if family == "srgan" else {})}
    fam, ds = build_family(family, **overrides)
    seen = output_dtypes(fam, first_batch(ds, 2), {k: watched(fam, k) for k in NETS[family]})
    assert seen == {k: {dtype} for k in NETS[family]}
