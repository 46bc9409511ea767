"""Evaluate saved runs (or train-vs-test floors) with one extractor, one JSON line per run.

    PYTHONPATH=src python benchmarks/eval_runs.py RUN [RUN ...] --extractor inception --n 10000 \
        --device cuda --out results.jsonl
    PYTHONPATH=src python benchmarks/eval_runs.py --floor mnist,fashion-mnist --extractor inception --n 10000

The reference of a run is its dataset's test split (``data.name`` in RUN/config.yaml). On a GPU,
TF32 is switched off so the features match the CPU's float32 ones.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import yaml

from ganforge.metrics import evaluate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="*")
    ap.add_argument("--floor", default="", help="datasets whose training images are scored against their test split")
    ap.add_argument("--extractor", default="inception")
    ap.add_argument("--metrics", default="fid,kid,pr")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--n-reference", type=int, default=None, help="reference images (default: --n)")
    ap.add_argument("--device", default=None)
    ap.add_argument("--batch-size", type=int, default=200)
    ap.add_argument("--out", default="eval_runs.jsonl")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    jobs = [(r, None) for r in args.runs] + [(None, d) for d in args.floor.split(",") if d]
    for run, floor in jobs:
        t = time.perf_counter()
        if run is not None:
            data = yaml.safe_load((Path(run) / "config.yaml").read_text())["data"]["name"]
            source, label = run, Path(run).name
        else:
            from ganforge.data.idx import load_idx_split
            data, source, label = floor, load_idx_split(floor, "train")[0][:args.n], f"{floor}-train"
        try:
            m = evaluate(source, reference=f"{data}-test", metrics=args.metrics, n=args.n, extractor=args.extractor,
                         n_reference=args.n_reference, device=args.device, batch_size=args.batch_size, kid_subset_size=min(1000, args.n, args.n_reference or args.n))
            row = {"run": label, "data": data, "eval_s": round(time.perf_counter() - t, 1),
                   **{k: v for k, v in m.items() if isinstance(v, (int, float))}}
        except Exception as e:  # noqa: BLE001 - keep going; the row says what failed
            row = {"run": label, "data": data, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(row), flush=True)
        with open(args.out, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
