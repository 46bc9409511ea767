"""Counterpoint of a musegan run's samples against the real chorales (docs/music.md, "Counterpoint").

    OMP_NUM_THREADS=1 python benchmarks/music_counterpoint_probe.py runs/mD --n 1000 --json probe.json

On the voices' pitches (monophonic rolls, e.g. --data bach-chorales): the share of voices that move
at each position of the bar, the share of dissonant voice pairs (seconds, sevenths, tritone) at all
steps and on the beats, and ``voice_crossing`` / ``parallel_fifths_octaves`` as
``ganforge.metrics.music`` computes them.
"""
from __future__ import annotations

import argparse
import json
from itertools import combinations

import numpy as np

import ganforge
from ganforge.data import build_dataset
from ganforge.metrics.music import roll_statistics, sample_rolls

DISSONANT = [1, 2, 6, 10, 11]


def probe(rolls: np.ndarray, lowest: int, bar_steps: int, steps_per_beat: int) -> dict:
    r = rolls > 0.5
    pitch = np.where(r.any(-1), r.argmax(-1) + lowest, -1)  # (N, V, T)
    n, v, t = pitch.shape
    moved = pitch[:, :, 1:] != pitch[:, :, :-1]
    pos = np.arange(1, t) % bar_steps
    out = {"moves_by_position": [round(float(moved[:, :, pos == k].mean()), 3) for k in range(bar_steps)]}
    beat = np.arange(t) % steps_per_beat == 0
    all_d, beat_d = [], []
    for a, b in combinations(range(v), 2):
        ok = (pitch[:, a] >= 0) & (pitch[:, b] >= 0)
        dis = np.isin(np.abs(pitch[:, a] - pitch[:, b]) % 12, DISSONANT)
        all_d.append(dis[ok].mean())
        beat_d.append(dis[ok & beat[None]].mean())
    out["dissonant_pairs"] = round(float(np.mean(all_d)), 4)
    out["dissonant_pairs_on_beats"] = round(float(np.mean(beat_d)), 4)
    s = roll_statistics(rolls, lowest, bar_steps, steps_per_beat)
    out["voice_crossing"] = s["voice_crossing"]
    out["parallel_fifths_octaves"] = s["parallel_fifths_octaves"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    G = ganforge.load(a.run)
    cfg = ganforge.make_config(f"{a.run}/config.yaml")
    real = build_dataset(cfg.data)
    e = real.info.extra
    lowest, bar, spb = int(e["lowest"]), int(e["bar_steps"]), int(e["steps_per_beat"])
    res = {"real": probe(real.x.numpy(), lowest, bar, spb),
           "generated": probe(sample_rolls(G, a.n, seed=a.seed).numpy(), lowest, bar, spb)}
    for k in res["real"]:
        print(f"{k}: real {res['real'][k]}  generated {res['generated'][k]}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"run": a.run, "n": a.n, **res}, f, indent=1)


if __name__ == "__main__":
    main()
