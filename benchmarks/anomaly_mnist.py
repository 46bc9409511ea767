"""MNIST one-class anomaly detection: GANAnomalyDetector (f-AnoGAN style) vs PCA and IsolationForest.

    nice python benchmarks/anomaly_mnist.py --digits 0 1 2 3 4 5 6 7 8 9 --steps 3000 --encoder-steps 2000 \
        --out docs/results/anomaly_mnist.json

Protocol, for each anomalous digit d:

- normal training data: MNIST training images of the nine other digits (first ``--train-limit``
  of them); the detector holds out 10% of these for its threshold and model selection looks at
  nothing else (no test anomaly is seen before scoring; hyper-parameters are fixed in advance);
- test set: the MNIST test images of the nine other digits (held-out normals, first
  ``--test-normal-limit``) plus ALL test images of digit d (anomalies);
- AUROC of each method's anomaly score on that test set (higher = better; 0.5 = chance).

Baselines on exactly the same split (scikit-learn): PCA reconstruction error with
``--pca-components`` components (fixed in advance) and IsolationForest (200 trees, seed 0) on
raw pixels. Prints a Markdown table and writes JSON to --out.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--digits", type=int, nargs="+", default=list(range(10)))
    p.add_argument("--train-limit", type=int, default=None, help="normal training images (default: all ~54k)")
    p.add_argument("--test-normal-limit", type=int, default=None, help="held-out normal test images (default: all ~9k)")
    p.add_argument("--steps", type=int, default=3000, help="GAN steps")
    p.add_argument("--encoder-steps", type=int, default=2000)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--z-dim", type=int, default=64)
    p.add_argument("--kappa", type=float, default=1.0)
    p.add_argument("--pca-components", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--work", type=Path, default=None)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import numpy as np
    import torch
    from sklearn.decomposition import PCA
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import roc_auc_score

    from ganforge.apps.anomaly import GANAnomalyDetector
    from ganforge.data.idx import load_mnist

    torch.set_num_threads(args.threads)
    work = args.work or Path(tempfile.mkdtemp(prefix="anomaly-bench-"))
    xtr, ytr = load_mnist("train")
    xte, yte = load_mnist("test")
    unit = lambda a: (a.astype(np.float32) / 127.5 - 1.0)[:, None]
    xtr, ytr, xte, yte = xtr.numpy(), ytr.numpy(), xte.numpy(), yte.numpy()
    rows = []
    for d in args.digits:
        t0 = time.perf_counter()
        normal = unit(xtr[ytr != d][: args.train_limit])
        test_normal = unit(xte[yte != d][: args.test_normal_limit])
        test_anom = unit(xte[yte == d])
        x_test = np.concatenate([test_normal, test_anom])
        label = np.r_[np.zeros(len(test_normal)), np.ones(len(test_anom))]
        det = GANAnomalyDetector(steps=args.steps, encoder_steps=args.encoder_steps, width=args.width,
                                 z_dim=args.z_dim, kappa=args.kappa, seed=args.seed, work_dir=str(work / f"digit{d}"))
        det.fit(normal)
        score = det.anomaly_score(x_test)
        flat_tr, flat_te = normal.reshape(len(normal), -1), x_test.reshape(len(x_test), -1)
        pca = PCA(args.pca_components, random_state=args.seed).fit(flat_tr)
        pca_err = ((flat_te - pca.inverse_transform(pca.transform(flat_te))) ** 2).mean(1)
        iso = IsolationForest(n_estimators=200, random_state=args.seed).fit(flat_tr)
        row = {"digit": d, "n_train": len(normal), "n_test_normal": len(test_normal), "n_test_anomalies": len(test_anom),
               "gan_auroc": float(roc_auc_score(label, score)),
               "pca_auroc": float(roc_auc_score(label, pca_err)),
               "iforest_auroc": float(roc_auc_score(label, -iso.score_samples(flat_te))),
               "gan_flagged_normals": float((score[label == 0] > det.threshold_).mean()),
               "gan_flagged_anomalies": float((score[label == 1] > det.threshold_).mean()),
               "seconds": time.perf_counter() - t0}
        rows.append(row)
        print(json.dumps(row), flush=True)
    table = ["| anomalous digit | f-AnoGAN-style (ganforge) | PCA reconstruction | IsolationForest |", "|---|---|---|---|"]
    for r in rows:
        table.append(f"| {r['digit']} | {r['gan_auroc']:.3f} | {r['pca_auroc']:.3f} | {r['iforest_auroc']:.3f} |")
    table.append(f"| mean | {np.mean([r['gan_auroc'] for r in rows]):.3f} | {np.mean([r['pca_auroc'] for r in rows]):.3f} "
                 f"| {np.mean([r['iforest_auroc'] for r in rows]):.3f} |")
    print("\n".join(table))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                                        "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
