"""Piano-roll statistics on hand-made rolls with known answers, and the discriminative score."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.music import compare_statistics, discriminative_score, roll_statistics, tonal_matrix

LOWEST = 60  # index p is MIDI pitch 60 + p (C4 = 0)


def roll(voices: int = 2, bars: int = 2, bar_steps: int = 8, pitches: int = 24) -> np.ndarray:
    return np.zeros((1, voices, bars * bar_steps, pitches), dtype=np.float32)


def stats(r: np.ndarray, **kw) -> dict:
    return roll_statistics(r, LOWEST, bar_steps=8, steps_per_beat=2, **kw)


def test_c_major_triad_held_and_a_moving_voice() -> None:
    r = roll()
    # voice 0: C4 for the first bar (8 steps), nothing in bar 2 -> one empty bar of four
    r[0, 0, 0:8, 0] = 1
    # voice 1: E4 G4 E4 G4 ... one step each over bar 1, then G4 held over bar 2
    for t in range(8):
        r[0, 1, t, 4 if t % 2 == 0 else 7] = 1
    r[0, 1, 8:16, 7] = 1
    s = stats(r)
    assert s["empty_bar_rate"] == pytest.approx(1 / 4)
    # pitch classes per non-empty bar: v0 bar1 {C}=1, v1 bar1 {E,G}=2, v1 bar2 {G}=1
    assert s["pitch_classes_per_bar"] == pytest.approx(4 / 3)
    # notes: C (8 steps), 8 one-step notes in bar 1 -- but step 7 (G) joins the held G of bar 2
    # (one run of 9 steps); qualified (>= an eighth = 1 step at 2 steps per beat): every note
    assert s["qualified_note_rate"] == 1.0
    s4 = stats(r, min_note_beats=1.0)  # at least a quarter (2 steps): C and the long G of 9 steps
    assert s4["qualified_note_rate"] == pytest.approx(2 / 9)
    # polyphony: 2 pitches at steps 0-7, 1 at steps 8-15
    assert s["polyphony"] == pytest.approx(1.5) and s["polyphony_rate"] == pytest.approx(0.5)
    assert s["scale_consistency"] == 1.0  # C, E, G all in C major
    assert s["notes_per_bar"] == pytest.approx((1 + 7 + 1) / 3)  # onsets per non-empty voice-bar
    assert s["stepwise_motion"] == 0.0  # voice 1 moves by thirds (E-G, G-E: 3 semitones), voice 0 holds


def test_stepwise_motion_follows_the_top_line_across_rests() -> None:
    r = roll(voices=1, bars=1)
    # C D (step) E (step) rest G (no move counted across the rest) C5 (leap of 5) B (step)
    for t, p in enumerate([0, 2, 4, None, 7, 12, 11, 11]):
        if p is not None:
            r[0, 0, t, p] = 1
    r[0, 0, 1, 0] = 1  # a chord C+D at step 1: its top D is the line
    assert stats(r)["stepwise_motion"] == pytest.approx(3 / 4)  # C-D, D-E, C5-B of four moves


def test_scale_consistency_counts_notes_outside_the_best_scale() -> None:
    r = roll(voices=1, bars=1)
    # C D E F G A B then C# : 7 of 8 onsets fit C major (no major scale holds all)
    for t, p in enumerate([0, 2, 4, 5, 7, 9, 11, 1]):
        r[0, 0, t, p] = 1
    assert stats(r)["scale_consistency"] == pytest.approx(7 / 8)


def test_tonal_distance_known_values() -> None:
    phi = tonal_matrix()
    assert phi.shape == (6, 12)
    r = roll(voices=2, bars=1)
    r[0, 0, :, 0] = 1  # C
    r[0, 1, :, 0] = 1  # C: same chroma, distance 0
    assert stats(r)["tonal_distance"] == pytest.approx(0.0)
    r[0, 1, :, 0] = 0
    r[0, 1, :, 7] = 1  # G: the centroids of single pitch classes C and G
    expected = float(np.linalg.norm(phi[:, 0] - phi[:, 7]))
    assert stats(r)["tonal_distance"] == pytest.approx(expected)
    r[0, 1, :, 7] = 0
    r[0, 1, :, 6] = 1  # F#: a tritone is further away than a fifth
    assert stats(r)["tonal_distance"] > expected


def test_compare_and_bad_shapes() -> None:
    r = roll()
    r[0, :, :, 0] = 1
    out = compare_statistics(r, r, LOWEST, 8, 2)
    assert out["polyphony/generated"] == out["polyphony/real"] == 1.0 and out["polyphony/rel_diff"] == 0.0
    assert out["empty_bar_rate/rel_diff"] is None  # real is 0: no relative difference
    with pytest.raises(GanforgeError, match="not whole bars of 5"):
        roll_statistics(r, LOWEST, bar_steps=5, steps_per_beat=2)
    with pytest.raises(GanforgeError, match=r"\(N, voices, steps, pitches\)"):
        roll_statistics(np.zeros((2, 3)), LOWEST, 8, 2)


def test_discriminative_score_tells_different_rolls_apart_and_not_equal_ones() -> None:
    g = torch.Generator().manual_seed(0)
    a = (torch.rand(100, 2, 16, 12, generator=g) < 0.1).float()
    b = (torch.rand(100, 2, 16, 12, generator=g) < 0.1).float()
    shifted = torch.zeros_like(b)
    shifted[..., :6] = (torch.rand(100, 2, 16, 6, generator=g) < 0.2).float()  # only low pitches
    before = torch.rand(3)
    torch.manual_seed(1)
    same = discriminative_score(a, b, steps=60, hidden=8, beat=2, seed=0)
    state = torch.get_rng_state()
    other = discriminative_score(a, shifted, steps=60, hidden=8, beat=2, seed=0)
    assert torch.equal(state, torch.get_rng_state())  # its own RNG: the global one is untouched
    assert abs(same["discriminative_accuracy"] - 0.5) <= 0.2 and same["discriminative_n"] == 40
    assert other["discriminative_accuracy"] > 0.95
    assert discriminative_score(a, shifted, steps=60, hidden=8, beat=2, seed=0) == other  # deterministic
    assert before.shape == (3,)
    with pytest.raises(GanforgeError, match="at least 10 segments"):
        discriminative_score(a[:5], b[:5])


def test_voice_crossing_and_parallel_fifths_octaves() -> None:
    r = roll(voices=3, bars=1)
    # voice 0 (upper): C5 D5 E5 F5 ...; voice 1: F4 G4 A4 A4 (fifths below C5 D5 E5: parallel,
    # then F5 over A4 with only voice 0 moving); voice 2 (lowest): crosses above voice 1 at step 3
    for t, (a, b, c) in enumerate([(12, 5, 0), (14, 7, 0), (16, 9, 3), (17, 9, 10)]):
        r[0, 0, t, a] = r[0, 1, t, b] = r[0, 2, t, c] = 1
    s = stats(r)
    # adjacent pairs sounding: 4 steps x 2 pairs = 8; voice 2 above voice 1 at step 3 only
    assert s["voice_crossing"] == pytest.approx(1 / 8)
    # joint moves: (0,1) at 1, 2 (both fifths: parallel); (0,2) at 2, 3; (1,2) at 2 -> 5 joint moves, 2 parallel
    assert s["parallel_fifths_octaves"] == pytest.approx(2 / 5)
    # contrary motion into a different interval, or one voice holding, is not parallel
    q = roll(voices=2, bars=1)
    for t, (a, b) in enumerate([(12, 0), (11, 2), (11, 4)]):  # octave -> minor sixth (contrary), then bass alone
        q[0, 0, t, a] = q[0, 1, t, b] = 1
    assert stats(q)["parallel_fifths_octaves"] == 0.0 and stats(q)["voice_crossing"] == 0.0
