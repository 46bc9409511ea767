"""``stylegan``: a StyleGAN2-style GAN (Karras et al. 2019, 2020).

Phases per iteration (the whole objective of the method is in this module):

- D: the logistic loss ``softplus(D(G(z))) + softplus(-D(x))`` on style-mixed fakes;
- R1 (every ``r1_interval`` iterations, 16; reuses the D step's batch): lazy R1 on reals,
  ``gamma / 2 * E[||grad_x D(x)||^2] * r1_interval`` (StyleGAN2 section 3.1; gamma is
  ``train.r1_gamma``); multiplying by the interval keeps its strength equal to running it
  every iteration;
- G: the non-saturating loss ``softplus(-D(G(z)))`` on style-mixed fakes;
- PL (every ``pl_interval`` iterations, 4, when ``--option pl_weight`` > 0; 2 in the paper):
  lazy path-length regularization (StyleGAN2 section 3.2, eq. 4)
  ``E_w,y[(||J_w^T y||_2 - a)^2] * pl_weight * pl_interval`` with y ~ N(0, I) / sqrt(HW) and a
  the running mean of the path lengths (rate ``pl_decay``), on N / ``pl_batch_shrink`` samples.

Style mixing (StyleGAN section 3.1): with probability ``style_mixing_prob`` (one draw per
batch, as in the reference code) the ws from a second latent replace those of the layers from
a random cutoff in [1, num_ws) on. The Adam settings of the lazily regularised nets are rescaled
as in StyleGAN2 appendix B (:func:`lazy_regularization_adam`). G EMA is on by default.
Sampling: ``--truncation PSI`` (psi in [0, 1]); ``ganforge mix`` for style mixing.

Random draws (latents, mixing, noise inputs, DiffAugment, the path-length y) come from the
global RNG, which the checkpoint saves; the running path-length mean is family state
(:meth:`StyleGANFamily.extra_state`); so a resumed run continues exactly. D and G steps run under
autocast; the R1 and PL forwards under ``penalty_autocast`` (see :mod:`ganforge.families._image_base`). The
G steps call ``G.mapping`` and ``G.synthesis`` (mixing happens between them), not ``G(z)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ..errors import GanforgeError
from ..losses import d_loss_bce, g_loss_nonsaturating, r1_penalty
from ._image_base import IMAGE_SMOKE, ImageFamily, next_power_of_two
from .base import Phase, frozen, make_optimizer, register_family


@dataclass(frozen=True)
class StyleGANOptions:
    """style_mixing_prob: share of batches made from two latents [0.9]; r1_interval: lazy R1
    every k iterations [16] (R1 gamma is train.r1_gamma); pl_weight: path-length weight [0 = off;
    2 in the paper]; pl_interval [4]; pl_decay [0.01]; pl_batch_shrink [2]; conditional: label
    embedding in the mapping network and a projection D (default false)."""

    style_mixing_prob: float = 0.9
    r1_interval: int = 16
    pl_weight: float = 0.0
    pl_interval: int = 4
    pl_decay: float = 0.01
    pl_batch_shrink: int = 2
    conditional: bool = False


def lazy_regularization_adam(lr: float, betas: tuple[float, float], interval: int) -> tuple[float, tuple[float, float]]:
    """Adam hyper-parameters for a net regularised every ``interval`` steps (StyleGAN2 appendix
    B): the optimizer then runs ``interval + 1`` times per ``interval`` steps, so lr and betas
    are scaled by ``c = interval / (interval + 1)``: ``(lr c, (beta1^c, beta2^c))``."""
    c = interval / (interval + 1)
    return lr * c, (betas[0] ** c, betas[1] ** c)


class StyleGANFamily(ImageFamily):
    """StyleGAN2-style training: mixing, lazy R1, optional path length, EMA."""

    @classmethod
    def image_side(cls, side: int) -> int:
        """Powers of two >= 8 only: 28 px MNIST is resized to 32."""
        return next_power_of_two(side, 8)

    options_cls = StyleGANOptions
    width_kwarg = "channel_max"
    required_loss = "nonsaturating"

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        o, t = self.opts, cfg.train
        self.check_options(positive=("r1_interval", "pl_interval", "pl_batch_shrink"), unit=("style_mixing_prob",))
        if t.r1_interval is not None:
            raise GanforgeError(f"train.r1_interval = {t.r1_interval}: stylegan runs R1 as its own phase; set its "
                                f"interval with --option r1_interval=K (16 by default)")
        # lazily regularised nets: the optimizer runs interval + 1 times per interval iterations
        betas = t.betas or (0.0, 0.99)
        for name, interval, on in (("D", o.r1_interval, self.r1_gamma > 0), ("G", o.pl_interval, o.pl_weight > 0)):
            if on:
                lr, b = lazy_regularization_adam(t.lr_d if name == "D" else t.lr_g, betas, interval)
                params = [p for p in self.nets[name].parameters() if p.requires_grad]
                self.optimizers[name] = make_optimizer(t.optimizer or "adam", params, lr, b)
        #: running mean of the path lengths (the ``a`` of eq. 4), checkpointed in extra_state
        self.pl_mean = torch.zeros((), device=device)

    def phases(self) -> list[Phase]:
        o = self.opts
        phases = [Phase("D", self.d_step, repeat=self.cfg.train.d_steps, losses=("d_loss",))]
        if self.r1_gamma > 0:
            phases.append(Phase("R1", self.r1_step, every=o.r1_interval, uses_data=False, losses=("r1",)))
        phases.append(Phase("G", self.g_step, uses_data=False, losses=("g_loss",)))
        if o.pl_weight > 0:
            phases.append(Phase("PL", self.pl_step, every=o.pl_interval, uses_data=False, losses=("pl_penalty",)))
        return phases

    def latents(self, n: int, c: Tensor | None, update_w_avg: bool = True) -> Tensor:
        """ws (n, num_ws, w_dim) with style mixing (one draw per batch from the global RNG)."""
        G = self.nets["G"]
        ws = G.mapping(G.sample_latent(n, device=self.device), c, update_w_avg=update_w_avg)
        p = self.opts.style_mixing_prob
        if p > 0 and float(torch.rand(())) < p:
            cutoff = int(torch.randint(1, ws.shape[1], ()))
            ws2 = G.mapping(G.sample_latent(n, device=self.device), c, update_w_avg=False)
            ws = torch.cat([ws[:, :cutoff], ws2[:, cutoff:]], dim=1)
        return ws

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Logistic D loss on ``batch["x"]`` (N, C, H, W) in [-1, 1] against N mixed-style fakes."""
        G, D = self.nets["G"], self.nets["D"]
        x, c = batch["x"], self._labels(batch)
        fake = self.make_fakes(batch, lambda: G.synthesis(self.latents(x.shape[0], c), "random"))
        with self.autocast():
            real_logits, fake_logits = D(self.aug(x), c).float(), D(self.aug(fake), c).float()
        loss = d_loss_bce(real_logits, fake_logits)
        self.update("D", loss)
        # D(x) and D(G(z)) as probabilities of "real", as the other logistic-loss families report them
        return {"d_loss": loss.detach(), "d_real": torch.sigmoid(real_logits.detach()).mean(),
                "d_fake": torch.sigmoid(fake_logits.detach()).mean()}

    def r1_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Lazy R1 on the last real batch; the gradient is taken with respect to the un-augmented
        reals through the augmentation. Forward precision: :meth:`Family.penalty_autocast`."""
        D = self.nets["D"]
        x = batch["x"].detach().requires_grad_(True)
        with self.penalty_autocast():
            r1 = r1_penalty(D(self.aug(x), self._labels(batch)), x)
        self.update("D", r1 * (self.r1_gamma / 2) * self.opts.r1_interval)
        return {"r1": r1.detach()}

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Non-saturating G loss on N mixed-style fakes (N = the last batch's size)."""
        G, D = self.nets["G"], self.nets["D"]
        c = self._labels(batch)
        fake = self.make_fakes(batch, lambda: G.synthesis(self.latents(batch["x"].shape[0], c), "random"), for_g=True)
        with frozen(D), self.autocast():
            loss = g_loss_nonsaturating(D(self.aug(fake), c).float())
        return {"g_loss": loss.detach(), "g_grad_norm": self.update("G", loss, grad_norm=True)}

    def pl_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Lazy path-length regularization on N / pl_batch_shrink samples; updates ``pl_mean``.
        Forward precision: :meth:`Family.penalty_autocast`; the lengths are reduced in fp32."""
        o, G = self.opts, self.nets["G"]
        n = max(1, batch["x"].shape[0] // o.pl_batch_shrink)
        c = self._labels(batch)
        with self.penalty_autocast():
            ws = self.latents(n, None if c is None else c[:n], update_w_avg=False)
            img = G.synthesis(ws, "random").float()
        y = torch.randn(img.shape, device=img.device) / math.sqrt(img.shape[2] * img.shape[3])
        (grad,) = torch.autograd.grad((img * y).sum(), ws, create_graph=True)
        lengths = grad.float().square().sum(dim=2).mean(dim=1).sqrt()  # (n,): averaged over the num_ws copies of w
        pl_mean = torch.lerp(self.pl_mean, lengths.detach().mean(), o.pl_decay)
        self.pl_mean = pl_mean.detach()
        penalty = (lengths - pl_mean).square().mean()
        self.update("G", penalty * o.pl_weight * o.pl_interval)
        return {"pl_penalty": penalty.detach(), "pl_mean": pl_mean.detach()}

    def extra_state(self) -> dict[str, Any]:
        return {"pl_mean": self.pl_mean.clone()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        if "pl_mean" in state:
            self.pl_mean = state["pl_mean"].to(self.device).clone()


register_family(
    "stylegan", StyleGANFamily,
    {"model": {"g_net": "stylegan_g", "d_net": "stylegan_d", "z_dim": 128},
     "train": {"loss": "nonsaturating", "d_steps": 1, "optimizer": "adam", "lr_g": 2.5e-3, "lr_d": 2.5e-3,
               "betas": (0.0, 0.99), "r1_gamma": 1.0, "ema": 0.999}},
    help="StyleGAN2-style (Karras et al. 2020): mapping net, modulated convs, noise, style mixing, lazy R1 "
         "every 16 steps, optional path length, G EMA; --truncation and `ganforge mix` at sampling",
    smoke={**IMAGE_SMOKE, "model.g_kwargs": {"w_dim": 8, "mapping_layers": 2, "channel_base": 64, "channel_max": 8},
           "model.d_kwargs": {"channel_base": 64, "channel_max": 8}, "options.pl_weight": 2.0,
           "options.pl_interval": 2})
