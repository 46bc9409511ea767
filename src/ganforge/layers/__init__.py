"""Blocks shared by several networks."""
from .cond import ProjectionHead, label_maps, pack_samples
from .norm import conv_norm

__all__ = ["ProjectionHead", "label_maps", "pack_samples", "conv_norm"]
