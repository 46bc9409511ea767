"""Generated token sequences as a picture (training grids) and as lines of text."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from . import register_sample_plot, register_sample_tiles
from ..data.vocab import format_samples, vocab_from_info


def decode(x: torch.Tensor, info: Any) -> list[str]:
    """(N, T) ids -> N printable lines: decoded with the vocabulary in ``info.extra['vocab']``,
    else the ids (the synthetic oracle's tokens have no text)."""
    return format_samples(x.long().cpu(), vocab_from_info(info))


@register_sample_plot("tokens", help="generated sequences as lines of text (also written next to it as .txt)")
def plot_tokens(samples: torch.Tensor, path: str | Path, info: Any, real: torch.Tensor | None = None,
                title: str = "", n_lines: int = 16) -> Path:
    """A PNG with up to ``n_lines`` generated sequences (and ``path`` with suffix .txt holding all)."""
    from PIL import Image, ImageDraw

    lines = decode(samples, info)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    shown = ([title, ""] if title else []) + [ln[:120] for ln in lines[:n_lines]]
    img = Image.new("RGB", (8 + 7 * max(len(s) for s in shown), 8 + 14 * len(shown)), "white")
    draw = ImageDraw.Draw(img)
    for i, s in enumerate(shown):
        draw.text((4, 4 + 14 * i), s, fill="black")
    img.save(out)
    return out


@register_sample_tiles("tokens", help="each sequence as its decoded text")
def token_tiles(samples: torch.Tensor, info: Any) -> list[dict[str, Any]]:
    return [{"caption": line} for line in decode(samples, info)]
