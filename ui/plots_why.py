"""Small number grids as HTML, and a line chart, for the "Why convolutions" lesson.

A grid of a few dozen numbers is drawn as an HTML table-like CSS grid: it
costs microseconds (a matplotlib figure with as many patches and labels took
150–350 ms, too slow for a slider), stays sharp at any zoom, keeps real text
for screen readers, and reads in light and dark themes (every cell sets its
own background and text colour). Colours come from matplotlib colour maps via
``ui.render.lut``. Only numbers and fixed labels go into the HTML, never a
file name or other user text.
"""

from __future__ import annotations

import html

import altair as alt
import numpy as np
import pandas as pd
from matplotlib import colormaps

from ui import render

__all__ = [
    "CHANGED",
    "POSITION_COLOURS",
    "colours_of",
    "flatten_html",
    "grid_html",
    "number_text",
    "side_by_side",
    "vector_strip_html",
    "vectors_chart",
]

CHANGED = "#d62728"  # red outline: an entry that changed
_BORDER = "#8a8a8a"
_PLAIN = "transparent"  # a cell without a colour of its own: the page shows through
_HATCH = "repeating-linear-gradient(45deg,rgba(128,128,128,.55) 0 2px,transparent 2px 7px)"

#: The 10 light tab20 colours, one per pixel position of a small image.
POSITION_COLOURS = tuple(
    "#{:02x}{:02x}{:02x}".format(*rgba[:3])
    for rgba in colormaps["tab20"](np.arange(20), bytes=True)[1::2]
)


def number_text(value: float, decimals: int) -> str:
    """Write a cell value: ``-0.52`` with a true minus sign, ``0`` for zero, ``7`` for ints."""
    if decimals == 0:
        text = f"{value:.0f}"
    else:
        text = f"{value:.{decimals}f}"
    if float(text) == 0:
        return "0"
    return text.replace("-", "−")


def colours_of(values: np.ndarray, cmap: str, vmin: float, vmax: float) -> np.ndarray:
    """Hex colours (same shape as ``values``) from a colour map's lookup table."""
    scale = 255.0 / (vmax - vmin) if vmax > vmin else 0.0
    idx = np.clip(np.nan_to_num((np.asarray(values, float) - vmin) * scale), 0, 255)
    rgb = render.lut(cmap)[idx.astype(np.uint8)]  # (..., 3)
    hexes = np.array([f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb.reshape(-1, 3)])
    return hexes.reshape(np.shape(values))


def _ink(hex_colour: str) -> str:
    """Black or white text, whichever reads on this background.

    A background that is not a colour (``"transparent"``: the page shows
    through) keeps the page's own text colour, light or dark theme.
    """
    if not hex_colour.startswith("#"):
        return "inherit"
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"


def _cell(text: str, background: str, *, outline: bool = False, hatch: bool = False) -> str:
    style = [
        f"background:{background}",
        f"color:{_ink(background)}",
        f"border:1px solid {_BORDER}",
        "aspect-ratio:1",
        "display:flex",
        "align-items:center",
        "justify-content:center",
        "font-variant-numeric:tabular-nums",
        "overflow:hidden",
    ]
    if hatch:
        style.append(f"background-image:{_HATCH}")
    if outline:
        style.append(f"box-shadow:inset 0 0 0 3px {CHANGED}")
    return f'<div style="{";".join(style)}">{html.escape(text)}</div>'


def _title(text: str) -> str:
    return f'<div style="font-weight:600;margin:0 0 .3rem 0">{html.escape(text)}</div>'


def grid_html(
    values: np.ndarray,
    *,
    title: str = "",
    decimals: int | None = 2,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    colours: np.ndarray | None = None,
    marked: np.ndarray | None = None,
    hatched: np.ndarray | None = None,
    max_cell: int = 50,
    font: str = "clamp(11px, 1.05vw, 16px)",
) -> str:
    """Return an HTML grid of numbers on coloured cells.

    Parameters
    ----------
    values : ndarray, shape (H, W)
    title : str
        Plain text above the grid (escaped).
    decimals : int or None
        Digits after the point (0 for the integer tutorial grids); None: 0 when
        every value is a whole number, else 2.
    cmap, vmin, vmax
        Colour map and limits for the cell backgrounds (default: the values' range).
    colours : ndarray of str, shape (H, W), optional
        Explicit background colours instead of ``cmap``.
    marked : bool ndarray, shape (H, W), optional
        Cells outlined in red.
    hatched : bool ndarray, shape (H, W), optional
        Cells hatched (filled in, or padding).
    """
    values = np.asarray(values, dtype=float)
    h, w = values.shape
    if decimals is None:
        decimals = 0 if np.all(values == np.round(values)) else 2
    if colours is None:
        lo = float(values.min()) if vmin is None else vmin
        hi = float(values.max()) if vmax is None else vmax
        colours = colours_of(values, cmap, lo, hi)
    cells = [
        _cell(
            number_text(values[r, c], decimals),
            str(colours[r, c]),
            outline=bool(marked is not None and marked[r, c]),
            hatch=bool(hatched is not None and hatched[r, c]),
        )
        for r in range(h)
        for c in range(w)
    ]
    grid = (
        f'<div style="display:grid;grid-template-columns:repeat({w},1fr);'
        f"max-width:{w * max_cell}px;font-size:{font};line-height:1.1;"
        f'border:1px solid {_BORDER}">{"".join(cells)}</div>'
    )
    return f"<div>{_title(title) if title else ''}{grid}</div>"


def _label(text: str) -> str:
    return f'<div style="text-align:center;opacity:.75;font-size:.8em">{html.escape(text)}</div>'


def _vector_row(values, decimals, colours, *, changed=None, labels=(), name="", max_cell=56) -> str:
    """A flattened vector as one row of cells, optional name in front, label rows below."""
    n = len(values)
    lead = ['<div style="align-self:center;font-weight:600">' + html.escape(name) + "</div>"]
    blank = ["<div></div>"]
    parts = (lead if name else []) + [
        _cell(
            number_text(values[i], decimals),
            colours[i],
            outline=bool(changed is not None and changed[i]),
        )
        for i in range(n)
    ]
    for label_row in labels:
        parts += (blank if name else []) + [_label(t) for t in label_row]
    columns = ("3.2em " if name else "") + f"repeat({n},1fr)"
    width = n * max_cell + (50 if name else 0)
    return (
        f'<div style="display:grid;grid-template-columns:{columns};max-width:{width}px;'
        f'row-gap:2px">{"".join(parts)}</div>'
    )


def flatten_html(
    grid: np.ndarray,
    origin: np.ndarray | None = None,
    *,
    title: str,
    vector_title: str,
    changed: np.ndarray | None = None,
) -> str:
    """Return the tutorial's picture: a small image, an arrow, its flattened vector.

    Parameters
    ----------
    grid : ndarray, shape (H, W)
        A small image (the 3×3 ``MLP_EXAMPLE``).
    origin : int ndarray, shape (H, W), optional
        For each cell, the flat index of the original pixel it shows (-1 where
        it was filled in); the cell keeps that pixel's colour. Default: its own.
    changed : bool ndarray, shape (H·W,), optional
        Vector entries outlined in red.

    Each pixel keeps one colour in the grid and in the vector, so the reader
    sees where every pixel lands: index ``i = row · W + col``.
    """
    grid = np.asarray(grid)
    h, w = grid.shape
    n = h * w
    origin = np.arange(n).reshape(h, w) if origin is None else np.asarray(origin)
    pos = np.array(
        [
            POSITION_COLOURS[o % len(POSITION_COLOURS)] if o >= 0 else "#ffffff"
            for o in origin.ravel()
        ]
    )
    image = grid_html(
        grid, decimals=0, colours=pos.reshape(h, w), max_cell=54, font="clamp(14px, 1.4vw, 22px)"
    )
    labels = [
        [str(i) for i in range(n)],
        [f"({i // w},{i % w})" for i in range(n)],
    ]
    vector = _vector_row(grid.ravel(), 0, list(pos), changed=changed, labels=labels)
    return (
        '<div style="display:flex;align-items:flex-start;gap:1.2rem;flex-wrap:wrap;'
        'font-size:clamp(14px, 1.4vw, 22px);margin-bottom:.8rem">'
        f'<div style="width:{w * 54}px">{_title(title)}{image}</div>'
        '<div style="align-self:center;font-size:2em;padding-top:1em">→</div>'
        f'<div style="flex:1;min-width:320px">{_title(vector_title)}{vector}</div>'
        "</div>"
    )


def vector_strip_html(
    before: np.ndarray, after: np.ndarray, *, decimals: int = 2, per_line: int = 16
) -> str:
    """Return two flattened vectors v and v′ as rows of cells, wrapped; changed ones in red."""
    before = np.asarray(before, dtype=float).reshape(-1)
    after = np.asarray(after, dtype=float).reshape(-1)
    n = before.size
    changed = before != after
    blocks = []
    for start in range(0, n, per_line):
        idx = range(start, min(n, start + per_line))
        # Unchanged entries on the page's own background (light or dark theme);
        # changed ones light red with dark text, outlined.
        v = _vector_row(
            before[idx.start : idx.stop], decimals, [_PLAIN] * len(idx), name="v", max_cell=58
        )
        v2 = _vector_row(
            after[idx.start : idx.stop],
            decimals,
            ["#fde0dd" if changed[i] else _PLAIN for i in idx],
            changed=changed[idx.start : idx.stop],
            labels=[[str(i) for i in idx]],
            name="v′",
            max_cell=58,
        )
        blocks.append(f'<div style="margin-bottom:.6rem">{v}{v2}</div>')
    return '<div style="font-size:clamp(11px, 1vw, 15px)">' + "".join(blocks) + "</div>"


def vectors_chart(before: np.ndarray, after: np.ndarray, *, start: int) -> alt.LayerChart:
    """Return a line chart of a stretch of two long flattened vectors, changed entries marked."""
    before = np.asarray(before, dtype=float).reshape(-1)
    after = np.asarray(after, dtype=float).reshape(-1)
    index = np.arange(start, start + before.size)
    data = pd.DataFrame(
        {
            "index": np.concatenate([index, index]),
            "value": np.concatenate([before, after]),
            "vector": ["v (original)"] * before.size + ["v′ (shifted)"] * after.size,
        }
    )
    changed = pd.DataFrame({"index": index[before != after], "value": after[before != after]})
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X(
                "index:Q",
                title="index in the flattened vector",
                scale=alt.Scale(domain=[int(index[0]), int(index[-1])], nice=False),
            ),
            y=alt.Y("value:Q", title="pixel value"),
            color=alt.Color(
                "vector:N",
                title=None,
                scale=alt.Scale(range=["#1f77b4", "#ff7f0e"]),
                legend=alt.Legend(orient="top"),
            ),
            strokeDash=alt.StrokeDash("vector:N", legend=None),
        )
    )
    dots = (
        alt.Chart(changed)
        .mark_point(color=CHANGED, size=14, filled=True)
        .encode(x="index:Q", y="value:Q")
    )
    return (lines + dots).properties(height=240)


def side_by_side(parts: list[str], *, min_width: int = 220) -> str:
    """HTML blocks (grids, vector strips) in one row of equal shares that wraps when narrow.

    Several grids in ONE markdown element cost the browser about one element on
    every rerun, where a row of ``st.columns`` costs one per column and more.
    """
    cells = "".join(
        f'<div style="flex:1 1 0;min-width:{min_width}px">{part}</div>' for part in parts
    )
    return (
        '<div style="display:flex;gap:1.2rem;align-items:flex-start;flex-wrap:wrap;'
        f'margin-bottom:.6rem">{cells}</div>'
    )
