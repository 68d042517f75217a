"""Where one rerun's time goes in the browser: wall time, renderer CPU, websocket frames.

Starts ``streamlit run app.py`` (OPENBLAS_NUM_THREADS=1) on a free port, opens
one lesson in headless Chromium (/usr/bin/chromium), edits one number input
``--changes`` times (+1, back, +1, ...) and prints medians of:

- ``wall``: Enter to the end of the rerun it caused (as ``bench_app_rerun``);
- ``last frame``: Enter to the last websocket frame the page handled. Chromium
  reports a frame when its renderer handles it, so frames arriving long after
  the script has ended mean the browser, not the server, is the bottleneck;
- ``TaskDuration`` / ``ScriptDuration`` / ``LayoutDuration`` /
  ``RecalcStyleDuration``: the renderer main thread's CPU time over the rerun
  and 600 ms after it (Chrome DevTools ``Performance.getMetrics``), less noisy
  than wall time on a shared machine.

``--pin`` puts the server on core 0 and Chromium on core 1, to tell their
costs apart. Never asserts on time. Usage::

    python benchmarks/probe_browser.py --page convolution --label Stride [--changes 8] [--pin]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_app_rerun import _RERUN_END, _WATCH  # noqa: E402

METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server(port: int, pin: bool, options: tuple[str, ...] = ()) -> subprocess.Popen:
    """Start ``streamlit run app.py`` on ``port``; ``options``: extra ``--section.name=value``."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
    cmd += ["--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}"]
    cmd += ["--browser.gatherUsageStats=false", "--server.fileWatcherType=none", *options]
    return subprocess.Popen(
        (["taskset", "-c", "0"] if pin else []) + cmd,
        cwd=ROOT,
        env=dict(os.environ, OPENBLAS_NUM_THREADS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def open_app(page, url: str, *, settle_ms: int = 1000) -> None:
    """Load ``url`` as soon as the server answers, then wait for its first run to end."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(100):
        try:
            page.goto(url)
            break
        except PlaywrightError:  # the server is still starting
            time.sleep(0.3)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(settle_ms)


def probe(page_name: str, label: str, changes: int, pin: bool) -> dict[str, list[float]]:
    """Per-rerun figures (ms) for ``changes`` edits of the input labelled ``label``."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    server = _server(port, pin)
    out: dict[str, list[float]] = {"wall": [], "last frame": [], **{m: [] for m in METRICS}}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--disable-gpu"]
            )
            if pin:
                subprocess.run(
                    "for p in $(pgrep -f chromium); do taskset -apc 1 $p >/dev/null; done",
                    shell=True,
                    check=False,
                )
            page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
            frames: list[float] = []
            page.on(
                "websocket",
                lambda ws: ws.on("framereceived", lambda _: frames.append(time.perf_counter())),
            )
            open_app(page, f"http://127.0.0.1:{port}/{page_name}", settle_ms=1500)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")

            def metrics() -> dict[str, float]:
                return {
                    m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]
                }

            page.evaluate(_WATCH)
            box = page.locator(f'[data-testid=stMain] input[aria-label="{label}"]').first
            start = float(box.input_value())
            for k in range(changes + 2):
                box.fill(str(int(start) + (1 if k % 2 == 0 else 0)))
                before = metrics()
                page.evaluate(
                    "() => { window.__states = []; window.__changes = []; "
                    "window.__t0 = performance.now(); }"
                )
                frames.clear()
                t0 = time.perf_counter()
                box.press("Enter")
                wall = page.wait_for_function(_RERUN_END, timeout=60_000, polling=50)
                page.wait_for_selector(IDLE, timeout=60_000)
                page.wait_for_timeout(600)
                after = metrics()
                if k < 2:  # the first two fill the caches
                    continue
                out["wall"].append(wall.json_value())
                out["last frame"].append((max(frames, default=t0) - t0) * 1000)
                for m in METRICS:
                    out[m].append((after[m] - before[m]) * 1000)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="convolution", help="URL path of the lesson")
    parser.add_argument("--label", default="Stride", help="the number input to edit")
    parser.add_argument("--changes", type=int, default=8)
    parser.add_argument("--pin", action="store_true", help="server on core 0, Chromium on 1")
    args = parser.parse_args()
    figures = probe(args.page, args.label, args.changes, args.pin)
    print(f"{args.page}, {args.label!r}: medians of {args.changes} reruns")
    for name, values in figures.items():
        print(f"  {name:20} {statistics.median(values):7.0f} ms   {[round(v) for v in values]}")


if __name__ == "__main__":
    main()
