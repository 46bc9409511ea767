"""Metrics of text-to-image runs (family ``attngan``): R-precision, FID, and on the captioned
MNIST / Fashion-MNIST sets the class and attribute accuracy of the generated images.

- ``r_precision``: AttnGAN's R-precision (Xu et al. 2018, sec. 4): for each generated image, the
  run's DAMSM encoders rank its caption among R = 100 candidates (the true one and 99 captions
  of other test images, drawn at random; a candidate whose text equals the true caption is
  drawn again) by the cosine of the global image feature and the sentence feature; the score
  is the share of images whose caption ranks first. ``r_precision_real`` is the same for the
  real test images with their own captions, under the same encoders: what a perfect generator
  would reach with these encoders (chance is 1 / R).
- ``fid/<ext>``: :func:`ganforge.metrics.evaluate`'s FID of the generated images against the
  real test images (``inception``; ``mnist``: the bundled classifier's features).
- ``class_acc/mnist`` (mnist-captions): the bundled MNIST classifier's accuracy on the
  generated images for the digit their caption names.
- ``attr_acc/<name>``: for each measured attribute, over the captions that name it, the share
  of generated images whose measurement (:mod:`ganforge.data.mnist_captions`, the same
  functions that wrote the captions) falls in the named bin; ``attr_acc_shuffled/<name>`` the
  same against the captions of other images (what ignoring the attribute scores), and
  ``attr_mean/<name>/<word>`` the mean measured value of the images whose caption names each
  bin (e.g. the stroke thickness of "thin" vs "thick" digits).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from ..errors import GanforgeError

R_CANDIDATES = 100
METRICS = ("r_precision", "fid", "class_acc", "attributes")


def r_precision(image_global: torch.Tensor, sentence: torch.Tensor, tokens: torch.Tensor,
                r: int = R_CANDIDATES, generator: torch.Generator | None = None) -> tuple[float, float]:
    """(R-precision, its standard error) of images (N, D) with their captions' sentence features
    (N, D) and token ids (N, L): image i ranks its own caption against ``r - 1`` captions of
    other images drawn from ``generator`` (ones with the same text drawn again)."""
    n = image_global.shape[0]
    if n < 2:
        raise GanforgeError(f"R-precision needs at least 2 images, got {n}")
    distinct = len({tuple(t.tolist()) for t in tokens})
    if distinct < r:
        raise GanforgeError(f"R-precision with {r} candidates needs at least {r} different captions; the "
                            f"evaluated images have {distinct} (raise --n)")
    img = torch.nn.functional.normalize(image_global.float(), dim=-1)
    sen = torch.nn.functional.normalize(sentence.float(), dim=-1)
    ids = torch.unique(tokens, dim=0, return_inverse=True)[1]  # one id per distinct caption text
    hits = 0
    for i in range(n):
        keep = torch.empty(0, dtype=torch.long)
        while len(keep) < r - 1:  # other captions' texts only; draw again while short
            cand = torch.randint(n, (4 * r,), generator=generator)
            keep = torch.cat([keep, cand[ids[cand] != ids[i]]])
        scores = sen[torch.cat([torch.tensor([i]), keep[: r - 1]])] @ img[i]
        hits += int(scores[0] > scores[1:].max())
    p = hits / n
    return p, math.sqrt(p * (1 - p) / n)


def attribute_accuracy(values: torch.Tensor, named: torch.Tensor, attributes: list[dict[str, Any]],
                       shuffled: torch.Tensor | None = None) -> dict[str, float]:
    """Per attribute: the share of images whose measured bin (from ``values`` (N, A)) is the one
    their caption names (``named`` (N, A), -1: not named); with ``shuffled`` (N, A) (the bins named
    by other images' captions) the same against those; the mean value per named bin."""
    out: dict[str, float] = {}
    for a, spec in enumerate(attributes):
        lo, hi = spec["thresholds"]
        bins = (values[:, a] > lo).long() + (values[:, a] > hi).long()
        has = named[:, a] >= 0
        if has.any():
            out[f"attr_acc/{spec['name']}"] = float((bins[has] == named[has, a]).float().mean())
        if shuffled is not None and (shuffled[:, a] >= 0).any():
            s = shuffled[:, a] >= 0
            out[f"attr_acc_shuffled/{spec['name']}"] = float((bins[s] == shuffled[s, a]).float().mean())
        for b in range(3):
            sel = named[:, a] == b
            if sel.any():
                out[f"attr_mean/{spec['name']}/{spec['words'][b][0]}"] = float(values[sel, a].mean())
    return out


def _run_dataset(run: Path, split: str, n: int) -> Any:
    from ..config import config_from_dict, load_yaml
    from ..data import build_dataset

    cfg_path = run / "config.yaml"
    if not cfg_path.is_file():
        raise GanforgeError(f"{run}: no config.yaml; text-to-image metrics read the run's dataset (its test split)")
    cfg = config_from_dict(load_yaml(cfg_path), str(cfg_path))
    data = cfg.data
    data.split, data.limit = split, None
    try:
        return build_dataset(data)
    except GanforgeError:
        if split == "train":
            raise
        data.split = "train"  # a captions folder with test_fraction 0 has no test split
        return build_dataset(data)


def load_encoders(run: Path, device: str | torch.device = "cpu") -> tuple[Any, Any]:
    from ..nets import load_model

    missing = [d for d in ("text_encoder", "image_encoder") if not (run / d / "config.json").is_file()]
    if missing:
        raise GanforgeError(f"{run}: no {' or '.join(missing)}/ folder; the DAMSM encoders are saved by an attngan run")
    return load_model(run / "text_encoder", map_location=device), load_model(run / "image_encoder", map_location=device)


@torch.no_grad()
def evaluate_text2image(run: str | Path, G: Any = None, n: int = 1000, seed: int = 0, metrics: str | None = None,
                        split: str = "test", batch_size: int = 100, device: str | torch.device = "cpu",
                        fid_extractor: str = "inception", progress: bool = False) -> dict[str, Any]:
    """The metrics of the module docstring for the run folder ``run``: ``n`` test images with one
    of their captions each (drawn from ``seed``), an image generated per caption (latents from
    ``seed``). ``metrics``: a comma-separated subset of r_precision, fid, class_acc, attributes
    (default all that apply)."""
    from ..nets import load_model
    from .evaluate import evaluate

    run = Path(run)
    wanted = [m.strip() for m in (metrics or ",".join(METRICS)).split(",") if m.strip()]
    bad = [m for m in wanted if m not in METRICS]
    if bad:
        raise GanforgeError(f"--metrics {', '.join(bad)}: text-to-image runs have {', '.join(METRICS)}")
    if G is None:
        G = load_model(run / "generator", map_location=device)
    TE, IE = load_encoders(run, device)
    ds = _run_dataset(run, split, n)
    gen = torch.Generator().manual_seed(seed)
    n = min(n, len(ds))
    idx = torch.randperm(len(ds), generator=gen)[:n]
    batch = ds.get_batch(idx, gen)
    # the captions as text, encoded with the run's own vocabulary (the one G and the encoders learnt)
    from ..data.vocab import Vocabulary

    texts = Vocabulary.from_dict(ds.info.extra["vocab"]).decode_batch(batch["caption"])
    tokens = G.tokenize(texts).cpu()
    G.eval()
    fakes, sents, img_g, real_g = [], [], [], []
    for i in range(0, n, batch_size):
        cap = tokens[i:i + batch_size].to(device)
        z = G.sample_latent(len(cap), generator=gen).to(device)
        fake = G(z, cap).float().clamp(-1, 1)
        fakes.append(fake.cpu())
        sents.append(TE(cap).float().cpu())
        img_g.append(IE(fake).float().cpu())
        real_g.append(IE(batch["x"][i:i + batch_size].to(device)).float().cpu())
        if progress:
            print(f"generated {min(i + batch_size, n)} / {n}")
    fake = torch.cat(fakes)
    sentence = torch.cat(sents)
    out: dict[str, Any] = {"n": n, "split": ds.info.extra.get("split", split)}
    if "r_precision" in wanted:
        if n >= R_CANDIDATES:
            out["r_precision"], out["r_precision_se"] = r_precision(torch.cat(img_g), sentence, tokens,
                                                                    generator=torch.Generator().manual_seed(seed))
            out["r_precision_real"], out["r_precision_real_se"] = r_precision(
                torch.cat(real_g), sentence, tokens, generator=torch.Generator().manual_seed(seed))
        elif metrics:
            raise GanforgeError(f"--n {n}: R-precision ranks among {R_CANDIDATES} captions; evaluate at least that many")
    labels = batch.get("y")
    if "fid" in wanted:
        out.update({k: v for k, v in evaluate(fake, reference=batch["x"], metrics="fid", n=n, n_reference=n,
                                              extractor=fid_extractor, cache=False).items()
                    if k.startswith("fid")})
    if "class_acc" in wanted and labels is not None and ds.info.extra.get("measure") == "mnist-captions":
        from ..nets.classifier import load_mnist_classifier

        clf = load_mnist_classifier(device=device)
        pred = torch.cat([clf(clf.prepare(fake[i:i + batch_size].to(device))).argmax(1).cpu()
                          for i in range(0, n, batch_size)])
        out["class_acc/mnist"] = float((pred == labels).float().mean())
        out["class_acc/mnist_real"] = float((torch.cat([clf(clf.prepare(batch["x"][i:i + batch_size].to(device)))
                                                        .argmax(1).cpu() for i in range(0, n, batch_size)])
                                             == labels).float().mean())
    if "attributes" in wanted and "attributes" in ds.info.extra:
        from ..data.mnist_captions import CAPTIONED_SETS

        spec = CAPTIONED_SETS[ds.info.extra["measure"]]
        values = spec.measure(fake)
        named = batch["caption_attr"]
        out.update(attribute_accuracy(values, named, ds.info.extra["attributes"], shuffled=named.roll(1, dims=0)))
    return out
