"""Train InfoGAN on MNIST with the step functions and measure how well the categorical code
recovers the digit class on the test set (Chen et al. 2016 report about 5% error).

Q's categorical head classifies each test image into one of the 10 code values; each value
is matched to a digit by the best one-to-one assignment (Hungarian algorithm on the
confusion matrix), and the error is the fraction of test images whose matched digit is wrong.

    PYTHONPATH=src python benchmarks/infogan_mnist_code_accuracy.py --steps 2000 --batch 64
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from ganforge.data.idx import load_mnist
from ganforge.families import _advanced_steps as S
from ganforge.nets import build_net


def code_error(D: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 500) -> tuple[float, np.ndarray]:
    """(matched error rate, confusion matrix code x digit) of Q's first categorical code."""
    code = D.code("c1")
    D.eval()
    with torch.no_grad():
        pred = torch.cat([D.q(x[i:i + batch])[0][:, code.q_start:code.q_stop].argmax(1) for i in range(0, len(x), batch)])
    D.train()
    conf = np.zeros((code.size, 10), dtype=np.int64)
    np.add.at(conf, (pred.numpy(), y.numpy()), 1)
    rows, cols = linear_sum_assignment(-conf)
    return 1.0 - conf[rows, cols].sum() / len(y), conf


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-every", type=int, default=500)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, _ = load_mnist("train")
    xte, yte = load_mnist("test")
    to_unit = lambda u8: u8.float().div(127.5).sub(1.0).unsqueeze(1)  # noqa: E731  uint8 -> [-1, 1]
    xtr, xte = to_unit(xtr), to_unit(xte)
    G, D = build_net("infogan_g"), build_net("infogan_d")
    opts = S.InfoGANOptions()
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_gq = torch.optim.Adam(list(G.parameters()) + S.infogan_q_parameters(D), lr=1e-3, betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        idx = torch.randint(len(xtr), (args.batch,), generator=gen)
        batch = {"x": xtr[idx]}
        d = S.infogan_d_step(G, D, opt_d, batch, opts, gen)
        g = S.infogan_gq_step(G, D, opt_gq, batch, opts, gen)
        if step % args.eval_every == 0 or step == args.steps:
            err, _ = code_error(D, xte, yte)
            print(f"step {step}: d_loss {d['d_loss']:.3f} g_loss {g['g_loss']:.3f} mi_loss {g['mi_loss']:.3f} "
                  f"cat_acc(fakes) {g['cat_acc']:.3f} test code error {err:.4f} ({time.perf_counter() - t0:.0f} s)",
                  flush=True)
    err, conf = code_error(D, xte, yte)
    print(f"final matched categorical-code error on the MNIST test set: {err:.4f}")
    print("confusion (rows: code value, columns: digit):")
    print(conf)


if __name__ == "__main__":
    main()
