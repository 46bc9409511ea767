"""Networks for one-second audio clips (Donahue, McAuley & Puckette 2019, "Adversarial Audio
Synthesis"): WaveGAN's generator and discriminator on raw waveforms, and SpecGAN's generator,
a DCGAN on 128x128 log-magnitude spectrograms whose forward inverts them to waveforms with
Griffin-Lim.

Waveforms are (N, 1, 16384) in [-1, 1] (16 kHz). WaveGAN (Table 2 of the paper, d = ``width``,
64 in the paper): G maps z through a dense layer to 16 x 16d, then five transposed 1-D
convolutions with length-25 filters and stride 4 (16d -> 8d -> 4d -> 2d -> d -> 1 channels,
16 -> 16384 samples), ReLU between and tanh at the end, no batch norm. D mirrors it with
stride-4 convolutions, LeakyReLU(0.2) and phase shuffle (n = 2) after every layer but the last,
then a dense layer to one raw logit. Labels enter G as an embedding concatenated to z and D as
a projection term (Miyato & Koyama 2018).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor, nn

from ..layers import ProjectionHead
from ..layers.cond import FeatureHeadDiscriminator
from ..layers.stft import BINS, CLIP_SAMPLES, FRAMES, denormalise, griffin_lim
from .base import Net, discriminator_example_inputs, generator_example_inputs, register_net
from .dcgan import DCGANGenerator
from .mlp import GeneratorMixin

KERNEL, STRIDE, BASE = 25, 4, 16


def _stages(length: int) -> int:
    """Stride-4 stages between 16 samples and ``length`` (16 * 4^k)."""
    k = round(math.log(max(length, 1) / BASE, STRIDE))
    if k < 1 or BASE * STRIDE ** k != length:
        raise ValueError(f"WaveGAN length {length} is not supported: use 16 x 4^k samples (16384 = 1 s at 16 kHz)")
    return k


def _channels(width: int, stages: int) -> list[int]:
    """Channels from the dense layer down: [16d, 8d, 4d, 2d, d] for five stages."""
    return [width * 2 ** i for i in reversed(range(stages))]


def phase_shuffle(x: Tensor, n: int) -> Tensor:
    """WaveGAN's phase shuffle (sec. 3.3): shift each sample of (N, C, L) by a random whole number
    of steps in [-n, n], filling the edge by reflection. Draws from the global RNG (which the
    training checkpoint holds, so resume stays exact)."""
    if n <= 0:
        return x
    b, c, length = x.shape
    shift = torch.randint(-n, n + 1, (b, 1, 1), device=x.device)
    padded = nn.functional.pad(x, (n, n), mode="reflect")
    idx = (torch.arange(length, device=x.device).view(1, 1, -1) + n - shift).expand(b, c, length)
    return padded.gather(2, idx)


def _init(module: nn.Module) -> None:
    """He-uniform convolutions (PyTorch's default), zero biases."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d, nn.Linear)) and m.bias is not None:
            nn.init.zeros_(m.bias)


@register_net("wavegan_g", help="WaveGAN generator: dense + 1-D transposed convs (length 25, stride 4) -> waveform")
class WaveGANGenerator(GeneratorMixin, Net):
    """``G(z, c) -> x`` with x (N, 1, length) in [-1, 1]."""

    def __init__(self, z_dim: int = 100, out_shape: Sequence[int] = (1, CLIP_SAMPLES), width: int = 64,
                 num_classes: int = 0, embed_dim: int = 50) -> None:
        super().__init__()
        channels, length = out_shape
        self.z_dim, self.num_classes, self.out_shape = z_dim, num_classes, tuple(out_shape)
        chans = _channels(width, _stages(length))
        self.c0 = chans[0]
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        self.fc = nn.Linear(z_dim + (embed_dim if num_classes else 0), BASE * chans[0])
        layers: list[nn.Module] = []
        for cin, cout in zip(chans, chans[1:] + [channels]):
            layers += [nn.ReLU(), nn.ConvTranspose1d(cin, cout, KERNEL, STRIDE, padding=11, output_padding=1)]
        self.blocks = nn.Sequential(*layers, nn.Tanh())
        _init(self)

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 8, "out_shape": [1, 1024], "width": 2, "num_classes": 3, "embed_dim": 4}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, ...]:
        """z (n, z_dim) and labels (n,)."""
        return generator_example_inputs(self, n, generator)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        if self.embed is not None:
            if c is None:
                raise ValueError("conditional generator needs class labels c")
            z = torch.cat([z, self.embed(c)], dim=1)
        return self.blocks(self.fc(z).view(z.shape[0], self.c0, BASE))


@register_net("wavegan_d", help="WaveGAN discriminator: 1-D convs (length 25, stride 4), phase shuffle, raw logit")
class WaveGANDiscriminator(FeatureHeadDiscriminator, Net):
    """``D(x, c) -> logits`` (N,) for x (N, 1, length). ``shuffle``: phase shuffle's n (0: off);
    it acts in training mode only, so a net in eval mode (hooks, metrics) is deterministic."""

    def __init__(self, in_shape: Sequence[int] = (1, CLIP_SAMPLES), width: int = 64, num_classes: int = 0,
                 shuffle: int = 2, pack: int = 1) -> None:
        super().__init__()
        if pack != 1:
            raise ValueError("wavegan_d does not pack samples (pack must be 1)")
        channels, length = in_shape
        self.in_shape, self.num_classes, self.shuffle = tuple(in_shape), num_classes, shuffle
        chans = list(reversed(_channels(width, _stages(length))))  # d, 2d, ..., 16d
        self.convs = nn.ModuleList()
        cin = channels
        for cout in chans:
            self.convs.append(nn.Conv1d(cin, cout, KERNEL, STRIDE, padding=11))
            cin = cout
        feat = BASE * chans[-1]
        self.head = nn.Linear(feat, 1)
        self.proj = ProjectionHead(num_classes, feat) if num_classes else None
        _init(self)

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 1024], "width": 2, "num_classes": 3}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, ...]:
        """x (n, *in_shape) in [-1, 1] and labels (n,)."""
        return discriminator_example_inputs(self, n, generator)

    def features(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        """Flattened last-layer features (N, 16 x 16d)."""
        last = len(self.convs) - 1
        for i, conv in enumerate(self.convs):
            x = nn.functional.leaky_relu(conv(x), 0.2)
            if i < last and self.training:
                x = phase_shuffle(x, self.shuffle)
        return x.flatten(1)


@register_net("specgan_g", help="SpecGAN generator: DCGAN on 128x128 log-magnitude spectrograms, Griffin-Lim to "
                                "waveforms")
class SpecGANGenerator(GeneratorMixin, Net):
    """``G(z, c) -> x`` waveforms (N, 1, 16384) in [-1, 1]; :meth:`spectrogram` gives the
    normalised log-magnitude spectrograms (N, 1, 128, 128) in [-1, 1] that D judges in training.

    ``spec_mean`` / ``spec_std``: the per-frequency-bin moments (128 each) of the training clips'
    log magnitudes (SpecGAN's normalisation, :mod:`ganforge.layers.stft`); with them the forward
    undoes the normalisation and runs ``griffin_lim`` iterations of phase recovery. The
    spectrogram network is :class:`~ganforge.nets.dcgan.DCGANGenerator` at 128 px."""

    def __init__(self, z_dim: int = 100, out_shape: Sequence[int] = (1, CLIP_SAMPLES), width: int = 64,
                 num_classes: int = 0, embed_dim: int = 50, spec_mean: Sequence[float] | None = None,
                 spec_std: Sequence[float] | None = None, griffin_lim: int = 32) -> None:
        super().__init__()
        if tuple(out_shape) != (1, CLIP_SAMPLES):
            raise ValueError(f"SpecGAN makes clips of shape (1, {CLIP_SAMPLES}), got out_shape={tuple(out_shape)}")
        self.z_dim, self.num_classes, self.out_shape = z_dim, num_classes, tuple(out_shape)
        self.iterations = griffin_lim
        self.body = DCGANGenerator(z_dim=z_dim, out_shape=(1, BINS, FRAMES), width=width, num_classes=num_classes,
                                   embed_dim=embed_dim)
        mean = torch.tensor(list(spec_mean), dtype=torch.float32) if spec_mean is not None else torch.zeros(BINS)
        std = torch.tensor(list(spec_std), dtype=torch.float32) if spec_std is not None else torch.ones(BINS)
        if mean.shape != (BINS,) or std.shape != (BINS,):
            raise ValueError(f"spec_mean and spec_std need {BINS} values each, got {tuple(mean.shape)} and "
                             f"{tuple(std.shape)}")
        # constants rebuilt from config.json (kwargs), not weights
        self.register_buffer("spec_mean", mean, persistent=False)
        self.register_buffer("spec_std", std, persistent=False)

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 8, "width": 2, "num_classes": 3, "embed_dim": 4, "griffin_lim": 2}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, ...]:
        """z (n, z_dim) and labels (n,)."""
        return generator_example_inputs(self, n, generator)

    def spectrogram(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        """Normalised log-magnitude spectrograms (N, 1, 128, 128) in [-1, 1]."""
        return self.body(z, c)

    def to_wave(self, spec: Tensor) -> Tensor:
        """Spectrograms (N, 1, 128, 128) in [-1, 1] -> waveforms (N, 1, 16384) in [-1, 1] (float32)."""
        wave = griffin_lim(denormalise(spec, self.spec_mean, self.spec_std), self.iterations)
        return wave.clamp(-1.0, 1.0).unsqueeze(1)

    def forward(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        return self.to_wave(self.spectrogram(z, c))


@register_net("spoken_digit_classifier", help="small CNN on log-magnitude spectrograms (16 kHz clips -> 10 digit "
                                              "logits), used by the audio metrics")
class SpokenDigitClassifier(Net):
    """Waves (N, 1, 16384) -> raw logits (N, num_classes): the normalised log-magnitude
    spectrogram (128 x 128, the moments ``spec_mean`` / ``spec_std`` of its training clips),
    average-pooled to 64 x 64, four conv (3x3) + ReLU + 2x2 max-pool stages (16, 32, 64, 128
    channels), global average pooling to ``features`` (128), dropout, a linear head. Trained by
    ``scripts/train_spoken_digit_classifier.py`` and shipped in ``ganforge/assets/``."""

    def __init__(self, num_classes: int = 10, width: int = 16, spec_mean: Sequence[float] | None = None,
                 spec_std: Sequence[float] | None = None, dropout: float = 0.3) -> None:
        super().__init__()
        self.num_classes, self.clip_shape = num_classes, (1, CLIP_SAMPLES)
        mean = torch.tensor(list(spec_mean), dtype=torch.float32) if spec_mean is not None else torch.zeros(BINS)
        std = torch.tensor(list(spec_std), dtype=torch.float32) if spec_std is not None else torch.ones(BINS)
        self.register_buffer("spec_mean", mean, persistent=False)
        self.register_buffer("spec_std", std, persistent=False)
        layers: list[nn.Module] = [nn.AvgPool2d(2)]
        cin = 1
        for i in range(4):
            cout = width * 2 ** i
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(True), nn.MaxPool2d(2)]
            cin = cout
        self.body = nn.Sequential(*layers)
        self.feature_dim = cin
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(cin, num_classes)

    @classmethod
    def example_args(cls) -> dict:
        return {"num_classes": 3, "width": 2}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, ...]:
        """Waves (n, 1, 16384) in [-1, 1]."""
        return (torch.rand(n, *self.clip_shape, generator=generator) * 2 - 1,)

    def spectrogram(self, wave: Tensor) -> Tensor:
        from ..layers.stft import log_magnitude, normalise

        return normalise(log_magnitude(wave), self.spec_mean, self.spec_std)

    def features(self, wave: Tensor) -> Tensor:
        """(N, 1, 16384) -> (N, feature_dim) pooled features (for Frechet distances)."""
        return self.body(self.spectrogram(wave)).mean((2, 3))

    def forward(self, wave: Tensor) -> Tensor:
        return self.head(self.drop(self.features(wave)))


def default_digit_classifier_dir() -> Path:
    """The folder of the spoken-digit classifier that ships inside the package."""
    import importlib.resources

    return Path(str(importlib.resources.files("ganforge"))) / "assets" / "spoken_digit_classifier"


def load_digit_classifier(path: str | Path | None = None, device: str | torch.device = "cpu") -> SpokenDigitClassifier:
    """The bundled (or a given) spoken-digit classifier, in eval mode with frozen weights."""
    from ..errors import GanforgeError
    from .base import load_model

    d = Path(path) if path is not None else default_digit_classifier_dir()
    if not (d / "model.safetensors").is_file():
        raise GanforgeError(f"{d}: no trained spoken-digit classifier here; run "
                            f"scripts/train_spoken_digit_classifier.py")
    net = load_model(d, map_location=device)
    if not isinstance(net, SpokenDigitClassifier):
        raise GanforgeError(f"{d}: holds a {type(net).__name__}, not a spoken_digit_classifier")
    return net.requires_grad_(False).eval()
