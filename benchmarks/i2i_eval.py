"""Train each image-to-image family on its MNIST task within a stated CPU budget, then measure
it on the MNIST test digits (never seen in training):

- digit preservation: the MNIST classifier's accuracy on the outputs against the source label
  (with the accuracy on the real targets and on the raw inputs as references);
- CycleGAN: cycle reconstruction error |G_BA(G_AB(a)) - a| (mean absolute error in [-1, 1]);
- mnist-sr: PSNR and SSIM of SRGAN (and of its MSE-pretrained SRResNet stage) against bicubic
  upsampling, and FID against real 28x28 digits (Inception-v3 and the MNIST classifier's
  features, :func:`ganforge.metrics.evaluate`);
- mnist-inpaint: error inside the hole;
- a strip of input | output | target for 8 test digits per task, in docs/img/.

    nice python benchmarks/i2i_eval.py --task all --threads 1 --json docs/results/i2i_eval.json
    nice python benchmarks/i2i_eval.py --task sr --skip-train       # re-evaluate existing runs

The classifier is an argument (``--classifier PATH``, default: the one bundled with ganforge),
so the evaluation works with any digit classifier that maps (N, 1, 28, 28) in [-1, 1] to logits.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import yaml
from torch import Tensor, nn

import ganforge
from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.families.translation import to_display
from ganforge.imageio import make_grid, save_image
from ganforge.metrics.image_quality import bicubic_upsample, psnr, ssim


@dataclass
class Task:
    family: str
    data: str
    overrides: dict[str, Any]
    #: maps a translated image back to the classifier's domain (white digit on black)
    undo_b: Callable[[Tensor], Tensor] = field(default=lambda x: x)


def gray_stretch(x: Tensor) -> Tensor:
    """Colour digits -> gray (BT.601 luma) with the background (the median pixel) sent to -1
    and the brightest pixel to 1. The classifier was trained on exactly black backgrounds and
    misreads a lifted one (an offset of 0.15 in [-1, 1] alone drops its accuracy on real test
    digits from 99.6% to 12%), so the check of digit preservation looks at the shape only."""
    g = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True) if x.shape[1] == 3 else x
    lo = g.flatten(1).median(1).values.view(-1, 1, 1, 1)
    hi = g.amax((1, 2, 3), keepdim=True)
    return ((g - lo) / (hi - lo).clamp_min(1e-6) * 2 - 1).clamp(-1, 1)


# Sizes are chosen so that each training fits in about 8 minutes of one shared CPU core.
TASKS: dict[str, Task] = {
    "edges2digits": Task("pix2pix", "mnist-edges2digits",
                         {"train.steps": 2500, "data.batch_size": 32, "model.width": 32}),
    "colorize": Task("pix2pix", "mnist-colorize",
                     {"train.steps": 700, "data.batch_size": 32, "model.width": 32}, undo_b=gray_stretch),
    "thin2thick": Task("cyclegan", "mnist-thin2thick",
                       {"train.steps": 2500, "data.batch_size": 16, "model.width": 16,
                        "model.g_kwargs": {"n_blocks": 3}}),
    "invert": Task("cyclegan", "mnist-invert",
                   {"train.steps": 1000, "data.batch_size": 16, "model.width": 16, "model.g_kwargs": {"n_blocks": 3}},
                   undo_b=lambda x: -x),
    "sr": Task("srgan", "mnist-sr",
               {"train.steps": 3000, "data.batch_size": 32, "model.width": 32, "model.g_kwargs": {"n_blocks": 4},
                "model.d_kwargs": {"n_stages": 3, "hidden": 256}, "options.pretrain_steps": 1500,
                "train.lr_g": 1e-3, "train.lr_d": 1e-4}),
    "inpaint": Task("inpaint", "mnist-inpaint",
                    {"train.steps": 3000, "data.batch_size": 32, "model.width": 32, "train.lr_g": 1e-3}),
}


def load_classifier(path: str | None) -> nn.Module | None:
    """The digit classifier ((N, 1, 28, 28) in [-1, 1] -> logits), or None where none is installed."""
    try:
        from ganforge.nets.classifier import load_mnist_classifier
    except ImportError:
        return None
    try:
        return load_mnist_classifier(path)
    except ganforge.GanforgeError as e:
        print(f"no classifier: {e}")
        return None


@torch.no_grad()
def batched(fn: Callable[..., Tensor], *xs: Tensor, bs: int = 500) -> Tensor:
    return torch.cat([fn(*(x[i:i + bs] for x in xs)) for i in range(0, len(xs[0]), bs)])


@torch.no_grad()
def accuracy(clf: nn.Module | None, x: Tensor, y: Tensor) -> float | None:
    """Share of images the classifier labels as ``y``. RGB is reduced to gray (BT.601 luma)."""
    if clf is None:
        return None
    prep = getattr(clf, "prepare", lambda t: t)
    pred = batched(lambda t: clf(prep(t)).argmax(1), x)
    return float((pred == y).float().mean())


def fid(x: Tensor, n_reference: int) -> dict[str, float]:
    """FID of images x against the first MNIST *training* digits (other digits than the test
    digits x comes from), with Inception-v3 and with the MNIST classifier's features."""
    from ganforge.metrics import evaluate

    r = evaluate(x.clamp(-1, 1), reference="mnist-train", metrics="fid", extractor=("inception", "mnist"),
                 n=len(x), n_reference=n_reference)
    return {k.replace("/", "_"): round(v, 3) for k, v in r.items() if k.startswith("fid")}


def strip(columns: list[Tensor], path: Path, n: int = 8) -> None:
    """Rows of input | output | target (| ...) for the first n test digits."""
    x = to_display([c[:n] for c in columns])
    save_image(make_grid(x, nrow=len(columns)), path, scale=2)


def test_set(name: str, limit: int) -> dict[str, Tensor]:
    ds = build_dataset(DataConfig(name=name, split="test", limit=limit))
    batch = ds.get_batch(torch.arange(len(ds)))
    if hasattr(ds, "get_batch_b"):  # unpaired: all of domain B too, in order
        batch.update(ds.get_batch_b(torch.arange(ds.len_b())))
    return batch


def f(v: float | None, digits: int = 4) -> float | None:
    return None if v is None else round(v, digits)


def evaluate(name: str, task: Task, run: Path, clf: nn.Module | None, limit: int, img_dir: Path,
             fid_n: int = 0) -> dict[str, Any]:
    t = test_set(task.data, limit)
    G = ganforge.load(run)
    tr = lambda *xs: ganforge.translate(G, *xs)  # noqa: E731
    out: dict[str, Any] = {}
    if task.family == "cyclegan":
        G_ba = ganforge.load(run, which="generator_ba")
        back = lambda x: ganforge.translate(G_ba, x)  # noqa: E731
        fake_b, fake_a = batched(tr, t["a"]), batched(back, t["b"])
        rec_a, rec_b = batched(back, fake_b), batched(tr, fake_a)
        out.update(
            acc_AtoB=f(accuracy(clf, task.undo_b(fake_b), t["ya"])), acc_BtoA=f(accuracy(clf, fake_a, t["yb"])),
            acc_real_A=f(accuracy(clf, t["a"], t["ya"])), acc_real_B=f(accuracy(clf, task.undo_b(t["b"]), t["yb"])),
            cycle_l1_A=f((rec_a - t["a"]).abs().mean().item()), cycle_l1_B=f((rec_b - t["b"]).abs().mean().item()),
            n_test_A=len(t["a"]), n_test_B=len(t["b"]))
        strip([t["a"], fake_b, rec_a], img_dir / f"i2i_{name}_AtoB.png")
        strip([t["b"], fake_a, rec_b], img_dir / f"i2i_{name}_BtoA.png")
        return out
    if task.family == "srgan":
        y = batched(tr, t["a"])
        bic = bicubic_upsample(t["a"], G.meta["scale"])
        out.update(psnr_srgan=f(psnr(y, t["b"]).mean().item(), 2), ssim_srgan=f(ssim(y, t["b"]).mean().item()),
                   psnr_bicubic=f(psnr(bic, t["b"]).mean().item(), 2), ssim_bicubic=f(ssim(bic, t["b"]).mean().item()),
                   acc_srgan=f(accuracy(clf, y, t["y"])), acc_bicubic=f(accuracy(clf, bic, t["y"])),
                   acc_real=f(accuracy(clf, t["b"], t["y"])), content=G.meta.get("content"))
        if fid_n:
            for what, imgs in (("srgan", y), ("bicubic", bic), ("real", t["b"])):
                out.update({f"{k}_{what}": v for k, v in fid(imgs[:fid_n], fid_n).items()})
        pre = run / "srresnet"
        if (pre / "config.json").is_file():  # the generator at the end of MSE pre-training
            P = ganforge.load(pre)
            yp = batched(lambda x: ganforge.translate(P, x), t["a"])
            out.update(psnr_srresnet=f(psnr(yp, t["b"]).mean().item(), 2), ssim_srresnet=f(ssim(yp, t["b"]).mean().item()),
                       acc_srresnet=f(accuracy(clf, yp, t["y"])))
            if fid_n:
                out.update({f"{k}_srresnet": v for k, v in fid(yp[:fid_n], fid_n).items()})
            strip([t["a"], bic, yp, y, t["b"]], img_dir / f"i2i_{name}.png")
        else:
            strip([t["a"], bic, y, t["b"]], img_dir / f"i2i_{name}.png")
        out["n_test"] = len(y)
        return out
    if task.family == "inpaint":
        y = batched(tr, t["a"], t["mask"])
        hole = t["mask"].expand_as(y).bool()
        out.update(acc_inpainted=f(accuracy(clf, y, t["y"])), acc_masked=f(accuracy(clf, t["a"], t["y"])),
                   acc_real=f(accuracy(clf, t["b"], t["y"])), l1_hole=f((y - t["b"]).abs()[hole].mean().item()),
                   l1_hole_grey_fill=f((t["a"] - t["b"]).abs()[hole].mean().item()),
                   psnr=f(psnr(y, t["b"]).mean().item(), 2), n_test=len(y))
        strip([t["a"], y, t["b"]], img_dir / f"i2i_{name}.png")
        return out
    y = batched(tr, t["a"])
    out.update(acc_translated=f(accuracy(clf, task.undo_b(y), t["y"])), acc_input=f(accuracy(clf, t["a"], t["y"])),
               acc_real=f(accuracy(clf, task.undo_b(t["b"]), t["y"])), l1=f((y - t["b"]).abs().mean().item()),
               psnr=f(psnr(y, t["b"]).mean().item(), 2), n_test=len(y))
    strip([t["a"], y, t["b"]], img_dir / f"i2i_{name}.png")
    return out


class KeepPretrained:
    """A hook that saves SRGAN's generator when MSE pre-training ends (the SRResNet baseline)."""

    def __init__(self, step: int, path: Path) -> None:
        self.step, self.path = step, path

    def on_log(self, ctx, step: int, record: dict) -> dict:
        if step == self.step:
            from ganforge.nets import save_model

            save_model(ctx.family.nets["G"], self.path, {**ctx.family.export_meta(), "step": step})
        return {}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="all", choices=["all", *TASKS])
    p.add_argument("--out", default="runs/i2i_eval")
    p.add_argument("--classifier", default=None, help="classifier folder (default: the bundled one)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--test", type=int, default=2000, help="MNIST test images to evaluate on")
    p.add_argument("--limit", type=int, default=20000, help="MNIST training images")
    p.add_argument("--steps", type=int, default=None, help="override every task's train.steps")
    p.add_argument("--fid", type=int, default=1000, help="images for FID on mnist-sr (0: no FID)")
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--img", default="docs/img")
    p.add_argument("--json", default=None, help="merge results into this JSON file")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="extra config overrides for every task, e.g. options.adv_weight=0.01 (VALUE parsed as YAML)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    clf = load_classifier(args.classifier)
    results: dict[str, Any] = {}
    for name in TASKS if args.task == "all" else [args.task]:
        task = TASKS[name]
        run = Path(args.out) / name
        over = {**task.overrides, "data.limit": args.limit, "train.out": str(run), "train.progress": False,
                "train.tensorboard": False, "train.log_every": 50, "train.sample_every": 250, "train.ckpt_every": 0,
                "train.grid": 24}
        if args.steps:
            over["train.steps"] = args.steps
        for item in args.set:
            key, sep, value = item.partition("=")
            if not sep:
                raise SystemExit(f"--set {item!r}: expected KEY=VALUE, e.g. options.adv_weight=0.01")
            over[key] = yaml.safe_load(value)
        meta: dict[str, Any] = {}
        if not args.skip_train:
            hooks = []
            if task.family == "srgan":
                hooks.append(KeepPretrained(int(over["options.pretrain_steps"]), run / "srresnet"))
            t0 = time.time()
            ganforge.train(task.family, overwrite=True, hooks=hooks, **{"data.name": task.data, **over})
            meta = {"train_minutes": round((time.time() - t0) / 60, 1)}
        cfg = ganforge.make_config(str(run / "config.yaml"))
        meta.update(family=task.family, data=task.data, steps=cfg.train.steps, batch_size=cfg.data.batch_size,
                    width=cfg.model.width, g_kwargs=cfg.model.g_kwargs, threads=args.threads,
                    train_images=args.limit)
        res = {**meta, **evaluate(name, task, run, clf, args.test, Path(args.img), args.fid)}
        results[name] = res
        print(name, json.dumps(res), flush=True)
    if args.json:
        path = Path(args.json)
        old = json.loads(path.read_text()) if path.is_file() else {}
        for name, res in results.items():
            old[name] = {**old.get(name, {}), **res} if args.skip_train else res
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(old, indent=1) + "\n")


if __name__ == "__main__":
    main()
