"""cgan at the 780 CPU-second protocol of docs/evaluation.md (issue 17), with the checks of
within-class diversity: the run and its ``mnist``-feature metrics come from
``advanced_families_table.run_one`` (same settings as the table: 32x32, batch 32, width 32,
registered defaults, one thread), then

- ``class_spread/mnist`` (reported by :func:`ganforge.evaluate` for conditional samples);
- per-class FID under the ``mnist`` extractor: 1,000 samples of class c against the test
  images of class c, beside the same number for real training images of class c (the floor);
- a sample grid with one class per column (8 latents per class), ``--grid``.

    OMP_NUM_THREADS=1 PYTHONPATH=src nice python benchmarks/cgan_780.py --data mnist \
        --budget 780 --grid docs/img/cgan_mnist_780s.png --out benchmarks/results/cgan_780s.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from advanced_families_table import parse_sets, run_one  # noqa: E402

import ganforge  # noqa: E402
from ganforge.imageio import save_grid  # noqa: E402
from ganforge.metrics import evaluate  # noqa: E402
from ganforge.metrics.reference import _dataset_images  # noqa: E402


def per_class_fid(G, data: str, n: int = 1000) -> dict[str, float]:
    """FID (``mnist`` features) of n samples of each class against the test images of that
    class, and of n real training images of that class (the floor)."""
    x_test, y_test = _dataset_images(data, "test", None)
    x_train, y_train = _dataset_images(data, "train", None)
    out: dict[str, float] = {}
    for c in range(G.num_classes):
        ref = x_test[y_test == c]
        fake = ganforge.sample(G, n, seed=c, labels=c)
        out[f"fid_class/mnist/{c}"] = evaluate(fake, reference=ref, metrics="fid", extractor="mnist",
                                               n=n, n_reference=len(ref), cache=False)["fid/mnist"]
        real = x_train[y_train == c][:n]
        out[f"fid_class_floor/mnist/{c}"] = evaluate(real, reference=ref, metrics="fid", extractor="mnist",
                                                     n=n, n_reference=len(ref), cache=False)["fid/mnist"]
    for key in ("fid_class", "fid_class_floor"):
        vals = [v for k, v in out.items() if k.startswith(key + "/")]
        out[f"{key}/mnist"] = sum(vals) / len(vals)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="mnist")
    ap.add_argument("--budget", type=float, default=780.0)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--runs", default="runs/cgan780")
    ap.add_argument("--grid", required=True)
    ap.add_argument("--out", default="benchmarks/results/cgan_780s.jsonl")
    ap.add_argument("--set", action="append", default=[], help="KEY=JSON override on top of the defaults, "
                    "e.g. train.lr_d=1e-4 (a trial; the table's rows use none)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    extra = parse_sets(args.set)
    with tempfile.TemporaryDirectory() as tmp:  # run_one's own 8-column grid is not kept
        row = run_one("cgan", args.data, args.budget, Path(args.runs), Path(tmp), "mnist", args.n, extra=extra)
    G = ganforge.load(Path(args.runs) / f"cgan-{args.data}")
    row.update(per_class_fid(G, args.data))
    labels = torch.arange(8 * G.num_classes) % G.num_classes  # row r, column c: class c, latent r
    save_grid(ganforge.sample(G, len(labels), seed=0, labels=labels), Path(args.grid), nrow=G.num_classes)
    row["grid"], row["set"] = args.grid, extra
    print(json.dumps(row), flush=True)
    with open(args.out, "a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
