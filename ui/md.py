"""Markdown text for the page: escaped values, tables, one call for several blocks.

Every element costs the browser time on every rerun (React re-renders the
whole page per batch of deltas; see ``benchmarks/bench_element_costs.py``), and
several paragraphs in ONE ``st.markdown`` cost about as much as one. So a
section's heading and prose, or a small table of numbers, are written as
markdown text here and sent as one element.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from vizlib.conv import format_number

__all__ = ["escape", "note", "number_table", "paragraphs", "table"]

# Characters that markdown would interpret inside a line (emphasis, code, links, HTML,
# table cells, strike-through), Streamlit's $…$ LaTeX, and the ":" that opens its
# :material/…: icons, :smile: emoji and :red[…] colours. Numbers such as "-1.5" pass unchanged.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$]|:(?=[A-Za-z]))")


def escape(text: object) -> str:
    """``text`` as literal markdown: no emphasis, links, LaTeX, HTML or table breaks."""
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def table(
    cells: Sequence[Sequence[object]],
    header: Sequence[object],
    *,
    index: Sequence[object] | None = None,
    corner: object = "",
    align: str = "right",
) -> str:
    """A markdown table of ``cells`` (rows of already formatted values), all escaped.

    ``header`` names the columns; ``index`` (optional) names the rows in a first
    column headed ``corner``. ``align`` ("left", "right", "center") applies to
    the value columns; the index column is left-aligned.
    """
    rule = {"left": ":---", "right": "---:", "center": ":---:"}[align]
    heads = [escape(h) for h in header]
    rules = [rule] * len(heads)
    if index is not None:
        if len(index) != len(cells):
            raise ValueError(f"{len(index)} row names for {len(cells)} rows")
        heads, rules = [escape(corner) or " ", *heads], [":---", *rules]
    lines = ["| " + " | ".join(heads) + " |", "| " + " | ".join(rules) + " |"]
    for r, row in enumerate(cells):
        if len(row) != len(header):
            raise ValueError(f"row {r} has {len(row)} cells for {len(header)} columns")
        values = [escape(v) for v in row]
        if index is not None:
            values = [escape(index[r]), *values]
        lines.append("| " + " | ".join(values) + " |")
    return "\n".join(lines)


def number_table(values: np.ndarray, precision: int = 3, *, compact: bool = False) -> str:
    """A 2-D array as a row/column-labelled markdown table (what a student reads off).

    ``compact`` (a narrow column, or more than 8 columns): rows and columns are
    labelled by their numbers only.
    """
    rows, cols = values.shape
    compact = compact or cols > 8
    return table(
        [[format_number(v, precision) for v in row] for row in values],
        [str(c) if compact else f"col {c}" for c in range(cols)],
        index=[str(r) if compact else f"row {r}" for r in range(rows)],
    )


def paragraphs(*parts: str) -> str:
    """Blocks of markdown as one text (one element on the page); empty parts left out."""
    return "\n\n".join(part for part in parts if part)


def note(text: str, *, plain: bool = False) -> str:
    """A side note styled like a caption inside a markdown text (small, grey).

    ``plain`` (presentation mode: full contrast on a projector) or a text with
    square brackets (which would end the styling early) is returned as it is.
    """
    if not text or plain or "[" in text or "]" in text:
        return text
    return f":small[:gray[{text}]]"
