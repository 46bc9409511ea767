"""Pictures of audio samples: log-magnitude spectrograms (time left to right, frequency 0-8 kHz
bottom to top, an 80 dB range below each clip's loudest bin), as a grid for the training loop's
sample pictures and ``ganforge sample``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import register_sample_plot, register_sample_tiles
from ..layers.stft import log_magnitude

#: natural-log range shown below each clip's peak (80 dB: ln(10^4))
RANGE = float(np.log(1e4))


def spectrogram_images(waves: torch.Tensor) -> np.ndarray:
    """Waves (N, 1, L) or (N, L) -> RGB spectrogram pictures (N, 128, 128, 3) uint8 (magma colours,
    low frequencies at the bottom)."""
    from matplotlib import colormaps

    with torch.no_grad():
        m = log_magnitude(waves.detach().float().cpu()).numpy()  # (N, bins, frames)
    top = m.max(axis=(1, 2), keepdims=True)
    unit = np.clip((m - (top - RANGE)) / RANGE, 0.0, 1.0)[:, ::-1, :]
    rgb = colormaps["magma"](unit)[..., :3]
    return (rgb * 255).round().astype(np.uint8)


def spectrogram_png(wave: torch.Tensor, scale: int = 1) -> bytes:
    """One clip's spectrogram as PNG bytes (128 x 128 px, times ``scale``)."""
    import io

    from PIL import Image

    img = Image.fromarray(spectrogram_images(wave.reshape(1, -1))[0])
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _grid(images: np.ndarray, ncol: int, pad: int = 2) -> np.ndarray:
    n, h, w, _ = images.shape
    nrow = -(-n // ncol)
    out = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, 3), 255, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, ncol)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = im
    return out


def _columns(n: int, info: Any) -> int:
    k = int(getattr(info, "num_classes", 0) or len(getattr(info, "class_names", None) or []))
    return k if k and n % k == 0 and k <= 10 else min(8, n)


@register_sample_plot("audio", help="log-magnitude spectrograms of generated (and real) clips, a grid each")
def plot_audio(samples: torch.Tensor, path: str | Path, info: Any, real: torch.Tensor | None = None,
               title: str = "", n_clips: int = 32, labels: list[str] | None = None, what: str = "generated") -> Path:
    """Spectrograms of up to ``n_clips`` generated clips (and as many real ones, if given) as a
    PNG; ``labels`` names the first clips' classes in the caption, ``what`` says what they are."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = int(getattr(info, "num_classes", 0) or len(getattr(info, "class_names", None) or []))
    if 0 < k <= 10 and min(len(samples), n_clips) >= k:  # whole rows of classes (samples i has class i % k)
        n_clips = min(len(samples), n_clips) // k * k
    fake = spectrogram_images(samples[:n_clips])
    panels = [(what, fake)]
    if real is not None:
        panels.append(("real", spectrogram_images(real[:n_clips])))
    ncol = _columns(len(fake), info)
    grids = [(name, len(imgs), _grid(imgs, ncol)) for name, imgs in panels]
    height = sum(g.shape[0] for _, _, g in grids) / 100 + 0.5 * len(grids)
    fig, axes = plt.subplots(len(grids), 1, figsize=(max(4.0, grids[0][2].shape[1] / 100), height), squeeze=False)
    for ax, (name, count, g) in zip(axes[:, 0], grids):
        ax.imshow(g, interpolation="nearest")
        ax.set_axis_off()
        caption = f"{name}: {count} clips, spectrograms 0-8 kHz (bottom to top), 1 s"
        if name == what and labels:
            caption += " | classes: " + ", ".join(labels[:ncol])
        ax.set_title(caption if not title or name != what else f"{title} - {caption}", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    from ..fileio import atomic_write

    atomic_write(out, lambda f: fig.savefig(f, format="png", dpi=100), "the spectrogram grid")
    plt.close(fig)
    return out


@register_sample_tiles("audio", help="each clip as its spectrogram picture and a playable 16-bit WAV")
def audio_tiles(samples: torch.Tensor, info: Any) -> list[dict[str, Any]]:
    """One tile per clip (N, 1, L): ``image`` its spectrogram (PNG, 128 x 128), ``audio`` the clip
    as a WAV file at the data's sample rate, ``caption`` its peak level."""
    from ..data.audio_io import SAMPLE_RATE, wav_bytes

    rate = int((getattr(info, "extra", None) or {}).get("sample_rate", SAMPLE_RATE))
    waves = samples.detach().float().cpu()
    pngs = spectrogram_images(waves)
    tiles = []
    for wave, img in zip(waves, pngs):
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG")
        peak = float(wave.abs().max())
        level = f"peak {20 * np.log10(peak):.0f} dBFS" if peak > 0 else "silent"
        tiles.append({"image": buf.getvalue(), "audio": wav_bytes(wave.numpy().reshape(-1), rate),
                      "caption": f"{wave.numel() / rate:.2f} s, {level}"})
    return tiles
