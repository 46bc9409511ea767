"""The FastAPI application behind ``ganforge serve``: static pages plus a small JSON/PNG API.

Routes (``{rid}`` is a run id from ``GET /api/runs``):

- ``GET /`` -> the explorer; ``GET /explore``, ``GET /dashboard``; ``/static/*`` page assets
- ``GET /api/runs``; ``GET /api/runs/{rid}`` (progress + the generator's controls)
- ``POST /api/runs/{rid}/grid`` | ``latent`` | ``render`` (PNG) | ``tile`` (JSON: image, audio, caption)
  | ``interpolate`` | ``codes``; grid, interpolate and codes give ``tiles`` and ``images``
- ``POST /api/runs/{rid}/translate`` (multipart upload ``file``, optional ``mask``)
- ``GET /api/runs/{rid}/metrics?offset=N``; ``GET /api/runs/{rid}/samples``;
  ``GET /api/runs/{rid}/samples/{step}.png``

Every error is JSON ``{"error": message}`` with a 4xx status for the client's mistakes;
exceptions inside a request never stop the server.
"""
from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import GanforgeError
from . import explore
from .imaging import ImageError, data_url, decode_upload, png_bytes, tile_json
from .runs import Run, RunStore
from .schemas import CodeRequest, GridRequest, InterpolateRequest, LatentRequest, RenderRequest

log = logging.getLogger("ganforge.web")

MAX_BODY_BYTES = 8 * 1024 * 1024      # largest request body (uploads included)
MAX_KEEP_SIDE = 512                    # uploads kept at their own size: at most this many px a side
STATIC_DIR = Path(str(resources.files("ganforge.web") / "static"))


class _ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes with 413, whether announced by
    Content-Length or streamed (chunked), before the app reads them."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    too_big = int(v) > self.limit
                except ValueError:
                    too_big = True
                if too_big:
                    return await _send_json(send, 413, f"request body larger than {self.limit} bytes")
        seen = 0
        refused = False

        async def limited() -> dict:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    # answer 413 ourselves: an exception raised here would reach the app's body
                    # parser, which reports any read failure as 400; the app then sees the client
                    # gone and whatever it answers is dropped by guarded() below
                    refused = True
                    await _send_json(send, 413, f"request body larger than {self.limit} bytes")
                    return {"type": "http.disconnect"}
            return msg

        async def guarded(message: dict) -> None:
            if not refused:
                await send(message)

        await self.app(scope, limited, guarded)


async def _send_json(send: Callable, status: int, message: str) -> None:
    import json

    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{loc or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def create_app(run_dirs: list[str | os.PathLike[str]], max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """The web app serving ``run_dirs`` (run folders, or folders holding runs)."""
    store = RunStore(list(run_dirs))
    app = FastAPI(title="ganforge", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.store = store

    # -- errors: always JSON, never a crash ------------------------------------------------------
    @app.exception_handler(_ApiError)
    async def _api_error(_: Request, e: _ApiError) -> JSONResponse:
        return JSONResponse({"error": e.message}, status_code=e.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _validation_message(e)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(e.detail)}, status_code=e.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, e: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse({"error": f"internal error: {type(e).__name__}"}, status_code=500)

    def run_of(rid: str) -> Run:
        try:
            return store.get(rid)
        except KeyError:
            raise _ApiError(404, f"unknown run id {rid[:60]!r}; served runs: {', '.join(store.runs)}") from None

    def with_generator(rid: str, fn: Callable[[Any], Any]) -> Any:
        """Call fn(G) under the run's lock, mapping the client's mistakes to 400 and a run whose
        saved generator cannot be used (missing, damaged) to 409, never to 500."""
        run = run_of(rid)
        with run.lock:
            try:
                G = run.generator()
                return fn(G)
            except explore.BadRequest as e:
                raise _ApiError(400, str(e)) from None
            except GanforgeError as e:
                raise _ApiError(409, run.relative(str(e))) from None
            except (TypeError, ValueError, KeyError, AttributeError, IndexError, RuntimeError) as e:
                # the request was validated, so this comes from the saved model (e.g. metadata of
                # the wrong type in generator/config.json): the run is damaged, the server is not
                log.warning("run %s: generator failed: %r", run.id, e)
                raise _ApiError(409, f"run {run.id!r}: the saved generator (generator/config.json, "
                                     f"generator/model.safetensors) does not work: {type(e).__name__}: "
                                     f"{run.relative(str(e))[:300]}") from None

    # -- pages ------------------------------------------------------------------------------------
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/explore")

    @app.get("/explore", include_in_schema=False)
    def explore_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "explore.html", headers={"Cache-Control": "no-cache"})

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "dashboard.html", headers={"Cache-Control": "no-cache"})

    # -- runs -------------------------------------------------------------------------------------
    @app.get("/api/runs")
    def list_runs() -> dict[str, Any]:
        return {"runs": [r.summary() for r in store.runs.values()]}

    @app.get("/api/runs/{rid}")
    def run_info(rid: str) -> dict[str, Any]:
        run = run_of(rid)
        info: dict[str, Any] = {**run.summary(), "model": None, "model_error": None,
                                "limits": {"max_upload_bytes": max_body_bytes, "max_keep_side": MAX_KEEP_SIDE}}
        if run.has_generator():
            with run.lock:
                try:
                    info["model"] = explore.describe(run.generator())
                except GanforgeError as e:
                    info["model_error"] = run.relative(str(e))
                except (TypeError, ValueError, KeyError, AttributeError, IndexError) as e:
                    info["model_error"] = (f"the saved generator's metadata (generator/config.json) is damaged: "
                                           f"{type(e).__name__}: {run.relative(str(e))[:300]}")
        else:
            info["model_error"] = "no generator saved yet (it is written at the first checkpoint)"
        return info

    # -- explorer ---------------------------------------------------------------------------------
    def shown(G: Any, x: Any) -> dict[str, Any]:
        """Samples as the page shows them: ``tiles`` (image / audio data URLs and a caption per
        sample) and ``images`` (each tile's image URL, None where it has none)."""
        if explore.sample_media(G) == "tiles":
            tiles = [tile_json(t) for t in explore.tiles(G, x)]
        else:
            tiles = [{"image": data_url(png_bytes(img)), "audio": None, "caption": None} for img in x]
        return {"tiles": tiles, "images": [t["image"] for t in tiles]}

    @app.post("/api/runs/{rid}/grid")
    def grid(rid: str, req: GridRequest) -> dict[str, Any]:
        def fn(G: Any) -> dict[str, Any]:
            seeds = list(range(req.seed, req.seed + req.n))
            z = explore.seed_latents(G, seeds, req.truncation)
            labels = explore.labels_for(G, req.n, req.label, cycle=True)
            x = explore.decode(G, z, labels, req.truncation)
            return {"seeds": seeds, "labels": None if labels is None else labels.tolist(),
                    "latents": [[round(v, 6) for v in row] for row in z.tolist()], **shown(G, x)}
        return with_generator(rid, fn)

    @app.post("/api/runs/{rid}/latent")
    def latent(rid: str, req: LatentRequest) -> dict[str, Any]:
        def fn(G: Any) -> dict[str, Any]:
            z = explore.seed_latents(G, [req.seed], req.truncation)
            return {"seed": req.seed, "z": [round(v, 6) for v in z[0].tolist()]}
        return with_generator(rid, fn)

    @app.post("/api/runs/{rid}/render")
    def render(rid: str, req: RenderRequest) -> Response:
        def fn(G: Any) -> bytes:
            z = explore.as_latent(G, req.z)
            x = explore.decode(G, z, explore.labels_for(G, 1, req.label), req.truncation)
            if explore.sample_media(G) == "tiles":
                raise explore.BadRequest(f"this run's samples are {G.meta.get('kind')!r} tiles, not images: "
                                         f"POST /api/runs/{rid}/tile gives one")
            return png_bytes(x[0], scale=req.scale)
        return Response(with_generator(rid, fn), media_type="image/png", headers={"Cache-Control": "no-store"})

    @app.post("/api/runs/{rid}/tile")
    def tile(rid: str, req: RenderRequest) -> dict[str, Any]:
        """One sample from the latent ``z`` as the page shows it (image, audio, caption)."""
        def fn(G: Any) -> dict[str, Any]:
            z = explore.as_latent(G, req.z)
            x = explore.decode(G, z, explore.labels_for(G, 1, req.label), req.truncation)
            return {"tile": shown(G, x)["tiles"][0]}
        return with_generator(rid, fn)

    @app.post("/api/runs/{rid}/interpolate")
    def interpolate(rid: str, req: InterpolateRequest) -> dict[str, Any]:
        def fn(G: Any) -> dict[str, Any]:
            za, zb = explore.as_latent(G, req.z_a, "z_a"), explore.as_latent(G, req.z_b, "z_b")
            z = explore.interpolation(G, za, zb, req.steps, req.mode)
            x = explore.decode(G, z, explore.labels_for(G, req.steps, req.label), req.truncation)
            return shown(G, x)
        return with_generator(rid, fn)

    @app.post("/api/runs/{rid}/codes")
    def codes(rid: str, req: CodeRequest) -> dict[str, Any]:
        def fn(G: Any) -> dict[str, Any]:
            z = explore.as_latent(G, req.z)
            zs, values = explore.code_traversal(G, z, req.code, req.steps, req.low, req.high)
            x = explore.decode(G, zs, explore.labels_for(G, len(zs), req.label), req.truncation)
            return {"code": req.code, "values": values, **shown(G, x)}
        return with_generator(rid, fn)

    @app.post("/api/runs/{rid}/translate")
    def translate(rid: str, file: UploadFile = File(...), mask: UploadFile | None = File(None),
                  keep_size: bool = Form(False)) -> dict[str, Any]:
        data = file.file.read(max_body_bytes + 1)
        mask_data = mask.file.read(max_body_bytes + 1) if mask is not None else None

        def fn(T: Any) -> dict[str, Any]:
            from ..nets.controls import is_translator

            if not is_translator(T):
                raise explore.BadRequest("this run's generator is not an image-to-image model; use the sample grid")
            c, h, w = T.in_shape
            try:
                x = decode_upload(data, c, None if keep_size else (h, w))
                m = decode_upload(mask_data, 1, tuple(x.shape[-2:])) if mask_data else None
            except ImageError as e:
                raise _ApiError(415, f"file: {e}") from None
            if keep_size and max(x.shape[-2:]) > MAX_KEEP_SIDE:
                raise explore.BadRequest(f"keep_size: the image is {x.shape[-1]}x{x.shape[-2]}; at most "
                                         f"{MAX_KEEP_SIDE} px a side is kept as is (leave keep_size off to resize)")
            try:
                y, seen = explore.translate(T, x, None if m is None else (m > 0).float())
            except (ValueError, RuntimeError) as e:
                raise explore.BadRequest(f"the model could not translate this image: {e}") from None
            return {"input": data_url(png_bytes(seen[0])), "output": data_url(png_bytes(y[0])),
                    "in_size": list(seen.shape[1:]), "out_size": list(y.shape[1:])}
        return with_generator(rid, fn)

    # -- dashboard --------------------------------------------------------------------------------
    @app.get("/api/runs/{rid}/metrics")
    def metrics(rid: str, offset: int = Query(0, ge=0, le=2**50)) -> dict[str, Any]:
        run = run_of(rid)
        return {**run.metrics(offset), "status": run.status()}

    @app.get("/api/runs/{rid}/samples")
    def samples(rid: str) -> dict[str, Any]:
        return {"steps": run_of(rid).sample_steps()}

    @app.get("/api/runs/{rid}/samples/{step}.png")
    def sample_image(rid: str, step: int) -> FileResponse:
        run = run_of(rid)
        if not 0 <= step < 10**12:
            raise _ApiError(422, f"step: must be 0..{10**12 - 1}")
        try:
            return FileResponse(run.sample_file(step), media_type="image/png")
        except FileNotFoundError:
            raise _ApiError(404, f"run {rid!r} has no sample grid for step {step}; steps: "
                                 f"{run.sample_steps()[-10:]}") from None

    app.add_middleware(BodyLimit, limit=max_body_bytes)
    return app
