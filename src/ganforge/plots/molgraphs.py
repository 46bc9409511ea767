"""Generated molecule graphs (kind ``molgraph``) drawn by RDKit: each graph is decoded to a
molecule (:func:`ganforge.data.molgraphs.graphs_to_smiles`) and drawn as SMILES molecules are
(:mod:`.molecules`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from . import register_sample_plot, register_sample_tiles
from .molecules import save_smiles_grid, smiles_tile_list


def graph_smiles(samples: torch.Tensor, info: Any) -> list[str]:
    """(N, M, A + M * B) graphs -> N SMILES (``invalid`` for a graph that is not a molecule)."""
    from ..data.molgraphs import graphs_to_smiles

    return graphs_to_smiles(samples, info.extra)


@register_sample_plot("molgraph", help="generated molecule graphs drawn by RDKit in a grid (also written as .smi)")
def plot_molgraphs(samples: torch.Tensor, path: str | Path, info: Any, real: torch.Tensor | None = None,
                   title: str = "", n: int = 16) -> Path:
    """A PNG grid of up to ``n`` generated molecules (``path`` with suffix .smi holds all of them)."""
    return save_smiles_grid(graph_smiles(samples, info), path, title, n)


@register_sample_tiles("molgraph", help="each generated graph drawn by RDKit, its SMILES as the caption")
def molgraph_tiles(samples: torch.Tensor, info: Any, size: int = 200) -> list[dict[str, Any]]:
    """One tile per generated graph: its RDKit drawing (none for an invalid graph, whose caption
    says so) and its SMILES."""
    return smiles_tile_list(graph_smiles(samples, info), size, invalid="invalid graph (not one sanitisable molecule)")
