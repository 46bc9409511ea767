"""Each image-to-image training step, 3 times on tiny nets: finite losses, weights move,
frozen networks are left as they were."""
from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch import nn

from ganforge.errors import GanforgeError
from ganforge.families import _i2i_steps as steps
from ganforge.families._image_pool import ImagePool
from ganforge.nets import build_net


def snapshot(*nets: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for n in nets for p in n.parameters()]


def moved(before: list[torch.Tensor], *nets: nn.Module) -> bool:
    after = [p.detach() for n in nets for p in n.parameters()]
    return all(not torch.equal(b, a) for b, a in zip(before, after) if b.numel() > 1) and len(before) == len(after)


def all_requires_grad(*nets: nn.Module) -> bool:
    return all(p.requires_grad for n in nets for p in n.parameters())


def adam(*nets: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.Adam(itertools.chain(*(n.parameters() for n in nets)), lr=2e-4, betas=(0.5, 0.999))


def images(n: int, c: int, size: int, seed: int) -> torch.Tensor:
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def check(stats: dict[str, float], keys: set[str]) -> None:
    assert keys <= set(stats)
    assert all(isinstance(v, float) and math.isfinite(v) for v in stats.values()), stats


def test_pix2pix_step():
    torch.manual_seed(0)
    G = build_net("unet_g", in_shape=(1, 16, 16), out_channels=1, width=4)
    D = build_net("patchgan_d", in_shape=(1, 16, 16), cond_channels=1, width=4, n_layers=2)
    opt_g, opt_d = adam(G), adam(D)
    batch = {"a": images(4, 1, 16, 0), "b": images(4, 1, 16, 1)}
    g0, d0 = snapshot(G), snapshot(D)
    l1 = []
    for _ in range(3):
        stats = steps.pix2pix_step(G, D, opt_g, opt_d, batch)
        check(stats, {"d_loss", "d_real", "d_fake", "g_loss", "g_adv", "g_l1"})
        assert stats["g_loss"] == pytest.approx(stats["g_adv"] + 100 * stats["g_l1"], rel=1e-5)
        l1.append(stats["g_l1"])
    assert moved(g0, G) and moved(d0, D) and all_requires_grad(G, D)
    assert l1[-1] < l1[0]  # lambda = 100 drives L1 down on a fixed batch
    # the separate phases work too, with a conditional D
    check(steps.pix2pix_d_step(G, D, opt_d, batch), {"d_loss"})
    check(steps.pix2pix_g_step(G, D, opt_g, batch, adv="lsgan"), {"g_l1"})


def test_cyclegan_step():
    torch.manual_seed(0)
    G_ab = build_net("resnet_g", in_shape=(1, 16, 16), out_channels=1, width=4, n_blocks=1)
    G_ba = build_net("resnet_g", in_shape=(1, 16, 16), out_channels=1, width=4, n_blocks=1)
    D_a = build_net("patchgan_d", in_shape=(1, 16, 16), width=4, n_layers=2, norm="instance")
    D_b = build_net("patchgan_d", in_shape=(1, 16, 16), width=4, n_layers=2, norm="instance")
    opt_g, opt_d = adam(G_ab, G_ba), adam(D_a, D_b)
    pool_a, pool_b = ImagePool(50), ImagePool(50)
    batch = {"a": images(2, 1, 16, 0), "b": images(2, 1, 16, 1)}
    before = snapshot(G_ab, G_ba, D_a, D_b)
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        stats = steps.cyclegan_step(G_ab, G_ba, D_a, D_b, opt_g, opt_d, batch, pool_a, pool_b, generator=gen)
        check(stats, {"g_loss", "g_adv_ab", "g_adv_ba", "cycle_a", "cycle_b", "idt_a", "idt_b", "d_a", "d_b"})
        expected = (stats["g_adv_ab"] + stats["g_adv_ba"] + 10 * (stats["cycle_a"] + stats["cycle_b"])
                    + 5 * (stats["idt_a"] + stats["idt_b"]))
        assert stats["g_loss"] == pytest.approx(expected, rel=1e-5)
    assert moved(before, G_ab, G_ba, D_a, D_b) and all_requires_grad(G_ab, G_ba, D_a, D_b)
    assert len(pool_a) == len(pool_b) == 6


def test_cyclegan_identity_needs_equal_channels():
    G_ab = build_net("resnet_g", in_shape=(1, 8, 8), out_channels=3, width=4, n_blocks=1)
    G_ba = build_net("resnet_g", in_shape=(3, 8, 8), out_channels=1, width=4, n_blocks=1)
    D_a = build_net("patchgan_d", in_shape=(1, 8, 8), width=4, n_layers=1)
    D_b = build_net("patchgan_d", in_shape=(3, 8, 8), width=4, n_layers=1)
    batch = {"a": images(2, 1, 8, 0), "b": images(2, 3, 8, 1)}
    args = (G_ab, G_ba, D_a, D_b, adam(G_ab, G_ba), adam(D_a, D_b), batch, ImagePool(), ImagePool())
    with pytest.raises(GanforgeError, match="lambda_identity"):
        steps.cyclegan_step(*args)
    check(steps.cyclegan_step(*args, lambda_identity=0.0), {"cycle_a"})


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
def test_srgan_pretrain_and_step(features):
    torch.manual_seed(0)
    G = build_net("srgan_g", in_shape=(1, 7, 7), scale=4, width=8, n_blocks=1)
    D = build_net("srgan_d", in_shape=(1, 28, 28), width=4, n_stages=2, hidden=16)
    phi = None if features is None else TinyFeatures(maps=features == "maps")
    opt_g, opt_d = adam(G), adam(D)
    hr = images(4, 1, 28, 0)
    batch = {"a": nn.functional.avg_pool2d(hr, 4), "b": hr}
    g0 = snapshot(G)
    mse = [steps.srgan_pretrain_step(G, opt_g, batch)["mse"] for _ in range(3)]
    assert all(math.isfinite(m) for m in mse) and mse[-1] < mse[0] and moved(g0, G)
    g1, d1 = snapshot(G), snapshot(D)
    phi_before = snapshot(phi) if phi is not None else []
    if phi is not None:
        phi.train()
    for _ in range(3):
        stats = steps.srgan_step(G, D, opt_g, opt_d, batch, phi)
        check(stats, {"d_loss", "g_loss", "g_content", "g_adv"})
        assert stats["g_loss"] == pytest.approx(stats["g_content"] + 1e-3 * stats["g_adv"], rel=1e-5)
    assert moved(g1, G) and moved(d1, D) and all_requires_grad(G, D)
    if phi is not None:  # the extractor is used frozen, in eval mode, and left as it was
        assert all(torch.equal(a, b) for a, b in zip(phi_before, snapshot(phi)))
        assert all(p.grad is None for p in phi.parameters()) and phi.training and all_requires_grad(phi)


def test_content_loss_accepts_a_bound_method():
    class Clf(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = TinyFeatures(maps=False)

        def features(self, x):
            return self.body(x)

    clf = Clf()
    fake = images(2, 1, 28, 0).requires_grad_(True)
    loss = steps.content_loss(clf.features, fake, images(2, 1, 28, 1))
    loss.backward()
    assert loss.item() > 0 and fake.grad is not None and all(p.grad is None for p in clf.parameters())


def test_inpaint_step():
    torch.manual_seed(0)
    G = build_net("inpaint_g", in_shape=(1, 16, 16), width=8, dilations=[2])
    D = build_net("patchgan_d", in_shape=(1, 16, 16), cond_channels=1, width=4, n_layers=2)
    opt_g, opt_d = adam(G), adam(D)
    b = images(4, 1, 16, 0)
    mask = torch.zeros(4, 1, 16, 16)
    mask[:, :, 4:10, 5:11] = 1
    batch = {"a": b * (1 - mask), "b": b, "mask": mask}
    g0, d0 = snapshot(G), snapshot(D)
    rec = []
    for _ in range(3):
        stats = steps.inpaint_step(G, D, opt_g, opt_d, batch)
        check(stats, {"d_loss", "g_loss", "g_rec", "g_adv"})
        rec.append(stats["g_rec"])
    assert moved(g0, G) and moved(d0, D) and all_requires_grad(G, D)
    assert rec[-1] < rec[0]


def test_masked_l1_counts_only_the_hole():
    real = torch.zeros(1, 2, 4, 4)
    fake = torch.ones(1, 2, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :2] = 1
    fake[..., 2:, 2:] = 50.0  # outside the hole: ignored
    assert steps.masked_l1(fake, real, mask).item() == pytest.approx(1.0)


def test_unknown_adversarial_loss():
    G = build_net("unet_g", in_shape=(1, 8, 8), width=2)
    D = build_net("patchgan_d", in_shape=(1, 8, 8), cond_channels=1, width=2, n_layers=1)
    with pytest.raises(GanforgeError, match="unknown loss 'nope'.*lsgan.*nonsaturating"):
        steps.pix2pix_step(G, D, adam(G), adam(D), {"a": images(2, 1, 8, 0), "b": images(2, 1, 8, 1)}, adv="nope")


def test_adversarial_scaling_matches_the_papers_code():
    """D: the mean of the two criteria; G: the full criterion (plain MSE for lsgan)."""
    real, fake = torch.tensor([0.5, 2.0]), torch.tensor([-1.0, 0.3])
    bce = steps.adversarial("nonsaturating")
    crit = nn.functional.binary_cross_entropy_with_logits
    expected_d = 0.5 * (crit(real, torch.ones(2)) + crit(fake, torch.zeros(2)))
    assert bce.d(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-6)
    assert bce.g(fake).item() == pytest.approx(crit(fake, torch.ones(2)).item(), rel=1e-6)
    ls = steps.adversarial("lsgan")
    mse = nn.functional.mse_loss
    assert ls.d(real, fake).item() == pytest.approx(0.5 * (mse(real, torch.ones(2)) + mse(fake, torch.zeros(2))).item())
    assert ls.g(fake).item() == pytest.approx(mse(fake, torch.ones(2)).item())


def test_steps_accept_an_update_function():
    """Families pass ``update(loss)`` instead of an optimizer; it receives the loss to minimise."""
    torch.manual_seed(0)
    G = build_net("srgan_g", in_shape=(1, 4, 4), scale=2, width=4, n_blocks=1)
    opt = adam(G)
    seen = []

    def update(loss):
        seen.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()

    hr = images(2, 1, 8, 0)
    g0 = snapshot(G)
    stats = steps.srgan_pretrain_step(G, update, {"a": nn.functional.avg_pool2d(hr, 2), "b": hr})
    assert seen == [pytest.approx(stats["mse"])] and moved(g0, G)
