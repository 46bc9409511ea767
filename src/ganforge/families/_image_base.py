"""What the advanced image families (sngan, biggan, progan, stylegan, infogan) share on top of
:class:`ganforge.families.adversarial.AdversarialFamily`: image data only, nets built from
``model.g_net`` / ``model.d_net`` with ``model.width`` mapped to each net's own width argument,
an optional ``conditional`` option, range checks of options, and the tiny smoke settings.

Precision: every G and D forward of a step runs under :meth:`Family.autocast`, and the losses are
computed on ``.float()`` logits. Penalties that differentiate a net's output with respect to its
input (WGAN-GP, R1, StyleGAN2's path length) run their forward under
:meth:`Family.penalty_autocast`: in bf16 under ``--precision bf16`` (bf16 has fp32's exponent
range, so the inner gradient cannot underflow; the gradient is cast to fp32 before the norm, so
``||grad|| - 1`` and a path length minus its mean are reduced in fp32), and in fp32 under
``--precision fp16``, where the inner gradient is not loss-scaled and would underflow.
"""
from __future__ import annotations

from typing import Any

import torch

from ..errors import GanforgeError
from ..nets import build_net
from .adversarial import AdversarialFamily
from .options import resolve_conditional

#: Tiny nets for the test suite: 32 px digits, batch 8 (each family adds its net sizes).
IMAGE_SMOKE: dict[str, Any] = {"data.name": "digits", "data.resolution": 32, "data.limit": 32,
                               "data.batch_size": 8, "model.z_dim": 8}


def next_power_of_two(side: int, smallest: int) -> int:
    """The smallest power of two that is at least ``side`` and ``smallest`` (28 -> 32)."""
    p = smallest
    while p < side:
        p *= 2
    return p


class ImageFamily(AdversarialFamily):
    """Base of the advanced image families. Subclasses set ``width_kwarg`` (the nets' width
    argument: ``ch``, ``channel_max``, ``width``), ``options_cls`` and, where the loss is part
    of the method, ``required_loss``."""

    width_kwarg = "width"
    #: the adversarial loss the family's steps implement (None: any registered loss works)
    required_loss: str | None = None

    def __init__(self, cfg, info, device, dist) -> None:
        if info.kind != "image":
            raise GanforgeError(f"family {cfg.family!r} trains on images, but dataset {info.name!r} is of kind "
                                f"{info.kind!r}")
        if cfg.train.pack != 1:
            raise GanforgeError(f"train.pack = {cfg.train.pack}: family {cfg.family!r} does not support PacGAN "
                                f"packing; use train.pack = 1")
        if self.required_loss and cfg.train.loss != self.required_loss:
            raise GanforgeError(f"train.loss = {cfg.train.loss!r}: family {cfg.family!r} is defined with the "
                                f"{self.required_loss!r} loss; leave train.loss unset or use {self.required_loss!r}")
        super().__init__(cfg, info, device, dist)

    def check_options(self, positive: tuple[str, ...] = (), unit: tuple[str, ...] = ()) -> None:
        """Range checks of ``self.opts``: the ``positive`` fields must be > 0, the ``unit`` ones
        in [0, 1]. The error names the option, its value and what is accepted."""
        for name in positive:
            if getattr(self.opts, name) <= 0:
                raise GanforgeError(f"--option {name}={getattr(self.opts, name)} (family {self.cfg.family!r}): "
                                    f"must be a positive number")
        for name in unit:
            if not 0.0 <= getattr(self.opts, name) <= 1.0:
                raise GanforgeError(f"--option {name}={getattr(self.opts, name)} (family {self.cfg.family!r}): "
                                    f"must be in [0, 1]")

    def class_count(self, info) -> int:
        return resolve_conditional(getattr(self.opts, "conditional", False), info.num_classes,
                                   self.cfg.family, info.name)

    def net_kwargs(self, num_classes: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """Constructor arguments of (G, D) before ``model.g_kwargs`` / ``model.d_kwargs``."""
        m, shape = self.cfg.model, list(self.info.shape)
        g_kw: dict[str, Any] = {"z_dim": m.z_dim, "out_shape": shape, "num_classes": num_classes}
        d_kw: dict[str, Any] = {"in_shape": shape, "num_classes": num_classes}
        if m.width is not None:
            g_kw[self.width_kwarg] = d_kw[self.width_kwarg] = m.width
        return g_kw, d_kw

    def build_nets(self, num_classes: int) -> tuple[torch.nn.Module, torch.nn.Module]:
        m = self.cfg.model
        g_kw, d_kw = self.net_kwargs(num_classes)
        try:
            G = build_net(m.g_net, **{**g_kw, **m.g_kwargs})
            D = build_net(m.d_net, **{**d_kw, **m.d_kwargs})
        except ValueError as e:  # e.g. a resolution the net does not support: name the fix
            raise GanforgeError(f"family {self.cfg.family!r}: {e} (set data.resolution)") from None
        return G, D
