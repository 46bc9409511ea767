"""The ``seqgan`` family (Yu et al. 2017): an LSTM language model trained first by maximum
likelihood, then as a policy with REINFORCE against a CNN discriminator, with rewards from
Monte-Carlo rollouts of a delayed copy of the generator.

The schedule is a function of the iteration count ``t`` (kept in the checkpoint, so a resumed
run continues exactly):

- ``t < mle_steps``: one MLE (teacher-forced cross-entropy) step of G per iteration;
- ``t < mle_steps + d_pretrain_steps``: ``--d-steps`` D steps per iteration (pre-training on
  real text against samples of the pre-trained G);
- after that, adversarial iterations: one policy-gradient step of G with rewards from
  ``n_rollouts`` rollouts per prefix, the rollout net moved towards G, then ``--d-steps`` D steps.

The rollout net is a delayed copy of the generator, as in the official code (LantaoYu/SeqGAN,
``ROLLOUT(generator, 0.8)`` built after pre-training): it is set to the pre-trained G when the
adversarial stage starts, then after every policy-gradient step
theta_rollout <- rollout_rate * theta_rollout + (1 - rollout_rate) * theta_G (rate 0.8). It is
one of the family's nets, so checkpoints hold it and a resumed run continues exactly.

The reward of token t of a sampled sequence is Q(s_{t-1}, y_t): the mean, over ``n_rollouts``
Monte-Carlo completions of the prefix y_1..y_t by the rollout net, of D's probability that the
completed sequence is real (for the last token: D's probability of the sequence itself), as in
the paper's eq. 4. REINFORCE then minimises -sum_t Q_t log G(y_t | y_<t) (eqs. 8-9).

Defaults follow the official code: Adam 0.01 for G (a fresh Adam for the policy-gradient
stage), 1e-4 for D, generator gradient-norm clip 5.0, 16 rollouts, no reward baseline.
Family options (``--option NAME=VALUE``) are the fields of :class:`SeqGANOptions`; ``--width``
sets ``hidden_dim`` too. ``train.steps`` counts all iterations.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any, Callable

import torch
from torch import Tensor
from torch.nn import functional as F

from ..errors import GanforgeError
from ..nets import build_net
from ..nets.seqgan import SeqGANDiscriminator, SeqGANGenerator
from .base import Family, Phase, register_family
from .options import parse_options

BASELINES = ("none", "mean")


@dataclass(frozen=True)
class SeqGANOptions:
    """mle_steps: MLE pre-training iterations [4700]; d_pretrain_steps: D pre-training
    iterations, of ``--d-steps`` D steps each [40]; n_rollouts: Monte-Carlo rollouts per prefix
    [16]; rollout_rate: how much of its own weights the rollout net keeps at each update [0.8];
    baseline: ``none`` (the paper) or ``mean`` (rewards minus their batch mean per position)
    [none]; grad_clip: global gradient-norm clip of G, 0 for none [5.0]; embed_dim, hidden_dim:
    G's embedding and LSTM sizes [32, 32]; d_embed_dim: D's embedding size [64]."""

    mle_steps: int = 4700
    d_pretrain_steps: int = 40
    n_rollouts: int = 16
    rollout_rate: float = 0.8
    baseline: str = "none"
    grad_clip: float = 5.0
    embed_dim: int = 32
    hidden_dim: int = 32
    d_embed_dim: int = 64


# --- losses (pure: nets and tensors in, float scalars out) -------------------------------------

def token_log_probs(g: SeqGANGenerator, x: Tensor) -> Tensor:
    """(N, T) float log p(x_t | x_<t) under teacher forcing; the logits may be bf16/fp16 under
    autocast, the softmax is taken in float."""
    logp = torch.log_softmax(g.logits(x).float(), dim=-1)
    return logp.gather(2, x.unsqueeze(2)).squeeze(2)


def mle_loss(g: SeqGANGenerator, x: Tensor) -> Tensor:
    """Teacher-forced cross-entropy of the real tokens x (N, T), in nats per token; positions
    after <eos> (pad) are excluded."""
    mask = g.token_mask(x)
    return -(token_log_probs(g, x) * mask).sum() / mask.sum().clamp_min(1.0)


def d_loss(d: SeqGANDiscriminator, real: Tensor, fake: Tensor, l2_head: float = 0.0) -> tuple[Tensor, Tensor, Tensor]:
    """(BCE(D(real), 1) + BCE(D(fake), 0)) / 2 on logits, plus ``l2_head`` times half the squared
    norm of D's output layer (the official code uses 0.2). real, fake: (N, T) token ids.
    Returns ``(loss, real_logits (N,), fake_logits (N,))``."""
    lr, lf = d(real), d(fake)
    loss = 0.5 * (F.binary_cross_entropy_with_logits(lr.float(), torch.ones_like(lr, dtype=torch.float32))
                  + F.binary_cross_entropy_with_logits(lf.float(), torch.zeros_like(lf, dtype=torch.float32)))
    if l2_head:
        loss = loss + l2_head * 0.5 * sum(p.float().pow(2).sum() for p in d.head.parameters())
    return loss, lr, lf


@torch.no_grad()
def mc_rewards(x: Tensor, rollout_net: SeqGANGenerator, d: SeqGANDiscriminator, n_rollouts: int = 16,
               generator: torch.Generator | None = None,
               score: Callable[[Tensor], Tensor] | None = None) -> Tensor:
    """(N, T) float rewards in [0, 1]: column t-1 is the mean over ``n_rollouts`` completions of
    the prefix x[:, :t] of sigmoid(D(completion)); the last column is sigmoid(D(x)). D runs in
    eval mode (no dropout), as in the official code. ``score`` (sequences (M, T) -> (M,) float
    in [0, 1]) replaces sigmoid(D(.)) as the reward of a complete sequence (ORGAN mixes D with a
    chemistry objective there)."""
    if score is None:
        def score(seqs: Tensor) -> Tensor:
            return torch.sigmoid(d(seqs).float())
    if n_rollouts < 1:
        raise GanforgeError(f"n_rollouts must be >= 1, got {n_rollouts}")
    n, t_max = x.shape
    was_training = d.training
    d.eval()
    cols = []
    for t in range(1, t_max):
        # Rows ordered (rollout, sequence): one rollout call serves all n_rollouts at once.
        done = rollout_net.rollout(x[:, :t].repeat(n_rollouts, 1), t_max, generator=generator)
        cols.append(score(done).view(n_rollouts, n).mean(dim=0))
    cols.append(score(x))
    d.train(was_training)
    return torch.stack(cols, dim=1)


def pg_loss(g: SeqGANGenerator, x: Tensor, q: Tensor, baseline: str = "none") -> Tensor:
    """REINFORCE loss of sampled sequences x (N, T) with rewards q (N, T):
    -(1/N) sum_i sum_t A_it log G(x_it | x_i,<t) over tokens up to <eos>, where A = q
    (``baseline="none"``, the paper) or q minus its batch mean at each position (``"mean"``)."""
    if baseline not in BASELINES:
        raise GanforgeError(f"baseline {baseline!r}: use one of {', '.join(BASELINES)}")
    mask = g.token_mask(x)
    adv = q - (q * mask).sum(0, keepdim=True) / mask.sum(0, keepdim=True).clamp_min(1.0) if baseline == "mean" else q
    return -(token_log_probs(g, x) * adv * mask).sum() / x.shape[0]


def make_rollout_net(g: SeqGANGenerator) -> SeqGANGenerator:
    """A frozen copy of ``g`` (eval mode, no gradients) to be the delayed rollout policy."""
    r = copy.deepcopy(g)
    r.requires_grad_(False)
    return r.eval()


@torch.no_grad()
def update_rollout(rollout_net: SeqGANGenerator, g: SeqGANGenerator, rate: float = 0.8) -> Tensor:
    """theta_rollout <- rate * theta_rollout + (1 - rate) * theta_G for every parameter (rate 0.8:
    the rollout policy lags the generator). Returns the largest absolute parameter difference
    left after the update (a () tensor)."""
    if not 0.0 <= rate <= 1.0:
        raise GanforgeError(f"rollout update rate must be in [0, 1], got {rate}")
    gaps = []
    for pr, pg in zip(rollout_net.parameters(), g.parameters()):
        pr.mul_(rate).add_(pg.detach(), alpha=1.0 - rate)
        gaps.append((pr - pg).abs().max())
    return torch.stack(gaps).max()


# --- the family ------------------------------------------------------------------------------

class SeqGANFamily(Family):
    """SeqGAN: MLE pre-training, D pre-training, then REINFORCE with Monte-Carlo rollout rewards."""

    # --precision auto: CPU LSTM/GRU kernels have no bf16 fast path (bf16 only adds casts)
    auto_bf16_devices = ("cuda",)
    auto_fp32_reason = "its LSTMs run no faster in bf16"

    #: the data kinds it trains on, how to get them, and its options (subclasses change these)
    data_kinds: tuple[str, ...] = ("tokens",)
    data_help = "token sequences (text:PATH, seqgan-oracle)"
    options_cls: type = SeqGANOptions
    min_rollouts = 1

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        if info.kind not in self.data_kinds:
            raise GanforgeError(f"family {cfg.family!r} trains on {self.data_help}; "
                                f"dataset {info.name!r} is of kind {info.kind!r}")
        o = self.opts = parse_options(cfg.options, self.options_cls, cfg.family)
        if o.baseline not in BASELINES:
            raise GanforgeError(f"--option baseline={o.baseline!r} (family {cfg.family!r}): accepted values are "
                                f"{', '.join(BASELINES)}")
        if o.n_rollouts < self.min_rollouts:
            raise GanforgeError(f"--option n_rollouts={o.n_rollouts} (family {cfg.family!r}): must be >= "
                                f"{self.min_rollouts}")
        if not 0.0 <= o.rollout_rate <= 1.0:
            raise GanforgeError(f"--option rollout_rate={o.rollout_rate} (family {cfg.family!r}): must be in [0, 1]")
        ex, m = info.extra, cfg.model
        max_len = int(ex.get("max_len", info.shape[0]))
        g_kw: dict[str, Any] = {"vocab_size": int(ex["vocab_size"]), "max_len": max_len,
                                "embed_dim": o.embed_dim, "hidden_dim": int(m.width or o.hidden_dim),
                                "start_token": int(ex.get("start_token") or 0),
                                "eos_token": ex.get("eos_token"), "pad_token": ex.get("pad_token")}
        sizes = [k for k in (2, 3, 4, 5) if k <= max_len] or [1]
        d_kw: dict[str, Any] = {"vocab_size": int(ex["vocab_size"]), "max_len": max_len,
                                "embed_dim": o.d_embed_dim, "filter_sizes": sizes, "num_filters": [32] * len(sizes)}
        G = build_net(m.g_net, **{**g_kw, **m.g_kwargs}).to(device)
        D = build_net(m.d_net, **{**d_kw, **m.d_kwargs}).to(device)
        # set to the pre-trained G when the adversarial stage starts (see g_phase)
        self.nets = {"G": G, "D": D, "rollout": make_rollout_net(G)}
        self.add_optimizer("G_mle", ["G"], cfg.train.lr_g)
        # the policy-gradient stage gets a fresh Adam, as in the official code (moment estimates
        # from MLE gradients would mis-scale the first REINFORCE steps)
        self.add_optimizer("G", ["G"], cfg.train.lr_g)
        self.add_optimizer("D", ["D"], cfg.train.lr_d)
        self.t = 0  # iterations done (the schedule's clock; checkpointed)
        self.stage = "mle"

    @property
    def adversarial_start(self) -> int:
        """The first adversarial iteration."""
        return self.opts.mle_steps + self.opts.d_pretrain_steps

    def stage_at(self, t: int) -> str:
        """``mle``, ``d_pretrain`` or ``adversarial`` for iteration ``t`` (0-based)."""
        return "mle" if t < self.opts.mle_steps else "d_pretrain" if t < self.adversarial_start else "adversarial"

    def phases(self) -> list[Phase]:
        return [Phase("G", self.g_phase, losses=("g_mle_loss", "g_loss")),
                Phase("D", self.d_phase, repeat=self.cfg.train.d_steps, losses=("d_loss",))]

    def g_phase(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        t = self.t
        self.stage = self.stage_at(t)
        self.t += 1
        if self.stage == "mle":
            return self.mle_step(batch)
        if self.stage == "adversarial":
            if t == self.adversarial_start:
                self.nets["rollout"].load_state_dict(self.nets["G"].state_dict())
            return self.pg_step(batch)
        return {}

    def d_phase(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        if self.stage == "mle":
            return {}
        return self.d_step(batch)

    def mle_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        """One teacher-forced cross-entropy step of G on the real tokens ``batch["x"]`` (N, T)."""
        G = self.nets["G"].train()
        with self.autocast():
            loss = mle_loss(G, batch["x"])
        norm = self.update("G_mle", loss, grad_norm=True, clip=self.opts.grad_clip)
        return {"g_mle_loss": loss.detach(), "g_grad_norm": norm}

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        """One D step: the real batch against as many fresh samples of G."""
        G, D = self.nets["G"], self.nets["D"]
        real = batch["x"]
        with self.autocast():
            fake = G.sample(real.shape[0]).to(real.device)
            D.train()
            loss, lr, lf = d_loss(D, real, fake)
        self.update("D", loss)
        acc = 0.5 * ((lr.detach() > 0).float().mean() + (lf.detach() < 0).float().mean())
        return {"d_loss": loss.detach(), "d_acc": acc}

    def pg_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        """The adversarial G step on ``len(batch["x"])`` fresh samples, then the rollout update."""
        G, D, rollout = self.nets["G"], self.nets["D"], self.nets["rollout"]
        o = self.opts
        with self.autocast():
            x = G.sample(batch["x"].shape[0]).to(batch["x"].device)
            q = mc_rewards(x, rollout, D, o.n_rollouts)
            G.train()
            loss = pg_loss(G, x, q, o.baseline)
        norm = self.update("G", loss, grad_norm=True, clip=o.grad_clip)
        gap = update_rollout(rollout, G, o.rollout_rate)
        mask = G.token_mask(x)
        return {"g_loss": loss.detach(), "reward": (q * mask).sum() / mask.sum(), "d_fake": q[:, -1].mean(),
                "g_grad_norm": norm, "rollout_gap": gap}

    def sample(self, n: int, generator: torch.Generator | None = None, net: torch.nn.Module | None = None,
               labels: Tensor | None = None) -> Tensor:
        G = net if net is not None else self.nets["G"]
        return G(G.sample_latent(n, generator=generator, device=self.device))

    def extra_state(self) -> dict[str, Any]:
        return {"t": self.t}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.t = int(state.get("t", 0))

    def export_meta(self) -> dict[str, Any]:
        # the vocabulary (text) or the oracle's spec travel with the generator for `ganforge sample`
        extra = {k: self.info.extra[k] for k in ("vocab", "oracle", "tokens", "max_len") if k in self.info.extra}
        return {**super().export_meta(), "data_extra": extra}


register_family(
    "seqgan", SeqGANFamily,
    {"model": {"g_net": "seqgan_g", "d_net": "seqgan_d"},
     "train": {"d_steps": 15, "optimizer": "adam", "lr_g": 0.01, "lr_d": 1e-4, "betas": (0.9, 0.999)},
     "options": asdict(SeqGANOptions())},
    help="SeqGAN (Yu et al. 2017): LSTM G pre-trained by MLE, CNN D, then REINFORCE with rollout rewards; "
         "--data text:PATH or seqgan-oracle",
    smoke={"data.name": "seqgan-oracle", "data.resolution": None, "data.limit": 32, "data.batch_size": 8,
           "data.options": {"vocab_size": 30, "max_len": 6, "num_samples": 32},
           "options": {"mle_steps": 1, "d_pretrain_steps": 1, "n_rollouts": 2}, "model.width": 8,
           "train.d_steps": 2})
