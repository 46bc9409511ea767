"""A small MNIST digit classifier, trained by ``scripts/train_mnist_classifier.py`` and shipped in
``ganforge/assets/mnist_classifier/`` (config.json + model.safetensors).

It serves as a feature extractor for metrics (Frechet distance in its feature space, an
Inception-Score-like score, per-class accuracy of conditional samples) and as a fixed network
for other parts of ganforge (accuracy of translated digits, content losses).

Input: (N, 1, 28, 28) float in [-1, 1] (:meth:`MNISTClassifier.prepare` converts other sizes
and RGB). Output: raw logits (N, 10); :meth:`MNISTClassifier.features` gives the penultimate
features (N, ``feature_dim``) that the logits are a linear function of.
"""
from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import GanforgeError
from .base import Net, load_model, register_net

# ITU-R BT.601 luma weights: RGB -> gray the way PIL's convert("L") does it.
LUMA = (0.299, 0.587, 0.114)


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


@register_net("mnist_classifier", help="small CNN digit classifier (28x28 gray -> 10 logits), used by metrics")
class MNISTClassifier(Net):
    """Conv(3x3) blocks ``width``, ``width``, pool, ``2*width``, ``2*width``, pool, ``4*width``,
    global average pool, a hidden linear layer of ``feature_dim`` units (the features), and a
    linear head to ``num_classes`` logits. Batch norm runs in eval mode at inference, so every
    output depends on its own input only (results do not depend on the batch size)."""

    def __init__(self, width: int = 16, feature_dim: int = 128, num_classes: int = 10, dropout: float = 0.3) -> None:
        super().__init__()
        self.num_classes, self.feature_dim = num_classes, feature_dim
        w = width
        self.trunk = nn.Sequential(
            _block(1, w), _block(w, w), nn.MaxPool2d(2),              # 28 -> 14
            _block(w, 2 * w), _block(2 * w, 2 * w), nn.MaxPool2d(2),  # 14 -> 7
            _block(2 * w, 4 * w), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.hidden = nn.Sequential(nn.Linear(4 * w, feature_dim), nn.ReLU())
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, num_classes)

    @classmethod
    def example_args(cls) -> dict:
        return {"width": 4, "feature_dim": 8, "num_classes": 3}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """Images (n, 1, 28, 28) in [-1, 1]."""
        return (torch.rand(n, 1, 28, 28, generator=generator) * 2 - 1,)

    @staticmethod
    def prepare(x: torch.Tensor) -> torch.Tensor:
        """Any (N, C, H, W) images in [-1, 1] with C in {1, 3} -> (N, 1, 28, 28) in [-1, 1].

        RGB is converted to gray with the BT.601 luma weights; other sizes are resized with
        antialiased bilinear interpolation (area-like when shrinking)."""
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise GanforgeError(f"mnist classifier: expected images (N, 1 or 3, H, W), got shape {tuple(x.shape)}")
        x = x.float()
        if x.shape[1] == 3:
            w = torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
            x = (x * w).sum(dim=1, keepdim=True)
        if x.shape[-2:] != (28, 28):
            x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False, antialias=True)
        return x.clamp(-1.0, 1.0)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) in [-1, 1] -> penultimate features (N, feature_dim), non-negative."""
        return self.hidden(self.trunk(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) in [-1, 1] -> raw logits (N, num_classes)."""
        return self.head(self.drop(self.features(x)))


def default_classifier_dir() -> Path:
    """The folder of the classifier that ships inside the package."""
    return Path(str(importlib.resources.files("ganforge"))) / "assets" / "mnist_classifier"


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, device: str) -> MNISTClassifier:
    net = load_model(path, map_location=device)
    if not isinstance(net, MNISTClassifier):
        raise GanforgeError(f"{path}: holds a {type(net).__name__}, not an mnist_classifier")
    net.requires_grad_(False)
    return net.eval()


def load_mnist_classifier(path: str | Path | None = None, device: str | torch.device = "cpu") -> MNISTClassifier:
    """The bundled (or a given) MNIST classifier in eval mode with frozen weights; cached, so
    callers share one instance per (path, device): do not modify it in place."""
    d = Path(path) if path is not None else default_classifier_dir()
    if not (d / "model.safetensors").is_file():
        raise GanforgeError(f"{d}: no trained MNIST classifier here; run scripts/train_mnist_classifier.py")
    return _load_cached(str(d.resolve()), str(torch.device(device)))
