"""The EMA generator's batch-norm statistics: re-estimated from its own samples for export,
without touching the averaged weights, the checkpoint or the global RNG."""
from __future__ import annotations

import torch
from torch import nn

import ganforge
from ganforge.families import FAMILIES
from ganforge.training.checkpoint import load_checkpoint
from ganforge.training.ema import EMA, batch_norms, refresh_batch_norm


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=0.3), nn.Dropout(0.5), nn.Linear(4, 2))


def test_refresh_averages_the_batch_statistics_and_restores_everything() -> None:
    net = _net().eval()
    inputs = [torch.randn(8, 3) * (i + 1) for i in range(3)]
    calls = iter(inputs)
    global_state = torch.get_rng_state()
    refresh_batch_norm(net, lambda m, gen: m(next(calls)), batches=3, seed=0)
    bn = net[1]
    h = [net[0](x).detach() for x in inputs]
    assert torch.allclose(bn.running_mean, torch.stack([x.mean(0) for x in h]).mean(0), atol=1e-6)
    assert torch.allclose(bn.running_var, torch.stack([x.var(0) for x in h]).mean(0), atol=1e-5)
    assert bn.momentum == 0.3 and not any(m.training for m in net.modules())
    assert torch.equal(torch.get_rng_state(), global_state)


def test_refresh_runs_only_batch_norm_in_training_mode() -> None:
    net = _net().eval()
    seen = []

    def forward(m, gen):
        seen.append((m[1].training, m[2].training))
        m(torch.randn(4, 3, generator=gen))

    refresh_batch_norm(net, forward, batches=2, seed=0)
    assert seen == [(True, False), (True, False)]


def test_export_is_a_copy_remade_once_per_update() -> None:
    net = _net().train()
    ema = EMA(net, beta=0.9)
    net(torch.randn(16, 3))  # the live net's running statistics move
    ema.update(net, step=0)
    calls = []

    def forward(m, gen):
        calls.append(1)
        m(torch.randn(8, 3, generator=gen))

    before = {k: v.clone() for k, v in ema.state_dict().items()}
    a = ema.export(forward, seed=1, batches=4)
    assert a is not ema.shadow and len(calls) == 4
    assert ema.export(forward, seed=1, batches=4) is a and len(calls) == 4  # cached until the next update
    after = ema.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the shadow (the checkpoint) is untouched
    assert not torch.equal(a[1].running_mean, ema.shadow[1].running_mean)
    assert torch.equal(a[0].weight, ema.shadow[0].weight)
    ema.update(net, step=1)
    b = ema.export(forward, seed=1, batches=4)
    assert b is a and len(calls) == 8 and torch.equal(b[0].weight, ema.shadow[0].weight)
    plain = nn.Linear(2, 2)
    assert EMA(plain, 0.9).export(forward, seed=0) is not None and not batch_norms(plain)


def test_a_run_exports_the_ema_generator_with_its_own_statistics(tmp_path) -> None:
    """dcgan with EMA: the exported generator has the averaged weights of the checkpoint's EMA
    state and batch-norm statistics re-estimated from its samples, not the live G's."""
    cfg = {**FAMILIES.get("dcgan").smoke, "train.steps": 3, "train.ema": 0.5, "train.out": str(tmp_path)}
    ganforge.train("dcgan", **cfg)
    exported = ganforge.load(tmp_path)
    shadow = load_checkpoint(tmp_path / "checkpoint.pt")["ema"]
    state = exported.state_dict()
    stats = [k for k in shadow if k.endswith("running_mean")]
    assert stats
    for k, v in shadow.items():
        if k.endswith(("running_mean", "running_var")):
            assert not torch.allclose(state[k], v), k
        elif not k.endswith("num_batches_tracked"):
            assert torch.equal(state[k], v), k
