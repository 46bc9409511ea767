"""Datasets, selected by name. Importing this package registers the built-in datasets."""
from .base import DATASETS, DataInfo, TensorDataset, build_dataset, register_dataset
from . import arrays, images, toy  # noqa: F401  (registration)
from . import mnist_tasks, paired, unpaired  # noqa: F401,E402  (registration: image-to-image)
from ..timeseries import data as _series, synthetic as _synthetic  # noqa: F401,E402  (series:PATH, sines, garch)
from ..tabular import source as _table  # noqa: F401,E402  (table:PATH, table:adult)
from ..text import data as _text, oracle as _oracle  # noqa: F401,E402  (text:PATH, seqgan-oracle)

__all__ = ["DATASETS", "DataInfo", "TensorDataset", "build_dataset", "register_dataset"]
