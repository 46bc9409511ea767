"""Evaluation split across the processes of a ``torch.distributed`` job (e.g. ``torchrun``).

Each process takes every ``world``-th batch of the source (``ImageSource.batches(bs,
part=(rank, world))``), computes its features, and :func:`gather_batches` puts every
process's rows back in the source's order on every process. Every process then holds exactly
the features one process would have computed (an extractor treats each image on its own, and a
batch holds the same images either way), so the metrics agree with a single process.

Features rather than statistics are gathered because KID, precision/recall and the Inception
Score need them; 10,000 x 2,048 float32 features are 80 MB, small next to the extraction.
"""
from __future__ import annotations

import torch

from ..errors import GanforgeError


def current_part(distributed: bool) -> tuple[int, int]:
    """(rank, world size) of this process when ``distributed``, else (0, 1).

    ``distributed=True`` needs an initialised process group (``torch.distributed.init_process_group``,
    as ``torchrun`` workers do), and every process of the group must make the same calls."""
    if not distributed:
        return 0, 1
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()):
        raise GanforgeError("distributed evaluation: no torch.distributed process group is initialised; call "
                            "torch.distributed.init_process_group first (under torchrun), or pass distributed=False")
    return dist.get_rank(), dist.get_world_size()


def _comm_device() -> torch.device:
    """Where tensors must be for the group's collectives: the current GPU under NCCL (which
    only moves GPU tensors), else the CPU (gloo)."""
    if torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _batch_rows(count: int, batch_size: int, first: int, step: int) -> list[int]:
    return [min(batch_size, count - i * batch_size) for i in range(first, -(-count // batch_size), step)]


def gather_batches(local: list[torch.Tensor], count: int, batch_size: int, part: tuple[int, int]) -> torch.Tensor:
    """All rows of a source from the per-process batches, in the source's order, on every process.

    local: this process's outputs for batches rank, rank + world, ... (each (b, ...) with b rows);
    count: images in the source. Returns the (count, ...) concatenation of every batch's rows,
    on the CPU, identical on every process. With part (0, 1) it is ``torch.cat(local)``."""
    rank, world = part
    if world == 1:
        return torch.cat(local)
    mine = torch.cat(local) if local else None
    # processes without any batch (more processes than batches) still join every collective,
    # so they need the row shape and dtype: take them from the first process that has rows
    meta = [None if mine is None else (tuple(mine.shape[1:]), mine.dtype)]
    metas: list = [None] * world
    torch.distributed.all_gather_object(metas, meta[0])
    shape, dtype = next(m for m in metas if m is not None)
    if mine is None:
        mine = torch.empty((0, *shape), dtype=dtype)
    rows = [sum(_batch_rows(count, batch_size, r, world)) for r in range(world)]
    if mine.shape[0] != rows[rank]:
        raise GanforgeError(f"distributed evaluation: process {rank} has {mine.shape[0]} rows, expected {rows[rank]}")
    # all_gather needs equal shapes: pad every process's rows to the largest share
    padded = torch.zeros((max(rows), *shape), dtype=dtype, device=_comm_device())
    padded[:rows[rank]] = mine
    parts = [torch.empty_like(padded) for _ in range(world)]
    torch.distributed.all_gather(parts, padded)
    parts = [p.cpu() for p in parts]
    pieces = {}
    for r in range(world):
        sizes = _batch_rows(count, batch_size, r, world)
        for k, chunk in enumerate(torch.split(parts[r][:rows[r]], sizes)):
            pieces[r + k * world] = chunk
    return torch.cat([pieces[i] for i in range(len(pieces))])


def all_true(flag: bool, distributed: bool) -> bool:
    """True when ``flag`` holds on every process (a decision every process must take alike)."""
    if not distributed:
        return flag
    t = torch.tensor([1 if flag else 0], dtype=torch.int64, device=_comm_device())
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MIN)
    return bool(t.item())
