"""One generator forward per iteration where the family's mathematics allows it: the G step
trains on the D step's fakes (``AdversarialFamily.make_fakes``); families and settings that
need fresh samples keep drawing them."""
from __future__ import annotations

import pytest
import torch

from gf_family import build_family, first_batch


def _forwards(family: str, module_of, iterations: int = 2, **overrides) -> tuple[list[str], list]:
    """Run ``iterations`` iterations of ``family``'s phases on one batch; returns the phase of
    every forward of ``module_of(fam)`` (G or its synthesis net) and what D received in the G phase."""
    fam, ds = build_family(family, **{"train.precision": "fp32", **overrides})
    batch = first_batch(ds, fam.cfg.data.batch_size)
    calls: list[str] = []
    outputs: dict[str, list[torch.Tensor]] = {"G": [], "D-in-G-phase": []}
    current = {"phase": ""}
    def on_g(module, args, out) -> None:
        calls.append(current["phase"])
        outputs["G"].append(out.detach().clone())

    def on_d(module, args, out) -> None:
        if current["phase"] == "G":
            outputs["D-in-G-phase"].append(args[0].detach().clone())

    module_of(fam).register_forward_hook(on_g)
    fam.nets["D"].register_forward_hook(on_d)
    for it in range(iterations):
        for phase in fam.phases():
            if it % phase.every:
                continue
            current["phase"] = phase.name
            for _ in range(phase.repeat):
                phase.step(batch)
    return calls, [outputs["G"], outputs["D-in-G-phase"]]


@pytest.mark.parametrize("family,module", [("dcgan", "G"), ("cgan", "G"), ("progan", "G"),
                                           ("stylegan", "synthesis")])
def test_the_g_step_trains_on_the_d_steps_fakes(family: str, module: str) -> None:
    pick = (lambda f: f.nets["G"]) if module == "G" else (lambda f: f.nets["G"].synthesis)
    overrides = {"train.augment": None}
    calls, (fakes, d_inputs) = _forwards(family, pick, **overrides)
    assert [c for c in calls if c in ("D", "G")] == ["D", "D"]  # one G forward per iteration, in the D phase
    # what D judged in each G phase is the fake made in that iteration's D phase
    d_phase_fakes = [f for c, f in zip(calls, fakes) if c == "D"]
    assert len(d_inputs) == 2 and all(torch.equal(a, b) for a, b in zip(d_phase_fakes, d_inputs))


def test_n_critic_and_infogan_draw_fresh_fakes() -> None:
    calls, _ = _forwards("wgan-gp", lambda f: f.nets["G"], iterations=1, **{"train.d_steps": 2})
    assert calls == ["D", "D", "G"]
    calls, _ = _forwards("infogan", lambda f: f.nets["G"], iterations=1)
    assert calls == ["D", "G"]


def test_a_g_step_on_another_batch_makes_its_own_fakes() -> None:
    fam, ds = build_family("dcgan", **{"train.precision": "fp32"})
    calls: list[int] = []
    fam.nets["G"].register_forward_hook(lambda m, a, out: calls.append(out.shape[0]))
    d, g = fam.phases()
    d.step(first_batch(ds, 8))
    g.step(first_batch(ds, 4))  # not the batch the D step made fakes for
    assert calls == [8, 4]
    g.step(first_batch(ds, 4))  # the shared fakes are used once at most
    assert calls == [8, 4, 4]
