"""GAN families, registered by name. Importing this package registers the built-in families."""
from .base import FAMILIES, Family, FamilySpec, Phase, register_family
from . import adversarial, i2i  # noqa: F401  (registration)

__all__ = ["FAMILIES", "Family", "FamilySpec", "Phase", "register_family"]
