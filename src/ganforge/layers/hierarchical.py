"""Hierarchical latents with a shared class embedding (Brock et al. 2019, BigGAN section 3).

The latent z is split into one chunk per generator block plus one for the first (dense)
layer. Every block receives ``cat(shared_embedding(y), z_chunk)`` as the conditioning vector
of its conditional batch norms, so the latent influences features at every resolution
directly, and one class embedding is shared by all blocks instead of one per layer.
"""
from __future__ import annotations

import torch
from torch import nn


def latent_chunks(z_dim: int, num_chunks: int) -> list[int]:
    """Sizes of ``num_chunks`` chunks that add up to ``z_dim``, as even as possible (the first
    chunks get the remainder). E.g. ``latent_chunks(120, 6) == [20] * 6``."""
    if num_chunks < 1 or z_dim < num_chunks:
        raise ValueError(f"cannot split z_dim={z_dim} into {num_chunks} non-empty chunks: "
                         f"use z_dim >= {max(num_chunks, 1)}")
    base, extra = divmod(z_dim, num_chunks)
    return [base + (1 if i < extra else 0) for i in range(num_chunks)]


class HierarchicalLatent(nn.Module):
    """Split z and build one conditioning vector per generator block.

    forward(z (N, z_dim), y (N,) int or None) -> (z0 (N, chunks[0]), [cond_i (N, cond_dim)]).
    Block i's vector has ``self.cond_dims[i] = embed_dim + chunks[i + 1]`` features; with
    ``num_classes=0`` it is the latent chunk alone. ``forward`` returns the z0 chunk, which
    feeds the first dense layer, and the list of per-block vectors.
    """

    def __init__(self, z_dim: int, num_blocks: int, num_classes: int = 0, embed_dim: int = 128) -> None:
        super().__init__()
        self.z_dim, self.num_classes = z_dim, num_classes
        self.chunks = latent_chunks(z_dim, num_blocks + 1)
        self.embed_dim = embed_dim if num_classes else 0
        self.shared = nn.Embedding(num_classes, embed_dim) if num_classes else None
        self.cond_dims = [self.embed_dim + c for c in self.chunks[1:]]

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        parts = list(torch.split(z, self.chunks, dim=1))
        if self.shared is None:
            return parts[0], parts[1:]
        if y is None:
            raise ValueError("conditional generator needs class labels c")
        e = self.shared(y)
        return parts[0], [torch.cat([e, p], dim=1) for p in parts[1:]]
