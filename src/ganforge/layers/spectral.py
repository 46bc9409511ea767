"""Spectral normalization of a whole network (Miyato et al. 2018).

Every weight W is divided by an estimate of its largest singular value, obtained with one
power iteration per training forward pass, which bounds each layer's Lipschitz constant by 1.
PyTorch's parametrization keeps the raw weight as ``parametrizations.weight.original`` and the
power-iteration vectors as buffers ``_u`` and ``_v``; all three are in the state dict, so a
saved model (and its exact sigma estimate) round-trips through save_model/load_model. In eval
mode the stored vectors are used as they are (no power iteration), so outputs are deterministic.
"""
from __future__ import annotations

from typing import Iterable

from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

DEFAULT_TYPES: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)


def apply_spectral_norm(module: nn.Module, types: tuple[type[nn.Module], ...] = DEFAULT_TYPES,
                        skip: Iterable[nn.Module] = (), eps: float = 1e-12) -> nn.Module:
    """Spectrally normalise the ``weight`` of every submodule of one of ``types``, in place.

    ``skip``: submodules to leave alone (BigGAN does not normalise G's shared class
    embedding). Modules already normalised are left as they are. Returns ``module``.
    Embedding weights (num_classes, F) are normalised as a matrix, as BigGAN's D does for
    its projection embedding.
    """
    skipped = {id(m) for m in skip}
    for m in module.modules():
        if isinstance(m, types) and id(m) not in skipped and not has_spectral_norm(m) \
                and isinstance(getattr(m, "weight", None), nn.Parameter):
            spectral_norm(m, eps=eps)
    return module


def has_spectral_norm(module: nn.Module) -> bool:
    """True when ``module.weight`` is spectrally normalised by a parametrization."""
    return parametrize.is_parametrized(module, "weight") and any(
        type(p).__name__ == "_SpectralNorm" for p in module.parametrizations["weight"])


def count_spectral_norm(module: nn.Module) -> int:
    """How many submodules of ``module`` carry a spectrally normalised weight."""
    return sum(has_spectral_norm(m) for m in module.modules())
