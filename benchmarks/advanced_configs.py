"""Sizes of the advanced nets (CPU defaults and GPU configurations) and CPU seconds per
training iteration (one D phase + one G phase of the registered family, built as
``ganforge train FAMILY`` builds it at 32 px) at the defaults.

    PYTHONPATH=src python benchmarks/advanced_configs.py [--threads 1] [--batch 32] [--iters 5]

Prints a markdown table; docs/advanced-families.md quotes it.
"""
from __future__ import annotations

import argparse
import time
from typing import Any

import torch

from ganforge.api import make_config
from ganforge.data.base import DataInfo
from ganforge.families import FAMILIES, Family
from ganforge.nets import build_net
from ganforge.distributed import DistContext
from ganforge.training.loop import resolve_config


def build_family(family: str, info: DataInfo, **overrides: Any) -> Family:
    """The registered ``family`` on the CPU for data described by ``info`` (no dataset is
    loaded), with its defaults under ``overrides`` (dotted config names)."""
    cfg = resolve_config(make_config(family, **overrides), info.kind)
    return FAMILIES.get(family).cls(cfg, info, torch.device("cpu"), DistContext())


# MNIST-like data at 32 px with 10 classes: biggan and sngan condition on them, the others do not.
CPU_DATA = DataInfo(name="random", kind="image", shape=(1, 32, 32), num_classes=10)
CPU = ["progan", "stylegan", "biggan", "sngan", "infogan"]
# family state to start from: ProGAN is timed at its full resolution (past its growth schedule),
# like the other nets, not at the 4x4 stage a fresh run starts at
START_STATE = {"progan": {"iteration": 10**9}}
# ... and the paper-sized configurations documented for GPUs.
GPU = [
    ("progan 256 px", "progan_g", dict(z_dim=512, out_shape=(3, 256, 256), channel_base=16384, channel_max=512),
     "progan_d", dict(in_shape=(3, 256, 256), channel_base=16384, channel_max=512)),
    ("stylegan 256 px", "stylegan_g", dict(z_dim=512, w_dim=512, out_shape=(3, 256, 256), channel_base=16384, channel_max=512),
     "stylegan_d", dict(in_shape=(3, 256, 256), channel_base=16384, channel_max=512)),
    ("biggan 128 px", "biggan_g", dict(z_dim=120, out_shape=(3, 128, 128), num_classes=1000, ch=96, attention=[64]),
     "biggan_d", dict(in_shape=(3, 128, 128), num_classes=1000, ch=96, attention=[64])),
    ("sngan 32 px (CIFAR)", "sngan_g", dict(out_shape=(3, 32, 32), num_classes=10, ch=64),
     "sngan_d", dict(in_shape=(3, 32, 32), num_classes=10, ch=32)),
]


def _params(net: torch.nn.Module) -> str:
    return f"{sum(p.numel() for p in net.parameters()) / 1e6:.2f}M"


def _iteration(family: Family, batch: dict[str, torch.Tensor]) -> None:
    """One D phase and one G phase (lazy regularization phases left out)."""
    for phase in family.phases():
        if phase.name in ("D", "G"):
            phase.step(batch)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"| family (CPU default, 32 px) | G params | D params | s / iteration (batch {args.batch}, {args.threads} thread) |")
    print("|---|---|---|---|")
    for name in CPU:
        family = build_family(name, CPU_DATA)
        family.load_extra_state(START_STATE.get(name, {}))
        G, D = family.nets["G"], family.nets["D"]
        batch = {"x": torch.rand(args.batch, *CPU_DATA.shape) * 2 - 1,
                 "y": torch.randint(CPU_DATA.num_classes, (args.batch,))}
        _iteration(family, batch)  # warm-up
        t = time.perf_counter()
        for _ in range(args.iters):
            _iteration(family, batch)
        print(f"| {name} | {_params(G)} | {_params(D)} | {(time.perf_counter() - t) / args.iters:.2f} |")
    print()
    print("| GPU configuration | G params | D params |")
    print("|---|---|---|")
    for name, g, g_kw, d, d_kw in GPU:
        print(f"| {name} | {_params(build_net(g, **g_kw))} | {_params(build_net(d, **d_kw))} |")


if __name__ == "__main__":
    main()
