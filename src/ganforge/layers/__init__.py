"""Blocks shared by several networks."""
from .cond import FeatureHeadDiscriminator, ProjectionHead, label_maps, pack_samples
from .norm import conv_norm

__all__ = ["FeatureHeadDiscriminator", "ProjectionHead", "label_maps", "pack_samples", "conv_norm"]
