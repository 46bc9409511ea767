"""Quality of synthetic tables: machine-learning efficacy, per-column distances, association difference.

- :func:`ml_efficacy`: train classifiers on synthetic rows and, for reference, on real training
  rows; score both on the same real held-out rows (F1: binary with the minority class as
  positive for a two-class target, macro otherwise). Close scores mean the synthetic rows carry
  the relation between features and target (Xu et al. 2019, sec. 5.2).
- :func:`column_distances`: per column, the Kolmogorov-Smirnov statistic and the Wasserstein-1
  distance (raw and divided by the real column's standard deviation) for continuous columns;
  the total variation distance ``0.5 * sum |p - q|`` of the category frequencies for discrete ones.
- :func:`association_matrix` / :func:`correlation_difference`: pairwise association (Pearson r
  for two numeric columns, Cramér's V for two discrete ones, the correlation ratio eta for a
  numeric and a discrete one), and the mean absolute difference between real and synthetic
  matrices over all column pairs.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import GanforgeError

CLASSIFIERS = ("logistic", "random_forest", "mlp")


def _make_classifier(name: str, seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    if name == "logistic":
        return LogisticRegression(max_iter=1000)
    if name == "random_forest":
        return RandomForestClassifier(n_estimators=100, min_samples_leaf=2, random_state=seed, n_jobs=1)
    if name == "mlp":
        return MLPClassifier(hidden_layer_sizes=(100,), max_iter=200, early_stopping=True, random_state=seed)
    raise GanforgeError(f"unknown classifier {name!r}; accepted: {', '.join(CLASSIFIERS)}")


def _pipeline(name: str, features: list[str], discrete: list[str], seed: int) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = [c for c in features if c in discrete]
    nums = [c for c in features if c not in discrete]
    enc = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cats),
                             ("num", StandardScaler(), nums)])
    return make_pipeline(enc, _make_classifier(name, seed))


def _check_frames(target: str, *frames: pd.DataFrame) -> None:
    cols = list(frames[0].columns)
    for f in frames:
        if target not in f.columns:
            raise GanforgeError(f"target column {target!r} is not in the table (columns: {', '.join(map(str, f.columns))})")
        if set(f.columns) != set(cols):
            raise GanforgeError(f"tables have different columns: {sorted(set(cols) ^ set(f.columns))}")


def ml_efficacy(real_train: pd.DataFrame, synthetic: pd.DataFrame, real_test: pd.DataFrame, target: str,
                discrete_columns: Sequence[str], classifiers: Sequence[str] = CLASSIFIERS,
                seed: int = 0) -> dict[str, Any]:
    """F1 on ``real_test`` of classifiers trained on ``synthetic`` and on ``real_train``.

    Returns ``{"average", "pos_label", "real": {clf: f1}, "synthetic": {clf: f1}, "real_mean",
    "synthetic_mean"}``. A training set with a single target class gets a constant
    (most-frequent) predictor, since no classifier can be fitted to it.
    """
    from sklearn.dummy import DummyClassifier
    from sklearn.metrics import f1_score

    _check_frames(target, real_train, synthetic, real_test)
    discrete = [c for c in discrete_columns if c != target]
    features = [c for c in real_train.columns if c != target]
    y_test = real_test[target].astype(str).to_numpy()
    classes = np.unique(real_train[target].astype(str))
    if len(classes) == 2:
        counts = real_train[target].astype(str).value_counts()
        average, pos = "binary", str(counts.idxmin())
    else:
        average, pos = "macro", None
    out: dict[str, Any] = {"average": average, "pos_label": pos, "real": {}, "synthetic": {}}
    for source, frame in (("real", real_train), ("synthetic", synthetic)):
        y = frame[target].astype(str).to_numpy()
        for name in classifiers:
            model = (_pipeline(name, features, discrete, seed) if len(np.unique(y)) > 1
                     else DummyClassifier(strategy="most_frequent"))
            model.fit(frame[features], y)
            pred = model.predict(real_test[features])
            kw = {"pos_label": pos} if average == "binary" else {}
            out[source][name] = float(f1_score(y_test, pred, average=average, zero_division=0, **kw))
    out["real_mean"] = float(np.mean(list(out["real"].values())))
    out["synthetic_mean"] = float(np.mean(list(out["synthetic"].values())))
    return out


def total_variation(real: pd.Series, synth: pd.Series) -> float:
    """0.5 * sum over categories of |p_real - p_synth|, in [0, 1]."""
    p = real.astype(str).value_counts(normalize=True)
    q = synth.astype(str).value_counts(normalize=True)
    idx = p.index.union(q.index)
    return float(0.5 * (p.reindex(idx, fill_value=0) - q.reindex(idx, fill_value=0)).abs().sum())


def column_distances(real: pd.DataFrame, synth: pd.DataFrame, discrete_columns: Sequence[str]) -> pd.DataFrame:
    """One row per column: column, kind, ks, wasserstein, wasserstein_std (divided by the real std), tvd.

    Metrics that do not apply to a column's kind are NaN.
    """
    from scipy.stats import ks_2samp, wasserstein_distance

    rows = []
    for col in real.columns:
        if col not in synth.columns:
            raise GanforgeError(f"synthetic table lacks column {col!r}")
        if col in discrete_columns:
            rows.append({"column": col, "kind": "discrete", "ks": np.nan, "wasserstein": np.nan,
                         "wasserstein_std": np.nan, "tvd": total_variation(real[col], synth[col])})
            continue
        a, b = real[col].to_numpy(dtype=float), synth[col].to_numpy(dtype=float)
        w = float(wasserstein_distance(a, b))
        sd = float(a.std())
        rows.append({"column": col, "kind": "continuous", "ks": float(ks_2samp(a, b).statistic), "wasserstein": w,
                     "wasserstein_std": w / sd if sd > 0 else np.nan, "tvd": np.nan})
    return pd.DataFrame(rows)


def cramers_v(x: pd.Series, y: pd.Series) -> float:
    """Cramér's V of two discrete columns: sqrt(chi2 / (n (min(r, c) - 1))), in [0, 1]."""
    table = pd.crosstab(x.astype(str), y.astype(str)).to_numpy(dtype=float)
    n = table.sum()
    r, c = table.shape
    if min(r, c) < 2:
        return 0.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * (min(r, c) - 1))))


def correlation_ratio(categories: pd.Series, values: pd.Series) -> float:
    """Correlation ratio eta: sqrt(between-group variance / total variance) of ``values`` grouped
    by ``categories``, in [0, 1]; 0 when ``values`` is constant."""
    v = values.to_numpy(dtype=float)
    total = ((v - v.mean()) ** 2).sum()
    if total == 0:
        return 0.0
    g = pd.DataFrame({"c": categories.astype(str).to_numpy(), "v": v}).groupby("c")["v"].agg(["mean", "count"])
    between = float((g["count"] * (g["mean"] - v.mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def _pearson(a: pd.Series, b: pd.Series) -> float:
    x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    if x.std() == 0 or y.std() == 0:
        return 0.0  # a constant column has no linear association with anything
    return float(np.corrcoef(x, y)[0, 1])


def association_matrix(df: pd.DataFrame, discrete_columns: Sequence[str]) -> pd.DataFrame:
    """Symmetric (C, C) matrix of pairwise associations, 1 on the diagonal.

    numeric-numeric: Pearson r in [-1, 1]; discrete-discrete: Cramér's V in [0, 1];
    numeric-discrete: correlation ratio eta in [0, 1].
    """
    cols = list(df.columns)
    m = np.eye(len(cols))
    for i, a in enumerate(cols):
        for j in range(i + 1, len(cols)):
            b = cols[j]
            da, db = a in discrete_columns, b in discrete_columns
            if da and db:
                v = cramers_v(df[a], df[b])
            elif da:
                v = correlation_ratio(df[a], df[b])
            elif db:
                v = correlation_ratio(df[b], df[a])
            else:
                v = _pearson(df[a], df[b])
            m[i, j] = m[j, i] = v
    return pd.DataFrame(m, index=cols, columns=cols)


def correlation_difference(real: pd.DataFrame, synth: pd.DataFrame,
                           discrete_columns: Sequence[str]) -> dict[str, Any]:
    """``{"score": mean |A_real - A_synth| over column pairs i < j, "matrix": |A_real - A_synth|}``."""
    synth = synth[list(real.columns)]
    diff = (association_matrix(real, discrete_columns) - association_matrix(synth, discrete_columns)).abs()
    iu = np.triu_indices(len(real.columns), k=1)
    score = float(diff.to_numpy()[iu].mean()) if len(iu[0]) else 0.0
    return {"score": score, "matrix": diff}


def evaluate_table(real_train: pd.DataFrame, synthetic: pd.DataFrame, real_test: pd.DataFrame, target: str,
                   discrete_columns: Sequence[str], classifiers: Sequence[str] = CLASSIFIERS,
                   seed: int = 0) -> dict[str, Any]:
    """All three evaluations in one flat, JSON-able dict (distances against ``real_test``)."""
    eff = ml_efficacy(real_train, synthetic, real_test, target, discrete_columns, classifiers, seed)
    dist = column_distances(real_test, synthetic, discrete_columns)
    corr = correlation_difference(real_test, synthetic, discrete_columns)
    cont, disc = dist[dist.kind == "continuous"], dist[dist.kind == "discrete"]
    return {"f1_real": eff["real"], "f1_synthetic": eff["synthetic"], "f1_real_mean": eff["real_mean"],
            "f1_synthetic_mean": eff["synthetic_mean"], "f1_average": eff["average"], "pos_label": eff["pos_label"],
            "ks_mean": float(cont.ks.mean()) if len(cont) else None,
            "wasserstein_std_mean": float(cont.wasserstein_std.mean()) if len(cont) else None,
            "tvd_mean": float(disc.tvd.mean()) if len(disc) else None,
            "association_diff": corr["score"],
            "columns": dist.replace({np.nan: None}).to_dict(orient="records")}
