"""Build a registered family outside the training loop, to drive its phases directly in tests
(a unique module name at the root of tests/, which pytest puts on sys.path)."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ganforge.api import make_config
from ganforge.data import build_dataset
from ganforge.data.base import DataInfo, TensorDataset
from ganforge.families import FAMILIES, Family
from ganforge.distributed import DistContext
from ganforge.training.loop import resolve_config


def build_family(name: str, info: DataInfo | None = None, **overrides: Any) -> tuple[Family, TensorDataset | None]:
    """The family ``name`` on CPU with its smoke settings plus dotted ``overrides``
    (e.g. ``**{"train.precision": "bf16"}``), and its dataset; with ``info``, on data described
    by ``info`` instead (no dataset is built: the test brings its batches)."""
    spec = FAMILIES.get(name)
    cfg = make_config(name, **{**spec.smoke, **overrides})
    ds = build_dataset(cfg.data) if info is None else None
    cfg = resolve_config(cfg, ds.info.kind if ds is not None else info.kind)
    torch.manual_seed(cfg.train.seed)
    return spec.cls(cfg, ds.info if ds is not None else info, torch.device("cpu"), DistContext()), ds


def first_batch(ds: TensorDataset, n: int = 8) -> dict[str, torch.Tensor]:
    """The first ``n`` examples of ``ds`` as the loop's batch dict (``x``, and ``y`` when labelled;
    paired and unpaired data draw their crops and flips from a generator seeded 0)."""
    return ds.get_batch(torch.arange(n), torch.Generator().manual_seed(0))


def run_iteration(family: Family, batch: dict[str, torch.Tensor]) -> dict[str, Any]:
    """One loop iteration of every phase (each ``repeat`` times) on the same batch; the merged stats."""
    stats: dict[str, Any] = {}
    for phase in family.phases():
        for _ in range(phase.repeat):
            stats.update(phase.step(batch))
    return stats


def output_dtypes(family: Family, batch: dict[str, torch.Tensor], modules: dict[str, nn.Module],
                  iterations: int = 1) -> dict[str, set[torch.dtype]]:
    """The dtypes of the floating-point outputs of ``modules`` (forward hooks) while the family
    runs ``iterations`` iterations on ``batch``."""
    seen: dict[str, set[torch.dtype]] = {k: set() for k in modules}

    def hook(name: str):
        def record(_module: nn.Module, _inputs: Any, out: Any) -> None:
            if isinstance(out, torch.Tensor) and out.is_floating_point():
                seen[name].add(out.dtype)
        return record

    handles = [m.register_forward_hook(hook(k)) for k, m in modules.items()]
    try:
        for _ in range(iterations):
            run_iteration(family, batch)
    finally:
        for h in handles:
            h.remove()
    return seen
