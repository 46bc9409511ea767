"""BigGAN's orthogonal regularization (Brock et al. 2019, section 3.1, eq. 3).

R(W) = beta * ||W^T W ⊙ (1 - I)||_F^2 penalises only the correlations between different
filters, not their norms (the original orthogonal regularization of Brock et al. 2017 also
pulls every norm to 1, which the paper found too limiting). It makes G amenable to the
truncation trick: a smooth G keeps good samples when the latent is truncated.
"""
from __future__ import annotations

from typing import Iterable

import torch
from torch import nn


def orthogonal_penalty(weight: torch.Tensor) -> torch.Tensor:
    """||G ⊙ (1 - I)||_F^2 for the Gram matrix G of the filters of one weight tensor.

    ``weight``: (out, ...) with one filter per row after flattening, e.g. a conv weight
    (O, I, k, k) -> (O, I k k). The paper writes W with filters as columns (W^T W); here
    filters are rows, so the same matrix is W W^T (O x O).
    """
    w = weight.reshape(weight.shape[0], -1)
    gram = w @ w.t()
    off_diag = gram * (1.0 - torch.eye(w.shape[0], device=w.device, dtype=w.dtype))
    return off_diag.square().sum()


def orthogonal_regularization(module: nn.Module, exclude: Iterable[nn.Parameter] = ()) -> torch.Tensor:
    """Sum of :func:`orthogonal_penalty` over every parameter of ``module`` with 2 or more dims.

    ``exclude``: parameters to leave out (BigGAN leaves out G's shared class embedding). Under
    spectral norm the raw weights (``parametrizations.weight.original``) are regularised, as in
    BigGAN's code. Multiply by beta (1e-4 in the paper) outside. Returns a scalar tensor.
    """
    skip = {id(p) for p in exclude}
    terms = [orthogonal_penalty(p) for p in module.parameters() if p.dim() >= 2 and id(p) not in skip]
    if not terms:
        return torch.zeros(())
    return torch.stack(terms).sum()
