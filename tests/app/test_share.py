"""Shareable links: settings in the query string come in, show up, and go back out."""

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import vizlib
from tests.app.conftest import APP, TIMEOUT, no_exceptions, open_page
from tests.readers import scale_captions
from ui import share
from vizlib.conv import format_number

CONV = "lessons/convolution.py"
POOL = "lessons/pooling.py"
VERTICAL = "1,0,-1;1,0,-1;1,0,-1"


def _open(params: dict, page: str | None = CONV) -> AppTest:
    """A fresh session opened with ``params`` in the URL, on ``page``."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(params)
    if page is not None:
        at.switch_page(page)
    at.run()
    return at


def _warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


def test_a_link_sets_the_image_kernel_and_sliding(tmp_path):
    at = _open({"src": "grid", "k": VERTICAL, "stride": "2", "row": "1", "col": "1"})
    no_exceptions(at)
    assert at.number_input(key="conv.stride").value == 2
    assert at.session_state["source.kind"] == "Tutorial 5×5 grid"
    np.testing.assert_array_equal(
        at.session_state["conv.kernel.valid"], vizlib.KERNELS["vertical_edge"].weights
    )
    assert at.selectbox(key="conv.kernel.preset").value == "vertical_edge"
    grid = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)
    step = vizlib.conv_step(grid, vizlib.KERNELS["vertical_edge"].weights, 1, 1, stride=2)
    assert at.code[0].value == step.expression(order="columns")  # the tutorial's order
    assert "Some settings" not in _warnings(at)
    # What came in goes back out unchanged.
    assert at.query_params == {
        "src": "grid",
        "k": VERTICAL,
        "stride": "2",
        "row": "1",
        "col": "1",
    }


def test_defaults_leave_the_link_empty(app):
    open_page(app, CONV)
    no_exceptions(app)
    assert app.query_params == {}
    open_page(app, POOL)
    assert app.query_params == {}


def test_changes_are_written_to_the_link_and_page_scoped(app):
    open_page(app, CONV)
    app.number_input(key="conv.stride").set_value(3).run()
    app.selectbox(key="conv.padding_mode").set_value("reflect").run()
    app.radio(key="source.color").set_value("RGB").run()
    assert app.query_params == {"stride": "3", "pad_mode": "reflect", "color": "rgb"}
    open_page(app, POOL)  # another page's settings leave the link; the image's stay
    assert app.query_params == {"color": "rgb"}
    app.number_input(key="pool.k").set_value(3).run()
    assert app.query_params["pool_k"] == "3"


def test_an_edited_kernel_is_written_exactly():
    at = _open({"k": "0.1111111111111111,0.5;-2,1e-3"})
    no_exceptions(at)
    assert at.query_params["k"] == "0.1111111111111111,0.5;-2,0.001"
    np.testing.assert_array_equal(
        at.session_state["conv.kernel.valid"], [[0.1111111111111111, 0.5], [-2, 0.001]]
    )
    # A user-loaded kernel that is not a preset keeps the default preset in the box.
    assert at.selectbox(key="conv.kernel.preset").value == "edge_detector"


@pytest.mark.parametrize(
    ("params", "expect"),
    [
        ({"stride": "99"}, ("conv.stride", 16)),
        ({"stride": "-4"}, ("conv.stride", 1)),
        ({"res": "300"}, ("source.max_side", 256)),
        ({"pad": "1e9"}, ("conv.pad", 10)),
    ],
)
def test_out_of_range_values_are_clamped_with_a_notice(params, expect):
    at = _open(params)
    no_exceptions(at)
    key, value = expect
    assert at.session_state[key] == value
    assert "Some settings in the link could not be used" in _warnings(at)


@pytest.mark.parametrize(
    "params",
    [
        {"stride": "two"},
        {"stride": "nan"},
        {"dil": "1.5"},
        {"k": "1," * 5000},
        {"k": "1,2;3"},
        {"k": "nan,1;1,1"},
        {"k": ";".join(["1," * 11 + "1"] * 12)},
        {"pad_mode": "<script>alert(1)</script>"},
        {"src": "Upload"},
        {"sample": "../../etc/passwd"},
        {"color": ""},
        {"pool_k": "3", "pool_relu": "maybe"},
    ],
)
def test_hostile_values_are_ignored_with_a_notice(params):
    at = _open(params)
    no_exceptions(at)
    assert "Some settings in the link could not be used" in _warnings(at)
    assert not at.error
    np.testing.assert_array_equal(
        at.session_state["conv.kernel.valid"], vizlib.KERNELS["edge_detector"].weights
    )
    assert at.session_state["source.kind"] == "Sample photo"


def test_notice_is_shown_once_and_unknown_names_are_left_alone():
    at = _open({"stride": "x", "utm_source": "mail"})
    assert "stride=x" in _warnings(at)
    at.run()
    assert "Some settings" not in _warnings(at)
    assert at.query_params == {"utm_source": "mail"}


def test_pooling_settings_travel():
    at = _open({"pool_mode": "avg", "pool_k": "3", "pool_same": "0", "pool_stride": "1"}, POOL)
    no_exceptions(at)
    assert at.radio(key="pool.mode").value == "avg"
    assert at.number_input(key="pool.k").value == 3
    assert at.number_input(key="pool.stride").value == 1
    assert at.query_params == {"pool_mode": "avg", "pool_k": "3", "pool_same": "0",
                               "pool_stride": "1"}  # fmt: skip


def test_link_box_shows_the_page_and_query_once_opened():
    at = _open({"stride": "2"})
    assert not [c for c in at.sidebar.code if "convolution?" in c.value]  # closed: not drawn
    at.session_state[share.LINK_OPEN] = True  # the student opens "Link to this view"
    at.run()
    links = [c.value for c in at.sidebar.code if c.value.endswith("convolution?stride=2")]
    assert len(links) == 1


def test_encode_kernel_round_trips():
    for slug, kernel in vizlib.KERNELS.items():
        text = share.encode_kernel(kernel.weights)
        np.testing.assert_array_equal(vizlib.parse_kernel(text), kernel.weights, err_msg=slug)
    assert share.encode_kernel(vizlib.KERNELS["edge_detector"].weights) == (
        "-1,-1,-1;-1,8,-1;-1,-1,-1"
    )


def test_batchnorm_settings_travel_and_fragments_update_the_link():
    at = _open({"bn_M": "12", "bn_size": "300", "bn_mean": "-2.5"}, "lessons/batchnorm.py")
    no_exceptions(at)
    assert at.slider(key="bn.m.M").value == 12
    assert at.slider(key="bn.t.size").value == 256  # clamped, with a notice
    assert at.number_input(key="bn.t.mean").value == -2.5
    assert "bn_size=300" in _warnings(at)
    assert at.query_params == {"bn_M": "12", "bn_size": "256", "bn_mean": "-2.5"}
    at.number_input(key="bn.t.seed").set_value(7).run()  # a fragment's own rerun in a browser
    assert at.query_params["bn_tseed"] == "7"


def test_presentation_mode_from_the_link_hides_prose_and_styles_the_page():
    at = _open({"present": "1", "src": "grid"})
    no_exceptions(at)
    assert at.toggle(key="present.on").value is True
    texts = " ".join(m.value for m in at.markdown)
    assert "A **kernel** (a small grid of weights)" not in texts  # prose hidden
    grid = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)
    step = vizlib.conv_step(grid, vizlib.KERNELS["edge_detector"].weights, 0, 0)
    assert at.code[0].value == step.expression(order="columns")  # the numbers stay
    assert any("font-size: 21px" in h.proto.body for h in at.get("html"))
    assert at.query_params == {"present": "1", "src": "grid"}
    at.toggle(key="present.on").set_value(False).run()
    assert "A **kernel** (a small grid of weights)" in " ".join(m.value for m in at.markdown)
    assert not any("font-size: 21px" in h.proto.body for h in at.get("html"))
    assert at.query_params == {"src": "grid"}


@pytest.mark.parametrize(
    ("params", "present", "boost"),
    [
        ({"present": "1"}, True, True),  # presentation mode switches boost on
        ({"present": "1", "boost": "0"}, True, False),
        ({"boost": "1"}, False, True),
        ({"boost": "0", "present": "1"}, True, False),  # order does not matter
    ],
)
def test_boost_travels_and_follows_presentation_mode_by_default(params, present, boost):
    at = _open({"src": "grid", **params})
    no_exceptions(at)
    assert "Some settings" not in _warnings(at)
    assert at.toggle(key="present.on").value is present
    assert at.toggle(key="present.boost").value is boost
    # The feature map's colour limit follows: max|value| or its 99th percentile.
    grid = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)
    magnitudes = np.abs(vizlib.conv2d(grid, vizlib.KERNELS["edge_detector"].weights))
    limit = format_number(np.percentile(magnitudes, 99) if boost else np.max(magnitudes))
    assert format_number(np.percentile(magnitudes, 99)) != format_number(np.max(magnitudes))
    scales = scale_captions(at)
    assert scales and all(re.search(rf"→ (≥ )?{re.escape(limit)}\b", c) for c in scales)
    # The link written back is the shortest that brings the same view back.
    wanted = {"src": "grid"} | ({"present": "1"} if present else {})
    if boost != present:
        wanted["boost"] = "1" if boost else "0"
    assert at.query_params == wanted


def test_boost_switched_by_hand_goes_into_the_link(app):
    app.toggle(key="present.boost").set_value(True).run()
    assert app.query_params == {"boost": "1"}
    app.toggle(key="present.on").set_value(True).run()  # boost now follows: left out
    assert app.session_state["present.boost"] is True
    assert app.query_params == {"present": "1"}
    app.toggle(key="present.boost").set_value(False).run()
    assert app.query_params == {"present": "1", "boost": "0"}
    app.toggle(key="present.on").set_value(False).run()  # boost follows it off again
    assert app.query_params == {}


def test_a_bad_boost_value_is_ignored_with_a_notice():
    at = _open({"present": "1", "boost": "maybe"})
    no_exceptions(at)
    assert "boost=maybe" in _warnings(at)
    assert at.toggle(key="present.boost").value is True  # presentation mode's default


def test_a_stacking_link_restores_stages_that_are_not_being_edited():
    """Only stage 1's controls are drawn at first: stages 2–4 come from the link all the same."""
    params = {
        "s2_kind": "conv",
        "s2_src": "edited",
        "s2_k": "1,0;0,-1",
        "s3_mode": "avg",
        "s3_pool": "3",
        "s4_kind": "act",
        "s4_act": "tanh",
    }
    at = _open(params, "lessons/stacking.py")
    no_exceptions(at)
    assert "Some settings" not in _warnings(at)
    assert at.session_state["stack.edit"] == 1  # stage 1's controls on screen
    x = np.asarray(at.session_state["source.current"].chw, dtype=np.float32)  # (C, H, W)
    w1 = vizlib.random_kernel((4, x.shape[0], 3, 3), 0).astype(np.float32)
    y1 = vizlib.conv2d(x, w1, padding=1)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])
    y2 = vizlib.conv2d(y1, np.broadcast_to(kernel, (1, 4, 2, 2)).astype(np.float32))
    y3 = vizlib.avg_pool2d(y2, 3)
    y4 = vizlib.tanh(y3)
    text = "\n".join(m.value for m in at.markdown)
    for i, y in enumerate((y2, y3, y4), start=2):
        assert re.search(
            rf"\*\*Stage {i}:\*\* input .* → output \*\*{re.escape(str(y.shape))}\*\*", text
        )
    code = next(c.value for c in at.code if "nn.Sequential(" in c.value)
    assert "nn.AvgPool2d(kernel_size=3, stride=3)," in code and "nn.Tanh()," in code
    assert "model[1].weight[:] = torch.tensor([[1, 0], [0, -1]])" in code
    assert at.query_params == params  # written back while not drawn
    # Editing stage 4, then stage 2: their controls show what the link said.
    at.segmented_control(key="stack.edit").set_value(4).run()
    assert at.selectbox(key="stack.s4.act").value == "tanh"
    at.segmented_control(key="stack.edit").set_value(2).run()
    no_exceptions(at)
    np.testing.assert_array_equal(at.session_state["stack.s2.kernel.base"], kernel)
    assert at.number_input(key="stack.s2.kernel.rows").value == 2
    assert at.query_params == params
