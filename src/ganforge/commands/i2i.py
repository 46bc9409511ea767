"""`ganforge translate`, `ganforge upscale` and `ganforge inpaint`: apply image-to-image runs
to image files (see :mod:`ganforge.apps.i2i`)."""
from __future__ import annotations

from typing import Any

from . import register_command

_SIZES = ("images are processed at their own size (the networks are fully convolutional); --resize resizes each "
          "to the model's training size and the result back")


def add_translate(p: Any) -> None:
    p.add_argument("run", help="a pix2pix or cyclegan run folder (or a saved translator folder)")
    p.add_argument("input", help="an image file or a folder of images")
    p.add_argument("--out", required=True, help="output folder; files keep their names")
    p.add_argument("--direction", choices=("AtoB", "BtoA"), default="AtoB",
                   help="AtoB (default) or BtoA (cyclegan runs have both)")
    p.add_argument("--resize", action="store_true", help=_SIZES)
    p.add_argument("--device", default="cpu")


def run_translate(args: Any) -> int:
    from ..apps.i2i import translate_files

    paths = translate_files(args.run, args.input, args.out, direction=args.direction, resize=args.resize,
                            device=args.device)
    print(f"translated {len(paths)} image(s) {args.direction} into {args.out}")
    return 0


def add_upscale(p: Any) -> None:
    p.add_argument("run", help="an srgan run folder (or a saved generator folder)")
    p.add_argument("input", help="an image file or a folder of images")
    p.add_argument("--out", required=True, help="output folder; files keep their names")
    p.add_argument("--device", default="cpu")


def run_upscale(args: Any) -> int:
    from ..apps.i2i import upscale_files

    paths = upscale_files(args.run, args.input, args.out, device=args.device)
    print(f"upscaled {len(paths)} image(s) into {args.out}")
    return 0


def add_inpaint(p: Any) -> None:
    p.add_argument("run", help="an inpaint run folder (or a saved generator folder)")
    p.add_argument("image", help="an image file, or a folder of images")
    p.add_argument("--mask", required=True,
                   help="mask image, white = hole (same size as the image); for a folder of images, one mask for "
                        "all or a folder of masks with the images' file names")
    p.add_argument("--out", required=True, help="output file (a folder for a folder of images)")
    p.add_argument("--resize", action="store_true", help=_SIZES)
    p.add_argument("--device", default="cpu")


def run_inpaint(args: Any) -> int:
    from ..apps.i2i import inpaint_files

    paths = inpaint_files(args.run, args.image, args.mask, args.out, resize=args.resize, device=args.device)
    print(f"inpainted {len(paths)} image(s): {paths[0] if len(paths) == 1 else args.out}")
    return 0


register_command("translate", add_translate, run_translate, "translate images with a pix2pix or cyclegan run")
register_command("upscale", add_upscale, run_upscale, "super-resolve images with an srgan run")
register_command("inpaint", add_inpaint, run_inpaint, "fill the holes of an image (white in --mask) with an inpaint run")
