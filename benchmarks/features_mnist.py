"""Linear probe on a trained discriminator's features versus on raw pixels, MNIST, few labels.

    nice python benchmarks/features_mnist.py --run runs/mnist-dcgan --labels 10 100 --seeds 0 1 2

For each number of labels per class and each seed, a class-balanced labelled subset is drawn
from the MNIST training set; a multinomial logistic regression (scikit-learn, standardised
inputs, C chosen by 3-fold cross-validation on the labelled subset only) is fitted on (a) raw
pixels and (b) the discriminator's penultimate features (`ganforge features`), and scored
on the full 10,000-image MNIST test set. Prints a Markdown table and writes JSON to --out.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True, help="a run folder with discriminator/ (trained on MNIST)")
    p.add_argument("--labels", type=int, nargs="+", default=[10, 100], help="labels per class")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--test-limit", type=int, default=None, help="score on the first N test images (default all)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import numpy as np
    import torch
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import ganforge
    from ganforge.apps.features import discriminator_features
    from ganforge.data.idx import load_mnist

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    xtr, ytr = load_mnist("train")
    xte, yte = load_mnist("test", limit=args.test_limit)
    unit = lambda a: a.float().div(127.5).sub(1).unsqueeze(1)
    D = ganforge.load(args.run, which="discriminator")
    f_te = discriminator_features(D, unit(xte)).numpy()
    raw_te = unit(xte).flatten(1).numpy()
    rows = []
    for n in args.labels:
        for seed in args.seeds:
            rng = np.random.default_rng(seed)
            idx = np.concatenate([rng.choice(np.flatnonzero(ytr.numpy() == c), n, replace=False) for c in range(10)])
            x_lab, y_lab = unit(xtr[idx]), ytr[idx].numpy()
            for name, train_x, test_x in (("pixels", x_lab.flatten(1).numpy(), raw_te),
                                          ("D features", discriminator_features(D, x_lab).numpy(), f_te)):
                clf = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=[1e-3, 1e-2, 1e-1, 1.0], cv=3,
                                                                           max_iter=500))
                clf.fit(train_x, y_lab)
                acc = float((clf.predict(test_x) == yte.numpy()).mean())
                rows.append({"labels_per_class": n, "seed": seed, "input": name, "dim": int(train_x.shape[1]),
                             "test_accuracy": acc})
                print(json.dumps(rows[-1]), flush=True)
    table = ["| labels per class | input | dim | test accuracy (mean ± std over seeds) |", "|---|---|---|---|"]
    for n in args.labels:
        for name in ("pixels", "D features"):
            accs = [r["test_accuracy"] for r in rows if r["labels_per_class"] == n and r["input"] == name]
            dim = next(r["dim"] for r in rows if r["input"] == name)
            table.append(f"| {n} | {name} | {dim} | {np.mean(accs):.4f} ± {np.std(accs):.4f} |")
    print("\n".join(table))
    result = {"run": str(args.run), "step": D.meta.get("step"), "seeds": args.seeds, "n_test": len(yte),
              "rows": rows, "seconds": time.perf_counter() - t0}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
