"""Dataset classes for image-to-image tasks: aligned pairs and two unaligned domains.

Batches are dicts of tensors. Paired batches hold ``a`` (the input, (N, Ca, H, W) in [-1, 1])
and ``b`` (the target, (N, Cb, H', W')), plus task fields (``y`` source label, ``mask``).
Unpaired batches hold ``a`` and ``b`` from the two domains, with labels ``ya`` and ``yb``
where the source has labels.

Image fields may be stored as uint8 (large folder datasets: 4x less memory) and are turned
into float [-1, 1] in :meth:`get_batch`. When a crop size and/or flipping is set, every
batch is randomly cropped and flipped with the torch.Generator the sampler passes in, so
batches are reproducible from its checkpointed state; both images of a pair get the *same*
crop and flip.
"""
from __future__ import annotations

import torch

from ..errors import GanforgeError
from .base import DataInfo, TensorDataset, to_unit_range


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [-1, 1]; float images pass through unchanged."""
    return to_unit_range(images) if images.dtype == torch.uint8 else images


def crop_flip(images: list[torch.Tensor], crop: tuple[int, int] | None, flip: bool, random: bool,
              generator: torch.Generator | None) -> list[torch.Tensor]:
    """Crop every tensor of ``images`` (each (N, C, H, W), same N, H, W) with the same window
    and flip them together, one window per sample.

    random=True: uniform crop offsets and a horizontal flip with probability 1/2 (when
    ``flip``), drawn from ``generator``. random=False: the centre crop, no flip.
    """
    n, (h, w) = images[0].shape[0], images[0].shape[-2:]
    for t in images[1:]:
        if t.shape[0] != n or t.shape[-2:] != (h, w):
            raise ValueError(f"crop_flip: tensors of different sizes {[tuple(t.shape) for t in images]}")
    ch, cw = crop or (h, w)
    if random:
        top = torch.randint(0, h - ch + 1, (n,), generator=generator)
        left = torch.randint(0, w - cw + 1, (n,), generator=generator)
        flips = (torch.rand(n, generator=generator) < 0.5) if flip else torch.zeros(n, dtype=torch.bool)
    else:
        top = torch.full((n,), (h - ch) // 2)
        left = torch.full((n,), (w - cw) // 2)
        flips = torch.zeros(n, dtype=torch.bool)
    out = []
    for t in images:
        rows = []
        for i in range(n):
            s = t[i, :, top[i]:top[i] + ch, left[i]:left[i] + cw]
            rows.append(s.flip(-1) if flips[i] else s)
        out.append(torch.stack(rows))
    return out


class PairedDataset(TensorDataset):
    """Aligned pairs: fields ``a``, ``b`` (same H, W when cropping) and any per-sample extras.

    ``crop``: output (h, w) of a crop applied to ``a``, ``b`` (and ``mask``) together, or None.
    ``flip``: random horizontal flips. ``random``: random crops/flips (training) or the centre
    crop (evaluation).
    """

    image_fields = ("a", "b", "mask")

    def __init__(self, fields: dict[str, torch.Tensor], info: DataInfo, crop: tuple[int, int] | None = None,
                 flip: bool = False, random: bool = True) -> None:
        super().__init__(fields, info)
        for key in ("a", "b"):
            if key not in fields:
                raise ValueError(f"paired dataset {info.name!r} needs a field {key!r}")
        self.crop, self.flip, self.random = crop, flip, random

    def get_batch(self, idx: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        batch = {k: v[idx] for k, v in self.fields.items()}
        keys = [k for k in self.image_fields if k in batch]
        if self.crop is not None or (self.flip and self.random):
            for k, v in zip(keys, crop_flip([batch[k] for k in keys], self.crop, self.flip, self.random, generator)):
                batch[k] = v
        for k in ("a", "b"):
            batch[k] = to_float(batch[k])
        return batch

    def subset(self, idx: torch.Tensor) -> "PairedDataset":
        return PairedDataset({k: v[idx] for k, v in self.fields.items()}, self.info, self.crop, self.flip, self.random)


class UnpairedDataset(TensorDataset):
    """Two unaligned domains of possibly different sizes.

    ``fields`` is domain A (``a`` plus e.g. ``ya``) and defines ``len(self)`` and the index
    space the sampler walks; ``fields_b`` is domain B (``b`` plus e.g. ``yb``). Each batch
    takes A at ``idx`` and draws B indices uniformly with ``generator`` (as CycleGAN does),
    so a batch is reproducible from the generator's state. Crops and flips are drawn
    independently per domain.
    """

    def __init__(self, fields: dict[str, torch.Tensor], fields_b: dict[str, torch.Tensor], info: DataInfo,
                 crop: tuple[int, int] | None = None, flip: bool = False, random: bool = True) -> None:
        super().__init__(fields, info)
        if "a" not in fields or "b" not in fields_b:
            raise ValueError(f"unpaired dataset {info.name!r} needs fields 'a' (domain A) and 'b' (domain B)")
        self.domain_b = TensorDataset(fields_b, info)
        self.crop, self.flip, self.random = crop, flip, random

    @property
    def fields_b(self) -> dict[str, torch.Tensor]:
        return self.domain_b.fields

    def tensors(self) -> list[dict[str, torch.Tensor]]:
        return [self.fields, self.fields_b]

    def len_b(self) -> int:
        return len(self.domain_b)

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        if self.crop is not None or (self.flip and self.random):
            images = crop_flip([images], self.crop, self.flip, self.random, generator)[0]
        return to_float(images)

    def get_batch(self, idx: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        idx_b = torch.randint(0, self.len_b(), (len(idx),), generator=generator)
        batch = {k: v[idx] for k, v in self.fields.items()}
        batch.update({k: v[idx_b] for k, v in self.fields_b.items()})
        batch["a"] = self._augment(batch["a"], generator)
        batch["b"] = self._augment(batch["b"], generator)
        return batch

    def get_batch_b(self, idx: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Domain B at ``idx`` (for evaluating B -> A translation over all of B)."""
        batch = {k: v[idx] for k, v in self.fields_b.items()}
        batch["b"] = self._augment(batch["b"], generator)
        return batch

    def subset(self, idx: torch.Tensor) -> "UnpairedDataset":
        return UnpairedDataset({k: v[idx] for k, v in self.fields.items()}, self.fields_b, self.info,
                               self.crop, self.flip, self.random)


def check_options(options: dict, dataset: str, accepted: dict[str, type | tuple[type, ...]]) -> dict:
    """Reject unknown or mistyped ``data.options`` keys, naming what is accepted."""
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise GanforgeError(f"data.options {unknown} not understood by dataset {dataset!r}; "
                            f"accepted: {', '.join(sorted(accepted)) or 'none'}")
    for key, value in options.items():
        types = accepted[key]
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)))
        if not ok:
            names = "/".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
            raise GanforgeError(f"data.options.{key} for dataset {dataset!r} must be {names}, got {value!r}")
    return options


def check_limit(limit: int | None) -> None:
    if limit is not None and limit <= 0:
        raise GanforgeError(f"data.limit must be positive, got {limit}")
