"""The whole training state in one place: what a checkpoint holds and how it is restored.

A checkpoint is a plain dict of tensors and containers (loadable with
``torch.load(weights_only=True)``): the step, the config, every net and optimizer, the EMA
copy of G, the gradient scaler, the family's own state (growth stage, image pools, ...),
each process's batch sampler and RNG states (torch CPU and CUDA, numpy, Python) and the state
of the hooks whose decisions depend on history (best metric, early-stopping patience, health
windows). Restoring it continues the run exactly: N steps, stop, resume, M steps gives the
same weights as N+M steps in one go (on the CPU, bit for bit).
"""
from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .checkpoint import FORMAT_VERSION

if TYPE_CHECKING:
    from ..config import RunConfig
    from ..families import Family
    from .ema import EMA
    from .sampler import BatchSampler


def rng_state() -> dict[str, Any]:
    """This process's global RNG states: torch CPU, CUDA (when initialised), numpy, Python."""
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached": float(np_state[4])},
        "python": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned (also after a round trip through a checkpoint,
    which turns Python's tuples into lists)."""
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def hook_key(hook: Any, index: int) -> str:
    """The name under which a hook's state is saved: its ``name`` attribute, else its class
    name and position (two hooks of one class keep apart)."""
    return str(getattr(hook, "name", None) or f"{type(hook).__name__}{index}")


def training_state(step: int, cfg: "RunConfig", family: "Family", ema: "EMA | None", samplers: list[dict[str, Any]],
                   rngs: list[dict[str, Any]], hooks: list[Any]) -> dict[str, Any]:
    """The checkpoint dict. ``samplers`` and ``rngs`` hold one entry per process (rank order)."""
    return {
        "format": FORMAT_VERSION, "step": step, "config": cfg.to_dict(),
        "nets": {k: v.state_dict() for k, v in family.nets.items()},
        "optimizers": {k: v.state_dict() for k, v in family.optimizers.items()},
        "ema": ema.state_dict() if ema is not None else None,
        "scaler": family.scaler.state_dict() if family.scaler is not None else None,
        "family": family.extra_state(), "sampler": samplers, "rng": rngs,
        "hooks": {hook_key(h, i): h.state_dict() for i, h in enumerate(hooks) if hasattr(h, "state_dict")},
    }


def restore_training_state(ckpt: dict[str, Any], family: "Family", ema: "EMA | None", sampler: "BatchSampler",
                           rank: int, hooks: list[Any]) -> int:
    """Load everything :func:`training_state` saved into the live objects and set this
    process's RNG states; returns the step to continue from. A process without its own saved
    sampler/RNG entry (more processes than when saved) takes rank 0's."""
    for name, net in family.nets.items():
        net.load_state_dict(ckpt["nets"][name])
    for name, opt in family.optimizers.items():
        opt.load_state_dict(ckpt["optimizers"][name])
    if ema is not None:
        ema.load_state_dict(ckpt["ema"])
    if family.scaler is not None and ckpt.get("scaler"):
        family.scaler.load_state_dict(ckpt["scaler"])
    family.load_extra_state(ckpt.get("family", {}))
    sampler.load_state_dict(ckpt["sampler"][rank] if rank < len(ckpt["sampler"]) else ckpt["sampler"][0])
    saved_hooks = ckpt.get("hooks") or {}  # checkpoints written before hooks kept state have none
    for i, h in enumerate(hooks):
        if hasattr(h, "load_state_dict") and hook_key(h, i) in saved_hooks:
            h.load_state_dict(saved_hooks[hook_key(h, i)])
    # last: nothing after this may draw from the global RNG before the next step
    set_rng_state(ckpt["rng"][rank] if rank < len(ckpt["rng"]) else ckpt["rng"][0])
    return int(ckpt["step"])
