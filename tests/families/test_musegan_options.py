"""musegan's markov head started from the data: ``--option markov_init=data`` fills each voice's
transition table with the data's centred log transition probabilities; bad values are named."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from gf_family import build_family


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def test_markov_init_data_fills_the_table_with_the_data_s_transitions() -> None:
    fam, ds = build_family("musegan", **{"options.head": "markov", "options.markov_init": "data",
                                         "options.markov_scale": 0.5})
    table = fam.nets["G"].transition.detach().double()
    counts = torch.as_tensor(np.asarray(ds.info.extra["voice_transitions"]), dtype=torch.float64)
    assert table.shape == counts.shape
    logp = torch.log((counts + 1) / (counts + 1).sum(2, keepdim=True))
    assert torch.allclose(table, 0.5 * (logp - logp.mean(2, keepdim=True)), atol=1e-6)
    # the commonest move of a voice gets the highest score in its row: holding a note
    v, p = 0, int(counts[0].sum(1)[:-1].argmax())
    assert int(table[v, p].argmax()) == int(counts[v, p].argmax()) == p
    zero, _ = build_family("musegan", **{"options.head": "markov"})
    assert not zero.nets["G"].transition.detach().any()  # the default: zero, the voice head


@pytest.mark.parametrize("opts,words", [
    ({"options.head": "markov", "options.markov_init": "counts"}, "markov_init='counts'"),
    ({"options.head": "markov", "options.markov_scale": -1.0}, "markov_scale"),
    ({"options.head": "voice", "options.markov_init": "data"}, "needs --option head=markov"),
])
def test_bad_markov_options_are_named(opts, words) -> None:
    with pytest.raises(GanforgeError, match=words.replace("[", r"\[")):
        build_family("musegan", **opts)


def test_a_bad_option_is_named_before_the_data_is_read(tmp_path) -> None:
    """The loop checks --option values first: the folder below does not exist, and the error is
    still the option's (reading the chorales takes half a minute on a fresh machine)."""
    import ganforge

    with pytest.raises(GanforgeError, match="head='markov5'.*accepted auto, voice, markov, multi"):
        ganforge.train("musegan", **{"data.name": f"midi:{tmp_path / 'absent'}", "options.head": "markov5",
                                     "train.out": str(tmp_path / "run")})
    with pytest.raises(GanforgeError, match="unknown option.*markov_int"):
        ganforge.train("musegan", **{"data.name": f"midi:{tmp_path / 'absent'}", "options.markov_int": "data",
                                     "train.out": str(tmp_path / "run")})
    assert not (tmp_path / "run").exists()


def test_harmony_starts_from_the_data_s_pair_transitions_and_survives_export(tmp_path) -> None:
    """--option harmony=true with markov_init=data: the pair table holds the data's centred log
    probabilities of interval-state moves (the commonest move from a held fifth: staying there);
    a short run's exported generator has the table and samples one-hot voices."""
    import ganforge
    from ganforge.families import FAMILIES

    fam, ds = build_family("musegan", **{"options.head": "markov", "options.markov_init": "data",
                                         "options.harmony": True})
    table = fam.nets["G"].harmony.detach().double()
    counts = torch.as_tensor(np.asarray(ds.info.extra["pair_transitions"]), dtype=torch.float64)
    assert table.shape == counts.shape == (6, 14, 28)
    logp = torch.log((counts + 1) / (counts + 1).sum(2, keepdim=True))
    assert torch.allclose(table, logp - logp.mean(2, keepdim=True), atol=1e-6)
    assert int(counts.sum()) == 6 * len(ds) * (ds.info.shape[1] - 1)  # every pair, every step after the first
    res = ganforge.train("musegan", **{**FAMILIES.get("musegan").smoke, "options.head": "markov",
                                       "options.harmony": True, "train.steps": 2, "train.out": str(tmp_path),
                                       "train.progress": False, "train.tensorboard": False})
    G = ganforge.load(res.out)
    assert G.harmony is not None and G.harmony.shape[0] == 6
    roll = ganforge.sample(G, 3, seed=0)
    assert ((roll == 0) | (roll == 1)).all() and (roll.sum(-1) <= 1).all()


def test_harmony_needs_the_markov_head_option() -> None:
    with pytest.raises(GanforgeError, match="harmony=true.*needs --option head=markov"):
        build_family("musegan", **{"options.harmony": True})
