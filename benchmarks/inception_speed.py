"""Inception feature speed per core: the TorchScript file vs the rebuilt module (fp32, bf16).

    OMP_NUM_THREADS=1 nice python benchmarks/inception_speed.py --n 50 --batch-size 10

Feeds the first ``n`` MNIST train digits and the first ``n`` test digits through the three
implementations, batch by batch, interleaved (every batch goes through all three before the
next), timing each call with ``time.process_time`` (CPU time of the one thread, which a busy
shared machine barely changes). Prints images/s per core (median over the batches, which are
the repeats) and the FID between the train and the test digits under each implementation, with
its relative difference from the TorchScript one.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=50, help="digits per side (train and test)")
    p.add_argument("--batch-size", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    if args.n < 2 * args.batch_size:
        p.error("--n must be at least twice --batch-size (the batches are the repeats)")
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    import torch

    from ganforge.data.base import to_unit_range
    from ganforge.data.idx import load_mnist
    from ganforge.metrics.features import InceptionExtractor
    from ganforge.metrics.frechet import fid_from_features

    torch.set_num_threads(args.threads)
    impls = {
        "torchscript fp32": InceptionExtractor(impl="torchscript"),
        "module fp32": InceptionExtractor(impl="module"),
        "module bf16": InceptionExtractor(impl="module", precision="bf16"),
    }
    sides = {split: to_unit_range(load_mnist(split, limit=args.n)[0]).unsqueeze(1) for split in ("train", "test")}
    warm = sides["train"][:2]
    for ext in impls.values():  # first calls pay for oneDNN's kernel selection
        ext(warm)

    rates: dict[str, list[float]] = {k: [] for k in impls}
    feats: dict[str, dict[str, list[torch.Tensor]]] = {k: {"train": [], "test": []} for k in impls}
    for split, images in sides.items():
        for i in range(0, args.n, args.batch_size):
            batch = images[i:i + args.batch_size]
            for name, ext in impls.items():
                t = time.process_time()
                f = ext(batch)
                rates[name].append(len(batch) / (time.process_time() - t))
                feats[name][split].append(f)

    fids = {k: fid_from_features(torch.cat(v["train"]), torch.cat(v["test"])) for k, v in feats.items()}
    base_rate, base_fid = statistics.median(rates["torchscript fp32"]), fids["torchscript fp32"]
    print(f"threads {args.threads}, {args.n} train vs {args.n} test MNIST digits, batches of {args.batch_size}, "
          f"{len(rates['module fp32'])} timed batches per implementation (interleaved)")
    print(f"{'implementation':18s} {'images/s/core':>13s} {'speed-up':>8s} {'FID':>10s} {'FID rel. diff':>13s}")
    for name in impls:
        r = statistics.median(rates[name])
        rel = abs(fids[name] - base_fid) / base_fid
        print(f"{name:18s} {r:13.2f} {r / base_rate:7.2f}x {fids[name]:10.4f} {rel:13.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
