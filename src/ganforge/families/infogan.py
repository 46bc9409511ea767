"""``infogan``: InfoGAN (Chen et al. 2016): latent = noise + categorical + continuous codes, a Q
head sharing D's body, and the mutual-information term (eq. 6).

Phases per iteration:

- D: the logistic loss ``softplus(D(G(z))) + softplus(-D(x))``, plus (``--option mi_in_d``, as
  in the reference code) lambda * the MI loss of Q on the detached fakes, which trains D's body
  and Q's head on it too;
- G (one optimizer over G and Q's head, lr_g): the non-saturating loss ``softplus(-D(G(z)))``
  plus lambda * the MI loss (:func:`ganforge.nets.infogan.mutual_information_loss`: minus the
  variational lower bound L_I of eq. 4-5); D's body and head get no gradient.

``--option aug_weight=W`` (off by default) adds, in both steps where the MI term is computed,
W times the *categorical* MI loss on a randomly rotated, scaled, sheared and shifted copy of
the fakes (:func:`random_affine`), as Elastic-InfoGAN (Ojha et al. 2020) asks the code to
survive identity-preserving transformations: a categorical code that splits one digit by its
slant or size cannot be read back after such a transform, one that follows the digit can.
The continuous codes are left out of that term (they are meant to capture slant and width).

``ganforge traverse RUN --code c1`` shows what each code learned.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import GanforgeError
from ..losses import d_loss_bce, g_loss_nonsaturating
from ..nets.infogan import mutual_information_loss
from ._image_base import ImageFamily
from .base import Phase, frozen, make_optimizer, register_family


@dataclass(frozen=True)
class InfoGANOptions:
    """noise_dim: incompressible noise entries [62]; categorical: sizes of the categorical codes
    [10]; continuous: number of U(-1, 1) codes [2]; cat_weight / cont_weight: lambda of the MI
    term [1, 1]; mi_in_d: also train D's body (and Q) on the MI term in the D step [true];
    aug_weight: weight of the categorical MI term on randomly transformed fakes [0: off]."""

    noise_dim: int = 62
    categorical: list[int] = field(default_factory=lambda: [10])
    continuous: int = 2
    cat_weight: float = 1.0
    cont_weight: float = 1.0
    mi_in_d: bool = True
    aug_weight: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.aug_weight) and self.aug_weight >= 0):
            raise GanforgeError(f"--option aug_weight (family 'infogan'): got {self.aug_weight!r}; accepted values "
                                "are finite numbers >= 0 (0 turns the term off)")


def random_affine(x: Tensor, rotate: float = 15.0, scale: float = 0.1, shear: float = 0.15,
                  shift: float = 0.1) -> Tensor:
    """A random affine transform per image of ``x`` (N, C, H, W): rotation in +-``rotate``
    degrees, scale in 1 +- ``scale``, horizontal shear in +-``shear``, shift in +-``shift`` of
    the half-size (0.1: 1.4 pixels at 28), border pixels repeated. Draws from the global RNG
    (the family's seeded stream), computed in float32; differentiable in ``x``."""
    n = x.shape[0]
    u = torch.rand(n, 5, device=x.device) * 2 - 1
    a = u[:, 0] * math.radians(rotate)
    k = 1 + u[:, 1] * scale
    sh = u[:, 2] * shear
    cos, sin = torch.cos(a) / k, torch.sin(a) / k
    # inverse map (output -> input coordinates): rotation and scale, then shear along x
    theta = torch.stack([torch.stack([cos + sh * sin, -sin + sh * cos, u[:, 3] * shift], 1),
                         torch.stack([sin, cos, u[:, 4] * shift], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x.float(), grid, mode="bilinear", padding_mode="border", align_corners=False)


def q_parameters(D: nn.Module) -> list[nn.Parameter]:
    """The Q head's parameters, optimised together with G's (the G+Q optimizer)."""
    return list(D.q_head.parameters())


class InfoGANFamily(ImageFamily):
    """InfoGAN: BCE D step (+ MI), G+Q step with the MI term."""

    options_cls = InfoGANOptions
    required_loss = "nonsaturating"

    def __init__(self, cfg, info, device, dist) -> None:
        if cfg.model.z_dim is not None:
            raise GanforgeError("model.z_dim: InfoGAN's latent size follows from its codes; set --option noise_dim=N "
                                "(and categorical=..., continuous=...) instead")
        super().__init__(cfg, info, device, dist)
        t = cfg.train
        # the G+Q optimizer replaces the plain G optimizer made by the base class
        params = list(self.nets["G"].parameters()) + q_parameters(self.nets["D"])
        self.optimizers["G"] = make_optimizer(t.optimizer or "adam", params, t.lr_g, t.betas)
        self.opt_nets["G"] = ["G", "D"]

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

    def phases(self) -> list[Phase]:
        d_losses = ("d_loss", "mi_loss_d") if self.opts.mi_in_d else ("d_loss",)
        g_losses = ("g_loss", "mi_loss")
        if self.opts.aug_weight > 0:
            d_losses += ("mi_aug_loss_d",) if self.opts.mi_in_d else ()
            g_losses += ("mi_aug_loss",)
        return [Phase("D", self.d_step, repeat=self.cfg.train.d_steps, losses=d_losses),
                Phase("G", self.g_step, uses_data=False, losses=g_losses)]

    def mi_loss(self, q: tuple[Tensor, Tensor, Tensor], z: Tensor) -> Tensor:
        """lambda-weighted MI loss of Q's outputs (cat logits, means, log-stds) for latents z (N, z_dim)."""
        cat, mean, log_std = (t.float() for t in q)
        return mutual_information_loss(cat, mean, log_std, z, self.nets["D"].codes, self.opts.cat_weight,
                                       self.opts.cont_weight)

    def aug_mi_loss(self, fake: Tensor, z: Tensor) -> Tensor:
        """``aug_weight`` times the categorical MI loss of Q on :func:`random_affine` copies of ``fake``."""
        with self.autocast():
            _, q = self.nets["D"].forward_with_q(self.aug(random_affine(fake)))
        cat, mean, log_std = (t.float() for t in q)
        return self.opts.aug_weight * mutual_information_loss(cat, mean, log_std, z, self.nets["D"].codes,
                                                              self.opts.cat_weight, 0.0)

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """BCE D loss on ``batch["x"]`` (N, C, H, W) in [-1, 1] and N fakes (+ MI on those fakes)."""
        G, D = self.nets["G"], self.nets["D"]
        x = batch["x"]
        z = G.sample_latent(x.shape[0], device=self.device)
        with torch.no_grad(), self.autocast():
            fake = G(z)
        with self.autocast():
            real_logits = D(self.aug(x)).float()
            fake_logits, q = D.forward_with_q(self.aug(fake))
        adv = d_loss_bce(real_logits, fake_logits.float())
        stats = {"d_loss": adv.detach(), "d_real": torch.sigmoid(real_logits.detach()).mean(),
                 "d_fake": torch.sigmoid(fake_logits.detach().float()).mean()}
        loss = adv
        if self.opts.mi_in_d:
            mi = self.mi_loss(q, z)
            stats["mi_loss_d"] = mi.detach()
            loss = adv + mi
            if self.opts.aug_weight > 0:
                mi_aug = self.aug_mi_loss(fake, z)
                stats["mi_aug_loss_d"] = mi_aug.detach()
                loss = loss + mi_aug
        self.update("D", loss)
        return stats

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """G+Q update on N fakes (N = the last batch's size). ``cat_acc`` is how often Q recovers
        the categorical codes of the fakes."""
        G, D = self.nets["G"], self.nets["D"]
        z = G.sample_latent(batch["x"].shape[0], device=self.device)
        with contextlib.ExitStack() as stack:  # every part of D but Q's head is held fixed
            for name, part in D.named_children():
                if name != "q_head":
                    stack.enter_context(frozen(part))
            with self.autocast():
                fake = G(z)
                logits, q = D.forward_with_q(self.aug(fake))
            adv = g_loss_nonsaturating(logits.float())
            mi = self.mi_loss(q, z)
            stats = {"g_loss": adv.detach(), "mi_loss": mi.detach()}
            if self.opts.aug_weight > 0:
                mi_aug = self.aug_mi_loss(fake, z)
                stats["mi_aug_loss"] = mi_aug.detach()
                mi = mi + mi_aug
        cats = [code for code in D.codes if code.kind == "categorical"]
        if cats:
            cat = q[0].detach()
            hits = [(cat[:, k.q_start:k.q_stop].argmax(1) == z[:, k.start:k.stop].argmax(1)).float().mean()
                    for k in cats]
            stats["cat_acc"] = torch.stack(hits).mean()
        stats["g_grad_norm"] = self.update("G", adv + mi, grad_norm=True)
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
