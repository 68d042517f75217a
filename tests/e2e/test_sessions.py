"""Two students at once on one server: each sees only their own picture and kernel.

Two browser contexts (two Streamlit sessions, run by the server in parallel
threads) upload different pictures and type different kernels; every action
is sent to both before waiting for either, so their reruns overlap. Each page
must then write the sum vizlib computes from *that* student's inputs. (Four
sessions taking turns are checked in AppTest, tests/app/test_concurrency.py;
thirty at once are loaded by benchmarks/bench_load.py.)
"""

from __future__ import annotations

import pytest

import vizlib
from tests import badfiles as bf
from tests.e2e.conftest import (
    choose_source,
    code_blocks,
    exception_count,
    sidebar_captions,
    upload,
    wait_until,
)

pytestmark = pytest.mark.e2e

STUDENTS = {  # (rows, cols, seed), kernel text
    "ada": ((30, 40, 1), "1 2 1; 0 0 0; -1 -2 -1"),
    "bo": ((36, 28, 2), "0 1 0; 1 -4 1; 0 1 0"),
}


def _sum(page) -> str:
    return next((t.strip() for t in code_blocks(page) if "×" in t and " = " in t), "")


def test_parallel_sessions_see_only_their_own_results(browser, server_url, tmp_path):
    contexts = {n: browser.new_context(viewport={"width": 1440, "height": 1000}) for n in STUDENTS}
    pages = {n: c.new_page() for n, c in contexts.items()}
    try:
        inputs = {}
        for name, ((rows, cols, seed), text) in STUDENTS.items():
            data = bf.png(bf.gradient(rows, cols, seed=seed))
            (tmp_path / f"{name}.png").write_bytes(data)
            x = vizlib.load_image(data, mode="gray").pixels  # (rows, cols)
            inputs[name] = (x, vizlib.parse_kernel(text), f"Your upload: {rows}×{cols}")
        for page in pages.values():  # both students open the page at once
            page.goto(f"{server_url}/convolution")
        for page in pages.values():
            wait_until(page, lambda p=page: p.get_by_role("heading", level=1).count(), what="page")
            choose_source(page, "Upload")

        for name, page in pages.items():  # both upload at once
            upload(page, tmp_path / f"{name}.png")
        for name, page in pages.items():
            wait_until(page, lambda p=page, n=name: inputs[n][2] in sidebar_captions(p), what=name)

        for name, page in pages.items():  # both type a kernel into the paste box
            page.get_by_text("Paste a kernel as text").click()
            box = page.get_by_label("Rows separated by ; or new lines")
            box.fill(STUDENTS[name][1])
            box.press("Control+Enter")  # Streamlit's "apply" for a text area
        for name, page in pages.items():
            box = page.get_by_label("Rows separated by ; or new lines")
            wait_until(page, lambda b=box, t=STUDENTS[name][1]: b.input_value() == t, what=name)
        for page in pages.values():  # and press "Use this text" at once
            page.get_by_role("button", name="Use this text").click()
        for name, page in pages.items():
            x, kernel, _ = inputs[name]
            expected = vizlib.conv_step(x, kernel, 0, 0).expression()
            wait_until(page, lambda p=page, e=expected: _sum(p) == e, what=f"{name}'s sum")

        assert len({_sum(page) for page in pages.values()}) == len(pages)  # all different
        for name, page in pages.items():
            x, kernel, caption = inputs[name]
            assert _sum(page) == vizlib.conv_step(x, kernel, 0, 0).expression(), name
            assert caption in sidebar_captions(page), name
            assert exception_count(page) == 0, name
    finally:
        for context in contexts.values():
            context.close()
