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
