"""Training checkpoints: everything needed to continue exactly, written atomically.

What a checkpoint holds is built and restored by :mod:`ganforge.training.state`. It is saved
with ``torch.save`` and loaded with ``torch.load(weights_only=True)``, whose restricted
unpickler accepts only tensors and plain containers, so a checkpoint from a stranger cannot
run code. Exported models (the generator and discriminator folders) use config.json +
safetensors instead.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from ..errors import GanforgeError
from ..fileio import save_torch, write_text

CHECKPOINT_NAME = "checkpoint.pt"
FORMAT_VERSION = 1
# the temporary files of an atomic write: ".NAME.tmpPID" (checkpoints, models) or
# ".STEM.tmpPID.SUFFIX" (images); a process killed mid-write leaves one behind
_TEMPORARY = re.compile(r"^\..+\.tmp\w*(\.\w+)?$")


def atomic_save(obj: Any, path: Path) -> None:
    """torch.save to a temporary file in the same folder, fsync, then rename over ``path``.

    A failed write (full disk, read-only folder) removes the temporary file, keeps the previous
    checkpoint and raises a GanforgeError naming the file (see :mod:`ganforge.fileio`)."""
    save_torch(obj, path, "the training checkpoint")


def atomic_write_text(path: Path, text: str) -> None:
    """Write a small text file (config.yaml) through a temporary file and a rename, so a
    process killed meanwhile leaves the old file or the new one, never half of one; OS errors
    are named (see :mod:`ganforge.fileio`)."""
    write_text(path, text, f"the run's {path.name}")


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


def remove_stale_temporaries(run_dir: Path) -> list[Path]:
    """Delete the temporary files that processes killed in the middle of an atomic write left
    in ``run_dir`` and its sub-folders (generator/, discriminator/, best/, samples/, ...);
    returns what was removed. Call it before this run writes anything: a run folder has one
    writer, so every temporary found then is stale."""
    if not run_dir.is_dir():
        return []
    removed = []
    for p in sorted(run_dir.rglob(".*.tmp*")):
        if p.is_file() and _TEMPORARY.match(p.name):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed
