"""Before the first step: the resolved config, the device, the seeds, and the checks on the
run folder (a new run, ``--resume``, ``--overwrite``)."""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import RESUMABLE, RunConfig, config_from_dict, merge_defaults, validate
from ..errors import GanforgeError
from ..families import FAMILIES
from .checkpoint import CHECKPOINT_NAME, load_checkpoint
from ..distributed import DistContext

CONFIG_NAME = "config.yaml"


def resolve_config(cfg: RunConfig, kind: str) -> RunConfig:
    """Apply the family's defaults (for this kind of data) under the user's settings and validate."""
    spec = FAMILIES.get(cfg.family)
    defaults = {k: dict(v) for k, v in spec.defaults.items() if k != "by_kind"}
    for sec, values in spec.defaults.get("by_kind", {}).get(kind, {}).items():
        defaults.setdefault(sec, {}).update(values)
    merge_defaults(cfg, defaults)
    if cfg.train.out is None:
        cfg.train.out = f"runs/{cfg.family}"
    return validate(cfg)


def fit_image_side(cfg: RunConfig, dataset: Any, build: Any, say: Any = print) -> Any:
    """The dataset at the image side the family's nets take (``Family.image_side``): when the
    user left ``data.resolution`` unset and the data's side is one the nets do not support
    (28 px MNIST for StyleGAN), set ``data.resolution`` to the nearest supported side, say so in
    one line, and build the data again at that side. A side the user asked for is kept (the
    family then names what it accepts)."""
    if dataset.info.kind != "image" or cfg.data.resolution is not None:
        return dataset
    side = int(dataset.info.shape[-1])
    want = FAMILIES.get(cfg.family).cls.image_side(side)
    if want == side:
        return dataset
    say(f"{cfg.family}: resizing {dataset.info.name} from {side} to {want} px (the side its nets take; "
        f"set --resolution to choose)")
    cfg.data.resolution = want
    return build(cfg.data)


def pick_device(pref: str, dist: DistContext) -> torch.device:
    """The device of ``train.device`` (auto: this process's GPU when CUDA is present, else the CPU)."""
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", dist.local_rank)
        return torch.device("cpu")
    if pref.startswith("cuda") and not torch.cuda.is_available():
        raise GanforgeError(f"train.device = {pref!r} but CUDA is not available here; use auto or cpu")
    if pref == "cuda":
        return torch.device("cuda", dist.local_rank)
    return torch.device(pref)


def settle_precision(cfg: RunConfig, device: torch.device, requested: str) -> str:
    """Resolve ``cfg.train.precision`` in place for ``device`` (``auto``: bf16 where the hardware
    and the family allow it, see :func:`ganforge.families.base.resolve_precision`), so that
    config.yaml and the checkpoint hold the precision the run trains in. ``requested`` is the
    value before :func:`open_run`, which on ``--resume`` replaces auto by the saved precision.
    Returns the one line printed at the start, e.g. ``precision: bf16 (auto: this CPU has AVX512-BF16)``."""
    from ..families.base import resolve_precision

    precision, why = resolve_precision(cfg.train.precision, device, FAMILIES.get(cfg.family).cls)
    cfg.train.precision = precision
    if requested == "auto" and not why:
        why = "auto: as the run was started"
    return f"precision: {precision} ({why or 'train.precision'})"


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global RNGs."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _same_config(saved: dict[str, Any], cfg: RunConfig, source: Path, out: Path) -> None:
    """Refuse to continue a run whose saved config differs from ``cfg`` outside RESUMABLE.

    ``train.precision = auto`` takes the saved (resolved) precision, so a run started with auto
    continues in the precision it started in, on any machine; an explicit precision must match."""
    saved_precision = (saved.get("train") or {}).get("precision")
    if cfg.train.precision == "auto" and isinstance(saved_precision, str):
        cfg.train.precision = saved_precision
    diffs = {k: v for k, v in config_from_dict(saved, source=str(source)).diff(cfg).items() if k not in RESUMABLE}
    if diffs:
        lines = "; ".join(f"{k}: checkpoint {a!r} vs now {b!r}" for k, (a, b) in diffs.items())
        raise GanforgeError(f"cannot resume {out}: the config differs from the checkpoint's in {lines}. "
                            f"Use the original settings, or start a new run with another --out")


def open_run(cfg: RunConfig, out: Path, resume: bool, overwrite: bool) -> dict[str, Any] | None:
    """The checkpoint to continue from (None: start at step 0), after checking that the run
    folder may be used. ``resume`` on a folder whose run was stopped before its first
    checkpoint (config.yaml is written at the start) starts that run again from step 0."""
    ckpt_path = out / CHECKPOINT_NAME
    if resume:
        if not ckpt_path.exists() and (out / CONFIG_NAME).is_file():
            import yaml

            _same_config(yaml.safe_load((out / CONFIG_NAME).read_text()), cfg, out / CONFIG_NAME, out)
            print(f"{out} has no checkpoint yet (the run stopped before its first one): starting from step 0")
            return None
        ckpt = load_checkpoint(ckpt_path)
        _same_config(ckpt["config"], cfg, ckpt_path, out)
        return ckpt
    if ckpt_path.exists() and not overwrite:
        raise GanforgeError(f"{out} already holds a training run ({ckpt_path}): add --resume to continue it, "
                            f"--overwrite to start it again, or choose another --out")
    return None
