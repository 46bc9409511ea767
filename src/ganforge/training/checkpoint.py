"""Training checkpoints: everything needed to continue exactly, written atomically.

A checkpoint holds nets, optimizers, EMA, family state, the batch sampler, the step and every
RNG state (torch CPU and CUDA, numpy, Python). It is saved with ``torch.save`` and loaded with
``torch.load(weights_only=True)``, whose restricted unpickler accepts only tensors and plain
containers, so a checkpoint from a stranger cannot run code. Exported models (the generator
and discriminator folders) use config.json + safetensors instead.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import GanforgeError
from ..fileio import save_torch

CHECKPOINT_NAME = "checkpoint.pt"
FORMAT_VERSION = 1


def rng_state() -> dict[str, Any]:
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
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def atomic_save(obj: Any, path: Path) -> None:
    """torch.save to a temporary file in the same folder, fsync, then rename over ``path``.

    A failed write (full disk, read-only folder) removes the temporary file, keeps the previous
    checkpoint and raises a GanforgeError naming the file (see :mod:`ganforge.fileio`)."""
    save_torch(obj, path, "the training checkpoint")


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    if not path.is_file():
        raise GanforgeError(f"{path}: no checkpoint to resume from")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # a truncated or foreign file
        raise GanforgeError(f"{path}: cannot read checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT_VERSION:
        raise GanforgeError(f"{path}: not a ganforge checkpoint (format {FORMAT_VERSION})")
    return ckpt
