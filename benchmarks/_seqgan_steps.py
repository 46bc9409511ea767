"""SeqGAN steps with plain optimizers, for the research loops of seqgan_oracle.py and
seqgan_text.py (epochs of MLE, a constant-reward ablation, an MLE control, one seeded
``generator`` for every draw so the published runs in docs/text.md replay).

The objectives are the seqgan family's own (:mod:`ganforge.families.seqgan`: ``mle_loss``,
``d_loss``, ``mc_rewards``, ``pg_loss``); only the update differs: zero_grad, backward,
gradient-norm clip, step, in one process and fp32. Training runs (``ganforge train seqgan``)
go through the family, which updates through ``Family.update``.
"""
from __future__ import annotations

import torch

from ganforge.families.seqgan import d_loss, mc_rewards, mle_loss, pg_loss


def _apply(loss: torch.Tensor, params, opt: torch.optim.Optimizer, grad_clip: float | None) -> float:
    """One optimizer step on ``loss``; returns the gradient norm before clipping."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, grad_clip if grad_clip else float("inf"))
    opt.step()
    return float(norm)


def mle_step(g, g_opt: torch.optim.Optimizer, batch: dict[str, torch.Tensor], *,
             grad_clip: float | None = 5.0) -> dict[str, float]:
    """Teacher-forced cross-entropy step on ``batch["x"]`` (N, T). Returns ``g_mle`` (nats per
    token, before the update) and ``g_grad_norm``."""
    g.train()
    loss = mle_loss(g, batch["x"])
    return {"g_mle": float(loss.detach()), "g_grad_norm": _apply(loss, g.parameters(), g_opt, grad_clip)}


def d_step(d, d_opt: torch.optim.Optimizer, g, batch: dict[str, torch.Tensor], *, l2_head: float = 0.0,
           generator: torch.Generator | None = None) -> dict[str, float]:
    """``batch["x"]`` is real, as many samples of ``g`` fake. Returns ``d_loss``, ``d_real_acc``,
    ``d_fake_acc`` (fractions classified right)."""
    real = batch["x"]
    fake = g.sample(real.shape[0], generator=generator).to(real.device)
    d.train()
    loss, lr, lf = d_loss(d, real, fake, l2_head)
    _apply(loss, d.parameters(), d_opt, None)
    return {"d_loss": float(loss.detach()), "d_real_acc": float((lr > 0).float().mean()),
            "d_fake_acc": float((lf < 0).float().mean())}


def pg_step(g, g_opt: torch.optim.Optimizer, rollout_net, d, batch: dict[str, torch.Tensor], *,
            n_rollouts: int = 16, baseline: str = "none", grad_clip: float | None = 5.0,
            generator: torch.Generator | None = None) -> dict[str, float]:
    """REINFORCE step on ``len(batch["x"])`` fresh samples with Monte-Carlo rollout rewards.
    Returns ``g_pg_loss``, ``reward`` (mean Q), ``d_fake_prob`` (mean D probability of the
    complete samples), ``g_grad_norm``."""
    n = batch["x"].shape[0]
    x = g.sample(n, generator=generator).to(batch["x"].device)
    q = mc_rewards(x, rollout_net, d, n_rollouts, generator)
    mask = g.token_mask(x)
    g.train()
    loss = pg_loss(g, x, q, baseline)
    norm = _apply(loss, g.parameters(), g_opt, grad_clip)
    return {"g_pg_loss": float(loss.detach()), "reward": float((q * mask).sum() / mask.sum()),
            "d_fake_prob": float(q[:, -1].mean()), "g_grad_norm": norm}
