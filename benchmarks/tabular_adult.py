"""Tabular GAN on the Adult census data: fit time, ML efficacy, distances, association difference.

    nice python benchmarks/tabular_adult.py --epochs 10 --batch-size 500 --out docs/results/adult_ganforge.json
    nice python benchmarks/tabular_adult.py --impl ctgan --ctgan-python /work/ctgan-venv/bin/python \
        --epochs 10 --batch-size 500 --out docs/results/adult_ctgan.json

Both fit on adult.data (rows with '?' dropped: 30,162), sample as many rows, and are evaluated
against adult.test (15,060 rows) with the same code (ganforge.metrics.tabular): F1 on
``income`` of classifiers trained on synthetic vs real rows, KS / Wasserstein / TVD per column,
and the mean absolute difference of the association matrices. ``--impl ctgan`` runs the
`ctgan` package in its own interpreter (it needs a torch of its own), through
benchmarks/_ctgan_fit.py. Fit time is measured around ``fit()`` in both cases, as wall time and as
the process's CPU time; on a shared machine the CPU time (with one thread: run with
OMP_NUM_THREADS=1) is the fairer comparison.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from ganforge.data.adult import load_adult
from ganforge.families.tabular_gan import TabularGAN
from ganforge.metrics.tabular import evaluate_table


def fit_ganforge(train: pd.DataFrame, discrete: list[str], args: argparse.Namespace) -> tuple[pd.DataFrame, dict]:
    gan = TabularGAN(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, verbose=True)
    t0, c0 = time.perf_counter(), time.process_time()
    gan.fit(train, discrete)
    fit_seconds, fit_cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    if args.save:
        gan.save(args.save)
    synth = gan.sample(len(train), seed=args.seed + 1)
    last = gan.loss_log_[-1]
    return synth, {"fit_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu_seconds, "train_loop_seconds": gan.fit_seconds_,
                   "last_epoch": {k: round(v, 4) for k, v in last.items()}}


def fit_ctgan(train: pd.DataFrame, discrete: list[str], args: argparse.Namespace) -> tuple[pd.DataFrame, dict]:
    child = Path(__file__).with_name("_ctgan_fit.py")
    with tempfile.TemporaryDirectory() as tmp:
        tr, out = Path(tmp, "train.csv"), Path(tmp, "synth.csv")
        train.to_csv(tr, index=False)
        cmd = [args.ctgan_python, str(child), str(tr), str(out), str(args.epochs), str(args.batch_size),
               str(args.seed), str(args.threads), ",".join(discrete)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            sys.exit(f"ctgan child failed:\n{res.stderr[-3000:]}")
        info = json.loads(res.stdout.strip().splitlines()[-1])
        synth = pd.read_csv(out)
    return synth.astype(train.dtypes.to_dict()), info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--impl", choices=["ganforge", "ctgan"], default="ganforge")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the machine is shared)")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N training rows")
    ap.add_argument("--ctgan-python", default="/work/ctgan-venv/bin/python")
    ap.add_argument("--save", default=None, help="save the fitted ganforge model here")
    ap.add_argument("--out", default=None, help="write the JSON result here (also printed)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train, test, discrete = load_adult()
    if args.limit:
        train = train.iloc[: args.limit].reset_index(drop=True)
    fit = fit_ganforge if args.impl == "ganforge" else fit_ctgan
    synth, info = fit(train, discrete, args)
    result = {"impl": args.impl, "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
              "threads": args.threads, "train_rows": len(train), "test_rows": len(test), **info,
              **evaluate_table(train, synth, test, "income", discrete, seed=args.seed)}
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
