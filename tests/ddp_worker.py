"""Run by test_distributed.py under torchrun: trains with the same entry point as the CLI and
writes this rank's final parameters to OUT/rank<R>.safetensors."""
import os
import sys

import torch
from safetensors.torch import save_file

from ganforge.api import make_config
from ganforge.training.loop import train


class DumpAtEnd:
    def __init__(self, steps: int, out: str) -> None:
        self.steps, self.out = steps, out

    def on_log(self, ctx, step, record):
        if step == self.steps:
            state = {f"{n}.{k}": p.detach().clone() for n, net in ctx.family.nets.items()
                     for k, p in net.named_parameters()}
            save_file(state, os.path.join(self.out, f"rank{ctx.dist.rank}.safetensors"))
        return {}


if __name__ == "__main__":
    out, family, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(1)
    cfg = make_config(family, **{"data.name": "digits", "data.resolution": 28, "data.limit": 128,
                                 "data.batch_size": 8, "model.width": 8, "train.steps": steps,
                                 "train.out": os.path.join(out, "run"), "train.progress": False,
                                 "train.tensorboard": False, "train.sample_every": 0, "train.log_every": 1})
    train(cfg, hooks=[DumpAtEnd(steps, out)])
