"""SeqGAN on the synthetic oracle as a user runs it: `ganforge train seqgan` (the CLI, in a
subprocess; no benchmark-only training code), over several seeds, reported as Caccia et al.
(2018, "Language GANs falling short") ask: NLL-oracle (quality) and NLL-test (the model's
likelihood of held-out oracle sequences: diversity/coverage) across a sweep of sampling
temperatures, for the MLE start and for SeqGAN.

Each seed trains in two invocations of the CLI: the MLE stage (`--steps M`, M = the family's
`mle_steps`), whose generator is kept as the MLE start, then `--resume --steps M + d_pretrain +
rounds` for D pre-training and the adversarial rounds. Resuming is exact (tested), so this is
the same run as one invocation.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/seqgan_cli_seeds.py --seeds 0 1 2 \
        --rounds 60 --out runs/seqgan_cli --json benchmarks/results/seqgan_cli_seeds.json

NLL-test at temperature T is the held-out NLL of the tempered model (softmax(logits / T)), the
distribution that is actually sampled; NLL-oracle at T scores 2,000 samples drawn at T.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch

from ganforge.data.oracle import build_oracle, oracle_nll, sample_sequences
from ganforge.families.seqgan import SeqGANOptions
from ganforge.nets import load_model

TEST_STREAM_SEED = 777  # held-out oracle sequences: a stream the training data never uses


def cli(*args: str) -> float:
    """Run `ganforge ARGS` in a child process; its CPU seconds."""
    t0 = os.times()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    subprocess.run([sys.executable, "-m", "ganforge.cli", *args], check=True, env=env)
    t1 = os.times()
    return (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)


@torch.no_grad()
def tempered_nll(g, x: torch.Tensor, temperature: float, batch: int = 500) -> float:
    """Mean per-token NLL of x (N, T) under softmax(logits / temperature)."""
    total = 0.0
    for i in range(0, len(x), batch):
        xb = x[i:i + batch]
        logp = torch.log_softmax(g.logits(xb).float() / temperature, dim=-1)
        total += float(-logp.gather(2, xb.unsqueeze(2)).squeeze(2).mean(dim=1).double().sum())
    return total / len(x)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--rounds", type=int, default=60, help="adversarial rounds after D pre-training")
    p.add_argument("--temperatures", default="1.0,0.95,0.9,0.85,0.8,0.75")
    p.add_argument("--eval-samples", type=int, default=2000)
    p.add_argument("--mle-steps", type=int, default=None, help="MLE iterations (default: the family's, 4,700 = 30 "
                                                                 "epochs of 10,000 sequences); small for a smoke run")
    p.add_argument("--out", default="runs/seqgan_cli")
    p.add_argument("--json", default=None)
    a = p.parse_args()
    temps = [float(t) for t in a.temperatures.split(",")]
    opts = SeqGANOptions()
    m = a.mle_steps if a.mle_steps is not None else opts.mle_steps
    total_steps = m + opts.d_pretrain_steps + a.rounds
    oracle = build_oracle()
    test = sample_sequences(oracle, a.eval_samples, TEST_STREAM_SEED)
    results = {"command": " ".join(sys.argv), "mle_steps": m, "d_pretrain_steps": opts.d_pretrain_steps,
               "rounds": a.rounds, "oracle_floor": oracle_nll(oracle, sample_sequences(oracle, a.eval_samples, 5)),
               "seeds": {}}
    for seed in a.seeds:
        run = Path(a.out) / f"seed{seed}"
        common = ["--data", "seqgan-oracle", "--seed", str(seed), "--out", str(run), "--no-progress",
                  "--no-tensorboard", "--sample-every", "0", "--log-every", "100", "--threads", "1",
                  "--option", f"mle_steps={m}"]
        t0 = time.time()
        cpu_mle = cli("train", "seqgan", "--steps", str(m), "--overwrite", *common)
        shutil.copytree(run / "generator", run / "mle_generator", dirs_exist_ok=True)
        cpu_adv = cli("train", "seqgan", "--steps", str(total_steps), "--resume", *common)
        row: dict = {"cpu_s_mle": cpu_mle, "cpu_s_adversarial": cpu_adv, "wall_s": time.time() - t0}
        for name, folder in (("mle", run / "mle_generator"), ("seqgan", run / "generator")):
            g = load_model(folder).eval()
            row[name] = []
            for t in temps:
                s = sample_sequences(g, a.eval_samples, 1000 + seed, temperature=t)
                row[name].append({"temperature": t, "nll_oracle": oracle_nll(oracle, s),
                                  "nll_test": tempered_nll(g, test, t)})
        row["gain_at_t1"] = row["mle"][0]["nll_oracle"] - row["seqgan"][0]["nll_oracle"]
        results["seeds"][str(seed)] = row
        print(json.dumps({"seed": seed, **row}), flush=True)
        if a.json:
            Path(a.json).parent.mkdir(parents=True, exist_ok=True)
            Path(a.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
