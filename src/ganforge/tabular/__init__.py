"""Tabular data: a CTGAN-style conditional GAN, its data transformer, evaluation and the Adult loader.

Importing this package registers the nets ``tabular_g`` and ``tabular_d``.
"""
from .adult import ADULT_COLUMNS, ADULT_DISCRETE, load_adult
from .condvec import CondSampler
from .io import read_table, write_table
from .model import TabularGAN
from .nets import TabularDiscriminator, TabularGenerator, apply_activations, gumbel_softmax
from .transformer import DataTransformer, Span

__all__ = ["ADULT_COLUMNS", "ADULT_DISCRETE", "CondSampler", "DataTransformer", "Span", "TabularDiscriminator",
           "TabularGAN", "TabularGenerator", "apply_activations", "gumbel_softmax", "load_adult", "read_table",
           "write_table"]
