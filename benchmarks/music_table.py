"""The docs/music.md table and samples from trained `musegan` runs.

    OMP_NUM_THREADS=1 python benchmarks/music_table.py runs/mA [runs/mB ...] --n 1000 \
        --json docs/results/music.json --samples docs/music --grid docs/img/music_grid.png

For each run: ``ganforge.evaluate(RUN, n=N)`` (the music statistics of N generated segments and
of the run's real segments, and the discriminative score), printed as a markdown table with the
relative difference of each statistic and whether it is within 10 % (the issue's goal); the
CPU time of training read from the run's ``time -v`` log (``RUN.log``) when present. For the
first run: a grid of 8 generated rolls beside 8 real ones (PNG), and ``--keep`` samples as MIDI
and WAV files (small: four bars each).
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import torch

import ganforge
from ganforge.metrics.music import STATS, sample_rolls

GOAL = 0.10


def cpu_minutes(run: Path) -> float | None:
    log = Path(str(run) + ".log")
    if not log.is_file():
        return None
    text = log.read_text(errors="replace")
    user = re.search(r"User time \(seconds\): ([0-9.]+)", text)
    system = re.search(r"System time \(seconds\): ([0-9.]+)", text)
    return (float(user.group(1)) + float(system.group(1))) / 60 if user and system else None


def table(results: dict[str, dict]) -> str:
    """Rows: statistics; per run its real segments' value and the generated one (relative
    difference, within the 10 % goal or not). Runs on different grids have different real values."""
    runs = list(results)
    head = "| statistic | " + " | ".join(f"{r}: real | {r}: generated (rel. diff)" for r in runs) + " |"
    lines = [head, "|" + "---|" * (1 + 2 * len(runs))]
    for s in STATS:
        cells = []
        for r in runs:
            real, g, rel = results[r][f"{s}/real"], results[r][f"{s}/generated"], results[r][f"{s}/rel_diff"]
            ok = "" if rel is None else (" ✓" if abs(rel) <= GOAL else " ✗")
            cells.append(f"{real:.4g} | {g:.4g} ({'n/a' if rel is None else f'{100 * rel:+.1f}%'}){ok}")
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    cells = [f"- | {results[r]['discriminative_accuracy']:.3f}"
             + (" ✓" if results[r]["discriminative_accuracy"] <= 0.7 else " ✗") for r in runs]
    lines.append("| discriminative accuracy (0.5 best; goal <= 0.7) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    ap.add_argument("--samples", default=None, help="folder for MIDI/WAV samples of the first run")
    ap.add_argument("--keep", type=int, default=3)
    ap.add_argument("--grid", default=None, help="PNG grid of the first run's samples beside real ones")
    args = ap.parse_args()
    torch.set_num_threads(1)
    results = {}
    for run in args.runs:
        res = ganforge.evaluate(run, n=args.n, seed=args.seed)
        res["cpu_minutes_training"] = cpu_minutes(Path(run))
        results[Path(run).name] = res
    print(table(results))
    for name, res in results.items():
        print(f"{name}: discriminative accuracy {res['discriminative_accuracy']:.3f}, training CPU minutes "
              f"{res['cpu_minutes_training']}")
    if args.json:
        from ganforge.fileio import write_text

        write_text(args.json, json.dumps(results, indent=2), "the music results")
    first = Path(args.runs[0])
    if args.grid or args.samples:
        from ganforge.api import _reference_dataset
        from ganforge.plots import info_from_meta
        from ganforge.plots.music import plot_pianoroll, write_rolls

        G = ganforge.load(first)
        info = info_from_meta(G.meta)
        fake = sample_rolls(G, max(8, args.keep), seed=args.seed)
        if args.grid:
            real = _reference_dataset(first, None, "pianoroll").x
            pick = torch.randperm(len(real), generator=torch.Generator().manual_seed(args.seed))[:8]
            plot_pianoroll(fake[:8], args.grid, info, real=real[pick], scale=3,
                           title=f"{first.name}: generated (left) and real (right) four-bar segments")
        if args.samples:
            paths, note = write_rolls(fake[:args.keep], args.samples, info, prefix=f"{first.name}")
            print("wrote", *[str(p) for p in paths if p.suffix != ".png"], note)


if __name__ == "__main__":
    main()
