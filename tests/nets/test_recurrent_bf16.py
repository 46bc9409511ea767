"""Recurrent nets under CPU bf16 autocast on CPUs without native bf16 (oneDNN has no bf16 LSTM
primitive there): ``run_rnn`` switches oneDNN off for the call only; elsewhere it changes nothing."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from ganforge.layers import recurrent
from ganforge.layers.recurrent import run_rnn


@pytest.mark.parametrize("native", [False, True])
def test_run_rnn_turns_onednn_off_only_for_emulated_bf16(monkeypatch, native: bool) -> None:
    monkeypatch.setattr(recurrent, "cpu_bf16_features", lambda: ("AVX512-BF16",) if native else ())
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(torch.backends.mkldnn.enabled)
            return x

    before = torch.backends.mkldnn.enabled
    run_rnn(Probe(), torch.zeros(1))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        run_rnn(Probe(), torch.zeros(1))
    assert seen == [before, before and native]
    assert torch.backends.mkldnn.enabled == before  # restored


def test_lstm_under_bf16_autocast_runs_and_is_close_to_fp32() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(8, 16, batch_first=True)
    x = torch.randn(4, 5, 8)
    ref, _ = lstm(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, (h, c) = run_rnn(lstm, x)
    assert out.shape == ref.shape and torch.isfinite(out.float()).all()
    assert torch.allclose(out.float(), ref, atol=0.02)  # bf16 rounding of the inputs and weights
