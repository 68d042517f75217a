"""AppTest: the "Volumes and filters" lesson (filter depth, several filters, one step per channel).

The numbers on the page are recomputed here with vizlib from the same inputs:
the weight tensor the page builds from its default presets, the step's
multi-channel expression, the shapes and the parameter count, and vizlib's
own message for a filter of the wrong depth.
"""

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import vizlib
from tests.app.conftest import no_exceptions, open_page
from tests.readers import image_captions, scale_captions
from vizlib.conv import format_number

PAGE = "lessons/volumes.py"
DEFAULTS = ("vertical_edge", "horizontal_edge", "edge_detector", "sobel_x", "sobel_y")


def metric(at: AppTest, label_start: str) -> str:
    """A value of section 3's table ("Input (C, H, W)", ..., "Parameters"), as written."""
    text = next(m.value for m in at.markdown if m.value.startswith("## 3 · Shapes"))
    rows = [line.strip("| ").split(" | ") for line in text.splitlines() if line.startswith("|")]
    header, values = rows[0], rows[2]  # rows[1] is the alignment rule
    assert len(rows) == 3 and len(header) == len(values) == 4, rows
    found = [v for h, v in zip(header, values, strict=True) if h.startswith(label_start)]
    assert found, header
    return found[0]


def default_weight(f: int, c: int) -> np.ndarray:
    """The page's default filters: preset f on every one of the c channels."""
    return np.stack(
        [np.stack([vizlib.KERNELS[DEFAULTS[k]].weights] * c) for k in range(f)]
    )  # (F, C, 3, 3)


def map_captions(at: AppTest) -> list[str]:
    return [c for c in image_captions(at) if c.startswith("Map ")]


def codes(at: AppTest) -> list[str]:
    return [c.value for c in at.code]


@pytest.fixture
def page(app) -> AppTest:
    return open_page(app, PAGE)


def rgb(page: AppTest) -> AppTest:
    page.button(key="vol.to_rgb").click().run()
    no_exceptions(page)
    return page


def test_grayscale_default_and_wrong_depth(page):
    no_exceptions(page)
    x = page.session_state["source.current"].chw  # (1, H, W)
    _, h, w = x.shape
    assert metric(page, "Input (C, H, W)") == str((1, h, w))
    assert metric(page, "Weight (F, C, kH, kW)") == str((3, 1, 3, 3))
    assert metric(page, "Output (F, H′, W′)") == str((3, h - 2, w - 2))
    assert metric(page, "Parameters") == str(3 * 1 * 9 + 3)
    assert len(map_captions(page)) == 3
    # The depth rule: a depth-3 filter on a 1-channel input is refused with vizlib's message.
    with pytest.raises(ValueError) as refused:
        vizlib.conv2d(x, vizlib.random_kernel((1, 3, 3, 3), seed=0))
    assert any(str(refused.value) in e.value for e in page.error), [e.value for e in page.error]
    # ... after a sentence for a student, not the library's name.
    (error,) = [e.value for e in page.error if str(refused.value) in e.value]
    assert error.startswith("**A filter of depth 3 cannot read this input.** The input (1, ")
    assert "each filter needs exactly 1 kernel(s)" in error.split("\n\n")[0]
    assert "vizlib" not in error


def test_switch_to_rgb_and_expression(page):
    rgb(page)
    assert page.session_state["source.color"] == "RGB"
    x = page.session_state["source.current"].chw  # (3, H, W)
    c, h, w = x.shape
    assert c == 3
    assert metric(page, "Weight (F, C, kH, kW)") == str((3, 3, 3, 3))
    assert metric(page, "Parameters") == str(3 * 3 * 9 + 3)
    weight = default_weight(3, 3)
    row, col = (h - 2) // 2, (w - 2) // 2
    step = vizlib.conv_step(x, weight, row, col, bias=np.zeros(3), out_channel=0)
    expression = step.expression(channel_names=("R", "G", "B"))
    assert expression.count("\n") == 3  # three channel lines, then sums + bias
    assert expression in codes(page)
    # The wrong depth for RGB (depth 1 by default) shows vizlib's message, no traceback.
    with pytest.raises(ValueError) as refused:
        vizlib.conv2d(x, vizlib.random_kernel((1, 1, 3, 3), seed=0))
    assert any(str(refused.value) in e.value for e in page.error)


def test_step_position_filter_and_bias_change_the_expression(page):
    rgb(page)
    x = page.session_state["source.current"].chw
    before = codes(page)
    page.radio(key="vol.edit").set_value(1).run()  # filter 2's controls are drawn
    page.number_input(key="vol.bias1").set_value(0.5).run()
    page.radio(key="vol.edit").set_value(0)  # its bias stays while filter 1 is edited
    page.selectbox(key="vol.step_filter").set_value(1)
    page.number_input(key="vol.row").set_value(0)
    page.number_input(key="vol.col").set_value(5).run()
    no_exceptions(page)
    bias = np.array([0.0, 0.5, 0.0])
    step = vizlib.conv_step(x, default_weight(3, 3), 0, 5, bias=bias, out_channel=1)
    expression = step.expression(channel_names=("R", "G", "B"))
    assert "bias 0.5" in expression
    assert expression in codes(page)
    assert expression not in before


def test_number_of_filters_changes_maps_and_shapes(page):
    page.slider(key="vol.filters").set_value(5).run()
    no_exceptions(page)
    _, h, w = page.session_state["source.current"].chw.shape
    assert len(map_captions(page)) == 5
    assert metric(page, "Output (F, H′, W′)") == str((5, h - 2, w - 2))
    assert metric(page, "Parameters") == str(5 * 9 + 5)
    assert any("out_channels=5" in code for code in codes(page))

    page.radio(key="vol.padding").set_value("same").run()
    no_exceptions(page)
    assert metric(page, "Output (F, H′, W′)") == str((5, h, w))

    page.slider(key="vol.filters").set_value(1).run()
    no_exceptions(page)
    assert len(map_captions(page)) == 1
    assert metric(page, "Output (F, H′, W′)") == str((1, h, w))


def test_seeded_random_filters(page):
    rgb(page)
    page.radio(key="vol.source").set_value("random").run()
    page.selectbox(key="vol.random_size").set_value(5)
    page.number_input(key="vol.seed").set_value(7).run()
    no_exceptions(page)
    x = page.session_state["source.current"].chw
    _, h, w = x.shape
    assert metric(page, "Weight (F, C, kH, kW)") == str((3, 3, 5, 5))
    assert metric(page, "Parameters") == str(3 * 3 * 25 + 3)
    weight = vizlib.random_kernel((3, 3, 5, 5), seed=7)
    row, col = page.number_input(key="vol.row").value, page.number_input(key="vol.col").value
    assert row < h - 4 and col < w - 4
    step = vizlib.conv_step(x, weight, row, col, bias=np.zeros(3))
    assert step.expression(channel_names=("R", "G", "B")) in codes(page)


def test_mismatched_kernel_sizes_show_a_message(page):
    # Filter 2 resized to 5×5 while filters 1 and 3 stay 3×3: one layer has one kernel size.
    page.radio(key="vol.edit").set_value(1).run()
    page.number_input(key="vol.f1.all.rows").set_value(5).run()
    page.number_input(key="vol.f1.all.cols").set_value(5).run()
    no_exceptions(page)
    assert any("share one kernel size" in e.value for e in page.error)
    assert metric(page, "Weight (F, C, kH, kW)") == str((2, 1, 3, 3))
    assert len(map_captions(page)) == 2
    # Editing filter 1 hides filter 2's editor; filter 2 keeps its 5×5 kernel.
    page.radio(key="vol.edit").set_value(0).run()
    no_exceptions(page)
    assert not [n for n in page.number_input if n.key == "vol.f1.all.rows"]
    assert any("share one kernel size" in e.value for e in page.error)
    assert metric(page, "Weight (F, C, kH, kW)") == str((2, 1, 3, 3))
    # Back on filter 2: its editor shows the kernel it had, and its preset.
    page.radio(key="vol.edit").set_value(1).run()
    assert page.number_input(key="vol.f1.all.rows").value == 5
    assert page.number_input(key="vol.f1.all.cols").value == 5
    assert page.selectbox(key="vol.f1.all.preset").value == "horizontal_edge"
    page.number_input(key="vol.f1.all.rows").set_value(3).run()
    page.number_input(key="vol.f1.all.cols").set_value(3).run()
    page.radio(key="vol.edit").set_value(0).run()

    # Per-channel kernels of different sizes inside one filter (RGB).
    rgb(page)
    page.radio(key="vol.f0.mode").set_value("each").run()
    page.radio(key="vol.edit_channel").set_value(2).run()
    page.number_input(key="vol.f0.c2.rows").set_value(1).run()
    no_exceptions(page)
    assert any("same size" in e.value for e in page.error)


def test_tutorial_grid_has_depth_one(page):
    page.session_state["source.kind"] = "Tutorial 5×5 grid"
    page.run()
    no_exceptions(page)
    assert metric(page, "Input (C, H, W)") == str((1, 5, 5))
    x = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)[None]
    # The position from the photo is kept inside the 3×3 output: (2, 2).
    row, col = page.number_input(key="vol.row").value, page.number_input(key="vol.col").value
    assert (row, col) == (2, 2)
    step = vizlib.conv_step(x, default_weight(3, 1), row, col, bias=np.zeros(3))
    assert step.expression() in codes(page)
    assert not [b for b in page.button if b.key == "vol.to_rgb"]

    page.number_input(key="vol.row").set_value(0)
    page.number_input(key="vol.col").set_value(0).run()
    tutorial = vizlib.conv_step(x, default_weight(3, 1), 0, 0, bias=np.zeros(3))
    assert tutorial.total == 6  # the tutorial's worked example, filter 1 = vertical edge
    assert tutorial.expression() in codes(page)


# ---------------------------------------------------------------- boost map contrast


def scale_limits(at: AppTest) -> list[str]:
    """The upper colour limit written under each map ("… → ≥ 1.23 …")."""
    scales = scale_captions(at)
    return [re.search(r"→ (?:≥ )?(\S+?)(?:[ ;]|$)", text).group(1) for text in scales]


@pytest.mark.parametrize("boost", [False, True])
def test_shared_scale_follows_boost(app, boost):
    app.session_state["present.boost"] = boost
    open_page(app, PAGE)
    no_exceptions(app)
    x = app.session_state["source.current"].chw  # (1, H, W)
    magnitudes = np.abs(vizlib.conv2d(x, default_weight(3, 1)))  # (3, H', W'): all maps shown
    expected = np.percentile(magnitudes, 99) if boost else np.max(magnitudes)
    assert np.percentile(magnitudes, 99) < 0.9 * np.max(magnitudes)  # the two cases differ
    assert scale_limits(app) == [format_number(expected)] * 3  # one shared limit
    saturate = [c for c in scale_captions(app) if "colours saturate beyond" in c]
    if boost:  # the map holding the max says its colours saturate, and how far values go
        assert saturate and all("(the shared limit: the 99th percentile" in s for s in saturate)
        assert any(f"max |value| is {format_number(np.max(magnitudes))}" in s for s in saturate)
    else:
        assert not saturate


def test_own_scales_with_boost_use_each_maps_percentile(app):
    app.session_state["present.boost"] = True
    open_page(app, PAGE)
    app.checkbox(key="vol.shared").set_value(False).run()
    no_exceptions(app)
    maps = vizlib.conv2d(app.session_state["source.current"].chw, default_weight(3, 1))
    expected = [format_number(np.percentile(np.abs(m), 99)) for m in maps]
    assert scale_limits(app) == expected


@pytest.mark.parametrize("shared", [True, False])
def test_presentation_mode_short_captions_one_scale_note_one_row(app, shared):
    """On a projector: name, shape, min, max under each map; the colour scale once; one line."""
    app.session_state["present.on"] = True
    app.session_state["present.boost"] = True  # as the switch sets it
    open_page(app, PAGE)
    if not shared:
        app.checkbox(key="vol.shared").set_value(False).run()
    no_exceptions(app)
    maps = vizlib.conv2d(app.session_state["source.current"].chw, default_weight(3, 1))
    captions = map_captions(app)
    assert len(captions) == 3
    for m, caption in zip(maps, captions, strict=True):
        assert caption.endswith(f"min {format_number(m.min())}, max {format_number(m.max())})")
        assert "olour" not in caption
    notes = [c.value for c in app.caption if c.value.startswith("Colour scale")]
    assert len(notes) == 1  # the scale, once for the row
    limits = [np.percentile(np.abs(m), 99) for m in maps]  # presentation mode boosts
    if shared:
        limit = format_number(np.percentile(np.abs(maps), 99))
        assert f"≥ {limit}" in notes[0] and "the shared limit" in notes[0]
    else:
        assert all(f"±{format_number(v)}" in notes[0] for v in limits)


def test_presentation_mode_wraps_the_arithmetic_and_the_code(app):
    app.session_state["present.on"] = True
    open_page(app, PAGE)
    no_exceptions(app)
    assert app.code and all(c.proto.wrap_lines for c in app.code)
    app.toggle(key="present.on").set_value(False).run()
    arithmetic, python = app.code[0], app.code[-1]
    assert arithmetic.proto.wrap_lines  # the result at the end of the line stays in view
    assert not python.proto.wrap_lines  # code keeps its lines on a wide screen
