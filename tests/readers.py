"""Read what a page shows out of an AppTest run (for elements AppTest has no shortcut for)."""

from __future__ import annotations

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
