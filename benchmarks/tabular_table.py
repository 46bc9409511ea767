"""Markdown table from result files of benchmarks/tabular_adult.py.

    python benchmarks/tabular_table.py docs/results/adult_*_e30.json
"""
from __future__ import annotations

import json
import sys

ROWS = [("fit wall time (s)", "fit_seconds", "{:.0f}"), ("fit CPU time (s)", "fit_cpu_seconds", "{:.0f}"),
        ("F1 income, trained on synthetic (LR / RF / MLP mean)", "f1_synthetic_mean", "{:.3f}"),
        ("F1 income, trained on real (reference)", "f1_real_mean", "{:.3f}"),
        ("KS statistic, continuous columns (mean)", "ks_mean", "{:.3f}"),
        ("Wasserstein / std, continuous columns (mean)", "wasserstein_std_mean", "{:.3f}"),
        ("total variation, discrete columns (mean)", "tvd_mean", "{:.3f}"),
        ("association-matrix difference (mean abs)", "association_diff", "{:.3f}")]


def main(paths: list[str]) -> None:
    results = [json.load(open(p)) for p in paths]
    heads = [f"{r['impl']} ({r['epochs']} ep, batch {r['batch_size']}, seed {r['seed']})" for r in results]
    print("| metric | " + " | ".join(heads) + " |")
    print("|---|" + "---|" * len(results))
    for label, key, fmt in ROWS:
        print(f"| {label} | " + " | ".join(fmt.format(r[key]) if r.get(key) is not None else "-" for r in results) + " |")
    for clf in ("logistic", "random_forest", "mlp"):
        print(f"| F1 synthetic, {clf} | " + " | ".join(f"{r['f1_synthetic'][clf]:.3f}" for r in results) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
