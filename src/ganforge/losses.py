"""Adversarial losses and penalties as small pure functions of logits (and, for penalties,
of inputs and the network).

Notation: ``real`` = D(x) and ``fake`` = D(G(z)) are raw logits (or critic values for the
Wasserstein loss), of any shape; every loss averages over all elements, so patch
discriminators work unchanged. With D(x) = sigmoid(logit), the identities
``log D = -softplus(-logit)`` and ``log(1 - D) = -softplus(logit)`` give numerically stable
forms of the log-likelihood losses.

Weights and schedules (lambda for gradient penalties, n_critic, clipping value) belong to the
caller, i.e. the family.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .registry import Registry


# --- the original GAN (Goodfellow et al. 2014) -------------------------------------------

def d_loss_bce(real: Tensor, fake: Tensor) -> Tensor:
    """Discriminator loss of the original GAN, eq. (1): -E[log D(x)] - E[log(1 - D(G(z)))]."""
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def g_loss_minimax(fake: Tensor) -> Tensor:
    """Saturating generator loss of eq. (1): minimise E[log(1 - D(G(z)))].

    Its gradient vanishes when D confidently rejects fakes (D(G(z)) -> 0), which is why the
    paper recommends the non-saturating loss in practice (section 3).
    """
    return -F.softplus(fake).mean()


def g_loss_nonsaturating(fake: Tensor) -> Tensor:
    """Non-saturating generator loss (Goodfellow et al. 2014, section 3): maximise E[log D(G(z))]."""
    return F.softplus(-fake).mean()


# --- Wasserstein GAN (Arjovsky et al. 2017; Gulrajani et al. 2017) ------------------------

def d_loss_wasserstein(real: Tensor, fake: Tensor) -> Tensor:
    """Critic loss, Algorithm 1 of WGAN: E[f(G(z))] - E[f(x)] (the negated Wasserstein estimate)."""
    return fake.mean() - real.mean()


def g_loss_wasserstein(fake: Tensor) -> Tensor:
    """Generator loss of WGAN: -E[f(G(z))]."""
    return -fake.mean()


def clip_weights(net: nn.Module, clip: float) -> None:
    """WGAN weight clipping to [-clip, clip] (Algorithm 1, line 7), in place."""
    with torch.no_grad():
        for p in net.parameters():
            p.clamp_(-clip, clip)


def _interpolate(real: Tensor, fake: Tensor, generator: torch.Generator | None = None) -> Tensor:
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, device="cpu").to(real.device, real.dtype)
    return (eps * real + (1 - eps) * fake).requires_grad_(True)


def gradient_penalty(critic: Callable[..., Tensor], real: Tensor, fake: Tensor, c: Tensor | None = None,
                     target: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """WGAN-GP penalty, Gulrajani et al. 2017 eq. (3): E[(||grad_x f(x_hat)||_2 - 1)^2], with
    x_hat uniformly on lines between real and fake samples. Multiply by lambda (10) outside.
    The mixing weights come from ``generator`` (a CPU generator) or the global CPU RNG."""
    x_hat = _interpolate(real.detach(), fake.detach(), generator)
    out = critic(x_hat, c) if c is not None else critic(x_hat)
    (grad,) = torch.autograd.grad(out.float().sum(), x_hat, create_graph=True)
    return ((grad.float().flatten(1).norm(2, dim=1) - target) ** 2).mean()


# --- hinge (Lim & Ye 2017; Miyato et al. 2018) --------------------------------------------

def d_loss_hinge(real: Tensor, fake: Tensor) -> Tensor:
    """Hinge discriminator loss: E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]."""
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def g_loss_hinge(fake: Tensor) -> Tensor:
    """Hinge generator loss: -E[D(G(z))]."""
    return -fake.mean()


# --- least squares (Mao et al. 2017, eq. (9) with a=0, b=c=1) -----------------------------

def d_loss_lsgan(real: Tensor, fake: Tensor) -> Tensor:
    """LSGAN discriminator loss: 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]."""
    return 0.5 * ((real - 1.0) ** 2).mean() + 0.5 * (fake ** 2).mean()


def g_loss_lsgan(fake: Tensor) -> Tensor:
    """LSGAN generator loss: 1/2 E[(D(G(z)) - 1)^2]."""
    return 0.5 * ((fake - 1.0) ** 2).mean()


# --- R1 (Mescheder et al. 2018, eq. (9)) --------------------------------------------------

def r1_penalty(real_logits: Tensor, real: Tensor) -> Tensor:
    """R1 penalty E[||grad_x D(x)||^2] on real data. ``real`` must have requires_grad=True
    before D was applied. Multiply by gamma / 2 outside."""
    (grad,) = torch.autograd.grad(real_logits.float().sum(), real, create_graph=True)
    return grad.float().pow(2).flatten(1).sum(1).mean()


@dataclass(frozen=True)
class AdversarialLoss:
    """A pair (discriminator loss, generator loss) selected by name with ``--loss``."""

    d: Callable[[Tensor, Tensor], Tensor]
    g: Callable[[Tensor], Tensor]
    probabilistic: bool  # True when sigmoid(logit) is a probability of "real" (for D(x) reporting)


LOSSES: Registry[AdversarialLoss] = Registry("loss")
LOSSES.register("minimax", AdversarialLoss(d_loss_bce, g_loss_minimax, True),
                help="original GAN: BCE for D, saturating log(1 - D(G(z))) for G (Goodfellow et al. 2014)")
LOSSES.register("nonsaturating", AdversarialLoss(d_loss_bce, g_loss_nonsaturating, True),
                help="BCE for D, -log D(G(z)) for G: the practical GAN loss (Goodfellow et al. 2014, sec. 3)")
LOSSES.register("wasserstein", AdversarialLoss(d_loss_wasserstein, g_loss_wasserstein, False),
                help="Wasserstein critic loss; needs clipping (wgan) or a gradient penalty (wgan-gp)")
LOSSES.register("hinge", AdversarialLoss(d_loss_hinge, g_loss_hinge, False),
                help="hinge loss (Lim & Ye 2017), used by SNGAN, SAGAN and BigGAN")
LOSSES.register("lsgan", AdversarialLoss(d_loss_lsgan, g_loss_lsgan, False),
                help="least squares (Mao et al. 2017), used by CycleGAN")

PENALTIES: Registry[Callable[..., Tensor]] = Registry("penalty")
PENALTIES.register("gp", gradient_penalty, help="WGAN-GP gradient penalty (Gulrajani et al. 2017), weight --gp-weight")
PENALTIES.register("r1", r1_penalty, help="R1 penalty on real data (Mescheder et al. 2018), weight --r1-gamma / 2")
PENALTIES.register("clip", clip_weights, help="WGAN weight clipping to [-c, c] after each critic step, --clip")
