"""Within-class diversity of a conditional generator (issue 17): does each class get many
images, or does every z give the same image of the class?

``class_spread = mean over classes c of mean_{i != j, y_i = y_j = c} ||f_i - f_j||
                 / mean_{i != j} ||f_i - f_j||``

on features f (N, F) of samples with labels y (N,). It needs no labelled reference: the
denominator is the spread of all the samples, so the ratio is 0 when every sample of a class
is the same image and near the real data's own ratio when the classes are as varied as the
data (test images under the ``mnist`` extractor: 0.33 for MNIST, whose classifier features
cluster by digit, and 0.76 for Fashion-MNIST; see docs/evaluation.md).
"""
from __future__ import annotations

import torch

from ..errors import GanforgeError


def _mean_pairwise(f: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """Mean Euclidean distance over the ordered pairs i != j of f (n, F), n >= 2; rows in
    chunks so that 10,000 samples need no (n, n) matrix."""
    n = f.shape[0]
    total = f.new_zeros((), dtype=torch.float64)
    for start in range(0, n, chunk):
        total += torch.cdist(f[start:start + chunk], f).double().sum()  # the diagonal adds 0
    return total / (n * (n - 1))


def class_spread(features: torch.Tensor, labels: torch.Tensor) -> float:
    """Within-class over overall mean pairwise feature distance (module docstring).

    features: (N, F); labels: (N,) integers. Classes with fewer than 2 samples are skipped.
    """
    if features.ndim != 2 or labels.shape != (features.shape[0],):
        raise GanforgeError(f"class_spread: expected features (N, F) and labels (N,), got "
                            f"{tuple(features.shape)} and {tuple(labels.shape)}")
    f = features.float()
    within = [_mean_pairwise(f[labels == c]) for c in labels.unique() if int((labels == c).sum()) >= 2]
    if not within or f.shape[0] < 2:
        raise GanforgeError(f"class_spread needs at least 2 samples of one class, got {f.shape[0]} samples")
    overall = _mean_pairwise(f)
    if float(overall) == 0.0:  # every sample identical: no spread at all, in or across classes
        return 0.0
    return float(torch.stack(within).mean() / overall)
