"""`ganforge sample`, `ganforge interpolate`, `ganforge traverse` and `ganforge mix`."""
from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import GanforgeError
from . import register_command


FORMATS = ("png", "npy", "folder")
# Samples generated and written per chunk by `sample` for --format npy/folder, so that memory
# stays bounded whatever --n is (the latents of one chunk, its images, nothing more).
CHUNK = 4096


def output_format(out: str, fmt: str | None) -> str:
    """The format to write ``out`` in: ``fmt`` (--format) checked against the suffix, or from the
    suffix alone (.npy: array, .png or another image suffix: grid, none: folder of PNGs).

    A suffix that contradicts --format is refused naming both, and nothing is ever appended to
    ``out``: `--format png --out grid` writes a PNG named exactly ``grid``."""
    suffix = Path(out).suffix.lower()
    if fmt is None:
        if suffix in ("", ".npy"):
            return "npy" if suffix else "folder"
        from PIL import Image

        if suffix not in Image.registered_extensions():
            raise GanforgeError(f"--out {out}: cannot tell the format from the suffix {suffix!r}; use .png (grid), "
                                f".npy (array) or no suffix (a folder of PNGs), or give --format")
        return "png"  # an image grid, in the format the suffix names (.png, .jpg, .webp...)
    if fmt not in FORMATS:
        raise GanforgeError(f"--format {fmt!r}: accepted values are {', '.join(FORMATS)}")
    expected = {"png": ".png", "npy": ".npy", "folder": ""}[fmt]
    if suffix and suffix != expected:
        hint = f"name it with {expected} or no suffix" if expected else "name the folder without a suffix"
        raise GanforgeError(f"--out {out} has the suffix {suffix!r} but --format {fmt} was asked; {hint}, "
                            f"or change --format")
    return fmt


def _write(x: Any, out: str, fmt: str | None, kind: str, nrow: int | None = None) -> Path:
    """Write samples (N, ...) as a grid PNG, a .npy array or a folder of PNGs; return the path written."""
    from ..imageio import save_grid, save_points

    fmt = output_format(out, fmt)
    if nrow is not None and nrow <= 0:
        raise GanforgeError(f"--nrow {nrow}: images per grid row must be positive")
    p = Path(out)
    if fmt in ("npy", "folder"):
        return _stream(iter([x]), len(x), tuple(x.shape[1:]), p, fmt, kind)
    if kind == "image":
        return save_grid(x, p, nrow=nrow)
    if kind == "points":
        return save_points(x, p)
    raise GanforgeError(f"cannot draw samples of kind {kind!r} as PNG; use --format npy")


# interpolate, traverse and mix build their whole result in memory: at most this much of it
MAX_IN_MEMORY_BYTES = 4 * 10**9


def check_fits(G: Any, n: int, out: str, fmt: str | None, nrow: int | None = None) -> None:
    """Before generating: refuse ``n`` samples of G that cannot be written as asked (a PNG grid
    over the pixel limit) or held in memory at once, with the estimate."""
    from ..imageio import check_grid_fits, grid_scale

    shape = tuple(int(s) for s in getattr(G, "out_shape", ()) or ())
    if output_format(out, fmt) == "png" and _kind(G) == "image" and len(shape) == 3:
        check_grid_fits(n, *shape, nrow=nrow, scale=grid_scale(shape[-1]))
    nbytes = n * int(np.prod(shape or (1,))) * 4
    if nbytes > MAX_IN_MEMORY_BYTES:
        raise GanforgeError(f"{n} samples of shape {shape} would take ~{nbytes / 1e9:.3g} GB in memory (at most "
                            f"{MAX_IN_MEMORY_BYTES / 1e9:g} GB here); ask for fewer (`ganforge sample --format npy` "
                            f"writes any number in chunks)")


def _check_disk(path: Path, nbytes: int, what: str) -> None:
    """Refuse before writing when ``nbytes`` clearly cannot fit on the disk holding ``path``."""
    import shutil

    folder = next((q for q in [path.parent, *path.parent.parents] if q.is_dir()), None)
    if folder is None:
        return
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if nbytes > free:
        raise GanforgeError(f"{what} would take ~{nbytes / 1e9:.3g} GB but {folder} has {free / 1e9:.3g} GB free; "
                            f"ask for fewer samples (--n) or write elsewhere (--out)")


def _stream(chunks: Any, n: int, shape: tuple[int, ...], p: Path, fmt: str, kind: str) -> Path:
    """Write ``n`` samples of ``shape``, arriving as CPU tensor chunks, to a .npy file (one
    atomic write, the header first) or a folder of PNGs; memory holds one chunk at a time."""
    from ..fileio import atomic_write, ensure_dir
    from ..imageio import save_image

    if fmt == "npy":
        import numpy.lib.format as npf

        _check_disk(p, n * int(np.prod(shape)) * 4, f"{n} samples as float32 in {p}")

        def write(f: Any) -> None:
            npf.write_array_header_1_0(f, {"descr": npf.dtype_to_descr(np.dtype(np.float32)),
                                           "fortran_order": False, "shape": (n, *shape)})
            for x in chunks:
                f.write(np.ascontiguousarray(x.numpy(), dtype=np.float32).tobytes())

        return atomic_write(p, write, f"{n} samples (.npy)")
    if kind != "image":
        raise GanforgeError("--format folder writes one PNG per image; for points use --format npy or png")
    ensure_dir(p, "the sample folder")
    digits, i = max(5, len(str(n - 1))), 0
    for x in chunks:
        for img in x:
            save_image(img, p / f"{i:0{digits}d}.png")
            i += 1
    return p


def _kind(G: Any) -> str:
    return getattr(G, "meta", {}).get("kind") or ("image" if len(getattr(G, "out_shape", ())) == 3 else "points")


MAX_PLOT_POINTS = 1_000_000  # a scatter plot of more points takes minutes and shows nothing more


def load_generator(args: Any) -> Any:
    """The run's generator: the best one when the run kept one (RUN/best/, chosen by in-training
    evaluation), unless ``--last``; one line says so when the best is used."""
    import ganforge

    G = ganforge.load(args.run, device=args.device, checkpoint="last" if getattr(args, "last", False) else "auto")
    meta = getattr(G, "meta", {}) or {}
    if meta.get("checkpoint") == "best":
        print(f"using the best generator of {args.run} (step {meta.get('step', '?')}, kept by in-training evaluation); "
              f"--last for the final one", file=sys.stderr)
    return G


def add_sample(p: Any) -> None:
    p.add_argument("run", help="a run folder or a saved generator folder")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--class", dest="label", type=int, default=None, help="class index for conditional models")
    p.add_argument("--latent", default=None, metavar="FILE.npy",
                   help="latent vectors to decode instead of drawing them from --seed: a .npy array (N, z_dim) "
                        "or (z_dim,), e.g. as downloaded from `ganforge serve`'s explorer")
    p.add_argument("--truncation", type=float, default=None,
                   help="truncation for generators that have the trick (psi in [0, 1] for StyleGAN-like nets, "
                        "the truncated-normal threshold for BigGAN-like ones)")
    p.add_argument("--out", default=None,
                   help="output file or folder (default samples.png; tables and series: samples.csv)")
    p.add_argument("--condition", action="append", default=[], metavar="COLUMN=VALUE",
                   help="tabular models: only rows with this value in a discrete column (repeatable)")
    p.add_argument("--format", choices=("png", "npy", "folder", "table"), default=None,
                   help="png grid, npy array, a folder of PNGs, or a table (series) (default: from --out's suffix: "
                        ".npy array, .png grid, none a folder). --out is written exactly as named; a suffix that "
                        "contradicts --format is an error. npy and folder are written in chunks of 4096 samples")
    p.add_argument("--nrow", type=int, default=None, help="images per grid row")
    p.add_argument("--context-from", default="random", metavar="random|FILE.npy",
                   help="series models trained with --context: the pasts to continue, 'random' (windows of the "
                        "run's training data drawn with --seed, default) or a .npy array (N, context, F) or "
                        "(context, F) in the model's scaled units (as the run's data gives them)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--last", action="store_true",
                   help="use the run's final generator even when it kept a best one (RUN/best/, from --eval-every)")


def series_contexts(run: str, G: Any, n: int, seed: int, source: str) -> Any:
    """(n, context_len, F) pasts for a context-conditioned series generator: random windows of the
    run's own training data (its config.yaml), or an array from a .npy file."""
    import numpy as np
    import torch

    tc, feats = int(G.context_len), int(G.out_shape[-1])
    if source == "random":
        from ..config import config_from_dict, load_yaml
        from ..data import build_dataset

        cfg_path = Path(run) / "config.yaml"
        if not cfg_path.is_file():
            raise GanforgeError(f"--context-from random reads the run's training data, but {cfg_path} is missing; "
                                f"pass --context-from FILE.npy with an array (N, {tc}, {feats})")
        ctx = build_dataset(config_from_dict(load_yaml(cfg_path), str(cfg_path)).data).fields.get("context")
        if ctx is None or tuple(ctx.shape[1:]) != (tc, feats):
            raise GanforgeError(f"{cfg_path}: the run's data gives no pasts of shape ({tc}, {feats}); "
                                f"pass --context-from FILE.npy")
        idx = torch.randint(len(ctx), (n,), generator=torch.Generator().manual_seed(seed))
        return ctx[idx]
    path = Path(source)
    if path.suffix != ".npy" or not path.is_file():
        raise GanforgeError(f"--context-from {source!r}: accepted values are 'random' or an existing .npy file")
    arr = torch.as_tensor(np.load(path), dtype=torch.float32)
    given = tuple(arr.shape)
    if arr.dim() == 2 and given == (tc, feats):
        arr = arr.unsqueeze(0).expand(n, -1, -1)
    if arr.dim() != 3 or tuple(arr.shape[1:]) != (tc, feats):
        raise GanforgeError(f"--context-from {path}: expected an array ({tc}, {feats}) or (N, {tc}, {feats}), "
                            f"got {given}")
    return arr


def run_sample(args: Any) -> int:
    import ganforge

    from ..api import _device, _labels, generate, latents
    from ..nets.controls import truncation_kwargs
    from .outputs import SAMPLE_WRITERS
    from .runkinds import RUN_KINDS, run_kind_of

    kind = run_kind_of(args.run)
    if kind is not None:  # a fit/sample model (e.g. tabular) samples itself
        return RUN_KINDS.get(kind).sample(Path(args.run), args)
    if args.nrow is not None and args.nrow <= 0:
        raise GanforgeError(f"--nrow {args.nrow}: images per grid row must be positive")
    G = load_generator(args)
    if args.condition:
        raise GanforgeError("--condition applies to tabular models; this run holds a generator (use --class)")
    try:
        lat_kw, fwd_kw = truncation_kwargs(G, args.truncation)
    except ValueError as e:
        raise GanforgeError(f"--truncation: {e}") from None
    given: Any = None
    if args.latent is not None:
        z_dim = int(getattr(G, "z_dim", 0) or 0)
        given = read_latent(args.latent, tuple(G.sample_latent(1).shape[1:]) if z_dim > 0 else (z_dim,))
        n, lat_kw = len(given), {}  # a saved latent already carries any truncation applied when it was drawn
    elif args.n <= 0:
        raise GanforgeError(f"--n must be positive, got {args.n}")
    else:
        n = args.n
    if given is None:
        from ..apps.i2i import is_translator

        if is_translator(G):
            latents(G, n, args.seed)  # raises the named error: a translator has no latent space
    dev, out_kind = _device(G), _kind(G)
    if out_kind in SAMPLE_WRITERS or int(getattr(G, "context_len", 0) or 0):
        # series and token outputs are small; they are written in one piece by their writers
        z = given.to(dev) if given is not None else latents(G, n, args.seed, **lat_kw)
        cond = _labels(G, n, args.label, dev)
        if int(getattr(G, "context_len", 0) or 0):
            cond = series_contexts(args.run, G, n, args.seed, args.context_from).to(dev)
            if len(cond) != n:
                raise GanforgeError(f"--context-from: {len(cond)} pasts for {n} samples; give one or {n}")
        x = generate(G, z, cond, **fwd_kw)
        if out_kind in SAMPLE_WRITERS:
            print(SAMPLE_WRITERS.get(out_kind)(x, G, args))
            return 0
        path = _write(x, args.out or "samples.png", args.format, out_kind, args.nrow)
        print(f"wrote {n} samples to {path}")
        return 0
    out = args.out or "samples.png"
    fmt = output_format(out, args.format)
    _labels(G, 1, args.label, dev)  # a bad --class is named before anything is written
    shape = tuple(int(s) for s in G.out_shape)
    if fmt == "png" and out_kind == "image":
        from ..imageio import check_grid_fits, grid_scale

        check_grid_fits(n, *shape[-3:], nrow=args.nrow, scale=grid_scale(shape[-1]))
    elif fmt == "png" and n > MAX_PLOT_POINTS:
        raise GanforgeError(f"--n {n}: a scatter plot draws at most {MAX_PLOT_POINTS:,} points; use --format npy")
    chunks = sample_chunks(G, n, args.seed, given, args.label, lat_kw, fwd_kw)
    if fmt == "png":
        import torch

        path = _write(torch.cat(list(chunks)), out, args.format, out_kind, args.nrow)
    else:
        path = _stream(chunks, n, shape, Path(out), fmt, out_kind)
    print(f"wrote {n} samples to {path}")
    return 0


def sample_chunks(G: Any, n: int, seed: int, given: Any, label: int | None, lat_kw: dict[str, Any],
                  fwd_kw: dict[str, Any]) -> Any:
    """Yield ``n`` samples of G as CPU tensors (m, *G.out_shape), at most :data:`CHUNK` at a time.

    Latents are ``given`` (N, z_dim) or drawn from one stream seeded with ``seed``, chunk after
    chunk: the first CHUNK samples are those of ``ganforge.sample(G, CHUNK, seed)``. Labels are
    ``label`` for all, or the classes in turn (sample i gets i % num_classes) as in the API."""
    import torch

    from ..api import _device, _labels, generate

    dev, k = _device(G), int(getattr(G, "num_classes", 0) or 0)
    stream = torch.Generator().manual_seed(seed)
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        z = given[start:start + m].to(dev) if given is not None else \
            G.sample_latent(m, generator=stream, device=dev, **lat_kw)
        cond = torch.arange(start, start + m, device=dev) % k if label is None and k else _labels(G, m, label, dev)
        yield generate(G, z, cond, **fwd_kw)


def read_latent(path: str, shape: int | tuple[int, ...]) -> Any:
    """Latents (N, *shape) float32 from a .npy file holding (N, *shape), one latent (*shape), or
    flattened ones (N, prod(shape)) as the web page's ``latent.npy`` holds them. ``shape`` is one
    latent's shape: (z_dim,) for most generators, (steps, z_dim) for recurrent ones."""
    import torch

    shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
    size = int(np.prod(shape))
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise GanforgeError(f"--latent {path}: cannot read a .npy array ({e})") from None
    if arr.shape == shape or (arr.ndim == 1 and arr.shape[0] == size):
        arr = arr[None]
    ok = np.issubdtype(arr.dtype, np.number) and arr.ndim >= 2 and (
        tuple(arr.shape[1:]) == shape or (arr.ndim == 2 and arr.shape[1] == size))
    if not ok:
        want = f"(N, {shape[0]}) or ({shape[0]},)" if len(shape) == 1 else \
            f"(N, {', '.join(map(str, shape))}), ({', '.join(map(str, shape))}) or flattened (N, {size})"
        raise GanforgeError(f"--latent {path}: expected a numeric array of shape {want}, got {arr.dtype} {arr.shape}")
    if not np.isfinite(arr).all():
        raise GanforgeError(f"--latent {path}: contains NaN or infinite values")
    return torch.from_numpy(arr.astype(np.float32).reshape(len(arr), *shape))


def add_interpolate(p: Any) -> None:
    p.add_argument("run")
    p.add_argument("--seed", type=int, action="append", required=True,
                   help="give twice: the two end points (e.g. --seed 0 --seed 1); more seeds chain segments")
    p.add_argument("--steps", type=int, default=10, help="images per segment")
    p.add_argument("--mode", choices=("slerp", "linear"), default="slerp")
    p.add_argument("--class", dest="label", type=int, default=None)
    p.add_argument("--out", default="interpolation.png")
    p.add_argument("--format", choices=("png", "npy", "folder"), default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--last", action="store_true",
                   help="use the run's final generator even when it kept a best one (RUN/best/, from --eval-every)")


def run_interpolate(args: Any) -> int:
    import torch

    import ganforge

    if len(args.seed) < 2:
        raise GanforgeError("interpolate needs two --seed values (e.g. --seed 0 --seed 1)")
    G = load_generator(args)
    if args.steps >= 2:  # fewer: ganforge.interpolate names the problem
        check_fits(G, args.steps * (len(args.seed) - 1), args.out, args.format, nrow=args.steps)
    parts = [ganforge.interpolate(G, a, b, steps=args.steps, label=args.label, mode=args.mode)
             for a, b in zip(args.seed[:-1], args.seed[1:])]
    x = torch.cat(parts)
    path = _write(x, args.out, args.format, _kind(G), nrow=args.steps)
    print(f"wrote {len(x)} interpolated samples to {path}")
    return 0


def add_traverse(p: Any) -> None:
    p.add_argument("run")
    p.add_argument("--dim", type=int, default=None, help="the latent dimension to vary")
    p.add_argument("--code", default=None,
                   help="a structured code to vary (InfoGAN: c1, c2, ...): one column per category of a "
                        "categorical code, --steps values over --range for a continuous one")
    p.add_argument("--range", dest="value_range", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"),
                   help="values to sweep (default -3 3 for --dim, -2 2 for a continuous --code)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--n", type=int, default=4, help="rows: base latents from --seed, --seed+1...")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--class", dest="label", type=int, default=None)
    p.add_argument("--out", default="traverse.png")
    p.add_argument("--format", choices=("png", "npy", "folder"), default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--last", action="store_true",
                   help="use the run's final generator even when it kept a best one (RUN/best/, from --eval-every)")


def run_traverse(args: Any) -> int:
    import ganforge

    from ..api import traverse_code

    for flag, v in (("--n", args.n), ("--steps", args.steps)):
        if v <= 0:
            raise GanforgeError(f"{flag} {v}: must be positive ({'rows' if flag == '--n' else 'columns'} of the grid)")
    if args.value_range is not None and not all(math.isfinite(v) for v in args.value_range):
        raise GanforgeError(f"--range {args.value_range[0]} {args.value_range[1]}: give two finite numbers")
    G = load_generator(args)
    check_fits(G, args.n * args.steps, args.out, args.format, nrow=args.steps)
    if (args.dim is None) == (args.code is None):
        raise GanforgeError("traverse needs either --dim N (a latent dimension) or --code NAME (InfoGAN: c1, c2, ...)")
    if args.code is not None:
        if args.label is not None:
            raise GanforgeError("--class does not apply to --code traversals (the generator is unconditional)")
        x = traverse_code(G, args.code, tuple(args.value_range or (-2.0, 2.0)), steps=args.steps, seed=args.seed,
                          n=args.n)
        what = f"code {args.code}"
    else:
        x = ganforge.traverse(G, args.dim, tuple(args.value_range or (-3.0, 3.0)), steps=args.steps, seed=args.seed,
                              n=args.n, label=args.label)
        what = f"latent dimension {args.dim}"
    cols = len(x) // args.n
    path = _write(x, args.out, args.format, _kind(G), nrow=cols)
    print(f"wrote a {args.n} x {cols} traversal of {what} to {path}")
    return 0


def add_mix(p: Any) -> None:
    p.add_argument("run", help="a run folder or saved generator of a StyleGAN-like family")
    p.add_argument("--seed", type=int, action="append", required=True,
                   help="give at least twice: the first seed makes the rows (with --rows, seeds A, A+1, ...), "
                        "the others the columns whose styles are copied in")
    p.add_argument("--rows", type=int, default=1, help="row images from seeds A, A+1, ... (default 1)")
    p.add_argument("--layers", default="0-3",
                   help="style layers taken from the column images: 0-3 (coarse, default), 4- (fine), 0,2,5")
    p.add_argument("--truncation", type=float, default=1.0, help="psi in [0, 1] (1: off)")
    p.add_argument("--class", dest="label", type=int, default=None)
    p.add_argument("--out", default="mix.png")
    p.add_argument("--format", choices=("png", "npy", "folder"), default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--last", action="store_true",
                   help="use the run's final generator even when it kept a best one (RUN/best/, from --eval-every)")


def run_mix(args: Any) -> int:
    import ganforge

    from ..api import style_mix

    if len(args.seed) < 2:
        raise GanforgeError("mix needs at least two --seed values (e.g. --seed 1 --seed 2)")
    if args.rows < 1:
        raise GanforgeError(f"--rows must be positive, got {args.rows}")
    G = load_generator(args)
    rows = [args.seed[0] + i for i in range(args.rows)]
    x = style_mix(G, rows, args.seed[1:], args.layers, truncation=args.truncation, label=args.label)
    path = _write(x, args.out, args.format, _kind(G), nrow=len(args.seed))
    print(f"wrote a {args.rows + 1} x {len(args.seed)} style-mixing grid to {path} (top row: column seeds "
          f"{args.seed[1:]}; left column: row seeds {rows}; cells: row image with layers {args.layers} from the column)")
    return 0


register_command("sample", add_sample, run_sample, "draw samples from a trained generator")
register_command("interpolate", add_interpolate, run_interpolate, "walk the latent space between seeds")
register_command("traverse", add_traverse, run_traverse, "vary one latent dimension or code, the others fixed")
register_command("mix", add_mix, run_mix, "style-mixing grid of a StyleGAN-like generator")
