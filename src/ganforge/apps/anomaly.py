"""``GANAnomalyDetector``: anomaly detection with a GAN and an encoder that inverts it, in the
manner of f-AnoGAN (Schlegl et al. 2019, Medical Image Analysis 54).

1. A GAN is trained on normal data only, by ganforge's own training loop (``ganforge.train``
   on an ``array:`` dataset written to ``work_dir``).
2. With G and D frozen, an encoder E is trained to map x to a latent that G maps back to x
   ("izi_f" training, eq. 6 of the paper): ``L(x) = mean((x - G(E(x)))^2) + kappa *
   mean((f(x) - f(G(E(x))))^2)`` where f are D's penultimate features.
3. The anomaly score of a sample is the same quantity, ``A(x) = A_R(x) + kappa * A_D(x)``
   (eq. 7-9); the paper uses kappa = 1.

It follows scikit-learn's outlier-detector conventions (``IsolationForest``): hyper-parameters
stored verbatim by ``__init__``, ``fit`` returns ``self``, learned attributes end in ``_``;
``score_samples`` is the *negated* anomaly score (higher = more normal),
``decision_function = score_samples - offset_`` (negative = outlier) and ``predict`` returns
+1 (inlier) / -1 (outlier). :meth:`anomaly_score` gives ``A(x)`` itself (higher = more
anomalous). The threshold is the ``1 - contamination`` quantile of ``A`` on a held-out
``validation_fraction`` of the normal training data, never on anomalies.

Inputs are images (N, C, H, W) in [-1, 1] (or uint8 in [0, 255], or (N, H, W)) or vectors
(N, D), e.g. tabular rows, which are standardised with the training mean and scale.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, OutlierMixin

from ..errors import GanforgeError
from ..nets import build_net, load_model, save_model
from .features import feature_fn
from .inputs import images_to_unit

DETECTOR_FILE = "detector.json"


class GANAnomalyDetector(OutlierMixin, BaseEstimator):
    """f-AnoGAN-style detector (see the module docstring).

    Parameters: ``family`` (the GAN family; None picks ``dcgan`` for images, ``gan`` with MLPs
    for vectors), ``steps`` (GAN training steps), ``encoder_steps``, ``batch_size``, ``z_dim``
    (None: 100 for images, 16 for vectors), ``width`` (net width; None: the family default),
    ``encoder_lr``, ``kappa`` (weight of the feature residual), ``contamination`` (expected
    fraction of outliers: the threshold's quantile), ``validation_fraction`` (normals held out
    for the threshold), ``gan_overrides`` (extra dotted ``ganforge.train`` options), ``seed``,
    ``device``, ``work_dir`` (where the GAN run is kept, for its samples and losses; None: a
    temporary folder, removed after fitting),
    ``verbose``.

    Learned attributes: ``kind_`` (``image`` / ``vectors``), ``in_shape_``, ``n_features_in_``,
    ``mean_`` / ``scale_`` (vectors only, else None), ``generator_``, ``discriminator_``,
    ``encoder_``, ``threshold_`` (on ``A``), ``offset_`` (= ``-threshold_``),
    ``validation_scores_`` (A on the held-out normals), ``encoder_loss_`` (per-100-step means),
    ``fit_seconds_``.
    """

    def __init__(self, family: str | None = None, steps: int = 2000, encoder_steps: int = 1000, batch_size: int = 64,
                 z_dim: int | None = None, width: int | None = None, encoder_lr: float = 1e-4, kappa: float = 1.0,
                 contamination: float = 0.05, validation_fraction: float = 0.1,
                 gan_overrides: dict[str, Any] | None = None, seed: int = 0, device: str = "cpu",
                 work_dir: str | None = None, verbose: bool = False) -> None:
        self.family = family
        self.steps = steps
        self.encoder_steps = encoder_steps
        self.batch_size = batch_size
        self.z_dim = z_dim
        self.width = width
        self.encoder_lr = encoder_lr
        self.kappa = kappa
        self.contamination = contamination
        self.validation_fraction = validation_fraction
        self.gan_overrides = gan_overrides
        self.seed = seed
        self.device = device
        self.work_dir = work_dir
        self.verbose = verbose

    # ------------------------------------------------------------------ input handling
    def _as_array(self, X: Any, fitting: bool = False) -> np.ndarray:
        if hasattr(X, "to_numpy") and hasattr(X, "columns"):  # a pandas DataFrame
            names = [str(c) for c in X.columns]
            if fitting:
                self.feature_names_in_ = np.asarray(names, dtype=object)
            elif getattr(self, "feature_names_in_", None) is not None and list(self.feature_names_in_) != names:
                raise GanforgeError(f"columns {names} differ from those seen in fit: {list(self.feature_names_in_)}")
            X = X.to_numpy()
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        X = np.asarray(X)
        if not np.issubdtype(X.dtype, np.number):
            raise GanforgeError(f"X must be numeric, got dtype {X.dtype} (one-hot encode categorical columns)")
        if X.ndim in (3, 4):
            X = images_to_unit(X, "X")
        elif X.ndim == 2:
            X = X.astype(np.float32)
        else:
            raise GanforgeError(f"X must be vectors (N, D) or images (N, C, H, W) / (N, H, W), got shape {X.shape}")
        if not np.isfinite(X).all():
            raise GanforgeError("X contains NaN or infinite values")
        if not fitting:
            if tuple(X.shape[1:]) != tuple(self.in_shape_):
                raise GanforgeError(f"X has samples of shape {tuple(X.shape[1:])}; fitted on {tuple(self.in_shape_)}")
            if self.kind_ == "vectors":
                X = (X - self.mean_) / self.scale_
        return X

    def _check_params(self, n: int) -> None:
        if not 0.0 <= self.contamination < 0.5:
            raise GanforgeError(f"contamination must be in [0, 0.5), got {self.contamination}")
        if not 0.0 < self.validation_fraction < 1.0:
            raise GanforgeError(f"validation_fraction must be in (0, 1), got {self.validation_fraction}")
        n_val = round(n * self.validation_fraction)
        if n_val < 1 or n - n_val < 2:
            raise GanforgeError(f"{n} normal samples are too few to hold out validation_fraction="
                                f"{self.validation_fraction} for the threshold")
        if self.steps < 1 or self.encoder_steps < 1 or self.batch_size < 2:
            raise GanforgeError("steps and encoder_steps must be positive and batch_size at least 2")

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None) -> GANAnomalyDetector:
        """Train the GAN and the encoder on normal samples ``X`` and set the threshold. ``y`` is ignored."""
        t0 = time.perf_counter()
        X = self._as_array(X, fitting=True)
        self._check_params(len(X))
        self.kind_ = "image" if X.ndim == 4 else "vectors"
        self.in_shape_ = list(X.shape[1:])
        self.n_features_in_ = int(np.prod(X.shape[1:]))
        self.mean_ = self.scale_ = None
        rng = np.random.default_rng(self.seed)
        perm = rng.permutation(len(X))
        n_val = round(len(X) * self.validation_fraction)
        X_val, X_train = X[perm[:n_val]], X[perm[n_val:]]
        if self.kind_ == "vectors":
            self.mean_ = X_train.mean(0).astype(np.float32)
            self.scale_ = np.maximum(X_train.std(0), 1e-6).astype(np.float32)
            X_train, X_val = (X_train - self.mean_) / self.scale_, (X_val - self.mean_) / self.scale_
        image = self.kind_ == "image"
        z_dim = self.z_dim or (100 if image else 16)
        # without a work_dir the GAN run lives in a temporary folder, removed once G and D are loaded
        tmp = None if self.work_dir else tempfile.TemporaryDirectory(prefix="ganforge-anomaly-")
        try:
            work = Path(self.work_dir) if self.work_dir else Path(tmp.name)
            self._fit_gan(work, X_train, z_dim, image)
        finally:
            if tmp is not None:
                tmp.cleanup()
        dev = torch.device(self.device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            enc_kw = {"in_shape": self.in_shape_, "z_dim": int(self.generator_.z_dim)}
            if self.width is not None:
                enc_kw["width"] = self.width
            self.encoder_ = build_net("conv_encoder" if image else "mlp_encoder", **enc_kw).to(dev)
        self.encoder_loss_ = self._fit_encoder(torch.from_numpy(X_train), rng)
        self.validation_scores_ = self._anomaly(X_val)
        self.threshold_ = float(np.quantile(self.validation_scores_, 1.0 - self.contamination))
        self.offset_ = -self.threshold_
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    def _fit_gan(self, work: Path, X_train: np.ndarray, z_dim: int, image: bool) -> None:
        """Train the GAN with ganforge's loop on ``X_train`` and load frozen ``generator_`` / ``discriminator_``."""
        from ..api import train
        from ..data.arrays import save_arrays

        data = save_arrays(work / "normal_train.npz", X_train)
        overrides: dict[str, Any] = {
            "data.name": f"array:{data}", "data.batch_size": self.batch_size, "data.resolution": None,
            "model.z_dim": z_dim, "train.steps": self.steps, "train.seed": self.seed, "train.out": str(work / "gan"),
            "train.device": self.device, "train.progress": self.verbose, "train.tensorboard": False,
            "train.sample_every": 0}
        if self.width is not None:
            overrides["model.width"] = self.width
        if not image:  # a larger MLP than the toy-data default, for rows of several columns
            overrides.update({"model.g_kwargs": {"width": self.width or 128, "depth": 3},
                              "model.d_kwargs": {"width": self.width or 128, "depth": 3}})
            overrides.pop("model.width", None)
        overrides.update(self.gan_overrides or {})
        try:
            run = train(self.family or ("dcgan" if image else "gan"), overwrite=True, **overrides).out
        finally:
            data.unlink(missing_ok=True)  # a full copy of the training data: not worth keeping next to the run
        dev = torch.device(self.device)
        self.generator_ = load_model(Path(run) / "generator", map_location=dev).eval()
        self.discriminator_ = load_model(Path(run) / "discriminator", map_location=dev).eval()
        for p in [*self.generator_.parameters(), *self.discriminator_.parameters()]:
            p.requires_grad_(False)

    def _residuals(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-sample (A_R, A_D): mean squared image residual and D-feature residual, both (N,)."""
        rec = self.generator_(self.encoder_(x))
        f = feature_fn(self.discriminator_)
        a_r = (x - rec).flatten(1).pow(2).mean(1)
        a_d = (f(x) - f(rec)).pow(2).mean(1)
        return a_r, a_d

    def _fit_encoder(self, X: torch.Tensor, rng: np.random.Generator) -> list[float]:
        dev = torch.device(self.device)
        opt = torch.optim.Adam(self.encoder_.parameters(), lr=self.encoder_lr, betas=(0.5, 0.999))
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        self.encoder_.train()
        losses, window = [], []
        for step in range(self.encoder_steps):
            idx = torch.randint(0, len(X), (min(self.batch_size, len(X)),), generator=gen)
            a_r, a_d = self._residuals(X[idx].to(dev))
            loss = (a_r + self.kappa * a_d).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            window.append(float(loss.detach()))
            if len(window) == 100 or step == self.encoder_steps - 1:
                losses.append(float(np.mean(window)))
                window = []
            if not np.isfinite(window[-1] if window else losses[-1]):
                raise GanforgeError(f"encoder training diverged at step {step}; lower encoder_lr")
        self.encoder_.eval()
        return losses

    @torch.no_grad()
    def _anomaly(self, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
        dev = torch.device(self.device)
        out = []
        for i in range(0, len(X), batch_size):
            a_r, a_d = self._residuals(torch.from_numpy(np.ascontiguousarray(X[i:i + batch_size])).to(dev))
            out.append((a_r + self.kappa * a_d).cpu().numpy())
        return np.concatenate(out).astype(np.float64)

    # ------------------------------------------------------------------ scoring
    def _check_fitted(self) -> None:
        if not hasattr(self, "threshold_"):
            raise GanforgeError("this GANAnomalyDetector is not fitted: call fit(X_normal) first")

    def anomaly_score(self, X: Any) -> np.ndarray:
        """``A(x) = A_R + kappa * A_D`` per sample, shape (N,): higher is more anomalous."""
        self._check_fitted()
        return self._anomaly(self._as_array(X))

    def score_samples(self, X: Any) -> np.ndarray:
        """``-A(x)`` (N,), scikit-learn's convention: the lower, the more abnormal."""
        return -self.anomaly_score(X)

    def decision_function(self, X: Any) -> np.ndarray:
        """``score_samples(X) - offset_`` (N,): negative for outliers, positive for inliers."""
        return self.score_samples(X) - self.offset_

    def predict(self, X: Any) -> np.ndarray:
        """+1 for inliers, -1 for outliers (``A(x) > threshold_``), int64 (N,)."""
        return np.where(self.decision_function(X) < 0, -1, 1).astype(np.int64)

    # ------------------------------------------------------------------ save / load
    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``detector.json`` (parameters, threshold, scaling) and ``generator/``,
        ``discriminator/``, ``encoder/`` (config.json + model.safetensors). No pickle."""
        self._check_fitted()
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        names = getattr(self, "feature_names_in_", None)
        state = {
            "format": 1, "params": self.get_params(), "kind": self.kind_, "in_shape": self.in_shape_,
            "mean": None if self.mean_ is None else self.mean_.tolist(),
            "scale": None if self.scale_ is None else self.scale_.tolist(),
            "threshold": self.threshold_, "validation_scores": self.validation_scores_.tolist(),
            "encoder_loss": self.encoder_loss_, "fit_seconds": self.fit_seconds_,
            "feature_names_in": None if names is None else [str(n) for n in names]}
        for name in ("generator", "discriminator", "encoder"):
            save_model(getattr(self, name + "_"), d / name, meta={"role": f"anomaly {name}"})
        (d / DETECTOR_FILE).write_text(json.dumps(state, indent=2))
        return d

    @classmethod
    def load(cls, directory: str | os.PathLike[str], device: str | None = None) -> GANAnomalyDetector:
        """A detector saved by :meth:`save`; scores are identical to the saved one's."""
        d = Path(directory)
        path = d / DETECTOR_FILE
        if not path.is_file():
            raise GanforgeError(f"{path}: no saved GANAnomalyDetector here (expected {DETECTOR_FILE}, generator/, "
                                f"discriminator/ and encoder/, as written by `ganforge anomaly fit`)")
        state = json.loads(path.read_text())
        params = state["params"]
        if device is not None:
            params["device"] = device
        self = cls(**params)
        dev = torch.device(self.device)
        self.kind_, self.in_shape_ = state["kind"], state["in_shape"]
        self.n_features_in_ = int(np.prod(self.in_shape_))
        self.mean_ = None if state["mean"] is None else np.asarray(state["mean"], dtype=np.float32)
        self.scale_ = None if state["scale"] is None else np.asarray(state["scale"], dtype=np.float32)
        self.threshold_ = float(state["threshold"])
        self.offset_ = -self.threshold_
        self.validation_scores_ = np.asarray(state["validation_scores"])
        self.encoder_loss_, self.fit_seconds_ = state["encoder_loss"], state["fit_seconds"]
        if state.get("feature_names_in") is not None:
            self.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
        for name in ("generator", "discriminator", "encoder"):
            net = load_model(d / name, map_location=dev).eval()
            for p in net.parameters():
                p.requires_grad_(False)
            setattr(self, name + "_", net)
        return self
