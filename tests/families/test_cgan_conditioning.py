"""cgan's conditioning (issue 17): with the label projected onto D's last features, every z gave
the same image of a class (recall 0.000 on MNIST at 780 CPU s; benchmarks/results/
cgan_diversity_trials.jsonl); D now reads the label as one-hot planes beside the image."""
from __future__ import annotations

import pytest
import torch

from ganforge.apps.features import discriminator_features
from ganforge.errors import GanforgeError
from ganforge.families import FAMILIES
from gf_family import build_family, first_batch, run_iteration


def test_cgan_discriminator_reads_the_label_at_its_input():
    family, ds = build_family("cgan")
    D = family.nets["D"]
    assert D.cond == "concat" and D.proj is None  # no projection head: the collapsing design
    first = D.body[0]
    assert first.in_channels == ds.info.shape[0] + ds.info.num_classes  # image + one plane per class
    x = first_batch(ds, 8)["x"]
    D.eval()
    with torch.no_grad():
        assert not torch.allclose(D(x, torch.zeros(8, dtype=torch.long)), D(x, torch.ones(8, dtype=torch.long)))
    # its features depend on the label, so feature extraction (ganforge features) asks for labels
    with pytest.raises(GanforgeError, match="give labels"):
        discriminator_features(D, x)
    assert discriminator_features(D, x, labels=torch.zeros(8, dtype=torch.long)).shape[0] == 8


def test_cgan_trains_and_its_generator_uses_z_within_a_class():
    family, ds = build_family("cgan")
    stats = run_iteration(family, first_batch(ds, 16))
    assert all(torch.isfinite(torch.as_tensor(v)).all() for v in stats.values())
    G = family.nets["G"].eval()
    c = torch.full((4,), 3, dtype=torch.long)
    with torch.no_grad():
        x = G(G.sample_latent(4), c)
    assert (x[0] - x[1:]).abs().amax() > 1e-3  # different z, same class: different images


def test_unconditional_dcgan_keeps_its_nets():
    assert "d_kwargs" not in FAMILIES.get("dcgan").defaults["model"]  # only cgan changed
