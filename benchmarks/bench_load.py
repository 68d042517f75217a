"""A classroom on one server: N students at once, M interactions each.

Starts its own ``streamlit run app.py`` on a free loopback port (never another
address), opens N sessions on the convolution lesson, and has each press
"Next ▶" M times (the step-by-step view moves one window: ``conv_step``, the
player's data and the written sum are recomputed, in the page's step fragment). Every
session waits for its own result before its next press, as a student does; all
sessions press at the same time. Reports the median and 95th-percentile
interaction latency and the server's memory (RSS) before, at peak and after.

Two kinds of session:

- ``--mode ws`` (default): simulated students speaking Streamlit's own
  websocket protocol (the BackMsg/ForwardMsg protobufs its browser client
  sends): the server does all of its real work, including serving each new
  picture over HTTP, without 2 × N Chromium renderer processes competing with
  it for the same CPU. Latency = from sending the button press to the
  server's "script finished" message plus fetching the new pictures.
- ``--mode browser``: N headless Chromium contexts (/usr/bin/chromium), one
  browser. Latency = from the click to the new sum on screen. On a 2-core
  machine the browsers' rendering competes with the server, so this measures
  the machine more than the server beyond N ≈ 10.

Each check that the press did something: every interaction must change the
written sum (the first code block of the step section).

Bounded in time (``--max-seconds``, default 300): sessions stop pressing when
it runs out and the partial figures are reported. ``--blas-threads`` sets
``OPENBLAS_NUM_THREADS`` for the server (default 1, as the README recommends;
``0`` leaves it unset, to compare).

Usage::

    python benchmarks/bench_load.py                      # N=10, M=10, websocket sessions
    python benchmarks/bench_load.py --sessions 30
    python benchmarks/bench_load.py --sessions 10 --mode browser
    python benchmarks/bench_load.py --sessions 30 --blas-threads 0
    python benchmarks/bench_load.py --sessions 30 --servers 2   # two replicas, sticky sessions
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = "convolution"
BUTTON = "Next ▶"


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, blas_threads: int) -> subprocess.Popen:
    env = dict(os.environ)
    if blas_threads > 0:
        env["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    else:
        env.pop("OPENBLAS_NUM_THREADS", None)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("streamlit did not become healthy in 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class MemorySampler(threading.Thread):
    """Samples the server's RSS every 0.2 s; keeps the peak."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            self._done.wait(0.2)

    def stop(self) -> float:
        self._done.set()
        self.join(timeout=2)
        return self.peak


# --------------------------------------------------------------------------- websocket sessions


class WsStudent:
    """One simulated browser tab: Streamlit's websocket protocol, pictures over HTTP."""

    def __init__(self, port: int):
        self.port = port
        self.page_hash = ""
        self.button_id: str | None = None
        self.sum_text = ""
        self.media: set[str] = set()

    async def _run_once(self, ws, widgets) -> float:
        """Send one rerun request; wait for the script to finish; fetch new pictures."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        msg = BackMsg()
        state = ClientState(
            page_script_hash=self.page_hash, page_name="" if self.page_hash else PAGE
        )
        state.widget_states.CopyFrom(WidgetStates(widgets=widgets))
        msg.rerun_script.CopyFrom(state)
        start = time.perf_counter()
        await ws.send(msg.SerializeToString())
        new_media, codes = [], []
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "navigation":
                for p in fwd.navigation.app_pages:
                    if p.url_pathname == PAGE:
                        self.page_hash = p.page_script_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                which = element.WhichOneof("type")
                if which == "button" and element.button.label == BUTTON:
                    self.button_id = element.button.id
                elif which == "code":
                    codes.append(element.code.code_text)
                elif which == "imgs":
                    new_media += [i.url for i in element.imgs.imgs if i.url not in self.media]
            elif kind == "script_finished":
                break
        await asyncio.gather(*(asyncio.to_thread(self._fetch, url) for url in new_media))
        elapsed = time.perf_counter() - start
        step = next((c for c in codes if "×" in c and " = " in c), "")
        changed = step != self.sum_text
        self.sum_text = step
        return elapsed if changed else -elapsed

    def _fetch(self, url: str) -> None:
        full = url if url.startswith("http") else f"http://127.0.0.1:{self.port}/{url.lstrip('/')}"
        with urllib.request.urlopen(full, timeout=60) as r:
            r.read()
        self.media.add(url)

    async def session(self, presses: int, deadline: float, latencies: list, errors: list):
        import websockets
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        uri = f"ws://127.0.0.1:{self.port}/_stcore/stream"
        async with websockets.connect(uri, subprotocols=["streamlit"], max_size=None) as ws:
            await self._run_once(ws, [])  # open the page
            if not self.page_hash:
                await self._run_once(ws, [])  # now on the lesson's own hash
            if self.button_id is None:
                errors.append(f"no {BUTTON!r} button on the page")
                return
            for _ in range(presses):
                if time.monotonic() > deadline:
                    return
                press = WidgetState(id=self.button_id, trigger_value=True)
                elapsed = await self._run_once(ws, [press])
                if elapsed < 0:
                    errors.append("a press did not change the written sum")
                latencies.append(abs(elapsed))


async def run_ws(ports: list[int], n: int, m: int, deadline: float):
    latencies: list[float] = []
    errors: list[str] = []
    students = [WsStudent(ports[i % len(ports)]) for i in range(n)]  # sticky: one server each
    await asyncio.gather(*(s.session(m, deadline, latencies, errors) for s in students))
    return latencies, errors


# --------------------------------------------------------------------------- browser sessions

_STEP_SUM = """() => {
    const codes = [...document.querySelectorAll('[data-testid=stMain] [data-testid=stCode]')];
    const text = codes.map(c => c.innerText).find(t => t.includes('×') && t.includes(' = '));
    return text ?? '';
}"""
_DONE = """(before) => {
    const app = document.querySelector('[data-testid=stApp]');
    const codes = [...document.querySelectorAll('[data-testid=stMain] [data-testid=stCode]')];
    const text = codes.map(c => c.innerText).find(t => t.includes('×') && t.includes(' = '));
    return app && app.dataset.testScriptState === 'notRunning' && text && text !== before;
}"""


async def _browser_student(browser, url, m, deadline, latencies, errors):
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        page = await context.new_page()
        await page.goto(f"{url}/{PAGE}", timeout=120_000)
        await page.wait_for_function(_DONE, arg="", timeout=120_000)
        for _ in range(m):
            if time.monotonic() > deadline:
                return
            before = await page.evaluate(_STEP_SUM)
            start = time.perf_counter()
            await page.get_by_role("button", name=BUTTON).click()
            try:
                await page.wait_for_function(_DONE, arg=before, timeout=120_000, polling=20)
            except Exception as exc:  # a timeout: count it, go on
                errors.append(type(exc).__name__)
                continue
            latencies.append(time.perf_counter() - start)
    finally:
        await context.close()


async def run_browser(ports: list[int], n: int, m: int, deadline: float):
    from playwright.async_api import async_playwright

    latencies: list[float] = []
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--disable-gpu", "--no-first-run"]
        )
        urls = [f"http://127.0.0.1:{ports[i % len(ports)]}" for i in range(n)]
        await asyncio.gather(
            *(_browser_student(browser, u, m, deadline, latencies, errors) for u in urls)
        )
        await browser.close()
    return latencies, errors


# --------------------------------------------------------------------------- main


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", "-n", type=int, default=10)
    parser.add_argument("--interactions", "-m", type=int, default=10)
    parser.add_argument("--mode", choices=("ws", "browser"), default="ws")
    parser.add_argument("--blas-threads", type=int, default=1, help="0 = leave unset")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument(
        "--servers", type=int, default=1, help="replicas; sessions stick to one (round robin)"
    )
    args = parser.parse_args()

    ports = [_free_port() for _ in range(args.servers)]
    servers = []
    try:
        servers = [start_server(port, args.blas_threads) for port in ports]
        # warm up: one session per server imports scipy/matplotlib, fills the sample's caches
        asyncio.run(run_ws(ports, len(ports), 1, time.monotonic() + 120))
        time.sleep(1)
        before = sum(rss_mb(s.pid) for s in servers)
        samplers = [MemorySampler(s.pid) for s in servers]
        for sampler in samplers:
            sampler.start()
        deadline = time.monotonic() + args.max_seconds
        started = time.perf_counter()
        run = run_browser if args.mode == "browser" else run_ws
        latencies, errors = asyncio.run(run(ports, args.sessions, args.interactions, deadline))
        wall = time.perf_counter() - started
        time.sleep(3)  # sessions closed: what stays
        after = sum(rss_mb(s.pid) for s in servers)
        peak = sum(sampler.stop() for sampler in samplers)  # sum of peaks (an upper bound)
    finally:
        for server in servers:
            stop_server(server)

    blas = args.blas_threads if args.blas_threads > 0 else "unset"
    print(
        f"mode={args.mode} N={args.sessions} M={args.interactions} servers={args.servers} "
        f"OPENBLAS_NUM_THREADS={blas} cores={os.cpu_count()}"
    )
    done = len(latencies)
    print(f"interactions done: {done} of {args.sessions * args.interactions} in {wall:.1f} s")
    if latencies:
        ms = [1000 * v for v in latencies]
        print(
            f"latency ms: median {statistics.median(ms):.0f}, p95 {percentile(ms, 95):.0f}, "
            f"max {max(ms):.0f}; throughput {done / wall:.1f} interactions/s"
        )
    print(
        f"RSS MB, all servers: before {before:.0f}, peak {peak:.0f} (+{peak - before:.0f}), "
        f"after {after:.0f} (+{after - before:.0f})"
    )
    if errors:
        print(f"problems: {len(errors)} ({sorted(set(errors))[:3]})")


if __name__ == "__main__":
    main()
