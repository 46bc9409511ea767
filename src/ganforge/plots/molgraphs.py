"""Generated molecule graphs (kind ``molgraph``) drawn by RDKit: each graph is decoded to a
molecule (:func:`ganforge.data.molgraphs.graphs_to_smiles`) and drawn as SMILES molecules are
(:mod:`.molecules`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from . import register_sample_plot, register_sample_tiles
from .molecules import grid_image


def graph_smiles(samples: torch.Tensor, info: Any) -> list[str]:
    """(N, M, A + M * B) graphs -> N SMILES (``invalid`` for a graph that is not a molecule)."""
    from ..data.molgraphs import graphs_to_smiles

    return graphs_to_smiles(samples, info.extra)


@register_sample_plot("molgraph", help="generated molecule graphs drawn by RDKit in a grid (also written as .smi)")
def plot_molgraphs(samples: torch.Tensor, path: str | Path, info: Any, real: torch.Tensor | None = None,
                   title: str = "", n: int = 16) -> Path:
    """A PNG grid of up to ``n`` generated molecules (``path`` with suffix .smi holds all of them)."""
    from ..fileio import save_pil, write_text

    smiles = graph_smiles(samples, info)
    out = Path(path)
    write_text(out.with_suffix(".smi"), "\n".join(smiles) + "\n", "the generated SMILES")
    save_pil(grid_image(smiles[:n], title=title), out, "the molecule grid")
    return out


@register_sample_tiles("molgraph", help="each generated graph drawn by RDKit, its SMILES as the caption")
def molgraph_tiles(samples: torch.Tensor, info: Any, size: int = 200) -> list[dict[str, Any]]:
    """One tile per generated graph: its RDKit drawing (none for an invalid graph, whose caption
    says so) and its SMILES."""
    import io

    from rdkit.Chem import Draw

    from ..data.molecules import quiet_rdkit, to_mol

    tiles: list[dict[str, Any]] = []
    with quiet_rdkit():
        for s in graph_smiles(samples, info):
            mol = to_mol(s)
            if mol is None:
                tiles.append({"caption": "invalid graph (not one sanitisable molecule)"})
                continue
            buf = io.BytesIO()
            Draw.MolToImage(mol, size=(size, size)).save(buf, format="PNG")
            tiles.append({"image": buf.getvalue(), "caption": s})
    return tiles
