"""The ``attngan`` family: text-to-image generation from captions (data kind ``captioned``:
``mnist-captions``, ``fashion-mnist-captions``, ``captions:PATH``).

It puts together StackGAN (Zhang et al. 2017) and AttnGAN (Xu et al. 2018), with the nets of
:mod:`ganforge.nets.text2image`:

1. **DAMSM pre-training** (iterations ``t < damsm_steps``): the bidirectional-LSTM text encoder
   and the CNN image encoder learn to match words to image regions and sentences to images
   (AttnGAN's Deep Attentional Multimodal Similarity Model: word loss + sentence loss, eqs.
   7-13, gamma1 = 4, gamma2 = 5, gamma3 = 10). Both are then frozen and saved with the run
   (``text_encoder/``, ``image_encoder/``); the text encoder also lives inside the generator,
   so a saved generator takes captions.
2. **GAN training** (the remaining iterations): each iteration ``--d-steps`` discriminator steps,
   then one generator step.

   - G: conditioning augmentation of the sentence feature (StackGAN eq. 1: c ~ N(mu(s),
     sigma(s)), the draw kept in z), stage 0 at low resolution, then ``stages - 1`` refinement
     stages with word-level attention (AttnGAN's F^attn), each doubling the side.
   - D: at every stage, an unconditional head (real vs fake) and a conditional head on the
     sentence feature. The matching-aware loss (GAN-INT-CLS, Reed et al. 2016; StackGAN):
     the conditional head takes real images with their captions as real, generated images
     and real images with mismatched captions (the batch's captions shifted by one) as fake.
     L_D = sum over stages of [L(u_real, u_fake) + (L(m_real, m_fake) + L(m_real, m_wrong)) / 2] / 2
     with L the run's loss (``--loss``; default hinge with spectrally normalised D, which trained
     more steadily here than AttnGAN's BCE; ``--loss nonsaturating`` is AttnGAN's).
   - L_G = sum over stages of [g(u_fake) + g(m_fake)] / 2 + ``lambda_damsm`` * DAMSM(final
     image, caption) + ``kl_weight`` * KL(N(mu, sigma) || N(0, I)) (``lambda_damsm`` is 0 by
     default: see :class:`AttnGANOptions`).

``train.steps`` counts every iteration, the DAMSM ones included. Options (``--option
NAME=VALUE``) are the fields of :class:`AttnGANOptions`; ``--width`` sets G's and D's base
channels and ``--z-dim`` the noise size. Image sides: 4 * 2^k * 2^(stages - 1) (32 px with
2 stages on a CPU; 64, 128 or 256 px with 3 stages on a GPU).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from ..errors import GanforgeError
from ..losses import LOSSES
from ..nets import build_net
from ..nets.text2image import damsm_loss
from .base import Family, Phase, frozen, make_optimizer, register_family
from .options import parse_options


@dataclass(frozen=True)
class AttnGANOptions:
    """damsm_steps: DAMSM pre-training iterations [1000]; damsm_lr: their Adam learning rate
    [0.002]; lambda_damsm: weight of the DAMSM loss in G's loss [0.0: AttnGAN uses 5 with an
    ImageNet-pretrained Inception image encoder; with this from-scratch CNN encoder even 0.2
    made G chase the encoder with grid textures that D rejects (docs/text-to-image.md), so it
    is off by default and G is conditioned by D's matching head and the word attention]; kl_weight: weight of the
    conditioning-augmentation KL term [0.02: StackGAN/AttnGAN use 1-2 next to BCE losses; next to
    the hinge loss's small values a weight of 1 kept the mean mu(s) near 0, so stage 0 saw little
    of the caption]; stages: generator stages, each doubling the side
    [2]; ca_dim: conditioning-augmentation size [32]; residuals: residual blocks per
    refinement stage [2]; embed_dim, hidden: word embedding and LSTM sizes per direction (text
    features are 2 * hidden) [64, 64]; encoder_width: the image encoder's base channels [32];
    region_grid: the image encoder's grid of sub-regions per side, 4 or 8 (the word-region
    scores cost grows with its square) [8]."""

    damsm_steps: int = 1000
    damsm_lr: float = 0.002
    lambda_damsm: float = 0.0
    kl_weight: float = 0.02
    stages: int = 2
    ca_dim: int = 32
    residuals: int = 2
    embed_dim: int = 64
    hidden: int = 64
    encoder_width: int = 32
    region_grid: int = 8


def kl_loss(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)), summed over dimensions, mean over the batch (StackGAN eq. 3)."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()


def same_captions(tokens: Tensor) -> Tensor:
    """(N, N) bool: which captions of the batch are the same token sequence."""
    return (tokens[:, None, :] == tokens[None, :, :]).all(-1)


def downsampled(x: Tensor, sides: list[int]) -> list[Tensor]:
    """x at each side in ``sides`` (area-averaged: the real images each stage's D judges)."""
    return [x if x.shape[-1] == s else F.adaptive_avg_pool2d(x, s) for s in sides]


class AttnGANFamily(Family):
    """Text to image: DAMSM-pretrained encoders, CA + multi-stage G with word attention, matching-aware D."""

    export_names = {"D": "discriminator", "TE": "text_encoder", "IE": "image_encoder"}
    # --precision auto: the LSTM text encoder has no bf16 fast path on CPUs
    auto_bf16_devices = ("cuda",)
    auto_fp32_reason = "its LSTM text encoder runs no faster in bf16"
    ema_standing_stats = False  # grids draw the dataset's few sample captions

    def __init__(self, cfg, info, device, dist) -> None:
        super().__init__(cfg, info, device, dist)
        if info.kind != "captioned":
            raise GanforgeError(f"family {cfg.family!r} trains on images with captions (mnist-captions, "
                                f"fashion-mnist-captions, captions:PATH); dataset {info.name!r} is of kind {info.kind!r}")
        if cfg.train.pack != 1:
            raise GanforgeError(f"train.pack = {cfg.train.pack}: family {cfg.family!r} does not support packing")
        o = self.opts = parse_options(cfg.options, AttnGANOptions, cfg.family)
        for name in ("damsm_steps", "kl_weight", "lambda_damsm", "residuals"):
            if getattr(o, name) < 0:
                raise GanforgeError(f"--option {name}={getattr(o, name)} (family {cfg.family!r}): must be >= 0")
        for name in ("stages", "ca_dim", "embed_dim", "hidden", "encoder_width", "damsm_lr", "region_grid"):
            if getattr(o, name) <= 0:
                raise GanforgeError(f"--option {name}={getattr(o, name)} (family {cfg.family!r}): must be positive")
        m, ex = cfg.model, info.extra
        vocab = ["<pad>", "<bos>", "<eos>", "<unk>"] + list(ex["vocab"]["tokens"])
        shape = list(info.shape)
        width = int(m.width or 32)
        g_kw: dict[str, Any] = {"out_shape": shape, "vocab": vocab, "noise_dim": int(m.z_dim or 32), "ca_dim": o.ca_dim,
                                "width": width, "stages": o.stages, "residuals": o.residuals,
                                "embed_dim": o.embed_dim, "hidden": o.hidden, "max_len": int(ex["max_len"])}
        try:
            G = build_net(m.g_net, **{**g_kw, **m.g_kwargs})
            D = build_net(m.d_net, **{"in_shape": shape, "text_dim": 2 * o.hidden, "width": width,
                                      "stages": o.stages, **m.d_kwargs})
            IE = build_net("t2i_image_encoder", in_shape=shape, dim=2 * o.hidden, width=o.encoder_width,
                           grid=o.region_grid)
        except ValueError as e:  # an image side the stages cannot make
            raise GanforgeError(f"family {cfg.family!r}: {e} (with --option stages={o.stages}; set data.resolution "
                                f"or stages)") from None
        G, D, IE = G.to(device), D.to(device), IE.to(device)
        # the text encoder is the generator's own submodule: one set of weights, trained by DAMSM
        self.nets = {"G": G, "D": D, "TE": G.text_encoder, "IE": IE}
        t = cfg.train
        self.optimizers["DAMSM"] = make_optimizer(t.optimizer or "adam", [*G.text_encoder.parameters(),
                                                                          *IE.parameters()], o.damsm_lr, t.betas)
        self.opt_nets["DAMSM"] = ["TE", "IE"]
        g_params = [p for n, p in G.named_parameters() if not n.startswith("text_encoder.")]
        self.optimizers["G"] = make_optimizer(t.optimizer or "adam", g_params, t.lr_g, t.betas)
        self.opt_nets["G"] = ["G"]
        self.add_optimizer("D", ["D"], t.lr_d)
        self.loss = LOSSES.get(t.loss)
        self.t = 0  # iterations done (the schedule's clock; checkpointed)

    # --- schedule -------------------------------------------------------------------------------
    def in_damsm(self) -> bool:
        return self.t < self.opts.damsm_steps

    def phases(self) -> list[Phase]:
        return [Phase("DAMSM", self.damsm_step, losses=("damsm_loss",)),
                Phase("D", self.d_step, repeat=self.cfg.train.d_steps, losses=("d_loss",)),
                Phase("G", self.g_step, uses_data=False, losses=("g_loss",))]

    # --- steps ----------------------------------------------------------------------------------
    def damsm_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        if not self.in_damsm():
            return {}
        TE, IE = self.nets["TE"].train(), self.nets["IE"].train()
        cap = batch["caption"]
        with self.autocast():
            words, sentence, mask = TE.encode(cap)
            regions, glob = IE.encode(batch["x"])
        w_loss, s_loss = damsm_loss(words, sentence, mask, regions, glob, same_captions(cap))
        loss = w_loss + s_loss
        self.update("DAMSM", loss)
        return {"damsm_loss": loss.detach(), "damsm_word": w_loss.detach(), "damsm_sentence": s_loss.detach()}

    def text(self, caption: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The frozen text encoder's (words, sentence, mask) of captions, without gradients."""
        TE = self.nets["TE"].eval()
        with torch.no_grad(), self.autocast():
            return TE.encode(caption)

    def d_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        if self.in_damsm():
            return {}
        G, D = self.nets["G"], self.nets["D"]
        words, sentence, mask = self.text(batch["caption"])
        wrong = sentence.roll(1, dims=0)
        n = sentence.shape[0]
        with torch.no_grad(), self.autocast():
            fakes, _, _ = G(G.sample_latent(n, device=self.device), text=(words, sentence, mask), all_stages=True)
        total, stats = 0.0, {}
        with self.autocast():
            for i, (real, fake) in enumerate(zip(downsampled(batch["x"], D.sides), fakes)):
                u_r, m_r = D.heads(real, sentence)
                u_f, m_f = D.heads(fake.detach(), sentence)
                _, m_w = D.heads(real, wrong)
                u_r, m_r, u_f, m_f, m_w = (v.float() for v in (u_r, m_r, u_f, m_f, m_w))
                cond = 0.5 * (self.loss.d(m_r, m_f) + self.loss.d(m_r, m_w))
                total = total + 0.5 * (self.loss.d(u_r, u_f) + cond)
                if i == len(fakes) - 1:
                    stats = {"d_real": (u_r > 0).float().mean(), "d_fake": (u_f <= 0).float().mean(),
                             "d_match": (m_r > 0).float().mean(), "d_mismatch": (m_w <= 0).float().mean()}
        self.update("D", total)
        return {"d_loss": total.detach(), **stats}

    def g_step(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        if self.in_damsm():
            self.t += 1
            return {}
        self.t += 1
        G, D, IE = self.nets["G"].train(), self.nets["D"], self.nets["IE"].eval()
        cap = batch["caption"]
        words, sentence, mask = self.text(cap)
        n = sentence.shape[0]
        with frozen(D), frozen(IE), self.autocast():
            fakes, mu, logvar = G(G.sample_latent(n, device=self.device), text=(words, sentence, mask), all_stages=True)
            adv = 0.0
            for fake in fakes:
                u_f, m_f = D.heads(fake, sentence)
                adv = adv + 0.5 * (self.loss.g(u_f.float()) + self.loss.g(m_f.float()))
            if self.opts.lambda_damsm:
                regions, glob = IE.encode(fakes[-1])
        kl = kl_loss(mu.float(), logvar.float())
        loss = adv + self.opts.kl_weight * kl
        stats = {}
        if self.opts.lambda_damsm:
            w_loss, s_loss = damsm_loss(words, sentence, mask, regions, glob, same_captions(cap))
            loss = loss + self.opts.lambda_damsm * (w_loss + s_loss)
            stats["g_damsm"] = (w_loss + s_loss).detach()
        norm = self.update("G", loss, grad_norm=True)
        return {"g_loss": loss.detach(), "g_adv": adv.detach(), "g_kl": kl.detach(), "g_grad_norm": norm, **stats}

    # --- sampling -------------------------------------------------------------------------------
    def grid_captions(self) -> list[str]:
        return list(self.info.extra.get("sample_captions") or [""])

    def sample(self, n: int, generator: torch.Generator | None = None, net: torch.nn.Module | None = None,
               labels: Tensor | None = None) -> Tensor:
        """n samples for the grids: row i of the grid is caption i of the dataset's
        ``sample_captions`` (so n / rows images a caption)."""
        G = net if net is not None else self.nets["G"]
        caps = self.grid_captions()
        rows = len(caps) if n % len(caps) == 0 else 1
        cols = n // rows
        tokens = G.tokenize([caps[min(i // cols, len(caps) - 1)] for i in range(n)]).to(self.device)
        return G(G.sample_latent(n, generator=generator, device=self.device), tokens)

    def grid_nrow(self, net: torch.nn.Module, n: int) -> int | None:
        rows = len(self.grid_captions())
        return n // rows if n % rows == 0 else None

    def extra_state(self) -> dict[str, Any]:
        return {"t": self.t}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.t = int(state.get("t", 0))

    def export_meta(self) -> dict[str, Any]:
        keys = ("vocab", "max_len", "sample_captions", "attributes", "measure", "captions_per_image")
        return {**super().export_meta(), "data_extra": {k: self.info.extra[k] for k in keys if k in self.info.extra}}


register_family(
    "attngan", AttnGANFamily,
    {"model": {"g_net": "t2i_g", "d_net": "t2i_d", "z_dim": 32, "width": 32},
     "train": {"loss": "hinge", "d_steps": 1, "optimizer": "adam", "lr_g": 2e-4, "lr_d": 2e-4,
               "betas": (0.5, 0.999)},
     "options": asdict(AttnGANOptions())},
    help="text to image (StackGAN + AttnGAN): DAMSM-pretrained BiLSTM/CNN encoders, conditioning augmentation, "
         "word-attention refinement, matching-aware D; --data mnist-captions or captions:PATH",
    smoke={"data.name": "mnist-captions", "data.resolution": 16, "data.limit": 32, "data.batch_size": 8,
           "model.width": 4, "model.z_dim": 4,
           "options": {"damsm_steps": 2, "lambda_damsm": 1.0, "stages": 2, "ca_dim": 4, "residuals": 1, "embed_dim": 8, "hidden": 8,
                       "encoder_width": 4, "region_grid": 4}})
