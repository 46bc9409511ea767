"""What the advanced image families (sngan, biggan, progan, stylegan, infogan) share on top of
:class:`ganforge.families.adversarial.AdversarialFamily`: image data only, nets built from
``model.g_net`` / ``model.d_net`` with ``model.width`` mapped to each net's own width argument,
and an optional ``conditional`` option."""
from __future__ import annotations

from typing import Any

import torch

from ..errors import GanforgeError
from ..nets import build_net
from .adversarial import AdversarialFamily
from .options import resolve_conditional


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
