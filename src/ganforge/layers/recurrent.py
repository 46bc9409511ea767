"""Recurrent layers under CPU bf16 autocast on CPUs without native bf16.

Under ``torch.autocast("cpu", dtype=torch.bfloat16)`` an ``nn.LSTM`` goes to oneDNN's bf16 LSTM
primitive, which cannot be created on CPUs without AVX512-BF16 or AMX ("could not create a
primitive descriptor for the LSTM forward propagation primitive"), whereas every other layer is
emulated there. :func:`run_rnn` calls a recurrent module with oneDNN switched off on such CPUs,
so the LSTM takes PyTorch's own kernels (in fp32, as autocast's fallback for the LSTM does), and
changes nothing elsewhere (fp32, GPUs, CPUs with native bf16). ``--precision auto`` picks fp32 on
these CPUs anyway; this keeps an explicit ``--precision bf16`` working.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

CPU_BF16_PROBES = (("AMX", "_is_amx_tile_supported", "amx_bf16"),
                   ("AVX512-BF16", "_is_avx512_bf16_supported", "avx512_bf16"))


def cpu_bf16_features() -> tuple[str, ...]:
    """The CPU's native bf16 features (AMX, AVX512-BF16): torch's own capability queries, else
    the flags of /proc/cpuinfo (an older torch). Empty when there are none. Not cached: the queries
    are cheap, and tests patch them."""
    found = [name for name, fn, _ in CPU_BF16_PROBES if getattr(torch.cpu, fn, lambda: False)()]
    if not found and not all(hasattr(torch.cpu, fn) for _, fn, _ in CPU_BF16_PROBES):
        try:
            flags = set(open("/proc/cpuinfo").read().split())
        except OSError:
            flags = set()
        found = [name for name, _, flag in CPU_BF16_PROBES if flag in flags]
    return tuple(found)


def _emulated_cpu_bf16() -> bool:
    return (torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
            and not cpu_bf16_features())


def run_rnn(rnn: nn.Module, *args: Any) -> Any:
    """``rnn(*args)``; under CPU bf16 autocast on a CPU without native bf16, with oneDNN off."""
    if not _emulated_cpu_bf16() or not torch.backends.mkldnn.enabled:
        return rnn(*args)
    orig = torch.backends.mkldnn.set_flags(_enabled=False)
    try:
        return rnn(*args)
    finally:
        torch.backends.mkldnn.set_flags(_enabled=orig[0])
