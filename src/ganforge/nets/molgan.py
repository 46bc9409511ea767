"""MolGAN's networks (De Cao and Kipf 2018): an MLP generator of molecule graphs and a relational
(R-GCN) discriminator, which also serves as the reward network.

A graph is packed as (N, M, A + M * B) (:mod:`ganforge.data.molgraphs`): per node i, its atom
type scores ``[:A]`` (type 0 "no atom") and its bond-type scores to every node ``[A:]``, viewed
as (M, B) (type 0 "no bond"). One-hot for real data and for the generator in eval mode.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from .base import Net, generator_example_inputs, register_net
from .mlp import GeneratorMixin

SAMPLINGS = ("softmax", "soft_gumbel", "hard_gumbel")


def _symmetric(t: Tensor) -> Tensor:
    """(N, M, M, B) -> the same with the upper triangle mirrored (strict; the diagonal kept)."""
    upper = torch.triu(torch.ones(t.shape[1], t.shape[2], dtype=torch.bool, device=t.device), diagonal=1)
    return torch.where(upper[None, :, :, None], t, t.transpose(1, 2))


@register_net("molgan_g", help="MolGAN generator: z -> MLP -> symmetric bond-type and atom-type scores (graphs)")
class MolGANGenerator(GeneratorMixin, Net):
    """z (N, z_dim) -> graphs (N, M, A + M * B).

    Adjacency logits are symmetrised ((L + L^T) / 2) and self-bonds are forced to "no bond".
    In train mode the output is MolGAN's continuous relaxation, ``sampling``: ``softmax`` of the
    logits, ``soft_gumbel`` (Gumbel-softmax samples, Jang et al. 2017, temperature ``tau``) or
    ``hard_gumbel`` (straight-through: one-hot forward, Gumbel-softmax gradient); the Gumbel
    noise of a bond is drawn once for (i, j) and (j, i). In eval mode it is the one-hot of the
    argmax: a discrete graph."""

    def __init__(self, z_dim: int = 32, max_atoms: int = 16, atom_types: int = 8, bond_types: int = 4,
                 hidden: Sequence[int] = (128, 256, 512), dropout: float = 0.0, sampling: str = "softmax",
                 tau: float = 1.0) -> None:
        super().__init__()
        if sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {', '.join(SAMPLINGS)}, got {sampling!r}")
        self.z_dim, self.num_classes = z_dim, 0
        self.max_atoms, self.atom_types, self.bond_types = max_atoms, atom_types, bond_types
        self.sampling, self.tau = sampling, float(tau)
        self.out_shape = (max_atoms, atom_types + max_atoms * bond_types)
        layers: list[nn.Module] = []
        d = z_dim
        for h in hidden:
            layers += [nn.Linear(d, h), nn.Tanh()] + ([nn.Dropout(dropout)] if dropout else [])
            d = h
        self.body = nn.Sequential(*layers)
        self.edges = nn.Linear(d, max_atoms * max_atoms * bond_types)
        self.nodes = nn.Linear(d, max_atoms * atom_types)

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 4, "max_atoms": 5, "atom_types": 3, "bond_types": 3, "hidden": [8, 16],
                "sampling": "hard_gumbel"}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, ...]:
        """z (n, z_dim)."""
        return generator_example_inputs(self, n, generator)

    def logits(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """(bond logits (N, M, M, B) symmetric, "no bond" on the diagonal; atom logits (N, M, A))."""
        n, m, b = z.shape[0], self.max_atoms, self.bond_types
        h = self.body(z)
        e = self.edges(h).view(n, m, m, b)
        e = (e + e.transpose(1, 2)) / 2
        eye = torch.eye(m, dtype=torch.bool, device=z.device)[None, :, :, None]
        no_bond = torch.full_like(e, -1e4 if e.dtype == torch.float32 else -1e3)
        no_bond[..., 0] = 0.0
        e = torch.where(eye, no_bond, e)
        return e, self.nodes(h).view(n, m, self.atom_types)

    def _relax(self, logits: Tensor, symmetric: bool) -> Tensor:
        if self.sampling == "softmax":
            return torch.softmax(logits.float() / self.tau, dim=-1).to(logits.dtype)
        u = torch.rand(logits.shape, device=logits.device).clamp_(1e-10, 1.0 - 1e-7)
        g = -torch.log(-torch.log(u))
        if symmetric:
            g = _symmetric(g)
        y = torch.softmax((logits.float() + g) / self.tau, dim=-1)
        if self.sampling == "hard_gumbel":
            hard = nn.functional.one_hot(y.argmax(-1), y.shape[-1]).to(y.dtype)
            y = hard - y.detach() + y
        return y.to(logits.dtype)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        e, v = self.logits(z)
        n, m = z.shape[0], self.max_atoms
        if self.training:
            e, v = self._relax(e, symmetric=True), self._relax(v, symmetric=False)
        else:
            e = nn.functional.one_hot(e.argmax(-1), self.bond_types).to(e.dtype)
            v = nn.functional.one_hot(v.argmax(-1), self.atom_types).to(v.dtype)
        return torch.cat([v, e.reshape(n, m, m * self.bond_types)], dim=2)


class RelationalGraphConv(nn.Module):
    """One R-GCN layer (Schlichtkrull et al. 2018) as MolGAN uses it:
    h'_i = tanh(f_s(h_i) + sum_b sum_j A_ijb f_b(h_j)), with h the previous layer's features
    concatenated with the atom types (annotations)."""

    def __init__(self, d_in: int, d_out: int, relations: int) -> None:
        super().__init__()
        self.relations, self.d_out = relations, d_out
        self.self_loop = nn.Linear(d_in, d_out)
        self.per_relation = nn.Linear(d_in, d_out * relations)

    def forward(self, h: Tensor, adj: Tensor) -> Tensor:
        """h (N, M, d_in), adj (N, M, M, R) -> (N, M, d_out)."""
        n, m, _ = h.shape
        msg = self.per_relation(h).view(n, m, self.relations, self.d_out)
        return torch.tanh(self.self_loop(h) + torch.einsum("nijr,njrd->nid", adj.to(msg.dtype), msg))


@register_net("molgan_d", help="MolGAN discriminator / reward net: R-GCN over bond types, gated graph sum, MLP -> logit")
class MolGANDiscriminator(Net):
    """Graphs (N, M, A + M * B) -> raw logits (N,). R-GCN layers ``gcn`` over the B - 1 bond
    types (no "no bond" relation), a graph aggregation (sum over nodes of
    sigmoid(i(h, x)) * tanh(j(h, x)), then tanh; Li et al. 2016), then an MLP ``mlp`` with tanh."""

    def __init__(self, max_atoms: int = 16, atom_types: int = 8, bond_types: int = 4, gcn: Sequence[int] = (64, 32),
                 aggregate: int = 128, mlp: Sequence[int] = (128, 64), dropout: float = 0.0) -> None:
        super().__init__()
        self.max_atoms, self.atom_types, self.bond_types = max_atoms, atom_types, bond_types
        self.in_shape = (max_atoms, atom_types + max_atoms * bond_types)
        self.num_classes = 0
        self.convs = nn.ModuleList()
        d = atom_types
        for h in gcn:
            self.convs.append(RelationalGraphConv(d, h, bond_types - 1))
            d = h + atom_types
        self.gate, self.value = nn.Linear(d, aggregate), nn.Linear(d, aggregate)
        layers: list[nn.Module] = []
        d = aggregate
        for h in mlp:
            layers += [nn.Linear(d, h), nn.Tanh()] + ([nn.Dropout(dropout)] if dropout else [])
            d = h
        self.mlp = nn.Sequential(*layers)
        self.head = nn.Linear(d, 1)

    @classmethod
    def example_args(cls) -> dict:
        return {"max_atoms": 5, "atom_types": 3, "bond_types": 3, "gcn": [8, 4], "aggregate": 8, "mlp": [8],
                "dropout": 0.1}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, ...]:
        """x (n, M, A + M * B): random one-hot graphs with symmetric bonds."""
        m, a, b = self.max_atoms, self.atom_types, self.bond_types
        nodes = torch.randint(0, a, (n, m), generator=generator)
        e = torch.randint(0, b, (n, m, m), generator=generator).triu(1)
        e = e + e.transpose(1, 2)
        return (torch.cat([nn.functional.one_hot(nodes, a), nn.functional.one_hot(e, b).reshape(n, m, m * b)],
                          dim=2).float(),)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        n, m, a = x.shape[0], self.max_atoms, self.atom_types
        annotations = x[..., :a]
        adj = x[..., a:].reshape(n, m, m, self.bond_types)[..., 1:]
        h = annotations
        for conv in self.convs:
            h = torch.cat([conv(h, adj), annotations.to(h.dtype)], dim=2)
        g = torch.tanh((torch.sigmoid(self.gate(h)) * torch.tanh(self.value(h))).sum(1))
        return self.head(self.mlp(g)).squeeze(1)

