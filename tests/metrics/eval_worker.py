"""Run by test_evaluate_distributed.py, alone or under torchrun: evaluates a conditional generator
and an array of digits, split across the processes when there are several, and writes the
results (every process its own file) to OUT/results<RANK>.json."""
import json
import os
import sys

import torch

from ganforge.data.base import to_unit_range
from ganforge.data.idx import load_mnist
from ganforge.metrics import evaluate
from ganforge.nets import build_net

ARGS = {"extractor": "mnist", "kid_subsets": 5, "kid_subset_size": 40, "is_splits": 2, "batch_size": 16}

if __name__ == "__main__":
    out = sys.argv[1]
    torch.set_num_threads(1)
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        torch.distributed.init_process_group("gloo")
    rank = torch.distributed.get_rank() if distributed else 0
    torch.manual_seed(0)  # the same untrained generator in every process
    G = build_net("dcgan_g", z_dim=8, out_shape=(1, 28, 28), width=8, num_classes=10)
    x, y = load_mnist("train", limit=70)
    ref, _ = load_mnist("test", limit=64)
    reference = to_unit_range(ref).unsqueeze(1)
    # 70 images in batches of 16: 5 batches, 3 for process 0 and 2 (one short) for process 1
    results = {
        "generator": evaluate(G, reference=reference, metrics="fid,kid,is,pr,dc,class_acc", n=70, seed=1,
                              distributed=distributed, cache=False, **ARGS),
        "array": evaluate(to_unit_range(x).unsqueeze(1), labels=y, reference=reference, n=70,
                          metrics="fid,kid,is,class_acc", distributed=distributed, **ARGS),
    }
    with open(os.path.join(out, f"results{rank}.json"), "w") as f:
        json.dump(results, f)
    if distributed:
        torch.distributed.destroy_process_group()
