"""``TabularGAN``: a conditional tabular GAN in the manner of CTGAN, with scikit-learn conventions.

>>> gan = TabularGAN(epochs=10, seed=0).fit(df, discrete_columns=["sex", "income"])
>>> rows = gan.sample(1000, conditions={"income": ">50K"}, seed=1)
>>> gan.save("runs/adult"); gan2 = TabularGAN.load("runs/adult")

Hyper-parameters are stored verbatim by ``__init__``; everything learned ends in ``_``.
Defaults are those of the CTGAN paper (Xu et al. 2019): 300 epochs of batches of 500, noise of
128, two residual layers of 256 in the generator, two layers of 256 in the critic, Adam with
lr 2e-4 and betas (0.5, 0.9), weight decay 1e-6, pac 10, gradient-penalty weight 10,
Gumbel-softmax temperature 0.2.
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch

from ..errors import GanforgeError
from ..nets.base import load_model, save_model
from ..data.tabular_condvec import CondSampler
from ..nets.tabular import TabularDiscriminator, TabularGenerator
from ._tabular_steps import d_step, g_step
from ..data.tabular_transformer import DataTransformer
from ..data.tabular_validate import check_columns, handle_nan

CONFIG_FILE = "tabular.json"


class TabularGAN:
    """Conditional tabular GAN. See the module docstring for the defaults' source.

    Learned attributes after :meth:`fit`: ``transformer_`` (:class:`DataTransformer`),
    ``generator_`` / ``discriminator_`` (registered nets ``tabular_g`` / ``tabular_d``),
    ``columns_`` (column order), ``discrete_columns_``, ``loss_log_`` (one dict per epoch:
    epoch, loss_g, loss_d, gp, cond, wdist, seconds), ``n_dropped_`` (rows dropped by ``nan="drop"``),
    ``fit_seconds_``.
    """

    #: the run kind (:mod:`ganforge.families.tabular`) that trains, loads and evaluates it
    run_kind = "tabular"

    def __init__(self, epochs: int = 300, batch_size: int = 500, embedding_dim: int = 128,
                 generator_dim: Sequence[int] = (256, 256), discriminator_dim: Sequence[int] = (256, 256),
                 generator_lr: float = 2e-4, generator_decay: float = 1e-6,
                 discriminator_lr: float = 2e-4, discriminator_decay: float = 1e-6,
                 discriminator_steps: int = 1, pac: int = 10, gp_lambda: float = 10.0, tau: float = 0.2,
                 max_modes: int = 10, weight_threshold: float = 0.005, log_frequency: bool = True,
                 nan: str = "error", verbose: bool = False, seed: int | None = None,
                 device: str | None = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.generator_dim = generator_dim
        self.discriminator_dim = discriminator_dim
        self.generator_lr = generator_lr
        self.generator_decay = generator_decay
        self.discriminator_lr = discriminator_lr
        self.discriminator_decay = discriminator_decay
        self.discriminator_steps = discriminator_steps
        self.pac = pac
        self.gp_lambda = gp_lambda
        self.tau = tau
        self.max_modes = max_modes
        self.weight_threshold = weight_threshold
        self.log_frequency = log_frequency
        self.nan = nan
        self.verbose = verbose
        self.seed = seed
        self.device = device

    # ------------------------------------------------------------------ scikit-learn protocol
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        import inspect

        return {p: getattr(self, p) for p in inspect.signature(type(self).__init__).parameters if p != "self"}

    def set_params(self, **params: Any) -> "TabularGAN":
        valid = self.get_params()
        for k, v in params.items():
            if k not in valid:
                raise GanforgeError(f"unknown TabularGAN parameter {k!r}; valid: {', '.join(valid)}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        return f"TabularGAN({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> None:
        if self.batch_size % self.pac:
            raise GanforgeError(f"batch_size={self.batch_size} must be a multiple of pac={self.pac}")
        if self.epochs < 1 or self.batch_size < 1:
            raise GanforgeError(f"epochs ({self.epochs}) and batch_size ({self.batch_size}) must be positive")

    def _torch_device(self) -> torch.device:
        return torch.device(self.device or "cpu")

    def _build_nets(self, cond_dim: int) -> None:
        spans = [[s.size, s.activation] for s in self.transformer_.output_info_]
        dim = self.transformer_.output_dim_
        self.generator_ = TabularGenerator(z_dim=self.embedding_dim, cond_dim=cond_dim, data_dim=dim, spans=spans,
                                           hidden=list(self.generator_dim), tau=self.tau)
        self.discriminator_ = TabularDiscriminator(data_dim=dim, cond_dim=cond_dim,
                                                   hidden=list(self.discriminator_dim), pac=self.pac)
        dev = self._torch_device()
        self.generator_.to(dev)
        self.discriminator_.to(dev)

    def fit(self, df: pd.DataFrame, discrete_columns: Sequence[str] = ()) -> "TabularGAN":
        """Fit the transformer and train the GAN on ``df``. Returns ``self``.

        Raises :class:`GanforgeError` naming the column for: a discrete column absent from the
        table, mixed value types, a non-numeric continuous column, NaN (unless ``nan="drop"``).
        """
        self._check_params()
        if isinstance(discrete_columns, str):
            raise GanforgeError(f"discrete_columns must be a list of column names, not the string {discrete_columns!r}")
        discrete_columns = list(discrete_columns)
        check_columns(df, discrete_columns)
        df, self.n_dropped_ = handle_nan(df, self.nan)
        # With a seed, weight init and dropout draw from a forked global RNG: the fit is
        # reproducible and the caller's RNG state is left as it was.
        with torch.random.fork_rng(devices=[], enabled=self.seed is not None):
            if self.seed is not None:
                torch.manual_seed(self.seed)
            self._fit_checked(df, discrete_columns)
        return self

    def _fit_checked(self, df: pd.DataFrame, discrete_columns: list[str]) -> None:
        rng = np.random.default_rng(self.seed)
        tgen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        self.columns_ = [str(c) for c in df.columns]
        self.discrete_columns_ = discrete_columns
        self.transformer_ = DataTransformer(self.max_modes, self.weight_threshold, self.seed).fit(df, discrete_columns)
        data = self.transformer_.transform(df, rng)
        sampler = CondSampler(self.transformer_.discrete_info(), data, self.log_frequency)
        self._build_nets(sampler.cond_dim)
        self.loss_log_ = self._train(data, sampler, rng, tgen)
        self.fit_seconds_ = float(sum(e["seconds"] for e in self.loss_log_))

    def _optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        opt_g = torch.optim.Adam(self.generator_.parameters(), lr=self.generator_lr, betas=(0.5, 0.9),
                                 weight_decay=self.generator_decay)
        opt_d = torch.optim.Adam(self.discriminator_.parameters(), lr=self.discriminator_lr, betas=(0.5, 0.9),
                                 weight_decay=self.discriminator_decay)
        return opt_g, opt_d

    def _train(self, data: np.ndarray, sampler: CondSampler, rng: np.random.Generator,
               tgen: torch.Generator) -> list[dict[str, float]]:
        from tqdm import tqdm

        opt_g, opt_d = self._optimizers()
        real_all = torch.from_numpy(data).to(self._torch_device())
        steps = max(len(data) // self.batch_size, 1)
        log: list[dict[str, float]] = []
        bar = tqdm(range(self.epochs), desc="TabularGAN", disable=not self.verbose)
        self.generator_.train()
        self.discriminator_.train()
        for epoch in bar:
            t0, sums = time.perf_counter(), {}
            for _ in range(steps):
                for _ in range(self.discriminator_steps):
                    out = d_step(self.generator_, self.discriminator_, opt_d,
                                 self._d_batch(real_all, sampler, rng, tgen), self.gp_lambda, tgen)
                    _accumulate(sums, out, 1.0 / self.discriminator_steps)
                out = g_step(self.generator_, self.discriminator_, opt_g, self._g_batch(sampler, rng, tgen),
                             sampler.discrete, tgen)
                _accumulate(sums, out, 1.0)
            entry = {"epoch": epoch + 1, **{k: v / steps for k, v in sums.items()},
                     "seconds": time.perf_counter() - t0}
            log.append(entry)
            bar.set_postfix(loss_g=f"{entry['loss_g']:.3f}", loss_d=f"{entry['loss_d']:.3f}")
            if not all(math.isfinite(v) for v in entry.values()):
                raise GanforgeError(f"training diverged at epoch {epoch + 1}: {entry}")
        self.generator_.eval()
        self.discriminator_.eval()
        return log

    def _noise(self, n: int, tgen: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.embedding_dim, generator=tgen).to(self._torch_device())

    def _tensor(self, a: np.ndarray | None) -> torch.Tensor | None:
        return None if a is None else torch.from_numpy(a).to(self._torch_device())

    def _d_batch(self, real_all: torch.Tensor, sampler: CondSampler, rng: np.random.Generator,
                 tgen: torch.Generator) -> dict[str, torch.Tensor | None]:
        """Fake rows get cond vectors c1; real rows are drawn to match a shuffled copy of c1, so
        the critic sees real and fake rows under the same conditional distribution."""
        n = self.batch_size
        draw = sampler.sample_train(n, rng)
        if draw is None:
            idx = sampler.sample_rows(None, None, n, rng)
            return {"z": self._noise(n, tgen), "c_fake": None, "real": real_all[idx], "c_real": None}
        perm = rng.permutation(n)
        idx = sampler.sample_rows(draw["col"][perm], draw["cat"][perm], n, rng)
        return {"z": self._noise(n, tgen), "c_fake": self._tensor(draw["cond"]),
                "real": real_all[idx], "c_real": self._tensor(draw["cond"][perm])}

    def _g_batch(self, sampler: CondSampler, rng: np.random.Generator,
                 tgen: torch.Generator) -> dict[str, torch.Tensor | None]:
        draw = sampler.sample_train(self.batch_size, rng)
        return {"z": self._noise(self.batch_size, tgen),
                "c_fake": None if draw is None else self._tensor(draw["cond"]),
                "mask": None if draw is None else self._tensor(draw["mask"])}

    # ------------------------------------------------------------------ sampling
    def _check_fitted(self) -> None:
        if not hasattr(self, "generator_"):
            raise GanforgeError("this TabularGAN is not fitted: call fit(df, discrete_columns=[...]) first")

    def _condition_vector(self, sampler: CondSampler, conditions: dict[str, Any]) -> tuple[np.ndarray, dict]:
        """The cond vector for the first condition, and every condition as (column, value) to check."""
        discrete = {d["name"]: (j, d) for j, d in enumerate(sampler.discrete)}
        for col, value in conditions.items():
            if col not in self.columns_:
                raise GanforgeError(f"conditions: unknown column {col!r}; the table's columns are "
                                    f"{', '.join(self.columns_)}")
            if col not in discrete:
                raise GanforgeError(f"conditions: column {col!r} is continuous; conditions apply to discrete "
                                    f"columns only: {', '.join(discrete) or '(none)'}")
            cats = discrete[col][1]["categories"]
            if value not in cats:
                shown = ", ".join(map(repr, cats[:30])) + (" ..." if len(cats) > 30 else "")
                raise GanforgeError(f"conditions: value {value!r} never occurs in column {col!r}; known values: {shown}")
        first, value = next(iter(conditions.items()))
        j, d = discrete[first]
        cond, _ = sampler.vectors(np.array([j]), np.array([d["categories"].index(value)]))
        return cond, dict(conditions)

    @torch.no_grad()
    def _generate(self, n: int, cond: np.ndarray | None, sampler: CondSampler, rng: np.random.Generator,
                  tgen: torch.Generator) -> pd.DataFrame:
        if cond is None:
            c = self._tensor(sampler.sample_original(n, rng))
        else:
            c = self._tensor(np.repeat(cond, n, axis=0))
        rows = self.generator_(self._noise(n, tgen), c, generator=tgen)
        return self.transformer_.inverse_transform(rows.cpu().numpy())

    def sample(self, n: int, conditions: dict[str, Any] | None = None, seed: int | None = None,
               max_tries: int = 100) -> pd.DataFrame:
        """Generate ``n`` rows as a DataFrame with the training columns and dtypes.

        ``conditions``: ``{column: value}`` for discrete columns. The first one sets the
        generator's cond vector; rows that do not satisfy every condition are rejected and
        redrawn, up to ``max_tries`` rounds (GanforgeError if the model rarely produces them).
        ``seed`` makes the draw reproducible (same weights + same seed -> same rows).
        """
        self._check_fitted()
        if n < 1:
            raise GanforgeError(f"sample: n must be a positive number of rows, got {n}")
        rng = np.random.default_rng(seed)
        tgen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        sampler = CondSampler(self.transformer_.discrete_info())
        self.generator_.eval()
        if not conditions:
            return self._generate(n, None, sampler, rng, tgen)
        cond, wanted = self._condition_vector(sampler, conditions)
        kept: list[pd.DataFrame] = []
        have = 0
        for _ in range(max_tries):
            rows = self._generate(max(n, 64), cond, sampler, rng, tgen)
            ok = np.ones(len(rows), dtype=bool)
            for col, value in wanted.items():
                ok &= (rows[col] == value).to_numpy()
            kept.append(rows[ok])
            have += int(ok.sum())
            if have >= n:
                return pd.concat(kept, ignore_index=True).iloc[:n].reset_index(drop=True)
        raise GanforgeError(f"sample: only {have} of {n} rows met conditions {wanted} after {max_tries} rounds; "
                            f"train longer, or relax the conditions")

    # ------------------------------------------------------------------ save / load
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``tabular.json`` (parameters, columns, loss log), the transformer (JSON +
        safetensors) and the generator and critic (``generator/``, ``discriminator/``: config.json +
        model.safetensors). No pickle."""
        self._check_fitted()
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        state = {"format": 1, "params": params, "columns": self.columns_, "discrete_columns": self.discrete_columns_,
                 "loss_log": self.loss_log_, "n_dropped": self.n_dropped_, "fit_seconds": self.fit_seconds_}
        self.transformer_.save(d)
        save_model(self.generator_, d / "generator", meta={"role": "tabular generator"})
        save_model(self.discriminator_, d / "discriminator", meta={"role": "tabular critic"})
        (d / CONFIG_FILE).write_text(json.dumps(state, indent=2))
        return d

    @classmethod
    def load(cls, directory: str | os.PathLike[str], device: str | None = None) -> "TabularGAN":
        d = Path(directory)
        path = d / CONFIG_FILE
        if not path.is_file():
            raise GanforgeError(f"{path}: no saved TabularGAN here (expected {CONFIG_FILE}, transformer.json, "
                                f"generator/ and discriminator/)")
        state = json.loads(path.read_text())
        params = state["params"]
        if device is not None:
            params["device"] = device
        self = cls(**params)
        self.columns_ = state["columns"]
        self.discrete_columns_ = state["discrete_columns"]
        self.loss_log_ = state["loss_log"]
        self.n_dropped_ = state["n_dropped"]
        self.fit_seconds_ = state["fit_seconds"]
        self.transformer_ = DataTransformer.load(d)
        dev = self._torch_device()
        self.generator_ = load_model(d / "generator", map_location=dev)
        self.discriminator_ = load_model(d / "discriminator", map_location=dev)
        return self

    def loss_frame(self) -> pd.DataFrame:
        """The per-epoch loss log as a DataFrame (one row per epoch)."""
        self._check_fitted()
        return pd.DataFrame(self.loss_log_)


def _accumulate(sums: dict[str, float], out: dict[str, float], weight: float) -> None:
    for k, v in out.items():
        sums[k] = sums.get(k, 0.0) + weight * v
