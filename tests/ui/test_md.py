"""Markdown text helpers: escaping, tables, a section as one element."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st_
from streamlit.testing.v1 import AppTest

from ui import md


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@given(st_.text(alphabet=st_.characters(exclude_characters="\n\r"), max_size=40))
def test_escape_leaves_no_live_markup_and_round_trips(text):
    out = md.escape(text)
    assert _unescape(out) == text  # a backslash before each special character, nothing lost
    bare = re.sub(r"\\.", "", out)  # what is left once the escaped characters are taken out
    assert not re.search(r"[`*_\[\]<>|~$\\]", bare)
    assert not re.search(r":[A-Za-z]", bare)  # no :material/icon:, :smile: or :red[…]


def test_numbers_pass_unchanged():
    for number in ("-1.5", "8", "0.001", "1e-05", "−6", "3:4"):
        assert md.escape(number) == number


def test_table_has_header_rule_and_rows():
    text = md.table([["1", "-1"], ["a|b", "$x"]], ["c0", "c1"], index=["row 0", "row 1"])
    lines = text.splitlines()
    assert lines[0] == "|   | c0 | c1 |"
    assert lines[1] == "| :--- | ---: | ---: |"
    assert lines[2] == "| row 0 | 1 | -1 |"
    assert lines[3] == r"| row 1 | a\|b | \$x |"
    plain = md.table([["1"]], ["only"], align="center")
    assert plain.splitlines() == ["| only |", "| :---: |", "| 1 |"]


def test_table_refuses_ragged_rows():
    with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
        md.table([["1", "2"], ["3"]], ["a", "b"])
    with pytest.raises(ValueError, match="1 row names for 2 rows"):
        md.table([["1"], ["2"]], ["a"], index=["r0"])


SCRIPT = """
from ui import presentation
presentation.toggle()
presentation.section("1. The kernel", "A kernel **slides**.")
presentation.section("Output size", level=3)
"""


def test_section_is_one_markdown_and_drops_its_prose_for_a_projector():
    at = AppTest.from_string(SCRIPT, default_timeout=30).run()
    assert [m.value for m in at.markdown] == [
        "## 1. The kernel\n\nA kernel **slides**.",
        "### Output size",
    ]
    at.toggle(key="present.on").set_value(True).run()
    bodies = [m.value for m in at.markdown if m.value.startswith("#")]
    assert bodies == ["## 1. The kernel", "### Output size"]
    assert not at.exception
