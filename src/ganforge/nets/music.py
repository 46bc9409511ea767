"""Multi-track piano-roll nets in the manner of MuseGAN (Dong et al. 2018): ``musegan_g`` and
``musegan_d``. A roll is (N, V, T, P): voices, time steps (``bars`` bars of ``bar_steps``),
pitches; values in {0, 1}.

Generator (the "hybrid" model of MuseGAN, sec. 3.2-3.3): the latent holds four parts, a shared
time-independent code ``z``, a shared temporal code ``z_t`` that a temporal generator turns into
one code per bar, and for every voice its own time-independent ``z_i`` and temporal ``z_{t,i}``.
A bar generator, shared by the voices (each voice also has a learned embedding), turns the
four codes of (voice, bar) into features over the bar's steps; the bars are joined and two
convolutions over time that see every voice let neighbouring bars and voices agree; a head per
voice (a grouped 1x1 convolution) gives the notes.

Output heads (``head``):

- ``voice`` (default, for monophonic voices such as chorale parts): per voice and step a
  choice among the P pitches and a rest; the forward value is the one-hot choice (the
  ``argmax``) and in training the gradient is that of the softmax (a straight-through
  estimator, as the deterministic binary neurons of BinaryMuseGAN, Dong & Yang 2018);
- ``markov`` (monophonic voices): the ``voice`` head made sequential. Each voice has a learned
  (P + 1) x (P + 1) table of transition scores, added to the logits of step t in the row of the
  choice made at step t - 1; steps are chosen in order, the previous choice entering as its
  straight-through one-hot, so the gradient also reaches the table and earlier steps. The
  parallel head picks each step's pitch from features alone, and its voices leap where Bach's
  move by step (docs/music.md); the table lets a voice prefer small intervals and held notes.
  The table starts at zero: at initialisation the head is the ``voice`` head. With
  ``harmony`` the voices of a step are also chosen in order (soprano first), each seeing the
  ones above it: for every pair of voices a learned table scores the pair's interval state at
  step t (:func:`interval_state`: the interval class of the upper over the lower voice, or
  crossed, or a rest; and whether either voice moved) given its state at step t - 1. Consecutive
  fifths and octaves, a rule between voices that a per-voice table cannot see, are one cell
  of it (the class 7 or 0 followed by itself with motion);
- ``multi`` (polyphonic tracks): every pitch on or off, ``sigmoid > 0.5`` forward with the
  sigmoid's gradient.

Either way the discriminator sees exact {0, 1} rolls from G, as it does from the data.

Discriminator: per-voice convolutions (grouped) over the roll and over its chroma (the roll
folded onto the 12 pitch classes, a fixed map given ``lowest``), a convolution across voices,
a bar-level convolution (kernel and stride one bar) and one over the bars, then a linear head,
optionally with the minibatch standard deviation as an extra feature (Karras et al. 2018), and
optionally (``intervals``) the interval classes between every pair of voices at every step (the
product of their chromas, one of 12 classes per pair), convolved over time beside the roll: what
a rule of four-part writing such as "no consecutive fifths or octaves" is written in.
"""
from __future__ import annotations

from itertools import combinations

import torch
from torch import Tensor, nn

from .base import Net, register_net

HEADS = ("voice", "markov", "multi")
#: interval states of a pair of voices at one step: 0-11 the interval class of the upper voice over
#: the lower one, 12 crossed (the upper voice below the lower), 13 a rest in either
N_INTERVAL = 14


def interval_state(upper: Tensor, lower: Tensor, rest: int) -> Tensor:
    """The interval state (0 to 13, see ``N_INTERVAL``) of choice indices ``upper`` and ``lower``
    (pitch indices, ``rest`` for a rest; any matching shapes)."""
    d = upper - lower
    state = torch.where(d < 0, torch.full_like(d, 12), torch.remainder(d, 12))
    return torch.where((upper == rest) | (lower == rest), torch.full_like(d, 13), state)


def _lrelu() -> nn.Module:
    return nn.LeakyReLU(0.2)


@register_net("musegan_g", help="MuseGAN-style multi-track generator: shared/per-voice and temporal latents -> "
                                "piano roll (N, V, T, P)")
class MuseGANGenerator(Net):
    """``forward(z (N, z_dim)) -> roll (N, voices, bars * bar_steps, pitches)`` in {0, 1}."""

    def __init__(self, voices: int = 4, bars: int = 4, bar_steps: int = 16, pitches: int = 54,
                 z_shared: int = 32, z_temporal: int = 32, z_voice: int = 16, z_voice_temporal: int = 16,
                 width: int = 32, head: str = "voice", harmony: bool = False, num_classes: int = 0) -> None:
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head {head!r}: accepted {', '.join(HEADS)}")
        if harmony and head != "markov":
            raise ValueError(f"harmony needs head='markov' (got {head!r})")
        if num_classes:
            raise ValueError("musegan_g is unconditional (num_classes must be 0)")
        self.voices, self.bars, self.bar_steps, self.pitches = voices, bars, bar_steps, pitches
        self.sizes = (z_shared, z_temporal, voices * z_voice, voices * z_voice_temporal)
        self.z_voice, self.z_voice_temporal = z_voice, z_voice_temporal
        self.z_dim, self.num_classes, self.head = sum(self.sizes), 0, head
        self.out_shape = (voices, bars * bar_steps, pitches)
        hidden = 4 * max(z_temporal, z_voice_temporal, 8)
        # temporal generators: one code -> one code per bar (MuseGAN's G_temp, an MLP here)
        self.temporal = nn.Sequential(nn.Linear(z_temporal, hidden), nn.ReLU(), nn.Linear(hidden, bars * z_temporal))
        self.voice_temporal = nn.Sequential(nn.Linear(z_voice_temporal, hidden), nn.ReLU(),
                                            nn.Linear(hidden, bars * z_voice_temporal))
        self.voice_embed = nn.Parameter(nn.init.uniform_(torch.empty(voices, 16), -0.2, 0.2))  # normal_ is slow on meta
        d_in = z_shared + z_temporal + z_voice + z_voice_temporal + 16
        self.bar = nn.Sequential(nn.Linear(d_in, width * bar_steps), nn.BatchNorm1d(width * bar_steps), nn.ReLU())
        self.bar_conv = nn.Sequential(nn.Conv1d(width, width, 3, padding=1), nn.BatchNorm1d(width), nn.ReLU())
        ch = voices * width
        self.mix = nn.Sequential(nn.Conv1d(ch, ch, 3, padding=1), nn.BatchNorm1d(ch), nn.ReLU(),
                                 nn.Conv1d(ch, ch, 3, padding=2, dilation=2), nn.BatchNorm1d(ch), nn.ReLU())
        outs = pitches if head == "multi" else pitches + 1
        self.out = nn.Conv1d(ch, voices * outs, 1, groups=voices)
        # markov: transition scores [voice, previous choice, choice] (the last choice is the rest)
        self.transition = nn.Parameter(torch.zeros(voices, outs, outs)) if head == "markov" else None
        # harmony: scores [pair, state at t - 1, state at t (+ N_INTERVAL when a voice moved)]
        self.pairs = list(combinations(range(voices), 2)) if harmony else []
        self.harmony = nn.Parameter(torch.zeros(len(self.pairs), N_INTERVAL, 2 * N_INTERVAL)) if harmony else None
        if harmony:  # [p, c * outs + q] = 1 when the upper choice p and the lower q are in state c
            k = torch.arange(outs)
            state = interval_state(k.view(-1, 1), k.view(1, -1), pitches)  # (outs, outs) [upper, lower]
            onehot = nn.functional.one_hot(state, N_INTERVAL).permute(0, 2, 1).reshape(outs, N_INTERVAL * outs)
            self.register_buffer("state_map", onehot.float(), persistent=False)

    @classmethod
    def example_args(cls) -> dict:
        return {"voices": 2, "bars": 2, "bar_steps": 4, "pitches": 6, "z_shared": 4, "z_temporal": 4,
                "z_voice": 2, "z_voice_temporal": 2, "width": 4}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, ...]:
        return (self.sample_latent(n, generator=generator),)

    def sample_latent(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None) -> Tensor:
        return torch.randn(n, self.z_dim, generator=generator).to(device or "cpu")

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        n, V, B, S = z.shape[0], self.voices, self.bars, self.bar_steps
        zs, zt, zv, zvt = torch.split(z, self.sizes, dim=1)
        t_shared = self.temporal(zt).view(n, 1, B, -1).expand(n, V, B, -1)
        t_voice = self.voice_temporal(zvt.reshape(n * V, -1)).view(n, V, B, -1)
        parts = [zs.view(n, 1, 1, -1).expand(n, V, B, -1), t_shared,
                 zv.view(n, V, 1, -1).expand(n, V, B, -1), t_voice,
                 self.voice_embed.to(z.dtype).view(1, V, 1, -1).expand(n, V, B, -1)]
        h = torch.cat(parts, dim=3).reshape(n * V * B, -1)
        h = self.bar(h).view(n * V * B, -1, S)
        h = h + self.bar_conv(h)
        w = h.shape[1]
        h = h.view(n, V, B, w, S).permute(0, 1, 3, 2, 4).reshape(n, V * w, B * S)  # bars joined in time
        h = h + self.mix(h)
        logits = self.out(h).view(n, V, -1, B * S).transpose(2, 3).float()  # (N, V, T, P[+1])
        if self.head == "voice":
            return self._choose(logits)[..., :self.pitches]  # the last choice is the rest
        if self.head == "markov" and self.harmony is not None:
            return self._markov_harmony(logits)[..., :self.pitches]
        if self.head == "markov":
            steps, prev = [], None
            table = self.transition.float()
            for t in range(logits.shape[2]):
                lt = logits[:, :, t]  # (N, V, P + 1)
                if prev is not None:  # row of the previous choice, per voice: (N, V, P+1) x (V, P+1, P+1)
                    lt = lt + torch.einsum("nvp,vpq->nvq", prev, table)
                prev = self._choose(lt)
                steps.append(prev)
            return torch.stack(steps, dim=2)[..., :self.pitches]
        soft = torch.sigmoid(logits)
        hard = (soft > 0.5).to(soft.dtype)
        return hard + soft - soft.detach() if self.training else hard

    def _markov_harmony(self, logits: Tensor) -> Tensor:
        """The markov head with ``harmony``: steps in order, and in a step the voices in order,
        voice v's logits adding, for every voice u above it, the pair's scores of the states
        that each choice of v would make with u's choice (through u's straight-through one-hot,
        so the gradient reaches u too), in the row of the pair's state at the previous step."""
        n, V, T, K = logits.shape
        table, harmony = self.transition.float(), self.harmony.float()
        pair_of = {pair: i for i, pair in enumerate(self.pairs)}
        steps: list[Tensor] = []
        prev: Tensor | None = None
        prev_idx: Tensor | None = None
        for t in range(T):
            lt = logits[:, :, t]
            if prev is not None:
                lt = lt + torch.einsum("nvp,vpq->nvq", prev, table)
            chosen: list[Tensor] = []
            for v in range(V):
                lv = lt[:, v]
                if prev_idx is not None:
                    for u in range(v):
                        i = pair_of[(u, v)]
                        before = interval_state(prev_idx[:, u], prev_idx[:, v], self.pitches)  # (N,)
                        lv = lv + self.pair_scores(harmony[i][before], chosen[u], prev_idx[:, u], prev_idx[:, v])
                chosen.append(self._choose(lv))
            prev = torch.stack(chosen, dim=1)
            prev_idx = prev.detach().argmax(-1)
            steps.append(prev)
        return torch.stack(steps, dim=2)

    def pair_scores(self, row: Tensor, upper: Tensor, prev_upper: Tensor, prev_lower: Tensor) -> Tensor:
        """(N, K): for every choice q of the lower voice, ``row``'s score of the state q makes with
        the upper voice's choice ``upper`` (N, K; one-hot, straight-through in training), in the
        "moved" half of ``row`` (N, 2 * N_INTERVAL) unless neither voice moved from its previous
        choice (``prev_upper``, ``prev_lower``: indices (N,)), then in the "still" half."""
        n, k = upper.shape
        where = (upper @ self.state_map.to(upper.dtype)).view(n, N_INTERVAL, k)  # [n, c, q]: q makes state c
        scores = torch.einsum("nc,ncq->nq", row[:, N_INTERVAL:].to(upper.dtype), where)
        rows = torch.arange(n, device=upper.device)
        before = interval_state(prev_upper, prev_lower, self.pitches)  # held: the state does not change
        held = upper[rows, prev_upper] * (row[rows, before] - row[rows, N_INTERVAL + before]).to(upper.dtype)
        return scores + nn.functional.one_hot(prev_lower, k).to(scores.dtype) * held.unsqueeze(1)

    def _choose(self, logits: Tensor) -> Tensor:
        """One choice per row of the last axis: the one-hot argmax forward, the softmax's gradient
        in training (straight-through)."""
        soft = torch.softmax(logits, dim=-1)
        hard = nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).to(soft.dtype)
        return hard + soft - soft.detach() if self.training else hard


@register_net("musegan_d", help="MuseGAN-style piano-roll critic: per-voice roll and chroma convolutions, "
                                "bar-level and cross-bar convolutions -> logit")
class MuseGANDiscriminator(Net):
    """``forward(roll (N, voices, bars * bar_steps, pitches)) -> logits (N,)``."""

    def __init__(self, voices: int = 4, bars: int = 4, bar_steps: int = 16, pitches: int = 54, lowest: int = 31,
                 width: int = 32, mbstd: bool = True, intervals: bool = False, num_classes: int = 0) -> None:
        super().__init__()
        if num_classes:
            raise ValueError("musegan_d is unconditional (num_classes must be 0)")
        self.voices, self.bars, self.bar_steps, self.pitches = voices, bars, bar_steps, pitches
        self.in_shape = (voices, bars * bar_steps, pitches)
        self.num_classes, self.mbstd = 0, mbstd
        # built from Python lists: index arithmetic on the meta device (build_net's size check) is slow
        chroma = torch.tensor([[float((p + lowest) % 12 == k) for k in range(12)] for p in range(pitches)])
        self.register_buffer("chroma", chroma, persistent=False)
        self.roll_conv = nn.Conv1d(voices * pitches, voices * width, 3, padding=1, groups=voices)
        self.chroma_conv = nn.Conv1d(voices * 12, voices * width // 2 or voices, 3, padding=1, groups=voices)
        c1 = self.roll_conv.out_channels + self.chroma_conv.out_channels
        # intervals: for every pair of voices and step, the 12 interval classes between their pitch
        # classes (bilinear in the chroma, so G's straight-through gradient passes), convolved over time
        self.pairs = list(combinations(range(voices), 2)) if intervals else []
        self.upper, self.lower = [a for a, _ in self.pairs], [b for _, b in self.pairs]
        self.interval_conv = None
        if self.pairs:
            shift = torch.tensor([[(c + k) % 12 for k in range(12)] for c in range(12)])
            self.register_buffer("interval_index", shift, persistent=False)
            self.interval_conv = nn.Conv1d(len(self.pairs) * 12, width, 3, padding=1)
            c1 += width
        self.mix = nn.Conv1d(c1, 2 * width, 3, padding=1)
        self.bar_conv = nn.Conv1d(2 * width, 4 * width, bar_steps, stride=bar_steps)
        self.bars_conv = nn.Conv1d(4 * width, 4 * width, 3, padding=1)
        self.head = nn.Linear(4 * width * bars + int(mbstd), 1)
        self.act = _lrelu()

    @classmethod
    def example_args(cls) -> dict:
        return {"voices": 2, "bars": 2, "bar_steps": 4, "pitches": 6, "lowest": 60, "width": 4}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, ...]:
        return ((torch.rand(n, *self.in_shape, generator=generator) < 0.2).float(),)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        n, V, T, P = x.shape
        roll = x.permute(0, 1, 3, 2).reshape(n, V * P, T)
        pc = torch.matmul(x, self.chroma.to(x.dtype))  # (N, V, T, 12)
        feats = [self.roll_conv(roll), self.chroma_conv(pc.permute(0, 1, 3, 2).reshape(n, V * 12, T))]
        if self.interval_conv is not None:
            iv = self._intervals(pc)
            feats.append(self.interval_conv(iv.permute(0, 1, 3, 2).reshape(n, len(self.pairs) * 12, T)))
        h = self.act(torch.cat(feats, dim=1))
        h = self.act(self.mix(h))
        h = self.act(self.bar_conv(h))  # (N, 4w, bars)
        h = self.act(h + self.bars_conv(h)).flatten(1)
        if self.mbstd:
            sd = h.float().std(dim=0, unbiased=False).mean() if n > 1 else h.new_zeros((), dtype=torch.float32)
            h = torch.cat([h, sd.to(h.dtype).expand(n, 1)], dim=1)
        return self.head(h).squeeze(1)

    def interval_classes(self, x: Tensor) -> Tensor:
        """(N, pairs, T, 12): for each pair (a, b) of voices (a above b in the data's order) and
        step, ``[k]`` counts the (pitch of a, pitch of b) pairs whose pitch classes satisfy
        ``pc(b) = pc(a) + k (mod 12)``; one-hot for monophonic voices that both sound."""
        return self._intervals(torch.matmul(x, self.chroma.to(x.dtype)))

    def _intervals(self, pc: Tensor) -> Tensor:
        """:meth:`interval_classes` from the voices' chromas pc (N, V, T, 12)."""
        shifted = pc[:, self.lower][..., self.interval_index]  # [n, p, t, c, k] = pc[n, lower, t, (c + k) % 12]
        return torch.einsum("nptc,nptck->nptk", pc[:, self.upper], shifted)
