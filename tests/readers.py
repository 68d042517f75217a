"""Read what a page shows out of an AppTest run (for elements AppTest has no shortcut for)."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

import numpy as np


def image_captions(at) -> list[str]:
    """Every picture's caption, in page order (``st.image`` sends a list per call)."""
    return [img.caption for element in at.get("image") for img in element.proto.imgs]


def scale_captions(at) -> list[str]:
    """The colour-scale part of every map caption (``panels.show_map``), in page order.

    As ``panels.scale_caption`` wrote it ("colour scale: …"); the caption starts it
    with a capital letter after the map's name, shape, min and max.
    """
    parts = [c.split(". Colour scale: ", 1) for c in image_captions(at)]
    return ["colour scale: " + p[1] for p in parts if len(p) == 2]


def markdown_tables(at, heading: str) -> list[np.ndarray]:
    """The markdown tables written under ``heading`` (e.g. a bold line), as numbers.

    A table is a run of lines starting with "|": the header, the rule, then one
    line per row whose first cell names the row. One table per markdown element
    that holds ``heading``, in page order.
    """
    found = []
    for m in at.markdown:
        if heading not in m.value:
            continue
        lines = m.value.split(heading, 1)[1].strip().splitlines()
        first = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
        end = next((i for i in range(first, len(lines)) if not lines[i].startswith("|")), None)
        rows = lines[first + 2 : end]  # after the header and the rule
        cells = [[c.strip() for c in r.strip("|").split("|")][1:] for r in rows]
        found.append(np.array(cells, dtype=float))
    return found


@dataclass
class HtmlTable:
    """A ``ui.tables.number_table`` as the page sent it."""

    corner: str
    columns: list[str]
    index: list[str]
    shown: list[list[str]]  # each cell's text
    exact: np.ndarray  # (R, C) each cell's hover value (its title)
    picked: list[tuple[int, int]]  # cells in bold (class "pick")
    tinted: list[tuple[int, int]]  # cells tinted (class "hl")


class _TableParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[list[tuple[str, str, dict]]] = []  # (tag, text, attrs) per cell
        self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = (tag, [], dict(attrs))

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1].append(data)

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            kind, text, attrs = self._cell
            self.rows[-1].append((kind, "".join(text), attrs))
            self._cell = None


def html_tables(at) -> dict[str, HtmlTable]:
    """Every ``ui.tables.number_table`` on the page (``st.html``), by its corner text."""
    found = {}
    for element in at.get("html"):
        body = element.proto.body
        if 'class="nbt"' not in body:
            continue
        parser = _TableParser()
        parser.feed(body)
        head, *rows = parser.rows
        cells = [row[1:] for row in rows]
        table = HtmlTable(
            corner=head[0][1],
            columns=[text for _, text, _ in head[1:]],
            index=[row[0][1] for row in rows],
            shown=[[text for _, text, _ in row] for row in cells],
            exact=np.array([[float(a["title"]) for _, _, a in row] for row in cells]),
            picked=[
                (r, c)
                for r, row in enumerate(cells)
                for c, (_, _, a) in enumerate(row)
                if a.get("class") == "pick"
            ],
            tinted=[
                (r, c)
                for r, row in enumerate(cells)
                for c, (_, _, a) in enumerate(row)
                if a.get("class") == "hl"
            ],
        )
        found[table.corner] = table
    return found
