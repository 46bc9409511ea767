"""Network families. Importing this package registers every net in :data:`NETS`."""
from .base import NETS, Net, build_net, load_model, read_model_config, register_net, save_model

# Each module registers its nets on import.
from . import mlp, dcgan, classifier, encoder  # noqa: E402,F401
from . import progan, stylegan, biggan, sngan, infogan  # noqa: E402,F401  (advanced image GANs)
from . import unet, patchgan, resnet_translator, srgan, inpaint  # noqa: E402,F401  (image-to-image)
from . import seqgan  # noqa: E402,F401  (seqgan_g, seqgan_d)
from . import tabular  # noqa: E402,F401  (tabular_g, tabular_d)
from . import rnn  # noqa: E402,F401  (rnn_g, rnn_d)
from . import audio  # noqa: E402,F401  (wavegan_g, wavegan_d, specgan_g)
from . import text2image  # noqa: E402,F401  (t2i_g, t2i_d, t2i_text_encoder, t2i_image_encoder)
from . import music  # noqa: E402,F401  (musegan_g, musegan_d)
from . import molgan  # noqa: E402,F401  (molgan_g, molgan_d)

__all__ = ["NETS", "Net", "build_net", "load_model", "read_model_config", "register_net", "save_model"]
