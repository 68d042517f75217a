"""What one element of each kind costs the browser on every rerun.

Streamlit's frontend re-renders every element of the page several times per
rerun (when the script starts, per batch of deltas, when it ends), whether the
element changed or not. So the browser's share of a rerun grows with the number
and kind of elements on the page, and on a 2-core machine it is most of the
wait. This benchmark serves a synthetic page: one number input ("Tick") and
``--n`` elements of one kind; it changes "Tick" in headless Chromium
(/usr/bin/chromium) and prints, per kind, the median wall time (Enter to the end
of the rerun, as ``bench_app_rerun``) and the renderer main thread's CPU time
(DevTools ``TaskDuration``), then the cost of ONE element of that kind: (kind −
baseline) / n. Never asserts on time. Usage::

    python benchmarks/bench_element_costs.py [--n 30] [--changes 8] [--kind markdown ...]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_app_rerun import _RERUN_END, _WATCH  # noqa: E402
from benchmarks.probe_browser import IDLE, _free_port, open_app  # noqa: E402

# One element (or one group, for layouts) per kind; ``i`` numbers them.
PAGE = """
import io
import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

kind = st.query_params.get("kind", "baseline")
n = int(st.query_params.get("n", "0"))
tick = st.number_input("Tick", 0, 100, key="tick")
table = pd.DataFrame(np.random.default_rng(1).normal(size=(8, 3)), columns=["a", "b", "c"])
buf = io.BytesIO()
pixels = (np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)
Image.fromarray(pixels).save(buf, "PNG")
png = buf.getvalue()
if kind == "markdown_merged" and n:
    st.markdown("\\n\\n".join(f"Paragraph {i} with **bold** and `code`." for i in range(n)))
for i in range(n if kind != "markdown_merged" else 0):
    if kind == "markdown":
        st.markdown(f"Paragraph {i} with **bold** and `code`.")
    elif kind == "markdown_heading":
        st.markdown(f"## Heading {i}")
    elif kind == "header":
        st.header(f"Heading {i}")
    elif kind == "caption":
        st.caption(f"Caption {i}")
    elif kind == "table":
        st.table(np.arange(9).reshape(3, 3) + i)
    elif kind == "markdown_table":
        rows = "\\n".join(f"| r{r} | {r} | {i} | 3 |" for r in range(3))
        st.markdown("| | c0 | c1 | c2 |\\n|---|---:|---:|---:|\\n" + rows)
    elif kind == "columns3":
        for column in st.columns(3):
            column.markdown(f"cell {i}")
    elif kind == "horizontal3":
        with st.container(horizontal=True):
            for _ in range(3):
                st.markdown(f"cell {i}")
    elif kind == "container":
        with st.container():
            st.markdown(f"in a container {i}")
    elif kind == "expander":
        with st.expander(f"Expander {i}"):
            st.markdown("inside")
    elif kind == "image":
        st.image(png, caption=f"picture {i}", output_format="PNG")
    elif kind == "image_changing":
        shifted = np.roll(pixels, tick + i, axis=1)
        buf = io.BytesIO()
        Image.fromarray(shifted).save(buf, "PNG")
        st.image(buf.getvalue(), caption=f"picture {i}", output_format="PNG")
    elif kind == "image_list3":
        st.image([png] * 3, caption=[f"picture {i}"] * 3, output_format="PNG")
    elif kind == "metric":
        st.metric("Metric", i)
    elif kind == "number_input":
        st.number_input(f"Number {i}", 0, 10)
    elif kind == "button":
        st.button(f"Button {i}")
    elif kind == "selectbox":
        st.selectbox(f"Select {i}", ["a", "b", "c"])
    elif kind == "code":
        st.code(f"y = F.conv2d(x, w, stride={i})", language="python")
    elif kind == "latex":
        st.latex(rf"7 \\times 1 + 4 \\times 1 = {i}")
    elif kind == "data_editor":
        st.data_editor(pd.DataFrame(np.arange(9.0).reshape(3, 3)), key=f"editor{i}")
    elif kind == "html":
        st.html(f"<p><b>html</b> {i}</p>")
    elif kind == "markdown_math":
        st.markdown(f"Inline math $x_{{{i}}}^2 + \\sqrt{{y}}$ in a paragraph.")
    elif kind == "dataframe":
        st.dataframe(table + i, height=180)
    elif kind == "dataframe_changing":
        st.dataframe(table + i + tick, height=180)
    elif kind == "styled_dataframe":
        st.dataframe((table + i).style.format("{:.3f}").highlight_max(), height=180)
    elif kind == "html_table":
        st.html((table + i).to_html(float_format="{:.3f}".format))
    elif kind == "html_table_changing":
        st.html((table + i + tick).to_html(float_format="{:.3f}".format))
    elif kind == "vega":
        st.vega_lite_chart(table + i, {"mark": "line", "encoding": {
            "x": {"field": "a", "type": "quantitative"},
            "y": {"field": "b", "type": "quantitative"}}}, height=160)
    elif kind == "vega_changing":
        st.vega_lite_chart(table + i + tick, {"mark": "line", "encoding": {
            "x": {"field": "a", "type": "quantitative"},
            "y": {"field": "b", "type": "quantitative"}}}, height=160)
"""
KINDS = (
    "markdown", "markdown_merged", "markdown_heading", "header", "caption", "table",
    "markdown_table", "columns3", "horizontal3", "container", "expander", "image",
    "image_changing",
    "image_list3", "metric", "number_input", "button", "selectbox", "code", "latex",
    "data_editor", "html", "markdown_math", "dataframe", "dataframe_changing",
    "styled_dataframe", "html_table", "html_table_changing", "vega", "vega_changing",
)  # fmt: skip


def measure(page, changes: int) -> tuple[float, float]:
    """Median wall and renderer-CPU ms over ``changes`` edits of "Tick"."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def cpu() -> float:
        metrics = cdp.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "TaskDuration") * 1000

    page.evaluate(_WATCH)
    box = page.locator('input[aria-label="Tick"]').first
    walls, cpus = [], []
    for k in range(changes + 2):
        box.fill(str((k + 1) % 2))  # 1, 0, 1, ...: every edit changes the value
        before = cpu()
        page.evaluate(
            "() => { window.__states = []; window.__changes = []; "
            "window.__t0 = performance.now(); }"
        )
        box.press("Enter")
        wall = page.wait_for_function(_RERUN_END, timeout=60_000, polling=50).json_value()
        page.wait_for_selector(IDLE, timeout=60_000)
        page.wait_for_timeout(500)
        if k >= 2:  # the first two warm up
            walls.append(wall)
            cpus.append(cpu() - before)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="elements of each kind")
    parser.add_argument("--changes", type=int, default=8)
    parser.add_argument("--kind", action="append", choices=KINDS)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = tempfile.mkdtemp(prefix="element-costs-")
    script = Path(folder) / "page.py"
    script.write_text(PAGE)
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless=true"]
    cmd += ["--server.address=127.0.0.1", f"--server.port={port}"]
    cmd += ["--browser.gatherUsageStats=false", "--server.fileWatcherType=none"]
    server = subprocess.Popen(
        cmd,
        env=dict(os.environ, OPENBLAS_NUM_THREADS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    print(f"{'kind':18} {'wall ms':>8} {'cpu ms':>7} {'cpu ms per element':>19}  (n={args.n})")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--disable-gpu"]
            )
            base = None
            for kind in ("baseline", *(args.kind or KINDS)):
                n = 0 if kind == "baseline" else args.n
                context = browser.new_context(viewport={"width": 1440, "height": 1000})
                page = context.new_page()
                open_app(page, f"http://127.0.0.1:{port}/?kind={kind}&n={n}")
                wall, cpu = measure(page, args.changes)
                context.close()
                if base is None:
                    base = cpu
                    print(f"{kind:18} {wall:8.0f} {cpu:7.0f}", flush=True)
                else:
                    each = (cpu - base) / args.n
                    print(f"{kind:18} {wall:8.0f} {cpu:7.0f} {each:19.1f}", flush=True)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
