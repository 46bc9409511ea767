"""Metrics of generated audio clips, after WaveGAN's evaluation (Donahue et al. 2019, sec. 6.1),
with our own spoken-digit classifier (``ganforge/assets/spoken_digit_classifier``, trained on
the ``spoken-digits`` train split by ``scripts/train_spoken_digit_classifier.py``) in place of
the paper's SC09 classifier. One flat dict with stable keys:

=======================  =====================================================================
``is_mean/digits``       Inception-score-like number: exp(E KL(p(y|x) || p(y))) under the digit
``is_std/digits``        classifier, mean and std over 10 splits (1 to 10)
``class_acc/digits``     the classifier's accuracy on the labels a conditional generator was given
``frechet/digits``       Frechet distance between Gaussians of the classifier's pooled features
                         (128) of the samples and of the reference (the test split)
``nn_train``             mean Euclidean distance from each sample to its nearest training clip,
                         in the space of normalised log-magnitude spectrograms (64 x 64 after 2x2
                         average pooling; the classifier's per-bin normalisation)
``nn_self``              the same to its nearest other sample (small: samples alike each other)
``n``, ``n_reference``, ``n_train``, ``reference``
=======================  =====================================================================

``nn_train`` far below the real test set's ``nn_train`` would mean the generator reproduces
training clips (memorisation); ``nn_self`` far below the real data's means too little variety.
The classifier metrics are computed for generators of spoken digits (10 classes); for other
audio, ``frechet/digits`` and the distances only (the features are still those of a digit
classifier, so read them as a rough spectral comparison).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ..errors import GanforgeError
from ..layers.stft import log_magnitude, normalise
from .evaluate import KindEvaluator, class_accuracy, register_kind_evaluator
from .frechet import fid_from_features
from .inception_score import inception_score

AUDIO_METRICS = ("is", "class_acc", "frechet", "nn")
DIGIT_METRICS = "is,class_acc,frechet,nn"


def generate_clips(G: nn.Module, n: int, seed: int = 0, batch_size: int = 50) -> tuple[Tensor, Tensor | None]:
    """n clips (n, 1, L) from G on the CPU (latents from one stream seeded ``seed``; conditional
    generators get the classes in turn: sample i has class i % num_classes) and their labels."""
    k = int(getattr(G, "num_classes", 0) or 0)
    dev = next(iter(G.parameters())).device
    stream = torch.Generator().manual_seed(seed)
    clips = []
    with torch.no_grad():
        for start in range(0, n, batch_size):
            m = min(batch_size, n - start)
            z = G.sample_latent(m, generator=stream, device=dev)
            c = torch.arange(start, start + m, device=dev) % k if k else None
            clips.append(G(z, c).float().cpu())
    labels = torch.arange(n) % k if k else None
    return torch.cat(clips), labels


def classifier_outputs(clf: nn.Module, clips: Tensor, batch_size: int = 100) -> tuple[Tensor, Tensor]:
    """(logits (N, 10), pooled features (N, 128)) of clips (N, 1, L) under the classifier."""
    logits, feats = [], []
    with torch.no_grad():
        for i in range(0, len(clips), batch_size):
            f = clf.features(clips[i:i + batch_size])
            feats.append(f)
            logits.append(clf.head(f))
    return torch.cat(logits), torch.cat(feats)


def spectrogram_points(clips: Tensor, mean: Tensor, std: Tensor, batch_size: int = 200) -> Tensor:
    """Clips (N, 1, L) -> (N, 4096): normalised log-magnitude spectrograms, 2x2 average pooled."""
    out = []
    for i in range(0, len(clips), batch_size):
        s = normalise(log_magnitude(clips[i:i + batch_size]), mean, std)
        out.append(nn.functional.avg_pool2d(s, 2).flatten(1))
    return torch.cat(out)


def nearest_distances(points: Tensor, others: Tensor, exclude_self: bool = False, chunk: int = 256) -> Tensor:
    """For each row of ``points`` (N, D), the Euclidean distance to its nearest row of ``others``
    (M, D) (with ``exclude_self``, ``others`` is ``points`` and a row is not its own neighbour)."""
    best = []
    for i in range(0, len(points), chunk):
        d = torch.cdist(points[i:i + chunk].double(), others.double())
        if exclude_self:
            rows = torch.arange(d.shape[0])
            d[rows, rows + i] = float("inf")
        best.append(d.min(1).values)
    return torch.cat(best)


def audio_metrics(clips: Tensor, labels: Tensor | None, reference: Tensor, train: Tensor, classifier: nn.Module,
                  metrics: str = DIGIT_METRICS, splits: int = 10) -> dict[str, Any]:
    """The metrics (module docstring) of ``clips`` (N, 1, L) with their generating ``labels`` (or
    None) against ``reference`` clips (the test split) and ``train`` clips (the training set)."""
    wanted = [m.strip() for m in metrics.split(",") if m.strip()]
    for m in wanted:
        if m not in AUDIO_METRICS:
            raise GanforgeError(f"unknown audio metric {m!r}; accepted: {', '.join(AUDIO_METRICS)}")
    if "class_acc" in wanted and labels is None:
        raise GanforgeError("class_acc needs samples with known labels (a conditional generator)")
    out: dict[str, Any] = {"n": len(clips)}
    if {"is", "class_acc", "frechet"} & set(wanted):
        logits, feats = classifier_outputs(classifier, clips)
        if "is" in wanted:
            out["is_mean/digits"], out["is_std/digits"] = inception_score(logits=logits, splits=splits)
        if "class_acc" in wanted:
            out.update(class_accuracy(logits, labels, key="class_acc/digits"))
        if "frechet" in wanted:
            _, ref_feats = classifier_outputs(classifier, reference)
            out["frechet/digits"] = fid_from_features(feats, ref_feats)
            out["n_reference"] = len(reference)
    if "nn" in wanted:
        mean, std = classifier.spec_mean.cpu(), classifier.spec_std.cpu()
        pts, train_pts = spectrogram_points(clips, mean, std), spectrogram_points(train, mean, std)
        out["nn_train"] = float(nearest_distances(pts, train_pts).mean())
        out["nn_self"] = float(nearest_distances(pts, pts, exclude_self=True).mean())
        out["n_train"] = len(train)
    return out


def dataset_clips(name: str, split: str, limit: int | None = None) -> tuple[Tensor, Tensor | None]:
    """The clips (N, 1, L) and labels of split ``split`` of the audio dataset ``name``."""
    from ..config import DataConfig
    from ..data import build_dataset

    ds = build_dataset(DataConfig(name=name, split=split, limit=limit))
    if ds.info.kind != "audio":
        raise GanforgeError(f"dataset {name!r} holds {ds.info.kind!r} data, not audio clips")
    return ds.x, ds.y


def evaluate_audio(samples: Tensor, labels: Tensor | None, info: Any, *, run: Any = None,
                   reference: str | None = None, metrics: str | None = None, seed: int = 0,
                   n_train: int | None = None, classifier: nn.Module | None = None, progress: bool = False,
                   **_: Any) -> dict[str, Any]:
    """The metrics of generated clips ``samples`` (N, 1, L) (drawn for classes ``labels`` when
    the generator is conditional) of a generator trained on ``info``'s dataset, against
    ``reference`` (an audio dataset with an optional ``-test``/``-train``/``-all`` suffix;
    default: that dataset's test split) and its training split (first ``n_train`` clips,
    default all). The kind evaluator of ``audio`` (``ganforge eval RUN``)."""
    from ..nets.audio import load_digit_classifier

    dataset = str(getattr(info, "name", "") or "") if info is not None else ""
    if not dataset:
        raise GanforgeError("the generator's meta names no dataset; pass reference= (an audio dataset)")
    digits = labels is not None and dataset == "spoken-digits"
    if metrics is None:
        metrics = DIGIT_METRICS if dataset == "spoken-digits" else "frechet,nn"
        if not digits:
            metrics = metrics.replace("class_acc,", "")
    ref_name, ref_split = _split_name(reference or f"{dataset}-test")
    clf = classifier if classifier is not None else load_digit_classifier()
    if progress:
        print(f"evaluating {len(samples)} generated clips against {ref_name} ({ref_split}) and {dataset} (train)")
    ref, _ = dataset_clips(ref_name, ref_split)
    train, _ = dataset_clips(dataset, "train", n_train)
    out = audio_metrics(samples.float(), labels if digits else None, ref, train, clf, metrics=metrics)
    out["reference"] = f"{ref_name}-{ref_split}"
    return out


def _split_name(text: str) -> tuple[str, str]:
    for split in ("train", "test", "all"):
        if text.endswith("-" + split):
            return text[: -len(split) - 1], split
    return text, "test"


register_kind_evaluator("audio", KindEvaluator(evaluate_audio, 1000),
                        help="audio clips: IS-like score, class accuracy, Frechet distance (spoken-digit classifier), "
                             "nearest-neighbour distances to the training set")
