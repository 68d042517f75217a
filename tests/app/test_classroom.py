"""Classroom features on the other lessons: pooling exports and predict first, batch-norm
predict first, links for stacking/volumes/why, presentation mode everywhere, the GIF."""

import io

import numpy as np

import vizlib
from tests.app.conftest import no_exceptions, open_page
from ui import exports

POOL = "lessons/pooling.py"
GRID = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.code]
    parts += [s.value for s in at.success] + [w.value for w in at.warning]
    return "\n".join(parts + [c.value for c in at.caption] + [i.value for i in at.info])


def _buttons(at) -> dict:
    return {b.key: b for b in at.get("download_button")}


# ---------------------------------------------------------------- 1. pooling


def test_pooling_downloads_hold_the_pooled_map(app):
    open_page(app, POOL)
    app.button(key="pool.tutorial").click().run()  # the grid, 2×2 max pooling, stride 2
    no_exceptions(app)
    keys = set(_buttons(app))
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
