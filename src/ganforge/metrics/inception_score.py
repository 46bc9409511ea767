"""Inception Score (Salimans et al. 2016, "Improved Techniques for Training GANs").

IS = exp(E_x KL(p(y|x) || p(y))), computed on each of ``splits`` consecutive, equal parts of the
samples (10 in the paper's code), where p(y) is the mean of p(y|x) over that part; the mean and
standard deviation over the parts are reported. Higher is better; its maximum is the number of
classes. Under ganforge's MNIST classifier it is an "MNIST score" (at most 10).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..errors import GanforgeError
from .frechet import as_float64


def inception_score(logits: Any = None, probs: Any = None, splits: int = 10) -> tuple[float, float]:
    """(mean, std) of the Inception Score from (N, K) ``logits`` or from (N, K) ``probs``.

    Give exactly one of them. Probabilities must be non-negative and sum to 1 per row."""
    if (logits is None) == (probs is None):
        raise GanforgeError("inception_score: give exactly one of logits= or probs=")
    if logits is not None:
        lg = as_float64(logits)
        if lg.ndim != 2:
            raise GanforgeError(f"inception_score: expected logits (N, K), got shape {tuple(lg.shape)}")
        logp = torch.log_softmax(lg, dim=1)
    else:
        p = as_float64(probs)
        if p.ndim != 2:
            raise GanforgeError(f"inception_score: expected probabilities (N, K), got shape {tuple(p.shape)}")
        if (p < 0).any() or not torch.allclose(p.sum(1), torch.ones(p.shape[0], dtype=p.dtype), atol=1e-4):
            raise GanforgeError("inception_score: probs must be non-negative rows summing to 1 (pass logits= instead?)")
        logp = p.clamp_min(1e-300).log()
    n = logp.shape[0]
    if splits < 1:
        raise GanforgeError(f"inception_score: splits must be >= 1, got {splits}")
    if n < 2 * splits:
        raise GanforgeError(f"inception_score: {n} samples are too few for {splits} splits (need at least "
                            f"{2 * splits}; use more samples or fewer splits)")
    p = logp.exp()
    scores = []
    for k in range(splits):
        lo, hi = k * n // splits, (k + 1) * n // splits
        part_p, part_logp = p[lo:hi], logp[lo:hi]
        log_py = part_p.mean(0).clamp_min(1e-300).log()
        kl = (part_p * (part_logp - log_py)).sum(1).mean()
        scores.append(float(kl.exp()))
    s = np.asarray(scores)
    return float(s.mean()), float(s.std())
