"""Quick CPU check that the image-to-image pieces learn (not a result table).

SRResNet MSE pre-training on mnist-sr (x4) vs the bicubic baseline (PSNR/SSIM on test
digits), and pix2pix on mnist-edges2digits (L1/PSNR of translations on test digits).

    nice python benchmarks/i2i_smoke.py --steps 400 --threads 1
"""
from __future__ import annotations

import argparse
import itertools
import time

import torch

from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.families import _i2i_steps as steps
from ganforge.metrics.image_quality import bicubic_upsample, psnr, ssim
from ganforge.nets import build_net


def batches(ds, batch_size: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    while True:
        for idx in torch.randperm(len(ds), generator=g).split(batch_size):
            yield ds.get_batch(idx, g)


def evaluate(G, test) -> tuple[float, float]:
    G.eval()
    with torch.no_grad():
        out = torch.cat([G(test["a"][i:i + 250]) for i in range(0, len(test["a"]), 250)])
    G.train()
    return psnr(out, test["b"]).mean().item(), ssim(out, test["b"]).mean().item()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--train", type=int, default=5000)
    p.add_argument("--test", type=int, default=1000)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    sr_train = build_dataset(DataConfig(name="mnist-sr", split="train", limit=args.train))
    sr_test = build_dataset(DataConfig(name="mnist-sr", split="test", limit=args.test))
    test = sr_test.get_batch(torch.arange(len(sr_test)))
    bic = bicubic_upsample(test["a"], 4)
    print(f"mnist-sr x4, {args.test} test digits: bicubic PSNR {psnr(bic, test['b']).mean():.2f} dB, "
          f"SSIM {ssim(bic, test['b']).mean():.4f}")
    G = build_net("srgan_g", in_shape=(1, 7, 7), scale=4, width=32, n_blocks=4)
    opt = torch.optim.Adam(G.parameters(), lr=1e-3)
    t0 = time.time()
    for step, batch in zip(range(args.steps), batches(sr_train, 32, 0)):
        steps.srgan_pretrain_step(G, opt, batch)
    ps, ss = evaluate(G, test)
    print(f"  SRResNet (32 ch, 4 blocks) after {args.steps} MSE steps of 32 ({time.time() - t0:.0f} s): "
          f"PSNR {ps:.2f} dB, SSIM {ss:.4f}")

    e_train = build_dataset(DataConfig(name="mnist-edges2digits", split="train", limit=args.train))
    e_test = build_dataset(DataConfig(name="mnist-edges2digits", split="test", limit=args.test))
    test = e_test.get_batch(torch.arange(len(e_test)))
    G = build_net("unet_g", in_shape=(1, 28, 28), out_channels=1, width=16)
    D = build_net("patchgan_d", in_shape=(1, 28, 28), cond_channels=1, width=16, n_layers=2)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    t0 = time.time()
    for step, batch in zip(range(args.steps), batches(e_train, 32, 1)):
        stats = steps.pix2pix_step(G, D, opt_g, opt_d, batch)
    ps, ss = evaluate(G, test)
    print(f"mnist-edges2digits pix2pix (U-Net 16, PatchGAN 34 px) after {args.steps} steps of 32 "
          f"({time.time() - t0:.0f} s): PSNR {ps:.2f} dB, SSIM {ss:.4f}, last {stats}")
    a_as_b = psnr(test["a"], test["b"]).mean().item()
    print(f"  (input edge map vs target: PSNR {a_as_b:.2f} dB)")


if __name__ == "__main__":
    main()
