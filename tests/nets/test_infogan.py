"""InfoGAN specifics: latent layout, codes, Q head, mutual-information loss on hand values."""
from __future__ import annotations

import math

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.nets.infogan import code_layout, mutual_information_loss

from gf_tiny import build_pair


def test_layout_and_sampled_latents() -> None:
    G, D = build_pair("infogan")
    assert G.z_dim == 6 + 10 + 2
    assert [(c.name, c.kind, c.start, c.stop, c.q_start, c.q_stop) for c in G.codes] == [
        ("c1", "categorical", 6, 16, 0, 10), ("c2", "continuous", 16, 17, 0, 1), ("c3", "continuous", 17, 18, 1, 2)]
    assert D.codes == G.codes
    z = G.sample_latent(500, generator=torch.Generator().manual_seed(0))
    assert z[:, :6].abs().max() <= 1 and z[:, :6].min() < -0.9  # uniform noise on [-1, 1]
    onehot = z[:, 6:16]
    assert torch.equal(onehot.sum(1), torch.ones(500)) and set(onehot.unique().tolist()) == {0.0, 1.0}
    assert len(onehot.argmax(1).unique()) == 10
    assert z[:, 16:].abs().max() <= 1 and z[:, 16:].std() > 0.5
    assert G.code("c2").as_dict()["start"] == 16
    with pytest.raises(GanforgeError, match="c1, c2, c3"):
        G.code("c9")


def test_set_code() -> None:
    G, _ = build_pair("infogan32")
    z = G.sample_latent(3)
    z2 = G.set_code(z, "c2", 1)  # second categorical code, 4 values
    c2 = G.code("c2")
    assert torch.equal(z2[:, c2.start:c2.stop], torch.tensor([[0.0, 1, 0, 0]] * 3))
    assert torch.equal(z2[:, :c2.start], z[:, :c2.start]) and torch.equal(z2[:, c2.stop:], z[:, c2.stop:])
    z3 = G.set_code(z, "c3", torch.tensor([-2.0, 0.0, 2.0]))
    assert z3[:, G.code("c3").start].tolist() == [-2.0, 0.0, 2.0]
    with pytest.raises(GanforgeError, match="0..3"):
        G.set_code(z, "c2", 4)


def test_q_head_shapes_and_shared_pass() -> None:
    torch.manual_seed(0)
    _, D = build_pair("infogan32")
    D.eval()
    x = torch.randn(5, 3, 32, 32)
    cat, mean, log_std = D.q(x)
    assert cat.shape == (5, 7) and mean.shape == (5, 1) and log_std.shape == (5, 1)
    logits, (cat2, mean2, log_std2) = D.forward_with_q(x)
    assert torch.equal(logits, D(x)) and torch.equal(cat, cat2) and torch.equal(log_std, log_std2)
    _, D1 = build_pair("infogan")
    assert torch.equal(D1.q(torch.randn(3, 1, 28, 28))[2], torch.zeros(3, 2))  # fixed std by default


def test_mutual_information_loss_on_hand_values() -> None:
    codes = code_layout(noise_dim=1, categorical=[2], continuous=1)
    latent = torch.tensor([[0.3, 1.0, 0.0, 1.0], [0.3, 0.0, 1.0, 0.5]])  # noise | one-hot | continuous
    cat = torch.tensor([[0.0, 0.0], [0.0, math.log(3.0)]])  # p(target) = 1/2 and 3/4
    mean, log_std = torch.tensor([[0.0], [0.5]]), torch.tensor([[0.0], [math.log(2.0)]])
    ce = -(math.log(0.5) + math.log(0.75)) / 2
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    nll = ((0.5 + half_log_2pi) + (math.log(2.0) + 0.0 + half_log_2pi)) / 2  # (1-0)^2/2 ; (0.5-0.5)^2/8
    loss = mutual_information_loss(cat, mean, log_std, latent, codes)
    assert loss.item() == pytest.approx(ce + nll, abs=1e-6)
    weighted = mutual_information_loss(cat, mean, log_std, latent, codes, cat_weight=2.0, cont_weight=0.1)
    assert weighted.item() == pytest.approx(2 * ce + 0.1 * nll, abs=1e-6)
