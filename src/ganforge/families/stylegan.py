"""``stylegan``: a StyleGAN2-style GAN (Karras et al. 2019, 2020).

Phases per iteration: the logistic D step on style-mixed fakes; lazy R1 on reals every
``r1_interval`` (16) iterations with weight gamma / 2 * interval (a :class:`Phase` with
``every=16`` that reuses the D step's batch); the non-saturating G step; optionally lazy
path-length regularization every ``pl_interval`` iterations (``--option pl_weight=2``). The
Adam settings of lazily regularised nets are rescaled as in StyleGAN2 appendix B. G EMA is on
by default. Sampling: ``--truncation PSI`` (psi in [0, 1]); ``ganforge mix`` for style mixing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import Tensor

from ..errors import GanforgeError
from ._advanced_steps import (StyleGANOptions, lazy_regularization_adam, new_path_length_state, stylegan_d_loss,
                              stylegan_g_loss, stylegan_pl_loss, stylegan_r1_loss)
from ._image_base import ImageFamily
from .base import Phase, frozen, make_optimizer, register_family
from .sngan import IMAGE_SMOKE


@dataclass(frozen=True)
class StyleGANFamilyOptions:
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


class StyleGANFamily(ImageFamily):
    """StyleGAN2-style training: mixing, lazy R1, optional path length, EMA."""

    options_cls = StyleGANFamilyOptions
    width_kwarg = "channel_max"
    required_loss = "nonsaturating"

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        o, t = self.opts, cfg.train
        for name in ("r1_interval", "pl_interval", "pl_batch_shrink"):
            if getattr(o, name) <= 0:
                raise GanforgeError(f"--option {name} must be positive, got {getattr(o, name)}")
        if not 0.0 <= o.style_mixing_prob <= 1.0:
            raise GanforgeError(f"--option style_mixing_prob must be in [0, 1], got {o.style_mixing_prob}")
        self.step_opts = StyleGANOptions(self.r1_gamma, o.r1_interval, o.pl_weight, o.pl_interval, o.pl_decay,
                                         o.pl_batch_shrink, o.style_mixing_prob, self.augment)
        # lazily regularised nets: the optimizer runs interval + 1 times per interval iterations
        betas = t.betas or (0.0, 0.99)
        for name, interval, on in (("D", o.r1_interval, self.r1_gamma > 0), ("G", o.pl_interval, o.pl_weight > 0)):
            if on:
                lr, b = lazy_regularization_adam(t.lr_d if name == "D" else t.lr_g, betas, interval)
                params = [p for p in self.nets[name].parameters() if p.requires_grad]
                self.optimizers[name] = make_optimizer(t.optimizer or "adam", params, lr, b)
        self.pl_state = new_path_length_state()

    def phases(self) -> list[Phase]:
        o = self.opts
        phases = [Phase("D", self.d_step, repeat=self.cfg.train.d_steps)]
        if self.r1_gamma > 0:
            phases.append(Phase("R1", self.r1_step, every=o.r1_interval, uses_data=False))
        phases.append(Phase("G", self.g_step, uses_data=False))
        if o.pl_weight > 0:
            phases.append(Phase("PL", self.pl_step, every=o.pl_interval, uses_data=False))
        return phases

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        loss, stats = stylegan_d_loss(self.nets["G"], self.nets["D"], batch, self.step_opts)
        self.update("D", loss)
        return stats

    def r1_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        loss, stats = stylegan_r1_loss(self.nets["D"], batch, self.step_opts)
        self.update("D", loss)
        return stats

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        with frozen(self.nets["D"]):
            loss, stats = stylegan_g_loss(self.nets["G"], self.nets["D"], batch, self.step_opts)
        stats["g_grad_norm"] = self.update("G", loss, grad_norm=True)
        return stats

    def pl_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        loss, stats = stylegan_pl_loss(self.nets["G"], batch, self.step_opts, self.pl_state)
        self.update("G", loss)
        return stats

    def extra_state(self) -> dict[str, Any]:
        return {"pl_mean": self.pl_state["pl_mean"].clone()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        if "pl_mean" in state:
            self.pl_state["pl_mean"] = state["pl_mean"].clone()


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
