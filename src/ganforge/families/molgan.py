"""The ``molgan`` family (De Cao and Kipf 2018, "MolGAN: An implicit generative model for small
molecular graphs"): a generator of whole molecule graphs, a relational discriminator, WGAN-GP,
and an optional reward network.

Data of kind ``molgraph`` (``--data moses-graphs``, ``--data molgraphs:PATH``;
:mod:`ganforge.data.molgraphs`): atom types and bond types of at most ``max_atoms`` atoms,
one-hot. The generator (``molgan_g``) maps z to symmetric bond-type and atom-type scores and
hands the critic their continuous relaxation (``--option sampling=softmax|soft_gumbel|
hard_gumbel``, ``tau``); the critic (``molgan_d``) is an R-GCN over the bond types with a gated
graph sum. The critic is trained with WGAN-GP (Gulrajani et al. 2017; ``--d-steps`` 5 critic
steps per G step, gradient penalty 10 on points between real one-hot graphs and the
generator's relaxations, as in the paper).

With ``--option reward=validity|qed|logp|sa|module:function`` (ORGAN's objectives,
:func:`ganforge.metrics.molecules.load_objective`, each in [0, 1], 0 for an invalid graph) a
reward network R (another ``molgan_d``, its logit through a sigmoid) learns to predict the
objective of generated and real graphs (mean squared error, on the discrete graphs decoded by
RDKit), and the generator loss becomes

    L(G) = (1 - w) * L_WGAN + w * alpha * L_RL,    L_RL = -mean R(G(z))

with ``w = --option reward_weight`` (the paper's 1 - lambda: 0 is a plain WGAN, 1 pure reward
optimisation) and alpha = |L_WGAN| / |L_RL| (gradient stopped), which puts the two terms on the
same scale as the authors' code does (``rescale_rl=false`` for alpha = 1). The RL term joins
after ``reward_start`` generator steps (the paper pre-trains with the WGAN term alone).

Samples are discrete graphs (the generator in eval mode takes the argmax): ``ganforge sample RUN
--n 1000 --out mols.smi`` writes their canonical SMILES (``invalid`` for a graph RDKit does not
sanitise or that falls into fragments, as MolGAN counts validity), ``ganforge eval RUN`` gives
the MOSES metrics (:mod:`ganforge.metrics.molgraphs`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

import torch
from torch import Tensor

from ..errors import GanforgeError
from ..nets import build_net
from .adversarial import AdversarialFamily
from .base import Phase, frozen, register_family


@dataclass(frozen=True)
class MolGANOptions:
    """sampling: softmax | soft_gumbel | hard_gumbel, the relaxation D sees [softmax]; tau: its
    temperature [1.0]; reward: none | validity | qed | logp | sa | module:function [none];
    reward_weight: w, the RL term's share of the G loss [0.5]; reward_start: G steps before the
    RL term joins [0]; rescale_rl: scale L_RL to |L_WGAN| [true]."""

    sampling: str = "softmax"
    tau: float = 1.0
    reward: str = "none"
    reward_weight: float = 0.5
    reward_start: int = 0
    rescale_rl: bool = True


class MolGANFamily(AdversarialFamily):
    """MolGAN: graph generator, R-GCN critic with WGAN-GP, optional reward network."""

    options_cls = MolGANOptions
    export_names = {"D": "discriminator", "R": "reward"}

    def __init__(self, cfg, info, device, dist) -> None:
        if info.kind != "molgraph":
            raise GanforgeError(f"family {cfg.family!r} trains on molecule graphs (--data moses-graphs or "
                                f"molgraphs:PATH), not on {info.name!r} of kind {info.kind!r}")
        super().__init__(cfg, info, device, dist)
        o = self.opts
        if not 0.0 <= o.reward_weight <= 1.0:
            raise GanforgeError(f"--option reward_weight={o.reward_weight} (family {cfg.family!r}): must be in [0, 1]")
        if o.tau <= 0:
            raise GanforgeError(f"--option tau={o.tau} (family {cfg.family!r}): must be > 0")
        if o.reward_start < 0:
            raise GanforgeError(f"--option reward_start={o.reward_start} (family {cfg.family!r}): must be >= 0")
        self.objective: Callable[[list[str]], list[float]] | None = None
        if o.reward != "none":
            # imported here: the metrics package is not loaded at start-up (`ganforge list`)
            from ..metrics.molecules import load_objective

            self.objective = load_objective(o.reward)
            self.nets["R"] = build_net(cfg.model.d_net, **self._d_kwargs()).to(device)
            self.add_optimizer("R", ["R"], cfg.train.lr_d)
        self._cache: dict[str, float] = {}
        self.g_steps = 0

    # --- nets -------------------------------------------------------------------------------
    def _sizes(self) -> dict[str, int]:
        from ..data.molgraphs import graph_vocab

        atoms, bonds, m = graph_vocab(self.info.extra)
        return {"max_atoms": m, "atom_types": len(atoms), "bond_types": len(bonds)}

    def _d_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = dict(self._sizes())
        w = self.cfg.model.width
        if w is not None:  # the paper's sizes at width 128: R-GCN 64, 32; aggregation 128; MLP 128, 64
            kw.update(gcn=[max(1, w // 2), max(1, w // 4)], aggregate=w, mlp=[w, max(1, w // 2)])
        return {**kw, **self.cfg.model.d_kwargs}

    def build_nets(self, num_classes: int) -> tuple[torch.nn.Module, torch.nn.Module]:
        m, o = self.cfg.model, self.opts
        g_kw: dict[str, Any] = {"z_dim": m.z_dim, **self._sizes(), "sampling": o.sampling, "tau": o.tau}
        if m.width is not None:  # the paper's sizes at width 128: 128, 256, 512
            g_kw["hidden"] = [m.width, 2 * m.width, 4 * m.width]
        return build_net(m.g_net, **{**g_kw, **m.g_kwargs}), build_net(m.d_net, **self._d_kwargs())

    def phases(self) -> list[Phase]:
        out = super().phases()
        if self.objective is not None:
            out.append(Phase("R", self.r_step, losses=("r_loss",)))
        return out

    # --- the chemistry objective --------------------------------------------------------------
    def smiles_of(self, x: Tensor) -> list[str]:
        from ..data.molgraphs import graphs_to_smiles

        return graphs_to_smiles(x.detach().float(), self.info.extra)

    def objective_scores(self, smiles: list[str], device: torch.device) -> Tensor:
        """(N,) float: the objective of each molecule (cached by SMILES; invalid ones score 0)."""
        todo = sorted({s for s in smiles if s not in self._cache})
        if todo:
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache.update(zip(todo, self.objective(todo)))
        return torch.tensor([self._cache[s] for s in smiles], dtype=torch.float32, device=device)

    # --- steps ----------------------------------------------------------------------------------
    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        G, D = self.nets["G"], self.nets["D"]
        n = batch["x"].shape[0]
        fake = self.make_fakes(batch, lambda: self.generate(G, n, None), for_g=True)
        with frozen(D), self.autocast():
            fake_logits = D(fake)
            wgan = self.loss.g(fake_logits.float())
        stats: dict[str, Any] = {"g_loss": wgan.detach()}
        loss = wgan
        self.g_steps += 1
        if self.objective is not None and self.g_steps > self.opts.reward_start:
            R, w = self.nets["R"], self.opts.reward_weight
            with frozen(R), self.autocast():
                predicted = torch.sigmoid(R(fake).float()).mean()
            rl = -predicted
            alpha = (wgan.detach().abs() / rl.detach().abs().clamp_min(1e-8)) if self.opts.rescale_rl else 1.0
            loss = (1.0 - w) * wgan + w * alpha * rl
            stats.update(rl_loss=rl.detach(), reward_pred=predicted.detach())
        norm = self.update("G", loss, grad_norm=True)
        stats["g_grad_norm"] = norm
        if self.measure_now:
            smiles = self.smiles_of(fake)
            stats["valid"] = sum(s != "invalid" for s in smiles) / max(1, len(smiles))
            stats["unique"] = len(set(s for s in smiles if s != "invalid")) / max(1, len(smiles))
        return stats

    def r_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        """Fit R to the objective of real graphs and of discrete generated graphs (MSE)."""
        G, R = self.nets["G"], self.nets["R"]
        real = batch["x"]
        with torch.no_grad(), self.autocast():
            relaxed = self.generate(G, real.shape[0], None)
        m = self.info.extra["max_atoms"]
        a = len(self.info.extra["atom_types"])
        b = len(self.info.extra["bond_types"])
        nodes = relaxed[..., :a].float().argmax(-1)
        bonds = relaxed[..., a:].float().reshape(real.shape[0], m, m, b).argmax(-1)
        from ..data.molgraphs import pack

        fake = pack(nodes, bonds, a, b).to(real.device)
        fake_smiles, real_smiles = self.smiles_of(fake), self.smiles_of(real)
        target = torch.cat([self.objective_scores(real_smiles, real.device),
                            self.objective_scores(fake_smiles, real.device)])
        with self.autocast():
            pred = torch.sigmoid(R(torch.cat([real, fake])).float())
        loss = torch.nn.functional.mse_loss(pred, target)
        self.update("R", loss)
        return {"r_loss": loss.detach(), "objective": target[real.shape[0]:].mean(),
                "objective_real": target[: real.shape[0]].mean()}

    # --- state and export ---------------------------------------------------------------------
    def extra_state(self) -> dict[str, Any]:
        return {"g_steps": self.g_steps}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.g_steps = int(state.get("g_steps", 0))

    def export_meta(self) -> dict[str, Any]:
        # the vocabularies travel with the generator (samples decode without the data), and the
        # data options (`ganforge eval` rebuilds a molgraphs:PATH run's held-out split)
        keep = ("atom_types", "bond_types", "max_atoms", "split")
        extra = {k: self.info.extra[k] for k in keep if k in self.info.extra}
        return {**super().export_meta(), "data_extra": {**extra, "data_options": dict(self.cfg.data.options)}}


register_family(
    "molgan", MolGANFamily,
    {"model": {"g_net": "molgan_g", "d_net": "molgan_d", "z_dim": 32},
     "train": {"loss": "wasserstein", "gp_weight": 10.0, "d_steps": 5, "optimizer": "adam", "lr_g": 1e-3,
               "lr_d": 1e-3, "betas": (0.5, 0.9)},
     "options": asdict(MolGANOptions())},
    help="MolGAN (De Cao & Kipf 2018): graph generator, R-GCN critic, WGAN-GP, optional reward network "
         "(validity/QED/logP/SA); --data moses-graphs or molgraphs:PATH",
    smoke={"data.name": "moses-graphs", "data.resolution": None, "data.limit": 32, "data.batch_size": 8,
           "options": {"reward": "qed", "sampling": "hard_gumbel"}, "model.width": 8, "model.z_dim": 8,
           "train.d_steps": 2})
