"""Time series: the ``series:`` dataset, recurrent nets ``rnn_g`` / ``rnn_d`` and their evaluation.

Importing this package registers the dataset prefix ``series:`` and the two nets. The training
steps are in :mod:`ganforge.families._timeseries_steps`.
"""
from .data import SeriesScaler, arch_series_path, build_series, make_windows, read_series, series_dataset
from .evaluate import (acf, compare_stylized_facts, discriminative_score, excess_kurtosis, predictive_score,
                       stylized_facts)
from .nets import RecurrentDiscriminator, RecurrentGenerator
from .plot import paths_frame, plot_series, to_original_units

__all__ = ["RecurrentDiscriminator", "RecurrentGenerator", "SeriesScaler", "acf", "arch_series_path",
           "build_series", "compare_stylized_facts", "discriminative_score", "excess_kurtosis", "make_windows",
           "paths_frame", "plot_series", "predictive_score", "to_original_units", "read_series", "series_dataset", "stylized_facts"]
