"""``sngan``: SNGAN (Miyato et al. 2018): ResNet nets, spectral normalization in D, hinge loss,
n_dis = 5 D steps per G step, Adam(2e-4, betas (0, 0.9)); class-conditional with a projection
discriminator (Miyato & Koyama 2018) when the data has labels (``--option conditional=false``
turns that off)."""
from __future__ import annotations

from dataclasses import dataclass

from ._image_base import ImageFamily
from .base import register_family


@dataclass(frozen=True)
class SNGANOptions:
    """conditional: None = when the dataset has class labels; true / false to force."""

    conditional: bool | None = None


class SNGANFamily(ImageFamily):
    """SNGAN: the adversarial family with ResNet nets (``ch`` is ``model.width``) and labels when present."""

    options_cls = SNGANOptions
    width_kwarg = "ch"


# Tiny nets for the test suite: 32 px digits, 2-channel width multiplier, batch 8.
IMAGE_SMOKE = {"data.name": "digits", "data.resolution": 32, "data.limit": 32, "data.batch_size": 8,
               "model.z_dim": 8}

register_family(
    "sngan", SNGANFamily,
    {"model": {"g_net": "sngan_g", "d_net": "sngan_d", "z_dim": 128},
     "train": {"loss": "hinge", "d_steps": 5, "optimizer": "adam", "lr_g": 2e-4, "lr_d": 2e-4, "betas": (0.0, 0.9)}},
    help="SNGAN (Miyato et al. 2018): ResNet nets, spectral norm, hinge loss, 5 D steps; projection D when "
         "the data has labels",
    smoke={**IMAGE_SMOKE, "model.width": 2, "train.d_steps": 2})
