"""A reproducible, checkpointable batch sampler over an in-memory dataset.

Epoch e uses the permutation ``randperm(N, seed + e)``; its state is just (epoch, position),
so a resumed run draws exactly the batches it would have drawn. With several processes, each
global batch of ``batch_size * world_size`` indices is split so that rank r takes its slice.
"""
from __future__ import annotations

from typing import Any

import torch

from ..errors import GanforgeError


class BatchSampler:
    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1) -> None:
        global_batch = batch_size * world_size
        if n < global_batch:
            raise GanforgeError(f"data.batch_size {batch_size} x {world_size} process(es) is larger than the "
                                f"dataset ({n} samples): lower --batch-size or use more data")
        self.n, self.batch_size, self.seed, self.rank, self.world = n, batch_size, seed, rank, world_size
        self.epoch, self.pos = 0, 0
        self._perm: torch.Tensor | None = None
        # a generator for datasets that draw extra indices per batch (unpaired domains)
        self.generator = torch.Generator().manual_seed(seed + 7919)

    def _permutation(self) -> torch.Tensor:
        if self._perm is None:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
            self._perm = torch.randperm(self.n, generator=g)
        return self._perm

    def next(self) -> torch.Tensor:
        gb = self.batch_size * self.world
        if self.pos + gb > self.n:  # drop the incomplete last batch
            self.epoch, self.pos, self._perm = self.epoch + 1, 0, None
        start = self.pos + self.rank * self.batch_size
        idx = self._permutation()[start:start + self.batch_size]
        self.pos += gb
        return idx

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "pos": self.pos, "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.pos, self._perm = int(state["epoch"]), int(state["pos"]), None
        self.generator.set_state(state["generator"])
