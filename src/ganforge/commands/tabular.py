"""`ganforge train tabular` flags and `ganforge sample` of a tabular run (rows to CSV/Parquet).

Training goes through ``ganforge.train`` (:mod:`ganforge.families.tabular`); these are only the
command line's short flags for two of its options and the writer of sampled rows.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import GanforgeError
from .runkinds import RunKindCommands, register_run_kind_commands


def add_train_arguments(g: Any) -> None:
    g.add_argument("--epochs", dest="options.epochs", default=argparse.SUPPRESS,
                   help="tabular: passes over the table (default 300)")
    g.add_argument("--discrete", dest="options.discrete", default=argparse.SUPPRESS, metavar="COL,COL,...",
                   help="tabular: discrete columns (default: the string, category and bool columns)")


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
    import ganforge

    from ..data.table_io import write_table

    if args.n <= 0:
        raise GanforgeError(f"--n must be positive, got {args.n}")
    for flag, value in (("--class", args.label), ("--latent", args.latent), ("--truncation", args.truncation)):
        if value is not None:
            raise GanforgeError(f"{flag} does not apply to a tabular model; use --condition COLUMN=VALUE")
    gan = ganforge.load(run, device=args.device)
    conditions = parse_conditions(args.condition, gan) if args.condition else None
    rows = ganforge.sample(gan, args.n, seed=args.seed, conditions=conditions)
    path = write_table(rows, args.out or "samples.csv")
    print(f"wrote {len(rows)} rows to {path}")
    return 0


register_run_kind_commands("tabular", RunKindCommands(add_train_arguments, sample))
