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
    p.add_argument("--metrics", default=None, help="comma list: fid, kid, is, pr, dc, prdc, class_acc (default "
                                                   "fid,kid,is,pr); toy runs or (N, 2) arrays (ring8, grid25): "
                                                   "modes; tabular runs: columns, association (default both)")
    p.add_argument("--n", "--num-samples", dest="n", type=int, default=None,
                   help="samples to evaluate (default: 10000 generated images; 2500 for toy modes, the VEEGAN/PacGAN "
                        "protocol; every sample of an array; tabular runs: the reference table's rows). "
                        "More than an array holds is an error. --num-samples is the same option, for use under "
                        "torchrun, whose own options make --n ambiguous")
    p.add_argument("--reference", default=None, help="reference data: mnist-test (default for MNIST runs), "
                                                    "mnist-train, fashion-mnist-test, folder:PATH, a .npy file")
    p.add_argument("--extractor", default="inception,mnist", help="inception, mnist, or both (default)")
    p.add_argument("--n-reference", type=int, default=None)
    p.add_argument("--kid-subset-size", type=int, default=None,
                   help="samples per KID subset (default 1000, or all the samples when fewer: the result says which)")
    p.add_argument("--kid-subsets", type=int, default=None, help="KID subsets (default 100)")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--feature-precision", default="fp32", choices=("fp32", "bf16"),
                   help="Inception features in fp32 (exact, default: for published numbers) or bf16 (~2x faster on "
                        "CPUs with native bf16; FID within a few tenths of a percent: for monitoring)")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="torch CPU threads (default: torch's own, one per core)")
    p.add_argument("--out", default=None, help="JSON file for the results (default: RUN/eval.json for runs)")


def _process_group(device: str) -> bool:
    """Under torchrun (WORLD_SIZE > 1) join the job's process group: gloo on the CPU, NCCL on
    CUDA (each process on its LOCAL_RANK GPU). Returns whether evaluation is distributed."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    import torch

    if device.startswith("cuda"):
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return True


def run(args: Any) -> int:
    import ganforge

    if args.threads is not None:
        if args.threads < 1:
            raise GanforgeError(f"--threads {args.threads}: must be at least 1")
        import torch

        torch.set_num_threads(args.threads)
    src_path = Path(args.source)
    device = args.device
    distributed = _process_group(device)
    if distributed and device == "cuda":
        import os

        device = f"cuda:{os.environ.get('LOCAL_RANK', '0')}"
    try:
        extra = {"distributed": True} if distributed else {}
        res = ganforge.evaluate(src_path, metrics=args.metrics, n=args.n, reference=args.reference,
                                extractor=args.extractor, batch_size=args.batch_size, seed=args.seed, device=device,
                                n_reference=args.n_reference, kid_subset_size=args.kid_subset_size,
                                kid_subsets=args.kid_subsets, feature_precision=args.feature_precision,
                                progress=not distributed or _rank() == 0, **extra)
    finally:
        if distributed:
            import torch

            torch.distributed.destroy_process_group()
    if distributed and _rank() != 0:  # every process holds the same result; rank 0 reports it
        return 0
    width = max(len(k) for k in res)
    for k, v in res.items():
        print(f"  {k.ljust(width)}  {v:.6g}" if isinstance(v, float) else f"  {k.ljust(width)}  {v}")
    out = Path(args.out) if args.out else (src_path / "eval.json" if src_path.is_dir() and
                                            (src_path / "generator").is_dir() else None)
    if out is not None:
        write_text(out, json.dumps(res, indent=2), "the evaluation results")
        print(f"wrote {out}")
    return 0


def _rank() -> int:
    import os

    return int(os.environ.get("RANK", "0"))


register_command("eval", add_arguments, run, "evaluate samples: FID, KID, IS, precision/recall, density/coverage")
