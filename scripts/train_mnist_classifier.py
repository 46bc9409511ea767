"""Train the MNIST classifier that ganforge's metrics use, and save it into the package.

    nice python scripts/train_mnist_classifier.py            # full MNIST train set, ~minutes on CPU
    python scripts/train_mnist_classifier.py --limit 2000 --epochs 1 --out /tmp/clf   # smoke test

Trains on the full 60k MNIST training set with light augmentation (random rotation, scale and
shift), reports accuracy on the 10k test set (never used for any choice during training) and
writes ``config.json`` + ``model.safetensors`` with ``save_model``.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Callable

import torch
from torch.nn import functional as F

from ganforge.data.base import to_unit_range
from ganforge.data.idx import load_mnist
from ganforge.nets import save_model
from ganforge.nets.classifier import MNISTClassifier, default_classifier_dir


def augment(x: torch.Tensor, gen: torch.Generator, max_rot: float = 10.0, max_scale: float = 0.1,
            max_shift_px: float = 2.0) -> torch.Tensor:
    """Random rotation (degrees), isotropic scale and shift of (N, 1, 28, 28) images in [-1, 1]."""
    n = x.shape[0]
    u = torch.rand(n, 4, generator=gen) * 2 - 1
    angle = u[:, 0] * math.radians(max_rot)
    scale = 1 + u[:, 1] * max_scale
    shift = u[:, 2:] * (2 * max_shift_px / x.shape[-1])  # pixels -> normalised coordinates
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Sample in [0, 1] so that the zero padding is the black background, not mid-gray.
    out = F.grid_sample((x + 1) / 2, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out * 2 - 1


@torch.no_grad()
def accuracy(net: MNISTClassifier, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    net.eval()
    correct = sum(int((net(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
                  for i in range(0, len(x), batch_size))
    return correct / len(x)


def fit(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, batch_size: int, lr: float,
        gen: torch.Generator, use_augment: bool = True,
        on_epoch: Callable[[int, float], None] | None = None) -> None:
    """The classifier's training recipe: AdamW (weight decay 5e-4) with a one-cycle schedule,
    cross-entropy, ``augment`` on every batch unless ``use_augment`` is false. Calls
    ``on_epoch(epoch, mean training loss)`` after each epoch."""
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=5e-4)
    steps_per_epoch = math.ceil(len(x) / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.15)
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(x), generator=gen)
        total, n_seen = 0.0, 0
        for i in range(steps_per_epoch):
            idx = perm[i * batch_size:(i + 1) * batch_size]
            xb, yb = (augment(x[idx], gen) if use_augment else x[idx]), y[idx]
            loss = F.cross_entropy(net(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total, n_seen = total + float(loss.detach()) * len(idx), n_seen + len(idx)
        if on_epoch is not None:
            on_epoch(epoch, total / n_seen)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--feature-dim", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images (smoke tests)")
    p.add_argument("--eval-limit", type=int, default=None, help="evaluate on only N images (smoke tests)")
    p.add_argument("--out", type=Path, default=default_classifier_dir())
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    xtr, ytr = load_mnist("train", limit=args.limit)
    xte, yte = load_mnist("test", limit=args.eval_limit)
    n_check = min(2000, args.eval_limit or 2000)
    xtr, xte = to_unit_range(xtr).unsqueeze(1), to_unit_range(xte).unsqueeze(1)

    net = MNISTClassifier(width=args.width, feature_dim=args.feature_dim)
    t0 = time.time()

    def report(epoch: int, train_loss: float) -> None:
        # Eval-mode accuracy on training images: checks batch-norm statistics, chooses nothing.
        print(f"epoch {epoch + 1}/{args.epochs}  train loss {train_loss:.4f}  eval-mode accuracy on {n_check} "
              f"training images {accuracy(net, xtr[:n_check], ytr[:n_check]):.4f}  ({time.time() - t0:.0f} s)", flush=True)

    fit(net, xtr, ytr, args.epochs, args.batch_size, args.lr, gen, on_epoch=report)

    n_train_acc = min(10000, args.eval_limit or 10000)
    train_acc = accuracy(net, xtr[:n_train_acc], ytr[:n_train_acc])
    test_acc = accuracy(net, xte, yte)
    params = sum(p.numel() for p in net.parameters())
    print(f"test accuracy {test_acc:.4f}  train accuracy (first 10k, no augmentation) {train_acc:.4f}  "
          f"params {params}  time {time.time() - t0:.0f} s")
    meta = {"test_accuracy": test_acc, "train_accuracy_first10k": train_acc, "epochs": args.epochs,
            "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed, "train_images": len(xtr),
            "trained_with": "scripts/train_mnist_classifier.py " + " ".join(sys.argv[1:] if argv is None else argv)}
    save_model(net, args.out, meta=meta)
    print(f"saved to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
