"""The EMA generator with the live generator's batch-norm statistics (what ganforge exported
before) against the same weights with statistics re-estimated from its own samples (what
``EMA.export`` gives now), for saved runs: FID, precision, recall (and class accuracy for
conditional MNIST runs) under the ``mnist`` extractor, n samples against the test set.

    OMP_NUM_THREADS=1 PYTHONPATH=src nice python benchmarks/ema_standing_stats.py RUN [RUN ...] \
        --n 10000 --out benchmarks/results/ema_standing_stats.jsonl

Both generators are built from RUN/checkpoint.pt's EMA state (the copied statistics are the
checkpoint's); the re-estimate runs the loop's own forward (``TrainContext.export_generator``:
``STANDING_BATCHES`` batches of ``data.batch_size``, labels then latents from a generator seeded
by ``train.seed``), so "after" is exactly what the run exports now at that step.
"""
from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import torch
import yaml

import ganforge
from ganforge.metrics import evaluate
from ganforge.training.checkpoint import load_checkpoint
from ganforge.training.ema import STANDING_BATCHES, refresh_batch_norm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    for run in map(Path, args.runs):
        cfg = yaml.safe_load((run / "config.yaml").read_text())
        ckpt = load_checkpoint(run / "checkpoint.pt")
        if ckpt.get("ema") is None:
            raise SystemExit(f"{run}: the run has no EMA generator (train.ema is off)")
        before = ganforge.load(run)
        before.load_state_dict(ckpt["ema"])  # the averaged weights with the copied statistics
        before.eval()
        after = copy.deepcopy(before)
        n, k = cfg["data"]["batch_size"], int(getattr(before, "num_classes", 0) or 0)

        def forward(G, gen):  # as TrainContext.export_generator with Family.sample
            c = torch.randint(k, (n,), generator=gen) if k else None
            G(G.sample_latent(n, generator=gen), c)

        refresh_batch_norm(after, forward, STANDING_BATCHES, cfg["train"]["seed"])
        data = cfg["data"]["name"]
        metrics = "fid,pr" + (",class_acc" if k and data == "mnist" else "")
        row = {"run": str(run), "family": cfg["family"], "data": data, "seed": cfg["train"]["seed"],
               "step": ckpt.get("step"), "n": args.n}
        for name, G in (("copied", before), ("standing", after)):
            s = evaluate(G, reference=f"{data}-test", metrics=metrics, n=args.n, extractor="mnist")
            row[name] = {key: round(v, 4) for key, v in s.items()
                         if isinstance(v, float) and key.count("/") == 1}
        print(json.dumps(row), flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
