"""Train the spoken-digit classifier that ganforge's audio metrics use, and save it into the package.

    OMP_NUM_THREADS=1 nice python scripts/train_spoken_digit_classifier.py        # ~10 CPU-minutes
    python scripts/train_spoken_digit_classifier.py --limit 500 --epochs 1 --out /tmp/clf   # smoke test

Trains on the ``spoken-digits`` train split (espeak-ng voices; the test split's voice variants are
never heard in training and never used for any choice) with light augmentation (a random shift
of up to 0.1 s and a random gain), reports accuracy on the test split and writes ``config.json``
+ ``model.safetensors`` with ``save_model``. The spectrogram normalisation uses the train split's
per-bin moments, stored in config.json.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.nets import save_model
from ganforge.nets.audio import SpokenDigitClassifier, default_digit_classifier_dir


def augment(x: torch.Tensor, gen: torch.Generator, max_shift: int = 1600) -> torch.Tensor:
    """Shift each clip (N, 1, L) by up to ``max_shift`` samples (zero fill) and scale it by 0.5-1."""
    n, _, length = x.shape
    shifts = torch.randint(-max_shift, max_shift + 1, (n,), generator=gen)
    idx = (torch.arange(length).view(1, -1) - shifts.view(-1, 1))
    valid = (idx >= 0) & (idx < length)
    out = x[:, 0].gather(1, idx.clamp(0, length - 1)) * valid
    gain = 0.5 + 0.5 * torch.rand(n, 1, generator=gen)
    return (out * gain).unsqueeze(1)


def accuracy(net: SpokenDigitClassifier, x: torch.Tensor, y: torch.Tensor, batch: int = 256) -> float:
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    return float((pred == y).float().mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--limit", type=int, default=None, help="train on the first N clips only (smoke tests)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(default_digit_classifier_dir()))
    args = p.parse_args()
    torch.manual_seed(args.seed)
    train = build_dataset(DataConfig(name="spoken-digits", split="train", limit=args.limit))
    test = build_dataset(DataConfig(name="spoken-digits", split="test"))
    print(f"train {len(train)} clips ({train.info.extra['voices']} voices), test {len(test)} clips "
          f"({test.info.extra['voices']} other voices)")
    net = SpokenDigitClassifier(num_classes=10, spec_mean=train.info.extra["spec_mean"],
                                spec_std=train.info.extra["spec_std"])
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * -(-len(train) // args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(train), generator=gen)
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            x, y = augment(train.x[idx], gen), train.y[idx]
            loss = F.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}: loss {total / len(train):.4f}, test accuracy "
              f"{accuracy(net, test.x, test.y):.4f} ({time.time() - t0:.0f} s)", flush=True)
    acc_train, acc_test = accuracy(net, train.x, train.y), accuracy(net, test.x, test.y)
    print(f"final: train accuracy {acc_train:.4f}, test accuracy {acc_test:.4f} (voices unseen in training)")
    net.eval()
    save_model(net, Path(args.out), {"train_accuracy": acc_train, "test_accuracy": acc_test,
                                     "train_clips": len(train), "test_clips": len(test),
                                     "trained_by": "scripts/train_spoken_digit_classifier.py"})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
