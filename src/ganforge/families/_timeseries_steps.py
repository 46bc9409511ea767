"""Training steps of the recurrent time-series GAN (nets ``rnn_g`` / ``rnn_d``).

Pure functions: nets, optimizer, a batch dict (``x`` (N, T, F); ``y`` (N,) labels or ``context``
(N, Tc, F) when the nets are conditional) -> dict of floats. The generic loop wires them as the
``D`` and ``G`` phases of the ``timeseries`` family (:mod:`ganforge.families.timeseries`),
which computes the same losses with :func:`d_losses` / :func:`g_losses` and steps through
``Family.update`` (distributed averaging, mixed precision).

Loss: the non-saturating GAN loss (Goodfellow et al. 2014, sec. 3), as in RCGAN (Esteban et al.
2017) and TimeGAN's adversarial part. Why not WGAN-GP: a gradient penalty needs the gradient
of the critic's gradient, and cuDNN's fused LSTM/GRU kernels do not support double backward,
so on a GPU the recurrent critic would have to fall back to slow non-cuDNN kernels; the
non-saturating loss needs first-order gradients only.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..losses import d_loss_bce, g_loss_nonsaturating


def condition(G: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor | None:
    """The conditioning input for G and D from a batch: labels ``y``, the past ``context``, or None."""
    if getattr(G, "num_classes", 0):
        return batch["y"]
    if getattr(G, "context_len", 0):
        return batch["context"]
    return None


def fake_windows(G: nn.Module, n: int, c: torch.Tensor | None, device: torch.device | str,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """n generated windows (n, T, F) of the generator's own length."""
    return G(G.sample_latent(n, generator=generator, device=device), c)


def d_losses(G: nn.Module, D: nn.Module, batch: dict[str, torch.Tensor],
             generator: torch.Generator | None = None,
             d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = d_loss_bce,
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The discriminator's loss on a batch (with gradients into D only) and its logits on the
    real and generated windows: ``(loss, real_logits (N,), fake_logits (N,))``."""
    x = batch["x"]
    c = condition(G, batch)
    with torch.no_grad():
        fake = fake_windows(G, x.shape[0], c, x.device, generator)
    real_logits, fake_logits = D(x, c), D(fake, c)
    return d_loss(real_logits, fake_logits), real_logits, fake_logits


def g_losses(G: nn.Module, D: nn.Module, batch: dict[str, torch.Tensor],
             generator: torch.Generator | None = None,
             g_loss: Callable[[torch.Tensor], torch.Tensor] = g_loss_nonsaturating,
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """The generator's loss on a batch (gradients flow through D into G) and D's logits on the
    generated windows: ``(loss, fake_logits (N,))``."""
    x = batch["x"]
    c = condition(G, batch)
    fake_logits = D(fake_windows(G, x.shape[0], c, x.device, generator), c)
    return g_loss(fake_logits), fake_logits


def d_step(G: nn.Module, D: nn.Module, opt_d: torch.optim.Optimizer, batch: dict[str, torch.Tensor],
           generator: torch.Generator | None = None) -> dict[str, float]:
    """One discriminator update: minimise softplus(-D(real)) + softplus(D(fake)).

    Returns loss_d, d_real / d_fake (mean sigmoid outputs, in [0, 1]) and acc (share of windows
    classified correctly at threshold 0).
    """
    loss, real_logits, fake_logits = d_losses(G, D, batch, generator)
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    acc = 0.5 * ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean())
    return {"loss_d": loss.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item(), "acc": acc.item()}


def g_step(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, batch: dict[str, torch.Tensor],
           generator: torch.Generator | None = None) -> dict[str, float]:
    """One generator update: minimise softplus(-D(G(z, c))) (the non-saturating loss).

    Only G's parameters are stepped; D's gradients from this step are cleared by the next
    ``d_step``'s zero_grad.
    """
    loss, _ = g_losses(G, D, batch, generator)
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    return {"loss_g": loss.item()}
