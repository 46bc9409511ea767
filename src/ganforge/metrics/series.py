"""Quality of synthetic series.

- :func:`discriminative_score`: a post-hoc GRU classifier is trained to tell real from synthetic
  windows on 80 % of each and tested on the rest; the score is ``|accuracy - 0.5|`` (0 best,
  0.5 worst), as in TimeGAN (Yoon et al. 2019).
- :func:`predictive_score`: a GRU one-step-ahead predictor is trained on synthetic windows and
  its mean absolute error is measured on real windows ("train on synthetic, test on real"),
  next to the same predictor trained on other real windows for reference.
- Stylized facts of return series (Cont 2001): heavy tails (:func:`excess_kurtosis`), absence of
  autocorrelation of returns and volatility clustering (autocorrelation of absolute returns),
  via :func:`acf`; :func:`stylized_facts` / :func:`compare_stylized_facts` gather them.

Window arrays are (N, T) or (N, T, F); a single series is (T,). Autocorrelations of windows
are pooled: the mean and variance are global and the lagged products of every window are
averaged, so real and synthetic windows are measured with the same estimator.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn


def _as_2d(x: np.ndarray | torch.Tensor) -> np.ndarray:
    """(T,) -> (1, T); (N, T) kept; (N, T, 1) -> (N, T). Several features must be picked first."""
    a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        return a[None, :]
    if a.ndim == 3:
        if a.shape[2] != 1:
            raise ValueError(f"stylized facts take one feature: got {a.shape[2]}; pass x[..., j]")
        return a[:, :, 0]
    return a


def excess_kurtosis(x: np.ndarray | torch.Tensor) -> float:
    """Excess kurtosis E[(x - m)^4] / var^2 - 3 of all values pooled; ~0 for a normal, > 0 for heavy tails."""
    a = _as_2d(x).reshape(-1)
    d = a - a.mean()
    var = (d ** 2).mean()
    return float((d ** 4).mean() / var ** 2 - 3.0) if var > 0 else 0.0


def acf(x: np.ndarray | torch.Tensor, lags: int = 20) -> np.ndarray:
    """Pooled autocorrelation at lags 1..lags: (lags,) floats in [-1, 1] (0 where undefined)."""
    a = _as_2d(x)
    d = a - a.mean()
    var = (d ** 2).mean()
    out = np.zeros(lags)
    if var == 0:
        return out
    for k in range(1, min(lags, a.shape[1] - 1) + 1):
        out[k - 1] = (d[:, k:] * d[:, :-k]).mean() / var
    return out


def stylized_facts(returns: np.ndarray | torch.Tensor, lags: int = 20) -> dict[str, Any]:
    """Facts of a return series or of return windows.

    Returns std, skew, excess_kurtosis, acf_returns (lags 1..lags), acf_abs (of |r|), and the
    summaries mean_abs_acf_returns (mean |acf| of returns: ~0 for real returns) and
    mean_acf_abs (mean acf of |r|: clearly > 0 for real returns, the volatility clustering).
    """
    a = _as_2d(returns)
    flat = a.reshape(-1)
    d = flat - flat.mean()
    sd = float(d.std())
    acf_r, acf_a = acf(a, lags), acf(np.abs(a), lags)
    return {"std": sd, "skew": float((d ** 3).mean() / sd ** 3) if sd > 0 else 0.0,
            "excess_kurtosis": excess_kurtosis(a), "acf_returns": acf_r.tolist(), "acf_abs": acf_a.tolist(),
            "mean_abs_acf_returns": float(np.abs(acf_r).mean()), "mean_acf_abs": float(acf_a.mean())}


def compare_stylized_facts(real: np.ndarray | torch.Tensor, synthetic: np.ndarray | torch.Tensor,
                           lags: int = 20) -> pd.DataFrame:
    """Table of scalar facts (rows) for real and synthetic returns (columns ``real``, ``synthetic``)."""
    fr, fs = stylized_facts(real, lags), stylized_facts(synthetic, lags)
    keys = ["std", "skew", "excess_kurtosis", "mean_abs_acf_returns", "mean_acf_abs"]
    rows = [{"fact": k, "real": fr[k], "synthetic": fs[k]} for k in keys]
    rows += [{"fact": f"acf_returns_lag{k}", "real": fr["acf_returns"][k - 1], "synthetic": fs["acf_returns"][k - 1]}
             for k in (1, 5)]
    rows += [{"fact": f"acf_abs_lag{k}", "real": fr["acf_abs"][k - 1], "synthetic": fs["acf_abs"][k - 1]}
             for k in (1, 5, 20) if k <= lags]
    return pd.DataFrame(rows)


class _GRUHead(nn.Module):
    def __init__(self, features: int, hidden: int, out: int, per_step: bool) -> None:
        super().__init__()
        self.rnn = nn.GRU(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, out)
        self.per_step = per_step

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x)
        return self.head(h) if self.per_step else self.head(h[:, -1]).squeeze(1)


def _as_3d(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x.detach().cpu()).float()
    return t[:, :, None] if t.dim() == 2 else t


def _train(model: nn.Module, loss_fn, inputs: torch.Tensor, targets: torch.Tensor, steps: int, batch: int,
           lr: float, gen: torch.Generator) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        idx = torch.randint(0, inputs.shape[0], (min(batch, inputs.shape[0]),), generator=gen)
        loss = loss_fn(model(inputs[idx]), targets[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


def discriminative_score(real: np.ndarray | torch.Tensor, synthetic: np.ndarray | torch.Tensor,
                         hidden: int = 16, steps: int = 500, batch: int = 128, lr: float = 1e-3,
                         seed: int = 0) -> dict[str, float]:
    """``{"score": |acc - 0.5|, "accuracy": test accuracy}`` of a GRU real-vs-synthetic classifier.

    real / synthetic: windows (N, T[, F]); the larger set is cut to the smaller one's size.
    """
    r, s = _as_3d(real), _as_3d(synthetic)
    n = min(len(r), len(s))
    gen = torch.Generator().manual_seed(seed)
    r, s = r[torch.randperm(len(r), generator=gen)[:n]], s[torch.randperm(len(s), generator=gen)[:n]]
    cut = int(0.8 * n)
    x_tr, x_te = torch.cat([r[:cut], s[:cut]]), torch.cat([r[cut:], s[cut:]])
    y_tr = torch.cat([torch.ones(cut), torch.zeros(cut)])
    y_te = torch.cat([torch.ones(n - cut), torch.zeros(n - cut)])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _GRUHead(r.shape[2], hidden, 1, per_step=False)
        _train(model, nn.functional.binary_cross_entropy_with_logits, x_tr, y_tr, steps, batch, lr, gen)
    with torch.no_grad():
        acc = float(((model(x_te) > 0).float() == y_te).float().mean())
    return {"score": abs(acc - 0.5), "accuracy": acc}


def predictive_score(real: np.ndarray | torch.Tensor, synthetic: np.ndarray | torch.Tensor,
                     hidden: int = 16, steps: int = 500, batch: int = 128, lr: float = 1e-3,
                     seed: int = 0) -> dict[str, float]:
    """Train-on-synthetic, test-on-real one-step-ahead MAE (all features, every step).

    The real windows are split in halves: the second half is the test set for both the
    predictor trained on ``synthetic`` (``mae``) and the one trained on the first half
    (``mae_real_trained``, the reference). Lower is better; close to the reference is good.
    """
    r, s = _as_3d(real), _as_3d(synthetic)
    half = len(r) // 2
    r_tr, r_te = r[:half], r[half:]
    out = {}
    for name, train in (("mae", s), ("mae_real_trained", r_tr)):
        gen = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = _GRUHead(r.shape[2], hidden, r.shape[2], per_step=True)
            _train(model, nn.functional.l1_loss, train[:, :-1], train[:, 1:], steps, batch, lr, gen)
        with torch.no_grad():
            out[name] = float((model(r_te[:, :-1]) - r_te[:, 1:]).abs().mean())
    return out
