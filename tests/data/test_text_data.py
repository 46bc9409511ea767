"""The text:PATH dataset on temporary files: lines and fortune formats, options, errors."""
import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data.base import build_dataset
from ganforge.data.vocab import vocab_from_info
from ganforge.errors import GanforgeError

import ganforge.data  # noqa: F401  (registers text: and seqgan-oracle)

LINES = "the cat sat on the mat\nthe dog sat\n\n  a cat ran away  \nthe end\n"
FORTUNE = "A fool and his money\nare soon parted.\n%\nNever trust a cat.\n%\n%\nOne line only\n%\n"


def cfg(path, split="all", **options):
    return DataConfig(name=f"text:{path}", split=split, options=options)


def test_lines_format_pads_and_keeps_vocab(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text(LINES)
    ds = build_dataset(cfg(f, test_fraction=0.0, max_len=8))
    assert ds.info.kind == "tokens" and ds.info.shape == (8,)
    assert ds.x.shape == (4, 8) and ds.x.dtype == torch.int64     # blank line skipped
    v = vocab_from_info(ds.info)
    want = ["the cat sat on the mat", "the dog sat", "a cat ran away", "the end"]
    assert sorted(v.decode_batch(ds.x)) == sorted(want)
    assert ds.info.extra["vocab_size"] == len(v) and ds.info.extra["pad_token"] == 0
    assert (ds.x == v.eos_id).sum(1).tolist() == [1, 1, 1, 1]


def test_fortune_format_joins_entry_lines(tmp_path):
    f = tmp_path / "fortunes"
    f.write_text(FORTUNE)
    (tmp_path / "fortunes.dat").write_bytes(b"\x00\x01binary index")   # skipped in a folder
    for path in (f, tmp_path):
        ds = build_dataset(cfg(path, format="fortune", test_fraction=0.0))
        texts = sorted(vocab_from_info(ds.info).decode_batch(ds.x))
        assert texts == ["A fool and his money are soon parted.", "Never trust a cat.", "One line only"]


def test_char_tokens_min_freq_and_too_long(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("abab\nabc\nabababababab\n")
    ds = build_dataset(cfg(f, tokens="char", max_len=6, min_freq=2, test_fraction=0.0))
    v = vocab_from_info(ds.info)
    assert v.mode == "char" and "c" not in v                      # 'c' is seen once
    assert ds.info.extra["num_dropped_too_long"] == 1 and len(ds) == 2
    assert sorted(v.decode_batch(ds.x)) == ["ab<unk>", "abab"]
    tr = build_dataset(cfg(f, tokens="char", max_len=6, too_long="truncate", test_fraction=0.0))
    assert len(tr) == 3


def test_train_test_split_is_disjoint_and_seeded(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("\n".join(f"line number {i}" for i in range(20)))
    tr = build_dataset(cfg(f, "train", test_fraction=0.25))
    te = build_dataset(cfg(f, "test", test_fraction=0.25))
    assert len(tr) == 15 and len(te) == 5
    rows = {tuple(r) for r in tr.x.tolist()}
    assert not rows & {tuple(r) for r in te.x.tolist()}
    assert torch.equal(build_dataset(cfg(f, "train", test_fraction=0.25)).x, tr.x)
    assert len(build_dataset(DataConfig(name=f"text:{f}", limit=3))) == 3


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(GanforgeError, match="no such file"):
        build_dataset(cfg(tmp_path / "nope.txt"))
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    with pytest.raises(GanforgeError, match="no non-empty lines"):
        build_dataset(cfg(empty))
    long = tmp_path / "long.txt"
    long.write_text("one two three four five\nsix seven eight nine ten eleven\n")
    with pytest.raises(GanforgeError, match="longer than max_len=3"):
        build_dataset(cfg(long, max_len=3))
    with pytest.raises(GanforgeError, match="unknown data.options"):
        build_dataset(cfg(long, maxlen=3))
    with pytest.raises(GanforgeError, match="format"):
        build_dataset(cfg(long, format="csv"))
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(GanforgeError, match="encoding"):
        build_dataset(cfg(latin))
    assert len(build_dataset(cfg(latin, encoding="latin-1", test_fraction=0.0))) == 1
    with pytest.raises(GanforgeError, match="split"):
        build_dataset(cfg(long, "validation"))
