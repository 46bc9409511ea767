"""What a trained generator lets a user control, read from the network contract alone.

The web explorer and ``ganforge sample`` ask these questions of any generator, whatever its
family, so that a new network gains a truncation slider or a code traversal by following the
contract, never by being named here:

- truncation: a ``truncation`` keyword in ``G.forward`` (StyleGAN's psi in w space, where
  1 means "off") or in ``G.sample_latent`` (BigGAN's truncated normal threshold, where None
  means "off");
- structured latent codes: a ``G.codes`` list (InfoGAN), each with ``name``, ``kind``
  (``categorical`` or ``continuous``), ``size`` and its ``start:stop`` slice of z;
- image-to-image translators: ``z_dim == 0`` with an ``in_shape``; a second required forward
  argument is a mask (inpainting).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import Tensor, nn

_MISSING = object()


def keyword_default(fn: Callable[..., Any] | None, name: str) -> Any:
    """The default of keyword parameter ``name`` of ``fn`` (``inspect.Parameter.empty`` when it
    has none), or ``_MISSING`` when ``fn`` takes no such parameter (``**kwargs`` does not count:
    a net that swallows unknown keywords has not promised to honour them)."""
    if fn is None:
        return _MISSING
    try:
        p = inspect.signature(fn).parameters.get(name)
    except (TypeError, ValueError):
        return _MISSING
    if p is None or p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD,
                               inspect.Parameter.POSITIONAL_ONLY):
        return _MISSING
    return p.default


@dataclass(frozen=True)
class Truncation:
    """How a generator truncates its latent: ``where`` is ``forward`` or ``sample_latent``;
    ``off`` is the value meaning "no truncation" (1.0 for psi, None for a threshold);
    ``low``/``high`` the range a UI should offer."""

    where: str
    off: float | None
    low: float
    high: float
    default: float

    def as_dict(self) -> dict[str, Any]:
        return {"where": self.where, "off": self.off, "low": self.low, "high": self.high, "default": self.default}


def truncation_support(G: nn.Module) -> Truncation | None:
    """Describe G's truncation trick, or None when it has none (DCGAN).

    A ``truncation`` keyword in ``forward`` is read as psi in [0, 1] (interpolation towards the
    mean latent; the default, normally 1.0, is "off"); one in ``sample_latent`` as the threshold
    of a truncated normal (None is "off"; 0.5-2 is the useful range).
    """
    d = keyword_default(type(G).forward, "truncation")
    if d is not _MISSING:
        off = float(d) if isinstance(d, (int, float)) else 1.0
        return Truncation("forward", off, 0.0, 1.0, 0.7)
    d = keyword_default(getattr(type(G), "sample_latent", None), "truncation")
    if d is not _MISSING:
        off = float(d) if isinstance(d, (int, float)) else None
        return Truncation("sample_latent", off, 0.1, 3.0, 1.0)
    return None


def truncation_kwargs(G: nn.Module, value: float | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(keywords for ``sample_latent``, keywords for ``forward``) that apply truncation ``value``
    (None: none). Raises ValueError when G has no truncation trick."""
    if value is None:
        return {}, {}
    t = truncation_support(G)
    if t is None:
        raise ValueError("this generator has no truncation trick (no 'truncation' keyword in its forward or "
                         "sample_latent)")
    return ({"truncation": value}, {}) if t.where == "sample_latent" else ({}, {"truncation": value})


def latent_codes(G: nn.Module) -> list[dict[str, Any]]:
    """G's structured latent codes as plain dicts (name, kind, size, start, stop); [] when none.

    Codes whose slice does not fit in ``z_dim`` or whose kind is unknown are left out rather
    than trusted."""
    z_dim = int(getattr(G, "z_dim", 0) or 0)
    out = []
    for c in getattr(G, "codes", None) or []:
        try:
            d = {"name": str(c.name), "kind": str(c.kind), "size": int(c.size), "start": int(c.start),
                 "stop": int(c.stop)}
        except (AttributeError, TypeError, ValueError):
            continue
        if d["kind"] not in ("categorical", "continuous") or not 0 <= d["start"] < d["stop"] <= z_dim:
            continue
        out.append(d)
    return out


def set_code(G: nn.Module, z: Tensor, code: dict[str, Any], value: Tensor) -> Tensor:
    """A copy of latents z (N, z_dim) with ``code`` (from :func:`latent_codes`) set per row to
    ``value`` (N,): a class index for categorical codes (one-hot), a real number otherwise.
    Uses ``G.set_code`` when the net provides it, so the net's own layout rules apply."""
    if callable(getattr(G, "set_code", None)):
        return G.set_code(z, code["name"], value)
    z = z.clone()
    if code["kind"] == "categorical":
        z[:, code["start"]:code["stop"]] = torch.nn.functional.one_hot(value.long(), code["size"]).to(z.dtype)
    else:
        z[:, code["start"]] = value.to(z.dtype)
    return z


def is_translator(G: nn.Module) -> bool:
    """True for image-to-image networks ``T(x) -> y`` (``z_dim == 0`` and an ``in_shape``)."""
    return int(getattr(G, "z_dim", 0) or 0) == 0 and getattr(G, "in_shape", None) is not None


def needs_mask(G: nn.Module) -> bool:
    """True when ``G.forward`` takes a second required argument (the inpainting hole mask)."""
    try:
        params = list(inspect.signature(type(G).forward).parameters.values())[1:]  # drop self
    except (TypeError, ValueError):
        return False
    required = [p for p in params if p.default is inspect.Parameter.empty
                and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    return len(required) >= 2
