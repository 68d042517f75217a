"""ui.tables.number_table: the numbers, their exact values, the highlight, escaping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests.readers import html_tables
from ui.tables import number_table


class _Html:
    """What AppTest gives for an st.html element: its body in ``proto.body``."""

    def __init__(self, body: str):
        self.proto = type("Proto", (), {"body": body})()


class _Page:
    def __init__(self, *bodies: str):
        self._elements = [_Html(b) for b in bodies]

    def get(self, kind: str):
        assert kind == "html"
        return self._elements


def read(body: str):
    (table,) = html_tables(_Page(body)).values()
    return table


def test_cells_names_and_highlight():
    values = np.array([[1.5, -2.25, 0.0], [3.0, 4.125, -5.0]])
    body = number_table(
        values, ["a", "b", "c"], ["r1", "r2"], "x (input)", lambda v: f"{v:.1f}", row=1, col=2
    )
    table = read(body)
    assert table.corner == "x (input)"
    assert table.columns == ["a", "b", "c"] and table.index == ["r1", "r2"]
    assert table.shown == [["1.5", "-2.2", "0.0"], ["3.0", "4.1", "-5.0"]]
    np.testing.assert_array_equal(table.exact, values)
    assert table.picked == [(1, 2)]
    assert sorted(table.tinted) == [(0, 2), (1, 0), (1, 1)]


def test_no_highlight_and_height():
    body = number_table(np.ones((1, 1)), ["a"], ["r"], "", str, max_height=200)
    table = read(body)
    assert table.picked == [] and table.tinted == []
    assert "max-height: 200px" in body


def test_names_are_escaped():
    body = number_table(np.zeros((1, 1)), ["<b>x</b>"], ["<script>"], "a & b", str)
    assert "<script>" not in body and "<b>x</b>" not in body
    table = read(body)
    assert table.columns == ["<b>x</b>"] and table.index == ["<script>"]
    assert table.corner == "a & b"


def test_shape_must_match_the_names():
    with pytest.raises(ValueError, match=r"\(2, 2\) for 2 rows × 3 columns"):
        number_table(np.zeros((2, 2)), ["a", "b", "c"], ["r1", "r2"], "", str)


@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 4))))
def test_hover_value_is_exact(values):
    """Every float, NaN and ±inf included, comes back exactly from its title."""
    rows, cols = values.shape
    table = read(number_table(values, list("abcd")[:cols], [str(r) for r in range(rows)], "", str))
    np.testing.assert_array_equal(table.exact, values)
