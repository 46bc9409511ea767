"""``progan``: progressive growing of GANs (Karras et al. 2018).

The growth schedule is a pure function of the iteration count
(:func:`ganforge.nets.progan.progan_schedule`): at the start of every iteration the D step sets
(level, alpha) on G and D; the loop's EMA copies buffers at each update, so the EMA generator
(the exported one) follows the same stage. The iteration count is checkpointed
(:meth:`ProGANFamily.extra_state`) and the stage buffers are part of the nets' state, so a run
resumed in the middle of a fade-in continues exactly. Loss: WGAN-GP (lambda = train.gp_weight,
10) plus drift 0.001 E[D(x)^2]; reals are blended like G's output during a fade-in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import Tensor

from ..errors import GanforgeError
from ._advanced_steps import ProGANOptions, progan_d_loss, progan_set_stage
from ._image_base import ImageFamily
from .base import register_family
from .sngan import IMAGE_SMOKE


@dataclass(frozen=True)
class ProGANFamilyOptions:
    """phase_steps: iterations per fade-in and per stabilisation phase (the paper: 800k images);
    drift: epsilon_drift of the E[D(x)^2] term; conditional: one-hot label in G and a projection
    term in D (default false)."""

    phase_steps: int = 1000
    drift: float = 0.001
    conditional: bool = False


class ProGANFamily(ImageFamily):
    """ProGAN: stage from the iteration count, WGAN-GP + drift D step, WGAN G step."""

    options_cls = ProGANFamilyOptions
    width_kwarg = "channel_max"
    required_loss = "wasserstein"

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        if self.opts.phase_steps <= 0:
            raise GanforgeError(f"--option phase_steps must be positive, got {self.opts.phase_steps}")
        self.iteration = 0
        self.step_opts = ProGANOptions(self.opts.phase_steps, self.gp_weight, self.opts.drift, self.augment)
        self.set_stage()  # a fresh run starts at 4x4 (the EMA copy is made from G after this)

    def set_stage(self) -> tuple[int, float]:
        return progan_set_stage([self.nets["G"], self.nets["D"]], self.iteration, self.step_opts)

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        self.set_stage()
        G, D = self.nets["G"], self.nets["D"]
        loss, stats = progan_d_loss(G, D, batch, self.step_opts)
        self.update("D", loss)
        return stats

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
