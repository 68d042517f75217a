"""Classroom features on the other lessons: pooling exports and predict first, batch-norm
predict first, links for stacking/volumes/why, presentation mode everywhere, the GIF."""

import io

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import vizlib
from tests.app.conftest import APP, TIMEOUT, download_buttons, no_exceptions, open_page
from ui import exports, share

POOL = "lessons/pooling.py"
GRID = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.code]
    parts += [s.value for s in at.success] + [w.value for w in at.warning]
    return "\n".join(parts + [c.value for c in at.caption] + [i.value for i in at.info])


# ---------------------------------------------------------------- 1. pooling


def test_pooling_downloads_hold_the_pooled_map(app):
    open_page(app, POOL)
    app.button(key="pool.tutorial").click().run()  # the grid, 2×2 max pooling, stride 2
    no_exceptions(app)
    keys = set(download_buttons(app))
    assert {"pool.dl_png", "pool.dl_npy", "pool.dl_csv", "pool.dl_txt"} <= keys
    pooled = vizlib.max_pool2d(GRID, kernel_size=2)
    np.testing.assert_array_equal(np.load(io.BytesIO(exports.npy_bytes(pooled))), pooled)
    rows = exports.csv_bytes(pooled).decode().splitlines()
    assert rows[0] == ",".join(str(int(v)) for v in pooled[0])
    png = exports.map_png(pooled, cmap="gray", view="gray", scale=(0.0, 8.0))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    step = vizlib.pool_step(GRID, 0, 0, mode="max", kernel_size=2)
    assert step.expression() in exports.step_text(step).decode()


def test_pooling_predict_first_hides_checks_and_scores(app):
    open_page(app, POOL)
    app.button(key="pool.tutorial").click().run()
    step = vizlib.pool_step(GRID, 0, 0, mode="max", kernel_size=2)
    assert any(c.value == step.expression() for c in app.code)

    app.toggle(key="pool.predict").set_value(True).run()
    no_exceptions(app)
    assert not any(c.value == step.expression() for c in app.code)  # hidden
    assert "Pooled values" not in _texts(app)
    assert "what is the output at row 0, column 0? Find the largest" in _texts(app)

    app.number_input(key="pool.guess").set_value(5.0).run()
    app.button(key="pool.check").click().run()
    no_exceptions(app)
    diff = vizlib.conv.format_number(5.0 - step.value)
    answer = vizlib.conv.format_number(step.value)
    assert f"You predicted 5; the answer is {answer} (difference {diff})" in _texts(app)
    assert any(c.value == step.expression() for c in app.code)
    assert app.session_state["pool.score"] == {"tried": 1, "close": 0}

    app.button(key="pool.next").click().run()  # next window: asked again
    nxt = vizlib.pool_step(GRID, 0, 1, mode="max", kernel_size=2)
    assert not any(c.value == nxt.expression() for c in app.code)
    app.number_input(key="pool.guess").set_value(float(nxt.value)).run()
    app.button(key="pool.check").click().run()
    assert "Right!" in _texts(app)
    assert app.session_state["pool.score"] == {"tried": 2, "close": 1}


# ---------------------------------------------------------------- 2. batch norm


def _expected_running_means(steps: int) -> list[float]:
    """running_mean after each step of the page's default stream, through vizlib."""
    layer = vizlib.BatchNorm(1, eps=1e-5, momentum=0.1)
    out = []
    for step in range(1, steps + 1):
        rng = np.random.default_rng([0, step])
        layer(rng.normal(5.0, 2.0, size=(16, 1)))
        out.append(float(layer.running_mean[0]))
    return out


def test_batchnorm_predict_first_trains_one_step_and_scores(app):
    open_page(app, "lessons/batchnorm.py")
    app.toggle(key="bn.t.predict").set_value(True).run()
    no_exceptions(app)
    assert "what is running_mean after step 1?" in _texts(app)
    first, second = _expected_running_means(2)

    app.number_input(key="bn.t.guess").set_value(0.5).run()
    app.button(key="bn.t.check").click().run()  # "Train 1 step and check"
    no_exceptions(app)
    assert app.session_state["bn.t.history"][-1]["step"] == 1  # trained one step
    fmt = vizlib.conv.format_number
    assert (
        f"You predicted 0.5; the answer is {fmt(first)} (difference {fmt(0.5 - first)})"
        in _texts(app)
    )
    assert app.session_state["bn.t.score"] == {"tried": 1, "close": 0}
    assert "what is running_mean after step 2?" in _texts(app)  # the next question

    app.number_input(key="bn.t.guess").set_value(second).run()
    app.button(key="bn.t.check").click().run()
    assert "Right!" in _texts(app)
    assert app.session_state["bn.t.score"] == {"tried": 2, "close": 1}
    assert len(app.session_state["bn.t.history"]) == 2


# ---------------------------------------------------------------- 3. links


def _open(params: dict, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(params)
    at.switch_page(page)
    at.run()
    return at


@pytest.mark.parametrize("page", ["stacking", "volumes", "why_convolutions"])
def test_new_link_defaults_match_the_pages(app, page):
    open_page(app, f"lessons/{page}.py")
    no_exceptions(app)
    assert app.query_params == {}  # nothing differs from the registry's defaults
    for param in share.PARAMS:
        if param.page == page and param.get is None and param.put is None:
            try:
                value = app.session_state[param.key]
            except KeyError:  # a control the default view does not draw
                continue
            assert value == param.default, param.name


LINKS = {
    "stacking": {
        "stack_n": "3",
        "s1_src": "preset",
        "s1_preset": "sobel_x",
        "s1_stride": "2",
        "s2_act": "tanh",
        "s3_mode": "avg",
        "s3_pool": "3",
        "s1_k": "1,2;3,4",
    },
    "volumes": {"vol_F": "5", "vol_src": "random", "vol_size": "5", "vol_seed": "7"},
    "why_convolutions": {"why_rows": "-3", "why_fill": "circular", "why_F": "16"},
}


@pytest.mark.parametrize("page", list(LINKS))
def test_new_link_keys_round_trip(page):
    params = LINKS[page]
    at = _open(params, f"lessons/{page}.py")
    no_exceptions(at)
    assert not any("Some settings" in w.value for w in at.warning)
    by_name = {p.name: p for p in share.PARAMS}
    for name, text in params.items():
        param = by_name[name]
        assert param.encode(at.session_state[param.key]) == text, name
    assert at.query_params == params  # what came in goes back out


def test_hostile_stacking_link_is_ignored_with_a_notice():
    at = _open({"s1_kind": "rm -rf", "s2_act": "x" * 5000, "stack_n": "99"}, "lessons/stacking.py")
    no_exceptions(at)
    warned = " ".join(w.value for w in at.warning)
    assert "s1_kind" in warned and "s2_act" in warned and "stack_n" in warned
    assert at.session_state["stack.n"] == 4  # clamped
    assert at.session_state["stack.s1.kind"] == "conv"


# ---------------------------------------------------------------- 4. presentation mode

PROSE = {
    "lessons/home.py": "Pick an image in the sidebar",
    "lessons/pooling.py": "A **pooling** layer slides a small window",
    "lessons/volumes.py": "A colour image is not a flat grid but a **volume**",
    "lessons/why_convolutions.py": "Before convolutions, an image went into",
    "lessons/stacking.py": "**We can stack convolution layers.**",
    "lessons/batchnorm.py": "A layer deep inside a network receives",
}


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.mark.parametrize("page", list(PROSE))
def test_presentation_mode_hides_prose(app, page):
    open_page(app, page)
    assert PROSE[page] in _markdown(app)
    app.toggle(key="present.on").set_value(True).run()
    no_exceptions(app)
    assert PROSE[page] not in _markdown(app)
    assert app.get("header") or app.get("title")  # the slide's structure stays
    style = next(h.proto.body for h in app.get("html") if "font-size: 21px" in h.proto.body)
    assert "text-overflow: clip" in style  # page names in the sidebar wrap, no "…"


# ---------------------------------------------------------------- 5. the GIF


def test_gif_frames_and_written_sums_come_from_conv_step():
    from PIL import Image

    from ui import gif

    kernel = vizlib.KERNELS["vertical_edge"].weights
    data, texts = gif.sliding_window_gif(GRID, kernel)
    out = vizlib.conv2d(GRID, kernel)  # (3, 3)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "GIF" and im.n_frames == out.size * kernel.size == len(texts)
    fmt = vizlib.conv.format_number
    first = vizlib.conv_step(GRID, kernel, 0, 0)
    assert texts[0].endswith(f"running sum = {fmt(first.products[0, 0, 0])}")
    assert texts[8].endswith(f"sum = {fmt(first.total)} = output (0, 0)")  # 6
    last = vizlib.conv_step(GRID, kernel, 2, 2)
    assert texts[-1].endswith(f"sum = {fmt(last.total)} = output (2, 2)")
    _, padded = gif.sliding_window_gif(GRID, kernel, stride=2, padding=1)
    step = vizlib.conv_step(GRID, kernel, 1, 2, stride=2, padding=1)
    assert f"sum = {fmt(step.total)} = output (1, 2)" in padded[(1 * 3 + 2) * 9 + 8]
    with pytest.raises(ValueError, match="small inputs"):
        gif.sliding_window_gif(np.zeros((11, 11)), kernel)


def test_convolution_page_offers_the_gif(app):
    open_page(app, "lessons/convolution.py")
    assert "conv.dl_gif" in download_buttons(app)
    assert any("tutorial's 5×5 grid" in c.value for c in app.caption)  # the photo is too big
    app.button(key="conv.tutorial").click().run()
    assert any("this 5×5 input" in c.value for c in app.caption)
