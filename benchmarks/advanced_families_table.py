"""Train every image family on MNIST (or Fashion-MNIST) at 32x32 for the same CPU-time budget,
then measure FID (MNIST-classifier features, optionally Inception), precision and recall.

The budget is the process's CPU time (``time.process_time``, one thread), so a busy shared
machine slows the wall clock but not what each family gets. Training stops at the first log
step past the budget. Each family uses its registered defaults (losses, D steps, learning
rates, EMA) with nets narrowed for a CPU (``SIZES`` below, stated in docs/advanced-families.md).

    PYTHONPATH=src nice python benchmarks/advanced_families_table.py --data mnist --budget 60 \
        --out benchmarks/results/advanced_mnist.jsonl --img docs/img
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import ganforge
from ganforge.imageio import save_grid
from ganforge.metrics import evaluate

# CPU-sized nets (the families' defaults are ~1M parameters per net; these are ~4-8x cheaper)
SIZES: dict[str, dict] = {
    "gan": {},  # the MLP GAN at its image defaults (z 100, 512 units)
    "dcgan": {"model.width": 32},
    "cgan": {"model.width": 32},
    "wgan-gp": {"model.width": 32},
    "sngan": {"model.width": 8},
    "biggan": {"model.width": 8, "model.g_kwargs": {"embed_dim": 32}},
    "progan": {"model.g_kwargs": {"channel_base": 1024, "channel_max": 64},
               "model.d_kwargs": {"channel_base": 1024, "channel_max": 64}, "options.phase_steps": 100},
    "stylegan": {"model.z_dim": 64, "model.g_kwargs": {"w_dim": 64, "channel_base": 1024, "channel_max": 64},
                 "model.d_kwargs": {"channel_base": 1024, "channel_max": 64}},
    "infogan": {"model.width": 32, "model.g_kwargs": {"hidden": 256}, "model.d_kwargs": {"hidden": 256}},
}


class CPUBudget:
    """A loop hook that stops training once the process has used ``seconds`` of CPU time."""

    def __init__(self, seconds: float, wall_cap: float | None = None) -> None:
        self.seconds, self.wall_cap = seconds, wall_cap
        self.t0, self.w0 = time.process_time(), time.perf_counter()
        self.used = 0.0

    def on_log(self, ctx, step: int, record: dict) -> dict:
        self.used = time.process_time() - self.t0
        if self.used >= self.seconds:
            ctx.stop_reason = f"CPU budget of {self.seconds:.0f} s reached at step {step}"
        elif self.wall_cap is not None and time.perf_counter() - self.w0 >= self.wall_cap:
            ctx.stop_reason = f"wall-clock cap of {self.wall_cap:.0f} s reached at step {step} ({self.used:.0f} CPU s)"
        return {"cpu_s": self.used}


def parse_sets(values: list[str]) -> dict:
    """``--set KEY=JSON`` arguments as the dotted overrides ``run_one`` takes (``extra``)."""
    return {k: json.loads(v) for k, v in (s.split("=", 1) for s in values)}


CONDITIONAL = {"cgan", "sngan", "biggan"}  # these use the labels; their class accuracy is measured on MNIST


def run_one(family: str, data: str, budget: float, runs: Path, img: Path, extractors: str, n: int,
            wall_cap: float | None = None, extra: dict | None = None, tag: str = "") -> dict:
    out = runs / f"{family}{tag}-{data}"
    over = {"data.name": data, "data.resolution": 32, "data.batch_size": 32, "train.steps": 100000,
            "train.log_every": 10, "train.sample_every": 0, "train.ckpt_every": 0, "train.progress": False,
            "train.tensorboard": False, "train.health": False, "train.out": str(out), **SIZES[family], **(extra or {})}
    budget_hook = CPUBudget(budget, wall_cap)
    t0 = time.perf_counter()
    res = ganforge.train(family, overwrite=True, hooks=[budget_hook], **over)
    wall = time.perf_counter() - t0
    G = ganforge.load(res.out)
    ref = "mnist-test" if data == "mnist" else f"{data}-test"
    metrics = "fid,kid,pr" + (",class_acc" if family in CONDITIONAL and data == "mnist" else "")
    scores = evaluate(G, reference=ref, metrics=metrics, n=n, extractor=extractors, kid_subset_size=min(1000, n))
    x = ganforge.sample(G, 64, seed=0)
    save_grid(x, img / f"adv_{family}{tag}_{data}.png", nrow=8)
    return {"family": family, "data": data, **({"set": extra} if extra else {}), "steps": res.step, "cpu_budget_s": budget,
            "cpu_s": round(budget_hook.used, 1), "wall_s": round(wall, 1), "stopped_by": "cpu budget" if budget_hook.used >= budget else "wall-clock cap",
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "ema": bool(G.meta.get("ema")), **{k: v for k, v in scores.items() if isinstance(v, (int, float))}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="mnist")
    ap.add_argument("--budget", type=float, default=180.0, help="CPU seconds per family")
    ap.add_argument("--families", default=",".join(SIZES))
    ap.add_argument("--extractor", default="mnist")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--wall-cap", type=float, default=None, help="also stop after this many wall-clock seconds")
    ap.add_argument("--runs", default="/tmp/ganforge-adv-runs")
    ap.add_argument("--img", default="docs/img")
    ap.add_argument("--out", default="benchmarks/results/advanced_table.jsonl")
    ap.add_argument("--set", action="append", default=[], help="KEY=JSON override on top of the family's "
                    "defaults and SIZES, e.g. options.aug_weight=1 (a trial; recorded in the row)")
    ap.add_argument("--tag", default="", help="suffix of the run folder and grid name for a trial "
                    "(write --tag=-aug1: a value starting with - needs the =)")
    args = ap.parse_args()
    extra = parse_sets(args.set)
    torch.set_num_threads(1)
    img, out = Path(args.img), Path(args.out)
    img.mkdir(parents=True, exist_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    for family in args.families.split(","):
        row = run_one(family, args.data, args.budget, Path(args.runs), img, args.extractor, args.n,
                      args.wall_cap, extra, args.tag)
        print(json.dumps(row), flush=True)
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
