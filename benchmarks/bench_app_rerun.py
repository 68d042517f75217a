"""Rerun latency of each lesson page under AppTest: median ms per control change.

For every lesson page listed in app.py that exists, open it on the default image
(the sample photo at the default working resolution), warm it up, then change a
few of its own controls (number inputs, sliders, select boxes, radios,
checkboxes; not the shared sidebar) and change them back, timing each rerun.

Two figures per page:

- ``apptest``: AppTest as shipped. It recompiles the page scripts on every run
  (a fresh ``ScriptCache`` per run), which the real server does not do.
- ``server-like``: the same with one shared ``ScriptCache``, as ``streamlit run``
  keeps it: closer to what a browser user waits for on the server side.

With ``--browser``: also start ``streamlit run app.py`` on a free port and, in
headless Chromium (/usr/bin/chromium), change the first number input of each
page's main area (and "Output row", the step position, where there is one) and
time from pressing Enter to the end of the rerun (``data-test-script-state``
back to ``notRunning``), the delay a user sees. ``--browser-only`` skips the
AppTest part.

Prints medians; never asserts on time. Usage::

    python benchmarks/bench_app_rerun.py [--changes 4] [--repeat 2] [--page lessons/x.py]
                                         [--browser] [--browser-changes 10]
                                         [--browser-only] [--browser-label Stride ...]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.runtime.scriptrunner import script_cache as _script_cache  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.testing.v1 import app_test as _app_test  # noqa: E402
from streamlit.testing.v1 import local_script_runner as _runner  # noqa: E402

APP = ROOT / "app.py"
KINDS = ("number_input", "slider", "select_slider", "selectbox", "radio", "checkbox", "toggle")


def pages() -> list[str]:
    """Lesson pages named in app.py that exist on disk, in the app's order."""
    names = re.findall(r"st\.Page\(\s*\"(lessons/[\w/]+\.py)\"", APP.read_text())
    return [n for n in names if (ROOT / n).exists()]


def share_script_cache(on: bool) -> None:
    """Let every AppTest run reuse one ScriptCache, as the real server does."""
    shared = _script_cache.ScriptCache()
    factory = (lambda: shared) if on else _script_cache.ScriptCache
    _runner.ScriptCache = factory
    _app_test.ScriptCache = factory


def _changes(at: AppTest, limit: int) -> list[tuple]:
    """Up to ``limit`` (widget kind, key, new value, old value) on the page, not the sidebar."""
    found = []
    for kind in KINDS:
        for w in getattr(at, kind):
            key = getattr(w, "key", None)
            if not key or key.startswith("source.") or getattr(w, "disabled", False):
                continue
            old = w.value
            new = None
            if kind in ("checkbox", "toggle"):
                new = not old
            elif kind == "number_input":
                step = w.step or 1
                if w.max is None or old + step <= w.max:
                    new = old + step
                elif w.min is None or old - step >= w.min:
                    new = old - step
            elif kind in ("selectbox", "radio", "select_slider"):
                opts = list(w.options)
                if len(opts) > 1:
                    new = opts[(opts.index(str(old)) + 1) % len(opts)] if str(old) in opts else None
            elif kind == "slider" and isinstance(old, (int, float)):
                step = w.step or 1
                new = old + step if old + step <= w.max else old - step
            if new is not None:
                found.append((kind, key, new, old))
    return found[:limit]


def measure(page: str, changes: int, repeat: int) -> list[float]:
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    todo = _changes(at, changes)
    times = []
    for rnd in range(repeat + 1):  # the first round warms the caches
        for kind, key, new, old in todo:
            for value in (new, old):
                try:
                    _set_value(at, kind, key, value)
                except (ValueError, TypeError, KeyError) as exc:  # cannot drive it: skip
                    print(f"  skip {kind} {key}: {exc}", file=sys.stderr)
                    break
                start = time.perf_counter()
                at.run()
                elapsed = (time.perf_counter() - start) * 1000
                if at.exception:
                    print(f"  exception after {key}={value!r}: {at.exception[0].value}")
                if rnd:
                    times.append(elapsed)
    return times


def _set_value(at: AppTest, kind: str, key: str, value) -> None:
    # Select boxes and radios are only used when their labels are their values
    # (see _changes), so the label can be set directly.
    getattr(at, kind)(key=key).set_value(value)


def browser_latency(
    chosen: list[str],
    changes: int,
    labels: list[str] | None = None,
    cpu_throttle: float = 1.0,
    fresh: bool = False,
) -> dict[tuple[str, str], float]:
    """Median ms from Enter in a number input to the rerun's end, per (page, input label).

    The inputs timed on each page: those of ``labels`` it has, else its first
    number input and, where the page has one, "Output row" (a step position,
    which reruns only the page's step fragment). ``cpu_throttle`` > 1 slows the
    page's CPU that many times (Chrome's CPU throttling, as in its DevTools): a
    slower student laptop, or this VM on a slow day; the server is not slowed.
    """
    import socket
    import subprocess

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    server = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=dict(os.environ, OPENBLAS_NUM_THREADS="1"),  # as `make run` serves it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    idle = "[data-testid=stApp][data-test-script-state=notRunning]"
    results: dict[tuple[str, str], float] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--disable-gpu"]
            )
            page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
            if cpu_throttle != 1:
                cdp = page.context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu_throttle})
            for _ in range(100):
                try:
                    page.goto(f"http://127.0.0.1:{port}/")
                    break
                except PlaywrightError:  # the server is still starting
                    time.sleep(0.3)
            for name in chosen:
                page.goto(f"http://127.0.0.1:{port}/{Path(name).stem}")
                page.wait_for_selector(idle, timeout=60_000)
                page.wait_for_timeout(1500)
                main = page.locator("[data-testid=stMain]")
                boxes = main.locator("input[type=number]:not([disabled])")
                first = boxes.first.get_attribute("aria-label") if boxes.count() else None
                wanted = labels or [first, "Output row"]
                for label in dict.fromkeys(w for w in wanted if w):
                    box = main.locator(f'input[aria-label="{label}"]:not([disabled])')
                    if box.count() == 0:
                        continue
                    results[(name, label)] = _time_input(page, box.first, changes, idle, fresh)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    return results


_WATCH = """() => {
  window.__states = []; window.__changes = [];
  // The edit starts when the page gets Enter (not when Playwright starts to press it:
  // its checks that the box is visible and stable wait for animation frames).
  window.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') window.__tk = performance.now();
  }, {capture: true});
  const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver((records) => {
    const now = performance.now();
    for (const r of records) {
      if (r.target === app && r.attributeName === 'data-test-script-state')
        window.__states.push([app.getAttribute('data-test-script-state'), now]);
    }
    window.__changes.push(now);
  }).observe(app, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
# When the rerun this edit caused has finished, its time since the page got Enter: the
# app leaving "running" or, for a rerun too quick to ever show "running", the last change
# of the page once it has been quiet for 300 ms. null while it is still going.
_RERUN_END = """() => {
  const s = window.__states, c = window.__changes.filter(t => t > window.__t0);
  const t0 = window.__tk > window.__t0 ? window.__tk : window.__t0;
  const r = s.findIndex(x => x[0] === 'running');
  if (r >= 0) {
    const done = s.slice(r).find(x => x[0] === 'notRunning');
    return done ? done[1] - t0 : null;
  }
  const app = document.querySelector('[data-testid=stApp]');
  if (!c.length || app.getAttribute('data-test-script-state') !== 'notRunning') return null;
  const last = c[c.length - 1];
  return performance.now() - last > 300 ? last - t0 : null;
}"""


def _fresh_values(box, start: int, count: int) -> list[int]:
    """``count`` values of the input other than ``start``, each new while they last:
    start + 1, start + 2, ... up to its max, then start - 1, ... down to its min."""
    high, low = box.get_attribute("max"), box.get_attribute("min")
    high = min(int(float(high)), start + count) if high not in (None, "") else start + count
    low = max(int(float(low)), start - count) if low not in (None, "") else start - count
    values = [*range(start + 1, high + 1), *range(start - 1, low - 1, -1)][:count]
    return (values * (count // max(1, len(values)) + 1))[:count] if values else [start] * count


def time_edits(
    page, box, changes: int, idle: str, *, pause: int = 400, fresh: bool = False
) -> list[float]:
    """Ms per edit over ``changes`` edits of one number input (+1, back, +1, ...).

    ``fresh``: every edit sets a value not used before (:func:`_fresh_values`), so
    nothing the page computes for it is cached yet: what a student pays for a new
    setting. The default alternation measures cached reruns after the warm-up.

    Timed in the page's own clock, from the page getting Enter to the end of the
    rerun that Enter caused (a mutation observer records the app's run state
    and every change of the page), so a rerun that starts late is never missed
    and one too quick to show "running" is still timed. Two untimed edits
    first fill the caches.
    """
    page.evaluate(_WATCH)
    start_value = int(float(box.input_value()))
    values = (
        _fresh_values(box, start_value, changes + 2)
        if fresh
        else [start_value + (1 if k % 2 == 0 else 0) for k in range(changes + 2)]
    )
    times = []
    for k, value in enumerate(values):
        box.fill(str(value))
        page.evaluate(
            "() => { window.__states = []; window.__changes = []; "
            "window.__t0 = performance.now(); }"
        )
        box.press("Enter")
        done = page.wait_for_function(_RERUN_END, timeout=60_000, polling=50).json_value()
        page.wait_for_selector(idle, timeout=60_000)
        if k >= 2:
            times.append(done)
        page.wait_for_timeout(pause)
    return times


def _time_input(page, box, changes: int, idle: str, fresh: bool = False) -> float:
    """Median ms over ``changes`` edits of one number input (:func:`time_edits`)."""
    return statistics.median(time_edits(page, box, changes, idle, fresh=fresh))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=4, help="controls changed per page")
    parser.add_argument("--repeat", type=int, default=2, help="timed rounds (after one warm-up)")
    parser.add_argument("--page", action="append", help="only these pages (lessons/x.py)")
    parser.add_argument("--browser", action="store_true", help="also time a real browser")
    parser.add_argument("--browser-changes", type=int, default=10)
    parser.add_argument(
        "--browser-label", action="append", help="number inputs to change (their labels)"
    )
    parser.add_argument("--browser-only", action="store_true", help="skip the AppTest part")
    parser.add_argument(
        "--cpu-throttle", type=float, default=1.0, help="slow the page's CPU N times (CDP)"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="a new value every edit: nothing cached yet"
    )
    args = parser.parse_args()
    chosen = args.page or pages()
    if args.browser_only:
        args.browser, chosen_apptest = True, []
    else:
        chosen_apptest = chosen
    print(f"{'page':34} {'apptest ms':>11} {'server-like ms':>15}  (median of control changes)")
    for page in chosen_apptest:
        row = []
        for shared in (False, True):
            share_script_cache(shared)
            times = measure(page, args.changes, args.repeat)
            row.append(f"{statistics.median(times):.0f} (n={len(times)})" if times else "n/a")
        print(f"{page:34} {row[0]:>11} {row[1]:>15}")
    if args.browser:
        throttle = f", page CPU slowed {args.cpu_throttle:g}x" if args.cpu_throttle != 1 else ""
        throttle += ", a new value every edit (nothing cached)" if args.fresh else ""
        print(f"\nheadless Chromium{throttle}, Enter in a number input -> rerun finished:")
        timed = browser_latency(
            chosen, args.browser_changes, args.browser_label, args.cpu_throttle, args.fresh
        )
        for (page, label), ms in timed.items():
            print(f"{page:34} {label[:26]:26} {ms:6.0f} ms (median of {args.browser_changes})")


if __name__ == "__main__":
    main()
