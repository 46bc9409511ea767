"""``biggan``: BigGAN (Brock et al. 2019) at small scale: class-conditional BN with a shared
embedding and hierarchical latents, self-attention, spectral norm in G and D, projection D,
hinge loss, orthogonal regularization of G (beta 1e-4), 2 D steps per G step, G EMA on by
default. Truncated sampling: ``ganforge sample RUN --truncation 0.5`` (threshold of the
truncated normal).

Phases: the adversarial family's D step with the hinge loss
(:func:`ganforge.losses.d_loss_hinge`: ``E[relu(1 - D(x, y))] + E[relu(1 + D(G(z, y), y))]``)
``train.d_steps`` times, then the G step, ``-E[D(G(z, y), y)] + beta * R_ortho(G)`` (eq. 3 of
the paper; the shared class embedding is left out of the regularization).

Labels of the fakes: in the D step the labels of the real batch; in the G step (which draws no
data) the labels of the last real batch the D phase drew. The fakes thus follow the data's class
frequencies and cost no extra random draws; the reference code samples them uniformly, which is
the same distribution on balanced data.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from ..layers.orthogonal import orthogonal_regularization
from ._image_base import IMAGE_SMOKE, ImageFamily
from .base import Phase, register_family


@dataclass(frozen=True)
class BigGANOptions:
    """conditional: None = when the dataset has class labels; ortho_weight: beta of the
    orthogonal regularization (Brock et al. 2019, eq. 3; 0 = off)."""

    conditional: bool | None = None
    ortho_weight: float = 1e-4


class BigGANFamily(ImageFamily):
    """BigGAN: hinge loss plus orthogonal regularization of G (the shared embedding excluded)."""

    options_cls = BigGANOptions
    width_kwarg = "ch"

    def phases(self) -> list[Phase]:
        d, g = super().phases()
        g.losses = ("g_loss", "ortho") if self.opts.ortho_weight else ("g_loss",)
        return [d, g]

    def g_regularizer(self) -> dict[str, Tensor]:
        """``{"ortho": beta * R_ortho(G)}`` (:func:`ganforge.layers.orthogonal.orthogonal_regularization`):
        a function of G's weights only, so it runs in fp32 whatever the precision."""
        if not self.opts.ortho_weight:
            return {}
        G = self.nets["G"]
        return {"ortho": self.opts.ortho_weight * orthogonal_regularization(G, exclude=G.shared_parameters())}


register_family(
    "biggan", BigGANFamily,
    {"model": {"g_net": "biggan_g", "d_net": "biggan_d", "z_dim": 128},
     "train": {"loss": "hinge", "d_steps": 2, "optimizer": "adam", "lr_g": 1e-4, "lr_d": 4e-4,
               "betas": (0.0, 0.999), "ema": 0.999}},
    help="BigGAN (Brock et al. 2019): conditional BN + shared embedding, hierarchical z, self-attention, SN, "
         "hinge, orthogonal reg., G EMA; --truncation at sampling",
    smoke={**IMAGE_SMOKE, "model.width": 2, "model.g_kwargs": {"embed_dim": 4}, "train.d_steps": 1})
