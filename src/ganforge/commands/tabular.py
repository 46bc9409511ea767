"""`ganforge train tabular` and `ganforge sample` of a tabular run, through :class:`TabularGAN`.

The run folder holds TabularGAN.save's files (tabular.json, the transformer, generator/,
discriminator/) plus config.yaml (family: tabular, the marker `sample` reads), metrics.jsonl
(one line per epoch) and loss.png.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import GanforgeError
from .runkinds import RunKind, register_run_kind

# config fields that mean the same for the tabular model -> TabularGAN parameter
PARAM_OF = {"data.batch_size": "batch_size", "train.lr_g": "generator_lr", "train.lr_d": "discriminator_lr",
            "train.d_steps": "discriminator_steps", "train.pack": "pac", "model.z_dim": "embedding_dim",
            "train.gp_weight": "gp_lambda"}
# config fields the tabular command reads itself or that only shape output
HANDLED = {"family", "data.name", "data.limit", "data.options", "model.width", "train.seed", "train.device",
           "train.out", "train.progress", "train.tensorboard", "options"}


def add_train_arguments(g: Any) -> None:
    g.add_argument("--epochs", type=int, default=None, help="tabular: passes over the table (default 300)")
    g.add_argument("--discrete", default=None, metavar="COL,COL,...",
                   help="tabular: discrete columns (default: the string, category and bool columns)")


def _params(cfg: Any, args: argparse.Namespace, explicit: set[str]) -> dict[str, Any]:
    unused = sorted(k for k in explicit if k not in PARAM_OF and k not in HANDLED and not k.startswith("options."))
    if unused:
        raise GanforgeError(f"train tabular does not use {', '.join(unused)}; its settings are --epochs, --discrete, "
                            f"--batch-size, --lr-g, --lr-d, --d-steps, --pack, --z-dim, --gp-weight, --width, "
                            f"--seed, --device, --limit, --nan and --option NAME=VALUE for any TabularGAN parameter")
    flat = cfg.flat()
    params: dict[str, Any] = {PARAM_OF[k]: flat[k] for k in PARAM_OF if k in explicit}
    if cfg.model.width is not None:
        params["generator_dim"] = params["discriminator_dim"] = [cfg.model.width, cfg.model.width]
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if "nan" in cfg.data.options:
        params["nan"] = cfg.data.options["nan"]
    params.update(cfg.options)
    params["seed"] = cfg.train.seed
    params["verbose"] = bool(cfg.train.progress)
    if cfg.train.device != "auto":
        params["device"] = cfg.train.device
    return params


def train(cfg: Any, args: argparse.Namespace, explicit: set[str]) -> int:
    import torch

    from ..tabular import TabularGAN
    from ..tabular.source import load_table_source, parse_discrete
    from ..training.logging import plot_losses

    if getattr(args, "resume", False):
        raise GanforgeError("train tabular fits in one go and cannot --resume; start again with --overwrite")
    extra = sorted(set(cfg.data.options) - {"nan"})
    if extra:
        raise GanforgeError(f"data options {extra} do not apply to tables (accepted: nan=error|drop)")
    out = Path(cfg.train.out or "runs/tabular")
    if (out / "tabular.json").exists() and not args.overwrite:
        raise GanforgeError(f"{out} already holds a tabular model: add --overwrite to fit it again, or choose another --out")
    df = load_table_source(cfg.data.name, cfg.data.limit)
    discrete = parse_discrete(args.discrete, df)
    params = _params(cfg, args, explicit)
    if params.get("device") is None and torch.cuda.is_available():
        params["device"] = "cuda"
    gan = TabularGAN().set_params(**params)
    gan.fit(df, discrete_columns=discrete)
    gan.save(out)
    cfg.options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in gan.get_params().items()}
    cfg.train.out = str(out)
    (out / "config.yaml").write_text(cfg.to_yaml())
    with open(out / "metrics.jsonl", "w") as f:
        for e in gan.loss_log_:
            row = {"step": e["epoch"], "d_loss": e.get("loss_d"), "g_loss": e.get("loss_g"),
                   **{k: v for k, v in e.items() if k not in ("epoch", "loss_d", "loss_g")}}
            f.write(json.dumps(row) + "\n")
    plot_losses(out / "metrics.jsonl", out / "loss.png")
    print(f"fitted {len(df)} rows x {df.shape[1]} columns ({len(discrete)} discrete) in {gan.fit_seconds_:.1f} s; "
          f"run folder: {out}")
    return 0


def parse_conditions(items: list[str], gan: Any) -> dict[str, Any]:
    """``col=value`` strings -> {column: category}, matching the value to the category whose
    text equals it (so ``--condition age_group=3`` finds the integer category 3)."""
    cats = {d["name"]: d["categories"] for d in gan.transformer_.discrete_info()}
    out: dict[str, Any] = {}
    for item in items:
        col, sep, text = item.partition("=")
        if not sep or not col.strip():
            raise GanforgeError(f"--condition: expected COLUMN=VALUE, got {item!r}")
        col, text = col.strip(), text.strip()
        out[col] = next((c for c in cats.get(col, []) if str(c) == text), text)
    return out


def sample(run: Path, args: argparse.Namespace) -> int:
    from ..tabular import TabularGAN, write_table

    if args.n <= 0:
        raise GanforgeError(f"--n must be positive, got {args.n}")
    for flag, value in (("--class", args.label), ("--latent", args.latent), ("--truncation", args.truncation)):
        if value is not None:
            raise GanforgeError(f"{flag} does not apply to a tabular model; use --condition COLUMN=VALUE")
    gan = TabularGAN.load(run, device=None if args.device == "cpu" else args.device)
    conditions = parse_conditions(args.condition, gan) if args.condition else None
    rows = gan.sample(args.n, conditions=conditions, seed=args.seed)
    path = write_table(rows, args.out or "samples.csv")
    print(f"wrote {len(rows)} rows to {path}")
    return 0


register_run_kind("tabular", RunKind(add_train_arguments, train, sample,
                                     "conditional tabular GAN (CTGAN-style): --data table:PATH.csv|table:adult "
                                     "--discrete COLS --epochs N; sample --condition COL=VALUE --out rows.csv"))
