"""Text-to-image nets (StackGAN, Zhang et al. 2017; AttnGAN, Xu et al. 2018), and the DAMSM
matching scores they share with the R-precision metric.

- ``t2i_text_encoder``: a bidirectional LSTM over word embeddings; word features e (N, D, L)
  (the two directions' hidden states concatenated, D = 2 * hidden) and a sentence feature
  (N, D) (the last hidden states of both directions). ``forward(tokens)`` returns the sentence
  feature; :meth:`TextEncoder.encode` gives (words, sentence, mask).
- ``t2i_image_encoder``: a CNN giving region features v (N, D, R) (a grid of 8 x 8 or 4 x 4
  sub-regions; AttnGAN's Inception features have 17 x 17) and a global
  feature (N, D) in the text encoder's space. AttnGAN uses a pretrained Inception-v3 here; this
  is a small CNN trained from scratch with the DAMSM loss, so it runs on a CPU and on any data.
- ``t2i_g``: the generator ``G(z, tokens) -> images``. It holds the text encoder (trained first
  with DAMSM, then frozen by the family), so a saved generator takes captions alone:
  :meth:`T2IGenerator.tokenize` turns text into ids with the run's vocabulary and names unknown
  words. z = [noise (noise_dim), eps (ca_dim)]: eps is the conditioning-augmentation draw
  (StackGAN eq. 1: c = mu(s) + sigma(s) * eps), kept in z so that a seed fixes the whole image.
  Stage 0 maps [noise, c] to a low-resolution image; each further stage doubles the side after
  attending to the words (AttnGAN's F^attn: every image sub-region gets a word-context vector,
  softmax over the caption's words, pads masked).
- ``t2i_d``: one discriminator per stage (the one matching the image side is used; spectrally
  normalised by default), each with
  an unconditional head (real vs fake) and a conditional head on the sentence feature (does
  the image match the caption: StackGAN/GAN-INT-CLS's matching-aware discriminator).
"""
from __future__ import annotations

import math
import re
from typing import Any, Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..errors import GanforgeError
from ..layers.recurrent import run_rnn
from ..layers.spectral import apply_spectral_norm
from .base import Net, register_net

PAD_ID, EOS_ID = 0, 2  # ganforge.data.vocab's ids (nets sit below data: the values, not the import)
GAMMA1, GAMMA2, GAMMA3 = 4.0, 5.0, 10.0  # AttnGAN's DAMSM smoothing factors (CUB settings)
# the word tokens of ganforge.data.vocab.tokenize (nets sit below data: the pattern, not the import)
_WORD_RE = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


def _example_tokens(n: int, vocab_size: int, max_len: int, generator: torch.Generator | None) -> Tensor:
    """(n, max_len) ids: random words (ids 4..), <eos> at a random position, <pad> after."""
    ids = torch.randint(4, vocab_size, (n, max_len), generator=generator)
    ends = torch.randint(1, max_len, (n,), generator=generator)
    pos = torch.arange(max_len).expand(n, -1)
    ids = torch.where(pos == ends[:, None], torch.full_like(ids, EOS_ID), ids)
    return torch.where(pos > ends[:, None], torch.full_like(ids, PAD_ID), ids)


@register_net("t2i_text_encoder", help="bidirectional LSTM text encoder: word and sentence features (AttnGAN)")
class TextEncoder(Net):
    """Token ids (N, L) -> word features (N, 2*hidden, L), sentence feature (N, 2*hidden)."""

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden: int = 64, max_len: int = 18,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.vocab_size, self.max_len, self.dim = vocab_size, max_len, 2 * hidden
        self.out_shape = (self.dim,)
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD_ID)
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True)

    @classmethod
    def example_args(cls) -> dict[str, Any]:
        return {"vocab_size": 12, "embed_dim": 8, "hidden": 6, "max_len": 7}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor]:
        return (_example_tokens(n, self.vocab_size, self.max_len, generator),)

    def encode(self, tokens: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(words (N, D, L), sentence (N, D), mask (N, L) bool: True at real words and <eos>)."""
        return self(tokens, all_features=True)

    def forward(self, tokens: Tensor, all_features: bool = False) -> Any:
        """The sentence feature (N, D); with ``all_features`` (words, sentence, mask) as :meth:`encode`."""
        mask = tokens != PAD_ID
        lengths = mask.sum(1).clamp_min(1)
        emb = self.drop(self.embed(tokens))
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, (h, _) = run_rnn(self.lstm, packed)
        words, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        sentence = torch.cat([h[0], h[1]], dim=1)
        return (words.transpose(1, 2), sentence, mask) if all_features else sentence


def _down(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True))


def _halvings(side: int, to: int) -> int:
    k = int(round(math.log2(side / to)))
    if side < to or 2 ** k * to != side:
        raise ValueError(f"image side {side} must be {to} times a power of two (e.g. 32, 64, 128, 256)")
    return k


@register_net("t2i_image_encoder", help="CNN image encoder: region and global features for DAMSM (AttnGAN)")
class ImageEncoder(Net):
    """Images (N, C, S, S) in [-1, 1] -> regions (N, dim, grid^2) on a grid x grid grid and a
    global feature (N, dim). ``forward`` returns the global feature."""

    def __init__(self, in_shape: Sequence[int] = (1, 32, 32), dim: int = 128, width: int = 32, grid: int = 8) -> None:
        super().__init__()
        self.in_shape = tuple(int(s) for s in in_shape)
        self.out_shape = (dim,)
        c, side = self.in_shape[0], self.in_shape[-1]
        k = _halvings(side, grid)
        layers, ch = [], c
        for i in range(k):
            nxt = width * 2 ** min(i, 3)
            layers.append(_down(ch, nxt))
            ch = nxt
        if not layers:  # images as small as the grid: one plain conv
            layers.append(nn.Sequential(nn.Conv2d(ch, width, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True)))
            ch = width
        self.to_regions_net = nn.Sequential(*layers)
        self.region_proj = nn.Conv2d(ch, dim, 1)
        self.deep = nn.Sequential(_down(ch, 2 * ch), nn.Conv2d(2 * ch, 2 * ch, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True))
        self.global_proj = nn.Linear(2 * ch, dim)

    @classmethod
    def example_args(cls) -> dict[str, Any]:
        return {"in_shape": [1, 16, 16], "dim": 12, "width": 4}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor]:
        return (torch.rand(n, *self.in_shape, generator=generator) * 2 - 1,)

    def forward_unused_parameters(self) -> set[str]:
        return {n for n, _ in self.region_proj.named_parameters(prefix="region_proj")}

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(regions (N, dim, R), global (N, dim))."""
        return self(x, all_features=True)

    def forward(self, x: Tensor, all_features: bool = False) -> Any:
        """The global feature (N, dim); with ``all_features`` (regions, global) as :meth:`encode`."""
        if tuple(x.shape[-2:]) != self.in_shape[-2:]:
            x = F.interpolate(x, size=self.in_shape[-2:], mode="bilinear", align_corners=False)
        h = self.to_regions_net(x)
        regions = self.region_proj(h).flatten(2)
        g = self.global_proj(self.deep(h).mean((2, 3)))
        return (regions, g) if all_features else g


# --- DAMSM (AttnGAN sec. 3.3): pure functions of features -------------------------------------

def _cosine(a: Tensor, b: Tensor, dim: int = -1) -> Tensor:
    return (a * b).sum(dim) / (a.norm(dim=dim) * b.norm(dim=dim)).clamp_min(1e-8)


def word_scores(words: Tensor, mask: Tensor, regions: Tensor) -> Tensor:
    """(Nc, Ni) word-level matching scores R(Q_j, D_i) (AttnGAN eqs. 7-10) of every caption
    (words (Nc, D, L), mask (Nc, L)) against every image (regions (Ni, D, R)), in fp32."""
    e, v = words.float().transpose(1, 2), regions.float().transpose(1, 2)        # (Nc, L, D), (Ni, R, D)
    s = torch.einsum("cld,ird->cilr", e, v)                                      # (Nc, Ni, L, R)
    neg = torch.finfo(s.dtype).min
    s = s.masked_fill(~mask[:, None, :, None], neg).softmax(dim=2)               # eq. 8: normalise over words
    s = s.masked_fill(~mask[:, None, :, None], 0.0)
    alpha = (GAMMA1 * s).softmax(dim=3)                                          # eq. 9: attention over regions
    context = torch.einsum("cilr,ird->cild", alpha, v)                           # (Nc, Ni, L, D)
    rel = _cosine(context, e[:, None], dim=-1)                                   # (Nc, Ni, L)
    rel = (GAMMA2 * rel).exp().masked_fill(~mask[:, None, :], 0.0).sum(2)
    return rel.clamp_min(1e-8).log() / GAMMA2                                    # eq. 10


def sentence_scores(sentence: Tensor, image_global: Tensor) -> Tensor:
    """(Nc, Ni) cosine similarity of every sentence feature with every global image feature."""
    s, g = F.normalize(sentence.float(), dim=-1), F.normalize(image_global.float(), dim=-1)
    return s @ g.t()


def damsm_loss(words: Tensor, sentence: Tensor, mask: Tensor, regions: Tensor, image_global: Tensor,
               same: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(word loss, sentence loss) of a batch of matching (caption i, image i) pairs: cross-entropy
    of gamma3 * scores over the batch in both directions (AttnGAN eqs. 11-13). ``same`` (N, N)
    bool marks other pairs that match as well (equal captions): they are left out of the
    softmax instead of being counted as mismatches."""
    n = sentence.shape[0]
    target = torch.arange(n, device=sentence.device)

    def both_ways(scores: Tensor) -> Tensor:
        scores = GAMMA3 * scores
        if same is not None:
            scores = scores.masked_fill(same & ~torch.eye(n, dtype=torch.bool, device=scores.device), -1e4)
        return F.cross_entropy(scores, target) + F.cross_entropy(scores.t(), target)

    return both_ways(word_scores(words, mask, regions)), both_ways(sentence_scores(sentence, image_global))


# --- the generator ---------------------------------------------------------------------------

def _up(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class _ResBlock(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1), nn.BatchNorm2d(ch), nn.ReLU(inplace=True),
                                  nn.Conv2d(ch, ch, 3, 1, 1), nn.BatchNorm2d(ch))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class WordAttention(nn.Module):
    """AttnGAN's F^attn: image features h (N, C, H, W) and words (N, D, L) -> word-context
    features (N, C, H, W): each sub-region's softmax-weighted sum of the projected words."""

    def __init__(self, ch: int, text_dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv1d(text_dim, ch, 1, bias=False)

    def forward(self, h: Tensor, words: Tensor, mask: Tensor) -> Tensor:
        n, c, hh, ww = h.shape
        e = self.proj(words)                                          # (N, C, L)
        logits = torch.bmm(h.flatten(2).transpose(1, 2), e)           # (N, HW, L)
        logits = logits.masked_fill(~mask[:, None, :], torch.finfo(logits.dtype).min)
        attn = logits.float().softmax(dim=-1).to(e.dtype)
        return torch.bmm(e, attn.transpose(1, 2)).view(n, c, hh, ww)


class _NextStage(nn.Module):
    def __init__(self, ch: int, text_dim: int, out_channels: int, residuals: int) -> None:
        super().__init__()
        self.attn = WordAttention(ch, text_dim)
        self.joint = nn.Sequential(nn.Conv2d(2 * ch, ch, 3, 1, 1), nn.BatchNorm2d(ch), nn.ReLU(inplace=True),
                                   *[_ResBlock(ch) for _ in range(residuals)])
        self.up = _up(ch, ch)
        self.to_image = nn.Sequential(nn.Conv2d(ch, out_channels, 3, 1, 1), nn.Tanh())

    def forward(self, h: Tensor, contexts: list[tuple[Tensor, Tensor, float]]) -> Tensor:
        ctx = sum(w * self.attn(h, words, mask) for words, mask, w in contexts)
        return self.up(self.joint(torch.cat([h, ctx], dim=1)))


@register_net("t2i_g", help="text-to-image generator: conditioning augmentation, stage 0, word-attention stages")
class T2IGenerator(Net):
    """G(z, tokens) -> images (N, C, S, S) in [-1, 1] (S = ``out_shape[-1]``, produced after
    ``stages`` stages: stage 0 at S / 2^(stages-1), each next stage doubling the side)."""

    num_classes = 0

    def __init__(self, out_shape: Sequence[int] = (1, 32, 32), vocab: Sequence[str] = (), noise_dim: int = 32,
                 ca_dim: int = 32, width: int = 32, stages: int = 2, residuals: int = 2, embed_dim: int = 64,
                 hidden: int = 64, max_len: int = 18) -> None:
        super().__init__()
        self.out_shape = tuple(int(s) for s in out_shape)
        self.vocab = list(vocab)
        self.stoi = {t: i for i, t in enumerate(self.vocab)}
        self.noise_dim, self.ca_dim, self.z_dim, self.max_len = noise_dim, ca_dim, noise_dim + ca_dim, max_len
        if stages < 1:
            raise ValueError(f"stages must be >= 1, got {stages}")
        c, side = self.out_shape[0], self.out_shape[-1]
        ups = _halvings(side, 4 * 2 ** (stages - 1))  # stage 0: from 4 x 4 up to side / 2^(stages-1)
        self.text_encoder = TextEncoder(len(self.vocab), embed_dim, hidden, max_len)
        d = self.text_encoder.dim
        self.ca = nn.Linear(d, 2 * ca_dim)
        top = width * 2 ** ups
        self.fc = nn.Sequential(nn.Linear(noise_dim + ca_dim, top * 16, bias=False), nn.BatchNorm1d(top * 16),
                                nn.ReLU(inplace=True))
        self.top = top
        self.init_ups = nn.Sequential(*[_up(top // 2 ** i, top // 2 ** (i + 1)) for i in range(ups)])
        self.next_stages = nn.ModuleList([_NextStage(width, d, c, residuals) for _ in range(stages - 1)])
        self.to_images = nn.ModuleList([nn.Sequential(nn.Conv2d(width, c, 3, 1, 1), nn.Tanh())] +
                                       [s.to_image for s in self.next_stages])

    @classmethod
    def example_args(cls) -> dict[str, Any]:
        vocab = ["<pad>", "<bos>", "<eos>", "<unk>", "a", "thin", "thick", "seven", "one"]
        return {"out_shape": [1, 16, 16], "vocab": vocab, "noise_dim": 4, "ca_dim": 3, "width": 4, "stages": 2,
                "residuals": 1, "embed_dim": 6, "hidden": 5, "max_len": 6}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        return self.sample_latent(n, generator=generator), _example_tokens(n, len(self.vocab), self.max_len, generator)

    def forward_unused_parameters(self) -> set[str]:
        # only the last stage's to-image conv draws the returned image
        return {f"to_images.{i}.{n}" for i in range(len(self.to_images) - 1)
                for n, _ in self.to_images[i].named_parameters()}

    def sample_latent(self, n: int, generator: torch.Generator | None = None, device: Any = None) -> Tensor:
        return torch.randn(n, self.z_dim, generator=generator).to(device or "cpu")

    # -- text ------------------------------------------------------------------------------------
    def tokenize(self, texts: str | Sequence[str]) -> Tensor:
        """(N, max_len) ids of captions with this generator's vocabulary (lower-cased word tokens as
        :func:`ganforge.data.vocab.tokenize` makes them; cut to max_len - 1 words, then <eos>). An
        unknown word is an error naming it and the caption, never silently dropped."""
        if isinstance(texts, str):
            texts = [texts]
        out = torch.full((len(texts), self.max_len), PAD_ID, dtype=torch.long)
        for i, text in enumerate(texts):
            toks = _WORD_RE.findall(text.lower())
            if not toks:
                raise GanforgeError(f"caption {text!r} holds no words")
            unknown = [t for t in toks if self.stoi.get(t, 0) < 4]
            if unknown:
                known = ", ".join(self.vocab[4:80]) + (" ..." if len(self.vocab) > 84 else "")
                raise GanforgeError(f"caption {text!r}: unknown word(s) {', '.join(sorted(set(unknown)))}; the "
                                    f"run's vocabulary has {len(self.vocab) - 4} words: {known}")
            ids = [self.stoi[t] for t in toks][: self.max_len - 1] + [EOS_ID]
            out[i, : len(ids)] = torch.tensor(ids)
        p = next(self.parameters())
        return out.to(p.device)

    def encode_text(self, tokens: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return self.text_encoder.encode(tokens)

    def condition(self, sentence: Tensor, eps: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """StackGAN's conditioning augmentation: (c = mu + exp(logvar / 2) * eps, mu, logvar)."""
        mu, logvar = self.ca(sentence).float().chunk(2, dim=1)
        return (mu + (0.5 * logvar).exp() * eps.float()).to(sentence.dtype), mu, logvar

    def stages_from(self, z: Tensor, sentence: Tensor, contexts: list[tuple[Tensor, Tensor, float]]) -> tuple[list[Tensor], Tensor, Tensor]:
        """(the image of every stage, lowest side first; mu; logvar) from latents z, a sentence
        feature (N, D) and the word contexts [(words (N, D, L), mask (N, L), weight)] (one with
        weight 1, or several whose weights sum to 1 to mix captions)."""
        noise, eps = z[:, : self.noise_dim], z[:, self.noise_dim:]
        c, mu, logvar = self.condition(sentence, eps)
        h = self.fc(torch.cat([noise.to(c.dtype), c], dim=1)).view(z.shape[0], self.top, 4, 4)
        h = self.init_ups(h)
        images = [self.to_images[0](h)] if self.next_stages else []
        for i, stage in enumerate(self.next_stages):
            h = stage(h, contexts)
            if i < len(self.next_stages) - 1:
                images.append(stage.to_image(h))
        images.append(self.to_images[-1](h))
        return images, mu, logvar

    def interpolate_text(self, z: Tensor, a: Tensor, b: Tensor, t: float) -> Tensor:
        """Images for latents z and the mix (1 - t) * caption a + t * caption b (token ids (N, L)
        or (1, L)): sentence features mixed linearly, word contexts mixed by the same weights."""
        wa, sa, ma = self.encode_text(a)
        wb, sb, mb = self.encode_text(b)
        sentence = (1.0 - t) * sa + t * sb
        return self.stages_from(z, sentence.expand(z.shape[0], -1),
                                [(wa.expand(z.shape[0], -1, -1), ma.expand(z.shape[0], -1), 1.0 - t),
                                 (wb.expand(z.shape[0], -1, -1), mb.expand(z.shape[0], -1), t)])[0][-1]

    def forward(self, z: Tensor, c: Tensor | None = None, text: tuple[Tensor, Tensor, Tensor] | None = None,
                all_stages: bool = False) -> Any:
        """Images for latents z (N, z_dim) and captions c (N, L) token ids; c None: the empty
        caption (<eos> alone). ``text``: the text encoder's (words, sentence, mask) instead of c
        (the family encodes once, without gradients). ``all_stages``: (every stage's image, mu,
        logvar) as :meth:`stages_from` gives them."""
        if text is None:
            if c is None:
                c = torch.zeros(z.shape[0], 1, dtype=torch.long, device=z.device).fill_(EOS_ID)
            text = self.encode_text(c)
        words, sentence, mask = text
        out = self.stages_from(z, sentence, [(words, mask, 1.0)])
        return out if all_stages else out[0][-1]


# --- the discriminator ------------------------------------------------------------------------

class _StageD(nn.Module):
    def __init__(self, channels: int, side: int, width: int, text_dim: int) -> None:
        super().__init__()
        k = _halvings(side, 4)
        layers, ch = [], channels
        for i in range(k):
            nxt = width * 2 ** min(i, 4)
            layers.append(_down(ch, nxt))
            ch = nxt
        self.body = nn.Sequential(*layers)
        self.uncond = nn.Conv2d(ch, 1, 4)
        self.joint = nn.Sequential(nn.Conv2d(ch + text_dim, ch, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True))
        self.cond = nn.Conv2d(ch, 1, 4)

    def heads(self, x: Tensor, sentence: Tensor | None) -> tuple[Tensor, Tensor | None]:
        h = self.body(x)
        u = self.uncond(h).flatten()
        if sentence is None:
            return u, None
        s = sentence.to(h.dtype)[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])
        return u, self.cond(self.joint(torch.cat([h, s], dim=1))).flatten()


@register_net("t2i_d", help="text-to-image discriminators, one per stage: realism and image-text match")
class T2IDiscriminator(Net):
    """D(x, sentence) -> the matching logit (N,) of the stage whose side is x's; D(x) -> the
    realism logit. :meth:`heads` gives both."""

    num_classes = 0

    def __init__(self, in_shape: Sequence[int] = (1, 32, 32), text_dim: int = 128, width: int = 32,
                 stages: int = 2, spectral: bool = True) -> None:
        super().__init__()
        self.in_shape = tuple(int(s) for s in in_shape)
        self.text_dim = text_dim
        c, side = self.in_shape[0], self.in_shape[-1]
        self.sides = [side // 2 ** (stages - 1 - i) for i in range(stages)]
        self.stage_nets = nn.ModuleList([_StageD(c, s, width, text_dim) for s in self.sides])
        if spectral:  # spectral normalization (Miyato et al. 2018) keeps D from overpowering G
            apply_spectral_norm(self)

    @classmethod
    def example_args(cls) -> dict[str, Any]:
        return {"in_shape": [1, 16, 16], "text_dim": 6, "width": 4, "stages": 2}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        return (torch.rand(n, *self.in_shape, generator=generator) * 2 - 1,
                torch.randn(n, self.text_dim, generator=generator))

    def forward_unused_parameters(self) -> set[str]:
        last = len(self.stage_nets) - 1
        unused = {f"stage_nets.{i}.{n}" for i in range(last) for n, _ in self.stage_nets[i].named_parameters()}
        return unused | {f"stage_nets.{last}.uncond.{n}" for n, _ in self.stage_nets[last].uncond.named_parameters()}

    def stage_of(self, x: Tensor) -> _StageD:
        side = int(x.shape[-1])
        if side not in self.sides:
            raise GanforgeError(f"t2i_d: images of side {side}; this discriminator judges sides {self.sides}")
        return self.stage_nets[self.sides.index(side)]

    def heads(self, x: Tensor, sentence: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """(realism logits (N,), matching logits (N,) or None without a sentence feature)."""
        return self(x, sentence, both=True)

    def forward(self, x: Tensor, c: Tensor | None = None, both: bool = False) -> Any:
        """The matching logits of images x with sentence features c (N, text_dim); without c the
        realism logits; ``both``: the pair as :meth:`heads`."""
        u, m = self.stage_of(x).heads(x, c)
        if both:
            return u, m
        return m if m is not None else u
