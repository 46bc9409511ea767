"""`ganforge eval RUN --metrics fid,kid,is,pr --n 10000 [--reference mnist-test]`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import register_command


def add_arguments(p: Any) -> None:
    p.add_argument("source", help="a run folder, a saved generator folder, an image folder, or a .npy/.npz array")
    p.add_argument("--metrics", default="fid,kid,is,pr", help="comma list: fid, kid, is, pr, dc, prdc, class_acc; "
                                                             "toy runs (ring8, grid25): modes")
    p.add_argument("--n", type=int, default=10000, help="generated samples (default 10000)")
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
    import numpy as np

    if path.suffix == ".npz":
        with np.load(path) as z:
            return z[z.files[0]]
    return np.load(path)


def _default_reference(source: Path) -> str:
    import yaml

    cfg_path = source / "config.yaml"
    if cfg_path.is_file():
        name = (yaml.safe_load(cfg_path.read_text()) or {}).get("data", {}).get("name", "mnist")
        return name if name.startswith("folder:") else f"{name}-test"
    return "mnist-test"


def run(args: Any) -> int:
    src_path = Path(args.source)
    source: Any = src_path
    if src_path.suffix in (".npy", ".npz"):
        source = _load_array(src_path)
    reference: Any = args.reference or (_default_reference(src_path) if src_path.is_dir() else "mnist-test")
    if isinstance(reference, str) and reference.endswith((".npy", ".npz")):
        reference = _load_array(Path(reference))
    toy = isinstance(reference, str) and reference.split("-")[0] in ("ring8", "grid25")
    if toy or args.metrics == "modes":
        import ganforge
        from ..metrics import evaluate_toy

        name = reference.split("-")[0] if isinstance(reference, str) else "ring8"
        res: dict[str, Any] = evaluate_toy(ganforge.load(src_path), name, n=args.n if args.n != 10000 else 2500,
                                           seed=args.seed)
    else:
        from ..metrics import evaluate

        res = evaluate(source, reference=reference, metrics=args.metrics, n=args.n, extractor=args.extractor,
                       batch_size=args.batch_size, seed=args.seed, device=args.device,
                       n_reference=args.n_reference, kid_subset_size=args.kid_subset_size,
                       kid_subsets=args.kid_subsets, progress=True)
    width = max(len(k) for k in res)
    for k, v in res.items():
        print(f"  {k.ljust(width)}  {v:.6g}" if isinstance(v, float) else f"  {k.ljust(width)}  {v}")
    out = Path(args.out) if args.out else (src_path / "eval.json" if src_path.is_dir() and
                                            (src_path / "generator").is_dir() else None)
    if out is not None:
        out.write_text(json.dumps(res, indent=2))
        print(f"wrote {out}")
    return 0


register_command("eval", add_arguments, run, "evaluate samples: FID, KID, IS, precision/recall, density/coverage")
