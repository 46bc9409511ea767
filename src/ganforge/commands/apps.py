"""`ganforge augment`, `ganforge anomaly fit|score` and `ganforge features`: using trained GANs."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import GanforgeError
from . import register_command


# ---------------------------------------------------------------------------------- augment
def add_augment(p: Any) -> None:
    p.add_argument("run", help="a conditional run folder (e.g. family cgan) or a saved TabularGAN folder")
    p.add_argument("--per-class", type=int, required=True, help="synthetic samples per class")
    p.add_argument("--out", required=True, help="output folder (folder format), .npz file or .csv file")
    p.add_argument("--format", choices=("folder", "npz", "csv"), default=None,
                   help="folder: PNGs in one subfolder per class name; npz: arrays x, y, class_names; "
                        "csv: rows (table models). Default: folder for images, csv for tables")
    p.add_argument("--label-column", default=None, help="table models: the discrete column whose values are the classes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")


def run_augment(args: Any) -> int:
    run = Path(args.run)
    if args.per_class < 1:
        raise GanforgeError(f"--per-class must be positive, got {args.per_class}")
    if (run / "tabular.json").is_file():
        return _augment_table(args, run)
    import ganforge

    from ..apps.augment import synthesize_labelled, write_image_folder

    G = ganforge.load(run, device=args.device)
    x, y = synthesize_labelled(G, args.per_class, seed=args.seed)
    k = int(G.num_classes)
    names = [str(n) for n in (getattr(G, "meta", {}).get("class_names") or range(k))]
    fmt = args.format or "folder"
    if fmt == "folder":
        n = write_image_folder(x, y, names, args.out)
    elif fmt == "npz":
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez(out, x=x.numpy(), y=y.numpy(), class_names=np.asarray(names))
        n = len(y)
    else:
        raise GanforgeError("--format csv writes table rows; for images use --format folder or npz")
    print(f"wrote {n} synthetic samples ({args.per_class} per class, {k} classes) to {args.out}")
    return 0


def _augment_table(args: Any, run: Path) -> int:
    from ..apps.augment import table_per_class
    from ..families.tabular_gan import TabularGAN

    if (args.format or "csv") != "csv":
        raise GanforgeError("a table model writes rows: use --format csv")
    if not args.label_column:
        raise GanforgeError("a table model needs --label-column COLUMN (a discrete column) to balance classes over")
    gan = TabularGAN.load(run, device=args.device)
    rows = table_per_class(gan, args.label_column, args.per_class, seed=args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(out, index=False)
    print(f"wrote {len(rows)} synthetic rows ({args.per_class} per value of {args.label_column}) to {out}")
    return 0


# ---------------------------------------------------------------------------------- anomaly
def add_anomaly(p: Any) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    f = sub.add_parser("fit", help="train a detector on normal data")
    f.add_argument("--data", required=True,
                   help="normal data: a dataset name (mnist, digits, folder:PATH...), an image folder, .npy/.npz or .csv")
    f.add_argument("--out", required=True, help="folder for the detector")
    f.add_argument("--normal-classes", default=None, help="keep only these classes (names or indices, comma-separated)")
    f.add_argument("--split", default="train")
    f.add_argument("--resolution", type=int, default=None)
    f.add_argument("--limit", type=int, default=None)
    f.add_argument("--family", default=None, help="GAN family (default: dcgan for images, gan for vectors)")
    f.add_argument("--steps", type=int, default=2000, help="GAN training steps")
    f.add_argument("--encoder-steps", type=int, default=1000)
    f.add_argument("--batch-size", type=int, default=64)
    f.add_argument("--z-dim", type=int, default=None)
    f.add_argument("--width", type=int, default=None)
    f.add_argument("--kappa", type=float, default=1.0, help="weight of the discriminator-feature residual")
    f.add_argument("--contamination", type=float, default=0.05,
                   help="expected outlier fraction: threshold at the 1-c quantile of held-out normal scores")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--device", default="cpu")
    s = sub.add_parser("score", help="score inputs with a fitted detector")
    s.add_argument("run", help="a detector folder written by `ganforge anomaly fit`")
    s.add_argument("input", help="an image folder, a .npy/.npz file or a .csv")
    s.add_argument("--out", default=None, help="CSV of per-sample scores (default: print a summary only)")
    s.add_argument("--device", default="cpu")


def run_anomaly(args: Any) -> int:
    from ..apps.anomaly import GANAnomalyDetector
    from ..apps.inputs import load_data_arg, read_inputs, select_classes

    if args.action == "fit":
        x, y, names, _ = load_data_arg(args.data, args.split, args.resolution, args.limit)
        x, _ = select_classes(x, y, names, args.normal_classes)
        out = Path(args.out)
        det = GANAnomalyDetector(family=args.family, steps=args.steps, encoder_steps=args.encoder_steps,
                                 batch_size=args.batch_size, z_dim=args.z_dim, width=args.width, kappa=args.kappa,
                                 contamination=args.contamination, seed=args.seed, device=args.device,
                                 work_dir=str(out / "work"), verbose=False)
        det.fit(x).save(out)
        print(f"fitted on {len(x)} normal samples; threshold {det.threshold_:.5g}; saved to {out}")
        return 0
    det = GANAnomalyDetector.load(args.run, device=args.device)
    x = read_inputs(args.input, det.kind_, det.in_shape_)
    score = det.anomaly_score(x)
    flag = score > det.threshold_
    if args.out:
        import pandas as pd

        p = Path(args.out)
        p.parent.mkdir(parents=True, exist_ok=True)
        cols = {"index": np.arange(len(score))}
        if Path(args.input).is_dir():  # name each row by its image file (same sorted order as read_inputs)
            from ..data.images import list_images

            cols["file"] = [str(f.relative_to(args.input)) for f in list_images(Path(args.input))]
        pd.DataFrame({**cols, "score": score, "anomaly": flag}).to_csv(p, index=False)
    print(f"{len(score)} samples: {int(flag.sum())} anomalies (score > {det.threshold_:.5g}); "
          f"score min {score.min():.5g} median {np.median(score):.5g} max {score.max():.5g}"
          + (f"; wrote {args.out}" if args.out else ""))
    return 0


# ---------------------------------------------------------------------------------- features
def add_features(p: Any) -> None:
    p.add_argument("run", help="a run folder (its discriminator) or a saved discriminator folder")
    p.add_argument("input", help="an image folder, a .npy/.npz file, a .csv, or a dataset name (mnist, digits...)")
    p.add_argument("--out", default="features.npy", help="output .npy of shape (N, F)")
    p.add_argument("--labels-out", default=None, help="also write the input's class labels (.npy), when it has them")
    p.add_argument("--class", dest="label", type=int, default=None, help="class index for conditional discriminators")
    p.add_argument("--split", default="train", help="split of a dataset input")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--device", default="cpu")


def run_features(args: Any) -> int:
    import torch

    import ganforge

    from ..apps.features import discriminator_features
    from ..apps.inputs import load_data_arg, read_inputs

    D = ganforge.load(args.run, which="discriminator", device=args.device)
    shape = list(getattr(D, "in_shape", ()))
    kind = "image" if len(shape) == 3 else "vectors"
    y = None
    if Path(args.input).expanduser().exists():
        x = read_inputs(args.input, kind, shape)
        x = x[: args.limit] if args.limit else x
    else:
        x, y, _, _ = load_data_arg(args.input, args.split, shape[-1] if kind == "image" else None, args.limit)
    labels = None
    if args.label is not None:
        labels = torch.full((len(x),), args.label, dtype=torch.long)
    feats = discriminator_features(D, torch.from_numpy(np.ascontiguousarray(x)), labels)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, feats.numpy())
    if args.labels_out:
        if y is None:
            raise GanforgeError(f"--labels-out: input {args.input} has no class labels")
        np.save(args.labels_out, y)
    print(f"wrote features {tuple(feats.shape)} to {out}")
    return 0


register_command("augment", add_augment, run_augment, "write class-balanced synthetic labelled data from a conditional model")
register_command("anomaly", add_anomaly, run_anomaly, "anomaly detection with a GAN and an encoder (fit / score)")
register_command("features", add_features, run_features, "extract a trained discriminator's intermediate features")
