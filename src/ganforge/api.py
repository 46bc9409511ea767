"""The public Python API: train, load, sample, evaluate, interpolate, traverse, list_*.

The command line, the web page and the applications call these same functions with the same
defaults. Loop families and run kinds (fit/sample models such as ``tabular``) are both reached
by name through :func:`train`; which registry holds the name decides how the run is trained.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import Tensor, nn

from .config import RunConfig, apply_overrides, config_from_dict, load_yaml, validate
from .errors import GanforgeError


def make_config(family_or_config: str | os.PathLike[str] | RunConfig | dict[str, Any] = "dcgan",
                **overrides: Any) -> RunConfig:
    """A :class:`RunConfig` from a family name, a YAML path, a dict or a config, plus overrides.

    Overrides use dotted names (``**{"train.steps": 100}``) or the short forms ``data=``,
    ``steps=``, ``out=``, ``batch_size=``, ``seed=`` and any other field name that is unique
    across the data/model/train sections (``lr_g=``, ``loss=``, ``limit=``...).
    """
    from .config import SECTIONS, _field_types

    if isinstance(family_or_config, RunConfig):
        cfg = config_from_dict(family_or_config.to_dict())
    elif isinstance(family_or_config, dict):
        cfg = config_from_dict(family_or_config)
    elif str(family_or_config).endswith((".yaml", ".yml")):
        cfg = config_from_dict(load_yaml(family_or_config), source=str(family_or_config))
    else:
        cfg = RunConfig(family=str(family_or_config))
    owners: dict[str, list[str]] = {}
    for sec, cls in SECTIONS.items():
        for name in _field_types(cls):
            owners.setdefault(name, []).append(sec)
    dotted: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in ("family", "options") or "." in key:
            dotted[key] = value
        elif key == "data" and isinstance(value, str):
            dotted["data.name"] = value
        elif key in owners:
            if len(owners[key]) > 1:
                raise GanforgeError(f"{key!r} is a field of {' and '.join(owners[key])}: write e.g. '{owners[key][0]}.{key}'")
            dotted[f"{owners[key][0]}.{key}"] = value
        elif key in SECTIONS and isinstance(value, dict):
            dotted[key] = value
        else:
            raise GanforgeError(f"unknown option {key!r}; valid: " + ", ".join(sorted(owners)))
    return apply_overrides(cfg, dotted, source="arguments")


def train(family_or_config: str | os.PathLike[str] | RunConfig | dict[str, Any] = "dcgan", *, resume: bool = False,
          overwrite: bool = False, hooks: list[Any] | None = None, **overrides: Any):
    """Train a GAN and return a :class:`ganforge.training.loop.TrainResult` (``.out`` is the run
    folder, ``.step`` the steps done); a run kind returns a
    :class:`ganforge.families.runkinds.FitResult` with the same fields and the fitted ``.model``.

    >>> ganforge.train("dcgan", data="mnist", steps=2000, out="runs/dc")      # doctest: +SKIP
    >>> ganforge.train("runs/dc/config.yaml", resume=True)                     # doctest: +SKIP
    >>> ganforge.train("tabular", data="table:adult", options={"epochs": 10})  # doctest: +SKIP
    """
    from .families import RUN_KINDS

    cfg = make_config(family_or_config, **overrides)
    if cfg.family in RUN_KINDS:  # a fit/sample model: it fits itself instead of running phases
        from .training.logging import plot_losses

        if hooks:
            raise GanforgeError(f"hooks watch the training loop; {cfg.family!r} fits itself and takes none")
        validate(cfg)  # the same range checks as the loop's, before any data is read
        result = RUN_KINDS.get(cfg.family).train(cfg, resume, overwrite)
        plot_losses(result.out / "metrics.jsonl", result.out / "loss.png")  # the loop draws its runs' own
        return result
    from .training.loop import train as _train

    return _train(cfg, resume=resume, overwrite=overwrite, hooks=hooks)


def load(path: str | os.PathLike[str], which: str = "generator", device: str | torch.device = "cpu",
         checkpoint: str = "auto") -> Any:
    """Load a trained network as a plain ``nn.Module`` in eval mode, with ``.meta`` (family,
    dataset, class names, step...). ``path`` is a run folder or a saved model folder;
    ``which`` picks ``generator`` (the EMA weights when EMA was on) or ``discriminator``.

    ``checkpoint`` chooses, in a run folder that kept a best checkpoint (``RUN/best/``, written
    when in-training evaluation found a new best): ``"auto"`` (default) and ``"best"`` take the
    best networks, ``"last"`` the final ones; ``.meta["checkpoint"]`` says which was taken.
    ``"best"`` on a run without ``RUN/best/`` is an error.

    The run folder of a run kind (e.g. ``tabular``) gives its fitted model instead (a
    :class:`~ganforge.families.tabular_gan.TabularGAN`), which :func:`sample` also accepts."""
    from .families import RUN_KINDS, run_kind_of
    from .nets import load_model

    p = Path(path)
    kind = run_kind_of(p)
    if kind is not None:
        return RUN_KINDS.get(kind).load(p, str(device))
    if checkpoint not in ("auto", "best", "last"):
        raise GanforgeError(f"checkpoint {checkpoint!r}: accepted auto, best, last")
    if (p / "config.json").is_file():
        return load_model(p, map_location=device)
    best = p / "best" / which / "config.json"
    if checkpoint == "best" and not best.is_file():
        raise GanforgeError(f"{p}: no best checkpoint ({p / 'best' / which}/config.json); it is kept when the run "
                            f"evaluates during training (--eval-every N); use the last generator instead")
    if checkpoint in ("auto", "best") and best.is_file():
        net = load_model(p / "best" / which, map_location=device)
        net.meta = {**dict(getattr(net, "meta", {}) or {}), "checkpoint": "best"}
        return net
    if (p / which / "config.json").is_file():
        net = load_model(p / which, map_location=device)
        if (p / "best").is_dir():
            net.meta = {**dict(getattr(net, "meta", {}) or {}), "checkpoint": "last"}
        return net
    if not p.exists():
        raise GanforgeError(f"{p} does not exist")
    raise GanforgeError(f"{p}: no saved model (expected {p / which}/config.json, written when training "
                        f"checkpoints or ends)")


def _labels(G: nn.Module, n: int, labels: int | Sequence[int] | Tensor | None, device: torch.device) -> Tensor | None:
    k = int(getattr(G, "num_classes", 0) or 0)
    if not k:
        if labels is not None:
            raise GanforgeError("labels/--class given, but this generator is not conditional")
        return None
    if labels is None:
        return torch.arange(n, device=device) % k
    t = torch.as_tensor(labels, dtype=torch.long, device=device)
    if t.dim() == 0:
        t = t.expand(n)
    if t.shape != (n,):
        raise GanforgeError(f"labels: expected one label or {n}, got {tuple(t.shape)}")
    if t.min() < 0 or t.max() >= k:
        names = getattr(G, "meta", {}).get("class_names")
        raise GanforgeError(f"class label out of range: accepted 0..{k - 1}" + (f" ({', '.join(map(str, names))})" if names else ""))
    return t


def _device(G: nn.Module) -> torch.device:
    p = next(iter(G.parameters()), None)
    return p.device if p is not None else torch.device("cpu")


def latents(G: nn.Module, n: int, seed: int | None = None, **kw: Any) -> Tensor:
    """n latent vectors for G: seeded on the CPU (so a seed gives the same samples on any device)."""
    from .nets.controls import is_translator

    if is_translator(G):
        cmd = getattr(G, "meta", {}).get("command", "translate")
        raise GanforgeError(f"this is an image-to-image model ({getattr(G, 'meta', {}).get('family', 'translator')}): "
                            f"it maps images to images, it has no latent space. Use ganforge.translate(G, images) "
                            f"or `ganforge {cmd}`")
    gen = torch.Generator().manual_seed(seed) if seed is not None else torch.Generator().manual_seed(
        int(torch.randint(0, 2**62, (1,)).item()))
    return G.sample_latent(n, generator=gen, device=_device(G), **kw)


@torch.no_grad()
def generate(G: nn.Module, z: Tensor, labels: Tensor | None = None, batch_size: int = 256, **kw: Any) -> Tensor:
    """G(z, labels) in batches, on G's device, in eval mode; returns a CPU tensor: float32 (images
    clamped to [-1, 1]), or the integer ids a token generator (SeqGAN) returns."""
    was = G.training
    G.eval()
    outs = []
    try:
        for i in range(0, z.shape[0], batch_size):
            c = labels[i:i + batch_size] if labels is not None else None
            out = G(z[i:i + batch_size], c, **kw)
            # token generators return integer ids: keep them integers (images/values as float32)
            outs.append((out.float() if out.is_floating_point() else out).cpu())
    finally:
        G.train(was)
    x = torch.cat(outs)
    # linear-output nets (ProGAN, StyleGAN) can overshoot [-1, 1]; images are promised in range
    return x.clamp(-1.0, 1.0) if _is_image(G) else x


def _is_image(G: nn.Module) -> bool:
    return len(getattr(G, "out_shape", ()) or ()) == 3


def sample(G: nn.Module | Any, n: int, seed: int | None = None, labels: int | Sequence[int] | Tensor | None = None,
           batch_size: int = 256, **kw: Any) -> Tensor | Any:
    """n samples (N, *G.out_shape) from generator G; images are in [-1, 1].

    ``seed`` makes the latents reproducible; ``labels`` is one class for all samples or one per
    sample (conditional generators; default: classes in turn).

    A fitted run-kind model (what :func:`load` gives for a tabular run) samples itself:
    ``sample(gan, 1000, seed=0, conditions={"income": ">50K"})`` returns a DataFrame.
    """
    if n <= 0:
        raise GanforgeError(f"n must be positive, got {n}")
    if getattr(G, "run_kind", None) is not None:
        if labels is not None:
            raise GanforgeError(f"labels do not apply to a {G.run_kind} model; it takes conditions={{COLUMN: VALUE}}")
        return G.sample(n, seed=seed, **kw)
    dev = _device(G)
    z = latents(G, n, seed)
    return generate(G, z, _labels(G, n, labels, dev), batch_size=batch_size, **kw)


def slerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation between latents a and b (White 2016), t in [0, 1] of shape (T,)."""
    a_n, b_n = a / a.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True)
    omega = torch.acos((a_n * b_n).sum(-1).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    t = t.view(-1, 1)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def interpolate(G: nn.Module, seed_a: int, seed_b: int, steps: int = 10, label: int | None = None,
                mode: str = "slerp") -> Tensor:
    """Images along the path from the latent of ``seed_a`` to that of ``seed_b`` ((steps, C, H, W))."""
    if steps < 2:
        raise GanforgeError(f"steps must be at least 2, got {steps}")
    if mode not in ("slerp", "linear"):
        raise GanforgeError(f"mode {mode!r}: accepted values are slerp, linear")
    a, b = latents(G, 1, seed_a)[0], latents(G, 1, seed_b)[0]
    t = torch.linspace(0, 1, steps, device=a.device)
    z = slerp(a, b, t) if mode == "slerp" else a + (b - a) * t.view(-1, 1)
    return generate(G, z, _labels(G, steps, label, a.device))


def traverse(G: nn.Module, dim: int, value_range: tuple[float, float] = (-3.0, 3.0), steps: int = 10,
             seed: int = 0, n: int = 1, label: int | None = None) -> Tensor:
    """Vary latent dimension ``dim`` over ``value_range`` with the others fixed (from ``seed``),
    for ``n`` base latents: returns (n * steps, C, H, W), row i is base latent i."""
    z_dim = int(getattr(G, "z_dim", 0))
    if not 0 <= dim < z_dim:
        raise GanforgeError(f"--dim {dim} is out of range: this generator's latent has dimensions 0..{z_dim - 1}")
    if steps < 2:
        raise GanforgeError(f"steps must be at least 2, got {steps}")
    base = latents(G, n, seed)
    vals = torch.linspace(value_range[0], value_range[1], steps, device=base.device)
    z = base.repeat_interleave(steps, dim=0)
    z[:, dim] = vals.repeat(n)
    return generate(G, z, _labels(G, n * steps, label, base.device))


def parse_layers(spec: str | Sequence[int], num_ws: int) -> list[int]:
    """Style layers from ``"0-3"``, ``"4-"``, ``"0,2,5"`` or a list; checked against 0..num_ws-1."""
    if not isinstance(spec, str):
        idx = [int(i) for i in spec]
    else:
        idx = []
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            lo, dash, hi = part.partition("-")
            try:
                a = int(lo) if lo else 0
                b = (int(hi) if hi else num_ws - 1) if dash else a
            except ValueError:
                raise GanforgeError(f"--layers {spec!r}: expected ranges like 0-3, 4- or lists like 0,2,5") from None
            idx.extend(range(a, b + 1))
    bad = [i for i in idx if not 0 <= i < num_ws]
    if not idx or bad:
        raise GanforgeError(f"--layers {spec!r}: this generator has style layers 0..{num_ws - 1} "
                            f"(0 = coarsest, 4x4)")
    return sorted(set(idx))


@torch.no_grad()
def style_mix(G: nn.Module, row_seeds: Sequence[int], col_seeds: Sequence[int], layers: str | Sequence[int] = "0-3",
              truncation: float = 1.0, label: int | None = None) -> Tensor:
    """A style-mixing grid ((R + 1) * (C + 1), C, H, W), row-major with C + 1 columns.

    Top-left is black; the top row shows the images of ``col_seeds``, the left column those
    of ``row_seeds``; cell (i, j) is row image i with the styles of ``layers`` taken from
    column image j (low layers: coarse shape; high: fine detail). Needs a generator with
    ``mapping``, ``synthesis`` and ``mix`` (StyleGAN-like); deterministic in eval mode.
    """
    if not all(callable(getattr(G, a, None)) for a in ("mapping", "synthesis", "mix")):
        raise GanforgeError("style mixing needs a StyleGAN-like generator (mapping, synthesis and mix); "
                            f"this one is {type(G).__name__}")
    if not row_seeds or not col_seeds:
        raise GanforgeError("style mixing needs at least one row seed and one column seed")
    idx = parse_layers(layers, int(G.num_ws))
    dev = _device(G)
    was = G.training
    G.eval()
    try:
        def ws_of(seeds: Sequence[int]) -> Tensor:
            z = torch.cat([latents(G, 1, s) for s in seeds])
            return G.mapping(z, _labels(G, len(seeds), label, dev), truncation=truncation)

        ws_r, ws_c = ws_of(row_seeds), ws_of(col_seeds)
        img_r, img_c = G.synthesis(ws_r, "const"), G.synthesis(ws_c, "const")
        rows = [torch.cat([torch.full_like(img_c[:1], -1.0), img_c])]
        for i in range(len(row_seeds)):
            mixed = G.synthesis(G.mix(ws_r[i:i + 1].expand_as(ws_c), ws_c, idx), "const")
            rows.append(torch.cat([img_r[i:i + 1], mixed]))
    finally:
        G.train(was)
    return torch.cat(rows).float().cpu().clamp(-1.0, 1.0)


def traverse_code(G: nn.Module, code: str, value_range: tuple[float, float] = (-2.0, 2.0), steps: int = 10,
                  seed: int = 0, n: int = 1) -> Tensor:
    """Vary one structured latent code of G (InfoGAN's ``G.codes``) with the rest of z fixed.

    Categorical code: one column per category (``steps`` is ignored); continuous: ``steps``
    values over ``value_range``. Returns (n * columns, C, H, W), row i from base latent i
    (seeded by ``seed``)."""
    from .nets.controls import latent_codes, set_code

    codes = {c["name"]: c for c in latent_codes(G)}
    if not codes:
        raise GanforgeError("--code: this generator has no structured latent codes (InfoGAN has c1, c2, ...); "
                            "use --dim N to vary a latent dimension")
    if code not in codes:
        raise GanforgeError(f"--code {code!r}: this generator's codes are {', '.join(codes)}")
    spec = codes[code]
    if spec["kind"] == "categorical":
        vals = torch.arange(spec["size"], dtype=torch.float32)
    else:
        if steps < 2:
            raise GanforgeError(f"steps must be at least 2, got {steps}")
        vals = torch.linspace(value_range[0], value_range[1], steps)
    base = latents(G, n, seed)
    z = base.repeat_interleave(len(vals), dim=0)
    z = set_code(G, z, spec, vals.repeat(n).to(z.device))
    return generate(G, z)


def evaluate(source: str | os.PathLike[str] | nn.Module | Tensor | Any, metrics: str | Sequence[str] | None = None,
             n: int | None = None, reference: Any = None, seed: int = 0, extractor: str = "inception,mnist",
             batch_size: int = 50, device: str = "cpu", progress: bool = False, **kw: Any) -> dict[str, Any]:
    """Evaluate a run folder, a saved generator, a generator, an image folder or an array; one flat dict.

    Images (see :func:`ganforge.metrics.evaluate`): ``metrics`` from fid, kid, is, pr, dc, prdc,
    class_acc (default fid,kid,is,pr), ``n`` generated samples (default 10000) against
    ``reference`` (default: the run's dataset's test split, else mnist-test); other keywords
    (``n_reference``, ``kid_subset_size``, ``kid_subsets``) go to it. Toy runs (reference
    ring8/grid25, or ``metrics="modes"``): mode metrics of ``n`` samples (default 2500).
    A run kind's run or model (tabular): its own metrics (see
    :data:`ganforge.families.tabular.METRICS`).

    >>> ganforge.evaluate("runs/dc", metrics="fid,kid", n=5000)                 # doctest: +SKIP
    >>> ganforge.evaluate("runs/adult", metrics="columns,association")         # doctest: +SKIP
    """
    from .families import RUN_KINDS, run_kind_of

    if not isinstance(metrics, str) and metrics is not None:
        metrics = ",".join(metrics)
    run = Path(source) if isinstance(source, (str, os.PathLike)) else None
    kind = run_kind_of(run) if run is not None else getattr(source, "run_kind", None)
    if kind is not None:
        model = load(run, device=device) if run is not None else source
        return RUN_KINDS.get(kind).evaluate(model, metrics=metrics, n=n, reference=reference, seed=seed, run=run,
                                            **kw)
    if n is not None and n <= 0:
        raise GanforgeError(f"--n must be positive, got {n} (n= in Python)")
    data_kind = _generator_kind(run if run is not None else source)
    from .metrics.evaluate import KIND_EVALUATORS

    if data_kind in KIND_EVALUATORS:  # e.g. piano rolls: the kind's own metrics against the run's data
        G = load(run, device=device) if run is not None else source
        real = _reference_dataset(run, reference, data_kind)
        return KIND_EVALUATORS.get(data_kind)(G, real, n=n, seed=seed, metrics=metrics, progress=progress)
    if run is not None:
        source = run
        if run.suffix in (".npy", ".npz"):
            source = _load_array(run)
            if n is not None and n > len(source):
                raise GanforgeError(f"--n {n}: {run} holds only {len(source)} samples; ask for at most that many "
                                    f"(or leave --n out to use them all)")
            n = n or len(source)
            if progress:
                print(f"evaluating {n} of the {len(source)} samples in {run}")
    given = reference
    if reference is None:
        reference = _default_reference(run) if run is not None and run.is_dir() else \
            _test_split(getattr(source, "meta", {}).get("dataset") or "mnist")
    if isinstance(reference, (str, os.PathLike)) and str(reference).endswith((".npy", ".npz")):
        reference = _load_array(Path(reference))
    from .metrics import toy as _toy

    toy = reference.split("-")[0] if isinstance(reference, str) else None
    if toy in _toy.TOY_MODES or metrics == "modes":
        if toy not in _toy.TOY_MODES:
            raise GanforgeError(f"--metrics modes counts the modes of a toy mixture: give --reference "
                                f"{' or '.join(_toy.TOY_MODES)} (reference= in Python; given: {given or 'not given'})")
        if not isinstance(source, (nn.Module, Path)):  # an array of points
            import numpy as np

            arr = np.asarray(source[:n], dtype=np.float32)
            if arr.ndim != 2 or arr.shape[1] != 2:
                raise GanforgeError(f"{run or 'the array'}: mode metrics take points of shape (N, 2), got {arr.shape}")
            return _toy.toy_metrics(torch.from_numpy(arr), toy)
        if n is None:
            n = _toy.TOY_NUM_SAMPLES
            if progress:
                print(f"evaluating {n} samples (the toy protocol's default; set --n for another count)")
        return _toy.evaluate_toy(load(run, device=device) if run is not None else source, toy, n=n, seed=seed)
    from .metrics import evaluate as _evaluate

    kw = {k: v for k, v in kw.items() if v is not None}  # None: the metric's own default
    return _evaluate(source, reference=reference, metrics=metrics or "fid,kid,is,pr", n=n or 10000,
                     extractor=extractor, batch_size=batch_size, seed=seed, device=device, progress=progress, **kw)


def _generator_kind(source: Any) -> str | None:
    """The data kind a generator (or a run's / saved folder's generator) was trained on, if known."""
    if isinstance(source, nn.Module):
        return (getattr(source, "meta", {}) or {}).get("kind")
    if isinstance(source, Path) and source.is_dir():
        from .nets import read_model_config

        folder = source / "generator" if (source / "generator").is_dir() else source
        if (folder / "config.json").is_file():
            return (read_model_config(folder).get("meta") or {}).get("kind")
    return None


def _reference_dataset(run: Path | None, reference: Any, kind: str) -> Any:
    """The real data for a ``kind`` evaluation: the dataset of the run's config.yaml, or the
    registered dataset ``reference`` (with the run's data options, when there is a run)."""
    from .config import DataConfig
    from .data import build_dataset

    data = DataConfig()
    cfg_path = run / "config.yaml" if run is not None else None
    if cfg_path is not None and cfg_path.is_file():
        data = config_from_dict(load_yaml(cfg_path), str(cfg_path)).data
    elif reference is None:
        raise GanforgeError(f"evaluating a {kind} generator needs the real data: give a run folder (its config.yaml "
                            f"names the dataset) or reference='DATASET' (--reference)")
    if reference is not None:
        if not isinstance(reference, str):
            raise GanforgeError(f"--reference for a {kind} generator: give a dataset name, e.g. bach-chorales")
        data.name = reference
    return build_dataset(data)


def _load_array(path: Path) -> Any:
    """The array in a .npy file, or the first one in a .npz; unreadable files are named errors (no pickles)."""
    import zipfile

    import numpy as np

    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                if not z.files:
                    raise GanforgeError(f"{path}: the .npz file holds no arrays")
                return z[z.files[0]]
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise GanforgeError(f"{path}: cannot read a numpy array ({type(e).__name__}: {e})") from None


def _default_reference(run: Path) -> str:
    """The test split of the dataset a run was trained on (its config.yaml), else mnist-test."""
    import yaml

    cfg_path = run / "config.yaml"
    if cfg_path.is_file():
        return _test_split((yaml.safe_load(cfg_path.read_text()) or {}).get("data", {}).get("name", "mnist"))
    return "mnist-test"


def _test_split(dataset: str) -> str:
    """The reference for a generator trained on ``dataset``: its test split (a folder is its own)."""
    return dataset if dataset.startswith("folder:") else f"{dataset}-test"


def list_families() -> dict[str, str]:
    """Loop families, then the fit/sample models (run kinds) that :func:`train` reaches the same way."""
    from .families import FAMILIES, RUN_KINDS

    return {**{e.name: e.help for e in FAMILIES.items()},
            **{e.name: f"{e.help} [fit/sample model]" for e in RUN_KINDS.items()}}


def list_datasets() -> dict[str, str]:
    from .data import DATASETS

    return {e.name: e.help for e in DATASETS.items()}


def list_losses() -> dict[str, str]:
    from .losses import LOSSES, PENALTIES

    return {**{e.name: e.help for e in LOSSES.items()}, **{e.name: e.help for e in PENALTIES.items()}}


def list_networks() -> dict[str, str]:
    from .nets import NETS

    return {e.name: e.help for e in NETS.items()}
