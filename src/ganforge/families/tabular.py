"""``tabular``: the CTGAN-style conditional GAN for tables (:class:`.tabular_gan.TabularGAN`),
reached like every family: ``ganforge.train("tabular", data="table:adult", options={"epochs": 10})``.

It is a run kind (:mod:`.runkinds`), not a loop family: a batch of real rows is drawn to match
the conditions sampled for that batch (training-by-sampling, Xu et al. 2019, sec. 4.3), the
rows are encoded by a mode-specific normalizer fitted on the whole table first, and the model
is a scikit-learn-style estimator (``fit(df)`` / ``sample(n)``) that users embed directly.
The loop's batches are index draws from a fixed tensor dataset, so it fits itself; its options
are read like every family's, through :func:`.options.parse_options`.

The run folder holds TabularGAN.save's files (tabular.json, the transformer, generator/,
discriminator/) plus config.yaml (family: tabular, the marker ``ganforge.load`` reads, with the
resolved options), metrics.jsonl (one line per epoch) and loss.png.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import RunConfig
from ..errors import GanforgeError
from .options import parse_options
from .runkinds import FitResult, RunKind, register_run_kind


@dataclass(frozen=True)
class TabularOptions:
    """TabularGAN's hyper-parameters (``--option NAME=VALUE``), with the CTGAN paper's defaults,
    plus ``discrete``: the discrete columns (default: the string, category and bool columns)."""

    epochs: int = 300
    discrete: list[str] | None = None
    batch_size: int = 500
    embedding_dim: int = 128
    generator_dim: list[int] = field(default_factory=lambda: [256, 256])
    discriminator_dim: list[int] = field(default_factory=lambda: [256, 256])
    generator_lr: float = 2e-4
    generator_decay: float = 1e-6
    discriminator_lr: float = 2e-4
    discriminator_decay: float = 1e-6
    discriminator_steps: int = 1
    pac: int = 10
    gp_lambda: float = 10.0
    tau: float = 0.2
    max_modes: int = 10
    weight_threshold: float = 0.005
    log_frequency: bool = True


#: run-config fields that mean the same as an option; a field set to other than the RunConfig
#: default wins over the option (a RunConfig cannot tell a default typed by hand from none)
FROM_CONFIG = {"data.batch_size": "batch_size", "train.lr_g": "generator_lr", "train.lr_d": "discriminator_lr",
               "train.d_steps": "discriminator_steps", "train.pack": "pac", "model.z_dim": "embedding_dim",
               "train.gp_weight": "gp_lambda"}
#: other run-config fields the tabular run reads (model.width sets both hidden sizes)
READS = {"family", "data.name", "data.limit", "data.options", "model.width", "train.seed", "train.device",
         "train.out", "train.progress", "train.tensorboard"}


def resolve_options(cfg: RunConfig) -> TabularOptions:
    """The options of a tabular run: ``cfg.options`` parsed, then the run-config fields the user set.

    Raises GanforgeError for a set config field the tabular model does not use (e.g. train.loss),
    an unknown option or a data option other than ``nan``."""
    explicit = set(cfg.diff(RunConfig(family=cfg.family)))
    unused = sorted(k for k in explicit if k not in FROM_CONFIG and k not in READS and not k.startswith("options."))
    if unused:
        raise GanforgeError(f"train tabular does not use {', '.join(unused)}; its settings are --epochs, --discrete, "
                            f"--batch-size, --lr-g, --lr-d, --d-steps, --pack, --z-dim, --gp-weight, --width, "
                            f"--seed, --device, --limit, --nan and --option NAME=VALUE for any of: "
                            f"{', '.join(f.name for f in dataclasses.fields(TabularOptions))}")
    extra = sorted(set(cfg.data.options) - {"nan"})
    if extra:
        raise GanforgeError(f"data options {extra} do not apply to tables (accepted: nan=error|drop)")
    opts = parse_options(cfg.options, TabularOptions, "tabular")
    flat = cfg.flat()
    changes: dict[str, Any] = {name: flat[key] for key, name in FROM_CONFIG.items() if key in explicit}
    if cfg.model.width is not None:
        changes["generator_dim"] = changes["discriminator_dim"] = [cfg.model.width, cfg.model.width]
    return dataclasses.replace(opts, **changes)


def train(cfg: RunConfig, resume: bool = False, overwrite: bool = False) -> FitResult:
    """Fit a TabularGAN on ``cfg.data.name`` (``table:PATH`` or ``table:adult``) and save the run."""
    import torch

    from ..data.tabular import load_table_source, parse_discrete
    from .tabular_gan import TabularGAN

    if resume:
        raise GanforgeError("train tabular fits in one go and cannot resume; start again with overwrite "
                            "(--overwrite)")
    opts = resolve_options(cfg)
    out = Path(cfg.train.out or "runs/tabular")
    if (out / "tabular.json").exists() and not overwrite:
        raise GanforgeError(f"{out} already holds a tabular model: add --overwrite to fit it again, or choose another --out")
    df = load_table_source(cfg.data.name, cfg.data.limit)
    discrete = parse_discrete(opts.discrete, df)
    params = {k: v for k, v in dataclasses.asdict(opts).items() if k != "discrete"}
    params.update(nan=cfg.data.options.get("nan", "error"), seed=cfg.train.seed, verbose=bool(cfg.train.progress),
                  device=cfg.train.device if cfg.train.device != "auto" else
                  ("cuda" if torch.cuda.is_available() else None))
    gan = TabularGAN(**params).fit(df, discrete_columns=discrete)
    gan.save(out)
    cfg.options = {**dataclasses.asdict(opts), "discrete": discrete}
    cfg.train.out = str(out)
    (out / "config.yaml").write_text(cfg.to_yaml())
    with open(out / "metrics.jsonl", "w") as f:
        for e in gan.loss_log_:
            row = {"step": e["epoch"], "d_loss": e.get("loss_d"), "g_loss": e.get("loss_g"),
                   **{k: v for k, v in e.items() if k not in ("epoch", "loss_d", "loss_g")}}
            f.write(json.dumps(row) + "\n")
    if cfg.train.progress:
        print(f"fitted {len(df)} rows x {df.shape[1]} columns ({len(discrete)} discrete) in "
              f"{gan.fit_seconds_:.1f} s")
    return FitResult(out=out, step=len(gan.loss_log_), record=dict(gan.loss_log_[-1]), model=gan)


def load(run: Path, device: str = "cpu") -> Any:
    """The fitted TabularGAN saved in run folder ``run``, on ``device``."""
    from .tabular_gan import TabularGAN

    return TabularGAN.load(run, device=str(device))


#: metric name -> what it reports (keys of the result)
METRICS = {"columns": "ks_mean, wasserstein_std_mean (continuous columns), tvd_mean (discrete columns)",
           "association": "association_diff: mean |difference| of the pairwise association matrices",
           "efficacy": "f1_real_mean, f1_synthetic_mean, f1_real/CLASSIFIER, ...: classifiers trained on "
                       "the reference / the synthetic rows, scored on the test= table (needs target= and test=)"}


def evaluate(model: Any, metrics: str | None = None, n: int | None = None, reference: str | None = None,
             seed: int = 0, run: Path | None = None, target: str | None = None, test: str | None = None,
             **unused: Any) -> dict[str, Any]:
    """Compare ``n`` synthetic rows (default: as many as the reference has) with the reference
    table (``table:PATH``; default: the run's training table). Returns one flat dict."""
    from ..data.tabular import load_table_source
    from ..metrics.tabular import column_distances, correlation_difference, ml_efficacy

    names = [m.strip() for m in (metrics or "columns,association").split(",") if m.strip()]
    bad = [m for m in names if m not in METRICS]
    if bad:
        raise GanforgeError(f"metrics {bad} do not apply to a tabular model; accepted: {', '.join(METRICS)}")
    ignored = sorted(k for k, v in unused.items() if v is not None)
    if ignored:
        raise GanforgeError(f"evaluate of a tabular model does not use {', '.join(ignored)}")
    if reference is None:
        if run is None or not (run / "config.yaml").is_file():
            raise GanforgeError("evaluate of a tabular model needs reference='table:PATH' (a run folder's "
                                "default is the table it was trained on)")
        reference = _training_table(run)
    real = load_table_source(reference)
    synth = model.sample(n or len(real), seed=seed)
    discrete = list(model.discrete_columns_)
    res: dict[str, Any] = {"n": len(synth), "reference": reference}
    if "columns" in names:
        dist = column_distances(real, synth, discrete)
        cont, disc = dist[dist.kind == "continuous"], dist[dist.kind == "discrete"]
        res.update(ks_mean=float(cont.ks.mean()) if len(cont) else None,
                   wasserstein_std_mean=float(cont.wasserstein_std.mean()) if len(cont) else None,
                   tvd_mean=float(disc.tvd.mean()) if len(disc) else None)
    if "association" in names:
        res["association_diff"] = correlation_difference(real, synth, discrete)["score"]
    if "efficacy" in names:
        if target is None or test is None:
            raise GanforgeError("metric efficacy needs target=COLUMN and test='table:PATH' (held-out real rows)")
        eff = ml_efficacy(real, synth, load_table_source(test), target, discrete, seed=seed)
        for side in ("real", "synthetic"):
            res.update({f"f1_{side}/{clf}": f1 for clf, f1 in eff[side].items()})
        res.update(f1_real_mean=eff["real_mean"], f1_synthetic_mean=eff["synthetic_mean"], f1_average=eff["average"],
                   pos_label=eff["pos_label"])
    return res


def _training_table(run: Path) -> str:
    import yaml

    return str(((yaml.safe_load((run / "config.yaml").read_text()) or {}).get("data") or {}).get("name"))


register_run_kind("tabular", RunKind(train, load, evaluate,
                                     "conditional tabular GAN (CTGAN-style): --data table:PATH.csv|table:adult "
                                     "--discrete COLS --epochs N; sample --condition COL=VALUE --out rows.csv"))
