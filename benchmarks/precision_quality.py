"""Does the default precision cost quality? dcgan on MNIST at fp32 and at ``--precision auto``
(bf16 where the hardware computes it natively), several seeds each, the same number of steps;
FID with the ``mnist`` extractor on 10k generated samples against the MNIST test split.

    python benchmarks/precision_quality.py --steps 20000 --seeds 3 --out runs/precision_quality \\
        --json docs/results/precision_quality.json

The claim to check (issue 16): the default's mean FID lies within the spread (min..max) of the
fp32 seeds' FIDs, and the other way round. Hours of CPU at the published size; a tiny run
(``--steps 4 --seeds 1 --n 200 --limit 256``) checks that the script works. Each (precision,
seed) run is resumed when its folder already holds a finished or interrupted run, so a long
job can be stopped and started again.
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

import ganforge


def train_and_evaluate(precision: str, seed: int, a: argparse.Namespace) -> dict[str, Any]:
    """Train dcgan at ``precision`` with ``seed`` for ``a.steps`` steps; its FID (mnist extractor)."""
    out = Path(a.out) / f"{precision}-seed{seed}"
    settings: dict[str, Any] = {"data.name": "mnist", "data.limit": a.limit, "train.steps": a.steps,
                                "train.seed": seed, "train.precision": precision, "train.out": str(out),
                                "train.sample_every": 0, "train.progress": a.progress, "train.threads": a.threads,
                                "train.device": a.device}
    if a.width is not None:
        settings["model.width"] = a.width
    result = ganforge.train("dcgan", resume=(out / "checkpoint.pt").exists(), **settings)
    resolved = ganforge.make_config(str(out / "config.yaml")).train.precision
    res = ganforge.evaluate(out, metrics="fid", n=a.n, extractor="mnist", reference="mnist-test",
                            seed=seed, device=a.device if a.device != "auto" else None)
    return {"precision": precision, "resolved": resolved, "seed": seed, "steps": result.step,
            "fid": res["fid/mnist"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20000, help="generator updates per run")
    ap.add_argument("--seeds", type=int, default=3, help="seeds per precision (0, 1, ...)")
    ap.add_argument("--n", type=int, default=10000, help="generated samples per FID")
    ap.add_argument("--limit", type=int, default=None, help="MNIST training images (default: all 60k)")
    ap.add_argument("--width", type=int, default=None, help="model.width (default: dcgan's 64)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads per run")
    ap.add_argument("--out", default="runs/precision_quality", help="folder of the runs")
    ap.add_argument("--progress", action="store_true", help="show each run's progress bar")
    ap.add_argument("--json", default=None, help="also write the results here")
    a = ap.parse_args()
    rows = []
    for seed in range(a.seeds):  # interleaved, so a stopped job has both precisions for its seeds
        for precision in ("fp32", "auto"):
            rows.append(train_and_evaluate(precision, seed, a))
            print(json.dumps(rows[-1]), flush=True)
    summary: dict[str, Any] = {"steps": a.steps, "seeds": a.seeds, "n": a.n, "limit": a.limit, "runs": rows}
    for precision in ("fp32", "auto"):
        fids = [r["fid"] for r in rows if r["precision"] == precision]
        summary[precision] = {"resolved": sorted({r["resolved"] for r in rows if r["precision"] == precision}),
                              "mean": statistics.fmean(fids), "min": min(fids), "max": max(fids)}
    f32, auto = summary["fp32"], summary["auto"]
    summary["default_mean_within_fp32_spread"] = f32["min"] <= auto["mean"] <= f32["max"]
    summary["fp32_mean_within_default_spread"] = auto["min"] <= f32["mean"] <= auto["max"]
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))
    if a.json:
        Path(a.json).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
