"""Does synthetic data from a conditional GAN help a classifier trained on few MNIST labels?

    nice python benchmarks/augmentation_mnist.py --per-class 10 50 200 --seeds 0 1 2 \
        --cgan-steps 3000 --clf-steps 1000 --syn-per-class 500 --out docs/results/augmentation_mnist.json

For each number of real images per class and each seed:

1. draw a class-balanced subset of the MNIST training set (seeded);
2. train a conditional GAN (``--family``, default ``cgan``: ganforge's loop, DCGAN nets) on
   that subset only (``array:`` dataset);
3. train the same small CNN (fixed steps, batch, Adam 1e-3) on
   (a) the real subset, (b) real + ``--syn-per-class`` synthetic images per class
   (:func:`ganforge.apps.augment.mix_real_synthetic`, class-balanced), and
   (c) synthetic images only (GAN-train, Shmelkov et al. 2018);
4. report each classifier's accuracy on the full 10,000-image MNIST test set, and GAN-test:
   the accuracy of classifier (a), and of ganforge's bundled MNIST classifier, on
   synthetic images labelled with their conditioning class.

Prints a Markdown table (mean ± std over seeds) and writes all rows as JSON to --out.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def small_cnn():
    from torch import nn

    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 10))


def train_classifier(x, y, steps: int, seed: int, batch_size: int = 64):
    """The same CNN and schedule for every condition: ``steps`` Adam steps on batches drawn with replacement."""
    import torch
    from torch.nn import functional as F

    torch.manual_seed(seed)
    net = small_cnn()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    net.train()
    for _ in range(steps):
        idx = torch.randint(0, len(x), (min(batch_size, len(x)),), generator=gen)
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


def accuracy(net, x, y, batch_size: int = 1000) -> float:
    import torch

    with torch.no_grad():
        pred = torch.cat([net(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])
    return float((pred == y).float().mean())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-class", type=int, nargs="+", default=[10, 50, 200])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--family", default="cgan", help="a conditional family (cgan, or any other with num_classes > 0)")
    p.add_argument("--cgan-steps", type=int, default=3000)
    p.add_argument("--cgan-width", type=int, default=32)
    p.add_argument("--clf-steps", type=int, default=1000)
    p.add_argument("--syn-per-class", type=int, default=500)
    p.add_argument("--ratios", type=float, nargs="*", default=[],
                   help="also train on real + RATIO synthetic images per real image, for each ratio (keys real+synthetic@R)")
    p.add_argument("--reuse", action="store_true",
                   help="reuse the cgan runs already in --work (evaluate more ratios without training the GANs again)")
    p.add_argument("--augment", default=None,
                   help="DiffAugment policy for the GAN's D (e.g. translation,cutout; Zhao et al. 2020 for few images)")
    p.add_argument("--test-limit", type=int, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--work", type=Path, default=None, help="folder for the cgan runs (default: a temporary one)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import numpy as np
    import torch

    import ganforge
    from ganforge.apps.augment import mix_real_synthetic, synthesize_labelled
    from ganforge.data.arrays import save_arrays
    from ganforge.data.idx import load_mnist
    from ganforge.nets.classifier import load_mnist_classifier

    torch.set_num_threads(args.threads)
    work = args.work or Path(tempfile.mkdtemp(prefix="augment-bench-"))
    unit = lambda a: a.float().div(127.5).sub(1).unsqueeze(1)
    xtr, ytr = load_mnist("train")
    xte, yte = load_mnist("test", limit=args.test_limit)
    xte = unit(xte)
    judge = load_mnist_classifier()
    rows = []
    for n in args.per_class:
        for seed in args.seeds:
            t0 = time.perf_counter()
            rng = np.random.default_rng(seed)
            idx = np.concatenate([rng.choice(np.flatnonzero(ytr.numpy() == c), n, replace=False) for c in range(10)])
            rx, ry = unit(xtr[idx]), ytr[idx]
            data = save_arrays(work / f"real_{n}_{seed}.npz", rx.numpy(), ry.numpy())
            run = work / f"cgan_{n}_{seed}"
            if not (args.reuse and (run / "generator").is_dir()):
                run = ganforge.train(args.family, **{
                    "data.name": f"array:{data}", "data.batch_size": min(64, len(ry)), "model.width": args.cgan_width,
                    "model.z_dim": 64, "train.steps": args.cgan_steps, "train.seed": seed, "train.progress": False,
                    "train.tensorboard": False, "train.sample_every": 0, "train.out": str(run),
                    "train.augment": args.augment}, overwrite=True).out
            G = ganforge.load(run)
            mx, my, _ = mix_real_synthetic(rx, ry, G, ratio=args.syn_per_class / n, seed=seed)
            sx, sy = synthesize_labelled(G, args.syn_per_class, seed=seed + 1000)
            real_clf = train_classifier(rx, ry, args.clf_steps, seed)
            row = {"per_class": n, "seed": seed,
                   "real": accuracy(real_clf, xte, yte),
                   "real+synthetic": accuracy(train_classifier(mx, my, args.clf_steps, seed), xte, yte),
                   "gan_train": accuracy(train_classifier(sx, sy, args.clf_steps, seed), xte, yte),
                   "gan_test": accuracy(real_clf, sx, sy),
                   "gan_test_bundled_classifier": accuracy(judge, sx, sy),
                   **{f"real+synthetic@{r:g}": accuracy(train_classifier(*mix_real_synthetic(rx, ry, G, ratio=r, seed=seed)[:2],
                                                                          args.clf_steps, seed), xte, yte)
                      for r in args.ratios},
                   "seconds": time.perf_counter() - t0}
            rows.append(row)
            print(json.dumps(row), flush=True)
    keys = ["real", "real+synthetic", *(f"real+synthetic@{r:g}" for r in args.ratios), "gan_train", "gan_test",
            "gan_test_bundled_classifier"]
    table = ["| real per class | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for n in args.per_class:
        sel = [r for r in rows if r["per_class"] == n]
        table.append(f"| {n} | " + " | ".join(f"{np.mean([r[k] for r in sel]):.4f} ± {np.std([r[k] for r in sel]):.4f}"
                                               for k in keys) + " |")
    print("\n".join(table))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                                        "n_test": len(yte), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
