"""Datasets, selected by name. Importing this package registers the built-in datasets."""
from .base import DATASETS, DataInfo, TensorDataset, build_dataset, register_dataset
from . import images, toy  # noqa: F401  (registration)

__all__ = ["DATASETS", "DataInfo", "TensorDataset", "build_dataset", "register_dataset"]
