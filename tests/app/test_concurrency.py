"""Several students at once: sessions share caches, never results.

Four AppTest sessions, each with its own uploaded picture and its own kernel
(two share the picture, two share the kernel, so the content-keyed caches are
hit from several sessions), take turns rerunning: every session must see
exactly what vizlib computes from *its* inputs.

The sessions take turns instead of running in threads: AppTest swaps a
process-wide mock ``Runtime`` in and out around every run (and compiles the
script with a fresh cache each time, which CPython 3.11 does not survive from
several threads at once), so truly parallel AppTest runs break the harness,
not the app. Truly parallel sessions on the real server are tested in the
browser (``tests/e2e/test_sessions.py``) and loaded by
``benchmarks/bench_load.py``.
"""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

import vizlib
from tests import badfiles as bf
from tests.app.conftest import APP, TIMEOUT
from ui.state import CURRENT_IMAGE
from vizlib.conv import format_number

ROUNDS = 4
PICTURES = {  # session -> (rows, cols, seed); sessions 0 and 1 upload the same picture
    0: (30, 40, 1),
    1: (30, 40, 1),
    2: (36, 28, 2),
    3: (24, 50, 3),
}
KERNELS = {  # sessions 1 and 2 paste the same kernel
    0: "1 2 1; 0 0 0; -1 -2 -1",
    1: "0 1 0; 1 -4 1; 0 1 0",
    2: "0 1 0; 1 -4 1; 0 1 0",
    3: "1/9 1/9; 1/9 1/9",
}


def _check(at: AppTest, x: np.ndarray, kernel: np.ndarray) -> None:
    assert not at.exception, [e.value for e in at.exception]
    np.testing.assert_array_equal(at.session_state[CURRENT_IMAGE].pixels, x)
    np.testing.assert_array_equal(at.session_state["conv.kernel.valid"], kernel)
    row, col = int(at.session_state["conv.row"]), int(at.session_state["conv.col"])
    assert at.code[0].value == vizlib.conv_step(x, kernel, row, col).expression()
    feature_map = vizlib.conv2d(x, kernel)
    caption = next(c for im in at.image for c in im.captions if c.startswith("Feature map"))
    assert f"{feature_map.shape[0]}×{feature_map.shape[1]}" in caption, caption
    assert f"min {format_number(feature_map.min())}" in caption, caption
    assert f"max {format_number(feature_map.max())}" in caption, caption


def test_four_sessions_see_only_their_own_image_and_kernel():
    sessions, inputs = {}, {}
    for i, (rows, cols, seed) in PICTURES.items():
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        at.sidebar.selectbox(key="source.kind").set_value("Upload").run()
        sessions[i] = at
        picture = bf.png(bf.gradient(rows, cols, seed=seed))
        x = vizlib.load_image(picture, mode="gray").pixels  # (rows, cols): this student's
        inputs[i] = (picture, x, vizlib.parse_kernel(KERNELS[i]))
    for i, at in sessions.items():  # each step in turn, for every session
        at.sidebar.file_uploader(key="source.upload").set_value(
            (f"student{i}.png", inputs[i][0], "image/png")
        ).run()
    for at in sessions.values():
        at.switch_page("lessons/convolution.py")
        at.session_state["conv.kernel.paste_open"] = True  # open the paste panel
        at.run()
    for i, at in sessions.items():
        at.text_area(key="conv.kernel.paste").set_value(KERNELS[i])
        at.button(key="conv.kernel.paste_go").click().run()
    for i, at in sessions.items():
        _check(at, *inputs[i][1:])
    for _ in range(ROUNDS):
        for i, at in sessions.items():
            at.button(key="conv.next").click().run()
            _check(at, *inputs[i][1:])
    assert {int(at.session_state["conv.col"]) for at in sessions.values()} == {ROUNDS}


def test_no_pyplot_anywhere_in_the_app():
    """pyplot keeps one global current figure: shared by every session in the process."""
    from tests.conftest import ROOT

    for folder in ("ui", "lessons"):
        for path in (ROOT / folder).glob("*.py"):
            text = path.read_text()
            assert "pyplot" not in text and "plt." not in text, path


def test_every_cache_in_the_app_is_bounded():
    """Each cache decorator in ui/ and lessons/ names max_entries.

    ``st.cache_data``/``st.cache_resource``, and ``cached.cache_data`` (the same
    with every argument passed by name).
    """
    import re

    from tests.conftest import ROOT

    pattern = re.compile(r"@(st\.|cached\.)?cache_(data|resource)(\((?P<args>[^)]*)\))?")
    found = 0
    for folder in ("ui", "lessons"):
        for path in (ROOT / folder).glob("*.py"):
            for match in pattern.finditer(path.read_text()):
                found += 1
                args = match.group("args") or ""
                assert "max_entries" in args or "_LIMITS" in args, f"{path.name}: {match[0]}"
    assert found >= 5
