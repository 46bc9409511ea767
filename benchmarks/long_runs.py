"""Long runs without late collapse (issue 17): a family trained far past the demo's length, per
seed, with its FID tracked during training and the collapse criteria checked.

    # the issue's protocol: dcgan defaults on MNIST, 3 seeds of 60,000 steps (a GPU's job)
    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/long_runs.py --family dcgan --steps 60000 \
        --seeds 0,1,2 --json benchmarks/results/dcgan_long_60k.json
    # the CPU protocol of docs/evaluation.md (32x32, batch 32, width 32) at a CPU budget
    OMP_NUM_THREADS=1 PYTHONPATH=src nice python benchmarks/long_runs.py --family dcgan --cpu-protocol \
        --budget 2340 --seeds 0 --json benchmarks/results/dcgan_long_2340s.json

Each run uses the family's registered defaults (``--set KEY=JSON`` on top, e.g.
``train.r1_gamma=0`` for the recipe before issue 17), logs every 10 steps, evaluates FID
(``mnist`` extractor, ``--eval-n`` samples against the test split) every ``--eval-every`` steps
and at the end, and reports per seed:

- ``min_d_fake_after_1000``: the lowest logged mean D(G(z)) after step 1,000 (criterion: >= 0.05;
  the logged value is the mean over the batch of the step that is logged);
- ``fid_at_10000`` and ``fid_last`` (criterion: the last no worse than at step 10,000; with
  fewer than 10,000 steps the first evaluation stands in and the row says so);
- the FID trace, steps, CPU seconds and the stop reason.

The final generator is the last one (``checkpoint="last"``), not the best kept by the run: the
criteria are about where training ends.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from advanced_families_table import SIZES, CPUBudget  # noqa: E402

import ganforge  # noqa: E402
from ganforge.fileio import write_text  # noqa: E402

CPU_PROTOCOL = {"data.resolution": 32, "data.batch_size": 32}  # + SIZES[family] (docs/evaluation.md)


def run_seed(args: argparse.Namespace, seed: int, extra: dict) -> dict:
    out = Path(args.runs) / f"{args.family}-{args.data}-seed{seed}"
    over = {"data.name": args.data, "train.seed": seed, "train.steps": args.steps,
            "train.log_every": 10, "train.sample_every": 0, "train.ckpt_every": args.ckpt_every,
            "train.progress": False, "train.tensorboard": False, "train.out": str(out),
            "train.eval_every": args.eval_every, "train.eval_metrics": "fid", "train.eval_extractor": "mnist",
            "train.eval_n": args.eval_n, "train.threads": 1}
    if args.cpu_protocol:
        over.update({**CPU_PROTOCOL, **SIZES.get(args.family, {})})
    over.update(extra)
    hooks = [CPUBudget(args.budget)] if args.budget else []
    t0, c0 = time.perf_counter(), time.process_time()
    res = ganforge.train(args.family, overwrite=True, hooks=hooks, **over)
    rows = [json.loads(line) for line in (Path(res.out) / "metrics.jsonl").read_text().splitlines() if line.strip()]
    d_fake = [(r["step"], r["d_fake"]) for r in rows if "d_fake" in r and r["step"] > 1000]
    fids = [(r["step"], r["eval/fid/mnist"]) for r in rows if "eval/fid/mnist" in r]
    at10k = [f for s, f in fids if s == 10000] or [f for s, f in fids[:1]]
    worst = min(d_fake, key=lambda t: t[1]) if d_fake else (None, math.nan)
    fid_last = fids[-1][1] if fids else math.nan
    row = {"family": args.family, "data": args.data, "seed": seed, "steps": res.step,
           "cpu_s": round(time.process_time() - c0, 1), "wall_s": round(time.perf_counter() - t0, 1),
           "set": extra, "cpu_protocol": args.cpu_protocol, "eval_n": args.eval_n,
           "min_d_fake_after_1000": worst[1], "min_d_fake_step": worst[0],
           "fid_at_10000": at10k[0] if at10k else math.nan,
           "fid_at_10000_is_first_eval": bool(fids) and not any(s == 10000 for s, _ in fids),
           "fid_last": fid_last, "fid_trace": fids}
    row["no_collapse"] = bool(row["min_d_fake_after_1000"] >= 0.05 and fid_last <= row["fid_at_10000"])
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", default="dcgan")
    ap.add_argument("--data", default="mnist")
    ap.add_argument("--steps", type=int, default=60000)
    ap.add_argument("--budget", type=float, default=None, help="also stop after this many CPU seconds per seed")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--eval-every", type=int, default=5000)
    ap.add_argument("--eval-n", type=int, default=2000)
    ap.add_argument("--ckpt-every", type=int, default=0)
    ap.add_argument("--cpu-protocol", action="store_true", help="32x32, batch 32, the CPU-sized nets of docs/evaluation.md")
    ap.add_argument("--set", action="append", default=[], help="KEY=JSON override, e.g. train.r1_gamma=0")
    ap.add_argument("--runs", default="runs/long")
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    extra = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        rows.append(run_seed(args, seed, extra))
        print(json.dumps(rows[-1]), flush=True)
        write_text(Path(args.json), json.dumps({"args": vars(args), "torch": torch.__version__,
                                                 "runs": rows}, indent=1), "results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
