"""Data-parallel training with torch.distributed (gloo on CPU, NCCL on CUDA).

Launched by ``torchrun --nproc-per-node N ganforge train ...``: torchrun sets RANK,
WORLD_SIZE and LOCAL_RANK. Every process holds the same networks (rank 0's initial weights
are broadcast), draws its own shard of every batch, and gradients are averaged over the
processes with one all-reduce per update before the optimizer step, so weights stay
identical. Rank 0 alone writes files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as tdist
from torch import nn


@dataclass
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def average_gradients(self, net: nn.Module) -> None:
        grads = [p.grad for p in net.parameters() if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        tdist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for g in grads:
            n = g.numel()
            g.copy_(flat[offset:offset + n].view_as(g))
            offset += n

    def broadcast(self, net: nn.Module) -> None:
        """Copy rank 0's parameters and buffers to every process."""
        if self.world_size == 1:
            return
        with torch.no_grad():
            for t in list(net.parameters()) + list(net.buffers()):
                tdist.broadcast(t.data, src=0)

    def barrier(self) -> None:
        if self.world_size > 1:
            tdist.barrier()


def init_distributed(device_pref: str) -> DistContext:
    """Join the process group when launched by torchrun; a single process otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext()
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if not tdist.is_initialized():
        use_cuda = torch.cuda.is_available() and device_pref != "cpu"
        if use_cuda:
            torch.cuda.set_device(local)
        tdist.init_process_group("nccl" if use_cuda else "gloo")
    return DistContext(rank=rank, world_size=world, local_rank=local)


def is_initialized() -> bool:
    """Whether a torch.distributed process group exists in this process."""
    return tdist.is_available() and tdist.is_initialized()


def shutdown(wait: bool = False) -> None:
    """Leave the process group (before the interpreter exits: a gloo group left alive can abort
    the process at exit with "terminate called without an active exception").

    ``wait``: meet the other ranks at a barrier first, so that no rank tears its connections down
    while another is still finishing (rank 0 exports and checkpoints after the last step while
    the others are done; a rank that left early aborted in CI). Only after a run that ended
    normally on this rank: after an error the others may never arrive."""
    if is_initialized():
        if wait and tdist.get_world_size() > 1:
            tdist.barrier()
        tdist.destroy_process_group()
