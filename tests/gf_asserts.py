"""Assertions shared by test modules (a unique module name at the root of tests/, which pytest puts
on sys.path)."""
from __future__ import annotations

import torch


def state_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    """True when two state dicts have the same keys and bit-identical tensors."""
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
