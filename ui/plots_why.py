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
    "GRID_FONT",
    "GRID_MIN_FONT",
    "POSITION_COLOURS",
    "auto_decimals",
    "cell_em",
    "colours_of",
    "flatten_html",
    "grid_html",
    "number_text",
    "side_by_side",
    "text_em",
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


#: Font sizes of the number grids, in rem so that presentation mode's larger root size
#: scales them with the text: the size a grid takes when it has the room, and the
#: smallest it shrinks to in a narrow column before it scrolls sideways instead.
#: :data:`ui.presentation.STYLE` sets larger ones for a projector (these CSS variables).
GRID_FONT = "var(--grid-font, 0.875rem)"
GRID_MIN_FONT = "var(--grid-min-font, 0.6875rem)"

# Advance widths in em of Source Sans (Streamlit's font) with tabular figures, rounded
# up: digits and the minus sign 0.5, the point 0.25; anything else counted wide.
_NARROW = {".": 0.25, ",": 0.25, " ": 0.25, "(": 0.3, ")": 0.3}
_DIGIT_LIKE = set("0123456789−-+")
_CELL_MIN_EM = 2.2  # a cell with one digit stays a comfortable square
_CELL_PAD_EM = 0.9  # room either side of the longest text: padding, borders, red outline


def text_em(text: str) -> float:
    """Estimated width of ``text`` in em (font-size units), tabular digits."""
    return sum(_NARROW.get(ch, 0.5 if ch in _DIGIT_LIKE else 0.62) for ch in text)


def cell_em(texts) -> float:
    """Side in em of the square cells of a grid whose longest text is among ``texts``."""
    longest = max((text_em(t) for t in texts), default=0.0)
    return round(max(_CELL_MIN_EM, longest + _CELL_PAD_EM), 2)


def _fitted_font(width_em: float, scale: float = 1.0) -> str:
    """CSS font size of a block ``width_em`` em wide inside a size container.

    As large as :data:`GRID_FONT` (× ``scale``) when the container has room, smaller to
    fit it (``cqw``: the container's width), never below :data:`GRID_MIN_FONT`.
    """
    return (
        f"clamp({_scaled(GRID_MIN_FONT, scale)}, calc(100cqw / {width_em:.2f}), "
        f"{_scaled(GRID_FONT, scale)})"
    )


def _scaled(size: str, scale: float) -> str:
    return size if scale == 1 else f"calc({size} * {scale:g})"


def _sized_box(width_em: float, inner: str, *, scale: float = 1.0, fixed: bool = False) -> str:
    """A size container for a block ``width_em`` em wide: one flex item of a wrapping row.

    It asks for the room the block needs at the smallest font (rows wrap beyond
    that), grows to its full size and no further; ``fixed`` keeps the full size.
    Outside a flex row it takes its parent's width up to the full size.
    """
    full = f"calc({width_em:.2f} * {_scaled(GRID_FONT, scale)})"
    least = f"calc({width_em:.2f} * {_scaled(GRID_MIN_FONT, scale)})"
    flex = f"0 0 {full}" if fixed else f"1 1 {least}"
    return (
        f'<div style="container-type:inline-size;flex:{flex};max-width:{full};'
        f'min-width:0">{inner}</div>'
    )


def auto_decimals(values: np.ndarray) -> int:
    """0 when every value is whole, else 2, or up to 4 so no nonzero value reads as 0.

    A 5×5 Gaussian's 1/256 is 0.004 (3 digits), not "0".
    """
    values = np.asarray(values, dtype=float)
    if np.all(values == np.round(values)):
        return 0
    nonzero = np.abs(values[values != 0])
    for decimals in (2, 3):
        if np.all(np.round(nonzero, decimals) != 0):
            return decimals
    return 4


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
    scale: float = 1.0,
    fixed: bool = False,
) -> str:
    """Return an HTML grid of numbers on coloured cells.

    Every cell is a square sized to the grid's longest number (:func:`cell_em`),
    in em, so a number never touches or leaves its cell, whatever the font size.
    The font is :data:`GRID_FONT` when there is room (larger in presentation
    mode), smaller in a narrow column down to :data:`GRID_MIN_FONT`, below which
    the grid scrolls sideways. In a row of :func:`side_by_side` the grids wrap
    rather than shrink below that.

    Parameters
    ----------
    values : ndarray, shape (H, W)
    title : str
        Plain text above the grid (escaped).
    decimals : int or None
        Digits after the point (0 for the integer tutorial grids); None:
        :func:`auto_decimals`.
    cmap, vmin, vmax
        Colour map and limits for the cell backgrounds (default: the values' range).
    colours : ndarray of str, shape (H, W), optional
        Explicit background colours instead of ``cmap``.
    marked : bool ndarray, shape (H, W), optional
        Cells outlined in red.
    hatched : bool ndarray, shape (H, W), optional
        Cells hatched (filled in, or padding).
    scale : float
        Font size relative to the other grids.
    fixed : bool
        Keep the full size in a flex row (do not shrink).
    """
    values = np.asarray(values, dtype=float)
    h, w = values.shape
    if decimals is None:
        decimals = auto_decimals(values)
    if colours is None:
        lo = float(values.min()) if vmin is None else vmin
        hi = float(values.max()) if vmax is None else vmax
        colours = colours_of(values, cmap, lo, hi)
    texts = [[number_text(values[r, c], decimals) for c in range(w)] for r in range(h)]
    side = cell_em(t for row in texts for t in row)
    cells = [
        _cell(
            texts[r][c],
            str(colours[r, c]),
            outline=bool(marked is not None and marked[r, c]),
            hatch=bool(hatched is not None and hatched[r, c]),
        )
        for r in range(h)
        for c in range(w)
    ]
    width = w * side + 0.2  # em: the cells and the grid's border
    grid = (
        f'<div style="display:grid;grid-template-columns:repeat({w},{side}em);'
        f"width:max-content;font-size:{_fitted_font(width, scale)};line-height:1.1;"
        f'border:1px solid {_BORDER}">{"".join(cells)}</div>'
    )
    body = f'{_title(title) if title else ""}<div style="overflow-x:auto">{grid}</div>'
    return _sized_box(width, body, scale=scale, fixed=fixed)


def _label(text: str) -> str:
    return f'<div style="text-align:center;opacity:.75;font-size:.8em">{html.escape(text)}</div>'


def _vector_row(
    values, decimals, colours, *, changed=None, labels=(), name="", side: float | None = None
) -> str:
    """A flattened vector as one row of cells, optional name in front, label rows below.

    Cells are ``side`` em wide, by default sized to the longest number or label
    (:func:`_vector_cell_em`).
    """
    n = len(values)
    texts = [number_text(values[i], decimals) for i in range(n)]
    side = _vector_cell_em(texts, labels) if side is None else side
    lead = ['<div style="align-self:center;font-weight:600">' + html.escape(name) + "</div>"]
    blank = ["<div></div>"]
    parts = (lead if name else []) + [
        _cell(texts[i], colours[i], outline=bool(changed is not None and changed[i]))
        for i in range(n)
    ]
    for label_row in labels:
        parts += (blank if name else []) + [_label(t) for t in label_row]
    columns = (f"{_NAME_EM}em " if name else "") + f"repeat({n},{side}em)"
    return (
        f'<div style="display:grid;grid-template-columns:{columns};width:max-content;'
        f'row-gap:2px">{"".join(parts)}</div>'
    )


_NAME_EM = 2.0  # the "v" / "v′" column in front of a vector row


def _vector_cell_em(texts, labels=()) -> float:
    """Cell side in em for a vector row: its numbers, and its labels at 0.8 em."""
    side = cell_em(texts)
    for label_row in labels:
        side = max(side, round(0.8 * max(text_em(t) for t in label_row) + 0.4, 2))
    return side


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
        grid, title=title, decimals=0, colours=pos.reshape(h, w), scale=_FLAT_SCALE, fixed=True
    )
    labels = [
        [str(i) for i in range(n)],
        [f"({i // w},{i % w})" for i in range(n)],
    ]
    texts = [number_text(v, 0) for v in grid.ravel()]
    width = n * _vector_cell_em(texts, labels)
    vector = _vector_row(grid.ravel(), 0, list(pos), changed=changed, labels=labels)
    vector = f'<div style="font-size:{_fitted_font(width, _FLAT_SCALE)}">{vector}</div>'
    return (
        '<div style="display:flex;align-items:flex-start;gap:1.2rem;flex-wrap:wrap;'
        'margin-bottom:.8rem">'
        f"{image}"
        '<div style="align-self:center;font-size:2em;padding-top:1em">→</div>'
        f"{_sized_box(width, _title(vector_title) + vector, scale=_FLAT_SCALE)}"
        "</div>"
    )


_FLAT_SCALE = 1.3  # the tutorial's 3×3 picture: few cells, drawn larger


def vector_strip_html(
    before: np.ndarray, after: np.ndarray, *, decimals: int = 2, per_line: int = 16
) -> str:
    """Return two flattened vectors v and v′ as rows of cells, wrapped; changed ones in red.

    All lines share one cell size (the longest number of both vectors) and one
    font, fitted to the column like :func:`grid_html` (scrolling below the
    smallest font).
    """
    before = np.asarray(before, dtype=float).reshape(-1)
    after = np.asarray(after, dtype=float).reshape(-1)
    n = before.size
    changed = before != after
    texts = [number_text(v, decimals) for v in (*before, *after)]
    index_labels = [str(i) for i in range(n)]
    side = _vector_cell_em(texts, [index_labels])
    width = _NAME_EM + min(per_line, n) * side
    blocks = []
    for start in range(0, n, per_line):
        idx = range(start, min(n, start + per_line))
        # Unchanged entries on the page's own background (light or dark theme);
        # changed ones light red with dark text, outlined.
        v = _vector_row(
            before[idx.start : idx.stop], decimals, [_PLAIN] * len(idx), name="v", side=side
        )
        v2 = _vector_row(
            after[idx.start : idx.stop],
            decimals,
            ["#fde0dd" if changed[i] else _PLAIN for i in idx],
            changed=changed[idx.start : idx.stop],
            labels=[[str(i) for i in idx]],
            name="v′",
            side=side,
        )
        blocks.append(f'<div style="margin-bottom:.6rem">{v}{v2}</div>')
    inner = f'<div style="overflow-x:auto;font-size:{_fitted_font(width)}">{"".join(blocks)}</div>'
    return _sized_box(width, inner)


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


def side_by_side(parts: list[str]) -> str:
    """Grids (:func:`grid_html`) in one row that wraps when they do not fit.

    Each grid is a flex item that asks for its size at the smallest font and
    grows to its full size, so grids share a row while their numbers stay
    readable and wrap onto the next row when they would not. Several grids in
    ONE markdown element cost the browser about one element on every rerun,
    where a row of ``st.columns`` costs one per column and more.
    """
    return (
        '<div style="display:flex;gap:1.2rem;align-items:flex-start;flex-wrap:wrap;'
        f'margin-bottom:.6rem">{"".join(parts)}</div>'
    )
