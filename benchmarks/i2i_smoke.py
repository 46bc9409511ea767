"""Quick CPU check that the image-to-image families learn (not a result table).

SRResNet MSE pre-training (the srgan family with every step a pre-training step) on mnist-sr
(x4) vs the bicubic baseline (PSNR/SSIM on test digits), and the pix2pix family on
mnist-edges2digits (PSNR/SSIM of translations on test digits). Both train through
``ganforge.train``, so they measure the families' own steps.

    nice python benchmarks/i2i_smoke.py --steps 400 --threads 1
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

import ganforge
from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.metrics.image_quality import bicubic_upsample, psnr, ssim

QUIET = {"train.progress": False, "train.tensorboard": False, "train.sample_every": 0, "train.health": False}


def evaluate(G, test) -> tuple[float, float]:
    with torch.no_grad():
        out = torch.cat([G(test["a"][i:i + 250]) for i in range(0, len(test["a"]), 250)])
    return psnr(out, test["b"]).mean().item(), ssim(out, test["b"]).mean().item()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--train", type=int, default=5000)
    p.add_argument("--test", type=int, default=1000)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    common = {**QUIET, "data.limit": args.train, "data.batch_size": 32, "train.steps": args.steps,
              "train.log_every": max(1, args.steps)}

    with tempfile.TemporaryDirectory() as tmp:
        sr_test = build_dataset(DataConfig(name="mnist-sr", split="test", limit=args.test))
        test = sr_test.get_batch(torch.arange(len(sr_test)))
        bic = bicubic_upsample(test["a"], 4)
        print(f"mnist-sr x4, {args.test} test digits: bicubic PSNR {psnr(bic, test['b']).mean():.2f} dB, "
              f"SSIM {ssim(bic, test['b']).mean():.4f}")
        t0 = time.time()
        run = ganforge.train("srgan", **common, **{"data.name": "mnist-sr", "model.width": 32, "train.lr_g": 1e-3,
                                                   "model.g_kwargs": {"n_blocks": 4},
                                                   "options.pretrain_steps": args.steps,
                                                   "train.out": str(Path(tmp, "sr"))})
        ps, ss = evaluate(ganforge.load(run.out), test)
        print(f"  SRResNet (32 ch, 4 blocks) after {args.steps} MSE steps of 32 ({time.time() - t0:.0f} s): "
              f"PSNR {ps:.2f} dB, SSIM {ss:.4f}")

        e_test = build_dataset(DataConfig(name="mnist-edges2digits", split="test", limit=args.test))
        test = e_test.get_batch(torch.arange(len(e_test)))
        t0 = time.time()
        run = ganforge.train("pix2pix", **common, **{"data.name": "mnist-edges2digits", "model.width": 16,
                                                     "train.out": str(Path(tmp, "p2p"))})
        ps, ss = evaluate(ganforge.load(run.out), test)
        print(f"mnist-edges2digits pix2pix (U-Net 16, PatchGAN 34 px) after {args.steps} steps of 32 "
              f"({time.time() - t0:.0f} s): PSNR {ps:.2f} dB, SSIM {ss:.4f}, last {run.record}")
        a_as_b = psnr(test["a"], test["b"]).mean().item()
        print(f"  (input edge map vs target: PSNR {a_as_b:.2f} dB)")


if __name__ == "__main__":
    main()
