"""Text and other token sequences: vocabulary, ``text:PATH`` and ``seqgan-oracle`` datasets,
BLEU / Self-BLEU / NLL-oracle metrics. Importing this package registers the datasets (and,
through ``ganforge.nets``, the ``seqgan_g`` / ``seqgan_d`` networks)."""
from .. import nets as _nets  # noqa: F401  (registers seqgan_g / seqgan_d)
from .vocab import Vocabulary, detokenize, format_samples, tokenize, vocab_from_info
from .data import build_text_dataset, read_sequences
from .oracle import build_oracle, oracle_from_info, oracle_nll, sample_sequences
from .metrics import bleu, self_bleu, sentence_bleu
from . import plot as _plot  # noqa: F401,E402  (sample pictures of kind tokens)

__all__ = ["Vocabulary", "format_samples", "tokenize", "detokenize", "vocab_from_info", "build_text_dataset",
           "read_sequences", "build_oracle", "oracle_from_info", "oracle_nll", "sample_sequences", "bleu", "self_bleu",
           "sentence_bleu"]
