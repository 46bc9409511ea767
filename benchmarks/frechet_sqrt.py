"""Time the Frechet distance at Inception size (2048): eigenvalue route vs scipy.linalg.sqrtm.

    nice python benchmarks/frechet_sqrt.py --dim 2048 --threads 1 --repeats 3

Covariances are sample covariances of random correlated features (n = 2 * dim rows, full
rank) and, with --rank-deficient, of n = dim / 2 rows (rank dim / 2 - 1, like FID from 1000
samples). Prints one line per route: median seconds and the relative difference.
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
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rank-deficient", action="store_true")
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before numpy/scipy load their BLAS

    import numpy as np
    import torch

    from ganforge.metrics.frechet import feature_stats, frechet_distance, frechet_distance_scipy

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    d = args.dim
    n = d // 2 if args.rank_deficient else 2 * d
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    f1 = rng.normal(size=(n, d)) @ mix
    f2 = (rng.normal(size=(n, d)) * 1.2 + 0.1) @ (mix + 0.05 * rng.normal(size=(d, d)) / np.sqrt(d))
    s1, s2 = feature_stats(f1), feature_stats(f2)

    results = {}
    for name, fn in (("eigh (torch float64)", frechet_distance), ("scipy sqrtm", frechet_distance_scipy)):
        times, value = [], None
        for _ in range(args.repeats):
            t = time.perf_counter()
            value = fn(*s1, *s2)
            times.append(time.perf_counter() - t)
        results[name] = value
        print(f"{name:22s} dim {d}  n {n}  threads {args.threads}  median {statistics.median(times):7.2f} s  "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)})  value {value:.6f}", flush=True)
    a, b = results.values()
    print(f"relative difference {abs(a - b) / abs(b):.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
