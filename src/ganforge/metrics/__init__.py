"""Evaluation metrics: feature extractors, FID, KID, Inception Score, precision/recall,
density/coverage, within-class diversity (:mod:`.class_spread`), toy mode coverage, matched
(clustering) accuracy and code information (:mod:`.clustering`), the :func:`evaluate` entry
point, and PSNR/SSIM for image-to-image models (:mod:`.image_quality`)."""
from .class_spread import class_spread
from .clustering import code_information, infogan_code_scores, matched_accuracy
from .evaluate import METRICS, class_accuracy, evaluate
from .features import EXTRACTORS, build_extractor, extract
from .frechet import feature_stats, fid_from_features, frechet_distance, frechet_distance_scipy
from .inception_score import inception_score
from .kid import kid, polynomial_mmd2
from .prdc import density_coverage, precision_recall
from .reference import reference_features
from .toy import TOY_MODES, evaluate_toy, mode_metrics, toy_metrics
from . import audio, molecules, music  # noqa: E402,F401  (registration: the kinds' own evaluators)
from . import molgraphs  # noqa: E402,F401  (registration: the molgraph evaluator)

__all__ = [
           "EXTRACTORS",
           "METRICS",
           "TOY_MODES",
           "build_extractor",
           "class_accuracy",
           "class_spread",
           "code_information",
           "density_coverage",
           "evaluate",
           "evaluate_toy",
           "extract",
           "feature_stats",
           "fid_from_features",
           "frechet_distance",
           "frechet_distance_scipy",
           "inception_score",
           "infogan_code_scores",
           "kid",
           "matched_accuracy",
           "mode_metrics",
           "polynomial_mmd2",
           "precision_recall",
           "reference_features",
           "toy_metrics",
]
