"""The convolution lesson: every number on the page is the one vizlib computes."""

import numpy as np
import pytest

import vizlib
from tests.app.conftest import no_exceptions, open_page
from tests.readers import markdown_tables
from ui.state import CURRENT_IMAGE
from vizlib.conv import format_number

PAGE = "lessons/convolution.py"
VERTICAL = vizlib.KERNELS["vertical_edge"].weights
GRID = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)


def _codes(at) -> list[str]:
    return [c.value for c in at.code]


def _step_code(at) -> str:
    """The written sum of the step section (the first code block)."""
    return at.code[0].value


def _errors(at) -> str:
    return " ".join(e.value for e in at.error)


def _edit(at, cells: dict) -> None:
    """Type into the kernel grid: ``{(row, col): "text"}`` (AppTest cannot type into it)."""
    rows: dict = {}
    for (r, c), text in cells.items():
        rows.setdefault(r, {})[str(c + 1)] = text
    key = at.session_state["conv.kernel.editor_key"]
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()


COLS = "columns"  # on the tutorial grid the page writes sums column by column


@pytest.fixture
def page(app):
    return open_page(app, PAGE)


@pytest.fixture
def tutorial(page):
    page.button(key="conv.tutorial").click().run()
    no_exceptions(page)
    return page


def test_default_page_on_the_sample_photo(page):
    no_exceptions(page)
    image = page.session_state[CURRENT_IMAGE]
    x = image.gray
    edge = vizlib.KERNELS["edge_detector"].weights
    step = vizlib.conv_step(x, edge, 0, 0)
    assert _step_code(page) == step.expression()
    rows = vizlib.output_size(x.shape[0], 3)
    assert any(f"= **{rows}**" in m.value for m in page.markdown)
    assert any("torch.nn.functional" in c or "F.conv2d" in c for c in _codes(page))


def test_tutorial_button_reproduces_the_slide(tutorial):
    step = vizlib.conv_step(GRID, VERTICAL, 0, 0)
    assert step.total == 6
    # The slide's nine terms in the slide's order: the window column by column.
    assert _step_code(tutorial) == step.expression(order="columns")
    assert _step_code(tutorial) == (
        "7×1 + 4×1 + 3×1 + 2×0 + 5×0 + 3×0 + 3×(-1) + 3×(-1) + 2×(-1) = 6"
    )
    assert any("column by column as the tutorial writes them" in m.value for m in tutorial.markdown)
    # The full 3×3 map as numbers, equal to conv2d; the input and the kernel too.
    expected = vizlib.conv2d(GRID, VERTICAL)
    (shown,) = markdown_tables(tutorial, "**Feature map values (3×3)**")
    np.testing.assert_allclose(shown, expected)
    (shown,) = markdown_tables(tutorial, "**Input values**")
    np.testing.assert_array_equal(shown, GRID)
    (shown,) = markdown_tables(tutorial, "**Kernel 3×3**")
    np.testing.assert_array_equal(shown, VERTICAL)


def test_editing_a_kernel_cell_changes_the_numbers(tutorial):
    _edit(tutorial, {(0, 0): "2"})
    no_exceptions(tutorial)
    kernel = VERTICAL.copy()
    kernel[0, 0] = 2
    step = vizlib.conv_step(GRID, kernel, 0, 0)
    assert step.total == 13
    assert _step_code(tutorial) == step.expression(order="columns")


def test_invalid_cell_shows_the_cell_and_keeps_the_last_kernel(tutorial):
    _edit(tutorial, {(1, 2): "abc"})
    no_exceptions(tutorial)
    assert "row 2, column 3" in _errors(tutorial)
    assert _step_code(tutorial) == vizlib.conv_step(GRID, VERTICAL, 0, 0).expression(order=COLS)
    _edit(tutorial, {(1, 2): None})  # a blank cell
    assert "row 2, column 3" in _errors(tutorial)
    assert _step_code(tutorial).endswith("= 6")


def test_impossible_settings_explain_instead_of_crashing(tutorial):
    at = tutorial
    at.number_input(key="conv.dilation").set_value(3).run()  # spans 7 > 5
    no_exceptions(at)
    assert "dilated kernel spans 7" in _errors(at)
    at.number_input(key="conv.dilation").set_value(1).run()
    at.radio(key="conv.pad_kind").set_value("same").run()
    at.number_input(key="conv.stride").set_value(2).run()  # "same" needs stride 1
    no_exceptions(at)
    assert "stride 1" in _errors(at)
    at.radio(key="conv.pad_kind").set_value("number").run()
    at.number_input(key="conv.stride").set_value(16).run()  # larger than the image: one window
    no_exceptions(at)
    assert not at.error
    assert any("larger than the image" in w.value for w in at.warning)
    at.number_input(key="conv.pad").set_value(5).run()
    at.selectbox(key="conv.padding_mode").set_value("reflect").run()  # reflect pad 5 > 4
    no_exceptions(at)
    assert "reflect" in _errors(at)


def test_step_position_controls_change_the_written_sum(tutorial):
    at = tutorial
    at.button(key="conv.next").click().run()
    assert _step_code(at) == vizlib.conv_step(GRID, VERTICAL, 0, 1).expression(order=COLS)
    at.number_input(key="conv.row").set_value(2).run()
    at.number_input(key="conv.col").set_value(2).run()
    assert _step_code(at) == vizlib.conv_step(GRID, VERTICAL, 2, 2).expression(order=COLS)
    at.button(key="conv.next").click().run()  # wraps to the first position
    assert _step_code(at).endswith("= 6")
    at.button(key="conv.prev").click().run()
    assert (at.session_state["conv.row"], at.session_state["conv.col"]) == (2, 2)


def test_flip_toggle_gives_minus_six(tutorial):
    at = tutorial
    at.radio(key="conv.operation").set_value("convolution").run()
    no_exceptions(at)
    flipped = vizlib.conv_step(GRID, np.flip(VERTICAL), 0, 0)
    assert flipped.total == -6
    assert _step_code(at) == flipped.expression(order=COLS)
    text = "\n".join(m.value for m in at.markdown)
    assert "- True convolution (kernel flipped): **-6**" in text
    assert "- Cross-correlation (kernel as is): **6**" in text
    (shown,) = markdown_tables(at, "**Kernel (flipped) 3×3**")
    np.testing.assert_array_equal(shown, np.flip(VERTICAL))
    assert any("torch.flip" in c for c in _codes(at))


def test_pytorch_snippet_follows_the_settings(page):
    at = page
    at.number_input(key="conv.stride").set_value(2).run()
    at.number_input(key="conv.pad").set_value(1).run()
    at.number_input(key="conv.dilation").set_value(2).run()
    no_exceptions(at)
    code = next(c for c in _codes(at) if "F.conv2d" in c)
    assert "stride=2, padding=1, dilation=2" in code
    at.radio(key="conv.pad_kind").set_value("same").run()
    at.number_input(key="conv.stride").set_value(1).run()
    at.selectbox(key="conv.padding_mode").set_value("replicate").run()
    code = next(c for c in _codes(at) if "F.conv2d" in c)
    assert 'mode="replicate"' in code and "padding=0" in code


def test_rgb_source_uses_luminance_and_says_so(app):
    app.sidebar.radio(key="source.color").set_value("RGB").run()
    at = open_page(app, PAGE)
    no_exceptions(at)
    assert any("grayscale (luminance)" in i.value for i in at.info)
    x = at.session_state[CURRENT_IMAGE].gray
    edge = vizlib.KERNELS["edge_detector"].weights
    assert _step_code(at) == vizlib.conv_step(x, edge, 0, 0).expression()


def test_a_note_says_when_the_rounded_terms_do_not_add_up(page):
    """On the photo the terms are rounded to 3 decimals: adding them by hand gives another
    total than the exact sum, and the page says both (computed, not typed)."""
    x = page.session_state[CURRENT_IMAGE].gray
    step = vizlib.conv_step(x, vizlib.KERNELS["edge_detector"].weights, 0, 0)
    rounded = [float(format_number(v)) for v in (*step.window.ravel(), *step.weights.ravel())]
    by_hand = float(np.dot(rounded[:9], rounded[9:]))
    assert format_number(by_hand) != format_number(step.total)  # the case this test is about
    text = "\n".join(m.value for m in page.markdown)
    assert (
        f"Adding the rounded terms by hand gives {format_number(by_hand)} instead of "
        f"{format_number(step.total)}." in text
    )
    # The tutorial's integers add up exactly: no note.
    page.button(key="conv.tutorial").click().run()
    assert "Adding the rounded terms" not in "\n".join(m.value for m in page.markdown)


def _picture_row(at) -> list[float]:
    """Weights of the input / kernel / feature-map columns (the row after the 2 control columns)."""
    weights = [round(c.weight, 3) for c in at.columns]
    return weights[2:5] if len(weights) >= 5 and weights[2] == weights[4] else weights[2:4]


def test_the_kernel_column_is_as_wide_as_its_table(page):
    at = page
    normal = _picture_row(at)
    assert len(normal) == 3 and normal[1] >= 0.2  # 3×3 edge detector beside the pictures
    at.sidebar.toggle(key="present.on").set_value(True).run()  # bigger type on a projector
    present = _picture_row(at)
    assert len(present) == 3 and present[1] > normal[1]
    at.selectbox(key="conv.kernel.preset").set_value("gaussian_5").run()  # 5×5 of 0.0xxx
    no_exceptions(at)
    assert len(_picture_row(at)) == 2  # the table gets a row of its own above the pictures
    (shown,) = markdown_tables(at, "**Kernel 5×5**")
    np.testing.assert_allclose(shown, vizlib.KERNELS["gaussian_5"].weights, atol=5e-5)


def test_a_full_rerun_forgets_the_position_the_pointer_asked_for(page):
    """The player's requests rerun only its fragment; a change of the page's own controls
    drops the pointed position, so the new settings do not load a block nobody looks at."""
    page.session_state["conv.player.peek"] = (100, 100)
    page.number_input(key="conv.stride").set_value(2).run()
    no_exceptions(page)
    assert "conv.player.peek" not in page.session_state
