"""SeqGAN's synthetic-oracle experiment at CPU scale (Yu et al. 2017, section 4).

An oracle LSTM (vocabulary 5,000, length 20, N(0,1) weights) generates 10,000 training
sequences; a generator is pre-trained by maximum likelihood, then trained adversarially
(REINFORCE with Monte-Carlo rollout rewards from a CNN discriminator). NLL-oracle (the oracle's
mean negative log-likelihood per token of the generator's samples; lower is better) is reported
after each phase, next to references: the oracle's own samples (the floor: the oracle's entropy
rate), uniformly random tokens and the untrained generator.

Example (run 1 in docs/text.md; ~13 CPU minutes on one thread)::

    nice -n 10 python benchmarks/seqgan_oracle.py --mle-epochs 30 --pretrained runs/oracle_g_mle30 \
        --d-pre-steps 600 --adv-rounds 60 --control-epochs 10 --out runs/oracle_run1.json

With ``--pretrained`` the MLE generator is saved after pre-training, and a later run with the
same folder skips MLE (``--reward constant`` and ``--temperatures`` are its controls).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from ganforge.families.seqgan import make_rollout_net, update_rollout
from ganforge.data.oracle import build_oracle, oracle_nll, sample_sequences
from ganforge.nets import build_net, load_model, save_model

from _seqgan_steps import d_step, mle_step, pg_step  # this folder: the benchmarks' plain-optimizer steps


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a = p.add_argument
    a("--num-train", type=int, default=10000, help="oracle training sequences (paper: 10,000)")
    a("--mle-epochs", type=int, default=30, help="MLE pre-training epochs (paper code: 120)")
    a("--d-pre-steps", type=int, default=600, help="discriminator pre-training steps (batches of 64)")
    a("--adv-rounds", type=int, default=60, help="adversarial rounds (paper code: 800)")
    a("--g-steps", type=int, default=1, help="policy-gradient G steps per round (paper: 1)")
    a("--d-steps", type=int, default=15, help="D steps per round (paper code: 5 x 3 epochs over 20k sequences)")
    a("--n-rollouts", type=int, default=16, help="Monte-Carlo rollouts per prefix (paper: 16)")
    a("--rollout-rate", type=float, default=0.8)
    a("--baseline", default="none", choices=["none", "mean"])
    a("--g-lr", type=float, default=0.01, help="Adam learning rate of G, MLE and adversarial (paper code: 0.01)")
    a("--d-lr", type=float, default=1e-4, help="Adam learning rate of D (paper code: 1e-4)")
    a("--d-filters", default="small", choices=["paper", "small"], help="D filter widths/numbers")
    a("--batch-size", type=int, default=64)
    a("--eval-samples", type=int, default=2000, help="generated sequences per NLL-oracle evaluation")
    a("--eval-every", type=int, default=5, help="evaluate every N MLE epochs / adversarial rounds")
    a("--control-epochs", type=int, default=0,
      help="also continue MLE from the pre-trained G for this many epochs (a control for the adversarial phase)")
    a("--pretrained", default=None,
      help="folder of a saved MLE-pre-trained G: saved there after MLE if absent, loaded (skipping MLE) if present")
    a("--reward", default="d", choices=["d", "constant"],
      help="d: D's probability of real (SeqGAN); constant: 0.5 for every sequence (ablation, D unused)")
    a("--temperatures", type=lambda s: [float(t) for t in s.split(",") if t], default=[],
      help="also evaluate the MLE generator sampled at these temperatures, e.g. 0.9,0.8")
    a("--seed", type=int, default=0)
    a("--threads", type=int, default=1)
    a("--out", default=None, help="write the results as JSON here")
    return p.parse_args()


class ConstantCritic(torch.nn.Module):
    """Ablation: a "discriminator" whose probability of real is always 0.5, so the policy
    gradient gets no information from D and any change comes from REINFORCE's own drift."""

    def forward(self, x: torch.Tensor, c=None) -> torch.Tensor:
        return torch.zeros(x.shape[0])


def main() -> None:
    args = parse()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t0, c0 = time.time(), time.process_time()
    gen = torch.Generator().manual_seed(args.seed + 100)   # batches and samples of training
    eval_seed = [10_000]

    def log(msg: str) -> None:
        print(f"[wall {time.time() - t0:6.0f}s cpu {time.process_time() - c0:6.0f}s] {msg}", flush=True)

    oracle = build_oracle(seed=0)
    data = sample_sequences(oracle, args.num_train, seed=1)
    held_out = sample_sequences(oracle, args.eval_samples, seed=2)

    @torch.no_grad()
    def evaluate(model, temperature: float = 1.0) -> dict:
        """nll_oracle: oracle NLL of the model's samples (quality); nll_test: the model's NLL of
        held-out oracle sequences (coverage); entropy: the model's NLL of its own samples."""
        eval_seed[0] += 1
        s = sample_sequences(model, args.eval_samples, eval_seed[0], temperature=temperature)
        return {"nll_oracle": oracle_nll(oracle, s), "nll_test": oracle_nll(model, held_out),
                "entropy": oracle_nll(model, s)}

    def fmt(e: dict) -> str:
        return ", ".join(f"{k} {v:.3f}" for k, v in e.items() if k in ("nll_oracle", "nll_test", "entropy"))

    res: dict = {"args": vars(args), "curve": []}
    res["oracle_own"] = evaluate(oracle)
    uniform = torch.randint(0, oracle.vocab_size, (args.eval_samples, oracle.max_len), generator=gen)
    res["uniform_tokens"] = oracle_nll(oracle, uniform)

    g = build_net("seqgan_g", vocab_size=5000, embed_dim=32, hidden_dim=32, max_len=20, start_token=0)
    if args.d_filters == "paper":
        fs = dict(embed_dim=64, filter_sizes=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20],
                  num_filters=[100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160])
    else:
        fs = dict(embed_dim=64, filter_sizes=[2, 3, 4, 5], num_filters=[32, 32, 32, 32])
    d = build_net("seqgan_d", vocab_size=5000, max_len=20, dropout=0.25, **fs)
    res["untrained_g"] = evaluate(g)
    log(f"oracle: {fmt(res['oracle_own'])}; uniform tokens: nll_oracle {res['uniform_tokens']:.3f}; "
        f"untrained G: {fmt(res['untrained_g'])}")

    g_opt = torch.optim.Adam(g.parameters(), lr=args.g_lr)
    n_batches = args.num_train // args.batch_size

    def mle_epoch(model, opt) -> float:
        perm = torch.randperm(args.num_train, generator=gen)
        losses = [mle_step(model, opt, {"x": data[perm[i * args.batch_size:(i + 1) * args.batch_size]]})["g_mle"]
                  for i in range(n_batches)]
        return sum(losses) / len(losses)

    reuse = bool(args.pretrained) and Path(args.pretrained, "config.json").is_file()
    if reuse:
        saved = load_model(args.pretrained)
        g.load_state_dict(saved.state_dict())
        res["args"]["mle_epochs"] = saved.meta["epochs"]
        res["curve"] = saved.meta["curve"]
        log(f"loaded the MLE-pre-trained G from {args.pretrained} ({saved.meta['epochs']} epochs)")
    for ep in range(1, 0 if reuse else args.mle_epochs + 1):
        loss = mle_epoch(g, g_opt)
        if ep % args.eval_every == 0 or ep == args.mle_epochs:
            e = evaluate(g)
            res["curve"].append({"phase": "mle", "epoch": ep, "train_nll": loss, **e})
            log(f"MLE epoch {ep}: train NLL {loss:.3f}, {fmt(e)}")
    if args.pretrained and not reuse:
        save_model(g, args.pretrained, meta={"epochs": args.mle_epochs, "curve": res["curve"]})
    res["after_mle"] = evaluate(g)
    log(f"after MLE: {fmt(res['after_mle'])}")
    for temp in args.temperatures:
        res[f"after_mle_temperature_{temp}"] = e = evaluate(g, temp)
        log(f"after MLE, sampled at temperature {temp}: {fmt(e)}")
    pretrained = {k: v.clone() for k, v in g.state_dict().items()}

    d_opt = torch.optim.Adam(d.parameters(), lr=args.d_lr)

    def d_steps(k: int) -> dict:
        out: dict = {}
        for _ in range(0 if args.reward == "constant" else k):
            idx = torch.randint(0, args.num_train, (args.batch_size,), generator=gen)
            out = d_step(d, d_opt, g, {"x": data[idx]}, generator=gen)
        return out

    log(f"D pre-trained {args.d_pre_steps} steps: {d_steps(args.d_pre_steps)}")
    critic = ConstantCritic() if args.reward == "constant" else d

    rollout = make_rollout_net(g)
    # A fresh Adam for the policy-gradient phase, as in the official code (its moment estimates
    # from MLE gradients would mis-scale the first REINFORCE steps).
    g_opt = torch.optim.Adam(g.parameters(), lr=args.g_lr)
    t_adv = time.process_time()
    batch = {"x": data[: args.batch_size]}   # only its size matters to pg_step
    for r in range(1, args.adv_rounds + 1):
        for _ in range(args.g_steps):
            gs = pg_step(g, g_opt, rollout, critic, batch, n_rollouts=args.n_rollouts, baseline=args.baseline,
                         generator=gen)
        update_rollout(rollout, g, args.rollout_rate)
        ds = d_steps(args.d_steps)
        if r % args.eval_every == 0 or r == args.adv_rounds:
            e = evaluate(g)
            res["curve"].append({"phase": "adversarial", "round": r, **e, **gs, **ds})
            log(f"adv round {r}: {fmt(e)}, reward {gs['reward']:.3f}, "
                + ", ".join(f"{k} {v:.3f}" for k, v in ds.items()))
    if args.adv_rounds:
        res["after_adversarial"] = evaluate(g)
        log(f"after adversarial: {fmt(res['after_adversarial'])}")
    res["adversarial_cpu_seconds"] = time.process_time() - t_adv

    if args.control_epochs:
        # Control: the same pre-trained G trained further by MLE instead (fresh Adam).
        g.load_state_dict(pretrained)
        g_opt = torch.optim.Adam(g.parameters(), lr=args.g_lr)
        for _ in range(args.control_epochs):
            mle_epoch(g, g_opt)
        res["mle_continued"] = evaluate(g)
        log(f"control: MLE continued {args.control_epochs} more epochs: {fmt(res['mle_continued'])}")

    res["seconds"], res["cpu_seconds"] = time.time() - t0, time.process_time() - c0
    log("summary: " + json.dumps({k: v for k, v in res.items() if k not in ("curve", "args")}))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
