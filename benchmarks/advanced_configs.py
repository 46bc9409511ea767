"""Sizes of the advanced nets (CPU defaults and GPU configurations) and CPU seconds per
training iteration (one D step + one G step of the family's step functions) at the defaults.

    PYTHONPATH=src python benchmarks/advanced_configs.py [--threads 1] [--batch 32] [--iters 5]

Prints a markdown table; docs/advanced-families.md quotes it.
"""
from __future__ import annotations

import argparse
import time

import torch

from ganforge.families import _advanced_steps as S
from ganforge.nets import build_net

# (family, G net, G kwargs, D net, D kwargs): CPU defaults for MNIST-like data at 32 px ...
CPU = [
    ("progan", "progan_g", {}, "progan_d", {}),
    ("stylegan", "stylegan_g", {}, "stylegan_d", {}),
    ("biggan", "biggan_g", dict(out_shape=(1, 32, 32), num_classes=10), "biggan_d", dict(in_shape=(1, 32, 32), num_classes=10)),
    ("sngan", "sngan_g", dict(out_shape=(1, 32, 32), num_classes=10), "sngan_d", dict(in_shape=(1, 32, 32), num_classes=10)),
    ("infogan", "infogan_g", dict(out_shape=(1, 32, 32)), "infogan_d", dict(in_shape=(1, 32, 32))),
]
# ... and the paper-sized configurations documented for GPUs.
GPU = [
    ("progan 256 px", "progan_g", dict(z_dim=512, out_shape=(3, 256, 256), channel_base=16384, channel_max=512),
     "progan_d", dict(in_shape=(3, 256, 256), channel_base=16384, channel_max=512)),
    ("stylegan 256 px", "stylegan_g", dict(z_dim=512, w_dim=512, out_shape=(3, 256, 256), channel_base=16384, channel_max=512),
     "stylegan_d", dict(in_shape=(3, 256, 256), channel_base=16384, channel_max=512)),
    ("biggan 128 px", "biggan_g", dict(z_dim=120, out_shape=(3, 128, 128), num_classes=1000, ch=96, attention=[64]),
     "biggan_d", dict(in_shape=(3, 128, 128), num_classes=1000, ch=96, attention=[64])),
    ("sngan 32 px (CIFAR)", "sngan_g", dict(out_shape=(3, 32, 32), num_classes=10, ch=64),
     "sngan_d", dict(in_shape=(3, 32, 32), num_classes=10, ch=32)),
]


def _params(net: torch.nn.Module) -> str:
    return f"{sum(p.numel() for p in net.parameters()) / 1e6:.2f}M"


def _iteration(family: str, G, D, opt_g, opt_d, batch, gen) -> None:
    if family == "stylegan":
        opts = S.StyleGANOptions()
        S.stylegan_d_step(G, D, opt_d, batch, opts, gen)
        S.stylegan_g_step(G, D, opt_g, batch, opts, gen)
    elif family == "infogan":
        opts = S.InfoGANOptions()
        S.infogan_d_step(G, D, opt_d, batch, opts, gen)
        S.infogan_gq_step(G, D, opt_g, batch, opts, gen)
    elif family == "progan":
        S.progan_d_step(G, D, opt_d, batch, S.ProGANOptions(), gen)
        loss = -D(G(G.sample_latent(batch["x"].shape[0], gen))).mean()  # plain WGAN G step
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
    else:
        opts = S.BigGANOptions(ortho_weight=1e-4 if family == "biggan" else 0.0)
        S.hinge_d_step(G, D, opt_d, batch, opts, gen)
        S.biggan_g_step(G, D, opt_g, batch, opts, gen)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"| family (CPU default, 32 px) | G params | D params | s / iteration (batch {args.batch}, {args.threads} thread) |")
    print("|---|---|---|---|")
    for family, g, g_kw, d, d_kw in CPU:
        G, D = build_net(g, **g_kw), build_net(d, **d_kw)
        gen = torch.Generator().manual_seed(0)
        batch = {"x": torch.rand(args.batch, *G.out_shape) * 2 - 1}
        if getattr(G, "num_classes", 0):
            batch["y"] = torch.randint(G.num_classes, (args.batch,))
        extra = S.infogan_q_parameters(D) if family == "infogan" else []
        opt_g = torch.optim.Adam(list(G.parameters()) + extra, 2e-4, betas=(0.0, 0.99))
        opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.0, 0.99))
        _iteration(family, G, D, opt_g, opt_d, batch, gen)  # warm-up
        t = time.perf_counter()
        for _ in range(args.iters):
            _iteration(family, G, D, opt_g, opt_d, batch, gen)
        print(f"| {family} | {_params(G)} | {_params(D)} | {(time.perf_counter() - t) / args.iters:.2f} |")
    print()
    print("| GPU configuration | G params | D params |")
    print("|---|---|---|")
    for name, g, g_kw, d, d_kw in GPU:
        print(f"| {name} | {_params(build_net(g, **g_kw))} | {_params(build_net(d, **d_kw))} |")


if __name__ == "__main__":
    main()
