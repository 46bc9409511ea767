"""SeqGAN training steps (Yu et al. 2017), as pure functions for the family's phases.

Each step takes the nets, an optimizer, a batch dict (``batch["x"]``: (N, T) int64 real token
ids) and keyword options, updates the nets in place and returns a dict of floats to log.

- :func:`mle_step`: maximum-likelihood (teacher-forced cross-entropy) step of the generator.
- :func:`d_step`: discriminator step, real batch against as many fresh generator samples,
  binary cross-entropy on raw logits.
- :func:`pg_step`: the adversarial generator step. The generator is a policy; the reward
  of token t of a sampled sequence is Q(s_{t-1}, y_t): the mean, over ``n_rollouts`` Monte-Carlo
  completions of the prefix y_1..y_t by the *rollout* network, of D's probability that the
  completed sequence is real (for the last token: D's probability of the sequence itself), as
  in the paper's eq. 4. REINFORCE then minimises -sum_t Q_t log G(y_t | y_<t) (eq. 8 - 9).
- :func:`update_rollout`: the rollout network is a delayed copy of the generator,
  theta_rollout <- rate * theta_rollout + (1 - rate) * theta_G with rate 0.8 (official code).

Defaults follow the official code (LantaoYu/SeqGAN): gradient-norm clip 5.0 for the generator,
16 rollouts, no reward baseline. Optimizers (official: Adam, lr 0.01 for G, 1e-4 for D) belong to
the caller.
"""
from __future__ import annotations

import copy

import torch
from torch.nn import functional as F

from ..errors import GanforgeError
from ..nets.seqgan import SeqGANDiscriminator, SeqGANGenerator

BASELINES = ("none", "mean")


def _apply(loss: torch.Tensor, params, opt: torch.optim.Optimizer, grad_clip: float | None) -> float:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, grad_clip if grad_clip else float("inf"))
    opt.step()
    return float(norm)


def mle_step(g: SeqGANGenerator, g_opt: torch.optim.Optimizer, batch: dict[str, torch.Tensor], *,
             grad_clip: float | None = 5.0) -> dict[str, float]:
    """Teacher-forced cross-entropy of the real tokens (pad positions after <eos> excluded).
    Returns ``g_mle`` (nats per token, before the update) and ``g_grad_norm``."""
    x = batch["x"]
    g.train()
    mask = g.token_mask(x)
    loss = -(g.log_probs(x) * mask).sum() / mask.sum().clamp_min(1.0)
    norm = _apply(loss, g.parameters(), g_opt, grad_clip)
    return {"g_mle": float(loss.detach()), "g_grad_norm": norm}


def d_step(d: SeqGANDiscriminator, d_opt: torch.optim.Optimizer, g: SeqGANGenerator,
           batch: dict[str, torch.Tensor], *, l2_head: float = 0.0,
           generator: torch.Generator | None = None) -> dict[str, float]:
    """One discriminator step: ``batch["x"]`` is real, as many sequences sampled from ``g`` are
    fake; loss = (BCE(D(real), 1) + BCE(D(fake), 0)) / 2 on logits, plus ``l2_head`` times
    half the squared norm of D's output layer (the official code uses 0.2).
    Returns ``d_loss``, ``d_real_acc``, ``d_fake_acc`` (fraction classified right)."""
    real = batch["x"]
    fake = g.sample(real.shape[0], generator=generator).to(real.device)
    d.train()
    lr, lf = d(real), d(fake)
    loss = 0.5 * (F.binary_cross_entropy_with_logits(lr, torch.ones_like(lr))
                  + F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)))
    if l2_head:
        loss = loss + l2_head * 0.5 * sum(p.pow(2).sum() for p in d.head.parameters())
    _apply(loss, d.parameters(), d_opt, None)
    return {"d_loss": float(loss.detach()), "d_real_acc": float((lr > 0).float().mean()),
            "d_fake_acc": float((lf < 0).float().mean())}


@torch.no_grad()
def mc_rewards(x: torch.Tensor, rollout_net: SeqGANGenerator, d: SeqGANDiscriminator, n_rollouts: int = 16,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """(N, T) rewards in [0, 1]: column t-1 is the mean over ``n_rollouts`` completions of the
    prefix x[:, :t] of sigmoid(D(completion)); the last column is sigmoid(D(x)). D runs in eval
    mode (no dropout), as in the official code."""
    if n_rollouts < 1:
        raise GanforgeError(f"n_rollouts must be >= 1, got {n_rollouts}")
    n, t_max = x.shape
    was_training = d.training
    d.eval()
    cols = []
    for t in range(1, t_max):
        # Rows ordered (rollout, sequence): one rollout call serves all n_rollouts at once.
        done = rollout_net.rollout(x[:, :t].repeat(n_rollouts, 1), t_max, generator=generator)
        cols.append(torch.sigmoid(d(done)).view(n_rollouts, n).mean(dim=0))
    cols.append(torch.sigmoid(d(x)))
    d.train(was_training)
    return torch.stack(cols, dim=1)


def pg_step(g: SeqGANGenerator, g_opt: torch.optim.Optimizer, rollout_net: SeqGANGenerator,
            d: SeqGANDiscriminator, batch: dict[str, torch.Tensor], *, n_rollouts: int = 16,
            baseline: str = "none", grad_clip: float | None = 5.0,
            generator: torch.Generator | None = None) -> dict[str, float]:
    """Adversarial (policy-gradient) generator step on ``len(batch["x"])`` fresh samples.

    loss = -(1/N) sum_i sum_t A_it log G(y_it | y_i,<t), over tokens up to <eos>, where A = Q
    (``baseline="none"``, the paper) or Q minus its batch mean at each position (``"mean"``, a
    variance-reduced variant). Returns ``g_pg_loss``, ``reward`` (mean Q), ``d_fake_prob`` (mean
    D probability of the complete samples), ``g_grad_norm``.
    """
    if baseline not in BASELINES:
        raise GanforgeError(f"baseline {baseline!r}: use one of {', '.join(BASELINES)}")
    n = batch["x"].shape[0]
    x = g.sample(n, generator=generator).to(batch["x"].device)
    q = mc_rewards(x, rollout_net, d, n_rollouts, generator)
    mask = g.token_mask(x)
    adv = q - (q * mask).sum(0, keepdim=True) / mask.sum(0, keepdim=True).clamp_min(1.0) if baseline == "mean" else q
    g.train()
    loss = -(g.log_probs(x) * adv * mask).sum() / n
    norm = _apply(loss, g.parameters(), g_opt, grad_clip)
    return {"g_pg_loss": float(loss.detach()), "reward": float((q * mask).sum() / mask.sum()),
            "d_fake_prob": float(q[:, -1].mean()), "g_grad_norm": norm}


def make_rollout_net(g: SeqGANGenerator) -> SeqGANGenerator:
    """A frozen copy of ``g`` to be the delayed rollout policy."""
    r = copy.deepcopy(g)
    r.requires_grad_(False)
    return r.eval()


@torch.no_grad()
def update_rollout(rollout_net: SeqGANGenerator, g: SeqGANGenerator, rate: float = 0.8) -> dict[str, float]:
    """theta_rollout <- rate * theta_rollout + (1 - rate) * theta_G for every parameter (rate 0.8:
    the rollout policy lags the generator). Returns ``rollout_gap``: the largest absolute
    parameter difference left after the update."""
    if not 0.0 <= rate <= 1.0:
        raise GanforgeError(f"rollout update rate must be in [0, 1], got {rate}")
    gap = 0.0
    for pr, pg in zip(rollout_net.parameters(), g.parameters()):
        pr.mul_(rate).add_(pg.detach(), alpha=1.0 - rate)
        gap = max(gap, float((pr - pg).abs().max()))
    return {"rollout_gap": gap}
