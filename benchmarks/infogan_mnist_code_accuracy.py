"""Train InfoGAN on MNIST with the registered family's phases, over several seeds, and measure how
well the categorical code c1 recovers the digit class (Chen et al. 2016 report about 5 % error).

Q's categorical head classifies each of the 10,000 test digits into one of the 10 code values;
values are matched to digits one-to-one (Hungarian algorithm) and the accuracy is the fraction
of test digits whose matched digit is right (``ganforge.metrics.matched_accuracy``).

InfoGAN's code depends a lot on the seed. Every evaluation also computes a label-free score,
Q's information on *training* images, H(mean p(c|x)) - mean H(p(c|x))
(``ganforge.metrics.code_information``; at most log 10 = 2.303 nats): high when every digit gets
a confident code and all ten codes are used. The summary reports, per seed, the last
evaluation and the one with the highest information, and across seeds the run that score would
choose (on MNIST it tracks accuracy within a run but does not rank seeds: see
docs/advanced-families.md).

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/infogan_mnist_code_accuracy.py \
        --seeds 0 1 2 3 --steps 5000 --batch 64 --width 32 --hidden 256 --json out.json

One JSON line per evaluation is printed; ``--json`` writes the summary with every evaluation;
``--save DIR`` keeps each seed's last generator and discriminator.
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from advanced_configs import build_family  # benchmarks/ is on sys.path when run as a script
from ganforge.data.base import DataInfo, to_unit_range
from ganforge.data.idx import load_mnist
from ganforge.metrics import infogan_code_scores
from ganforge.nets import save_model

MNIST = DataInfo(name="mnist", kind="image", shape=(1, 28, 28), num_classes=10)


def _floats(stats: dict[str, torch.Tensor | None]) -> dict[str, float]:
    return {k: float(v) for k, v in stats.items() if v is not None}


def train_seed(seed: int, args, xtr: torch.Tensor, xte: torch.Tensor, yte: torch.Tensor,
               x_info: torch.Tensor) -> list[dict]:
    torch.manual_seed(seed)  # the nets' initialisation and every draw of the steps
    family = build_family("infogan", MNIST, **{
        "model.width": args.width, "model.g_kwargs": {"hidden": args.hidden, "noise": args.noise},
        "model.d_kwargs": {"hidden": args.hidden}, "train.lr_d": args.lr_d, "train.lr_g": args.lr_g,
        "options.cat_weight": args.cat_weight, "options.cont_weight": args.cont_weight,
        "options.aug_weight": args.aug_weight})
    G, D = family.nets["G"], family.nets["D"]
    d_phase, g_phase = family.phases()  # D (+ MI), then G + Q
    gen = torch.Generator().manual_seed(seed)  # batch indices
    t0, cpu0 = time.perf_counter(), time.process_time()
    evals, mi_sum, n_mi = [], 0.0, 0
    for step in range(1, args.steps + 1):
        idx = torch.randint(len(xtr), (args.batch,), generator=gen)
        batch = {"x": xtr[idx]}
        d, g = _floats(d_phase.step(batch)), _floats(g_phase.step(batch))
        mi_sum, n_mi = mi_sum + g["mi_loss"], n_mi + 1
        if step % args.eval_every == 0 or step == args.steps:
            test = infogan_code_scores(D, xte, yte)
            info = infogan_code_scores(D, x_info)
            row = {"seed": seed, "step": step, "test_accuracy": round(test["accuracy"], 4),
                   "train_information": round(info["information"], 4),
                   "train_marginal_entropy": round(info["marginal_entropy"], 4),
                   "mi_loss_mean": round(mi_sum / n_mi, 4), "d_loss": round(d["d_loss"], 4),
                   "g_loss": round(g["g_loss"], 4), "cat_acc_fakes": round(g["cat_acc"], 4),
                   "code_to_digit": test["code_to_label"], "counts": test["counts"],
                   "wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - cpu0, 1)}
            mi_sum, n_mi = 0.0, 0
            print(json.dumps({k: v for k, v in row.items() if k != "counts"}), flush=True)
            evals.append(row)
    if args.save:
        for name, net in (("generator", G), ("discriminator", D)):
            save_model(net, f"{args.save}/seed{seed}/{name}", meta={"family": "infogan", "dataset": "mnist", "step": args.steps})
    return evals


def summarize(evals_by_seed: dict[int, list[dict]]) -> dict:
    per_seed = {}
    for seed, evals in evals_by_seed.items():
        best = max(evals, key=lambda r: r["train_information"])
        per_seed[seed] = {"last_step": evals[-1]["step"], "last_accuracy": evals[-1]["test_accuracy"],
                          "last_information": evals[-1]["train_information"],
                          "selected_step": best["step"], "selected_accuracy": best["test_accuracy"],
                          "selected_information": best["train_information"],
                          "best_accuracy_any_step": max(r["test_accuracy"] for r in evals)}
    chosen = max(per_seed, key=lambda s: per_seed[s]["selected_information"])
    lasts = [v["last_accuracy"] for v in per_seed.values()]
    return {"per_seed": per_seed, "mean_last_accuracy": round(sum(lasts) / len(lasts), 4),
            "min_last_accuracy": min(lasts), "max_last_accuracy": max(lasts),
            "label_free_choice": {"seed": chosen, **per_seed[chosen]}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--width", type=int, default=64, help="conv width (paper: 64)")
    ap.add_argument("--hidden", type=int, default=1024, help="FC width (paper: 1024)")
    ap.add_argument("--noise", default="uniform", choices=["uniform", "normal"])
    ap.add_argument("--lr-d", type=float, default=2e-4)
    ap.add_argument("--lr-g", type=float, default=1e-3)
    ap.add_argument("--cat-weight", type=float, default=1.0)
    ap.add_argument("--cont-weight", type=float, default=1.0)
    ap.add_argument("--aug-weight", type=float, default=0.0,
                    help="--option aug_weight: categorical MI on randomly transformed fakes (0: off)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--info-images", type=int, default=5000, help="training images for the label-free score")
    ap.add_argument("--json", default=None, help="write the summary and every evaluation here")
    ap.add_argument("--save", default=None, help="save each seed's last G and D under SAVE/seedN/ "
                    "(then `ganforge traverse SAVE/seedN/generator --code c1`)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    xtr, _ = load_mnist("train")
    xte, yte = load_mnist("test")
    xtr, xte = to_unit_range(xtr).unsqueeze(1), to_unit_range(xte).unsqueeze(1)
    x_info = xtr[torch.randperm(len(xtr), generator=torch.Generator().manual_seed(1234))[:args.info_images]]
    evals_by_seed = {s: train_seed(s, args, xtr, xte, yte, x_info) for s in args.seeds}
    summary = summarize(evals_by_seed)
    print(json.dumps(summary, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "torch": torch.__version__, "summary": summary,
                       "evaluations": evals_by_seed}, f, indent=1)


if __name__ == "__main__":
    main()
