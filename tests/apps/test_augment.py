"""Augmentation: class-balanced synthesis, real/synthetic mixing, and `ganforge augment`."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import ganforge
from ganforge.apps.augment import MixedDataset, mix_real_synthetic, synthesize_labelled
from ganforge.cli import main
from ganforge.errors import GanforgeError


def test_synthesize_labelled_is_balanced_and_seeded(cgan_run) -> None:
    G = ganforge.load(cgan_run)
    x, y = synthesize_labelled(G, per_class=3, seed=1)
    assert x.shape == (30, 1, 28, 28) and y.tolist() == [c for c in range(10) for _ in range(3)]
    assert x.min() >= -1 and x.max() <= 1
    x2, _ = synthesize_labelled(G, per_class=3, seed=1)
    x3, _ = synthesize_labelled(G, per_class=3, seed=2)
    assert torch.equal(x, x2) and not torch.equal(x, x3)
    with pytest.raises(GanforgeError, match="classes"):
        synthesize_labelled(G, per_class=1, classes=[10])


def test_mix_ratio_flags_and_dataset(cgan_run, digits28) -> None:
    G = ganforge.load(cgan_run)
    rx, ry = torch.from_numpy(digits28[0][:20]), torch.from_numpy(digits28[1][:20])
    x, y, syn = mix_real_synthetic(rx, ry, G, ratio=1.5, seed=0)
    assert len(x) == 50 and int(syn.sum()) == 30 and not syn[:20].any()
    assert torch.equal(x[:20], rx) and torch.equal(y[:20], ry)
    assert torch.bincount(y[20:], minlength=10).tolist() == [3] * 10  # class-balanced
    ds = MixedDataset(rx, ry, G, ratio=0.5, seed=0)
    assert len(ds) == 30 and ds[25][2].item() is True and ds[0][1] == ry[0]
    x0, _, s0 = mix_real_synthetic(rx, ry, G, ratio=0.0)
    assert len(x0) == 20 and not s0.any()
    with pytest.raises(GanforgeError, match="ratio"):
        mix_real_synthetic(rx, ry, G, ratio=-1)
    with pytest.raises(GanforgeError, match="shape"):
        mix_real_synthetic(rx[:, :, :8, :8], ry, G)


def test_unconditional_generator_is_refused() -> None:
    G = ganforge.nets.build_net("mlp_g", z_dim=2, out_shape=[2])
    with pytest.raises(GanforgeError, match="conditional"):
        synthesize_labelled(G, 2)


def test_cli_augment_folder_and_npz(cgan_run, tmp_path) -> None:
    out = tmp_path / "aug"
    assert main(["augment", str(cgan_run), "--per-class", "2", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [str(i) for i in range(10)]
    assert all(len(list((out / str(i)).glob("*.png"))) == 2 for i in range(10))
    # the written folder reads back as a labelled 10-class dataset
    ds = ganforge.data.build_dataset(ganforge.config.DataConfig(name=f"folder:{out}", resolution=28))
    assert len(ds) == 20 and ds.info.num_classes == 10
    npz = tmp_path / "aug.npz"
    assert main(["augment", str(cgan_run), "--per-class", "2", "--out", str(npz), "--format", "npz"]) == 0
    with np.load(npz) as d:
        assert d["x"].shape == (20, 1, 28, 28) and np.bincount(d["y"]).tolist() == [2] * 10
        assert list(d["class_names"]) == [str(i) for i in range(10)]
    assert main(["augment", str(cgan_run), "--per-class", "2", "--out", str(tmp_path / "a.csv"), "--format", "csv"]) == 2


def test_cli_augment_table(tmp_path) -> None:
    from ganforge.families.tabular_gan import TabularGAN

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"v": rng.normal(size=80), "label": rng.choice(["a", "b"], 80, p=[0.8, 0.2])})
    TabularGAN(epochs=1, batch_size=40, pac=10, embedding_dim=8, generator_dim=(16,), discriminator_dim=(16,),
               max_modes=2, seed=0).fit(df, ["label"]).save(tmp_path / "tab")
    out = tmp_path / "rows.csv"
    # a 1-epoch model rarely draws 'b'; the per-class rejection sampling still balances the classes
    assert main(["augment", str(tmp_path / "tab"), "--per-class", "5", "--out", str(out), "--label-column", "label"]) == 0
    rows = pd.read_csv(out)
    assert rows["label"].value_counts().to_dict() == {"a": 5, "b": 5} and list(rows.columns) == ["v", "label"]
    assert main(["augment", str(tmp_path / "tab"), "--per-class", "5", "--out", str(out)]) == 2  # no --label-column
