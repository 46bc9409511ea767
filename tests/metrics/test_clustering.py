"""Matched (clustering) accuracy, label-free code information, and InfoGAN's code scores."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import code_information, infogan_code_scores, matched_accuracy
from ganforge.nets import build_net


def test_matched_accuracy_finds_the_permutation() -> None:
    labels = np.array([0, 0, 1, 1, 2, 2, 2, 3])
    perm = {0: 2, 1: 0, 2: 3, 3: 1}  # code value for each label
    pred = np.array([perm[y] for y in labels])
    pred[-1] = perm[0]  # one wrong: a 3 given the code of the 0s
    out = matched_accuracy(pred, labels)
    assert out["accuracy"] == pytest.approx(7 / 8)
    assert out["code_to_label"] == {v: k for k, v in perm.items()}
    assert np.asarray(out["counts"]).sum() == 8 and np.asarray(out["counts"])[2, 0] == 2


def test_matched_accuracy_more_codes_than_labels_and_torch_input() -> None:
    # 4 codes, 2 labels: codes 0 and 1 both hold label 0; only one of them can be matched
    pred, labels = torch.tensor([0, 1, 2, 2, 3]), torch.tensor([0, 0, 1, 1, 1])
    out = matched_accuracy(pred, labels, num_codes=4)
    assert out["accuracy"] == pytest.approx(3 / 5)
    assert len(out["code_to_label"]) == 2 and out["code_to_label"][2] == 1


def test_matched_accuracy_errors_name_the_problem() -> None:
    with pytest.raises(GanforgeError, match="3 predictions but 2 labels"):
        matched_accuracy([0, 1, 1], [0, 1])
    with pytest.raises(GanforgeError, match="codes must be < 2"):
        matched_accuracy([0, 5], [0, 1], num_codes=2)
    with pytest.raises(GanforgeError, match="no predictions"):
        matched_accuracy([], [])


def test_code_information_extremes() -> None:
    k = 10
    confident_balanced = torch.eye(k).repeat(5, 1)  # every code used, each assignment certain
    out = code_information(confident_balanced)
    assert out["information"] == pytest.approx(math.log(k), abs=1e-6) and out["max"] == pytest.approx(math.log(k))
    one_code = torch.zeros(50, k)
    one_code[:, 3] = 1  # confident but always the same code: no information
    assert code_information(one_code)["information"] == pytest.approx(0.0, abs=1e-6)
    uniform = torch.full((50, k), 1 / k)  # balanced but never confident: no information either
    out = code_information(uniform)
    assert out["information"] == pytest.approx(0.0, abs=1e-6)
    assert out["marginal_entropy"] == pytest.approx(math.log(k)) and out["conditional_entropy"] == pytest.approx(math.log(k))
    with pytest.raises(GanforgeError, match=r"\(N, K\)"):
        code_information(torch.ones(5))


def test_infogan_code_scores_reads_q_on_real_images() -> None:
    torch.manual_seed(0)
    D = build_net("infogan_d", in_shape=(1, 28, 28), noise_dim=4, categorical=[3], continuous=1,
                  width=4, hidden=16, q_hidden=8)
    # three blocks of images of different brightness, labelled 0, 1, 2; batch_size 7 splits Q's passes
    x = torch.cat([torch.full((6, 1, 28, 28), v) for v in (-0.9, 0.0, 0.9)])
    labels = torch.tensor([0] * 6 + [1] * 6 + [2] * 6)
    D.train()
    out = infogan_code_scores(D, x, labels, batch_size=7)
    assert D.training  # mode restored
    assert out["n"] == 18 and len(out["usage"]) == 3 and sum(out["usage"]) == pytest.approx(1.0)
    assert 0.0 <= out["information"] <= out["max"] + 1e-9
    assert 1 / 3 <= out["accuracy"] <= 1.0  # at least one third: one code value is matched to one block
    with torch.no_grad():
        pred = D.eval().q(x)[0][:, :3].argmax(1)
    assert out["accuracy"] == pytest.approx(matched_accuracy(pred, labels, num_codes=3)["accuracy"])
    with pytest.raises(GanforgeError, match="categorical code"):
        infogan_code_scores(D, x, code="c2")
