"""Time one DCGAN training step on MNIST: ganforge's generic loop against a plain PyTorch loop
of the same networks, batch size, optimizer and losses, in one process.

    python benchmarks/step_overhead.py --steps 200 --repeats 3 [--threads 2] [--device cpu]

The plain loop is what one writes by hand: draw a batch by index from the in-memory tensor,
one D update (BCE on real and fake), one G update (non-saturating loss, D frozen), Adam 2e-4.
ganforge runs `ganforge.train("dcgan", ...)` with logging every 50 steps, no sample grids and
no mid-run checkpoints; both are timed from the end of warm-up step to the last step.
Runs alternate (plain, ganforge, plain, ...) so that machine noise hits both alike.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F

import ganforge
from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.nets import build_net

WARMUP = 50  # also ganforge's default log interval: timestamps come from its log steps


def plain_loop(x: torch.Tensor, steps: int, batch: int, device: torch.device, seed: int) -> float:
    torch.manual_seed(seed)
    G = build_net("dcgan_g", z_dim=100, out_shape=[1, 28, 28], width=64).to(device)
    D = build_net("dcgan_d", in_shape=[1, 28, 28], width=64).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g = torch.Generator().manual_seed(seed)
    perm, pos, t0 = torch.randperm(len(x), generator=g), 0, 0.0
    for step in range(steps + WARMUP):
        if step == WARMUP:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        if pos + batch > len(x):
            perm, pos = torch.randperm(len(x), generator=g), 0
        real = x[perm[pos:pos + batch]].to(device)
        pos += batch
        with torch.no_grad():
            fake = G(torch.randn(batch, 100, device=device))
        loss_d = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        for p in D.parameters():
            p.requires_grad_(False)
        loss_g = F.softplus(-D(G(torch.randn(batch, 100, device=device)))).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for p in D.parameters():
            p.requires_grad_(True)
        if (step + 1) % 50 == 0:  # the plain loop also reads its losses now and then
            _ = (loss_d.item(), loss_g.item())
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / steps


class _Clock:
    def __init__(self) -> None:
        self.t: dict[int, float] = {}

    def on_log(self, ctx, step, record):
        if ctx.family.device.type == "cuda":
            torch.cuda.synchronize()
        self.t[step] = time.perf_counter()
        return {}


def ganforge_loop(steps: int, batch: int, device: str, seed: int, limit: int | None) -> float:
    clock = _Clock()
    with tempfile.TemporaryDirectory() as out:
        ganforge.train("dcgan", hooks=[clock], **{
            "data.name": "mnist", "data.limit": limit, "data.batch_size": batch, "model.width": 64,
            "train.steps": steps + WARMUP, "train.out": out, "train.log_every": WARMUP, "train.sample_every": 0,
            "train.ckpt_every": 0, "train.progress": False, "train.tensorboard": True, "train.seed": seed,
            "train.device": device})
    # log_every=WARMUP: timestamps at WARMUP, 2*WARMUP, ..., steps+WARMUP
    return (clock.t[steps + WARMUP] - clock.t[WARMUP]) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=200, help="timed steps (a multiple of 50)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--limit", type=int, default=None, help="MNIST images held in memory (default: all 60k)")
    ap.add_argument("--json", default=None, help="also write the results here")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    x = build_dataset(DataConfig(name="mnist", limit=a.limit)).x
    plain, ours = [], []
    for r in range(a.repeats):
        plain.append(plain_loop(x, a.steps, a.batch, device, seed=r))
        ours.append(ganforge_loop(a.steps, a.batch, a.device, seed=r, limit=a.limit))
        print(f"repeat {r}: plain {plain[-1] * 1e3:.2f} ms/step, ganforge {ours[-1] * 1e3:.2f} ms/step")
    p, o = statistics.median(plain), statistics.median(ours)
    res = {"device": str(device), "threads": torch.get_num_threads(), "batch": a.batch, "steps": a.steps,
           "repeats": a.repeats, "plain_ms_per_step": round(p * 1e3, 3), "ganforge_ms_per_step": round(o * 1e3, 3),
           "ratio": round(o / p, 4), "overhead_percent": round((o / p - 1) * 100, 2),
           "torch": torch.__version__}
    print(json.dumps(res, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
