"""The ``organ`` family (Guimaraes et al. 2017, "Objective-Reinforced GANs"): SeqGAN over SMILES
tokens whose reward mixes the discriminator with a chemistry objective.

It is :class:`~ganforge.families.seqgan.SeqGANFamily` (the same schedule: ``mle_steps`` of
teacher-forced MLE pre-training of the LSTM generator, ``d_pretrain_steps`` of CNN-discriminator
pre-training, then REINFORCE; the same nets ``seqgan_g`` / ``seqgan_d`` and losses) on data of
kind ``smiles`` (``--data moses``, ``--data smiles:PATH``), with ORGAN's reward

    R(Y) = (1 - lambda) * sigmoid(D(Y)) + lambda * O(Y)

where O is ``--option reward=validity|qed|logp|sa`` (each scaled to [0, 1] as ORGAN does; an
invalid SMILES scores 0) or a user's function ``module:function`` of one SMILES, and lambda is
``--option reward_weight`` (ORGAN's lambda; 0 gives SeqGAN, 1 pure objective optimisation).

Rewards per token: with ``n_rollouts`` > 0, SeqGAN's Monte-Carlo rollouts (the mean of R over
completions of each prefix by the delayed rollout net); with ``n_rollouts=0`` (the default here,
as rollouts multiply the cost by about n_rollouts x length / 2 on a CPU) every token gets the
reward of its whole sequence, with a per-position batch-mean baseline (``baseline=mean``).

An MLE-only run (``--option mle_steps=N --steps N``) is the CharRNN baseline of MOSES with this
generator. ``ganforge sample RUN --n 10000 --out mols.smi`` writes SMILES; ``ganforge eval RUN``
reports the MOSES metrics (:mod:`ganforge.metrics.molecules`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

import torch
from torch import Tensor

from ..data.vocab import vocab_from_info
from ..errors import GanforgeError
from .base import register_family
from .seqgan import SeqGANFamily, SeqGANOptions, mc_rewards, pg_loss, update_rollout


@dataclass(frozen=True)
class OrganOptions(SeqGANOptions):
    """SeqGAN's options (defaults sized for SMILES on a CPU: mle_steps 2000, d_pretrain_steps
    20, n_rollouts 0 = whole-sequence rewards, baseline mean, embed_dim 32, hidden_dim 256,
    d_embed_dim 32) plus reward: none | validity | qed | logp | sa | module:function [none];
    reward_weight: lambda, the objective's share of the reward [0.5 with a reward]; init: a run
    folder (or its generator/ folder) whose generator starts G, e.g. an MLE-only run, with
    ``mle_steps=0`` to go straight to D pre-training and the adversarial stage [none]."""

    mle_steps: int = 2000
    d_pretrain_steps: int = 20
    n_rollouts: int = 0
    baseline: str = "mean"
    embed_dim: int = 32
    hidden_dim: int = 256
    d_embed_dim: int = 32
    reward: str = "none"
    reward_weight: float = 0.5
    init: str = ""


class OrganFamily(SeqGANFamily):
    """ORGAN: SeqGAN on SMILES with a reward mixing D and a chemistry objective."""

    data_kinds = ("smiles",)
    data_help = "SMILES (--data moses or smiles:PATH)"
    options_cls = OrganOptions
    min_rollouts = 0  # 0: whole-sequence rewards

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        o = self.opts
        if not 0.0 <= o.reward_weight <= 1.0:
            raise GanforgeError(f"--option reward_weight={o.reward_weight} (family {cfg.family!r}): must be in [0, 1]")
        self.vocab = vocab_from_info(info)
        if self.vocab is None:
            raise GanforgeError(f"family {cfg.family!r}: dataset {info.name!r} carries no SMILES vocabulary")
        # imported here: the metrics package is not loaded at start-up (`ganforge list`)
        from ..metrics.molecules import load_objective

        self.objective: Callable[[list[str]], list[float]] | None = \
            None if o.reward == "none" else load_objective(o.reward)
        self._cache: dict[str, float] = {}
        if o.init:
            self.init_generator(o.init)

    def init_generator(self, where: str) -> None:
        """Copy the weights of a saved generator (``RUN`` or ``RUN/generator``) into G and the
        rollout net; its vocabulary must be this dataset's."""
        from pathlib import Path

        from ..nets import load_model

        p = Path(where)
        p = p / "generator" if (p / "generator" / "config.json").is_file() else p
        if not (p / "config.json").is_file():
            raise GanforgeError(f"--option init={where}: no saved generator there (expected RUN/generator/config.json)")
        saved = load_model(p)
        vocab = ((getattr(saved, "meta", {}) or {}).get("data_extra") or {}).get("vocab")
        if vocab is not None and vocab != self.info.extra.get("vocab"):
            raise GanforgeError(f"--option init={where}: that generator was trained with another SMILES vocabulary; "
                                f"use the same --data, --limit and data options")
        try:
            self.nets["G"].load_state_dict(saved.state_dict())
        except RuntimeError as e:
            raise GanforgeError(f"--option init={where}: its generator does not fit this one (sizes differ: set the "
                                f"same --width / hidden_dim / embed_dim): {str(e).splitlines()[0]}") from None
        self.nets["rollout"].load_state_dict(saved.state_dict())

    def decode(self, x: Tensor) -> list[str]:
        """(N, T) token ids -> N SMILES strings."""
        return self.vocab.decode_batch(x.cpu())

    def objective_scores(self, x: Tensor) -> Tensor:
        """(N,) float: the chemistry objective O of each sequence (cached by SMILES)."""
        smiles = self.decode(x)
        todo = sorted({s for s in smiles if s not in self._cache})
        if todo:
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache.update(zip(todo, self.objective(todo)))
        return torch.tensor([self._cache[s] for s in smiles], dtype=torch.float32, device=x.device)

    def reward(self, x: Tensor) -> Tensor:
        """ORGAN's R(Y) of complete sequences x (N, T) -> (N,) in [0, 1]; D in eval mode."""
        D = self.nets["D"]
        was = D.training
        D.eval()
        with torch.no_grad():
            r = torch.sigmoid(D(x).float())
        D.train(was)
        if self.objective is None:
            return r
        lam = self.opts.reward_weight
        return (1.0 - lam) * r + lam * self.objective_scores(x)

    def pg_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        """The adversarial G step on fresh samples with ORGAN's reward, then the rollout update."""
        G, D, rollout = self.nets["G"], self.nets["D"], self.nets["rollout"]
        o = self.opts
        with self.autocast():
            x = G.sample(batch["x"].shape[0]).to(batch["x"].device)
            if o.n_rollouts > 0:
                q = mc_rewards(x, rollout, D, o.n_rollouts, score=self.reward)
            else:
                q = self.reward(x).unsqueeze(1).expand(-1, x.shape[1]).contiguous()
            G.train()
            loss = pg_loss(G, x, q, o.baseline)
        norm = self.update("G", loss, grad_norm=True, clip=o.grad_clip)
        gap = update_rollout(rollout, G, o.rollout_rate)
        mask = G.token_mask(x)
        stats = {"g_loss": loss.detach(), "reward": (q * mask).sum() / mask.sum(), "d_fake": q[:, -1].mean(),
                 "g_grad_norm": norm, "rollout_gap": gap}
        if self.objective is not None:
            stats["objective"] = self.objective_scores(x).mean()
        return stats

    def export_meta(self) -> dict[str, Any]:
        # the data options travel too: `ganforge eval` rebuilds a smiles:PATH run's held-out split
        meta = super().export_meta()
        meta["data_extra"] = {**meta.get("data_extra", {}), "data_options": dict(self.cfg.data.options)}
        return meta


register_family(
    "organ", OrganFamily,
    {"model": {"g_net": "seqgan_g", "d_net": "seqgan_d"},
     "train": {"d_steps": 3, "optimizer": "adam", "lr_g": 1e-3, "lr_d": 1e-4, "betas": (0.9, 0.999)},
     "options": asdict(OrganOptions())},
    help="ORGAN (Guimaraes et al. 2017): SeqGAN on SMILES, reward mixing D with validity/QED/logP/SA; "
         "--data moses or smiles:PATH",
    smoke={"data.name": "moses", "data.resolution": None, "data.limit": 32, "data.batch_size": 8,
           "data.options": {"max_len": 56},
           "options": {"mle_steps": 1, "d_pretrain_steps": 1, "reward": "qed", "embed_dim": 8}, "model.width": 8,
           "train.d_steps": 2})
