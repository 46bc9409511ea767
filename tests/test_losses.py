"""Every loss against values computed by hand."""
import math

import pytest
import torch

from ganforge import losses as L


def t(*v: float) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float64)


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_bce_discriminator_loss_matches_log_likelihood() -> None:
    real, fake = t(2.0, -1.0), t(0.5, -3.0)
    expected = -(math.log(sig(2.0)) + math.log(sig(-1.0))) / 2 - (math.log(1 - sig(0.5)) + math.log(1 - sig(-3.0))) / 2
    assert L.d_loss_bce(real, fake).item() == pytest.approx(expected, rel=1e-12)


def test_minimax_and_nonsaturating_generator_losses() -> None:
    fake = t(0.5, -3.0)
    assert L.g_loss_minimax(fake).item() == pytest.approx((math.log(1 - sig(0.5)) + math.log(1 - sig(-3.0))) / 2)
    assert L.g_loss_nonsaturating(fake).item() == pytest.approx(-(math.log(sig(0.5)) + math.log(sig(-3.0))) / 2)


def test_saturating_loss_gradient_vanishes_when_d_rejects_fakes() -> None:
    # the reason for the non-saturating loss: at D(G(z)) ~ 0 the minimax gradient is ~0
    fake = torch.tensor([-10.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(L.g_loss_minimax(fake), fake)
    (g_ns,) = torch.autograd.grad(L.g_loss_nonsaturating(fake), fake)
    assert abs(g_mm.item()) < 1e-4 and abs(g_ns.item()) > 0.99


def test_wasserstein_hinge_lsgan() -> None:
    real, fake = t(2.0, 0.0), t(-1.0, 3.0)
    assert L.d_loss_wasserstein(real, fake).item() == pytest.approx(1.0 - 1.0)
    assert L.g_loss_wasserstein(fake).item() == pytest.approx(-1.0)
    # hinge: relu(1-2)=0, relu(1-0)=1 -> 0.5 ; relu(1-1)=0, relu(1+3)=4 -> 2
    assert L.d_loss_hinge(real, fake).item() == pytest.approx(2.5)
    assert L.g_loss_hinge(fake).item() == pytest.approx(-1.0)
    # lsgan: 0.5*mean((1,1)) + 0.5*mean((1, 9)) = 0.5 + 2.5
    assert L.d_loss_lsgan(real, fake).item() == pytest.approx(3.0)
    assert L.g_loss_lsgan(fake).item() == pytest.approx(0.5 * (4 + 4) / 2)


def test_gradient_penalty_of_linear_critic() -> None:
    # f(x) = w.x has gradient w everywhere: penalty = (||w|| - 1)^2
    w = torch.tensor([3.0, 4.0])
    critic = lambda x: x @ w  # noqa: E731
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    assert L.gradient_penalty(critic, real, fake).item() == pytest.approx(16.0)


def test_r1_penalty_of_quadratic_discriminator() -> None:
    # D(x) = sum(x^2) -> grad 2x -> ||grad||^2 = 4 ||x||^2
    x = torch.tensor([[1.0, 2.0], [0.0, 1.0]], requires_grad=True)
    logits = (x ** 2).sum(1)
    assert L.r1_penalty(logits, x).item() == pytest.approx((4 * 5 + 4 * 1) / 2)


def test_clip_weights() -> None:
    net = torch.nn.Linear(4, 4)
    with torch.no_grad():
        net.weight.mul_(100)
    L.clip_weights(net, 0.01)
    assert net.weight.abs().max().item() <= 0.01 and net.bias.abs().max().item() <= 0.01


def test_losses_average_patch_logits() -> None:
    real, fake = torch.zeros(2, 3, 3), torch.zeros(2, 3, 3)
    assert L.d_loss_bce(real, fake).item() == pytest.approx(2 * math.log(2))


def test_registry_lists_and_rejects_unknown() -> None:
    assert {"minimax", "nonsaturating", "wasserstein", "hinge", "lsgan"} <= set(L.LOSSES)
    with pytest.raises(ValueError, match="Did you mean 'hinge'"):
        L.LOSSES.get("hinj")
