"""Frechet distance at Inception size (2048 dimensions): every route's CPU time and agreement.

    OMP_NUM_THREADS=1 nice python benchmarks/frechet_speed.py --sizes 2000 10000 --repeats 3

For each size n, two sets of n synthetic float32 features (correlated, non-negative, with a
decaying spectrum like pool3 features; the second scaled and shifted a little) are compared by
each applicable route, rounds interleaved, timed with ``time.process_time`` on one thread
(median of ``--repeats``):

- ``auto``: :func:`fid_from_features`' own choice (printed);
- ``gram``: singular values of the cross-Gram matrix (only when n <= d + 1);
- ``cholesky``: statistics of both sides, then a Cholesky factor and one eigensolve (only when a
  covariance has full rank, n - 1 >= d);
- ``cholesky, cached ref``: as the pipeline runs it, the second side's statistics already known;
- ``eigh``: the previous route (statistics, full eigendecomposition of one covariance);
- ``scipy``: ``scipy.linalg.sqrtm`` of S1 S2 (the reference code's route; one run, with --scipy).

Agreement is the relative difference from ``eigh`` (and from scipy when it runs).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=2048)
    p.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--scipy", action="store_true", help="also time scipy's sqrtm route once (slow: ~15 s at 2048)")
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before numpy/scipy/torch load their BLAS

    import numpy as np
    import torch

    from ganforge.metrics.frechet import (
        choose_route,
        feature_stats,
        fid_from_features,
        frechet_distance,
        frechet_distance_scipy,
    )

    torch.set_num_threads(args.threads)
    d = args.dim
    rng = np.random.default_rng(0)
    mix = rng.normal(size=(d, d)) / np.sqrt(d) * np.exp(-np.arange(d) / (d / 8))[:, None]
    for n in args.sizes:
        f1 = np.maximum(rng.normal(size=(n, d)) @ mix, 0).astype(np.float32)
        f2 = np.maximum((rng.normal(size=(n, d)) * 1.1 + 0.05) @ mix, 0).astype(np.float32)
        cached = feature_stats(f2)
        routes = {"auto": lambda: fid_from_features(f1, f2)}
        if n - 1 <= d:
            routes["gram"] = lambda: fid_from_features(f1, f2, route="gram")
        if n - 1 >= d:
            routes["cholesky"] = lambda: fid_from_features(f1, f2, route="cholesky")
            routes["cholesky, cached ref"] = lambda: fid_from_features(f1, f2, route="cholesky", stats2=cached)
        routes["eigh"] = lambda: frechet_distance(*feature_stats(f1), *feature_stats(f2), route="eigh")
        times: dict[str, list[float]] = {k: [] for k in routes}
        values: dict[str, float] = {}
        for _ in range(args.repeats):
            for name, fn in routes.items():
                t = time.process_time()
                values[name] = fn()
                times[name].append(time.process_time() - t)
        if args.scipy:
            t = time.process_time()
            values["scipy"] = frechet_distance_scipy(*feature_stats(f1), *feature_stats(f2))
            times["scipy"] = [time.process_time() - t]
        print(f"\n{n} vs {n} features, {d} dims, threads {args.threads}, auto picks "
              f"{choose_route(n, n, d)!r}; CPU seconds, median of {args.repeats} (scipy: 1 run)")
        header = f"{'route':22s} {'CPU s':>8s} {'FID':>14s} {'vs eigh':>9s}"
        print(header + (f" {'vs scipy':>9s}" if args.scipy else ""))
        for name, ts in times.items():
            v = values[name]
            line = f"{name:22s} {statistics.median(ts):8.3f} {v:14.8f} {abs(v - values['eigh']) / values['eigh']:9.1e}"
            if args.scipy:
                line += f" {abs(v - values['scipy']) / values['scipy']:9.1e}"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
