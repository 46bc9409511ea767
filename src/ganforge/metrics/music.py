"""Statistics of multi-track piano rolls, computed the same way on generated and real rolls, and
a discriminative score.

Rolls are (N, V, T, P) with values in {0, 1} (above 0.5 is a note); pitch index p is MIDI
pitch ``lowest + p``; a bar is ``bar_steps`` steps. A note is a maximal run of ones of one
voice and pitch (:func:`ganforge.data.midi.roll_notes`).

From MuseGAN (Dong et al. 2018, sec. 5.1):

- ``empty_bar_rate``: the fraction of (sample, voice, bar) with no note;
- ``pitch_classes_per_bar``: distinct pitch classes used in a voice's bar, averaged over the
  bars that have notes;
- ``qualified_note_rate``: the fraction of notes lasting at least ``min_note_beats`` quarter
  notes (default an eighth note: MuseGAN's threshold, a 32nd at 24 steps per beat, would pass
  every note of a roll of sixteenths);
- ``tonal_distance``: between two voices in a bar, the Euclidean distance of their tonal
  centroids (Harte et al. 2006: the L1-normalised chroma, duration-weighted, projected on the
  circles of fifths, minor and major thirds with radii 1, 1, 0.5), averaged over the bars in
  which both sound and over every pair of voices. Smaller: more consonant voices.

From C-RNN-GAN (Mogren 2016, sec. 4):

- ``polyphony``: the mean number of distinct pitches sounding at a step, over the steps where
  any does (``polyphony_rate``: the fraction of those steps with at least two);
- ``scale_consistency``: the fraction of notes (onsets) inside the major scale that fits the
  sample best (the 12 transpositions are tried; natural minor shares its notes), averaged over
  samples.

Also ``notes_per_bar`` (notes that start in a voice's bar, averaged over the non-empty bars),
the rhythm's density, and ``stepwise_motion``: of the moves of a voice's top line from one
pitch to another (consecutive sounding steps whose highest pitch differs; a monophonic voice's
melody), the fraction of at most two semitones. Bach's voices mostly move by step (about three
moves in four in the chorales, fewer in the bass); a generator that picks each step's pitch on
its own leaps.

Two rules of four-part writing, on the voices' top lines (voices in the data's order, highest
first, as the chorales' soprano, alto, tenor, bass): ``voice_crossing``, the fraction of steps
at which two adjacent voices both sound and the upper one is below the lower one; and
``parallel_fifths_octaves``, of the steps at which two voices both move, the fraction that keep
the same perfect interval (unison/octave or fifth, modulo the octave) before and after: the
consecutive fifths and octaves that chorale style avoids.

:func:`discriminative_score`: a small convolutional classifier is trained to tell real from
generated segments on 80 % of each (equal numbers) and its accuracy is measured on the other
20 %: 0.5 when it cannot tell them apart, 1.0 when it always can. It draws from its own
``torch.Generator`` and forks the global RNG, so it changes nothing outside.
"""
from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import GanforgeError
from .evaluate import KindEvaluator, register_kind_evaluator

STATS = ("empty_bar_rate", "pitch_classes_per_bar", "qualified_note_rate", "polyphony", "polyphony_rate",
         "scale_consistency", "tonal_distance", "notes_per_bar", "stepwise_motion", "voice_crossing",
         "parallel_fifths_octaves")
MAJOR_SCALE = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], dtype=bool)
# Harte et al. (2006): angles (per pitch class step) and radii of the fifths, minor-third and major-third circles
_ANGLES = np.array([7 * np.pi / 6, 3 * np.pi / 2, 2 * np.pi / 3])
_RADII = np.array([1.0, 1.0, 0.5])


def tonal_matrix() -> np.ndarray:
    """(6, 12): chroma -> tonal centroid (Harte et al. 2006, eq. 2)."""
    pc = np.arange(12)
    rows = []
    for a, r in zip(_ANGLES, _RADII):
        rows += [r * np.sin(pc * a), r * np.cos(pc * a)]
    return np.stack(rows)


def _binary(rolls: Any) -> np.ndarray:
    a = rolls.detach().float().cpu().numpy() if isinstance(rolls, torch.Tensor) else np.asarray(rolls)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4:
        raise GanforgeError(f"piano rolls are (N, voices, steps, pitches); got shape {a.shape}")
    return a > 0.5


def _chroma(r: np.ndarray, lowest: int) -> np.ndarray:
    """(..., P) bool -> (..., 12) counts per pitch class."""
    P = r.shape[-1]
    fold = np.zeros((P, 12))
    fold[np.arange(P), (np.arange(P) + lowest) % 12] = 1.0
    return r.astype(np.float64) @ fold


def _onsets(r: np.ndarray) -> np.ndarray:
    """(N, V, T, P) bool -> bool, True where a note starts."""
    prev = np.zeros_like(r)
    prev[:, :, 1:] = r[:, :, :-1]
    return r & ~prev


def _note_lengths(r: np.ndarray) -> np.ndarray:
    """Lengths (steps) of every note of (N, V, T, P) bool rolls."""
    n, v, t, p = r.shape
    flat = np.moveaxis(r, 2, -1).reshape(-1, t).astype(np.int8)
    padded = np.zeros((flat.shape[0], t + 2), dtype=np.int8)
    padded[:, 1:-1] = flat
    d = np.diff(padded, axis=1)
    starts = np.nonzero(d == 1)
    ends = np.nonzero(d == -1)
    return ends[1] - starts[1]  # row-major order pairs each start with its end


def roll_statistics(rolls: Any, lowest: int, bar_steps: int, steps_per_beat: int,
                    min_note_beats: float = 0.5) -> dict[str, float]:
    """The statistics of the module docstring for rolls (N, V, T, P); T a multiple of ``bar_steps``."""
    r = _binary(rolls)
    n, V, T, P = r.shape
    if T % bar_steps:
        raise GanforgeError(f"rolls of {T} steps are not whole bars of {bar_steps} steps")
    bars = r.reshape(n, V, T // bar_steps, bar_steps, P)
    filled = bars.any(axis=(3, 4))  # (N, V, B)
    out: dict[str, float] = {"empty_bar_rate": float(1.0 - filled.mean())}
    chroma_bar = _chroma(bars.any(axis=3), lowest) > 0  # (N, V, B, 12)
    upc = chroma_bar.sum(-1)
    out["pitch_classes_per_bar"] = float(upc[filled].mean()) if filled.any() else 0.0
    lengths = _note_lengths(r)
    q = max(1, int(round(min_note_beats * steps_per_beat)))
    out["qualified_note_rate"] = float((lengths >= q).mean()) if len(lengths) else 0.0
    # polyphony: distinct pitches over all voices at each step
    sounding = r.any(axis=1).sum(-1)  # (N, T)
    active = sounding > 0
    out["polyphony"] = float(sounding[active].mean()) if active.any() else 0.0
    out["polyphony_rate"] = float((sounding[active] >= 2).mean()) if active.any() else 0.0
    # scale consistency over note onsets, per sample
    on = _onsets(r)
    pc_counts = _chroma(on.reshape(n, V * T, P), lowest).sum(1)  # (N, 12)
    scores = []
    for counts in pc_counts:
        total = counts.sum()
        if total:
            scores.append(max(counts[np.roll(MAJOR_SCALE, k)].sum() for k in range(12)) / total)
    out["scale_consistency"] = float(np.mean(scores)) if scores else 0.0
    # tonal distance between voice pairs, per bar (duration-weighted chroma)
    dur_chroma = _chroma(bars, lowest).sum(axis=3)  # (N, V, B, 12)
    norm = dur_chroma.sum(-1, keepdims=True)
    centroid = np.where(norm > 0, dur_chroma / np.maximum(norm, 1e-12), 0.0) @ tonal_matrix().T  # (N, V, B, 6)
    dists = []
    for a, b in combinations(range(V), 2):
        both = filled[:, a] & filled[:, b]
        if both.any():
            dists.append(np.linalg.norm(centroid[:, a] - centroid[:, b], axis=-1)[both])
    out["tonal_distance"] = float(np.concatenate(dists).mean()) if dists else 0.0
    notes_bar = on.reshape(n, V, T // bar_steps, bar_steps, P).sum(axis=(3, 4))
    out["notes_per_bar"] = float(notes_bar[filled].mean()) if filled.any() else 0.0
    # melodic steps: the top line of each voice, moves between consecutive sounding steps
    top = np.where(r.any(-1), P - 1 - np.argmax(r[..., ::-1], axis=-1), -1)  # (N, V, T)
    a, b = top[..., :-1], top[..., 1:]
    moves = (a >= 0) & (b >= 0) & (a != b)
    out["stepwise_motion"] = float((np.abs(b - a)[moves] <= 2).mean()) if moves.any() else 0.0
    # counterpoint between the voices' top lines (voices in the data's order, highest first)
    cross, parallel, joint, sounding_pairs = 0, 0, 0, 0
    for i in range(V - 1):  # adjacent voices: the upper one below the lower one
        ok = (top[:, i] >= 0) & (top[:, i + 1] >= 0)
        sounding_pairs += int(ok.sum())
        cross += int((top[:, i] < top[:, i + 1])[ok].sum())
    for i, j in combinations(range(V), 2):  # both voices move, the same perfect interval before and after
        pi, pj = top[:, i], top[:, j]
        ok = (pi[:, :-1] >= 0) & (pi[:, 1:] >= 0) & (pj[:, :-1] >= 0) & (pj[:, 1:] >= 0)
        move = ok & (pi[:, 1:] != pi[:, :-1]) & (pj[:, 1:] != pj[:, :-1])
        before, after = np.abs(pi[:, :-1] - pj[:, :-1]) % 12, np.abs(pi[:, 1:] - pj[:, 1:]) % 12
        parallel += int((move & (before == after) & ((after == 0) | (after == 7))).sum())
        joint += int(move.sum())
    out["voice_crossing"] = cross / sounding_pairs if sounding_pairs else 0.0
    out["parallel_fifths_octaves"] = parallel / joint if joint else 0.0
    return out


def compare_statistics(generated: Any, real: Any, lowest: int, bar_steps: int, steps_per_beat: int,
                       min_note_beats: float = 0.5) -> dict[str, float]:
    """``<stat>/generated``, ``<stat>/real`` and ``<stat>/rel_diff`` ((generated - real) / |real|,
    None where real is 0) for every statistic."""
    g = roll_statistics(generated, lowest, bar_steps, steps_per_beat, min_note_beats)
    r = roll_statistics(real, lowest, bar_steps, steps_per_beat, min_note_beats)
    out: dict[str, Any] = {}
    for k in STATS:
        out[f"{k}/generated"], out[f"{k}/real"] = g[k], r[k]
        out[f"{k}/rel_diff"] = (g[k] - r[k]) / abs(r[k]) if r[k] else None
    return out


class _RollClassifier(nn.Module):
    """(N, V, T, P) -> logit: a convolution over time with (voice, pitch) as channels, then one
    over beats, max-pooled over time."""

    def __init__(self, voices: int, pitches: int, hidden: int = 32, beat: int = 4) -> None:
        super().__init__()
        self.conv = nn.Conv1d(voices * pitches, hidden, 3, padding=1)
        self.conv2 = nn.Conv1d(hidden, hidden, beat, stride=max(1, beat // 2))
        self.head = nn.Linear(2 * hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, v, t, p = x.shape
        h = torch.relu(self.conv(x.permute(0, 1, 3, 2).reshape(n, v * p, t)))
        h = torch.relu(self.conv2(h))
        return self.head(torch.cat([h.mean(-1), h.amax(-1)], dim=1)).squeeze(1)


def discriminative_score(real: Any, generated: Any, steps: int = 400, batch: int = 64, lr: float = 1e-3,
                         hidden: int = 32, beat: int = 4, seed: int = 0) -> dict[str, float]:
    """``{"discriminative_accuracy": held-out accuracy, "discriminative_n": test segments}`` of
    a real-vs-generated classifier (0.5 best). The larger set is cut to the smaller one's size."""
    r = torch.from_numpy(_binary(real).astype(np.float32))
    g = torch.from_numpy(_binary(generated).astype(np.float32))
    if r.shape[1:] != g.shape[1:]:
        raise GanforgeError(f"discriminative score: real rolls are {tuple(r.shape[1:])}, generated "
                            f"{tuple(g.shape[1:])}")
    n = min(len(r), len(g))
    if n < 10:
        raise GanforgeError(f"discriminative score: needs at least 10 segments of each, got {n}")
    gen = torch.Generator().manual_seed(seed)
    r, g = r[torch.randperm(len(r), generator=gen)[:n]], g[torch.randperm(len(g), generator=gen)[:n]]
    cut = int(0.8 * n)
    x_tr, x_te = torch.cat([r[:cut], g[:cut]]), torch.cat([r[cut:], g[cut:]])
    y_tr = torch.cat([torch.ones(cut), torch.zeros(cut)])
    y_te = torch.cat([torch.ones(n - cut), torch.zeros(n - cut)])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _RollClassifier(r.shape[1], r.shape[3], hidden, beat)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        idx = torch.randint(0, len(x_tr), (min(batch, len(x_tr)),), generator=gen)
        loss = nn.functional.binary_cross_entropy_with_logits(model(x_tr[idx]), y_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = float(((model(x_te) > 0).float() == y_te).float().mean())
    return {"discriminative_accuracy": acc, "discriminative_n": int(len(y_te))}


def evaluate_rolls(generated: Any, real: Any, extra: dict[str, Any], seed: int = 0,
                   discriminative: bool = True) -> dict[str, Any]:
    """Every statistic for generated and real rolls, and the discriminative score: one flat dict.
    ``extra`` is the dataset's ``DataInfo.extra`` (lowest, bar_steps, steps_per_beat)."""
    lowest, bar, spb = int(extra.get("lowest", 0)), int(extra["bar_steps"]), int(extra.get("steps_per_beat", 4))
    out: dict[str, Any] = {"n": int(len(generated)), "n_reference": int(len(real))}
    out.update(compare_statistics(generated, real, lowest, bar, spb))
    if discriminative:
        out.update(discriminative_score(real, generated, beat=spb, seed=seed))
    return out


MUSIC_METRICS = ("stats", "discriminative")


@torch.no_grad()
def sample_rolls(G: nn.Module, n: int, seed: int = 0, batch: int = 256) -> torch.Tensor:
    """``n`` rolls from ``G`` in eval mode, latents from ``torch.Generator().manual_seed(seed)``."""
    z = G.sample_latent(n, generator=torch.Generator().manual_seed(seed))
    device = next(G.parameters()).device
    was = G.training
    G.eval()
    try:
        return torch.cat([G(z[i:i + batch].to(device)).float().cpu() for i in range(0, n, batch)])
    finally:
        G.train(was)


def reference_rolls(run: Any = None, reference: str | None = None) -> Any:
    """The real piano rolls to compare with: the dataset of the run's ``config.yaml`` (with its
    options: voices, steps per beat, bars, transposition), or the registered dataset
    ``reference`` (with the run's data options when there is a run)."""
    from ..config import DataConfig, config_from_dict, load_yaml
    from ..data import build_dataset

    data = DataConfig()
    cfg_path = run / "config.yaml" if run is not None else None
    if cfg_path is not None and cfg_path.is_file():
        data = config_from_dict(load_yaml(cfg_path), str(cfg_path)).data
    elif reference is None:
        raise GanforgeError("evaluating a piano-roll generator needs the real data: give a run folder (its "
                            "config.yaml names the dataset) or reference='DATASET' (--reference), e.g. bach-chorales")
    if reference is not None:
        if not isinstance(reference, str):
            raise GanforgeError("--reference for a piano-roll generator: give a dataset name, e.g. bach-chorales")
        data.name = reference
    real = build_dataset(data)
    if real.info.kind != "pianoroll":
        raise GanforgeError(f"--reference {data.name}: holds {real.info.kind!r} data, not piano rolls")
    return real


def evaluate_rolls(samples: torch.Tensor, labels: Any = None, info: Any = None, *, run: Any = None,
                   reference: str | None = None, metrics: str | None = None, seed: int = 0,
                   progress: bool = False, **_: Any) -> dict[str, Any]:
    """Generated rolls ``samples`` (N, voices, steps, pitches) against the real rolls of the run's
    dataset (:func:`reference_rolls`); ``metrics``: ``stats``, ``discriminative`` or both
    (default). The kind evaluator of ``pianoroll`` (``ganforge eval RUN``)."""
    wanted = [m.strip() for m in (metrics or ",".join(MUSIC_METRICS)).split(",") if m.strip()]
    bad = [m for m in wanted if m not in MUSIC_METRICS]
    if bad:
        raise GanforgeError(f"--metrics {','.join(bad)}: piano-roll runs accept {', '.join(MUSIC_METRICS)}")
    real = reference_rolls(run, reference)
    fake, x, n = samples.float().cpu(), real.x, len(samples)
    if tuple(fake.shape[1:]) != tuple(x.shape[1:]):
        raise GanforgeError(f"the generator makes rolls {tuple(fake.shape[1:])} but the reference data are "
                            f"{tuple(x.shape[1:])}")
    if progress:
        print(f"evaluating {n} generated rolls against {len(x)} real segments of {real.info.name}")
    extra = real.info.extra
    out: dict[str, Any] = {"n": n, "n_reference": int(len(x)), "reference": real.info.name}
    if "stats" in wanted:
        out.update(compare_statistics(fake, x, int(extra.get("lowest", 0)), int(extra["bar_steps"]),
                                      int(extra.get("steps_per_beat", 4))))
    if "discriminative" in wanted:
        out.update(discriminative_score(x, fake, beat=int(extra.get("steps_per_beat", 4)), seed=seed))
    return out


register_kind_evaluator("pianoroll", KindEvaluator(evaluate_rolls, 1000),
                        help="music statistics (MuseGAN, C-RNN-GAN) beside the real rolls', and a discriminative score")
