"""Tiny configurations of every advanced net and family, shared by the tests of this folder."""
from __future__ import annotations

from typing import Any

import torch

from ganforge.api import make_config
from ganforge.data import build_dataset
from ganforge.data.base import TensorDataset
from ganforge.families import FAMILIES, Family
from ganforge.nets import build_net
from ganforge.distributed import DistContext
from ganforge.training.loop import resolve_config

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


def tiny_batch(G: torch.nn.Module, n: int = 4, seed: int = 0) -> dict[str, torch.Tensor]:
    """A batch of random 'real' images in [-1, 1] (and labels when G is conditional)."""
    gen = torch.Generator().manual_seed(seed)
    batch = {"x": torch.rand(n, *G.out_shape, generator=gen) * 2 - 1}
    y = labels(G, n)
    if y is not None:
        batch["y"] = y
    return batch


def build_family(name: str, **overrides: Any) -> tuple[Family, TensorDataset]:
    """The registered family ``name`` built as the loop builds it (its smoke settings under
    ``overrides``, dotted names), on the CPU, with its dataset."""
    spec = FAMILIES.get(name)
    cfg = make_config(name, **{**spec.smoke, **overrides})
    ds = build_dataset(cfg.data)
    cfg = resolve_config(cfg, ds.info.kind)
    return spec.cls(cfg, ds.info, torch.device("cpu"), DistContext()), ds


def first_batch(ds: TensorDataset, n: int = 8) -> dict[str, torch.Tensor]:
    """The dataset's first ``n`` samples as the loop's batch dict (``x`` and ``y`` when labelled)."""
    return ds.get_batch(torch.arange(n))
