"""Data augmentation with a conditional generator: class-balanced synthetic labelled data, and
a mix of real and synthetic samples at a chosen ratio for a user's own training loop.

>>> G = ganforge.load("runs/cgan")
>>> x, y = synthesize_labelled(G, per_class=100, seed=0)          # (1000, 1, 28, 28), (1000,)
>>> ds = MixedDataset(real_x, real_y, G, ratio=1.0, seed=0)          # real + as many synthetic
>>> loader = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True)   # (x, y, is_synthetic)
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ..errors import GanforgeError


def _require_conditional(G: nn.Module) -> int:
    k = int(getattr(G, "num_classes", 0) or 0)
    if not k:
        raise GanforgeError("augmentation needs a conditional generator (trained with class labels, e.g. family "
                            "cgan); this one has num_classes = 0")
    return k


def synthesize_labelled(G: nn.Module, per_class: int, seed: int = 0, classes: Sequence[int] | None = None,
                        batch_size: int = 256) -> tuple[Tensor, Tensor]:
    """``per_class`` samples of each class from conditional generator G.

    Returns x (N, *G.out_shape) (images in [-1, 1]) and labels y (N,) int64, grouped by class
    in increasing order; ``classes`` restricts to some class indices (default: all).
    """
    from ..api import generate, latents

    k = _require_conditional(G)
    if per_class < 1:
        raise GanforgeError(f"per_class must be positive, got {per_class}")
    cls = list(range(k)) if classes is None else [int(c) for c in classes]
    bad = [c for c in cls if not 0 <= c < k]
    if bad:
        raise GanforgeError(f"classes {bad} out of range: this generator has classes 0..{k - 1}")
    y = torch.tensor(cls, dtype=torch.long).repeat_interleave(per_class)
    z = latents(G, len(y), seed)
    x = generate(G, z, y.to(z.device), batch_size=batch_size)
    return x, y


def mix_real_synthetic(real_x: Tensor, real_y: Tensor, G: nn.Module, ratio: float = 1.0, seed: int = 0,
                       balance: bool = True) -> tuple[Tensor, Tensor, Tensor]:
    """Real samples plus ``round(ratio * len(real_x))`` synthetic ones from G.

    ``ratio`` is synthetic samples per real sample (0: real only; 1: doubles the data).
    Synthetic labels are class-balanced (``balance=True``) or follow the real labels'
    frequencies. Returns (x, y, is_synthetic bool (N,)), real first.
    """
    k = _require_conditional(G)
    if ratio < 0:
        raise GanforgeError(f"ratio must be >= 0 (synthetic samples per real sample), got {ratio}")
    real_x, real_y = torch.as_tensor(real_x).float(), torch.as_tensor(real_y).long()
    if real_x.shape[0] != real_y.shape[0]:
        raise GanforgeError(f"real_x has {real_x.shape[0]} samples but real_y {real_y.shape[0]} labels")
    if tuple(real_x.shape[1:]) != tuple(G.out_shape):
        raise GanforgeError(f"real_x samples have shape {tuple(real_x.shape[1:])}, the generator makes {tuple(G.out_shape)}")
    n_syn = round(ratio * len(real_x))
    flags = torch.zeros(len(real_x), dtype=torch.bool)
    if n_syn == 0:
        return real_x, real_y, flags
    gen = torch.Generator().manual_seed(seed)
    if balance:
        y_syn = torch.arange(n_syn) % k
    else:
        freq = torch.bincount(real_y, minlength=k).float()
        y_syn = torch.multinomial(freq, n_syn, replacement=True, generator=gen)
    from ..api import generate, latents

    z = latents(G, n_syn, seed)
    x_syn = generate(G, z, y_syn.to(z.device))
    return (torch.cat([real_x, x_syn]), torch.cat([real_y, y_syn]),
            torch.cat([flags, torch.ones(n_syn, dtype=torch.bool)]))


class MixedDataset(torch.utils.data.Dataset):
    """A ``torch`` dataset of real and synthetic samples (see :func:`mix_real_synthetic`).

    The synthetic pool is drawn once, at construction (seeded), so epochs see the same data.
    Items are ``(x, y, is_synthetic)``; ``.x``, ``.y`` and ``.is_synthetic`` hold all of them.
    """

    def __init__(self, real_x: Tensor, real_y: Tensor, G: nn.Module, ratio: float = 1.0, seed: int = 0,
                 balance: bool = True) -> None:
        self.x, self.y, self.is_synthetic = mix_real_synthetic(real_x, real_y, G, ratio, seed, balance)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor, Tensor]:
        return self.x[i], self.y[i], self.is_synthetic[i]


def write_image_folder(x: Tensor, y: Tensor, class_names: Sequence[str], out) -> int:
    """One PNG per image in ``out/<class name>/NNNNN.png``; returns the number written."""
    from pathlib import Path

    from ..imageio import save_image

    root = Path(out)
    counts: dict[int, int] = {}
    for img, label in zip(x, y.tolist()):
        folder = root / _safe(class_names[label])
        folder.mkdir(parents=True, exist_ok=True)
        i = counts.get(label, 0)
        save_image(img, folder / f"{i:05d}.png")
        counts[label] = i + 1
    return len(y)


def _safe(name: str) -> str:
    """A class name usable as a folder name (path separators and dots-only names replaced)."""
    s = "".join("_" if ch in '/\\:*?"<>|' else ch for ch in str(name)).strip()
    return s if s.strip(".") else f"class_{name!r}"


def table_per_class(gan, label_column: str, per_class: int, seed: int = 0):
    """``per_class`` rows for each value of discrete column ``label_column`` of a fitted
    :class:`ganforge.families.tabular_gan.TabularGAN`, drawn with ``conditions={label_column: value}``."""
    import pandas as pd

    from ..data.tabular_condvec import CondSampler

    discrete = {d["name"]: d for d in CondSampler(gan.transformer_.discrete_info()).discrete}
    if label_column not in discrete:
        raise GanforgeError(f"--label-column {label_column!r} is not a discrete column of this table model; "
                            f"discrete columns: {', '.join(discrete) or '(none)'}")
    parts = [gan.sample(per_class, conditions={label_column: v}, seed=seed + i)
             for i, v in enumerate(discrete[label_column]["categories"])]
    return pd.concat(parts, ignore_index=True)


