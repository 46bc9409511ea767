"""The family tester: every registered family gets the same checks, so a new family is tested
by registering it (with ``smoke`` overrides for a tiny run).

- a few steps train, every reported statistic is finite and the declared losses are reported;
- determinism: two runs with one seed give the same weights, and the hooks (health monitor,
  sample grids, logging, progress) change nothing: a run with all of them firing at every
  step equals a run with them off, bit for bit;
- exact resume under the default settings (health, logging, progress and TensorBoard on):
  N steps, stop, resume to N+M equals N+M steps in one go, bit for bit: nets, EMA,
  optimizers, the family's own state and the RNG states;
- ``--precision bf16`` runs the forwards of the family's nets in bf16 and fp32 stays fp32;
- the run folder holds its files, and the exported generator holds the trained weights and
  round-trips through save/load (same weights, same samples or translations).

The run is stopped at N with Ctrl-C (as a user would), so the config, and with it every
schedule that depends on ``train.steps`` (CycleGAN's learning-rate decay), is the same in
both runs. tests/training/test_training.py checks the ``--steps N`` then ``--steps N+M --resume``
way of the command line.
"""
from __future__ import annotations

import json
import math
import os
import signal
from pathlib import Path
from typing import Any

import pytest
import torch

import ganforge
from ganforge.families import FAMILIES
from ganforge.nets import load_model, save_model
from ganforge.training.checkpoint import load_checkpoint

FAMILY_NAMES = list(FAMILIES)
TOTAL, STOP = 4, 2
# the defaults, with every hook firing at every step (the diversity check of the health monitor
# included), so a hook that changed training state would show at once
HOOKS_ON = {"train.log_every": 1, "train.sample_every": 1, "train.health_every": 1, "train.ckpt_every": 0}
HOOKS_OFF = {"train.log_every": 0, "train.sample_every": 0, "train.health": False, "train.progress": False,
             "train.tensorboard": False, "train.ckpt_every": 0}


def equal(a: Any, b: Any) -> bool:
    """Deep, bit-for-bit equality of checkpoint pieces (dicts, lists, tensors, numbers)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    return a == b


def differences(a: dict, b: dict) -> list[str]:
    """Which parts of two checkpoints differ (for a readable failure)."""
    out = [f"nets.{n}.{k}" for n in a["nets"] for k in a["nets"][n] if not equal(a["nets"][n][k], b["nets"][n][k])]
    out += [f"optimizers.{n}" for n in a["optimizers"] if not equal(a["optimizers"][n], b["optimizers"][n])]
    out += [part for part in ("ema", "scaler", "family", "sampler", "rng") if not equal(a.get(part), b.get(part))]
    return out


class StopAt:
    """Ctrl-C after ``step`` (a log step): the loop saves a checkpoint there and returns."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_log(self, ctx, step: int, record: dict) -> None:
        if step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def run(family: str, out: Path, settings: dict, resume: bool = False, hooks: list | None = None,
        **extra: Any) -> dict:
    """Train ``family`` with its smoke config for TOTAL steps; returns the checkpoint."""
    over = {**FAMILIES.get(family).smoke, **settings, "train.steps": TOTAL, "train.out": str(out), **extra}
    ganforge.train(family, resume=resume, hooks=hooks, **over)
    return load_checkpoint(out / "checkpoint.pt")


_RUNS: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("family_runs")


def trained(family: str, root: Path) -> dict[str, Any]:
    """The three runs the checks share (made once per family): ``whole`` (TOTAL steps, every
    hook firing at every step), ``quiet`` (the same without hooks or logging) and ``split``
    (stopped at STOP, then resumed to TOTAL)."""
    if family not in _RUNS:
        d = root / family
        whole = run(family, d / "whole", HOOKS_ON)
        quiet = run(family, d / "quiet", HOOKS_OFF)
        first = run(family, d / "split", HOOKS_ON, hooks=[StopAt(STOP)])
        assert first["step"] == STOP
        split = run(family, d / "split", HOOKS_ON, resume=True)
        _RUNS[family] = {"whole": whole, "quiet": quiet, "split": split, "dir": d}
    return _RUNS[family]


def metrics(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_a_few_steps_report_finite_statistics(family: str, runs_dir: Path) -> None:
    runs = trained(family, runs_dir)
    assert runs["whole"]["step"] == TOTAL
    stats = [r for r in metrics(runs["dir"] / "whole" / "metrics.jsonl") if "event" not in r]
    assert [r["step"] for r in stats] == list(range(1, TOTAL + 1))
    for r in stats:  # something besides the step and the speed, and all of it finite
        assert set(r) - {"step", "samples_per_s"}, r
        assert all(isinstance(v, (int, float)) and math.isfinite(v) for k, v in r.items()
                   if not isinstance(v, (str, dict, list))), r
    nets = runs["whole"]["nets"]
    assert all(torch.isfinite(v).all() for net in nets.values() for v in net.values() if v.is_floating_point())


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_two_runs_agree_and_hooks_change_nothing(family: str, runs_dir: Path) -> None:
    runs = trained(family, runs_dir)
    diff = differences(runs["whole"], runs["quiet"])
    assert not diff, f"a second run with the same seed, hooks and logging off, differs in {diff}"


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_resume_is_exact_under_default_settings(family: str, runs_dir: Path) -> None:
    runs = trained(family, runs_dir)
    assert runs["split"]["step"] == TOTAL
    diff = differences(runs["whole"], runs["split"])
    assert not diff, f"N steps + resume + M steps differs from N+M steps in {diff}"
    rows = metrics(runs["dir"] / "split" / "metrics.jsonl")
    assert [r["step"] for r in rows if "event" not in r] == list(range(1, TOTAL + 1))


# variants of the resume check that exercise state beyond the smoke config (moved here from
# tests/training/test_training.py and, as the same check, from the advanced-family, image-to-image and
# timeseries tests)
VARIANTS = [
    ("gan", {"train.d_steps": 2}),
    ("dcgan", {"train.ema": 0.9, "train.ema_start": 2}),
    ("wgan-gp", {"train.d_steps": 2}),
    ("dcgan", {"train.augment": "color,translation,cutout"}),
    # R1 every 4 iterations and path length every 2 run before and after the split
    ("stylegan", {"options.r1_interval": 4, "train.augment": "color,translation,cutout"}),
    # phase_steps 2: level 0 for steps 0-1, fade-in of 8x8 over steps 2-3: the split is mid-fade
    ("progan", {"options.phase_steps": 2, "train.augment": "translation"}),
    ("infogan", {"train.augment": "translation", "options.aug_weight": 1.0}),  # random affine draws too
    ("biggan", {"train.d_steps": 2}),
    ("timeseries", {"train.d_steps": 2}),
    ("musegan", {"options.head": "markov"}),  # the sequential head with its transition table
]


@pytest.mark.parametrize("family,extra", VARIANTS, ids=[f"{f}-{'-'.join(e)}" for f, e in VARIANTS])
def test_resume_is_exact_with_ema_penalties_augmentation_and_schedules(family: str, extra: dict, tmp_path) -> None:
    whole = run(family, tmp_path / "whole", HOOKS_ON, **extra)
    run(family, tmp_path / "split", HOOKS_ON, hooks=[StopAt(STOP)], **extra)
    split = run(family, tmp_path / "split", HOOKS_ON, resume=True, **extra)
    assert not differences(whole, split), f"resume is not exact: {differences(whole, split)}"
    if "train.ema" in extra:
        assert whole["ema"] is not None


def _forward_dtypes(family: str, precision: str) -> dict[str, list[tuple[torch.dtype, set[torch.dtype]]]]:
    """Build ``family`` from its smoke config and run 3 iterations of its phases. For every
    forward of every net in ``family.nets`` (a forward hook on the top-level module) record
    the dtype the forward computed in (the autocast dtype in effect, float32 without
    autocast) and the dtypes of the floating-point tensors it returned."""
    from ganforge.api import make_config
    from ganforge.data import build_dataset
    from ganforge.distributed import DistContext
    from ganforge.training.setup import resolve_config
    from ganforge.training.sampler import BatchSampler

    cfg = make_config(family, **{**FAMILIES.get(family).smoke, "train.precision": precision})
    dataset = build_dataset(cfg.data)
    cfg = resolve_config(cfg, dataset.info.kind)
    torch.manual_seed(0)
    fam = FAMILIES.get(family).cls(cfg, dataset.info, torch.device("cpu"), DistContext())
    seen: dict[str, list[tuple[torch.dtype, set[torch.dtype]]]] = {name: [] for name in fam.nets}

    def record(name: str):
        def hook(module, inputs, output) -> None:
            compute = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else torch.float32
            outs = output if isinstance(output, (tuple, list)) else (output,)
            seen[name].append((compute, {o.dtype for o in outs
                                         if isinstance(o, torch.Tensor) and o.is_floating_point()}))
        return hook

    for name, net in fam.nets.items():
        net.register_forward_hook(record(name))
    sampler = BatchSampler(len(dataset), cfg.data.batch_size, 0)
    batch: dict[str, torch.Tensor] = {}
    for it in range(3):
        for phase in fam.phases():
            if it % phase.every:
                continue
            for _ in range(phase.repeat):
                if phase.uses_data or not batch:
                    batch = dataset.get_batch(sampler.next(), sampler.generator)
                phase.step(batch)
    return seen


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_precision_is_honoured_in_every_forward(family: str) -> None:
    """Under ``--precision bf16`` every forward of every net of the family (G, D and any
    other trained net) runs inside bf16 autocast, so its matmuls and convolutions compute in
    bf16; under fp32 none does and every output is float32. What is checked is the dtype
    a forward computes in, not the dtype it returns: a net may rightly return float32 from a
    bf16 forward (a projection discriminator adds an fp32 embedding term; a head casts up
    for a stable loss). Only nets that ran a forward in the three iterations are checked (a
    net may wait for a later stage); at least one must have."""
    bf16 = {name: calls for name, calls in _forward_dtypes(family, "bf16").items() if calls}
    assert bf16, f"no net of {family} ran a forward in 3 iterations"
    outside = {name: f"{sum(c != torch.bfloat16 for c, _ in calls)} of {len(calls)}" for name, calls in bf16.items()
               if any(c != torch.bfloat16 for c, _ in calls)}
    assert not outside, f"--precision bf16: forwards outside bf16 autocast, per net: {outside}"
    fp32 = _forward_dtypes(family, "fp32")
    assert all(c == torch.float32 and outs <= {torch.float32} for calls in fp32.values() for c, outs in calls), \
        f"fp32 is not fp32: {fp32}"


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_run_folder_and_exported_generator_round_trip(family: str, runs_dir: Path, tmp_path) -> None:
    runs = trained(family, runs_dir)
    out = runs["dir"] / "whole"
    for name in ("checkpoint.pt", "config.yaml", "samples.png", "loss.png", "generator/model.safetensors"):
        assert (out / name).exists(), name
    ckpt = runs["whole"]
    G = ganforge.load(out)
    cls = FAMILIES.get(family).cls
    expected = ckpt["ema"] if ckpt["ema"] is not None else ckpt["nets"][cls.generator_name]
    got = G.state_dict()
    if ckpt["ema"] is not None and cls.ema_standing_stats:  # batch-norm statistics re-estimated for
        norm_stats = ("running_mean", "running_var", "num_batches_tracked")  # export (tests/training/test_ema.py)
        got, expected = ({k: v for k, v in d.items() if not k.endswith(norm_stats)} for d in (got, expected))
    assert equal(got, expected)  # the exported weights are the trained ones
    assert G.meta["family"] == family and G.meta["step"] == TOTAL
    save_model(G, tmp_path / "again", G.meta)
    H = load_model(tmp_path / "again")
    assert type(H) is type(G) and equal(H.state_dict(), G.state_dict())
    assert H.init_kwargs == G.init_kwargs
    if getattr(G, "z_dim", None) == 0 and hasattr(G, "in_shape"):  # an image-to-image translator
        gen = torch.Generator().manual_seed(0)
        inputs = (G.example_inputs(4, generator=gen) if hasattr(G, "example_inputs")
                  else (torch.rand(4, *G.in_shape, generator=gen) * 2 - 1,))
        x, y = ganforge.translate(G, *inputs), ganforge.translate(H, *inputs)
    else:
        x, y = ganforge.sample(G, 4, seed=0), ganforge.sample(H, 4, seed=0)
    assert torch.equal(x, y) and torch.isfinite(x).all() and x.shape[0] == 4
