"""Metrics: feature extractors and measures of sample quality."""
