"""ChemNet (Preuer et al. 2018), the network of the Frechet ChemNet Distance, rebuilt as a plain
PyTorch module and loaded from the weights ``fcd_torch`` ships
(``fcd_torch/ChemNet_v0.13_pretrained.pt``, a list of (layer type, state dict, kwargs, info)).

The file is read with ``torch.load(weights_only=True)``: only tensors and plain containers are
accepted, no code in it can run, and the ``fcd_torch`` package itself is never imported (its
location is found with ``importlib.util.find_spec``).

The network, as fcd_torch builds it: two Conv1d layers (35 -> 32 -> 32 channels, width 4,
stride 2, TensorFlow "same" padding, SELU, no bias), then an LSTM (32 -> 128) over the reversed
sequence and an LSTM (128 -> 512) over the reversed output of the first, whose last step is the
512-d activation FCD compares. The input is fcd_torch's encoding: RDKit's canonical SMILES plus
a ``.`` end mark, one-hot over its 35 symbols (two-letter symbols when the next character is
``r``, ``i`` or ``l``; unknown ones ``X``), padded to 350 rows and divided by 35.

FCD between two sets is the Frechet distance of the Gaussians fitted to their activations
(:func:`ganforge.metrics.frechet.frechet_distance`), as ``fcd_torch.FCD`` computes it.
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import GanforgeError

VOCAB = ['C', 'N', 'O', 'H', 'F', 'Cl', 'P', 'B', 'Br', 'S', 'I', 'Si', '#', '(', ')', '+', '-', '1', '2', '3', '4',
         '5', '6', '7', '8', '=', '[', ']', '@', 'c', 'n', 'o', 's', 'X', '.']
_INDEX = {k: i for i, k in enumerate(VOCAB)}
_UNK = _INDEX['X']
_TWO_LETTERS = {'r', 'i', 'l'}
PAD_LEN = 350
WEIGHTS = "ChemNet_v0.13_pretrained.pt"
INSTALL = "pip install --no-deps fcd_torch (or `make test-deps`)"


def weights_path() -> Path:
    """The ChemNet weights inside the installed ``fcd_torch`` wheel (found without importing it)."""
    spec = importlib.util.find_spec("fcd_torch")
    for place in (spec.submodule_search_locations or []) if spec is not None else []:
        p = Path(place) / WEIGHTS
        if p.is_file():
            return p
    raise GanforgeError(f"the ChemNet weights fcd_torch/{WEIGHTS} were not found: install them with `{INSTALL}`")


def encode(smiles: str) -> np.ndarray:
    """(PAD_LEN, 35) float32: fcd_torch's one-hot encoding of ``smiles`` (already canonical),
    divided by 35."""
    s = smiles + '.'
    out = np.zeros((PAD_LEN, len(VOCAB)), dtype=np.float32)
    src = dst = 0
    while True:
        if s[src + 1] in _TWO_LETTERS:
            sym, src = s[src:src + 2], src + 2
        else:
            sym, src = s[src], src + 1
        out[dst, _INDEX.get(sym, _UNK)] = 1.0
        dst += 1
        if s[src] == '.' or dst == PAD_LEN - 1:
            out[dst, _INDEX['.']] = 1.0
            break
    return out / len(VOCAB)


def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """fcd_torch's SamePadding1d (TensorFlow "same" padding)."""
    length = x.shape[2]
    pad = max(kernel - stride, 0) if length % stride == 0 else max(kernel - length % stride, 0)
    if pad % stride == 0:
        left = right = pad // stride
    else:
        left = pad // stride
        right = pad - left
    return F.pad(x, (left, right))


class ChemNet(nn.Module):
    """(N, 35, 350) encoded SMILES -> (N, 512) activations."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(35, 32, 4, stride=2, bias=False)
        self.conv2 = nn.Conv1d(32, 32, 4, stride=2, bias=False)
        self.lstm1 = nn.LSTM(32, 128, batch_first=True)
        self.lstm2 = nn.LSTM(128, 512, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in (self.conv1, self.conv2):
            x = F.selu(conv(_same_pad(x, conv.kernel_size[0], conv.stride[0])))
        x = x.transpose(1, 2).flip(1)
        x, _ = self.lstm1(x)
        x, _ = self.lstm2(x.flip(1))
        return x[:, -1]


@lru_cache(maxsize=1)
def load_chemnet() -> ChemNet:
    """ChemNet with fcd_torch's weights (read with weights_only=True), eval mode, frozen."""
    path = weights_path()
    try:
        layers = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001  (any unreadable file)
        raise GanforgeError(f"{path}: cannot read the ChemNet weights ({type(e).__name__}: {e}); reinstall with "
                            f"`{INSTALL}`") from None
    net = ChemNet()
    targets = [("Conv1d", net.conv1), ("Conv1d", net.conv2), ("LSTM", net.lstm1), ("LSTM", net.lstm2)]
    if len(layers) != len(targets):
        raise GanforgeError(f"{path}: expected {len(targets)} ChemNet layers, found {len(layers)}")
    for (kind, module), (found, (state, _kwargs, info)) in zip(targets, [(t, c) for t, c in layers]):
        if kind != found:
            raise GanforgeError(f"{path}: expected a {kind} layer, found {found}")
        module.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
        if kind == "Conv1d" and (info.get("activation") != "selu" or info.get("padding") != "same"):
            raise GanforgeError(f"{path}: unexpected convolution settings {info}")
        if kind == "LSTM" and not info.get("reverse"):
            raise GanforgeError(f"{path}: unexpected LSTM settings {info}")
    net.requires_grad_(False)
    return net.eval()


@torch.no_grad()
def chemnet_activations(smiles: Sequence[str], batch_size: int = 256, canonical: bool = True) -> np.ndarray:
    """(N, 512) float32 ChemNet activations of ``smiles`` (RDKit-canonicalised first, as
    fcd_torch does; an invalid SMILES is an error)."""
    from ..data.molecules import canonical_smiles, quiet_rdkit

    if canonical:
        with quiet_rdkit():
            canon = [canonical_smiles(s) for s in smiles]
        bad = [s for s, c in zip(smiles, canon) if c is None]
        if bad:
            raise GanforgeError(f"FCD: {len(bad)} invalid SMILES, e.g. {bad[0]!r} (FCD takes valid molecules only)")
        smiles = canon  # type: ignore[assignment]
    net = load_chemnet()
    out = np.zeros((len(smiles), 512), dtype=np.float32)
    for i in range(0, len(smiles), batch_size):
        chunk = smiles[i:i + batch_size]
        x = torch.from_numpy(np.stack([encode(s) for s in chunk])).transpose(1, 2)
        out[i:i + len(chunk)] = net(x).numpy()
    return out


def fcd_stats(smiles: Sequence[str], batch_size: int = 256) -> dict[str, Any]:
    """{"mu": (512,), "sigma": (512, 512)} of the ChemNet activations (float64; sigma unbiased,
    numpy's ``cov``), what fcd_torch's ``precalc`` returns."""
    if len(smiles) < 2:
        raise GanforgeError(f"FCD needs at least 2 valid molecules, got {len(smiles)}")
    act = chemnet_activations(smiles, batch_size).astype(np.float64)
    return {"mu": act.mean(0), "sigma": np.cov(act.T)}


def fcd_from_stats(a: dict[str, Any], b: dict[str, Any]) -> float:
    from .frechet import frechet_distance

    return frechet_distance(a["mu"], a["sigma"], b["mu"], b["sigma"])


def fcd(gen: Sequence[str], ref: Sequence[str], batch_size: int = 256) -> float:
    """Frechet ChemNet Distance between two lists of SMILES."""
    return fcd_from_stats(fcd_stats(gen, batch_size), fcd_stats(ref, batch_size))
