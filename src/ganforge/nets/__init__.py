"""Network families. Importing this package registers every net in :data:`NETS`."""
from .base import NETS, Net, build_net, load_model, read_model_config, register_net, save_model

# Each module registers its nets on import.
from . import mlp, dcgan, classifier  # noqa: E402,F401
from . import unet, patchgan, resnet_translator, srgan, inpaint  # noqa: E402,F401  (image-to-image)

__all__ = ["NETS", "Net", "build_net", "load_model", "read_model_config", "register_net", "save_model"]
