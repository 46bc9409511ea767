"""How well an unsupervised categorical code (an InfoGAN code, a cluster index) matches labels,
and how much information it carries without labels.

- :func:`matched_accuracy`: the clustering accuracy of the literature: code values are matched
  to labels one-to-one by the Hungarian algorithm on the code x label counts, and the accuracy
  is the fraction of items whose matched label is right (Chen et al. 2016 report 5 % error for
  InfoGAN's 10-way code on MNIST this way).
- :func:`code_information`: a label-free score of Q's predictions on real data,
  I(x; c) estimated as H(mean_x p(c | x)) - mean_x H(p(c | x)) in nats. It is largest (log K)
  when every image gets a confident code and all K codes are used equally. It follows the
  accuracy along one InfoGAN run, but a code that splits similar classes across values scores
  as high as one that follows the classes, so it does not rank runs (docs/advanced-families.md).
- :func:`infogan_code_scores`: both for an InfoGAN discriminator's Q head on real images.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from ..errors import GanforgeError


def matched_accuracy(pred: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor,
                     num_codes: int | None = None, num_labels: int | None = None) -> dict[str, Any]:
    """Accuracy after the best one-to-one matching of code values to labels.

    ``pred`` and ``labels`` are integer arrays of the same length. Returns ``accuracy``,
    ``code_to_label`` (the matching; codes left unmatched when there are more codes than
    labels are absent) and ``counts`` (code x label contingency table, as nested lists).
    """
    pred = np.asarray(pred.cpu() if isinstance(pred, torch.Tensor) else pred).astype(np.int64).ravel()
    labels = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels).astype(np.int64).ravel()
    if pred.shape != labels.shape:
        raise GanforgeError(f"matched_accuracy: {pred.size} predictions but {labels.size} labels")
    if pred.size == 0:
        raise GanforgeError("matched_accuracy: no predictions")
    if pred.min() < 0 or labels.min() < 0:
        raise GanforgeError("matched_accuracy: codes and labels must be non-negative integers")
    k = int(num_codes if num_codes is not None else pred.max() + 1)
    m = int(num_labels if num_labels is not None else labels.max() + 1)
    if pred.max() >= k or labels.max() >= m:
        raise GanforgeError(f"matched_accuracy: codes must be < {k} and labels < {m}")
    counts = np.zeros((k, m), dtype=np.int64)
    np.add.at(counts, (pred, labels), 1)
    rows, cols = linear_sum_assignment(-counts)
    return {"accuracy": float(counts[rows, cols].sum() / pred.size),
            "code_to_label": {int(r): int(c) for r, c in zip(rows, cols)},
            "counts": counts.tolist()}


def code_information(probs: torch.Tensor) -> dict[str, float]:
    """Label-free information of soft code assignments ``probs`` (N, K), rows summing to 1.

    ``marginal_entropy`` H(mean p) (log K when the codes are used equally),
    ``conditional_entropy`` mean H(p) (0 when every assignment is confident) and
    ``information`` their difference, all in nats; ``max`` is log K.
    """
    if probs.ndim != 2 or probs.shape[0] == 0:
        raise GanforgeError(f"code_information expects probabilities of shape (N, K), got {tuple(probs.shape)}")
    p = probs.double().clamp_min(1e-12)
    marginal = p.mean(0)
    h_marginal = float(-(marginal * marginal.log()).sum())
    h_conditional = float(-(p * p.log()).sum(1).mean())
    return {"information": h_marginal - h_conditional, "marginal_entropy": h_marginal,
            "conditional_entropy": h_conditional, "max": float(np.log(probs.shape[1]))}


@torch.no_grad()
def infogan_code_scores(D: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor | None = None,
                        code: str = "c1", batch_size: int = 500) -> dict[str, Any]:
    """Q's categorical code ``code`` on real images ``x`` (N, C, H, W) in [-1, 1], with D in
    eval mode: :func:`code_information` always, :func:`matched_accuracy` against ``labels``
    when given, and ``usage`` (the fraction of images given each code value)."""
    c = D.code(code)
    if c.kind != "categorical":
        raise GanforgeError(f"code {code} is {c.kind}; the code scores need a categorical code")
    was_training = D.training
    D.eval()
    try:
        logits = torch.cat([D.q(x[i:i + batch_size])[0][:, c.q_start:c.q_stop] for i in range(0, len(x), batch_size)])
    finally:
        D.train(was_training)
    probs = logits.float().softmax(1).cpu()
    pred = probs.argmax(1)
    out: dict[str, Any] = {"code": code, "n": len(x), **code_information(probs),
                           "usage": (torch.bincount(pred, minlength=c.size).double() / len(pred)).tolist()}
    if labels is not None:
        out.update(matched_accuracy(pred, labels, num_codes=c.size))
    return out
