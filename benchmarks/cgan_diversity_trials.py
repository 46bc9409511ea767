"""Short cgan trials on MNIST for the within-class collapse (issue 17): train one variant for a
few thousand steps (batch 32, 32x32, width 32 as in the 780 CPU-s table), then measure class
accuracy, precision/recall and class_spread under the ``mnist`` extractor (n samples vs the
test set) and the mean pixel distance between 50 samples of the same class (``pairdist_eval``).
The rows' ``pairdist_train`` repeated ``pairdist_eval`` (``ganforge.sample`` draws in eval mode),
so it is no longer measured; G's train-mode batch statistics gave the same collapse (2.76 against
2.78 for the first row, measured directly on G).

    OMP_NUM_THREADS=1 PYTHONPATH=src nice python benchmarks/cgan_diversity_trials.py --name base \
        --steps 1500 --out benchmarks/results/cgan_diversity_trials.jsonl [--set KEY=JSON ...]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import ganforge
from ganforge.metrics import evaluate


def pairwise_within(x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean L2 distance between images of the same class, averaged over classes. x: (N, C, H, W)."""
    out = []
    for k in y.unique():
        f = x[y == k].flatten(1)
        d = torch.cdist(f, f)
        n = f.shape[0]
        out.append(d.sum() / (n * (n - 1)))
    return float(torch.stack(out).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--data", default="mnist")
    ap.add_argument("--set", action="append", default=[], help="KEY=JSON override, e.g. train.lr_d=1e-4")
    ap.add_argument("--out", default="benchmarks/results/cgan_diversity_trials.jsonl")
    args = ap.parse_args()
    extra = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    out = Path("runs/cgan_trials") / args.name
    over = {"data.name": args.data, "data.resolution": 32, "data.batch_size": 32, "train.steps": args.steps,
            "train.log_every": 50, "train.sample_every": 0, "train.ckpt_every": 0, "train.progress": False,
            "train.tensorboard": False, "train.health": False, "train.out": str(out), "model.width": 32, **extra}
    t0 = time.process_time()
    ganforge.train("cgan", overwrite=True, **over)
    cpu = time.process_time() - t0
    G = ganforge.load(out)
    ref = "mnist-test" if args.data == "mnist" else f"{args.data}-test"
    metrics = "pr" + (",class_acc" if args.data == "mnist" else "")
    scores = evaluate(G, reference=ref, metrics=metrics, n=args.n, extractor="mnist")
    y = torch.arange(500) % 10
    x_eval = ganforge.sample(G, 500, seed=1, labels=y)
    row = {"name": args.name, "data": args.data, "steps": args.steps, "cpu_s": round(cpu, 1), "set": extra,
           **{k: v for k, v in scores.items() if isinstance(v, (int, float))},
           "pairdist_eval": round(pairwise_within(x_eval, y), 3)}
    print(json.dumps(row))
    with open(args.out, "a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
