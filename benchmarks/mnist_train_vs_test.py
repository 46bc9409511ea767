"""FID, KID and precision/recall between the MNIST training and test sets, per extractor.

    nice python benchmarks/mnist_train_vs_test.py --extractors mnist --n-train 60000
    nice python benchmarks/mnist_train_vs_test.py --extractors inception --n-train 10000 --threads 1

The test set (all 10,000 images) is the reference, as ``evaluate(..., reference="mnist-test")``
uses it; the "generated" side is the first ``--n-train`` training images. Features go through
the same cache as evaluate (``$GANFORGE_CACHE/stats``), so a second run is fast. Prints the
throughput of each extractor and one JSON line of results (also written to --out).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--extractors", default="mnist,inception")
    p.add_argument("--n-train", type=int, default=10000)
    p.add_argument("--n-test", type=int, default=10000)
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=None, help="JSON file to write (default: print only)")
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import torch

    from ganforge.metrics import build_extractor, reference_features
    from ganforge.metrics.frechet import fid_from_features
    from ganforge.metrics.kid import kid
    from ganforge.metrics.prdc import density_coverage, precision_recall

    torch.set_num_threads(args.threads)
    results = {"n_train": args.n_train, "n_test": args.n_test, "threads": args.threads, "torch": torch.__version__}
    for name in args.extractors.split(","):
        ext = build_extractor(name)
        t = time.perf_counter()
        test = reference_features("mnist-test", ext, n=args.n_test, batch_size=args.batch_size, progress=True)
        t_test = time.perf_counter() - t
        t = time.perf_counter()
        train = reference_features("mnist-train", ext, n=args.n_train, batch_size=args.batch_size, progress=True)
        t_train = time.perf_counter() - t
        print(f"{name}: test features {t_test:.0f} s, train features {t_train:.0f} s (0 s = cached)", flush=True)
        fid = fid_from_features(train["features"], test["features"], stats2=(test["mu"], test["sigma"]))
        kid_mean, kid_std = kid(train["features"], test["features"], num_subsets=100, subset_size=1000)
        prec, rec = precision_recall(test["features"], train["features"][: args.n_test], k=3)
        dens, cov = density_coverage(test["features"], train["features"][: args.n_test], k=5)
        results.update({f"fid/{name}": fid, f"kid_mean/{name}": kid_mean, f"kid_std/{name}": kid_std,
                        f"precision/{name}": prec, f"recall/{name}": rec, f"density/{name}": dens,
                        f"coverage/{name}": cov, f"seconds_train_features/{name}": round(t_train, 1),
                        f"seconds_test_features/{name}": round(t_test, 1)})
        print(json.dumps({k: v for k, v in results.items() if k.endswith("/" + name)}), flush=True)
    print(json.dumps(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
