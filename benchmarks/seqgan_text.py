"""SeqGAN on real text at CPU scale: the Debian fortunes corpus (or any text:PATH).

Trains a word-level generator by maximum likelihood, then adversarially, and reports
BLEU-2..4 of generated sentences against held-out sentences, Self-BLEU-2..4 of the generated
sentences (lower = more diverse), the same numbers for real training sentences as a reference,
and prints samples after each phase.

Example (the run in docs/text.md; needs ``apt-get install fortunes``)::

    nice -n 10 python benchmarks/seqgan_text.py --path /usr/share/games/fortunes \
        --mle-epochs 8 --adv-rounds 30 --out runs/seqgan_fortunes_8ep.json
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from ganforge.config import DataConfig
from ganforge.data.base import build_dataset
from ganforge.families.seqgan import make_rollout_net, update_rollout
from ganforge.data.vocab import vocab_from_info
from ganforge.metrics.text import bleu, self_bleu
from ganforge.nets import build_net

from _seqgan_steps import d_step, mle_step, pg_step  # this folder: the benchmarks' plain-optimizer steps


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a = p.add_argument
    a("--path", default="/usr/share/games/fortunes")
    a("--format", default="fortune", choices=["lines", "fortune"])
    a("--max-len", type=int, default=20)
    a("--min-freq", type=int, default=2)
    a("--embed-dim", type=int, default=64)
    a("--hidden-dim", type=int, default=128)
    a("--mle-epochs", type=int, default=15)
    a("--d-pre-steps", type=int, default=300)
    a("--adv-rounds", type=int, default=40)
    a("--d-steps", type=int, default=15)
    a("--n-rollouts", type=int, default=8)
    a("--baseline", default="none", choices=["none", "mean"])
    a("--g-lr", type=float, default=0.01)
    a("--d-lr", type=float, default=1e-4)
    a("--batch-size", type=int, default=64)
    a("--eval-samples", type=int, default=500)
    a("--show", type=int, default=8, help="sample sentences printed per phase")
    a("--seed", type=int, default=0)
    a("--threads", type=int, default=1)
    a("--out", default=None)
    return p.parse_args()


def main() -> None:
    args = parse()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed + 100)
    t0, c0 = time.time(), time.process_time()

    def log(msg: str) -> None:
        print(f"[wall {time.time() - t0:6.0f}s cpu {time.process_time() - c0:6.0f}s] {msg}", flush=True)

    opts = dict(format=args.format, tokens="word", lowercase=True, max_len=args.max_len, min_freq=args.min_freq,
                test_fraction=0.1)
    train = build_dataset(DataConfig(name=f"text:{args.path}", split="train", options=opts))
    test = build_dataset(DataConfig(name=f"text:{args.path}", split="test", options=opts))
    vocab = vocab_from_info(train.info)
    x, n = train.x, len(train)
    refs = [vocab.decode_tokens(r) for r in test.x.tolist()]
    log(f"{n} train / {len(test)} test sequences, vocabulary {len(vocab)}, "
        f"unk rate {train.info.extra['unk_rate']:.3f}, dropped (too long) {train.info.extra['num_dropped_too_long']}")

    def scores(sents: list[list[str]]) -> dict:
        sents = [s for s in sents if s] or [["<empty>"]]
        out = {f"bleu{k}": bleu(sents, refs, k) for k in (2, 3, 4)}
        out.update({f"self_bleu{k}": self_bleu(sents, k) for k in (2, 3, 4)} if len(sents) > 1 else {})
        out["mean_len"] = sum(map(len, sents)) / len(sents)
        return out

    def evaluate(tag: str, g) -> dict:
        s = g.sample(args.eval_samples, generator=torch.Generator().manual_seed(123))
        sc = scores([vocab.decode_tokens(r) for r in s.tolist()])
        with torch.no_grad():   # per-token NLL of held-out sentences: shows over-fitting
            sc["test_nll"] = float(g.nll(test.x).mean())
        texts = vocab.decode_batch(s[: args.show])
        log(f"{tag}: " + ", ".join(f"{k} {v:.3f}" for k, v in sc.items()))
        for t in texts:
            print("    " + t, flush=True)
        return {"scores": sc, "samples": texts}

    res: dict = {"args": vars(args), "num_train": n, "num_test": len(test), "vocab_size": len(vocab)}
    real = x[torch.randperm(n, generator=torch.Generator().manual_seed(7))[: args.eval_samples]]
    res["real_train_sentences"] = scores([vocab.decode_tokens(r) for r in real.tolist()])
    log("real training sentences: " + ", ".join(f"{k} {v:.3f}" for k, v in res["real_train_sentences"].items()))

    g = build_net("seqgan_g", vocab_size=len(vocab), embed_dim=args.embed_dim, hidden_dim=args.hidden_dim,
                  max_len=args.max_len, start_token=vocab.bos_id, eos_token=vocab.eos_id, pad_token=vocab.pad_id)
    d = build_net("seqgan_d", vocab_size=len(vocab), max_len=args.max_len, embed_dim=64,
                  filter_sizes=[2, 3, 4, 5], num_filters=[32, 32, 32, 32], dropout=0.25)
    g_opt = torch.optim.Adam(g.parameters(), lr=args.g_lr)
    d_opt = torch.optim.Adam(d.parameters(), lr=args.d_lr)
    bs = args.batch_size

    for ep in range(1, args.mle_epochs + 1):
        perm = torch.randperm(n, generator=gen)
        losses = [mle_step(g, g_opt, {"x": x[perm[i:i + bs]]})["g_mle"] for i in range(0, n - bs + 1, bs)]
        with torch.no_grad():
            test_nll = float(g.nll(test.x).mean())
        log(f"MLE epoch {ep}: train NLL {sum(losses) / len(losses):.3f}, held-out NLL {test_nll:.3f}")
    res["after_mle"] = evaluate("after MLE", g)

    def d_steps(k: int) -> dict:
        out: dict = {}
        for _ in range(k):
            out = d_step(d, d_opt, g, {"x": x[torch.randint(0, n, (bs,), generator=gen)]}, generator=gen)
        return out

    log(f"D pre-trained: {d_steps(args.d_pre_steps)}")
    rollout = make_rollout_net(g)
    # A fresh Adam for the policy-gradient phase, as in the official code (its moment estimates
    # from MLE gradients would mis-scale the first REINFORCE steps).
    g_opt = torch.optim.Adam(g.parameters(), lr=args.g_lr)
    for r in range(1, args.adv_rounds + 1):
        gs = pg_step(g, g_opt, rollout, d, {"x": x[:bs]}, n_rollouts=args.n_rollouts, baseline=args.baseline,
                     generator=gen)
        update_rollout(rollout, g, 0.8)
        ds = d_steps(args.d_steps)
        if r % 10 == 0:
            log(f"adv round {r}: reward {gs['reward']:.3f}, D(fake) {gs['d_fake_prob']:.3f}, D {ds}")
    res["after_adversarial"] = evaluate("after adversarial", g)
    res["seconds"], res["cpu_seconds"] = time.time() - t0, time.process_time() - c0
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
