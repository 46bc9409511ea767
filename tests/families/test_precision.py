"""``train.precision = bf16`` runs the G and D forwards of every adversarial phase of the
advanced families in bf16 (checked inside forward hooks), and fp32 stays fp32.

What is hooked: the top-level D and G, except where a top-level output is promoted to fp32 by
design although the net computed in bf16:

- StyleGAN's steps call ``G.mapping`` and ``G.synthesis`` (style mixing happens between them),
  never ``G(z)``; the synthesis output is fp32 because bilinear up-sampling of the skip images
  runs in fp32 under autocast, so ``G.mapping`` is the witness;
- a projection discriminator adds its class term ``<embed(y), h>`` in fp32 (sum-pooled features
  are fp32 under autocast), so SNGAN and BigGAN are checked unconditional here.

The penalties that differentiate a net's output with respect to its input (ProGAN's gradient
penalty, StyleGAN's R1 and path length) run their forward in bf16 too under bf16, and in fp32
under fp16 (``Family.penalty_autocast``; :mod:`ganforge.families._image_base` says why); the
test pins both.
"""
from __future__ import annotations

import pytest
import torch

from gf_family import build_family, first_batch

BF, FP = torch.bfloat16, torch.float32

# family -> (overrides, {phase: the dtypes of the hooked outputs, in call order, under bf16})
EXPECTED: dict[str, tuple[dict, dict[str, list[torch.dtype]]]] = {
    # D step: G (fakes), D(real), D(fake), D(interpolates) for the gradient penalty; G step: D of
    # the D step's fakes (one generator forward per iteration, see Family.shares_fakes)
    "progan": ({}, {"D": [BF, BF, BF, BF], "G": [BF]}),
    # D step: mapping (2 latents: mixing), D(real), D(fake); R1: D(real); G step: D of the shared
    # fakes; PL: 2 mappings
    "stylegan": ({"options.style_mixing_prob": 1.0},
                 {"D": [BF, BF, BF, BF], "R1": [BF], "G": [BF], "PL": [BF, BF]}),
    # D step: G, D(real) (the fakes go through D.forward_with_q, not hooked); G step: G
    "infogan": ({}, {"D": [BF, BF], "G": [BF]}),
    "sngan": ({"options.conditional": False}, {"D": [BF, BF, BF], "G": [BF, BF]}),
    "biggan": ({"options.conditional": False}, {"D": [BF, BF, BF], "G": [BF]}),  # d_steps 1: shared fakes
}


def _record(family) -> list[tuple[str, torch.dtype]]:
    """Hook the witnesses (see the module docstring); returns the list the hooks append to."""
    seen: list[tuple[str, torch.dtype]] = []
    G, D = family.nets["G"], family.nets["D"]
    witnesses = {"G": G.mapping if hasattr(G, "mapping") else G, "D": D}
    for name, module in witnesses.items():
        module.register_forward_hook(lambda m, args, out, name=name: seen.append((name, out.dtype)))
    return seen


@pytest.mark.parametrize("family", sorted(EXPECTED))
@pytest.mark.parametrize("precision", ["bf16", "fp32"])
def test_forward_dtypes(family: str, precision: str) -> None:
    overrides, expected = EXPECTED[family]
    torch.manual_seed(0)
    fam, ds = build_family(family, **{**overrides, "train.precision": precision})
    seen = _record(fam)
    batch = first_batch(ds)
    ran = []
    for phase in fam.phases():  # each phase once, whatever its ``every``
        seen.clear()
        stats = phase.step(batch)
        assert all(torch.isfinite(stats[k]).all() for k in phase.losses if k in stats), phase.name
        dtypes = [d for _, d in seen]
        assert dtypes == (expected[phase.name] if precision == "bf16" else [FP] * len(expected[phase.name])), \
            (phase.name, seen)
        ran.append(phase.name)
    assert ran == list(expected)


@pytest.mark.parametrize("family,phase", [("progan", "D"), ("stylegan", "R1"), ("stylegan", "PL")])
def test_penalty_forwards_stay_fp32_under_fp16(family: str, phase: str) -> None:
    """Under fp16 the inner gradient of a penalty is not loss-scaled, so its forward runs in fp32."""
    overrides, _ = EXPECTED[family]
    torch.manual_seed(0)
    fam, ds = build_family(family, **{**overrides, "train.precision": "fp16"})
    step = next(p.step for p in fam.phases() if p.name == phase)
    with fam.penalty_autocast():
        assert not torch.is_autocast_enabled("cpu")
    seen = _record(fam)
    step(first_batch(ds))
    assert seen and seen[-1][1] == FP, seen
