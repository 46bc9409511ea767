"""The categorical-code accuracy of a trained InfoGAN run, both ways:

- ``generator``: for each value of code c1, generate ``--n`` digits (random noise and continuous
  codes), classify them with the bundled MNIST classifier, match code values to digits
  one-to-one (Hungarian algorithm on the code x digit counts) and report the fraction of
  samples whose matched digit is the classifier's;
- ``q_test`` (the paper's direction): the run's discriminator's Q head reads the 10,000 MNIST
  test digits (resized to the run's resolution); matched accuracy against their labels, and
  the label-free code information on the same images (``ganforge.metrics.infogan_code_scores``).

    PYTHONPATH=src python benchmarks/infogan_code_from_run.py RUN [--n 1000]
"""
from __future__ import annotations

import argparse
import json

import torch

import ganforge
from ganforge.data.base import resize_images, to_unit_range
from ganforge.data.idx import load_mnist
from ganforge.metrics import infogan_code_scores, matched_accuracy
from ganforge.nets.classifier import load_mnist_classifier


def generator_side(G, code: str, n: int) -> dict:
    clf = load_mnist_classifier()
    c = G.code(code)
    gen = torch.Generator().manual_seed(0)
    codes, preds = [], []
    with torch.no_grad():
        for v in range(c.size):
            z = G.set_code(G.sample_latent(n, gen), code, v)
            preds.append(clf(clf.prepare(G(z))).argmax(1))
            codes.append(torch.full((n,), v))
    out = matched_accuracy(torch.cat(codes), torch.cat(preds), num_codes=c.size, num_labels=10)
    return {"n_per_value": n, "accuracy": round(out["accuracy"], 4), "code_to_digit": out["code_to_label"],
            "counts": out["counts"]}


def q_side(D, code: str) -> dict:
    x, y = load_mnist("test")
    x = resize_images(to_unit_range(x).unsqueeze(1), D.in_shape[-1])
    if D.in_shape[0] != 1:
        x = x.expand(-1, D.in_shape[0], -1, -1)
    out = infogan_code_scores(D, x, y, code=code)
    return {"n": out["n"], "accuracy": round(out["accuracy"], 4), "information": round(out["information"], 4),
            "max_information": round(out["max"], 4), "code_to_digit": out["code_to_label"], "counts": out["counts"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--n", type=int, default=1000, help="samples per code value")
    ap.add_argument("--code", default="c1")
    args = ap.parse_args()
    G = ganforge.load(args.run).eval()
    D = ganforge.load(args.run, which="discriminator").eval()
    result = {"run": args.run, "code": args.code, "generator": generator_side(G, args.code, args.n),
              "q_test": q_side(D, args.code)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
