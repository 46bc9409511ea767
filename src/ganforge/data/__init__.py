"""Datasets, selected by name. Importing this package registers the built-in datasets."""
from .base import DATASETS, DataInfo, TensorDataset, build_dataset, register_dataset
from . import arrays, images, toy  # noqa: F401  (registration)
from . import mnist_tasks, paired, unpaired  # noqa: F401,E402  (registration: image-to-image)
from . import series, series_synthetic  # noqa: F401,E402  (registration: series:PATH, sines, garch)
from . import tabular  # noqa: F401,E402  (registration: table:PATH, table:adult)
from . import text, oracle  # noqa: F401,E402  (registration: text:PATH, seqgan-oracle)
from . import molecules  # noqa: F401,E402  (registration: moses, smiles:PATH)
from . import molgraphs  # noqa: F401,E402  (registration: moses-graphs, molgraphs:PATH)
from . import tokens  # noqa: F401,E402  (registration: tokens:PATH)
from . import audio  # noqa: F401,E402  (registration: drums, spoken-digits, audio:PATH)
from . import captions, mnist_captions  # noqa: F401,E402  (registration: captions:PATH, mnist-captions)
from . import music  # noqa: F401,E402  (registration: bach-chorales, midi:PATH)

__all__ = ["DATASETS", "DataInfo", "TensorDataset", "build_dataset", "register_dataset"]
