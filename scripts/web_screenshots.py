"""Screenshots of the web pages for docs/: docs/img/web-explorer.png and web-dashboard.png.

    python scripts/web_screenshots.py --explore runs/mnist-cgan --dashboard runs/mnist-dcgan

Serves the runs with the real app, drives headless Chromium (Debian's /usr/bin/chromium) with
Playwright: on the explorer it picks a sample, moves two latent sliders and, for conditional
models, a class, so the picture shows the controls in use.
"""
from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--explore", required=True, help="run shown on the explorer")
    p.add_argument("--dashboard", required=True, help="run shown on the dashboard")
    p.add_argument("--out", default="docs/img")
    p.add_argument("--class", dest="label", default="", help="class to draw the grid from (default: each in turn)")
    p.add_argument("--sample", type=int, default=5, help="grid cell to select")
    args = p.parse_args()

    from playwright.sync_api import sync_playwright

    from ganforge.web.server import make_server, url_of

    runs = list(dict.fromkeys([args.explore, args.dashboard]))
    srv, sock = make_server(runs, port=0)
    threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not srv.started:
        time.sleep(0.01)
    base = url_of(sock).rstrip("/")
    ids = list(srv.config.app.state.store.runs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = b.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/explore?run={ids[0]}")
        page.wait_for_selector("#grid img")
        if args.label and page.is_visible("#class-row"):
            page.select_option("#class", args.label)
            page.wait_for_function("s => [...document.querySelectorAll('#grid img')].every(i => i.title.endsWith('class ' + s))",
                                   arg=args.label)
        page.click(f"#grid img:nth-child({args.sample + 1})")
        for dim, value in ((1, "2.2"), (4, "-1.8")):
            page.fill(f'#sliders input[data-dim="{dim}"]', value)
            page.dispatch_event(f'#sliders input[data-dim="{dim}"]', "change")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "web-explorer.png"), full_page=True)
        page.goto(f"{base}/dashboard?run={ids[-1]}")
        page.wait_for_selector('.chart[data-title="Losses"]')
        page.fill("#smoothing", "0.6")
        page.dispatch_event("#smoothing", "input")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "web-dashboard.png"), full_page=True)
        b.close()
    srv.should_exit = True
    print(f"wrote {out / 'web-explorer.png'} and {out / 'web-dashboard.png'}")


if __name__ == "__main__":
    main()
