"""Request bodies of the web API, with every limit the server enforces.

Unknown fields are refused (a typo such as ``"lable"`` must not be silently ignored), floats
must be finite, and every number has a range, so a request can never ask for an unbounded
amount of work.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_GRID = 64          # images in one sample grid
MAX_STEPS = 16         # images in one interpolation strip or code traversal
MAX_SCALE = 16         # nearest-neighbour upscaling of a rendered image
MAX_Z_DIM = 4096       # longest latent vector accepted
Z_LIMIT = 50.0         # |z_i| bound: N(0, 1) latents never come near it
MAX_SEED = 2**31 - 1

Seed = Annotated[int, Field(ge=0, le=MAX_SEED - MAX_GRID)]
Label = Annotated[int, Field(ge=0, le=100_000)]
Latent = Annotated[list[Annotated[float, Field(ge=-Z_LIMIT, le=Z_LIMIT, allow_inf_nan=False)]],
                   Field(min_length=1, max_length=MAX_Z_DIM)]
Trunc = Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)]
MAX_TEXT = 300         # characters of a caption (text-to-image generators)
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GridRequest(_Body):
    """``n`` samples, sample i drawn from seed ``seed + i`` (so each image has its own seed)."""

    seed: Seed = 0
    n: Annotated[int, Field(ge=1, le=MAX_GRID)] = 16
    label: Label | None = None
    text: Text | None = None             # the caption of a text-to-image generator
    truncation: Trunc | None = None


class LatentRequest(_Body):
    """The latent vector drawn from one seed (with truncation, when G draws it truncated)."""

    seed: Seed = 0
    truncation: Trunc | None = None


class RenderRequest(_Body):
    """Decode one latent vector into one PNG image."""

    z: Latent
    label: Label | None = None
    text: Text | None = None             # the caption of a text-to-image generator
    truncation: Trunc | None = None
    scale: Annotated[int, Field(ge=1, le=MAX_SCALE)] = 1


class InterpolateRequest(_Body):
    """``steps`` images from latent ``z_a`` to ``z_b``."""

    z_a: Latent
    z_b: Latent
    steps: Annotated[int, Field(ge=2, le=MAX_STEPS)] = 8
    mode: Literal["slerp", "linear"] = "slerp"
    label: Label | None = None
    text: Text | None = None             # the caption of a text-to-image generator
    truncation: Trunc | None = None


class CodeRequest(_Body):
    """Vary the structured code ``code`` of latent ``z``: every category of a categorical code,
    or ``steps`` values over [low, high] of a continuous one."""

    z: Latent
    code: Annotated[str, Field(min_length=1, max_length=64)]
    steps: Annotated[int, Field(ge=2, le=MAX_STEPS)] = 8
    low: Annotated[float, Field(ge=-Z_LIMIT, le=Z_LIMIT, allow_inf_nan=False)] = -2.0
    high: Annotated[float, Field(ge=-Z_LIMIT, le=Z_LIMIT, allow_inf_nan=False)] = 2.0
    label: Label | None = None
    text: Text | None = None             # the caption of a text-to-image generator
    truncation: Trunc | None = None
