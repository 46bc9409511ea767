"""Network families. Importing this package registers every net in :data:`NETS`."""
from .base import NETS, Net, build_net, load_model, read_model_config, register_net, save_model

# Each module registers its nets on import.
from . import mlp, dcgan, seqgan  # noqa: E402,F401

__all__ = ["NETS", "Net", "build_net", "load_model", "read_model_config", "register_net", "save_model"]
