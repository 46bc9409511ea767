"""Recurrent GAN on S&P 500 daily log returns (arch's sp500, 1999-2018), trained on the
timeseries family's losses (ganforge.families.timeseries: d_losses, g_losses; the non-saturating
GAN loss) with plain Adam steps, for a fixed wall-clock budget.

    OMP_NUM_THREADS=1 nice python benchmarks/timeseries_sp500.py --max-steps 3000 --minutes 12 --out docs/results/timeseries_sp500.json

Writes the JSON result (stylized facts real vs synthetic, discriminative and predictive scores,
loss trace) and three figures in --img-dir: real vs synthetic price paths, the return
distribution, and the autocorrelations of returns and of absolute returns.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from ganforge.families.timeseries import d_losses, g_losses
from ganforge.data.series import SeriesScaler, read_series, series_dataset
from ganforge.metrics.series import compare_stylized_facts, discriminative_score, predictive_score, stylized_facts
from ganforge.nets import save_model
from ganforge.nets.rnn import RecurrentDiscriminator, RecurrentGenerator


def d_step(G, D, opt_d: torch.optim.Optimizer, batch: dict, gen: torch.Generator) -> dict[str, float]:
    """One D update: minimise softplus(-D(real)) + softplus(D(fake)). Returns loss_d, d_real /
    d_fake (mean sigmoid outputs) and acc (share of windows classified right at threshold 0)."""
    loss, real_logits, fake_logits = d_losses(G, D, batch, gen)
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    acc = 0.5 * ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean())
    return {"loss_d": loss.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item(), "acc": acc.item()}


def g_step(G, D, opt_g: torch.optim.Optimizer, batch: dict, gen: torch.Generator) -> dict[str, float]:
    """One G update: minimise softplus(-D(G(z))); D's gradients are cleared by the next d_step."""
    loss, _ = g_losses(G, D, batch, gen)
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    return {"loss_g": loss.item()}


def train(ds, args) -> tuple[RecurrentGenerator, list[dict]]:
    torch.manual_seed(args.seed)
    G = RecurrentGenerator(z_dim=args.z_dim, seq_len=args.window, features=1, hidden=args.hidden, num_layers=2,
                           global_z=args.g_global, out_scale=args.g_scale)
    D = RecurrentDiscriminator(features=1, seq_len=args.window, hidden=args.d_hidden or args.hidden, num_layers=1,
                               abs_input=args.d_abs)
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr_d or args.lr, betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(args.seed)
    t0, step, trace, acc = time.perf_counter(), 0, [], {}
    while time.perf_counter() - t0 < args.minutes * 60 and (not args.max_steps or step < args.max_steps):
        idx = torch.randint(0, len(ds), (args.batch,), generator=gen)
        batch = ds.get_batch(idx)
        out = {**d_step(G, D, opt_d, batch, gen), **g_step(G, D, opt_g, batch, gen)}
        for k, v in out.items():
            acc[k] = acc.get(k, 0.0) + v
        step += 1
        if step % args.log_every == 0:
            trace.append({"step": step, "seconds": round(time.perf_counter() - t0, 1),
                          **{k: round(v / args.log_every, 4) for k, v in acc.items()}})
            acc = {}
            print(json.dumps(trace[-1]), flush=True)
    return G.eval(), trace


def plots(real_r: np.ndarray, synth_r: np.ndarray, scaler: SeriesScaler, img_dir: Path, lags: int) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, data, title in ((axes[0], real_r, "real S&P 500 windows"), (axes[1], synth_r, "synthetic windows")):
        for i in rng.choice(len(data), 12, replace=False):
            ax.plot(scaler.to_levels(data[i][:, None], start=100.0)[:, 0], lw=1)
        ax.set_title(title)
        ax.set_xlabel("trading day")
    axes[0].set_ylabel("price path (start = 100)")
    fig.tight_layout()
    fig.savefig(img_dir / "ts_sp500_paths.png", dpi=90)
    names.append("ts_sp500_paths.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(-0.08, 0.08, 81)
    ax.hist(real_r.ravel(), bins=bins, density=True, alpha=0.5, label="real", log=True)
    ax.hist(synth_r.ravel(), bins=bins, density=True, alpha=0.5, label="synthetic", log=True)
    sd = real_r.std()
    ax.plot(bins, np.exp(-0.5 * (bins / sd) ** 2) / (sd * np.sqrt(2 * np.pi)), "k--", lw=1, label="normal, same std")
    ax.set_ylim(1e-2, None)
    ax.set_xlabel("daily log return")
    ax.legend()
    fig.tight_layout()
    fig.savefig(img_dir / "ts_sp500_returns_hist.png", dpi=90)
    names.append("ts_sp500_returns_hist.png")
    plt.close(fig)

    fr, fs = stylized_facts(real_r, lags), stylized_facts(synth_r, lags)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharey=True)
    k = np.arange(1, lags + 1)
    for ax, key, title in ((axes[0], "acf_returns", "ACF of returns"), (axes[1], "acf_abs", "ACF of |returns|")):
        ax.plot(k, fr[key], "o-", label="real")
        ax.plot(k, fs[key], "s-", label="synthetic")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(title)
        ax.set_xlabel("lag (days)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(img_dir / "ts_sp500_acf.png", dpi=90)
    names.append("ts_sp500_acf.png")
    plt.close(fig)
    return names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=8.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: time budget only)")
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--d-hidden", type=int, default=0, help="critic width (0: same as --hidden)")
    ap.add_argument("--lr-d", type=float, default=0.0, help="discriminator learning rate (0: same as --lr)")
    ap.add_argument("--d-abs", action="store_true", help="the critic also reads |x| (RecurrentDiscriminator abs_input)")
    ap.add_argument("--g-global", type=int, default=0, help="window-level latent channels (RecurrentGenerator global_z)")
    ap.add_argument("--g-scale", action="store_true", help="location-scale output head (RecurrentGenerator out_scale)")
    ap.add_argument("--z-dim", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--eval-windows", type=int, default=1000)
    ap.add_argument("--eval-steps", type=int, default=1000, help="training steps of the post-hoc GRUs")
    ap.add_argument("--img-dir", default="docs/img")
    ap.add_argument("--save", default=None, help="save the generator here (config.json + model.safetensors)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    ds = series_dataset("arch:sp500", window=args.window, stride=1, columns="Adj Close", transform="returns")
    scaler = SeriesScaler.from_dict(ds.info.extra["scaler"])
    G, trace = train(ds, args)
    if args.save:
        save_model(G, args.save, meta={"data": ds.info.name, "scaler": ds.info.extra["scaler"]})

    gen = torch.Generator().manual_seed(args.seed + 1)
    n = min(args.eval_windows, len(ds))
    with torch.no_grad():
        synth = G(G.sample_latent(n, generator=gen))
    real = ds.x[torch.randperm(len(ds), generator=gen)[:n]]
    # Facts on non-overlapping real windows (each return counted once) and on the synthetic windows.
    real_nonoverlap = scaler.inverse(ds.x[:: args.window])[:, :, 0]
    synth_r = scaler.inverse(synth)[:, :, 0]
    lags = 20
    table = compare_stylized_facts(real_nonoverlap, synth_r, lags)
    levels, _, _ = read_series("arch:sp500", columns="Adj Close")
    full_series = np.diff(np.log(levels[:, 0]))  # every daily log return, for reference
    result = {
        "data": ds.info.name, "column": "Adj Close", "dates": ds.info.extra["dates"], "windows": len(ds),
        "args": vars(args), "steps": trace[-1]["step"] if trace else 0, "trace": trace,
        "stylized_facts": table.to_dict(orient="records"),
        "full_series_facts": {k: v for k, v in stylized_facts(full_series, lags).items() if not k.startswith("acf")},
        "discriminative": discriminative_score(real, synth, hidden=32, steps=args.eval_steps, seed=args.seed),
        "predictive": predictive_score(real, synth, hidden=32, steps=args.eval_steps, seed=args.seed),
        "images": plots(scaler.inverse(real)[:, :, 0], synth_r, scaler, Path(args.img_dir), lags),
    }
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    print(table.to_markdown(index=False, floatfmt=".4f") if _has_tabulate() else table.to_string(index=False))
    print(json.dumps({k: result[k] for k in ("steps", "discriminative", "predictive", "full_series_facts")}, indent=2))


def _has_tabulate() -> bool:
    import importlib.util

    return importlib.util.find_spec("tabulate") is not None


if __name__ == "__main__":
    main()
