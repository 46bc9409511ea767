"""The piano-roll generator's output heads (``ganforge.nets.music``)."""
from __future__ import annotations

import pytest
import torch

from ganforge.nets import build_net

SMALL = {"voices": 2, "bars": 2, "bar_steps": 4, "pitches": 6, "z_shared": 4, "z_temporal": 4,
         "z_voice": 2, "z_voice_temporal": 2, "width": 4}


def _pair():
    torch.manual_seed(0)
    voice = build_net("musegan_g", **SMALL, head="voice")
    markov = build_net("musegan_g", **SMALL, head="markov")
    missing = markov.load_state_dict(voice.state_dict(), strict=False)
    assert missing.missing_keys == ["transition"] and not missing.unexpected_keys
    return voice, markov


@pytest.mark.parametrize("train", [True, False])
def test_markov_head_starts_as_the_voice_head(train: bool) -> None:
    voice, markov = _pair()
    voice.train(train), markov.train(train)
    z = torch.randn(5, voice.z_dim)
    a, b = voice(z), markov(z)
    assert torch.equal(a, b)
    b = b.detach()  # exact one-hot choices forward (up to the straight-through rounding in training)
    assert torch.allclose(b, b.round(), atol=1e-6) and (b.round().sum(-1) <= 1).all()


def test_markov_table_learns_and_steers_the_next_choice() -> None:
    _, markov = _pair()
    z = torch.randn(8, markov.z_dim)
    markov(z).square().sum().backward()  # the table gets a gradient through the previous choices
    assert markov.transition.grad.abs().sum() > 0
    with torch.no_grad():  # holding the previous choice scores far above any change
        markov.transition.copy_(torch.eye(7).expand(2, 7, 7) * 1e4)
    markov.eval()
    roll = markov(z)  # (8, 2, 8, 6): every voice repeats its first choice (a pitch, or the rest)
    assert torch.equal(roll, roll[:, :, :1].expand_as(roll))


def test_unknown_head_is_named() -> None:
    with pytest.raises(ValueError, match="accepted voice, markov, multi"):
        build_net("musegan_g", **SMALL, head="chords")


def test_critic_interval_input_sees_the_pitch_class_interval_of_each_voice_pair() -> None:
    torch.manual_seed(0)
    d = build_net("musegan_d", voices=3, bars=2, bar_steps=4, pitches=24, lowest=60, width=4, intervals=True)
    x = torch.zeros(2, 3, 8, 24)
    x[:, 0, :, 19] = 1  # G5
    x[:, 1, :, 12] = 1  # C5: G above C, pc(C) = pc(G) + 5
    x[0, 2, :4, 0] = 1  # C4 in the first bar of the first sample, then silent
    iv = d.interval_classes(x)
    assert iv.shape == (2, 3, 8, 12)  # pairs (0, 1), (0, 2), (1, 2)
    assert (iv[:, 0].argmax(-1) == 5).all() and (iv[:, 0].sum(-1) == 1).all()
    assert (iv[0, 1, :4].argmax(-1) == 5).all() and iv[0, 1, 4:].sum() == 0 and iv[1, 1:].sum() == 0
    assert (iv[0, 2, :4].argmax(-1) == 0).all()  # C over C: unison class
    # it enters the critic, and G's straight-through gradient reaches the roll through it
    xg = x.clone().requires_grad_(True)
    d(xg).sum().backward()
    plain = build_net("musegan_d", voices=3, bars=2, bar_steps=4, pitches=24, lowest=60, width=4)
    assert sum(p.numel() for p in d.parameters()) > sum(p.numel() for p in plain.parameters())
    assert xg.grad is not None and xg.grad.abs().sum() > 0
    assert d.interval_conv.weight.shape[1] == 3 * 12


BIG = {**SMALL, "voices": 3, "pitches": 20}  # 20 pitches: every interval class and crossings occur


def test_interval_state_classes() -> None:
    from ganforge.nets.music import interval_state

    up, low = torch.tensor([19, 7, 12, 5, 20, 3]), torch.tensor([12, 0, 12, 9, 4, 20])
    assert interval_state(up, low, rest=20).tolist() == [7, 7, 0, 12, 13, 13]  # fifth, fifth, unison, crossed, rests


def test_harmony_pair_scores_match_a_direct_count() -> None:
    """pair_scores against the definition, choice by choice: the score of the state (upper's
    choice, q), in the "still" half when neither voice moved, else in the "moved" half."""
    from ganforge.nets.music import N_INTERVAL, interval_state

    torch.manual_seed(1)
    g = build_net("musegan_g", **BIG, head="markov", harmony=True)
    K, n = BIG["pitches"] + 1, 6
    row = torch.randn(n, 2 * N_INTERVAL)
    upper_idx = torch.tensor([3, 3, 20, 10, 0, 19])
    prev_upper = torch.tensor([3, 5, 20, 10, 0, 2])
    prev_lower = torch.tensor([1, 1, 4, 20, 0, 7])
    got = g.pair_scores(row, torch.nn.functional.one_hot(upper_idx, K).float(), prev_upper, prev_lower)
    for i in range(n):
        for q in range(K):
            state = int(interval_state(upper_idx[i], torch.tensor(q), 20))
            still = int(upper_idx[i]) == int(prev_upper[i]) and q == int(prev_lower[i])
            want = row[i, state if still else N_INTERVAL + state]
            assert torch.isclose(got[i, q], want), (i, q)


def test_harmony_starts_as_the_markov_head_and_its_table_steers_the_lower_voices() -> None:
    torch.manual_seed(0)
    markov = build_net("musegan_g", **BIG, head="markov")
    harmony = build_net("musegan_g", **BIG, head="markov", harmony=True)
    missing = harmony.load_state_dict(markov.state_dict(), strict=False)
    assert missing.missing_keys == ["harmony"]
    z = torch.randn(8, markov.z_dim)
    for train in (True, False):
        markov.train(train), harmony.train(train)
        assert torch.equal(markov(z), harmony(z))  # a zero table adds nothing
    harmony.train()
    harmony(z).square().sum().backward()
    assert harmony.harmony.grad.abs().sum() > 0
    with torch.no_grad():  # adjacent voices (pairs 0-1 and 1-2): a fifth (held or reached) scores far above all
        harmony.harmony.zero_()
        harmony.harmony[[0, 2], :, 7] = harmony.harmony[[0, 2], :, 14 + 7] = 1e4
    harmony.eval()
    roll = harmony(z)  # (8, 3, 8, 20)
    idx = roll[:, :, 1:].argmax(-1)
    assert (roll[:, :, 1:].sum(-1) == 1).all()  # every voice sounds from the second step on
    for upper in (0, 1):  # wherever a fifth below the voice above exists, the next voice takes one
        lower = upper + 1
        room = idx[:, upper] >= 7
        assert room.sum() >= 10
        gap = idx[:, upper][room] - idx[:, lower][room]
        assert (gap > 0).all() and (gap % 12 == 7).all()


def test_harmony_needs_the_markov_head() -> None:
    with pytest.raises(ValueError, match="harmony needs head='markov'"):
        build_net("musegan_g", **SMALL, head="voice", harmony=True)
