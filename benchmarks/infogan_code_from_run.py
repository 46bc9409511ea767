"""The categorical-code accuracy of a trained InfoGAN run, measured on its generator: for each
value of code c1, generate ``--n`` digits (random noise and continuous codes), classify them with
the bundled MNIST classifier, match code values to digits one-to-one (Hungarian algorithm on the
code x digit counts) and report the fraction of samples whose matched digit is the classifier's.
(``infogan_mnist_code_accuracy.py`` measures the other direction, Q's code on real test digits,
which needs the discriminator.)

    PYTHONPATH=src python benchmarks/infogan_code_from_run.py RUN [--n 1000]
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

import ganforge
from ganforge.nets.classifier import load_mnist_classifier


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--n", type=int, default=1000, help="samples per code value")
    ap.add_argument("--code", default="c1")
    args = ap.parse_args()
    G = ganforge.load(args.run).eval()
    clf = load_mnist_classifier()
    code = G.code(args.code)
    gen = torch.Generator().manual_seed(0)
    counts = np.zeros((code.size, 10), dtype=np.int64)
    with torch.no_grad():
        for v in range(code.size):
            z = G.set_code(G.sample_latent(args.n, gen), args.code, v)
            x = G(z)
            pred = clf(clf.prepare(x)).argmax(1).numpy()
            counts[v] = np.bincount(pred, minlength=10)[:10]
    rows, cols = linear_sum_assignment(-counts)
    acc = counts[rows, cols].sum() / counts.sum()
    print(json.dumps({"run": args.run, "code": args.code, "n_per_value": args.n, "accuracy": round(float(acc), 4),
                      "code_to_digit": {int(r): int(c) for r, c in zip(rows, cols)}, "counts": counts.tolist()}))


if __name__ == "__main__":
    main()
