"""`ganforge train seqgan` (text and the synthetic oracle), `ganforge sample` of token models,
and exact resume across the MLE / D pre-training / adversarial schedule."""
from __future__ import annotations

import json

import pytest
import torch

from ganforge.cli import main
from ganforge.training.checkpoint import load_checkpoint

QUIET = ["--no-progress", "--no-tensorboard", "--sample-every", "0", "--log-every", "1"]
LINES = ["the cat sat on the mat", "the dog ate the bone", "a bird sang in the tree", "the cat ate the fish",
         "a dog sat in the sun", "the bird ate a worm", "the sun sat on a tree", "a cat sang to the dog"]
SCHEDULE = ["--option", "mle_steps=2", "--option", "d_pretrain_steps=1", "--option", "n_rollouts=2", "--width", "8",
            "--d-steps", "2"]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(LINES) + "\n")
    return path


def test_seqgan_text_trains_through_every_stage_and_samples_text(corpus, tmp_path, capsys) -> None:
    run = tmp_path / "text"
    assert main(["train", "seqgan", "--data", f"text:{corpus}", "--test-fraction", "0", "--max-len", "8",
                 "--batch-size", "4", "--steps", "5", *SCHEDULE, "--out", str(run), *QUIET]) == 0
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [("g_mle_loss" in r, "d_loss" in r, "g_loss" in r) for r in rows] == [
        (True, False, False), (True, False, False), (False, True, False), (False, True, True), (False, True, True)]
    assert all(0.0 <= r["reward"] <= 1.0 for r in rows[3:])
    words = {w for line in LINES for w in line.split()} | {"<unk>"}
    capsys.readouterr()
    assert main(["sample", str(run), "--n", "6", "--seed", "1"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 6 and all(set(line.split()) <= words for line in printed)
    assert main(["sample", str(run), "--n", "6", "--seed", "1", "--out", str(tmp_path / "s.txt")]) == 0
    assert (tmp_path / "s.txt").read_text().splitlines() == printed
    assert (run / "samples.txt").is_file() and (run / "samples.png").is_file()


def test_seqgan_oracle_resume_is_exact_across_stages(tmp_path) -> None:
    args = ["train", "seqgan", "--data", "seqgan-oracle", "--vocab-size", "20", "--max-len", "5",
            "--num-samples", "32", "--batch-size", "8", "--ckpt-every", "0", *SCHEDULE, *QUIET]
    assert main([*args, "--steps", "5", "--out", str(tmp_path / "whole")]) == 0
    assert main([*args, "--steps", "2", "--out", str(tmp_path / "split")]) == 0  # stops inside MLE
    assert main([*args, "--steps", "5", "--out", str(tmp_path / "split"), "--resume"]) == 0
    whole, split = (load_checkpoint(tmp_path / p / "checkpoint.pt") for p in ("whole", "split"))
    assert whole["family"] == split["family"] == {"t": 5}
    for name in ("G", "D", "rollout"):
        a, b = whole["nets"][name], split["nets"][name]
        assert all(torch.equal(a[k], b[k]) for k in a), name
    for name in ("G_mle", "G", "D"):
        a, b = whole["optimizers"][name]["state"], split["optimizers"][name]["state"]
        assert a.keys() == b.keys() and all(torch.equal(a[i][k], b[i][k]) for i in a for k in a[i]), name
    # the adversarial stage started at iteration 3: the rollout net left its initial weights
    assert not all(torch.equal(whole["nets"]["rollout"][k], v) for k, v in initial_rollout(tmp_path).items())


def initial_rollout(tmp_path) -> dict[str, torch.Tensor]:
    """The rollout net's weights of a run stopped after its first (MLE) iteration."""
    args = ["train", "seqgan", "--data", "seqgan-oracle", "--vocab-size", "20", "--max-len", "5",
            "--num-samples", "32", "--batch-size", "8", *SCHEDULE, *QUIET]
    assert main([*args, "--steps", "1", "--out", str(tmp_path / "one")]) == 0
    return load_checkpoint(tmp_path / "one" / "checkpoint.pt")["nets"]["rollout"]


def test_seqgan_bad_inputs(corpus, tmp_path, capsys) -> None:
    cases = [
        (["train", "seqgan", "--data", "sines", "--steps", "1"], "trains on token sequences"),
        (["train", "seqgan", "--data", "seqgan-oracle", "--vocab-size", "20", "--num-samples", "16", "--option",
          "rollouts=3", "--steps", "1"],
         "unknown option(s) rollouts for family 'seqgan'; accepted (with defaults): mle_steps=4700"),
        (["train", "seqgan", "--data", f"text:{corpus}", "--tokens", "bytes", "--steps", "1"], "tokens"),
    ]
    for argv, message in cases:
        assert main([*argv, "--out", str(tmp_path / "x"), *QUIET]) == 2, argv
        assert message in capsys.readouterr().err, argv


def test_sampling_a_token_generator_returns_integer_ids(tmp_path) -> None:
    """``ganforge.sample`` of a SeqGAN generator gives int64 token ids, not floats (issue 17)."""
    import torch

    import ganforge
    from ganforge.families import FAMILIES

    out = tmp_path / "seq"
    ganforge.train("seqgan", **{**FAMILIES.get("seqgan").smoke, "train.steps": 2, "train.out": str(out),
                                "train.progress": False, "train.tensorboard": False, "train.sample_every": 0})
    G = ganforge.load(out)
    x = ganforge.sample(G, 4, seed=0)
    assert x.dtype == torch.int64 and x.shape == (4, G.max_len)
    assert int(x.min()) >= 0 and int(x.max()) < G.vocab_size
    assert torch.equal(x, ganforge.sample(G, 4, seed=0))
