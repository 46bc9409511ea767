"""Shared tiny tables for the tabular tests (tests/data, tests/families; a unique module name at the
root of tests/, which pytest puts on sys.path)."""
import numpy as np
import pandas as pd


def make_frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """A tiny mixed table: int, bimodal float, imbalanced string, bool, int categories, a constant."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "x": np.r_[rng.normal(-5, 1, n // 2), rng.normal(5, 1, n - n // 2)],
        "color": rng.choice(["red", "green", "blue"], n, p=[0.7, 0.2, 0.1]),
        "flag": rng.choice([True, False], n),
        "k": rng.choice([1, 2, 3], n),
        "const": np.full(n, 3.5),
    })


DISCRETE = ["color", "flag", "k"]
