"""Start the web app with uvicorn on a socket we bind ourselves (so port 0 works and the
printed address is the real one)."""
from __future__ import annotations

import ipaddress
import os
import socket
import sys
from typing import Any

from ..errors import GanforgeError


def create_app(run_dirs: list[str | os.PathLike[str]], **kw: Any) -> Any:
    """The FastAPI app for ``run_dirs`` (see :mod:`ganforge.web.app`)."""
    try:
        from .app import create_app as _create
    except ImportError as e:  # fastapi / uvicorn / python-multipart missing
        raise GanforgeError(f"ganforge serve needs the web extra: pip install 'ganforge[web]' ({e})") from None
    return _create(run_dirs, **kw)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port)."""
    if not 0 <= port <= 65535:
        raise GanforgeError(f"--port {port}: must be 0..65535 (0 picks a free port)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise GanforgeError(f"--host {host!r}: cannot resolve ({e})") from None
    family, _, proto, _, addr = infos[0]
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted connections only when it does,
    # and without it Nagle + delayed ACKs add ~40 ms to every reply on a kept-alive connection
    # (the browser's), since headers and body are separate writes.
    sock = socket.socket(family, socket.SOCK_STREAM, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as e:
        sock.close()
        raise GanforgeError(f"cannot listen on {host}:{port} ({e.strerror}); try another --port") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def make_server(run_dirs: list[str | os.PathLike[str]], host: str = "127.0.0.1", port: int = 8000,
                log_level: str = "warning") -> tuple[Any, socket.socket]:
    """(uvicorn.Server, bound socket); call ``server.run(sockets=[sock])`` to serve."""
    import uvicorn

    app = create_app(run_dirs)
    sock = bind(host, port)
    config = uvicorn.Config(app, log_level=log_level, access_log=False, timeout_graceful_shutdown=2)
    return uvicorn.Server(config), sock


def default_threads() -> int:
    """Torch CPU threads for serving: half the cores, at most 4.

    One image at a time is a tiny amount of work; more threads than free cores make OpenMP
    spin and wait (measured on a busy 2-core machine: 4 ms median per slider update with one
    thread, over 300 ms with two; docs/web.md)."""
    return max(1, min(4, (os.cpu_count() or 1) // 2))


def serve(run_dirs: list[str | os.PathLike[str]], host: str = "127.0.0.1", port: int = 8000,
          log_level: str = "warning", threads: int | None = None) -> None:
    """Serve until interrupted, printing the address first."""
    import torch

    if threads is not None and threads < 1:
        raise GanforgeError(f"--threads {threads}: must be at least 1")
    torch.set_num_threads(threads or default_threads())
    server, sock = make_server(run_dirs, host, port, log_level)
    runs = ", ".join(server.config.app.state.store.runs)
    print(f"ganforge serve: {url_of(sock)}  (runs: {runs}; Ctrl-C to stop)", flush=True)
    if not is_loopback(host):
        print(f"ganforge serve: warning: listening on {host}, reachable from other machines; the page has no "
              "login", file=sys.stderr, flush=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled, once shut down
        pass
    finally:
        sock.close()
    print("ganforge serve: stopped", flush=True)
