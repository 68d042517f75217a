"""The kernel editor on its own: presets, grid edits, resize, paste, normalise, reset."""

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import vizlib

SCRIPT = """
import numpy as np
import streamlit as st
from ui.kernel_editor import select_kernel

kernel = select_kernel("t.k", default="vertical_edge", container=st.sidebar)
st.code(repr(kernel.tolist()))
"""


@pytest.fixture
def at():
    st.cache_data.clear()
    test = AppTest.from_string(SCRIPT, default_timeout=30)
    test.run()
    assert not test.exception
    return test


def _kernel(at) -> np.ndarray:
    return np.array(eval(at.code[0].value))  # the script prints repr(list)


def _edit(at, rows: dict) -> None:
    key = at.session_state["t.k.editor_key"]
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()


def test_default_preset_and_description(at):
    np.testing.assert_array_equal(_kernel(at), vizlib.KERNELS["vertical_edge"].weights)
    assert any(vizlib.KERNELS["vertical_edge"].description in c.value for c in at.sidebar.caption)


def test_preset_change_loads_its_weights(at):
    at.sidebar.selectbox(key="t.k.preset").set_value("gaussian_5").run()
    np.testing.assert_allclose(_kernel(at), vizlib.KERNELS["gaussian_5"].weights)
    assert at.sidebar.number_input(key="t.k.rows").value == 5


def test_cells_take_fractions_and_bad_cells_keep_the_last_kernel(at):
    _edit(at, {0: {"1": "1/4"}})
    assert _kernel(at)[0, 0] == 0.25
    _edit(at, {0: {"1": "1/4"}, 2: {"2": "inf"}})
    assert "row 3, column 2" in at.sidebar.error[0].value
    assert _kernel(at)[0, 0] == 0.25  # the last valid kernel


def test_resize_keeps_the_centre(at):
    at.sidebar.number_input(key="t.k.cols").set_value(5).run()
    k = _kernel(at)
    assert k.shape == (3, 5)
    np.testing.assert_array_equal(k[:, 1:4], vizlib.KERNELS["vertical_edge"].weights)
    assert (k[:, [0, 4]] == 0).all()
    at.sidebar.number_input(key="t.k.rows").set_value(1).run()
    np.testing.assert_array_equal(_kernel(at), [[0, 1, 0, -1, 0]])


def test_paste_box_is_drawn_only_while_its_panel_is_open(at):
    assert not at.sidebar.text_area  # closed: one element, no box
    at.session_state["t.k.paste_open"] = True  # a student opens the panel
    at.run()
    assert at.sidebar.text_area(key="t.k.paste").label.startswith("Rows separated by ;")
    assert at.sidebar.button(key="t.k.paste_go").label == "Use this text"


def test_default_caption_names_the_preset_and_what_is_in_use(at):
    caption = next(c.value for c in at.sidebar.caption if "In use:" in c.value)
    preset = vizlib.KERNELS["vertical_edge"]
    assert caption.startswith(preset.description + "\n\nIn use: 3×3, weights sum to 0.")
    _edit(at, {0: {"1": "2"}})
    caption = next(c.value for c in at.sidebar.caption if "In use:" in c.value)
    assert f"In use: 3×3, weights sum to 1 (edited from “{preset.name}”)." in caption


def test_paste_text(at):
    at.session_state["t.k.paste_open"] = True
    at.run()
    at.sidebar.text_area(key="t.k.paste").set_value("1 2; 3 4").run()
    at.sidebar.button(key="t.k.paste_go").click().run()
    np.testing.assert_array_equal(_kernel(at), [[1, 2], [3, 4]])
    at.sidebar.text_area(key="t.k.paste").set_value("1 2; 3").run()
    at.sidebar.button(key="t.k.paste_go").click().run()
    assert "row 2 has 1 number" in at.sidebar.error[0].value
    np.testing.assert_array_equal(_kernel(at), [[1, 2], [3, 4]])


def test_normalise_and_reset(at):
    at.sidebar.button(key="t.k.normalise").click().run()  # sum 0: explained, unchanged
    assert "add up to 0" in at.sidebar.warning[0].value
    np.testing.assert_array_equal(_kernel(at), vizlib.KERNELS["vertical_edge"].weights)
    at.sidebar.selectbox(key="t.k.preset").set_value("gaussian_3").run()
    _edit(at, {1: {"2": "0.5"}})  # centre 1/4 -> 1/2: the sum becomes 5/4
    at.sidebar.button(key="t.k.normalise").click().run()
    k = _kernel(at)
    assert k.sum() == pytest.approx(1.0)
    assert k[1, 1] == pytest.approx(0.5 / 1.25)
    at.sidebar.button(key="t.k.reset").click().run()
    np.testing.assert_allclose(_kernel(at), vizlib.KERNELS["gaussian_3"].weights)


def test_normalising_a_sum_near_zero_would_exceed_the_weight_limit_and_is_refused(at):
    """1, −1, 1e-9 sums to 1e-9: ÷ sum gives ±1e9, which the grid itself refuses."""
    at.sidebar.button(key="t.k.reset").click().run()
    _edit(
        at,
        {0: {"1": "1", "2": "-1", "3": "1e-9"}, 1: {"1": "0", "3": "0"}, 2: {"1": "0", "3": "0"}},
    )
    before = _kernel(at)
    assert before.sum() == pytest.approx(1e-9)
    at.sidebar.button(key="t.k.normalise").click().run()
    assert not at.exception and not at.sidebar.error
    assert "beyond the ±1,000,000" in at.sidebar.warning[0].value
    np.testing.assert_array_equal(_kernel(at), before)  # the kernel in use is unchanged
    assert np.abs(at.session_state["t.k.valid"]).max() <= vizlib.kernels.MAX_WEIGHT


def test_presentation_mode_repeats_the_kernel_as_a_large_grid(at):
    """The data editor's canvas keeps its small font; a projector gets an HTML grid too."""
    assert not [m for m in at.sidebar.markdown if "grid-template-columns" in m.value]
    at.session_state["present.on"] = True
    at.sidebar.selectbox(key="t.k.preset").set_value("gaussian_5").run()
    (grid,) = [m.value for m in at.sidebar.markdown if "grid-template-columns" in m.value]
    assert "var(--grid-font" in grid  # sized by presentation mode's style
    assert "repeat(5," in grid and grid.count("aspect-ratio:1") == 25
    weights = vizlib.KERNELS["gaussian_5"].weights
    assert f">{weights[0, 0]:.3f}<" in grid  # 1/256 as 0.004, not 0.00
