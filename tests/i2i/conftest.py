"""Image-to-image tests run on one CPU thread: the nets are tiny, and the test machines are shared."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
