"""GAN families, registered by name. Importing this package registers the built-in families."""
from .base import FAMILIES, Family, FamilySpec, Phase, register_family
from . import adversarial, biggan, infogan, progan, sngan, stylegan  # noqa: F401  (registration: images)
from . import pix2pix, cyclegan, srgan, inpaint  # noqa: F401  (registration: image-to-image, in this order)
from . import seqgan, timeseries  # noqa: F401  (registration: text, series)
from . import organ  # noqa: F401,E402  (registration: molecules)
from . import molgan  # noqa: F401,E402  (registration: molecule graphs)
from . import wavegan, specgan  # noqa: F401,E402  (registration: audio)
from . import attngan  # noqa: F401  (registration: text to image)
from . import musegan  # noqa: F401,E402  (registration: piano rolls)
from .runkinds import RUN_KINDS, FitResult, RunKind, register_run_kind, run_kind_of
from . import tabular  # noqa: F401,E402  (registration: the tabular run kind)

__all__ = ["FAMILIES", "Family", "FamilySpec", "FitResult", "Phase", "RUN_KINDS", "RunKind", "register_family",
           "register_run_kind", "run_kind_of"]
