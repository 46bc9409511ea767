"""Blocks shared by several networks, one idea per file."""
from .attention import SelfAttention
from .cond import FeatureHeadDiscriminator, ProjectionHead, label_maps, pack_samples
from .cond_batchnorm import ConditionalBatchNorm2d
from .diffaugment import diff_augment
from .equalized import EqualConv2d, EqualLinear, scaled_leaky_relu
from .hierarchical import HierarchicalLatent, latent_chunks
from .minibatch_std import MinibatchStdDev, minibatch_stddev
from .modconv import ModulatedConv2d, modulated_conv2d
from .noise import NoiseInjection
from .norm import conv_norm
from .orthogonal import orthogonal_penalty, orthogonal_regularization
from .pixelnorm import PixelNorm, pixel_norm
from .resblocks import DBlock, GBlock, resnet_d_layout, resnet_d_plan, resnet_g_layout, resnet_g_plan
from .spectral import apply_spectral_norm, count_spectral_norm, has_spectral_norm

__all__ = [
    "FeatureHeadDiscriminator", "ProjectionHead", "label_maps", "pack_samples", "conv_norm",
    "EqualLinear", "EqualConv2d", "scaled_leaky_relu", "MinibatchStdDev", "minibatch_stddev",
    "PixelNorm", "pixel_norm", "ModulatedConv2d", "modulated_conv2d", "NoiseInjection",
    "ConditionalBatchNorm2d", "HierarchicalLatent", "latent_chunks", "SelfAttention",
    "apply_spectral_norm", "has_spectral_norm", "count_spectral_norm",
    "orthogonal_penalty", "orthogonal_regularization", "diff_augment",
    "GBlock", "DBlock", "resnet_g_plan", "resnet_d_plan", "resnet_g_layout", "resnet_d_layout",
]
