"""Training steps of the tabular GAN: small pure functions of nets, optimizers and a batch.

Loss: WGAN-GP (Gulrajani et al. 2017) on packed rows, as in CTGAN. The critic minimises
``E[D(fake)] - E[D(real)] + lambda * E[(||grad D(x_hat)|| - 1)^2]``; the generator minimises
``-E[D(fake)] + cond_loss``, where the conditional loss is the cross-entropy between the
requested category and the generated logits of the chosen discrete column (Xu et al. 2019,
sec. 4.3).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ..nets.tabular import TabularDiscriminator, TabularGenerator, apply_activations


def gradient_penalty(D: TabularDiscriminator, real: torch.Tensor, fake: torch.Tensor,
                     c_real: torch.Tensor | None, c_fake: torch.Tensor | None,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP penalty ``E[(||grad D(x_hat)||_2 - 1)^2]`` on the critic's packed input.

    One interpolation weight per pack, and the norm is taken over the whole packed vector,
    because that vector is the critic's real input. real / fake: (N, data_dim).
    """
    pr, pf = D.join(real, c_real), D.join(fake, c_fake)
    eps = torch.rand(pr.shape[0], 1, generator=generator, device=pr.device if generator is None else generator.device)
    x_hat = (eps.to(pr.device) * pr + (1 - eps.to(pr.device)) * pf).requires_grad_(True)
    out = D.score_packed(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.norm(2, dim=1) - 1.0) ** 2).mean()


def cond_loss(raw: torch.Tensor, discrete: Sequence[dict], cond: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the generated logits of the conditioned column against the requested category.

    raw: (N, D) pre-activation rows; discrete: per discrete column ``offset`` and ``size`` in the
    row; cond: (N, cond_dim) one-hot condition; mask: (N, n_discrete) which column was chosen.
    Summed over columns (only the chosen one is non-zero) and averaged over rows.
    """
    losses, c_off = [], 0
    for d in discrete:
        logits = raw[:, d["offset"]: d["offset"] + d["size"]]
        target = cond[:, c_off: c_off + d["size"]].argmax(dim=1)
        losses.append(F.cross_entropy(logits, target, reduction="none"))
        c_off += d["size"]
    return (torch.stack(losses, dim=1) * mask).sum() / raw.shape[0]


def d_step(G: TabularGenerator, D: TabularDiscriminator, opt_d: torch.optim.Optimizer,
           batch: dict[str, torch.Tensor | None], gp_lambda: float = 10.0,
           generator: torch.Generator | None = None) -> dict[str, float]:
    """One critic update.

    batch: ``real`` (N, D) encoded real rows, ``c_real`` their cond vectors (or None),
    ``z`` (N, z_dim), ``c_fake`` (N, cond_dim) or None. Returns loss_d, gp, wdist (E D(real) - E D(fake)).
    """
    with torch.no_grad():
        fake = G(batch["z"], batch["c_fake"], generator=generator)
    real_score = D(batch["real"], batch["c_real"]).mean()
    fake_score = D(fake, batch["c_fake"]).mean()
    gp = gradient_penalty(D, batch["real"], fake, batch["c_real"], batch["c_fake"], generator)
    loss = fake_score - real_score + gp_lambda * gp
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    return {"loss_d": loss.item(), "gp": gp.item(), "wdist": (real_score - fake_score).item()}


def g_step(G: TabularGenerator, D: TabularDiscriminator, opt_g: torch.optim.Optimizer,
           batch: dict[str, torch.Tensor | None], discrete: Sequence[dict],
           generator: torch.Generator | None = None) -> dict[str, float]:
    """One generator update. batch: ``z`` (N, z_dim), ``c_fake`` (N, cond_dim) or None, ``mask``
    (N, n_discrete) or None. Returns loss_g (adversarial + conditional) and cond."""
    raw = G.raw(batch["z"], batch["c_fake"])
    fake = apply_activations(raw, G.spans, G.tau, generator)
    adv = -D(fake, batch["c_fake"]).mean()
    cl = cond_loss(raw, discrete, batch["c_fake"], batch["mask"]) if batch["c_fake"] is not None else raw.new_zeros(())
    loss = adv + cl
    opt_g.zero_grad(set_to_none=True)
    loss.backward()
    opt_g.step()
    return {"loss_g": loss.item(), "cond": cl.item()}
