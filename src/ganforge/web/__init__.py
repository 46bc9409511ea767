"""``ganforge serve``: a local web page to explore trained generators and watch training.

``create_app(run_dirs)`` builds the FastAPI app; ``serve(run_dirs, host, port)`` runs it with
uvicorn. Needs the optional ``web`` extra (fastapi, uvicorn, python-multipart).
"""
from __future__ import annotations

from .server import create_app, serve

__all__ = ["create_app", "serve"]
