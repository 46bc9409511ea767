"""GAN families, registered by name. Importing this package registers the built-in families."""
from .base import FAMILIES, Family, FamilySpec, Phase, register_family
from . import adversarial, biggan, infogan, progan, sngan, stylegan  # noqa: F401  (registration: images)
from . import pix2pix, cyclegan, srgan, inpaint  # noqa: F401  (registration: image-to-image, in this order)
from . import seqgan, timeseries  # noqa: F401  (registration: text, series)

__all__ = ["FAMILIES", "Family", "FamilySpec", "Phase", "register_family"]
