"""Markdown tables from advanced_families_table.py rows (mnist-extractor metrics) joined with
eval_runs.py rows (Inception metrics), one table per dataset.

    python benchmarks/cpu_budget_report.py benchmarks/results/cpu_budget_780s.jsonl \
        benchmarks/results/cpu_budget_780s_inception.jsonl [--families dcgan,cgan,wgan-gp]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("table", type=Path)
    ap.add_argument("inception", type=Path)
    ap.add_argument("--families", default="dcgan,cgan,wgan-gp,infogan,sngan,biggan,progan,stylegan")
    ap.add_argument("--img-prefix", default="adv", help="sample grids are docs/img/PREFIX_FAMILY_DATA.png")
    args = ap.parse_args()
    inc = {r["run"]: r for r in _rows(args.inception)}
    rows = _rows(args.table)
    fams = args.families.split(",")
    for data in ("mnist", "fashion-mnist"):
        sel = sorted((r for r in rows if r["data"] == data and r["family"] in fams), key=lambda r: fams.index(r["family"]))
        if not sel:
            continue
        floor = inc.get(f"{data}-train", {})
        print(f"\n**{data}** (floor, real training images in place of samples: FID inception "
              f"{floor.get('fid/inception', float('nan')):.1f}, precision {floor.get('precision/inception', float('nan')):.2f}, "
              f"recall {floor.get('recall/inception', float('nan')):.2f})\n")
        budget = f"{sel[0]['cpu_budget_s']:,.0f}"
        print(f"| family | steps in {budget} CPU s | FID mnist | KID mnist | precision mnist | recall mnist | class acc | "
              "FID inception | KID inception ×1e3 | precision inception | recall inception | samples |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in sel:
            i = inc.get(f"{r['family']}-{data}", {})

            def g(d: dict, k: str, fmt: str, scale: float = 1.0) -> str:
                return format(scale * d[k], fmt) if k in d else "–"

            acc = g(r, "class_acc/mnist", ".2f")
            print(f"| {r['family']} | {r['steps']} | {g(r, 'fid/mnist', '.1f')} | {g(r, 'kid_mean/mnist', '.2f')} | "
                  f"{g(r, 'precision/mnist', '.3f')} | {g(r, 'recall/mnist', '.3f')} | {acc} | {g(i, 'fid/inception', '.1f')} | "
                  f"{g(i, 'kid_mean/inception', '.1f', 1e3)} | {g(i, 'precision/inception', '.3f')} | "
                  f"{g(i, 'recall/inception', '.3f')} | ![{r['family']}](img/{args.img_prefix}_{r['family']}_{data}.png) |")


if __name__ == "__main__":
    main()
