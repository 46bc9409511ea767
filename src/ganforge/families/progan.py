"""``progan``: progressive growing of GANs (Karras et al. 2018).

The growth schedule is a pure function of the iteration count
(:func:`ganforge.nets.progan.progan_schedule`): at the start of every iteration the D step sets
(level, alpha) on G and D; the loop's EMA copies buffers at each update, so the EMA generator
(the exported one) follows the same stage. The iteration count is checkpointed
(:meth:`ProGANFamily.extra_state`) and the stage buffers are part of the nets' state, so a run
resumed in the middle of a fade-in continues exactly.

Phases per iteration:

- D: WGAN-GP critic loss ``E[D(G(z))] - E[D(x)] + lambda GP + eps_drift E[D(x)^2]`` (appendix
  A.1; lambda = train.gp_weight, 10; eps_drift = ``--option drift``, 0.001), with the reals
  blended like G's output during a fade-in (:func:`ganforge.nets.progan.fade_real_images`);
- G: the adversarial family's WGAN generator step, ``-E[D(G(z))]``; it ends the iteration.

The gradient penalty's forward follows :meth:`Family.penalty_autocast` (bf16 under bf16, fp32 under fp16).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ..losses import d_loss_wasserstein, gradient_penalty
from ..nets.progan import fade_real_images, progan_schedule
from ._image_base import IMAGE_SMOKE, ImageFamily, next_power_of_two
from .base import Phase, register_family


@dataclass(frozen=True)
class ProGANOptions:
    """phase_steps: iterations per fade-in and per stabilisation phase (the paper: 800k images);
    drift: epsilon_drift of the E[D(x)^2] term; conditional: one-hot label in G and a projection
    term in D (default false)."""

    phase_steps: int = 1000
    drift: float = 0.001
    conditional: bool = False


class ProGANFamily(ImageFamily):
    """ProGAN: stage from the iteration count, WGAN-GP + drift D step, WGAN G step."""

    @classmethod
    def image_side(cls, side: int) -> int:
        """Powers of two >= 4 only: 28 px MNIST is resized to 32."""
        return next_power_of_two(side, 4)

    options_cls = ProGANOptions
    width_kwarg = "channel_max"
    required_loss = "wasserstein"

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        self.check_options(positive=("phase_steps",))
        self.iteration = 0
        self.set_stage()  # a fresh run starts at 4x4 (the EMA copy is made from G after this)

    def phases(self) -> list[Phase]:
        return [Phase("D", self.d_step, repeat=self.cfg.train.d_steps, losses=("d_loss", "gp", "drift")),
                Phase("G", self.g_step, uses_data=False, losses=("g_loss",))]

    def set_stage(self) -> tuple[int, float]:
        """Set G and D to the stage of ``self.iteration``; returns (level, alpha)."""
        G, D = self.nets["G"], self.nets["D"]
        level, alpha = progan_schedule(self.iteration, self.opts.phase_steps, G.max_level)
        G.set_stage(level, alpha)
        D.set_stage(level, alpha)
        return level, alpha

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Critic update on ``batch["x"]`` (N, C, H, W) in [-1, 1] (and ``y`` when conditional)."""
        level, alpha = self.set_stage()
        G, D = self.nets["G"], self.nets["D"]
        x, c = fade_real_images(batch["x"], level, alpha), self._labels(batch)
        fake = self.make_fakes(batch, lambda: G(G.sample_latent(x.shape[0], device=self.device), c))
        with self.autocast():
            x_in, fake_in = self.aug(x), self.aug(fake)
            real_logits, fake_logits = D(x_in, c).float(), D(fake_in, c).float()
        wgan = d_loss_wasserstein(real_logits, fake_logits)
        with self.penalty_autocast():  # see Family.penalty_autocast
            gp = gradient_penalty(D, x_in.float(), fake_in.float(), c)
        drift = real_logits.square().mean()
        self.update("D", wgan + self.gp_weight * gp + self.opts.drift * drift)
        return {"d_loss": wgan.detach(), "gp": gp.detach(), "drift": drift.detach(),
                "d_real": real_logits.detach().mean(), "d_fake": fake_logits.detach().mean(),
                "level": torch.tensor(float(level)), "alpha": torch.tensor(alpha)}

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        stats = super().g_step(batch)
        self.iteration += 1
        return stats

    def extra_state(self) -> dict[str, Any]:
        return {"iteration": self.iteration}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.iteration = int(state.get("iteration", 0))
        self.set_stage()


register_family(
    "progan", ProGANFamily,
    {"model": {"g_net": "progan_g", "d_net": "progan_d", "z_dim": 128},
     "train": {"loss": "wasserstein", "d_steps": 1, "optimizer": "adam", "lr_g": 1e-3, "lr_d": 1e-3,
               "betas": (0.0, 0.99), "gp_weight": 10.0, "ema": 0.999}},
    help="ProGAN (Karras et al. 2018): progressive growing with fade-in (--option phase_steps=N), minibatch "
         "stddev, equalized lr, pixelnorm, WGAN-GP + drift, G EMA",
    smoke={**IMAGE_SMOKE, "model.g_kwargs": {"channel_base": 64, "channel_max": 8},
           "model.d_kwargs": {"channel_base": 64, "channel_max": 8}, "options.phase_steps": 1})
