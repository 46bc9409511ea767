"""The dataset contract and the dataset registry.

A dataset is held in memory as named tensors that share their first dimension, e.g.
``{"x": (N, 1, 28, 28) float in [-1, 1], "y": (N,) int64}``. A batch is a dict of the same
names. Datasets whose fields are not aligned (unpaired image domains) override
:meth:`TensorDataset.get_batch` and draw the unaligned indices from the generator they are
given, so the sampler's checkpointed RNG state makes every batch reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from ..errors import GanforgeError
from ..registry import Registry


@dataclass
class DataInfo:
    """What networks and families need to know about a dataset.

    kind: ``image`` (x is (C, H, W) in [-1, 1]), ``points`` (x is (D,) real vectors),
    ``paired`` / ``unpaired`` (image-to-image), ``tokens``, ``table`` or ``series``.
    shape: the shape of one ``x`` sample. num_classes: 0 when unlabelled.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    num_classes: int = 0
    class_names: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class TensorDataset:
    """Named tensors with a common first dimension, plus :class:`DataInfo`."""

    def __init__(self, fields: dict[str, torch.Tensor], info: DataInfo) -> None:
        if not fields:
            raise GanforgeError(f"dataset {info.name!r} is empty")
        lengths = {k: v.shape[0] for k, v in fields.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"dataset {info.name!r}: fields have different lengths {lengths}")
        n = next(iter(lengths.values()))
        if n == 0:
            raise GanforgeError(f"dataset {info.name!r} holds no samples")
        self.fields, self.info = fields, info

    def __len__(self) -> int:
        return next(iter(self.fields.values())).shape[0]

    def get_batch(self, idx: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        return {k: v[idx] for k, v in self.fields.items()}

    def subset(self, idx: torch.Tensor) -> "TensorDataset":
        return TensorDataset({k: v[idx] for k, v in self.fields.items()}, self.info)

    def tensors(self) -> list[dict[str, torch.Tensor]]:
        """Every dict of named tensors the dataset holds (subclasses with a second domain add it)."""
        return [self.fields]

    def keep_on(self, device: torch.device, share: float = 0.5) -> bool:
        """Move every tensor to ``device`` once when they take at most ``share`` of its free
        memory, so batches are gathered there with no host-to-device copy per step. Returns
        whether they moved. A no-op on the CPU (and on devices that report no free memory):
        batches are then copied per step as before. Indexing is the same on either side and
        the sampler's random draws stay on the CPU, so the batches, and exact resume, are unchanged."""
        if device.type != "cuda":
            return False
        size = sum(v.numel() * v.element_size() for d in self.tensors() for v in d.values())
        free, _ = torch.cuda.mem_get_info(device)
        if size > share * free:
            return False
        for d in self.tensors():
            for k in d:
                d[k] = d[k].to(device)
        return True

    @property
    def x(self) -> torch.Tensor:
        return self.fields["x"]

    @property
    def y(self) -> torch.Tensor | None:
        return self.fields.get("y")


DatasetBuilder = Callable[..., TensorDataset]
DATASETS: Registry[DatasetBuilder] = Registry("dataset")
#: dataset-specific options (keys of ``DataConfig.options``) -> one-line help; the command line
#: offers each as a flag (``--window 64`` sets ``data.options.window``)
DATA_OPTIONS: dict[str, str] = {}


def register_dataset(name: str, help: str = "", options: dict[str, str] | None = None):
    """Decorator: register ``builder(cfg: DataConfig, **params) -> TensorDataset`` under ``name``.

    A name ending in ``:`` (e.g. ``folder:``) is a prefix dataset: ``folder:PATH`` calls the
    builder with ``path=PATH``. ``options`` names the keys of ``cfg.options`` the builder reads,
    with a one-line help each (datasets may share an option name, e.g. ``window``).
    """

    def deco(fn: DatasetBuilder) -> DatasetBuilder:
        DATASETS.register(name, fn, help=help)
        for key, text in (options or {}).items():
            DATA_OPTIONS.setdefault(key, text)
        return fn

    return deco


def build_dataset(cfg: Any) -> TensorDataset:
    """Build the dataset named by ``cfg.name`` (a :class:`ganforge.config.DataConfig`)."""
    name: str = cfg.name
    if ":" in name:
        prefix, _, arg = name.partition(":")
        builder = DATASETS.get(prefix + ":")
        if not arg:
            raise GanforgeError(f"data.name {name!r}: give a path after '{prefix}:'")
        return builder(cfg, path=arg)
    return DATASETS.get(name)(cfg)


def to_unit_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [-1, 1]."""
    return images_uint8.float().div_(127.5).sub_(1.0)


def resize_images(x: torch.Tensor, resolution: int | None) -> torch.Tensor:
    """Bilinear (antialiased) resize of (N, C, H, W) float images to resolution x resolution."""
    if resolution is None or (x.shape[-1] == resolution and x.shape[-2] == resolution):
        return x
    out = torch.nn.functional.interpolate(x, size=(resolution, resolution), mode="bilinear",
                                          align_corners=False, antialias=True)
    return out.clamp_(-1.0, 1.0)
