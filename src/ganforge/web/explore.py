"""What the explorer asks of a generator: its description, seeded latents, decoded images,
interpolations, code traversals and image-to-image translation. Pure functions of ``G``;
the HTTP layer (app.py) only validates, locks and encodes.

Raise :class:`BadRequest` for anything the client asked wrongly; the app turns it into a 400.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import Tensor, nn

from ..api import slerp
from ..plots import SAMPLE_TILES, info_from_meta
from ..nets.controls import (is_translator, latent_codes, needs_mask, set_code, truncation_kwargs,
                             truncation_support)


class BadRequest(ValueError):
    """A request that does not fit this generator (wrong latent length, class out of range...)."""


def describe(G: nn.Module) -> dict[str, Any]:
    """Everything the page needs to build its controls for G (JSON-able)."""
    meta = dict(getattr(G, "meta", {}) or {})
    out_shape = [int(s) for s in getattr(G, "out_shape", ()) or ()]
    z_dim = latent_size(G) if int(getattr(G, "z_dim", 0) or 0) > 0 and not is_translator(G) else 0
    k = int(getattr(G, "num_classes", 0) or 0)
    names = meta.get("class_names")
    names = [str(n) for n in names][:k] if isinstance(names, (list, tuple)) and len(names) >= k else [str(i) for i in range(k)]
    t = truncation_support(G)
    translator = is_translator(G)
    media = sample_media(G)
    if translator:
        mode = "translate"
    elif media != "none" and z_dim > 0:
        mode = "generate"
    else:
        mode = "none"
    return {
        "mode": mode,
        "media": media,
        "reason": None if mode != "none" else
        f"the explorer shows image generators and the data kinds with sample tiles ({', '.join(SAMPLE_TILES)}); "
        f"this model's samples have shape {out_shape} (kind {meta.get('kind')!r})",
        "net": type(G).__name__,
        "z_dim": z_dim,
        "out_shape": out_shape,
        "in_shape": [int(s) for s in getattr(G, "in_shape", ()) or ()] if translator else None,
        "num_classes": k,
        "class_names": names,
        "truncation": t.as_dict() if t else None,
        "codes": latent_codes(G),
        "needs_mask": needs_mask(G) if translator else False,
        "meta": {key: meta.get(key) for key in ("family", "dataset", "kind", "step", "ema") if key in meta},
    }


def latent_shape(G: nn.Module) -> tuple[int, ...]:
    """The shape of one latent of G: (z_dim,) for most generators, (steps, z_dim) for recurrent
    ones. The page and the API pass latents flattened; :func:`decode` restores this shape."""
    shape = getattr(G, "_explorer_latent_shape", None)
    if shape is None:
        shape = tuple(G.sample_latent(1, generator=torch.Generator().manual_seed(0), device=_device(G)).shape[1:])
        G._explorer_latent_shape = shape
    return shape


def latent_size(G: nn.Module) -> int:
    """How many numbers one flattened latent of G holds."""
    n = 1
    for s in latent_shape(G):
        n *= int(s)
    return n


def sample_media(G: nn.Module) -> str:
    """How the explorer shows G's samples: "image" ((C, H, W) outputs with 1 or 3 channels),
    "tiles" (a data kind with registered sample tiles: audio, text, charts...) or "none"."""
    kind = str((getattr(G, "meta", {}) or {}).get("kind") or "")
    if kind in SAMPLE_TILES:
        return "tiles"
    out_shape = [int(s) for s in getattr(G, "out_shape", ()) or ()]
    return "image" if len(out_shape) == 3 and out_shape[0] in (1, 3) else "none"


def tiles(G: nn.Module, x: Tensor) -> list[dict[str, Any]]:
    """The registered sample tiles of G's data kind for outputs ``x`` (one dict per sample with
    any of image PNG bytes, audio WAV bytes, caption)."""
    meta = dict(getattr(G, "meta", {}) or {})
    out = SAMPLE_TILES.get(str(meta.get("kind")))(x, info_from_meta(meta))
    if len(out) != len(x):
        raise RuntimeError(f"the sample tiles of kind {meta.get('kind')!r} gave {len(out)} tiles for {len(x)} samples")
    return out


def _device(G: nn.Module) -> torch.device:
    p = next(iter(G.parameters()), None)
    return p.device if p is not None else torch.device("cpu")


def check_generator(G: nn.Module) -> None:
    if is_translator(G) or int(getattr(G, "z_dim", 0) or 0) <= 0:
        raise BadRequest("this run's generator translates images (upload an image instead); it has no latent space")


def labels_for(G: nn.Module, n: int, label: int | None, cycle: bool = False) -> Tensor | None:
    """Class labels (n,) for G: ``label`` for all, classes in turn when ``cycle`` and no label
    is given, None for unconditional G. Raises BadRequest for a missing or invalid label."""
    k = int(getattr(G, "num_classes", 0) or 0)
    if not k:
        if label is not None:
            raise BadRequest("label: this generator is not conditional; leave the class out")
        return None
    if label is None:
        if cycle:
            return torch.arange(n, device=_device(G)) % k
        raise BadRequest(f"label: this generator is conditional; give a class 0..{k - 1}")
    if not 0 <= label < k:
        raise BadRequest(f"label {label} is out of range: this generator has classes 0..{k - 1}")
    return torch.full((n,), label, dtype=torch.long, device=_device(G))


def _trunc(G: nn.Module, value: float | None) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        lat_kw, fwd_kw = truncation_kwargs(G, value)
    except ValueError as e:
        raise BadRequest(f"truncation: {e}") from None
    t = truncation_support(G)
    if value is not None and t is not None and not t.low <= value <= t.high:
        raise BadRequest(f"truncation {value} is out of range: accepted {t.low}..{t.high}")
    return lat_kw, fwd_kw


def seed_latents(G: nn.Module, seeds: Sequence[int], truncation: float | None = None) -> Tensor:
    """One latent per seed, (len(seeds), z_dim): latent i is ``G.sample_latent(1)`` from a CPU
    generator seeded with seeds[i] -- exactly what ``ganforge sample --n 1 --seed s`` decodes."""
    check_generator(G)
    lat_kw, _ = _trunc(G, truncation)
    zs = [G.sample_latent(1, generator=torch.Generator().manual_seed(int(s)), device=_device(G), **lat_kw)
          for s in seeds]
    return torch.cat(zs).float().reshape(len(seeds), -1)


def as_latent(G: nn.Module, values: Sequence[float] | Tensor, field: str = "z") -> Tensor:
    """A client-supplied (flattened) latent as (1, n), checked against G's latent size."""
    check_generator(G)
    z = torch.as_tensor(values, dtype=torch.float32).reshape(1, -1)
    n = latent_size(G)
    if z.shape[1] != n:
        what = "this generator's z_dim" if len(latent_shape(G)) == 1 else f"a latent of shape {list(latent_shape(G))}, flattened"
        raise BadRequest(f"{field}: expected {n} numbers ({what}), got {z.shape[1]}")
    return z.to(_device(G))


@torch.no_grad()
def decode(G: nn.Module, z: Tensor, labels: Tensor | None, truncation: float | None = None) -> Tensor:
    """G(z, labels) in eval mode -> CPU tensor: images (N, C, H, W) as floats in [-1, 1]; other
    kinds as G gives them (token ids stay integers) for their sample tiles."""
    _, fwd_kw = _trunc(G, truncation)
    G.eval()
    x = G(z.reshape(z.shape[0], *latent_shape(G)), labels, **fwd_kw).cpu()
    if sample_media(G) == "image":
        return x.float().clamp(-1, 1)
    return x if not x.is_floating_point() else x.float()


def interpolation(G: nn.Module, z_a: Tensor, z_b: Tensor, steps: int, mode: str) -> Tensor:
    """(steps, z_dim) latents from z_a to z_b (both (1, z_dim)); slerp or linear."""
    t = torch.linspace(0, 1, steps, device=z_a.device)
    if mode == "slerp":
        if float(z_a.norm()) == 0 or float(z_b.norm()) == 0:
            raise BadRequest("slerp needs non-zero latents; use mode 'linear'")
        return slerp(z_a[0], z_b[0], t)
    return z_a + (z_b - z_a) * t.view(-1, 1)


def code_traversal(G: nn.Module, z: Tensor, name: str, steps: int, low: float, high: float) -> tuple[Tensor, list[float]]:
    """Latents (S, z_dim) that vary code ``name`` of z (1, z_dim), and the values used."""
    codes = {c["name"]: c for c in latent_codes(G)}
    if name not in codes:
        raise BadRequest(f"code {name!r}: this generator's codes are {', '.join(codes) or 'none'}")
    code = codes[name]
    if code["kind"] == "categorical":
        values = torch.arange(code["size"], device=z.device)
    else:
        if not low < high:
            raise BadRequest(f"low ({low}) must be below high ({high})")
        values = torch.linspace(low, high, steps, device=z.device)
    zs = set_code(G, z.expand(len(values), -1).clone(), code, values)
    return zs, [float(v) for v in values]


def default_mask(shape: Sequence[int], fraction: float = 0.5) -> Tensor:
    """(1, 1, H, W) mask with a centred square hole (1 = missing) of ``fraction`` of the side."""
    _, h, w = shape
    mask = torch.zeros(1, 1, h, w)
    s = max(1, int(round(min(h, w) * fraction)))
    top, left = (h - s) // 2, (w - s) // 2
    mask[..., top:top + s, left:left + s] = 1
    return mask


@torch.no_grad()
def translate(T: nn.Module, x: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
    """T(x) (or T(x_masked, mask) for inpainting nets) in eval mode.

    x: (1, C, H, W) in [-1, 1]. Returns (output (1, C', H', W') in [-1, 1], the input the net
    saw: x itself, or x with the hole filled with 0 (mid grey) for inpainting)."""
    T.eval()
    dev = _device(T)
    x = x.to(dev)
    if needs_mask(T):
        if mask is None:
            mask = default_mask(x.shape[1:])
        mask = (mask.to(dev) > 0).float()
        if mask.shape[-2:] != x.shape[-2:]:
            mask = torch.nn.functional.interpolate(mask, size=x.shape[-2:], mode="nearest")
        seen = x * (1 - mask)
        y = T(seen, mask)
    else:
        seen = x
        y = T(x)
    return y.float().cpu().clamp(-1, 1), seen.float().cpu()
