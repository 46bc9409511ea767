"""Shared inputs of the recurrent-series tests (nets/test_rnn_nets.py, families/test_timeseries_steps.py):
(12, 2) windows, plain, labelled (3 classes) or with a past of 5 steps."""
from __future__ import annotations

import torch

# (net keyword arguments, the batch's extra key)
CASES = [
    ({}, None),
    ({"num_classes": 3}, "y"),
    ({"context_len": 5}, "context"),
]


def series_batch(kind: str | None, n: int = 8, t: int = 12, f: int = 2) -> dict[str, torch.Tensor]:
    """A seeded batch of ``n`` windows (n, t, f) with labels (``kind='y'``) or a past (``'context'``)."""
    gen = torch.Generator().manual_seed(0)
    b = {"x": torch.randn(n, t, f, generator=gen)}
    if kind == "y":
        b["y"] = torch.randint(0, 3, (n,), generator=gen)
    if kind == "context":
        b["context"] = torch.randn(n, 5, f, generator=gen)
    return b
