"""Applications built on trained GANs: data augmentation (:mod:`.augment`), anomaly detection
(:mod:`.anomaly`), discriminator features for transfer learning (:mod:`.features`) and
image-to-image translation, upscaling and inpainting (:mod:`.i2i`).

The names below are imported on first use: the anomaly detector is a scikit-learn estimator,
and `import ganforge` (which imports :mod:`.i2i` for ``translate``) must not pull scikit-learn.
"""
from __future__ import annotations

import importlib
from typing import Any

_HOME = {"GANAnomalyDetector": "anomaly", "MixedDataset": "augment", "mix_real_synthetic": "augment",
         "synthesize_labelled": "augment", "discriminator_features": "features"}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
