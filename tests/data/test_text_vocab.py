"""Vocabulary: building, encoding/decoding, JSON round-trip and errors."""
import json

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.data.vocab import SPECIALS, Vocabulary, detokenize, tokenize


def test_tokenize_words_and_chars():
    assert tokenize("Don't panic, Arthur!") == ["Don't", "panic", ",", "Arthur", "!"]
    assert tokenize("Ab c", "char", lowercase=True) == ["a", "b", " ", "c"]
    assert detokenize(["hello", ",", "world", "!"]) == "hello, world!"
    with pytest.raises(GanforgeError, match="word, char"):
        tokenize("x", "bpe")


def test_build_orders_by_frequency_and_applies_min_freq_and_max_size():
    texts = ["the cat sat", "the cat ran", "the dog"]
    v = Vocabulary.build(texts)
    assert v.itos[:4] == list(SPECIALS)
    assert v.itos[4:6] == ["the", "cat"]                  # 3 and 2 occurrences
    assert len(v) == 4 + 5
    assert len(Vocabulary.build(texts, min_freq=2)) == 4 + 2
    assert Vocabulary.build(texts, max_size=1).itos[4:] == ["the"]
    with pytest.raises(GanforgeError, match="min_freq=5"):
        Vocabulary.build(texts, min_freq=5)
    with pytest.raises(GanforgeError, match="min_freq"):
        Vocabulary.build(texts, min_freq=0)


def test_encode_decode_unknown_eos_and_padding():
    v = Vocabulary.build(["a b c"])
    ids = v.encode("a b zzz")
    assert ids == [v.stoi["a"], v.stoi["b"], v.unk_id, v.eos_id]
    x = v.encode_batch(["a b", "c"], max_len=5)
    assert x.dtype == torch.int64 and x.shape == (2, 5)
    assert x[1].tolist() == [v.stoi["c"], v.eos_id, 0, 0, 0]
    assert v.decode_batch(x) == ["a b", "c"]
    assert v.decode([v.stoi["a"], v.eos_id, v.stoi["b"]]) == "a"          # stops at eos
    assert v.decode([v.stoi["a"], v.eos_id], strip=False) == "a <eos>"
    assert v.decode_tokens([v.bos_id, v.stoi["c"], v.eos_id, v.stoi["a"]]) == ["c"]
    with pytest.raises(GanforgeError, match="max_len=2"):
        v.encode_batch(["a b c"], max_len=2)
    with pytest.raises(GanforgeError, match="outside the vocabulary"):
        v.decode([99])


def test_json_round_trip_and_load_errors(tmp_path):
    v = Vocabulary.build(["Hello world", "héllo wörld"], mode="char", lowercase=True)
    p = v.save(tmp_path / "sub" / "vocab.json")
    w = Vocabulary.load(p)
    assert w == v and w.mode == "char" and w.lowercase
    assert w.encode("hé") == v.encode("hé")
    with pytest.raises(GanforgeError, match="not found"):
        Vocabulary.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(GanforgeError, match="not a JSON vocabulary"):
        Vocabulary.load(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text(json.dumps({"words": []}))
    with pytest.raises(GanforgeError, match="needs fields"):
        Vocabulary.load(tmp_path / "other.json")


def test_format_samples_text_or_ids():
    from ganforge.data.vocab import format_samples

    v = Vocabulary.build(["hi there"])
    x = torch.tensor([[v.stoi["hi"], v.stoi["there"], v.eos_id, 0]])
    assert format_samples(x, v) == ["hi there"]
    assert format_samples(torch.tensor([[7, 8]])) == ["7 8"]
    with pytest.raises(GanforgeError, match="shape"):
        format_samples(torch.tensor([1, 2]))
