"""``tokens:PATH``: a user's own token ids (.npy or text), plain or with a vocabulary, errors that
name the line, and SeqGAN trained on it end to end with integer samples."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ganforge
from ganforge.cli import main
from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.data.vocab import Vocabulary
from ganforge.errors import GanforgeError


def _ds(path, split="all", **options):
    return build_dataset(DataConfig(name=f"tokens:{path}", resolution=None, split=split, options=options))


def test_plain_ids_from_npy_and_text_are_the_same(tmp_path) -> None:
    arr = np.random.default_rng(0).integers(0, 9, size=(20, 6))
    np.save(tmp_path / "ids.npy", arr)
    (tmp_path / "ids.txt").write_text("\n".join(" ".join(map(str, r)) if i % 2 else ",".join(map(str, r))
                                                for i, r in enumerate(arr)) + "\n\n")
    a, b = _ds(tmp_path / "ids.npy"), _ds(tmp_path / "ids.txt")
    assert a.x.dtype == torch.int64 and torch.equal(a.x, torch.from_numpy(arr)) and torch.equal(a.x, b.x)
    assert a.info.kind == "tokens" and a.info.extra["vocab_size"] == int(arr.max()) + 1
    assert a.info.extra["max_len"] == 6 and a.info.extra["eos_token"] is None
    tr, te = _ds(tmp_path / "ids.npy", "train"), _ds(tmp_path / "ids.npy", "test")
    assert len(tr) == 18 and len(te) == 2
    both = torch.cat([tr.x, te.x])
    assert sorted(map(tuple, both.tolist())) == sorted(map(tuple, arr.tolist()))
    assert _ds(tmp_path / "ids.npy", vocab_size=50).info.extra["vocab_size"] == 50


def test_a_vocabulary_pads_adds_eos_and_decodes(tmp_path) -> None:
    vocab = Vocabulary.build(["the cat sat", "a dog ran far away"])
    vocab.save(tmp_path / "vocab.json")
    rows = [vocab.encode("the cat sat", add_eos=False), vocab.encode("a dog ran far away")]
    (tmp_path / "ids.txt").write_text("\n".join(" ".join(map(str, r)) for r in rows))
    ds = _ds(tmp_path / "ids.txt", vocab=str(tmp_path / "vocab.json"))
    assert ds.info.extra["max_len"] == 6 and ds.info.extra["pad_token"] == 0
    assert vocab.decode_batch(ds.x) == ["the cat sat", "a dog ran far away"]
    assert ds.x[0].tolist()[3:] == [vocab.eos_id, 0, 0]


@pytest.mark.parametrize("content, options, words", [
    ("1 2 3\n4 x 6\n", {}, "line 2, token 2: 'x' is not an integer id"),
    ("1 2 3\n4 5\n", {}, "sequence 2 (blank lines skipped) has 2 tokens but the first has 3"),
    ("1 2 3\n4 5 60\n", {"vocab_size": 10}, "sequence 2 (blank lines skipped) holds id 60, outside 0..9 of vocab_size 10"),
    ("1 2 3\n", {"colour": 1}, "unknown data.options ['colour']"),
    ("1 2 3\n", {"max_len": 5}, "plain ids are not padded or cut"),
    ("\n\n", {}, "no sequences found"),
])
def test_bad_token_files_are_named(tmp_path, content, options, words) -> None:
    (tmp_path / "bad.txt").write_text(content)
    with pytest.raises(GanforgeError) as e:
        _ds(tmp_path / "bad.txt", **options)
    assert words in str(e.value) and "bad.txt" in str(e.value)


def test_bad_npy_and_missing_file(tmp_path) -> None:
    np.save(tmp_path / "f.npy", np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(GanforgeError, match=r"f\.npy: expected a 2-D integer array .* got float32 \(3, 4\)"):
        _ds(tmp_path / "f.npy")
    with pytest.raises(GanforgeError, match="no such file"):
        _ds(tmp_path / "nope.npy")


def test_seqgan_trains_on_token_ids_and_samples_integers(tmp_path, capsys) -> None:
    vocab = Vocabulary.build(["one two three four", "five six seven"])
    vocab.save(tmp_path / "vocab.json")
    rng = np.random.default_rng(1)
    lines = [" ".join(str(int(t)) for t in rng.integers(4, len(vocab), size=rng.integers(2, 6))) for _ in range(40)]
    (tmp_path / "ids.txt").write_text("\n".join(lines))
    run = tmp_path / "run"
    assert main(["train", "seqgan", "--data", f"tokens:{tmp_path / 'ids.txt'}", "--vocab", str(tmp_path / "vocab.json"),
                 "--steps", "2", "--batch-size", "8", "--width", "8", "--option", "mle_steps=1",
                 "--option", "d_pretrain_steps=1", "--option", "n_rollouts=1", "--d-steps", "1",
                 "--out", str(run), "--no-progress", "--no-tensorboard"]) == 0
    G = ganforge.load(run)
    x = ganforge.sample(G, 5, seed=0)
    assert x.dtype == torch.int64 and x.shape == (5, 6) and int(x.max()) < len(vocab)
    capsys.readouterr()
    assert main(["sample", str(run), "--n", "3"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 3 and all(set(line.split()) <= set(vocab.itos) for line in out)
