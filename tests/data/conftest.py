"""The ``frame`` fixture of the tabular data tests: a tiny mixed table (see gf_tabular.make_frame)."""
import pandas as pd
import pytest

from gf_tabular import make_frame


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_frame()
