"""``sngan``: SNGAN (Miyato et al. 2018): ResNet nets, spectral normalization in D, hinge loss,
n_dis = 5 D steps per G step, Adam(2e-4, betas (0, 0.9)); class-conditional with a projection
discriminator (Miyato & Koyama 2018) when the data has labels (``--option conditional=false``
turns that off).

The method is the adversarial family's two phases with the hinge loss of
:mod:`ganforge.losses` (``d_loss_hinge``, ``g_loss_hinge``): D (``train.d_steps`` times,
loss ``d_loss``) on real and fake batches with the batch's labels, then G (``g_loss``) on fakes
with the labels of the last real batch. What is SNGAN's own is in the nets (``sngan_g``,
``sngan_d``: spectral norm) and the defaults registered here.
"""
from __future__ import annotations

from dataclasses import dataclass

from ._image_base import IMAGE_SMOKE, ImageFamily
from .base import register_family


@dataclass(frozen=True)
class SNGANOptions:
    """conditional: None = when the dataset has class labels; true / false to force."""

    conditional: bool | None = None


class SNGANFamily(ImageFamily):
    """SNGAN: the adversarial family with ResNet nets (``ch`` is ``model.width``) and labels when present."""

    options_cls = SNGANOptions
    width_kwarg = "ch"


register_family(
    "sngan", SNGANFamily,
    {"model": {"g_net": "sngan_g", "d_net": "sngan_d", "z_dim": 128},
     "train": {"loss": "hinge", "d_steps": 5, "optimizer": "adam", "lr_g": 2e-4, "lr_d": 2e-4, "betas": (0.0, 0.9)}},
    help="SNGAN (Miyato et al. 2018): ResNet nets, spectral norm, hinge loss, 5 D steps; projection D when "
         "the data has labels",
    smoke={**IMAGE_SMOKE, "model.width": 2, "train.d_steps": 2})
