"""The conditional vector and training-by-sampling (CTGAN, Xu et al. 2019, sec. 4.3).

The conditional vector concatenates one block per discrete column (the block's width is the
column's number of categories). A condition "column j takes category k" is the vector with a 1
at block j, position k, and zeros elsewhere; ``mask`` (N, n_discrete) marks which column was
chosen, for the conditional loss.

Training-by-sampling: pick a discrete column uniformly, then a category with probability
proportional to ``log(1 + count)`` (so rare categories are seen far more often than their
frequency), then a real row holding that category. At generation time without conditions the
category is drawn with its empirical frequency instead, so the samples follow the data's
marginals.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class CondSampler:
    """Draws conditional vectors and matching real rows.

    ``discrete``: the list from :meth:`DataTransformer.discrete_info` (name, categories,
    counts, offset, size). ``data``: the encoded training matrix (N, D), or None when only
    generation-time draws are needed.
    """

    def __init__(self, discrete: list[dict[str, Any]], data: np.ndarray | None = None,
                 log_frequency: bool = True) -> None:
        self.discrete = discrete
        self.sizes = np.array([d["size"] for d in discrete], dtype=np.int64)
        self.cond_offsets = np.concatenate([[0], np.cumsum(self.sizes)])[:-1] if discrete else np.zeros(0, np.int64)
        self.cond_dim = int(self.sizes.sum())
        counts = [np.asarray(d["counts"], dtype=np.float64) for d in discrete]
        self.train_probs = [(np.log1p(c) if log_frequency else c) for c in counts]
        self.train_probs = [p / p.sum() for p in self.train_probs]
        self.freq_probs = [c / c.sum() for c in counts]
        self.n_rows = 0 if data is None else data.shape[0]
        # rows_by_cat[j][k]: indices of the training rows whose column j holds category k.
        self.rows_by_cat: list[list[np.ndarray]] = []
        if data is not None:
            for d in discrete:
                codes = data[:, d["offset"]: d["offset"] + d["size"]].argmax(axis=1)
                self.rows_by_cat.append([np.flatnonzero(codes == k) for k in range(d["size"])])

    @property
    def n_discrete(self) -> int:
        return len(self.discrete)

    def _draw(self, n: int, probs: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        cols = rng.integers(0, self.n_discrete, size=n)
        cats = np.empty(n, dtype=np.int64)
        for j in np.unique(cols):
            sel = cols == j
            cats[sel] = rng.choice(len(probs[j]), size=int(sel.sum()), p=probs[j])
        return cols, cats

    def vectors(self, cols: np.ndarray, cats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cond (N, cond_dim), mask (N, n_discrete)) float32 for the given column/category pairs."""
        n = len(cols)
        cond = np.zeros((n, self.cond_dim), dtype=np.float32)
        cond[np.arange(n), self.cond_offsets[cols] + cats] = 1.0
        mask = np.zeros((n, self.n_discrete), dtype=np.float32)
        mask[np.arange(n), cols] = 1.0
        return cond, mask

    def sample_train(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray] | None:
        """Training-time draw: dict with cond, mask, col, cat; None when there is no discrete column."""
        if not self.n_discrete:
            return None
        cols, cats = self._draw(n, self.train_probs, rng)
        cond, mask = self.vectors(cols, cats)
        return {"cond": cond, "mask": mask, "col": cols, "cat": cats}

    def sample_original(self, n: int, rng: np.random.Generator) -> np.ndarray | None:
        """Generation-time cond vectors (N, cond_dim), categories by empirical frequency."""
        if not self.n_discrete:
            return None
        cols, cats = self._draw(n, self.freq_probs, rng)
        return self.vectors(cols, cats)[0]

    def sample_rows(self, cols: np.ndarray | None, cats: np.ndarray | None, n: int,
                    rng: np.random.Generator) -> np.ndarray:
        """Indices of real rows: for each (col, cat) pair one row holding that category, or
        ``n`` uniform rows when there are no conditions."""
        if self.n_rows == 0:
            raise RuntimeError("CondSampler was built without training data")
        if cols is None:
            return rng.integers(0, self.n_rows, size=n)
        out = np.empty(len(cols), dtype=np.int64)
        for i, (j, k) in enumerate(zip(cols, cats)):
            rows = self.rows_by_cat[j][k]
            out[i] = rows[rng.integers(0, len(rows))]
        return out
