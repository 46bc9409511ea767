import pandas as pd
import pytest
import torch

from tabular_helpers import make_frame


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_frame()
