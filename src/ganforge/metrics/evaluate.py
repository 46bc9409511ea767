"""One entry point for image metrics: :func:`evaluate` -> a flat dict with stable keys.

Keys (``<ext>`` is the extractor name, ``inception`` or ``mnist``):

=======================  ======================================================
``fid/<ext>``            Frechet distance of the feature Gaussians
``kid_mean/<ext>``       KID, mean over subsets (unbiased MMD^2, cubic kernel)
``kid_std/<ext>``        KID, standard deviation over subsets
``is_mean/<ext>``        Inception Score, mean over splits (extractors with logits)
``is_std/<ext>``         Inception Score, standard deviation over splits
``precision/<ext>``      improved precision (k-NN manifolds, k = pr_k)
``recall/<ext>``         improved recall
``density/<ext>``        density (k = dc_k)
``coverage/<ext>``       coverage
``class_acc/mnist``      accuracy of the MNIST classifier on conditional samples
``class_acc/mnist/<c>``  the same for class c
``class_spread/<ext>``   within-class diversity of samples with known labels (see
                         :mod:`.class_spread`; reported with every feature metric)
``n``                    number of evaluated images
``n_reference``          number of reference images (when a reference is used)
``reference``            the reference's name
``feature_precision``    ``fp32`` or ``bf16``: the Inception features' precision
                         (present when the ``inception`` extractor is used)
=======================  ======================================================

Nothing here touches training code: a source is a run folder, a generator module, an image
folder or an array (see :func:`evaluate`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..errors import GanforgeError
from ..registry import Registry
from .class_spread import class_spread
from .features import EXTRACTORS, INCEPTION_PRECISIONS, FeatureExtractor, build_extractor
from .frechet import fid_from_features
from .inception_score import inception_score
from .kid import kid
from .prdc import density_coverage, precision_recall
from .reference import reference_features
from .shard import current_part, gather_batches
from .sources import as_image_source

METRICS = {
    "fid": "Frechet distance between feature Gaussians (Heusel et al. 2017)",
    "kid": "Kernel Inception Distance: unbiased polynomial MMD^2, mean and std over subsets (Binkowski et al. 2018)",
    "is": "Inception Score, mean and std over splits (Salimans et al. 2016); extractors with a classifier head",
    "pr": "improved precision and recall, k-NN manifolds (Kynkaanniemi et al. 2019)",
    "dc": "density and coverage (Naeem et al. 2020)",
    "prdc": "pr and dc together",
    "class_acc": "MNIST-classifier accuracy on samples with known labels (conditional generators, labelled arrays)",
}
FEATURE_METRICS = {"fid", "kid", "pr", "dc"}

def _names(value: str | Iterable[str], what: str) -> list[str]:
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v).strip() for v in value]
    items = [v for v in items if v]
    if not items:
        raise GanforgeError(f"{what}: empty list")
    return list(dict.fromkeys(items))


def _check_metrics(metrics: str | Iterable[str]) -> list[str]:
    names = _names(metrics, "metrics")
    for m in names:
        if m not in METRICS:
            raise GanforgeError(f"unknown metric {m!r}; accepted: {', '.join(METRICS)}")
    if "prdc" in names:
        names = [m for m in names if m != "prdc"] + [m for m in ("pr", "dc") if m not in names]
    return names


KID_SUBSET_SIZE = 1000  # samples per KID subset (Binkowski et al. 2018), when that many exist


def _check_counts(metrics: list[str], n: int, n_ref: int | None, kid_subset_size: int, is_splits: int,
                  pr_k: int, dc_k: int) -> None:
    """Fail before any expensive feature extraction when a metric cannot be computed."""
    sizes = f"{n} samples" + (f" and {n_ref} reference samples" if n_ref is not None else "")
    smallest = min(n, n_ref) if n_ref is not None else n
    if "fid" in metrics and smallest < 2:
        raise GanforgeError(f"fid needs at least 2 samples on each side, got {sizes}")
    if "kid" in metrics and kid_subset_size > smallest:
        raise GanforgeError(f"kid: subset size {kid_subset_size} is larger than {sizes}; raise n or lower "
                            f"kid_subset_size (at most {smallest})")
    if "is" in metrics and n < 2 * is_splits:
        raise GanforgeError(f"is: {n} samples are too few for {is_splits} splits (need at least {2 * is_splits})")
    if "pr" in metrics and smallest <= pr_k:
        raise GanforgeError(f"pr: k-NN manifolds with k = {pr_k} need more than {pr_k} samples, got {sizes}")
    if "dc" in metrics and smallest <= dc_k:
        raise GanforgeError(f"dc: k-NN manifolds with k = {dc_k} need more than {dc_k} samples, got {sizes}")


def evaluate(source: Any, reference: Any = "mnist-test", metrics: str | Sequence[str] = ("fid", "kid", "is", "pr"),
             n: int = 10000, extractor: str | Sequence[str] = ("inception", "mnist"), batch_size: int = 50,
             seed: int = 0, device: str | torch.device | None = None, labels: Any = None,
             kid_subsets: int = 100, kid_subset_size: int | None = None, is_splits: int = 10, pr_k: int = 3,
             dc_k: int = 5, n_reference: int | None = None, cache: bool = True,
             progress: bool = False, feature_precision: str = "fp32",
             distributed: bool = False) -> dict[str, Any]:
    """Evaluate images against a reference; returns a flat dict (keys in the module docstring).

    source: a run folder (its generator in ``RUN/generator/``), a saved generator folder
        (config.json + model.safetensors), a generator module (``G(z, c)`` with ``z_dim``,
        ``num_classes``, ``sample_latent``; ``n`` samples from ``seed``, balanced labels when
        conditional), an image folder, or images as an array/tensor: float (N, C, H, W) in
        [-1, 1], or uint8 in [0, 255] as (N, H, W), NCHW or NHWC (see :mod:`.sources`).
    reference: ``mnist-test`` (default), ``mnist-train``, ``fashion-mnist-test``, any registered
        dataset (``NAME[-train|-test|-all]``), ``folder:PATH``, an image folder or an array;
        its first ``n_reference`` (default ``n``) images, features cached on disk.
    metrics: names from :data:`METRICS` (list or comma-separated string).
    extractor: ``inception``, ``mnist`` or several; ``is`` is computed under each extractor
        that has a classifier head (``mnist`` always; ``inception`` only with NVIDIA's file),
        and is an error when none has.
    labels: class labels of an array source, for ``class_acc``.
    feature_precision: ``fp32`` (exact features, the default: use it for published numbers) or
        ``bf16`` (Inception in bfloat16, ~2x faster on CPUs with native bf16, FID within a few tenths of a percent:
        for monitoring during training); recorded as ``feature_precision`` in the result.
    distributed: split the work across the processes of the initialised ``torch.distributed``
        process group (``torchrun``): each process extracts features of every world-th batch
        (source and reference), the features are gathered, and every process returns the
        same result as one process would. Every process of the group must call this with the
        same arguments. Off by default, so that a single process of a job can evaluate alone.
    Results do not depend on ``batch_size``. Errors (GanforgeError) come before any feature
    extraction when there are too few samples for a metric.
    """
    wanted = _check_metrics(metrics)
    ext_names = _names(extractor, "extractor")
    for e in ext_names:
        EXTRACTORS.get(e)  # unknown names fail here, with the list of valid ones
    if batch_size < 1:
        raise GanforgeError(f"batch_size must be >= 1, got {batch_size}")
    if feature_precision not in INCEPTION_PRECISIONS:
        raise GanforgeError(f"feature_precision {feature_precision!r}: accepted values are "
                            f"{', '.join(INCEPTION_PRECISIONS)}")
    if feature_precision != "fp32" and "inception" not in ext_names:
        raise GanforgeError(f"feature_precision {feature_precision!r} applies to the inception extractor only; "
                            f"the extractors here are {', '.join(ext_names)}")
    dev = torch.device(device) if device is not None else torch.device("cpu")
    src = as_image_source(source, n, seed=seed, device=dev, labels=labels)
    if src.count < 1:
        raise GanforgeError(f"source {src.description}: no images")

    extractors: dict[str, FeatureExtractor] = {
        e: build_extractor(e, device=dev, **({"precision": feature_precision} if e == "inception" else {}))
        for e in ext_names}
    is_exts = [e for e in ext_names if extractors[e].has_logits] if "is" in wanted else []
    if "is" in wanted and not is_exts:
        raise GanforgeError(f"is: none of the extractors {', '.join(ext_names)} has a classifier head; add "
                            "extractor 'mnist' (or give NVIDIA's inception-2015-12-05.pt via $GANFORGE_INCEPTION)")
    if "class_acc" in wanted and not src.labels_known:
        raise GanforgeError("class_acc needs samples with known labels: a conditional generator (num_classes > 0) "
                            "or an array source with labels=")
    feat_metrics = [m for m in wanted if m in FEATURE_METRICS]

    n_ref = n if n_reference is None else n_reference
    ref_count = None
    if feat_metrics:
        if reference is None:
            raise GanforgeError(f"metrics {', '.join(feat_metrics)} need a reference (e.g. reference='mnist-test')")
        from .reference import reference_source

        ref_src, _ = reference_source(reference, n_ref)  # cheap: counts images, extracts nothing
        ref_count = ref_src.count
    if kid_subset_size is None:  # the KID paper's 1,000 per subset, or all the samples when fewer
        smallest = src.count if ref_count is None else min(src.count, ref_count)
        kid_subset_size = min(KID_SUBSET_SIZE, smallest)
        if "kid" in wanted and kid_subset_size < KID_SUBSET_SIZE and progress:
            print(f"kid: subsets of {kid_subset_size} samples (the default {KID_SUBSET_SIZE} is more than the "
                  f"{smallest} available; set kid_subset_size / --kid-subset-size to choose)")
    _check_counts(wanted, src.count, ref_count, kid_subset_size, is_splits, pr_k, dc_k)

    # One pass over the source: every extractor sees every batch (no image is kept afterwards).
    feats: dict[str, list[torch.Tensor]] = {e: [] for e in ext_names} if feat_metrics else {}
    logits: dict[str, list[torch.Tensor]] = {e: [] for e in is_exts}
    # class_acc uses the MNIST classifier's logits; shared with is_mean/mnist when both are asked for.
    clf = build_extractor("mnist", device=dev) if "class_acc" in wanted and "mnist" not in logits else None
    clf_logits: list[torch.Tensor] = logits.get("mnist", []) if "class_acc" in wanted else []
    # labels are kept whenever the source knows them: class_acc, and class_spread beside every
    # feature metric (a conditional generator that ignores z is seen in any evaluation)
    keep_labels = "class_acc" in wanted or (src.labels_known and bool(feat_metrics))
    ys: list[torch.Tensor] = []
    part = current_part(distributed)
    batches = src.batches(batch_size, part=part)
    if progress:
        from tqdm import tqdm

        total = len(range(part[0], -(-src.count // batch_size), part[1]))
        batches = tqdm(batches, total=total, desc=f"evaluating {src.description}", unit="batch")
    for x, y in batches:
        for e, chunks in feats.items():
            chunks.append(extractors[e](x).cpu())
        for e, chunks in logits.items():
            chunks.append(extractors[e].logits(x).cpu())
        if clf is not None:
            clf_logits.append(clf.logits(x).cpu())
        if keep_labels:
            ys.append(y.cpu())

    def everyone(chunks: list[torch.Tensor]) -> torch.Tensor:
        """This process's batches -> every batch of the source, in order (see :mod:`.shard`)."""
        return gather_batches(chunks, src.count, batch_size, part)

    all_feats = {e: everyone(chunks) for e, chunks in feats.items()}
    all_logits = {e: everyone(chunks) for e, chunks in logits.items()}
    if keep_labels:
        all_ys = everyone(ys)
    if "class_acc" in wanted:
        all_clf = all_logits["mnist"] if clf is None else everyone(clf_logits)

    out: dict[str, Any] = {"n": src.count}
    if "kid" in wanted:
        out["kid_subset_size"] = kid_subset_size
    if "inception" in extractors:
        out["feature_precision"] = extractors["inception"].precision
    for e in ext_names:
        if feat_metrics:
            ref = reference_features(reference, extractors[e], n=n_ref, batch_size=batch_size, cache=cache,
                                     progress=progress, distributed=distributed)
            out["n_reference"], out["reference"] = ref["n"], ref["label"]
            f = all_feats[e]
            if "fid" in wanted:
                # the cheapest exact route; the reference's cached statistics spare recomputing them
                out[f"fid/{e}"] = fid_from_features(f, ref["features"], stats2=(ref["mu"], ref["sigma"]))
            if "kid" in wanted:
                out[f"kid_mean/{e}"], out[f"kid_std/{e}"] = kid(f, ref["features"], num_subsets=kid_subsets,
                                                                subset_size=kid_subset_size, seed=seed)
            if "pr" in wanted:
                out[f"precision/{e}"], out[f"recall/{e}"] = precision_recall(ref["features"], f, k=pr_k)
            if "dc" in wanted:
                out[f"density/{e}"], out[f"coverage/{e}"] = density_coverage(ref["features"], f, k=dc_k)
            if keep_labels:
                out[f"class_spread/{e}"] = class_spread(f, all_ys)
        if e in logits:
            out[f"is_mean/{e}"], out[f"is_std/{e}"] = inception_score(logits=all_logits[e], splits=is_splits)
    if "class_acc" in wanted:
        out.update(class_accuracy(all_clf, all_ys))
    return out


def class_accuracy(logits: torch.Tensor, labels: torch.Tensor, key: str = "class_acc/mnist") -> dict[str, float]:
    """Overall and per-class accuracy of (N, K) logits against (N,) labels: ``key`` is the mean of
    the per-class accuracies over the classes present (equal to the plain accuracy when the
    labels are balanced), ``key/<c>`` the accuracy on class c."""
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise GanforgeError(f"class accuracy: expected logits (N, K) and labels (N,), got {tuple(logits.shape)} and "
                            f"{tuple(labels.shape)}")
    if labels.numel() and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise GanforgeError(f"class accuracy: labels must lie in [0, {logits.shape[1] - 1}] for this classifier, "
                            f"got [{int(labels.min())}, {int(labels.max())}]")
    pred = logits.argmax(1)
    out: dict[str, float] = {}
    per_class = []
    for c in labels.unique().tolist():
        m = labels == c
        acc = float((pred[m] == c).double().mean())
        out[f"{key}/{c}"] = acc
        per_class.append(acc)
    out[key] = float(sum(per_class) / len(per_class))
    return out


# --- kinds of data with metrics of their own (molecules, ...) ---------------------------------------

@dataclass(frozen=True)
class KindEvaluator:
    """How ``ganforge eval`` measures generators of one data kind (``DataInfo.kind``) that has
    metrics of its own (molecules, music, audio): one registry, one call, for every such kind.

    ``evaluate(samples, labels, info, *, run=None, reference=None, metrics=None, seed=0,
    progress=False, **extra) -> flat dict``. ``ganforge.evaluate`` draws the samples itself
    (``ganforge.sample(G, n, seed, labels)``, so evaluation sees exactly what ``ganforge sample``
    writes): ``samples`` are the generator's outputs, ``labels`` the classes they were drawn for
    (each class in turn for a conditional generator, else None), ``info`` the dataset's DataInfo
    rebuilt from the generator's meta, ``run`` the run folder when one was given (its
    ``config.yaml`` names the data and its options); for a file of samples (``suffixes``, read
    with ``read(path)``) ``labels``, ``info`` and ``run`` are None. ``extra`` holds the options
    the user gave that the kind may use (``n_reference``). ``default_n``: samples drawn when
    ``--n`` is not given."""

    evaluate: Callable[..., dict[str, Any]]
    default_n: int
    suffixes: tuple[str, ...] = ()
    read: Callable[[Any], Any] | None = None


KIND_EVALUATORS: Registry[KindEvaluator] = Registry("data-kind evaluator")


def register_kind_evaluator(kind: str, evaluator: KindEvaluator, help: str = "") -> KindEvaluator:
    KIND_EVALUATORS.register(kind, evaluator, help=help)
    return evaluator


def kind_of_suffix(suffix: str) -> str | None:
    """The data kind whose evaluator reads sample files with this suffix, if any."""
    for name in KIND_EVALUATORS:
        if suffix.lower() in KIND_EVALUATORS.get(name).suffixes:
            return name
    return None
