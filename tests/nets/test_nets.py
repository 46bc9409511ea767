"""The same checks for every registered network, from the examples each one declares
(``Net.example_args`` and ``Net.example_inputs``): shapes promised by its attributes, finite
outputs, determinism in eval mode, save/load, gradients to every parameter, bf16 autocast.
A new net is tested by registering it with its examples. The specific tests of some nets follow."""
from __future__ import annotations

import json

import pytest
import torch

from ganforge.nets import NETS, Net, build_net, load_model, save_model

N = 4  # batch: > 1 for batch norm in train mode, even for packing and minibatch-stddev groups of 2
NAMES = list(NETS)


def _build(name: str) -> Net:
    torch.manual_seed(0)
    return build_net(name, **NETS.get(name).example_args())


def _inputs(net: Net, seed: int = 0) -> tuple:
    return tuple(net.example_inputs(N, generator=torch.Generator().manual_seed(seed)))


def _run(net: Net, inputs: tuple) -> torch.Tensor:
    out = net(*inputs)
    assert isinstance(out, torch.Tensor), f"{net.net_name} returned {type(out).__name__}, not a tensor"
    return out


def _expected_shape(net: Net, x: torch.Tensor) -> tuple[int, ...]:
    """The output shape that the net's declared attributes promise for a first input ``x``."""
    n = x.shape[0]
    if hasattr(net, "output_shape"):  # patchgan_d: one logit per patch
        return (n, *net.output_shape(*x.shape[-2:]))
    if getattr(net, "out_shape", None) is not None:  # generators and translators
        return (n, *net.out_shape)
    if hasattr(net, "in_shape") and getattr(net, "z_dim", 0):  # encoders E(x) -> z
        return (n, net.z_dim)
    if hasattr(net, "in_shape"):  # discriminators: one logit per (packed) sample
        return (n // (getattr(net, "pack", None) or getattr(net, "pac", 1)),)
    return (n, net.num_classes)  # classifiers: one logit per class


@pytest.mark.parametrize("name", NAMES)
def test_every_net_declares_its_examples(name: str) -> None:
    cls = NETS.get(name)
    assert cls.example_args.__func__ is not Net.example_args.__func__, f"{name}: no example_args()"
    assert cls.example_inputs is not Net.example_inputs, f"{name}: no example_inputs()"
    args = cls.example_args()
    assert isinstance(args, dict) and json.loads(json.dumps(args)) == args  # plain JSON, as config.json holds
    net = _build(name)
    assert net.init_kwargs == {**net.init_kwargs, **args}  # the arguments are recorded as given
    inputs = _inputs(net)
    x = inputs[0]
    if hasattr(net, "in_shape"):
        assert tuple(x.shape[1:]) == tuple(net.in_shape)
    elif getattr(net, "z_dim", 0):
        assert x.shape[-1] == net.z_dim
    if getattr(net, "num_classes", 0) and (hasattr(net, "in_shape") or hasattr(net, "out_shape")):
        assert len(inputs) == 2, f"{name} is conditional: its example inputs must include labels"
        assert inputs[1].dtype == torch.int64 and 0 <= int(inputs[1].min()) <= int(inputs[1].max()) < net.num_classes
    unused = net.forward_unused_parameters()
    assert unused <= {n for n, _ in net.named_parameters()}, f"{name}: unknown names in forward_unused_parameters"


@pytest.mark.parametrize("name", NAMES)
def test_forward_shape_finite_and_deterministic_in_eval(name: str) -> None:
    net = _build(name).eval()
    with torch.no_grad():
        inputs = _inputs(net)
        out = _run(net, inputs)
        assert tuple(out.shape) == _expected_shape(net, inputs[0])
        assert torch.isfinite(out).all()
        # fresh inputs from the same seed give the same output; another seed another output
        assert torch.equal(out, _run(net, _inputs(net)))
        assert not torch.equal(out, _run(net, _inputs(net, seed=1)))


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip(name: str, tmp_path) -> None:
    net = _build(name)
    with torch.no_grad():  # a train-mode forward changes running statistics, so they are saved too
        _run(net, _inputs(net, seed=2))
    net.eval()
    save_model(net, tmp_path / "m", meta={"note": "x"})
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["net"] == name and cfg["kwargs"] == net.init_kwargs
    assert (tmp_path / "m" / "model.safetensors").is_file()
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is type(net) and loaded.meta == {"note": "x"} and not loaded.training
    state, again = net.state_dict(), loaded.state_dict()
    assert state.keys() == again.keys() and all(torch.equal(state[k], again[k]) for k in state)
    with torch.no_grad():
        assert torch.equal(_run(net, _inputs(net)), _run(loaded, _inputs(loaded)))


@pytest.mark.parametrize("name", NAMES)
def test_gradients_reach_every_parameter_in_train_mode(name: str) -> None:
    net = _build(name).train()
    out = _run(net, _inputs(net))
    if out.requires_grad:  # a sampling forward (seqgan_g) declares all its parameters unused
        # a random weighting, because a plain sum can be constant (softmax blocks sum to 1)
        weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(0))
        (out.float() * weights).sum().backward()
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    # reached: in the backward graph (a gradient may be exactly zero at initialisation, e.g.
    # behind self-attention's gamma = 0)
    reached = {n for n, p in net.named_parameters() if p.grad is not None}
    assert reached == trainable - net.forward_unused_parameters()
    assert all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_bf16_autocast_forward_is_finite(name: str, train: bool) -> None:
    net = _build(name).train(train)
    inputs = _inputs(net)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = _run(net, inputs)
    assert tuple(out.shape) == _expected_shape(net, inputs[0])
    assert torch.isfinite(out.float()).all()


@pytest.mark.parametrize("res,channels", [(28, 1), (32, 3), (64, 3), (128, 1)])
def test_dcgan_resolutions_and_conditioning(res: int, channels: int) -> None:
    G = build_net("dcgan_g", z_dim=8, out_shape=[channels, res, res], width=4, num_classes=10)
    for cond in ("projection", "concat"):
        D = build_net("dcgan_d", in_shape=[channels, res, res], width=4, num_classes=10, cond=cond)
        y = torch.tensor([0, 3])
        x = G(torch.randn(2, 8), y)
        assert x.shape == (2, channels, res, res) and x.abs().max() <= 1
        assert D(x, y).shape == (2,)


def test_dcgan_rejects_unsupported_resolution() -> None:
    with pytest.raises(ValueError, match="28, 32, 64 or 128"):
        build_net("dcgan_g", out_shape=[1, 30, 30])


def test_packing_shapes_and_label_requirement() -> None:
    D = build_net("dcgan_d", in_shape=[1, 28, 28], width=4, pack=2, num_classes=10, cond="concat")
    assert D(torch.randn(6, 1, 28, 28), torch.zeros(6, dtype=torch.long)).shape == (3,)
    with pytest.raises(ValueError, match="needs class labels"):
        D(torch.randn(6, 1, 28, 28))
    with pytest.raises(ValueError, match="cond='concat'"):
        build_net("mlp_d", in_shape=[2], num_classes=3, pack=2, cond="projection")


def test_dcgan_minibatch_stddev_sees_the_group() -> None:
    """With ``mbstd`` D's logit for a sample depends on the other members of its group (and
    only on them); identical samples get the zero-spread map; bad group sizes are named."""
    torch.manual_seed(0)
    D = build_net("dcgan_d", in_shape=[1, 28, 28], width=4, num_classes=10, cond="concat", mbstd=2).eval()
    x, y = torch.randn(4, 1, 28, 28), torch.tensor([1, 2, 3, 4])
    # groups are strided: (0, 2) and (1, 3)
    out = D(x, y)
    x2 = x.clone()
    x2[2] = torch.randn(1, 28, 28)
    out2 = D(x2, y)
    assert out2[0] != out[0] and out2[1] == out[1] and out2[3] == out[3]
    h = D.features(x[:1].repeat(2, 1, 1, 1), y[:1].repeat(2))
    assert h.shape[1] == (8 + 1) * 7 * 7  # width 4 -> 8 channels at 7x7, plus the stddev map
    assert torch.allclose(h.view(2, 9, 7, 7)[:, 8], torch.full((2, 7, 7), 1e-4), atol=1e-6)  # sqrt(eps)
    for bad in (1, -2, True, 2.0):
        with pytest.raises(ValueError, match="mbstd must be 0"):
            build_net("dcgan_d", in_shape=[1, 28, 28], width=4, mbstd=bad)


def test_projection_changes_logits_by_class() -> None:
    torch.manual_seed(0)
    D = build_net("mlp_d", in_shape=[2], width=8, num_classes=3).eval()
    torch.nn.init.normal_(D.proj.embed.weight, 0, 1.0)
    x = torch.randn(1, 2)
    assert not torch.allclose(D(x, torch.tensor([0])), D(x, torch.tensor([1])))


def test_unknown_net_and_bad_kwargs_are_named() -> None:
    with pytest.raises(ValueError, match="unknown network 'dcgan'"):
        build_net("dcgan")
    with pytest.raises(ValueError, match="Accepted arguments"):
        build_net("mlp_g", hidden=3)
