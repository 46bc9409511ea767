"""dcgan, cgan and wgan-gp on MNIST after the same CPU wall-clock budget, then FID (mnist and
inception features), KID, precision and recall against the MNIST test set.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/mnist_families.py --minutes 4 --n 2000 --n-inception 500 \
        --json benchmarks/results/mnist_families.json

Each family trains with its own defaults (``ganforge.train(family, data="mnist")``, batch 64,
one thread) until ``--minutes`` of wall-clock time have passed since the call started (a
hook stops the loop at the next log step, every 10 steps); the steps reached are recorded
with the machine's load average, since on a shared machine the same wall time buys fewer
steps. Evaluation uses ``ganforge.metrics.evaluate``:

- ``mnist`` extractor: ``--n`` generated images vs the first ``--n`` test images (FID,
  KID, precision, recall; conditional families also get the classifier's accuracy on
  their labels, ``class_acc``);
- ``inception`` extractor (slow on a CPU: a few images per second): ``--n-inception``
  generated images vs the first ``--n-reference-inception`` test images (FID, KID,
  precision, recall). FID is biased upwards at small n, so compare rows, not papers.

Sample grids (RUN/samples.png, the loop's own) are copied to docs/img/mnist_<family>.png.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path


class WallClockBudget:
    """A training-loop hook that stops the run once ``seconds`` have passed since it was made."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.t0 = seconds, time.perf_counter()

    def on_log(self, ctx, step: int, record: dict) -> dict:
        elapsed = time.perf_counter() - self.t0
        if elapsed >= self.seconds and ctx.stop_reason is None:
            ctx.stop_reason = f"wall-clock budget of {self.seconds:.0f} s reached at step {step}"
        return {"wall_s": elapsed}


def floor(n: int, n_reference: int, extractor: str) -> dict:
    """The same metrics for the first ``n`` MNIST *training* images vs ``n_reference`` test images:
    what a perfect generator would score at this n (FID is biased upwards at small n)."""
    from ganforge.metrics import build_extractor, reference_features
    from ganforge.metrics.frechet import fid_from_features
    from ganforge.metrics.kid import kid
    from ganforge.metrics.prdc import precision_recall

    ext = build_extractor(extractor)
    test = reference_features("mnist-test", ext, n=n_reference)
    f = reference_features("mnist-train", ext, n=n)["features"]
    km, ks = kid(f, test["features"], num_subsets=100, subset_size=min(1000, n))
    p, r = precision_recall(test["features"], f, k=3)
    return {"n": n, "n_reference": n_reference, f"fid/{extractor}": fid_from_features(f, test["features"], stats2=(test["mu"], test["sigma"])),
            f"kid_mean/{extractor}": km, f"kid_std/{extractor}": ks, f"precision/{extractor}": p, f"recall/{extractor}": r}


def report(path: Path) -> str:
    """The markdown table of a results JSON written by this script."""
    res = json.loads(path.read_text())
    lines = ["| family | steps in budget | load (before → after) | FID mnist | KID mnist | precision mnist | recall mnist "
             "| FID inception | KID inception (×1e3) | precision inception | recall inception | sample grid |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for fam, r in res["runs"].items():
        m = r.get("metrics", {})

        def f(key: str, fmt: str = ".3g", scale: float = 1.0) -> str:
            return format(scale * m[key], fmt) if key in m else "–"

        kid_m = f"{f('kid_mean/mnist')} ± {f('kid_std/mnist', '.2g')}"
        kid_i = f"{f('kid_mean/inception', '.3g', 1e3)} ± {f('kid_std/inception', '.2g', 1e3)}"
        lines.append(f"| {fam} | {r.get('steps', '?')} | {r.get('loadavg_1min_before', '?')} → {r.get('loadavg_1min_after', '?')} | "
                     f"{f('fid/mnist')} | {kid_m} | {f('precision/mnist', '.3f')} | {f('recall/mnist', '.3f')} | "
                     f"{f('fid/inception')} | {kid_i} | {f('precision/inception', '.3f')} | {f('recall/inception', '.3f')} | "
                     f"![{fam}](img/mnist_{fam}.png) |")
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", default="dcgan,cgan,wgan-gp")
    p.add_argument("--minutes", type=float, default=4.0)
    p.add_argument("--n", type=int, default=2000, help="generated and reference images for the mnist extractor")
    p.add_argument("--n-inception", type=int, default=500, help="generated images for the inception extractor")
    p.add_argument("--n-reference-inception", type=int, default=2000)
    p.add_argument("--json", type=Path, default=Path("benchmarks/results/mnist_families.json"))
    p.add_argument("--work", type=Path, default=Path("runs/mnist_families"))
    p.add_argument("--img-dir", type=Path, default=Path("docs/img"))
    p.add_argument("--skip-train", action="store_true", help="evaluate the runs already in --work (merges into --json)")
    p.add_argument("--extractors", default="mnist,inception", help="which evaluations to run (comma list)")
    p.add_argument("--floor", action="store_true", help="print the metrics of MNIST training images at the same n")
    p.add_argument("--report", type=Path, default=None, help="print the markdown table of this JSON and exit")
    args = p.parse_args()
    if args.report:
        print(report(args.report))
        return 0
    if args.floor:
        import torch

        torch.set_num_threads(1)
        print(json.dumps({"mnist": floor(args.n, args.n, "mnist"),
                          "inception": floor(args.n_inception, args.n_reference_inception, "inception")}))
        return 0
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    import torch

    import ganforge
    from ganforge.metrics import evaluate

    torch.set_num_threads(1)
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or 'cpu'}",
               "torch": torch.__version__, "threads": 1, "minutes": args.minutes, "n": args.n,
               "n_inception": args.n_inception, "n_reference_inception": args.n_reference_inception, "runs": {}}
    if args.skip_train and args.json.is_file():  # keep the training records and earlier metrics
        results = {**json.loads(args.json.read_text()), "n_inception": args.n_inception,
                   "n_reference_inception": args.n_reference_inception}
    extractors = args.extractors.split(",")
    for fam in args.families.split(","):
        out = args.work / fam
        r: dict = results["runs"].get(fam, {"loadavg_1min_before": round(os.getloadavg()[0], 2)})
        r.setdefault("metrics", {})
        if not args.skip_train:
            budget = WallClockBudget(60 * args.minutes)
            res = ganforge.train(fam, data="mnist", out=str(out), overwrite=True, steps=10**6, log_every=10,
                                 sample_every=0, ckpt_every=0, tensorboard=False, progress=False,
                                 hooks=[budget])
            r.update(steps=res.step, train_s=round(time.perf_counter() - budget.t0, 1),
                     loadavg_1min_after=round(os.getloadavg()[0], 2),
                     health_warnings=[getattr(e, "kind", str(e)) for e in res.health])
            print(f"{fam}: {res.step} steps in {r['train_s']} s", flush=True)
        metrics = ["fid", "kid", "pr"]
        m: dict = {}
        if "mnist" in extractors:
            t = time.perf_counter()
            m = evaluate(str(out), reference="mnist-test", metrics=metrics + (["class_acc"] if fam == "cgan" else []),
                         n=args.n, extractor="mnist", kid_subset_size=min(1000, args.n))
            r["mnist_eval_s"] = round(time.perf_counter() - t, 1)
            m = {k: v for k, v in m.items() if k not in ("n", "n_reference")}
        if "inception" in extractors:
            t = time.perf_counter()
            mi = evaluate(str(out), reference="mnist-test", metrics=metrics, n=args.n_inception,
                          extractor="inception", n_reference=args.n_reference_inception,
                          kid_subset_size=min(1000, args.n_inception), progress=True)
            r["inception_eval_s"] = round(time.perf_counter() - t, 1)
            m.update({k: v for k, v in mi.items() if k not in ("n", "n_reference")})
        r["metrics"].update({k: v for k, v in m.items() if isinstance(v, (int, float))})
        results["runs"][fam] = r
        print(fam, json.dumps(r), flush=True)
        if (out / "samples.png").is_file():
            args.img_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / "samples.png", args.img_dir / f"mnist_{fam}.png")
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
