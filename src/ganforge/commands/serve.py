"""`ganforge serve`: a web page to explore trained generators and watch training."""
from __future__ import annotations

from typing import Any

from . import register_command


def add_serve(p: Any) -> None:
    p.add_argument("runs", nargs="+", metavar="RUN_DIR",
                   help="run folders to serve (a folder holding several runs, e.g. runs/, serves each)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 exposes the page)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads for rendering (default: half the cores, at most 4)")
    p.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"))


def run_serve(args: Any) -> int:
    from ..web import serve

    serve(args.runs, host=args.host, port=args.port, log_level=args.log_level, threads=args.threads)
    return 0


register_command("serve", add_serve, run_serve, "web page: explore a generator, watch training curves")
