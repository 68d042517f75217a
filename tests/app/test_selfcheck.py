"""Predict first: the sum stays hidden until the student guesses; then answer, difference, score."""

import numpy as np

import vizlib
from tests.app.conftest import no_exceptions, open_page

CONV = "lessons/convolution.py"
GRID = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)
VERTICAL = vizlib.KERNELS["vertical_edge"].weights


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.code]
    parts += [s.value for s in at.success] + [w.value for w in at.warning]
    return "\n".join(parts + [c.value for c in at.caption])


def test_predict_first_hides_checks_and_scores(app):
    open_page(app, CONV)
    app.button(key="conv.tutorial").click().run()  # grid, vertical edge: 6 at the top left
    # (on the tutorial grid the page writes sums column by column, as the tutorial does)
    step = vizlib.conv_step(GRID, VERTICAL, 0, 0)
    assert any(c.value == step.expression(order="columns") for c in app.code)

    app.toggle(key="conv.predict").set_value(True).run()
    no_exceptions(app)
    assert not any(
        c.value == step.expression(order="columns") for c in app.code
    )  # the sum is hidden
    assert not app.get("latex")
    assert "Feature map values" not in _texts(app)  # so is the table of answers
    assert "what is the output at row 0, column 0?" in _texts(app)

    app.button(key="conv.check").click().run()  # nothing typed yet
    assert any("Type a number first" in i.value for i in app.info)
    assert app.session_state["conv.score"] == {"tried": 0, "close": 0}

    app.number_input(key="conv.guess").set_value(4.0).run()
    app.button(key="conv.check").click().run()
    no_exceptions(app)
    text = _texts(app)
    assert "You predicted 4; the answer is 6 (difference -2)" in text
    assert any(c.value == step.expression(order="columns") for c in app.code)  # revealed
    assert app.session_state["conv.score"] == {"tried": 1, "close": 0}

    app.button(key="conv.next").click().run()  # next window: a new question, sum hidden
    nxt = vizlib.conv_step(GRID, VERTICAL, 0, 1)
    assert not any(c.value == nxt.expression(order="columns") for c in app.code)
    app.number_input(key="conv.guess").set_value(float(nxt.total)).run()
    app.button(key="conv.check").click().run()
    assert "Right!" in _texts(app)
    assert app.session_state["conv.score"] == {"tried": 2, "close": 1}
    assert "Score: 1 of 2" in _texts(app)

    app.toggle(key="conv.predict").set_value(False).run()
    assert "Feature map values" in _texts(app)
