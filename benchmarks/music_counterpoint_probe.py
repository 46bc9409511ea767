"""Counterpoint of a musegan run's samples against the real chorales (docs/music.md, "Counterpoint").

    OMP_NUM_THREADS=1 python benchmarks/music_counterpoint_probe.py runs/mD --n 1000 --json probe.json

On the voices' pitches (monophonic rolls, e.g. --data bach-chorales): the share of voices that move
at each position of the bar, the share of dissonant voice pairs (seconds, sevenths, tritone) at all
steps and on the beats, and ``voice_crossing`` / ``parallel_fifths_octaves`` as
``ganforge.metrics.music`` computes them. With ``--classifiers``: the held-out accuracy (3 seeds,
800 + 800 training and 200 + 200 test segments) of a small real-vs-generated convolutional
classifier that sees only the voice pairs' interval classes (``musegan_d``'s ``interval_classes``),
and of the same classifier on the roll: which of the two the difference lives in.
"""
from __future__ import annotations

import argparse
import json
from itertools import combinations

import numpy as np
import torch
from torch import nn

import ganforge
from ganforge.data import build_dataset
from ganforge.nets import build_net
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


def classifier_accuracy(a: torch.Tensor, b: torch.Tensor, seed: int) -> float:
    """Held-out accuracy of a small conv classifier, a (N, C, T) real vs b (N, C, T) generated."""
    n = min(len(a), len(b))
    cut = int(0.8 * n)
    torch.manual_seed(seed)
    idx = torch.randperm(n)
    x_tr, x_te = torch.cat([a[idx[:cut]], b[idx[:cut]]]), torch.cat([a[idx[cut:n]], b[idx[cut:n]]])
    y_tr = torch.cat([torch.ones(cut), torch.zeros(cut)])
    y_te = torch.cat([torch.ones(n - cut), torch.zeros(n - cut)])
    m = nn.Sequential(nn.Conv1d(a.shape[1], 32, 3, padding=1), nn.ReLU(), nn.Conv1d(32, 32, 2), nn.ReLU(),
                      nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(32, 1))
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    for _ in range(400):
        j = torch.randint(0, len(x_tr), (64,))
        loss = nn.functional.binary_cross_entropy_with_logits(m(x_tr[j]).squeeze(1), y_tr[j])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float(((m(x_te).squeeze(1) > 0).float() == y_te).float().mean())


def classifiers(real: torch.Tensor, gen: torch.Tensor, extra: dict, n: int) -> dict:
    V, T, P = real.shape[1:]
    d = build_net("musegan_d", voices=V, bars=T // int(extra["bar_steps"]), bar_steps=int(extra["bar_steps"]),
                  pitches=P, lowest=int(extra["lowest"]), intervals=True)
    torch.manual_seed(0)
    r, g = real[torch.randperm(len(real))[:n]].float(), gen[:n].float()
    views = {"intervals only": (d.interval_classes(r).permute(0, 1, 3, 2).reshape(len(r), -1, T),
                                d.interval_classes(g).permute(0, 1, 3, 2).reshape(len(g), -1, T)),
             "roll only": (r.permute(0, 1, 3, 2).reshape(len(r), -1, T), g.permute(0, 1, 3, 2).reshape(len(g), -1, T))}
    return {k: [round(classifier_accuracy(a, b, s), 3) for s in range(3)] for k, (a, b) in views.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    ap.add_argument("--classifiers", action="store_true", help="also the interval-only and roll-only classifiers")
    a = ap.parse_args()
    G = ganforge.load(a.run)
    cfg = ganforge.make_config(f"{a.run}/config.yaml")
    real = build_dataset(cfg.data)
    e = real.info.extra
    lowest, bar, spb = int(e["lowest"]), int(e["bar_steps"]), int(e["steps_per_beat"])
    gen = sample_rolls(G, a.n, seed=a.seed)
    res = {"real": probe(real.x.numpy(), lowest, bar, spb), "generated": probe(gen.numpy(), lowest, bar, spb)}
    for k in res["real"]:
        print(f"{k}: real {res['real'][k]}  generated {res['generated'][k]}")
    if a.classifiers:
        res["classifier_accuracy"] = classifiers(real.x, gen, e, a.n)
        print("held-out real-vs-generated accuracy, 3 seeds:", res["classifier_accuracy"])
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"run": a.run, "n": a.n, **res}, f, indent=1)


if __name__ == "__main__":
    main()
