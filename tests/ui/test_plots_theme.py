"""Pictures and grids that must read on a light and a dark page; the stacking maps' boost."""

import io

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from ui import plots_volumes, plots_why
from vizlib.conv import format_number as fmt


def test_window_picture_margin_is_transparent_not_white():
    st.cache_data.clear()
    pixels = np.linspace(0, 1, 36, dtype=np.float32).reshape(6, 6)
    png = plots_volumes.locate_png.__wrapped__("k", pixels, (2, 4), (1, 3))
    with Image.open(io.BytesIO(png)) as im:
        rgba = np.asarray(im.convert("RGBA"))
    assert rgba[0, 0, 3] == 0 and rgba[-1, -1, 3] == 0  # the frame: the page shows through
    middle = rgba[rgba.shape[0] // 2, rgba.shape[1] // 2]
    assert middle[3] == 255  # the picture itself is opaque
    assert (rgba[..., :3][rgba[..., 3] == 255] == (255, 0, 255)).all(axis=-1).any()  # outline


def test_vector_strip_plain_cells_take_the_page_colours():
    before = np.array([0.5, 0.25, 1.0])
    after = np.array([0.5, 0.0, 1.0])
    html = plots_why.vector_strip_html(before, after)
    assert "#ffffff" not in html  # no white cells that glare on a dark page
    assert html.count("background:transparent;color:inherit") == 5  # 3 in v, 2 unchanged in v′
    assert html.count("background:#fde0dd;color:#000") == 1  # the changed entry


SCRIPT = """
import numpy as np
import streamlit as st
from ui import plots_stacking
from ui.cached import digest

maps = np.load(st.session_state["t.path"])
boost = st.session_state["t.boost"]
plots_stacking.show_stage_maps(st, digest(maps), maps, "Stage 1", shown=2, boost=boost)
"""


@pytest.mark.parametrize("boost", [False, True])
def test_stage_maps_share_a_boosted_limit_and_say_so(tmp_path, boost):
    st.cache_data.clear()
    rng = np.random.default_rng(4)
    maps = rng.laplace(0, 0.3, size=(2, 30, 40))  # (C, H, W)
    maps[0, 3, :10] = 9.0  # a few strong values in one channel
    path = tmp_path / "maps.npy"
    np.save(path, maps)
    at = AppTest.from_string(SCRIPT, default_timeout=30)
    at.session_state["t.path"] = str(path)
    at.session_state["t.boost"] = boost
    at.run()
    assert not at.exception
    text = next(c.value for c in at.caption if c.value.startswith("Colour scale"))
    top = np.max(np.abs(maps))
    if boost:
        p99 = np.percentile(np.abs(maps), 99)  # over the whole stage: channels still compare
        assert f"≤ {fmt(-p99)} (blue) ← 0 (white) → ≥ {fmt(p99)} (red)" in text
        assert f"Colours saturate beyond ±{fmt(p99)} (99th percentile" in text
        assert f"the max |value| is {fmt(top)}" in text
    else:
        assert f"{fmt(-top)} (blue) ← 0 (white) → {fmt(top)} (red)." in text
        assert "saturate" not in text
