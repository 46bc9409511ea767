"""Reversible encoding of a table into the matrix a tabular GAN learns (CTGAN, Xu et al. 2019, sec. 4.2).

Continuous column -> mode-specific normalisation: a variational Gaussian mixture (Dirichlet
process prior, up to ``max_modes`` components, those with weight above ``weight_threshold``
kept) is fitted per column. Each value ``x`` gets a mode ``k`` drawn from its posterior over the
kept modes, and is encoded as ``[alpha, onehot(k)]`` with ``alpha = (x - mu_k) / (4 sigma_k)``
clipped to [-0.99, 0.99]. Discrete column -> one-hot of its categories.

The fitted state is plain data: ``transformer.json`` (column names, kinds, dtypes, categories
and counts) and ``transformer.safetensors`` (the mixtures' weights, means and standard
deviations, float64). Nothing is pickled, and the encoding after :meth:`DataTransformer.load`
is the same as before saving because the posterior is computed from those numbers alone.
"""
from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import GanforgeError

STATE_JSON = "transformer.json"
STATE_TENSORS = "transformer.safetensors"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Span:
    """A slice of the encoded row: ``size`` columns produced by ``activation`` (tanh | softmax)."""

    size: int
    activation: str


def _py(value: Any) -> Any:
    """numpy scalar -> Python scalar, so categories survive JSON."""
    return value.item() if isinstance(value, np.generic) else value


class DataTransformer:
    """Encode a DataFrame for a tabular GAN and decode generated rows back into a DataFrame.

    Hyper-parameters are stored as given; learned state ends in ``_``.

    After :meth:`fit`: ``columns_`` (one dict per column, in table order), ``output_info_`` (the
    :class:`Span` list of an encoded row) and ``output_dim_``.
    """

    def __init__(self, max_modes: int = 10, weight_threshold: float = 0.005, seed: int | None = None) -> None:
        self.max_modes = max_modes
        self.weight_threshold = weight_threshold
        self.seed = seed

    # ----------------------------------------------------------------------------- fitting
    def fit(self, df: pd.DataFrame, discrete_columns: Sequence[str] = ()) -> "DataTransformer":
        """Fit one mixture per continuous column and the category list of each discrete column.

        ``df`` must already be checked (see :mod:`ganforge.data.tabular_validate`): no NaN, numeric
        continuous columns.
        """
        self.columns_: list[dict[str, Any]] = []
        self.arrays_: dict[str, np.ndarray] = {}
        for i, col in enumerate(df.columns):
            s = df[col]
            meta: dict[str, Any] = {"name": str(col), "dtype": str(s.dtype)}
            if col in discrete_columns:
                cats, counts = np.unique(s.to_numpy(), return_counts=True)
                meta.update(kind="discrete", categories=[_py(c) for c in cats], counts=[int(c) for c in counts])
            elif s.nunique() == 1:
                # A constant column carries no information: it is not modelled, only restored.
                meta.update(kind="constant", value=_py(s.iloc[0]))
            else:
                meta.update(self._fit_continuous(i, s.to_numpy(dtype=np.float64)))
                meta["is_int"] = bool(pd.api.types.is_integer_dtype(s))
            self.columns_.append(meta)
        self._build_spans()
        return self

    def _fit_continuous(self, i: int, x: np.ndarray) -> dict[str, Any]:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import BayesianGaussianMixture

        n_comp = int(min(self.max_modes, len(np.unique(x))))
        # Dirichlet-process prior with a small concentration lets unneeded modes get ~0 weight
        # (the paper's "variational Gaussian mixture"); they are then dropped by the threshold.
        bgm = BayesianGaussianMixture(n_components=n_comp, weight_concentration_prior_type="dirichlet_process",
                                      weight_concentration_prior=0.001, n_init=1, random_state=self.seed)
        with warnings.catch_warnings():
            # Non-convergence within max_iter is routine here and harmless for the encoding;
            # it is recorded in the column's state instead of printed once per column.
            warnings.simplefilter("ignore", ConvergenceWarning)
            bgm.fit(x.reshape(-1, 1))
        keep = bgm.weights_ > self.weight_threshold
        if not keep.any():
            keep = bgm.weights_ == bgm.weights_.max()
        weights = bgm.weights_[keep]
        self.arrays_[f"{i}.weights"] = weights / weights.sum()
        self.arrays_[f"{i}.means"] = bgm.means_.reshape(-1)[keep].astype(np.float64)
        self.arrays_[f"{i}.stds"] = np.sqrt(bgm.covariances_.reshape(-1)[keep]).astype(np.float64)
        return {"kind": "continuous", "n_modes": int(keep.sum()), "min": float(x.min()), "max": float(x.max()),
                "converged": bool(bgm.converged_)}

    def _build_spans(self) -> None:
        spans: list[Span] = []
        for meta in self.columns_:
            if meta["kind"] == "continuous":
                spans += [Span(1, "tanh"), Span(meta["n_modes"], "softmax")]
            elif meta["kind"] == "discrete":
                spans.append(Span(len(meta["categories"]), "softmax"))
        self.output_info_ = spans
        self.output_dim_ = sum(s.size for s in spans)

    # ----------------------------------------------------------------------------- queries
    def _check_fitted(self) -> None:
        if not hasattr(self, "columns_"):
            raise GanforgeError("this DataTransformer is not fitted: call fit(df, discrete_columns) first")

    @property
    def column_names(self) -> list[str]:
        self._check_fitted()
        return [m["name"] for m in self.columns_]

    def discrete_info(self) -> list[dict[str, Any]]:
        """Per discrete column: name, categories, counts and the offset of its one-hot in a row."""
        self._check_fitted()
        out, offset = [], 0
        for meta in self.columns_:
            if meta["kind"] == "continuous":
                offset += 1 + meta["n_modes"]
            elif meta["kind"] == "discrete":
                k = len(meta["categories"])
                out.append({"name": meta["name"], "categories": meta["categories"], "counts": meta["counts"],
                            "offset": offset, "size": k})
                offset += k
        return out

    def _mixture(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.arrays_[f"{i}.weights"], self.arrays_[f"{i}.means"], self.arrays_[f"{i}.stds"]

    # ----------------------------------------------------------------------------- transform
    def transform(self, df: pd.DataFrame, rng: np.random.Generator | None = None) -> np.ndarray:
        """Encode ``df`` -> float32 (N, output_dim_). alphas in [-0.99, 0.99], one-hots in {0, 1}.

        Modes are drawn from each value's posterior, so pass ``rng`` for a reproducible encoding.
        """
        self._check_fitted()
        rng = rng if rng is not None else np.random.default_rng(self.seed)
        missing = [m["name"] for m in self.columns_ if m["name"] not in df.columns]
        if missing:
            raise GanforgeError(f"cannot transform: the table lacks column(s) {missing} seen at fit time")
        parts: list[np.ndarray] = []
        for i, meta in enumerate(self.columns_):
            s = df[meta["name"]]
            if meta["kind"] == "continuous":
                parts += self._encode_continuous(i, s.to_numpy(dtype=np.float64), rng)
            elif meta["kind"] == "discrete":
                parts.append(self._encode_discrete(meta, s))
        if not parts:
            return np.zeros((len(df), 0), dtype=np.float32)
        return np.concatenate(parts, axis=1).astype(np.float32)

    def _encode_continuous(self, i: int, x: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        w, mu, sd = self._mixture(i)
        z = (x[:, None] - mu[None, :]) / sd[None, :]
        logp = np.log(w)[None, :] - np.log(sd)[None, :] - 0.5 * z ** 2
        post = np.exp(logp - logp.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        # Inverse-CDF draw of one mode per row from its posterior.
        u = rng.random(len(x))[:, None]
        mode = np.minimum((post.cumsum(axis=1) < u).sum(axis=1), len(w) - 1)
        alpha = np.clip((x - mu[mode]) / (4.0 * sd[mode]), -0.99, 0.99)
        onehot = np.zeros((len(x), len(w)))
        onehot[np.arange(len(x)), mode] = 1.0
        return [alpha[:, None], onehot]

    @staticmethod
    def _encode_discrete(meta: dict[str, Any], s: pd.Series) -> np.ndarray:
        index = {c: j for j, c in enumerate(meta["categories"])}
        codes = np.array([index.get(_py(v), -1) for v in s.to_numpy()])
        if (codes < 0).any():
            bad = s.to_numpy()[codes < 0][:5].tolist()
            raise GanforgeError(f"column {meta['name']!r}: values {bad} were not seen at fit time "
                                f"(known: {meta['categories'][:20]})")
        onehot = np.zeros((len(s), len(index)))
        onehot[np.arange(len(s)), codes] = 1.0
        return onehot

    # ----------------------------------------------------------------------------- inverse
    def inverse_transform(self, data: np.ndarray) -> pd.DataFrame:
        """Decode (N, output_dim_) rows -> DataFrame with the fitted columns and dtypes.

        tanh parts are clipped to [-1, 1]; each softmax part is read by its argmax. Continuous
        values are clipped to the range seen at fit time, and integer columns are rounded.
        """
        self._check_fitted()
        data = np.asarray(data, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] != self.output_dim_:
            raise GanforgeError(f"inverse_transform expects (N, {self.output_dim_}) rows, got {data.shape}")
        n, offset, out = data.shape[0], 0, {}
        for i, meta in enumerate(self.columns_):
            if meta["kind"] == "constant":
                values = pd.Series([meta["value"]] * n)
            elif meta["kind"] == "continuous":
                _, mu, sd = self._mixture(i)
                k = meta["n_modes"]
                alpha = np.clip(data[:, offset], -1.0, 1.0)
                mode = data[:, offset + 1: offset + 1 + k].argmax(axis=1)
                x = np.clip(alpha * 4.0 * sd[mode] + mu[mode], meta["min"], meta["max"])
                values = pd.Series(np.round(x) if meta["is_int"] else x)
                offset += 1 + k
            else:
                k = len(meta["categories"])
                codes = data[:, offset: offset + k].argmax(axis=1)
                values = pd.Series([meta["categories"][j] for j in codes], dtype=object)
                offset += k
            out[meta["name"]] = values.astype(meta["dtype"])
        return pd.DataFrame(out)

    # ----------------------------------------------------------------------------- save / load
    def state(self) -> dict[str, Any]:
        self._check_fitted()
        return {"format": FORMAT_VERSION, "max_modes": self.max_modes, "weight_threshold": self.weight_threshold,
                "seed": self.seed, "columns": self.columns_}

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``transformer.json`` and ``transformer.safetensors`` into ``directory``."""
        from safetensors.numpy import save_file

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        (d / STATE_JSON).write_text(json.dumps(self.state(), indent=2))
        arrays = {k: np.ascontiguousarray(v) for k, v in self.arrays_.items()}
        # safetensors refuses an empty dict on some versions: keep a marker tensor.
        arrays.setdefault("_empty", np.zeros(1))
        save_file(arrays, str(d / STATE_TENSORS))
        return d

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> "DataTransformer":
        from safetensors.numpy import load_file

        d = Path(directory)
        path = d / STATE_JSON
        if not path.is_file():
            raise GanforgeError(f"{path}: no saved DataTransformer here (expected {STATE_JSON} and {STATE_TENSORS})")
        state = json.loads(path.read_text())
        if state.get("format") != FORMAT_VERSION:
            raise GanforgeError(f"{path}: format {state.get('format')!r} is not {FORMAT_VERSION}")
        self = cls(max_modes=state["max_modes"], weight_threshold=state["weight_threshold"], seed=state["seed"])
        self.columns_ = state["columns"]
        arrays = load_file(str(d / STATE_TENSORS))
        arrays.pop("_empty", None)
        self.arrays_ = arrays
        self._build_spans()
        return self
