"""What WaveGAN and SpecGAN share: WGAN-GP training of a generator of one-second clips (data
kind ``audio``), conditional on the clips' labels when the data has them (``--option
conditional=false`` turns that off), and the sample rate in the exported generator's meta."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import GanforgeError
from .adversarial import AdversarialFamily
from .options import resolve_conditional


@dataclass(frozen=True)
class AudioOptions:
    """conditional: condition on the labels (default: when the data has them)."""

    conditional: bool | None = None


class AudioFamily(AdversarialFamily):
    """An adversarial family over audio clips (N, 1, 16384); subclasses pick the nets."""

    options_cls = AudioOptions
    #: the forms of data the family trains on, for the error message
    example_data = "spoken-digits, drums or audio:FOLDER"

    def __init__(self, cfg, info, device, dist) -> None:
        if info.kind != "audio":
            raise GanforgeError(f"family {cfg.family!r} trains on audio clips ({self.example_data}); dataset "
                                f"{info.name!r} is of kind {info.kind!r}")
        super().__init__(cfg, info, device, dist)

    def class_count(self, info) -> int:
        return resolve_conditional(self.opts.conditional, info.num_classes, self.cfg.family, info.name)

    def export_meta(self) -> dict[str, Any]:
        extra = {k: self.info.extra[k] for k in ("sample_rate",) if k in self.info.extra}
        return {**super().export_meta(), "data_extra": extra}


#: WGAN-GP as the paper trains both (Donahue et al. 2019, sec. 5): lambda 10, 5 critic updates,
#: Adam 1e-4 (0.5, 0.9)
WGAN_GP = {"loss": "wasserstein", "d_steps": 5, "optimizer": "adam", "lr_g": 1e-4, "lr_d": 1e-4,
           "betas": (0.5, 0.9), "gp_weight": 10.0}
#: a tiny run on tiny generated clips for the test suite
AUDIO_SMOKE = {"data.name": "tones", "data.limit": 8, "data.batch_size": 4, "data.resolution": None,
               "model.width": 2, "model.z_dim": 8, "train.grid": 4}
