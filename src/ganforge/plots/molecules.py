"""Generated molecules drawn by RDKit: a grid of 2-D structure drawings with their SMILES."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import torch

from . import register_sample_plot, register_sample_tiles
from ..data.vocab import format_samples, vocab_from_info


def decode_smiles(x: torch.Tensor, info: Any) -> list[str]:
    """(N, T) SMILES token ids -> N SMILES strings, with the vocabulary in ``info.extra['vocab']``."""
    return format_samples(x.long().cpu(), vocab_from_info(info))


def grid_image(smiles: Sequence[str], per_row: int = 4, size: int = 220, title: str = "") -> Any:
    """A PIL image: one cell per SMILES, its RDKit drawing (an empty cell marked "invalid" for a
    SMILES RDKit cannot parse) above the SMILES, cut to fit."""
    from PIL import Image, ImageDraw
    from rdkit.Chem import Draw

    from ..data.molecules import quiet_rdkit, to_mol

    n = max(1, len(smiles))
    rows = -(-n // per_row)
    top = 18 if title else 0
    img = Image.new("RGB", (per_row * size, top + rows * (size + 14)), "white")
    draw = ImageDraw.Draw(img)
    if title:
        draw.text((4, 3), title, fill="black")
    with quiet_rdkit():
        for i, s in enumerate(smiles):
            x0, y0 = (i % per_row) * size, top + (i // per_row) * (size + 14)
            mol = to_mol(s)
            if mol is not None:
                img.paste(Draw.MolToImage(mol, size=(size, size)), (x0, y0))
            else:
                draw.text((x0 + size // 2 - 20, y0 + size // 2), "invalid", fill="red")
            label = s if len(s) <= size // 6 else s[: size // 6 - 1] + "~"
            draw.text((x0 + 3, y0 + size), label, fill="black" if mol is not None else "red")
    return img


def save_smiles_grid(smiles: Sequence[str], path: str | Path, title: str = "", n: int = 16) -> Path:
    """All ``smiles`` to ``path`` with suffix .smi (one a line) and a PNG grid of the first ``n``
    to ``path``: the loop's sample picture of every molecule kind."""
    from ..fileio import save_pil, write_text

    out = Path(path)
    write_text(out.with_suffix(".smi"), "\n".join(smiles) + "\n", "the generated SMILES")
    save_pil(grid_image(smiles[:n], title=title), out, "the molecule grid")
    return out


def smiles_tile_list(smiles: Sequence[str], size: int = 200, invalid: str = "invalid: {}") -> list[dict[str, Any]]:
    """One explorer tile per SMILES: its RDKit drawing as PNG bytes and the SMILES as caption; a
    SMILES RDKit cannot parse gets no image and the caption ``invalid.format(smiles)``."""
    import io

    from rdkit.Chem import Draw

    from ..data.molecules import quiet_rdkit, to_mol

    tiles: list[dict[str, Any]] = []
    with quiet_rdkit():
        for s in smiles:
            mol = to_mol(s)
            if mol is None:
                tiles.append({"caption": invalid.format(s)})
                continue
            buf = io.BytesIO()
            Draw.MolToImage(mol, size=(size, size)).save(buf, format="PNG")
            tiles.append({"image": buf.getvalue(), "caption": s})
    return tiles


@register_sample_plot("smiles", help="generated molecules drawn by RDKit in a grid (also written as .smi)")
def plot_smiles(samples: torch.Tensor, path: str | Path, info: Any, real: torch.Tensor | None = None,
                title: str = "", n: int = 16) -> Path:
    """A PNG grid of up to ``n`` generated molecules (``path`` with suffix .smi holds all of them)."""
    return save_smiles_grid(decode_smiles(samples, info), path, title, n)


@register_sample_tiles("smiles", help="each molecule drawn by RDKit, its SMILES as the caption")
def smiles_tiles(samples: torch.Tensor, info: Any, size: int = 200) -> list[dict[str, Any]]:
    """One tile per generated molecule: its RDKit drawing as PNG bytes (none for an invalid
    SMILES, whose caption says so) and its SMILES."""
    return smiles_tile_list(decode_smiles(samples, info), size)
