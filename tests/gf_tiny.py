"""Tiny configurations of the advanced image nets (ProGAN, StyleGAN, BigGAN, SNGAN, InfoGAN),
shared by tests/nets/ and tests/families/; families are built with gf_family.build_family."""
from __future__ import annotations

from typing import Any

import torch

from ganforge.nets import build_net

# name -> (generator net, its kwargs, discriminator net, its kwargs); sizes are the smallest
# that still exercise every code path (attention needs >= 8 channels, ProGAN/StyleGAN >= 8 px).
TINY: dict[str, tuple[str, dict[str, Any], str, dict[str, Any]]] = {
    "progan": ("progan_g", dict(z_dim=8, out_shape=(1, 32, 32), channel_base=64, channel_max=8),
               "progan_d", dict(in_shape=(1, 32, 32), channel_base=64, channel_max=8)),
    "progan_cond": ("progan_g", dict(z_dim=8, out_shape=(3, 16, 16), num_classes=3, channel_base=32, channel_max=8),
                    "progan_d", dict(in_shape=(3, 16, 16), num_classes=3, channel_base=32, channel_max=8)),
    "stylegan": ("stylegan_g", dict(z_dim=8, w_dim=8, out_shape=(1, 32, 32), mapping_layers=2,
                                    channel_base=64, channel_max=8),
                 "stylegan_d", dict(in_shape=(1, 32, 32), channel_base=64, channel_max=8)),
    "stylegan_cond": ("stylegan_g", dict(z_dim=8, w_dim=8, out_shape=(3, 16, 16), num_classes=3, mapping_layers=2,
                                         channel_base=64, channel_max=8),
                      "stylegan_d", dict(in_shape=(3, 16, 16), num_classes=3, channel_base=64, channel_max=8)),
    "biggan": ("biggan_g", dict(z_dim=8, out_shape=(3, 32, 32), ch=2),
               "biggan_d", dict(in_shape=(3, 32, 32), ch=2)),
    "biggan_cond28": ("biggan_g", dict(z_dim=9, out_shape=(1, 28, 28), num_classes=4, ch=2, embed_dim=4),
                      "biggan_d", dict(in_shape=(1, 28, 28), num_classes=4, ch=2)),
    "sngan": ("sngan_g", dict(z_dim=8, out_shape=(1, 32, 32), ch=2),
              "sngan_d", dict(in_shape=(1, 32, 32), ch=2)),
    "sngan_cond28": ("sngan_g", dict(z_dim=8, out_shape=(3, 28, 28), num_classes=4, ch=2),
                     "sngan_d", dict(in_shape=(3, 28, 28), num_classes=4, ch=2)),
    "infogan": ("infogan_g", dict(noise_dim=6, out_shape=(1, 28, 28), width=4, hidden=16),
                "infogan_d", dict(in_shape=(1, 28, 28), noise_dim=6, width=4, hidden=16, q_hidden=8)),
    "infogan32": ("infogan_g", dict(noise_dim=5, categorical=(3, 4), continuous=1, out_shape=(3, 32, 32), width=4,
                                    hidden=16, noise="normal"),
                  "infogan_d", dict(in_shape=(3, 32, 32), noise_dim=5, categorical=(3, 4), continuous=1, width=4,
                                    hidden=16, q_hidden=8, learn_std=True)),
}


def build_pair(name: str) -> tuple[torch.nn.Module, torch.nn.Module]:
    g, g_kw, d, d_kw = TINY[name]
    return build_net(g, **g_kw), build_net(d, **d_kw)


def labels(net: torch.nn.Module, n: int) -> torch.Tensor | None:
    k = getattr(net, "num_classes", 0)
    return torch.arange(n) % k if k else None

