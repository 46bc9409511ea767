"""Tiny nets run fastest on one thread; several threads only contend on a shared CPU."""
import torch

torch.set_num_threads(1)
