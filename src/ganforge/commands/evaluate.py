"""`ganforge eval RUN --metrics fid,kid,is,pr --n 10000 [--reference mnist-test]`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import GanforgeError
from ..fileio import write_text
from . import register_command


def add_arguments(p: Any) -> None:
    p.add_argument("source", help="a run folder, a saved generator folder, an image folder, or a .npy/.npz array")
    p.add_argument("--metrics", default="fid,kid,is,pr", help="comma list: fid, kid, is, pr, dc, prdc, class_acc; "
                                                             "toy runs or (N, 2) arrays (ring8, grid25): modes")
    p.add_argument("--n", type=int, default=None,
                   help="samples to evaluate (default: 10000 generated images; 2500 for toy modes, the VEEGAN/PacGAN "
                        "protocol; every sample of an array). More than an array holds is an error")
    p.add_argument("--reference", default=None, help="reference data: mnist-test (default for MNIST runs), "
                                                    "mnist-train, fashion-mnist-test, folder:PATH, a .npy file")
    p.add_argument("--extractor", default="inception,mnist", help="inception, mnist, or both (default)")
    p.add_argument("--n-reference", type=int, default=None)
    p.add_argument("--kid-subset-size", type=int, default=1000, help="samples per KID subset (default 1000)")
    p.add_argument("--kid-subsets", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=None, help="JSON file for the results (default: RUN/eval.json for runs)")


def _load_array(path: Path) -> Any:
    """The array in a .npy file, or the first one in a .npz; unreadable files are named errors."""
    import zipfile

    import numpy as np

    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                if not z.files:
                    raise GanforgeError(f"{path}: the .npz file holds no arrays")
                return z[z.files[0]]
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        if isinstance(e, GanforgeError):
            raise
        raise GanforgeError(f"{path}: cannot read a numpy array ({type(e).__name__}: {e})") from None


def _default_reference(source: Path) -> str:
    import yaml

    cfg_path = source / "config.yaml"
    if cfg_path.is_file():
        name = (yaml.safe_load(cfg_path.read_text()) or {}).get("data", {}).get("name", "mnist")
        return name if name.startswith("folder:") else f"{name}-test"
    return "mnist-test"


TOY_NAMES = ("ring8", "grid25")


def _toy_name(reference: Any, metrics: str, given: str | None) -> str | None:
    """ring8/grid25 when the evaluation is of mode coverage, else None."""
    name = reference.split("-")[0] if isinstance(reference, str) else None
    if name in TOY_NAMES:
        return name
    if metrics.strip() != "modes":
        return None
    raise GanforgeError(f"--metrics modes counts the modes of a toy mixture: give --reference "
                        f"{' or '.join(TOY_NAMES)} (--reference: {given or 'not given'})")


def run(args: Any) -> int:
    if args.n is not None and args.n <= 0:
        raise GanforgeError(f"--n must be positive, got {args.n}")
    src_path = Path(args.source)
    source: Any = src_path
    n = args.n
    if src_path.suffix in (".npy", ".npz"):
        source = _load_array(src_path)
        if n is not None and n > len(source):
            raise GanforgeError(f"--n {n}: {src_path} holds only {len(source)} samples; ask for at most that many "
                                f"(or leave --n out to use them all)")
        n = n or len(source)
        print(f"evaluating {n} of the {len(source)} samples in {src_path}")
    reference: Any = args.reference or (_default_reference(src_path) if src_path.is_dir() else "mnist-test")
    if isinstance(reference, str) and reference.endswith((".npy", ".npz")):
        reference = _load_array(Path(reference))
    toy = _toy_name(reference, args.metrics, args.reference)
    if toy is not None:
        from ..metrics import toy_metrics
        from ..metrics.toy import TOY_NUM_SAMPLES, evaluate_toy

        if not isinstance(source, Path):
            import numpy as np
            import torch

            arr = np.asarray(source[:n], dtype=np.float32)
            if arr.ndim != 2 or arr.shape[1] != 2:
                raise GanforgeError(f"{src_path}: mode metrics take points of shape (N, 2), got {arr.shape}")
            res: dict[str, Any] = toy_metrics(torch.from_numpy(arr), toy)
        else:
            if n is None:
                n = TOY_NUM_SAMPLES
                print(f"evaluating {n} samples (the toy protocol's default; set --n for another count)")
            import ganforge

            res = evaluate_toy(ganforge.load(src_path), toy, n=n, seed=args.seed)
    else:
        from ..metrics import evaluate

        res = evaluate(source, reference=reference, metrics=args.metrics, n=n or 10000, extractor=args.extractor,
                       batch_size=args.batch_size, seed=args.seed, device=args.device,
                       n_reference=args.n_reference, kid_subset_size=args.kid_subset_size,
                       kid_subsets=args.kid_subsets, progress=True)
    width = max(len(k) for k in res)
    for k, v in res.items():
        print(f"  {k.ljust(width)}  {v:.6g}" if isinstance(v, float) else f"  {k.ljust(width)}  {v}")
    out = Path(args.out) if args.out else (src_path / "eval.json" if src_path.is_dir() and
                                            (src_path / "generator").is_dir() else None)
    if out is not None:
        write_text(out, json.dumps(res, indent=2), "the evaluation results")
        print(f"wrote {out}")
    return 0


register_command("eval", add_arguments, run, "evaluate samples: FID, KID, IS, precision/recall, density/coverage")
