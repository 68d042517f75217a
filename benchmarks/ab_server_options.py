"""A/B of server options: the same lesson in one browser, against servers started differently.

Each variant is ``streamlit run app.py`` with extra config flags (the app's own
``.streamlit/config.toml`` applies to all of them, flags override it). Rounds
alternate between the variants, so a load change on this shared machine hits
them alike. Per round a fresh tab edits one number input ``--per`` times
(+1, back, +1, ...) after two warm-up edits; prints each variant's median wall
time (Enter to the end of the rerun, as ``bench_app_rerun``) and its ratio to
the first variant. Never asserts on time. Usage::

    python benchmarks/ab_server_options.py --page convolution --label Stride \\
        --variant with-gc=--runner.postScriptGC=true --variant no-gc=--runner.postScriptGC=false
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_app_rerun import time_edits  # noqa: E402
from benchmarks.probe_browser import IDLE, _free_port, _server, open_app  # noqa: E402


def _variant(text: str) -> tuple[str, tuple[str, ...]]:
    name, _, flags = text.partition("=")
    return name, tuple(flags.split()) if flags else ()


def measure(page_name: str, label: str, variants: dict, rounds: int, per: int) -> dict:
    """Wall times (ms) per variant name."""
    from playwright.sync_api import sync_playwright

    servers = {}
    for name, options in variants.items():
        port = _free_port()
        servers[name] = (port, _server(port, False, options))
    walls: dict[str, list[float]] = {name: [] for name in variants}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--disable-gpu"]
            )
            for _ in range(rounds):
                for name, (port, _) in servers.items():
                    context = browser.new_context(viewport={"width": 1440, "height": 1000})
                    page = context.new_page()
                    open_app(page, f"http://127.0.0.1:{port}/{page_name}", settle_ms=800)
                    box = page.locator(f'[data-testid=stMain] input[aria-label="{label}"]').first
                    walls[name] += time_edits(page, box, per, IDLE, pause=500)
                    context.close()
            browser.close()
    finally:
        for _, server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="convolution", help="URL path of the lesson")
    parser.add_argument("--label", default="Stride", help="the number input to edit")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per", type=int, default=4, help="timed edits per round and variant")
    parser.add_argument(
        "--variant",
        action="append",
        type=_variant,
        help='NAME=FLAGS, e.g. "no-gc=--runner.postScriptGC=false" (repeat; FLAGS may be empty)',
    )
    args = parser.parse_args()
    variants = dict(args.variant or [("as-configured", ())])
    walls = measure(args.page, args.label, variants, args.rounds, args.per)
    first = statistics.median(next(iter(walls.values())))
    print(f"{args.page}, {args.label!r}: medians of {args.rounds * args.per} reruns per variant")
    for name, values in walls.items():
        median = statistics.median(values)
        print(
            f"  {name:16} {median:6.0f} ms  ×{median / first:.2f}   "
            f"{sorted(round(v) for v in values)}"
        )


if __name__ == "__main__":
    main()
