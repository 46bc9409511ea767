"""Sample pictures for kinds of data that are neither images nor points, chosen by the data's
kind (``DataInfo.kind``): the training loop and ``ganforge sample`` look the kind up here
instead of branching on it.

A plot function is ``fn(samples, path, info, real=None, title="") -> Path``: ``samples`` are
generator outputs in the units the model was trained on, ``info`` is the dataset's
:class:`~ganforge.data.base.DataInfo` (or the same fields from a saved generator's meta) and
``real`` a few real samples for comparison (None when sampling a saved model).

Sample tiles are what the web explorer shows for one sample of a kind that is not an image:
``fn(samples, info) -> list[Tile]``, one tile per sample, each a dict with any of ``"image"``
(PNG bytes), ``"audio"`` (WAV bytes) and ``"caption"`` (text). Kinds without tiles (and not
images) are not shown by the explorer.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..registry import Registry

SamplePlot = Callable[..., Path]
SAMPLE_PLOTS: Registry[SamplePlot] = Registry("sample plot")


def register_sample_plot(kind: str, help: str = "") -> Callable[[SamplePlot], SamplePlot]:
    """Decorator: draw samples of data kind ``kind`` as a PNG."""

    def deco(fn: SamplePlot) -> SamplePlot:
        SAMPLE_PLOTS.register(kind, fn, help=help)
        return fn

    return deco


Tile = dict[str, Any]
SampleTiles = Callable[[Any, Any], list[Tile]]
SAMPLE_TILES: Registry[SampleTiles] = Registry("sample tiles")
TILE_FIELDS = ("image", "audio", "caption")


def register_sample_tiles(kind: str, help: str = "") -> Callable[[SampleTiles], SampleTiles]:
    """Decorator: ``fn(samples, info) -> list of tiles`` (one per sample: ``image`` PNG bytes,
    ``audio`` WAV bytes, ``caption`` str; any subset) for the explorer, for data kind ``kind``."""

    def deco(fn: SampleTiles) -> SampleTiles:
        SAMPLE_TILES.register(kind, fn, help=help)
        return fn

    return deco


def info_from_meta(meta: dict[str, Any]) -> Any:
    """A DataInfo rebuilt from a saved generator's ``meta`` (kind, dataset, data_shape, data_extra)."""
    from ..data.base import DataInfo

    return DataInfo(name=str(meta.get("dataset", "")), kind=str(meta.get("kind", "")),
                    shape=tuple(meta.get("data_shape") or ()), class_names=meta.get("class_names"),
                    extra=dict(meta.get("data_extra") or {}))


# Each module registers the plots of its data kind on import.
from . import series, text  # noqa: E402,F401  (kinds: series, tokens)
from . import molecules  # noqa: E402,F401  (kind: smiles)
from . import molgraphs  # noqa: E402,F401  (kind: molgraph)
from . import audio  # noqa: E402,F401  (kind: audio)
from . import music  # noqa: E402,F401  (kind: pianoroll)
