"""ganforge: generative adversarial networks behind one interface.

>>> import ganforge
>>> ganforge.train("dcgan", data="mnist", steps=2000, out="runs/dc")   # doctest: +SKIP
>>> G = ganforge.load("runs/dc")                                        # doctest: +SKIP
>>> x = ganforge.sample(G, 64, seed=0)                                  # doctest: +SKIP
>>> ganforge.evaluate("runs/dc", metrics="fid,kid", n=5000)             # doctest: +SKIP
"""
__version__ = "0.1.0"

from .api import (evaluate, generate, interpolate, latents, list_datasets, list_families, list_losses, list_networks,
                  load, make_config, sample, traverse, train)
from .api import interpolate_text
from .apps.i2i import translate
from .config import RunConfig
from .errors import GanforgeError, TrainingDiverged
from .imageio import save_grid

__all__ = ["train", "load", "sample", "evaluate", "generate", "latents", "interpolate", "traverse", "translate", "make_config",
           "interpolate_text",
           "list_families", "list_datasets", "list_losses", "list_networks", "save_grid", "RunConfig",
           "GanforgeError", "TrainingDiverged", "__version__"]
