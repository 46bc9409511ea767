"""The ``musegan`` family: multi-track piano rolls in bars (MuseGAN, Dong et al. 2018), with the
nets ``musegan_g`` / ``musegan_d`` (:mod:`ganforge.nets.music`).

Data: kind ``pianoroll`` (``--data bach-chorales`` or ``--data midi:PATH``), x (N, V, T, P) in
{0, 1}. The training objective is MuseGAN's: WGAN-GP (Gulrajani et al. 2017) with Adam
(1e-3, betas 0.5 / 0.9) and ``d_steps`` critic updates per generator update, through the
shared adversarial steps of :class:`~ganforge.families.adversarial.AdversarialFamily`.

Why MuseGAN's layout and not C-RNN-GAN's (LSTMs over note events, Mogren 2016): a chorale is
four voices moving together bar by bar, and the piano roll holds them on one time grid, so a
convolutional critic sees the harmony (all voices at each step) and the rhythm at once; the
bar and temporal latents give each bar its own material inside a coherent segment. C-RNN-GAN
generates one note event after another, so the four voices' alignment in time must be learned
from sequences of (duration, pitch) tuples; its recurrent nets are also slow on a CPU and their
fused kernels have no double backward for a gradient penalty. docs/music.md gives the numbers.

Options (``--option KEY=VALUE``): ``head`` = ``auto`` (``voice`` when every voice of the data
is monophonic, else ``multi``), ``voice`` (one pitch or a rest per voice and step),
``markov`` (the same, chosen step after step with learned transition scores per voice) or
``multi`` (each pitch on or off); ``markov_init`` = ``zero`` (the markov head starts as the
``voice`` head) or ``data`` (its transition table starts at ``markov_scale`` times the data's
per-voice log transition probabilities, each row centred: the ``voice_transitions`` counts
of the dataset, add-one smoothed), ``markov_scale`` [1.0]; ``harmony`` = ``true`` (with
``head=markov``: the voices of a step are chosen in order, each scored against the voices above
it by a learned table of the pairs' interval states, step to step; with ``markov_init=data`` it
starts from the data's ``pair_transitions``) [false].
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from ..errors import GanforgeError
from ..nets import build_net
from .adversarial import AdversarialFamily
from .base import register_family

#: the DataInfo.extra keys a saved generator carries for writing MIDI, drawing rolls and metrics
ROLL_META = ("lowest", "steps_per_beat", "bar_steps", "bars", "beats_per_bar", "time_signature", "voices",
             "monophonic", "programs", "tempo_bpm", "transpose")


@dataclass(frozen=True)
class MuseGANOptions:
    head: str = "auto"
    markov_init: str = "zero"
    markov_scale: float = 1.0
    harmony: bool = False

    def check(self, family: str) -> None:
        """Values the family accepts (checked before the data is read)."""
        if self.head not in ("auto", "voice", "markov", "multi"):
            raise GanforgeError(f"--option head={self.head!r} (family {family!r}): accepted auto, voice, "
                                "markov, multi")
        if self.markov_init not in ("zero", "data"):
            raise GanforgeError(f"--option markov_init={self.markov_init!r} (family {family!r}): accepted zero, "
                                "data")
        if not math.isfinite(self.markov_scale) or self.markov_scale < 0:
            raise GanforgeError(f"--option markov_scale={self.markov_scale!r} (family {family!r}): "
                                "accepted a finite number >= 0")
        if self.harmony and self.head != "markov":
            raise GanforgeError(f"--option harmony=true (family {family!r}) needs --option head=markov "
                                f"(the head is {self.head!r})")
        if self.markov_init == "data" and self.head != "markov":
            raise GanforgeError(f"--option markov_init=data (family {family!r}) needs --option head=markov "
                                f"(the head is {self.head!r})")


class MuseGANFamily(AdversarialFamily):
    """MuseGAN-style multi-track GAN over piano rolls (N, V, T, P)."""

    options_cls = MuseGANOptions

    def build_nets(self, num_classes: int):
        info, m = self.info, self.cfg.model
        if info.kind != "pianoroll" or len(info.shape) != 3:
            raise GanforgeError(f"family {self.cfg.family!r} trains on piano rolls (--data bach-chorales or "
                                f"midi:PATH); dataset {info.name!r} is of kind {info.kind!r}")
        head, init, scale = self.opts.head, self.opts.markov_init, float(self.opts.markov_scale)
        if head == "auto":
            head = "voice" if info.extra.get("monophonic", False) else "multi"
        voices, steps, pitches = info.shape
        bar_steps = int(info.extra.get("bar_steps") or steps)
        if steps % bar_steps:
            raise GanforgeError(f"dataset {info.name!r}: {steps} steps are not whole bars of {bar_steps}")
        common = {"voices": voices, "bars": steps // bar_steps, "bar_steps": bar_steps, "pitches": pitches}
        g_kw: dict[str, Any] = {**common, "head": head, **({"harmony": True} if self.opts.harmony else {})}
        d_kw: dict[str, Any] = {**common, "lowest": int(info.extra.get("lowest", 0))}
        if m.width is not None:
            g_kw["width"] = d_kw["width"] = m.width
        if m.z_dim:
            g_kw["z_shared"] = g_kw["z_temporal"] = m.z_dim
        g = build_net(m.g_net, **{**g_kw, **m.g_kwargs})
        if init == "data":
            self._init_transitions(g, scale)
        return g, build_net(m.d_net, **{**d_kw, **m.d_kwargs})

    def _init_transitions(self, g: Any, scale: float) -> None:
        """The markov head's tables from the data: each row ``scale`` times the centred, add-one
        smoothed log probabilities of the dataset's counts (``voice_transitions`` for the
        per-voice table; ``pair_transitions`` for the ``harmony`` table when there is one)."""
        tables = [("voice_transitions", getattr(g, "transition", None))]
        if getattr(g, "harmony", None) is not None:
            tables.append(("pair_transitions", g.harmony))
        for key, table in tables:
            counts = self.info.extra.get(key)
            if counts is None:
                raise GanforgeError(f"--option markov_init=data (family {self.cfg.family!r}): dataset "
                                    f"{self.info.name!r} has no {key} (monophonic piano rolls such as "
                                    "--data bach-chorales have)")
            c = torch.as_tensor(counts, dtype=torch.float64)
            if table is None or tuple(c.shape) != tuple(table.shape):
                raise GanforgeError(f"--option markov_init=data (family {self.cfg.family!r}): the data's {key} "
                                    f"are {tuple(c.shape)}, the generator's table is "
                                    f"{None if table is None else tuple(table.shape)}")
            logp = torch.log((c + 1) / (c + 1).sum(dim=2, keepdim=True))
            with torch.no_grad():
                table.copy_((scale * (logp - logp.mean(dim=2, keepdim=True))).to(table.dtype))

    def export_meta(self) -> dict[str, Any]:
        # what `ganforge sample` needs to write MIDI and draw rolls from the saved generator alone
        extra = {k: self.info.extra[k] for k in ROLL_META if k in self.info.extra}
        return {**super().export_meta(), "data_extra": extra}


register_family(
    "musegan", MuseGANFamily,
    {"model": {"g_net": "musegan_g", "d_net": "musegan_d", "z_dim": 32},
     "train": {"loss": "wasserstein", "gp_weight": 10.0, "d_steps": 5, "optimizer": "adam", "lr_g": 1e-3,
               "lr_d": 1e-3, "betas": (0.5, 0.9)}},
    help="MuseGAN (Dong et al. 2018): multi-track piano rolls in bars, shared/per-voice and temporal latents, "
         "WGAN-GP; --data bach-chorales or midi:PATH",
    smoke={"data.name": "bach-chorales", "data.options": {"pieces": 3, "bars": 2, "steps_per_beat": 2},
           "data.limit": 32, "data.resolution": None, "model.width": 4, "model.z_dim": 4, "train.d_steps": 1})
