"""How much of the digit survives the mnist-inpaint hole? A ceiling for inpainting's digit accuracy.

    OMP_NUM_THREADS=1 nice python benchmarks/inpaint_ceiling.py --json docs/results/inpaint_ceiling.json

An inpainter only sees the masked image, so no completion can carry more about the digit's
class than the masked image itself. This script trains the bundled classifier's architecture
(`MNISTClassifier`, same recipe as scripts/train_mnist_classifier.py: AdamW, one-cycle, light
rotation/scale/shift) directly on the *masked* inputs of the `mnist-inpaint` training split,
with the labels, and measures its accuracy on the masked test inputs that benchmarks/i2i_eval.py
scores (the first --test of the test split). That supervised accuracy estimates what can be read
from the visible pixels; the bundled classifier's accuracy on inpainted images (docs/image-to-image.md)
is to be compared with it, not with its 98.9 % on whole digits.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from train_mnist_classifier import accuracy, fit  # noqa: E402

from ganforge.config import DataConfig  # noqa: E402
from ganforge.data import build_dataset  # noqa: E402
from ganforge.nets.classifier import MNISTClassifier, load_mnist_classifier  # noqa: E402


def masked_split(split: str, limit: int | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ds = build_dataset(DataConfig(name="mnist-inpaint", split=split, limit=limit))
    t = ds.get_batch(torch.arange(len(ds)))
    return t["a"], t["b"], t["y"].long()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--limit", type=int, default=None, help="training images (default: all 60,000)")
    p.add_argument("--test", type=int, default=2000, help="test images (benchmarks/i2i_eval.py uses the first 2,000)")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    xtr, _, ytr = masked_split("train", args.limit)
    xte, bte, yte = masked_split("test", args.test)
    bundled = load_mnist_classifier()
    net = MNISTClassifier(width=16, feature_dim=128)
    t0 = time.time()

    def report(epoch: int, _loss: float) -> None:
        print(f"epoch {epoch + 1}/{args.epochs}: masked test accuracy {accuracy(net, xte, yte):.4f} "
              f"({time.time() - t0:.0f} s)", flush=True)

    fit(net, xtr, ytr, args.epochs, args.batch_size, args.lr, gen, use_augment=not args.no_augment, on_epoch=report)
    res = {"masked_classifier_test_accuracy": accuracy(net, xte, yte),
           "bundled_on_masked": accuracy(bundled, xte, yte),
           "bundled_on_targets": accuracy(bundled, bte, yte),
           "train_images": len(xtr), "test_images": len(xte), "epochs": args.epochs,
           "augment": not args.no_augment, "seconds": round(time.time() - t0, 1),
           "command": "python benchmarks/inpaint_ceiling.py " + " ".join(sys.argv[1:] if argv is None else argv)}
    print(json.dumps(res, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
