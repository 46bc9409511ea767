"""One short training run of each documented GPU configuration of the advanced families, through
the real loop (``ganforge.train`` with ``train.device=cuda``), reporting steps/s, images/s and peak
GPU memory, and saving the last sample grid.

    PYTHONPATH=src python benchmarks/gpu_short_runs.py --seconds 90 --out /tmp/gpu_runs \
        --json benchmarks/results/gpu_short_runs.json

The data is Fashion-MNIST upsampled to each configuration's resolution (3 channels, the first
``--limit`` images): no photo dataset is installable on the build machines, so these runs show the
configurations train at their size and speed on a GPU, not their image quality.
"""
from __future__ import annotations

import argparse
import json
import time
import traceback
from pathlib import Path

import torch

import ganforge
from mnist_families import WallClockBudget  # benchmarks/ is on sys.path when run as a script

# name: (family, overrides). Sizes follow benchmarks/advanced_configs.py (GPU) and docs/advanced-families.md.
CONFIGS: dict[str, tuple[str, dict]] = {
    "sngan-32-cifar": ("sngan", {"data.resolution": 32, "data.batch_size": 64, "model.g_kwargs": {"ch": 64},
                                 "model.d_kwargs": {"ch": 32}}),
    "biggan-128": ("biggan", {"data.resolution": 128, "data.batch_size": 64, "model.z_dim": 120,
                              "model.g_kwargs": {"ch": 96, "attention": [64]},
                              "model.d_kwargs": {"ch": 96, "attention": [64]}}),
    "progan-256": ("progan", {"data.resolution": 256, "data.batch_size": 16, "model.z_dim": 512,
                              "model.g_kwargs": {"channel_base": 16384, "channel_max": 512},
                              "model.d_kwargs": {"channel_base": 16384, "channel_max": 512},
                              "options.phase_steps": 300}),
    "stylegan-256": ("stylegan", {"data.resolution": 256, "data.batch_size": 32, "model.z_dim": 512,
                                  "model.g_kwargs": {"w_dim": 512, "channel_base": 16384, "channel_max": 512},
                                  "model.d_kwargs": {"channel_base": 16384, "channel_max": 512}}),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=90)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--precision", default="bf16")
    ap.add_argument("--limit", type=int, default=4096)
    ap.add_argument("--data", default="fashion-mnist", help="the dataset (upsampled, 3 channels)")
    ap.add_argument("--out", default="/tmp/gpu_runs")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--max-steps", type=int, default=10**6, help="(for checking the script on a CPU)")
    ap.add_argument("--phase-steps", type=int, default=None,
                    help="progan: iterations per fade / stabilise phase (1 walks the whole growth to full size "
                         "in 2 * levels + 1 steps, for checking every stage on a CPU)")
    ap.add_argument("--json", default="benchmarks/results/gpu_short_runs.json")
    args = ap.parse_args()
    rows = {"device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
            "torch": torch.__version__, "precision": args.precision, "seconds": args.seconds, "runs": {}}
    for name in args.configs.split(","):
        family, over = CONFIGS[name]
        if args.phase_steps is not None and "options.phase_steps" in over:
            over = {**over, "options.phase_steps": args.phase_steps}
        out = Path(args.out) / name
        cfg = {"data.name": args.data, "data.channels": 3, "data.limit": args.limit, "train.steps": args.max_steps,
               "train.device": args.device, "train.precision": args.precision, "train.log_every": 10,
               "train.sample_every": 0, "train.ckpt_every": 0, "train.progress": False, "train.tensorboard": False,
               "train.out": str(out), **over}
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        try:
            budget = WallClockBudget(args.seconds)
            res = ganforge.train(family, overwrite=True, hooks=[budget], **cfg)
            wall = time.perf_counter() - budget.t0
            G = ganforge.load(res.out)
            params = sum(p.numel() for p in G.parameters())
            row = {"family": family, "resolution": over["data.resolution"], "batch": over["data.batch_size"],
                   "steps": res.step, "train_s": round(wall, 1), "steps_per_s": round(res.step / wall, 2),
                   "images_per_s": round(res.step * over["data.batch_size"] / wall, 1),
                   "g_params_M": round(params / 1e6, 2),
                   "stage": list(G.stage) if hasattr(G, "stage") else None,
                   "peak_gpu_mem_GiB": round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else None,
                   "last": {k: v for k, v in res.record.items() if isinstance(v, (int, float))}}
        except Exception as e:  # noqa: BLE001 - report every configuration, even a failing one
            row = {"family": family, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-2000:],
                   "elapsed_s": round(time.perf_counter() - t0, 1)}
        rows["runs"][name] = row
        print(name, json.dumps(row), flush=True)
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
