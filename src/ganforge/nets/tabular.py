"""CTGAN-style networks (Xu et al. 2019, sec. 4.4): a residual MLP generator and a packed critic.

Generator: ``h0 = z (+) cond``; each hidden layer computes ``ReLU(BN(FC(h)))`` and concatenates
it with its input (so width grows by each layer's size); a final FC gives the raw encoded row.
Activations follow the row layout (``spans``): tanh for each alpha, Gumbel-softmax (tau = 0.2)
for each mode indicator and discrete column.

Critic: rows (with their cond vector) are packed ``pac`` at a time (PacGAN) and scored by
``FC -> LeakyReLU(0.2) -> Dropout(0.5)`` layers and a final FC: raw scores of shape (N / pac,).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..layers import pack_samples
from .base import Net, register_net
from .mlp import GeneratorMixin


def gumbel_softmax(logits: torch.Tensor, tau: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Soft Gumbel-softmax sample (Jang et al. 2017): softmax((logits + g) / tau), g ~ Gumbel(0, 1).

    logits: (N, K). Returns (N, K) rows on the simplex. Takes an explicit ``generator`` so that
    sampling is reproducible (torch's own gumbel_softmax only uses the global RNG).
    """
    device = logits.device if generator is None else generator.device
    u = torch.rand(logits.shape, generator=generator, device=device).to(logits.device)
    e = -torch.log(u.clamp_min(1e-10))  # Exponential(1)
    g = -torch.log(e.clamp_min(1e-10))  # Gumbel(0, 1)
    return torch.softmax((logits + g) / tau, dim=1)


def apply_activations(raw: torch.Tensor, spans: Sequence[Sequence], tau: float = 0.2,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Raw generator output (N, D) -> encoded rows (N, D): tanh / Gumbel-softmax per span.

    ``spans``: [[size, "tanh" | "softmax"], ...] covering D columns in order.
    """
    parts, start = [], 0
    for size, act in spans:
        x = raw[:, start: start + size]
        parts.append(torch.tanh(x) if act == "tanh" else gumbel_softmax(x, tau, generator))
        start += size
    return torch.cat(parts, dim=1) if parts else raw


class _Residual(nn.Module):
    def __init__(self, i: int, o: int) -> None:
        super().__init__()
        self.fc, self.bn = nn.Linear(i, o), nn.BatchNorm1d(o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


@register_net("tabular_g", help="CTGAN residual generator: z (+) cond vector -> encoded table row")
class TabularGenerator(GeneratorMixin, Net):
    """Residual MLP generator for encoded table rows.

    ``forward(z (N, z_dim), c (N, cond_dim) float or None) -> (N, data_dim)`` activated rows
    (alphas in (-1, 1), one-hot-like blocks on the simplex). :meth:`raw` gives the
    pre-activation output that the conditional loss needs.
    """

    def __init__(self, z_dim: int = 128, cond_dim: int = 0, data_dim: int = 1,
                 spans: Sequence[Sequence] = ((1, "tanh"),), hidden: Sequence[int] = (256, 256),
                 tau: float = 0.2) -> None:
        super().__init__()
        if sum(int(s[0]) for s in spans) != data_dim:
            raise ValueError(f"spans cover {sum(int(s[0]) for s in spans)} columns but data_dim is {data_dim}")
        self.z_dim, self.cond_dim, self.data_dim, self.num_classes = z_dim, cond_dim, data_dim, 0
        self.out_shape = (data_dim,)
        self.spans = [(int(s[0]), str(s[1])) for s in spans]
        self.tau = tau
        layers, d = [], z_dim + cond_dim
        for h in hidden:
            layers.append(_Residual(d, h))
            d += h
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(d, data_dim)

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 4, "cond_dim": 3, "data_dim": 5, "spans": [[1, "tanh"], [2, "softmax"], [2, "softmax"]],
                "hidden": [8, 8]}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) \
            -> tuple[torch.Tensor, torch.Tensor | None, torch.Generator]:
        """z (n, z_dim) N(0, I), a one-hot cond vector c (n, cond_dim) (None when cond_dim is 0),
        and a CPU generator seeded from ``generator`` for the Gumbel-softmax noise, so that the
        same seed gives the same output."""
        z = self.sample_latent(n, generator=generator)
        c = (nn.functional.one_hot(torch.randint(self.cond_dim, (n,), generator=generator), self.cond_dim).float()
             if self.cond_dim else None)
        seed = int(torch.randint(2 ** 62, (), generator=generator))
        return z, c, torch.Generator().manual_seed(seed)

    def raw(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.cond_dim:
            if c is None:
                raise ValueError(f"this generator needs a cond vector c of shape (N, {self.cond_dim})")
            z = torch.cat([z, c.to(z.dtype)], dim=1)
        return self.out(self.body(z))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        return apply_activations(self.raw(z, c), self.spans, self.tau, generator)


@register_net("tabular_d", help="CTGAN packed critic: pac rows (+) cond vectors -> score")
class TabularDiscriminator(Net):
    """PacGAN critic over encoded rows. ``forward(x (N, data_dim), c (N, cond_dim) or None)``
    returns raw scores (N / pac,); N must be a multiple of ``pac``."""

    def __init__(self, data_dim: int = 1, cond_dim: int = 0, hidden: Sequence[int] = (256, 256),
                 pac: int = 10, dropout: float = 0.5) -> None:
        super().__init__()
        self.data_dim, self.cond_dim, self.pac, self.num_classes = data_dim, cond_dim, pac, 0
        self.in_shape = (data_dim,)
        layers: list[nn.Module] = []
        d = (data_dim + cond_dim) * pac
        for h in hidden:
            layers += [nn.Linear(d, h), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            d = h
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)

    @classmethod
    def example_args(cls) -> dict:
        return {"data_dim": 6, "cond_dim": 3, "hidden": [16], "pac": 2}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """Encoded rows x (n, data_dim) in [-1, 1] and, when ``cond_dim`` > 0, one-hot cond
        vectors (n, cond_dim). n must be a multiple of ``pac``."""
        x = torch.rand(n, self.data_dim, generator=generator) * 2 - 1
        if not self.cond_dim:
            return (x,)
        return x, nn.functional.one_hot(torch.randint(self.cond_dim, (n,), generator=generator), self.cond_dim).float()

    def join(self, x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """Rows with their cond vectors, packed: (N, data_dim) -> (N / pac, pac * (data_dim + cond_dim))."""
        if self.cond_dim:
            if c is None:
                raise ValueError(f"this critic needs a cond vector c of shape (N, {self.cond_dim})")
            x = torch.cat([x, c.to(x.dtype)], dim=1)
        return pack_samples(x, self.pac)

    def score_packed(self, packed: torch.Tensor) -> torch.Tensor:
        return self.net(packed).squeeze(1)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.score_packed(self.join(x, c))
