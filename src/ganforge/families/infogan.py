"""``infogan``: InfoGAN (Chen et al. 2016): latent = noise + categorical + continuous codes, a Q
head sharing D's body, and the mutual-information term (eq. 6) trained in a G+Q phase (one
optimizer over G and Q's head, lr_g) and, as in the reference code, in the D phase too.
``ganforge traverse RUN --code c1`` shows what each code learned."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import Tensor

from ..errors import GanforgeError
from ._advanced_steps import InfoGANOptions, infogan_d_loss, infogan_gq_loss, infogan_q_parameters
from ._image_base import ImageFamily
from .base import make_optimizer, register_family


@dataclass(frozen=True)
class InfoGANFamilyOptions:
    """noise_dim: incompressible noise entries [62]; categorical: sizes of the categorical codes
    [10]; continuous: number of U(-1, 1) codes [2]; cat_weight / cont_weight: lambda of the MI
    term [1, 1]; mi_in_d: also train D's body (and Q) on the MI term in the D step [true]."""

    noise_dim: int = 62
    categorical: list[int] = field(default_factory=lambda: [10])
    continuous: int = 2
    cat_weight: float = 1.0
    cont_weight: float = 1.0
    mi_in_d: bool = True


class InfoGANFamily(ImageFamily):
    """InfoGAN: BCE D step (+ MI), G+Q step with the MI term."""

    options_cls = InfoGANFamilyOptions
    required_loss = "nonsaturating"

    def __init__(self, cfg, info, device, dist) -> None:
        if cfg.model.z_dim is not None:
            raise GanforgeError("model.z_dim: InfoGAN's latent size follows from its codes; set --option noise_dim=N "
                                "(and categorical=..., continuous=...) instead")
        super().__init__(cfg, info, device, dist)
        t = cfg.train
        # the G+Q optimizer replaces the plain G optimizer made by the base class
        params = list(self.nets["G"].parameters()) + infogan_q_parameters(self.nets["D"])
        self.optimizers["G"] = make_optimizer(t.optimizer or "adam", params, t.lr_g, t.betas)
        self.opt_nets["G"] = ["G", "D"]
        o = self.opts
        self.step_opts = InfoGANOptions(o.cat_weight, o.cont_weight, o.mi_in_d, self.augment)

    def class_count(self, info) -> int:
        return 0  # the categorical code plays the part of a label, learned without supervision

    def net_kwargs(self, num_classes: int) -> tuple[dict[str, Any], dict[str, Any]]:
        o, m, shape = self.opts, self.cfg.model, list(self.info.shape)
        codes = {"noise_dim": o.noise_dim, "categorical": list(o.categorical), "continuous": o.continuous}
        g_kw: dict[str, Any] = {**codes, "out_shape": shape}
        d_kw: dict[str, Any] = {**codes, "in_shape": shape}
        if m.width is not None:
            g_kw["width"] = d_kw["width"] = m.width
        return g_kw, d_kw

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        loss, stats = infogan_d_loss(self.nets["G"], self.nets["D"], batch, self.step_opts)
        self.update("D", loss)
        return stats

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        loss, stats = infogan_gq_loss(self.nets["G"], self.nets["D"], batch, self.step_opts)
        stats["g_grad_norm"] = self.update("G", loss, grad_norm=True)
        return stats


register_family(
    "infogan", InfoGANFamily,
    {"model": {"g_net": "infogan_g", "d_net": "infogan_d"},
     "train": {"loss": "nonsaturating", "d_steps": 1, "optimizer": "adam", "lr_g": 1e-3, "lr_d": 2e-4,
               "betas": (0.5, 0.999)}},
    help="InfoGAN (Chen et al. 2016): categorical + continuous codes, Q head on D's body, mutual-information "
         "term; `ganforge traverse RUN --code c1`",
    smoke={"data.batch_size": 8, "data.limit": 32, "model.width": 4,
           "model.g_kwargs": {"hidden": 16}, "model.d_kwargs": {"hidden": 16, "q_hidden": 8},
           "options.noise_dim": 6})
