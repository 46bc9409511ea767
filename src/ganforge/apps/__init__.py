"""Applications built on trained GANs: data augmentation (:mod:`.augment`), anomaly detection
(:mod:`.anomaly`), discriminator features for transfer learning (:mod:`.features`) and
image-to-image translation, upscaling and inpainting (:mod:`.i2i`)."""
from .anomaly import GANAnomalyDetector
from .augment import MixedDataset, mix_real_synthetic, synthesize_labelled
from .features import discriminator_features

__all__ = ["GANAnomalyDetector", "MixedDataset", "discriminator_features", "mix_real_synthetic",
           "synthesize_labelled"]
