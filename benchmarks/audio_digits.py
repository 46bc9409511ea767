"""WaveGAN vs SpecGAN vs real clips on spoken-digits, with the bundled spoken-digit classifier
(docs/audio.md). Every row: the Inception-score-like number (10 splits), class accuracy (samples
of a conditional generator with the labels it was given; real clips with their own), the Frechet
distance of the classifier's features to the test split, and the mean nearest-neighbour
distances to the training split and within the set (normalised log-magnitude spectrograms).

    OMP_NUM_THREADS=1 python benchmarks/audio_digits.py RUN [RUN ...] --n 1000 \\
        --out docs/results/audio_digits.json

Rows ``real test`` (the 1,400 test clips: voices unseen in training) and ``real train`` (the first
``--n`` training clips) are the reference points, as the paper's "real data" rows.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import ganforge
from ganforge.fileio import write_text
from ganforge.metrics.audio import audio_metrics, dataset_clips, generate_clips
from ganforge.nets.audio import load_digit_classifier


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="*")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None)
    p.add_argument("--real-from", default=None, help="take the real rows from this earlier JSON output")
    args = p.parse_args()
    torch.manual_seed(0)
    clf = load_digit_classifier()
    test, test_y = dataset_clips("spoken-digits", "test")
    train, train_y = dataset_clips("spoken-digits", "train")
    rows = {}
    t0 = time.time()
    if args.real_from:
        earlier = json.loads(Path(args.real_from).read_text())
        rows = {k: v for k, v in earlier.items() if k.startswith("real")}
    else:
        rows["real test"] = audio_metrics(test, test_y, test, train, clf)
        rows["real train"] = audio_metrics(train[: args.n], train_y[: args.n], test, train[args.n:], clf)
        rows["real train"]["note"] = f"first {args.n} train clips; nn_train to the other train clips"
    for run in args.runs:
        G = ganforge.load(run)
        clips, labels = generate_clips(G, args.n, seed=args.seed)
        res = audio_metrics(clips, labels, test, train, clf)
        res.update({"step": G.meta.get("step"), "family": G.meta.get("family"), "run": str(run),
                    "width": G.init_kwargs.get("width")})
        rows[f"{G.meta.get('family')} (step {G.meta.get('step')})"] = res
        print(f"{run}: done ({time.time() - t0:.0f} s)", flush=True)
    print("| | IS | class acc | Frechet | NN to train | NN within |\n|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['is_mean/digits']:.2f} ± {r['is_std/digits']:.2f} | {r['class_acc/digits']:.3f} | "
              f"{r['frechet/digits']:.3g} | {r['nn_train']:.1f} | {r['nn_self']:.1f} |")
    if args.out:
        write_text(args.out, json.dumps(rows, indent=2), "the audio benchmark results")


if __name__ == "__main__":
    main()
