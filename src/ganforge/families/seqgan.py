"""The ``seqgan`` family (Yu et al. 2017): an LSTM language model trained first by maximum
likelihood, then as a policy with REINFORCE against a CNN discriminator, with rewards from
Monte-Carlo rollouts of a delayed copy of the generator.

The schedule is a function of the iteration count ``t`` (kept in the checkpoint, so a resumed
run continues exactly):

- ``t < mle_steps``: one MLE (teacher-forced cross-entropy) step of G per iteration;
- ``t < mle_steps + d_pretrain_steps``: one D step per iteration (pre-training on real text
  against samples of the pre-trained G);
- after that, adversarial iterations: one policy-gradient step of G with rewards from
  ``n_rollouts`` rollouts per prefix, the rollout net moved towards G (rate ``rollout_rate``),
  then ``--d-steps`` D steps.

Family options (``--option NAME=VALUE``): mle_steps (default 4700), d_pretrain_steps (40, of
``--d-steps`` (15) D steps each),
n_rollouts (16), rollout_rate (0.8), baseline (none | mean), grad_clip (5.0), embed_dim (32),
hidden_dim (32; ``--width`` sets it too), d_embed_dim (64). ``train.steps`` counts all
iterations. The policy-gradient phase gets a fresh Adam, as in the official code.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..errors import GanforgeError
from ..nets import build_net
from . import _seqgan_steps as steps
from .base import Family, Phase, register_family

OPTIONS = {"mle_steps": 4700, "d_pretrain_steps": 40, "n_rollouts": 16, "rollout_rate": 0.8, "baseline": "none",
           "grad_clip": 5.0, "embed_dim": 32, "hidden_dim": 32, "d_embed_dim": 64}


class SeqGANFamily(Family):
    """SeqGAN: MLE pre-training, D pre-training, then REINFORCE with Monte-Carlo rollout rewards."""

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        if info.kind != "tokens":
            raise GanforgeError(f"family {cfg.family!r} trains on token sequences (text:PATH, seqgan-oracle); "
                                f"dataset {info.name!r} is of kind {info.kind!r}")
        if dist.world_size > 1:
            raise GanforgeError("family 'seqgan' runs in one process (its steps update the nets themselves)")
        unknown = sorted(set(cfg.options) - set(OPTIONS))
        if unknown:
            raise GanforgeError(f"seqgan options {unknown} are unknown; accepted: {', '.join(OPTIONS)}")
        o = self.opts = {**OPTIONS, **cfg.options}
        ex, m = info.extra, cfg.model
        max_len = int(ex.get("max_len", info.shape[0]))
        g_kw: dict[str, Any] = {"vocab_size": int(ex["vocab_size"]), "max_len": max_len,
                                "embed_dim": int(o["embed_dim"]), "hidden_dim": int(m.width or o["hidden_dim"]),
                                "start_token": int(ex.get("start_token") or 0),
                                "eos_token": ex.get("eos_token"), "pad_token": ex.get("pad_token")}
        sizes = [k for k in (2, 3, 4, 5) if k <= max_len] or [1]
        d_kw: dict[str, Any] = {"vocab_size": int(ex["vocab_size"]), "max_len": max_len,
                                "embed_dim": int(o["d_embed_dim"]), "filter_sizes": sizes,
                                "num_filters": [32] * len(sizes)}
        G = build_net(m.g_net, **{**g_kw, **m.g_kwargs}).to(device)
        D = build_net(m.d_net, **{**d_kw, **m.d_kwargs}).to(device)
        self.nets = {"G": G, "D": D, "rollout": steps.make_rollout_net(G)}
        self.add_optimizer("G_mle", ["G"], cfg.train.lr_g)
        self.add_optimizer("G", ["G"], cfg.train.lr_g)
        self.add_optimizer("D", ["D"], cfg.train.lr_d)
        self.t = 0  # iterations done (the schedule's clock; checkpointed)
        self.stage = "mle"

    def stage_at(self, t: int) -> str:
        """``mle``, ``d_pretrain`` or ``adversarial`` for iteration ``t`` (0-based)."""
        mle, dpre = int(self.opts["mle_steps"]), int(self.opts["d_pretrain_steps"])
        return "mle" if t < mle else "d_pretrain" if t < mle + dpre else "adversarial"

    def phases(self) -> list[Phase]:
        return [Phase("G", self.g_phase), Phase("D", self.d_phase, repeat=self.cfg.train.d_steps)]

    def g_phase(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        self.stage = self.stage_at(self.t)
        self.t += 1
        G = self.nets["G"]
        if self.stage == "mle":
            out = steps.mle_step(G, self.optimizers["G_mle"], batch, grad_clip=self.opts["grad_clip"])
            return {"g_mle_loss": out["g_mle"], "g_grad_norm": out["g_grad_norm"]}
        if self.stage == "adversarial":
            out = steps.pg_step(G, self.optimizers["G"], self.nets["rollout"], self.nets["D"], batch,
                                n_rollouts=int(self.opts["n_rollouts"]), baseline=self.opts["baseline"],
                                grad_clip=self.opts["grad_clip"])
            gap = steps.update_rollout(self.nets["rollout"], G, float(self.opts["rollout_rate"]))
            return {"g_loss": out["g_pg_loss"], "reward": out["reward"], "d_fake": out["d_fake_prob"],
                    "g_grad_norm": out["g_grad_norm"], **gap}
        return {}

    def d_phase(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        if self.stage == "mle":
            return {}
        out = steps.d_step(self.nets["D"], self.optimizers["D"], self.nets["G"], batch)
        return {"d_loss": out["d_loss"], "d_acc": 0.5 * (out["d_real_acc"] + out["d_fake_acc"])}

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
     "options": dict(OPTIONS)},
    help="SeqGAN (Yu et al. 2017): LSTM G pre-trained by MLE, CNN D, then REINFORCE with rollout rewards; "
         "--data text:PATH or seqgan-oracle",
    smoke={"data.name": "seqgan-oracle", "data.resolution": None, "data.limit": 32, "data.batch_size": 8,
           "data.options": {"vocab_size": 30, "max_len": 6, "num_samples": 32},
           "options": {"mle_steps": 1, "d_pretrain_steps": 1, "n_rollouts": 2}, "model.width": 8,
           "train.d_steps": 2})
