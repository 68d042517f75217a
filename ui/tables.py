"""Read-only tables of numbers as ONE HTML element (``st.html``), with a highlighted cell.

Why not ``st.dataframe``: a data grid is a canvas widget that the browser redraws on
every rerun. ``python benchmarks/bench_element_costs.py --n 10 --kind dataframe_changing
--kind styled_dataframe --kind html_table_changing`` measured, in renderer CPU per table
per rerun: a styled 8×3 data grid 24 ms even when nothing changed, a changing one 20 ms,
the same table as HTML 12 ms. Batch norm's Seed, x and y as HTML instead of data grids:
265 → 240 ms from Enter to the end of the rerun (median of 16, A/B in one browser).

What a student gets: every number as the page formats it, the exact value on hover
(``title``), the chosen example (row) and feature (column) tinted and their cell in
bold, a header that stays in view while a long batch scrolls. Colours are translucent
and the text inherits the theme's, so the table reads in light and dark themes.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["number_table"]

# One style block per table: it applies to the page, so every rule is under .nbt.
_STYLE = """<style>
.nbt-wrap { overflow: auto; border: 1px solid rgba(128, 128, 128, 0.35);
  border-radius: 0.5rem; flex: 1 1 0; min-width: 0; }
.nbt { border-collapse: separate; border-spacing: 0; width: 100%;
  font-variant-numeric: tabular-nums; font-size: 0.875rem; }
.nbt th, .nbt td { padding: 0.3rem 0.65rem; text-align: right; white-space: nowrap;
  border-bottom: 1px solid rgba(128, 128, 128, 0.2); }
.nbt thead th { position: sticky; top: 0; background: Canvas; font-weight: 600;
  border-bottom: 1px solid rgba(128, 128, 128, 0.45); }
.nbt th:first-child { text-align: left; opacity: 0.75; font-weight: 400; }
.nbt thead th:first-child { opacity: 1; font-weight: 600; }
.nbt .hl { background: rgba(255, 196, 0, 0.22); }
.nbt .pick { background: rgba(255, 150, 0, 0.65); font-weight: 700; }
</style>"""


def number_table(
    values: np.ndarray,
    columns: Sequence[str],
    index: Sequence[str],
    corner: str,
    fmt: Callable[[float], str],
    *,
    row: int | None = None,
    col: int | None = None,
    max_height: int = 420,
) -> str:
    """HTML for a table of ``values`` (R, C): each cell ``fmt(value)``, the exact value on hover.

    ``columns`` and ``index`` name the C columns and R rows, ``corner`` heads the
    row names (all escaped). Row ``row`` and column ``col`` (0-based, or None) are
    tinted and their shared cell is bold. Taller than ``max_height`` pixels, the
    table scrolls under its header.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape != (len(index), len(columns)):
        raise ValueError(
            f"values of shape {values.shape} for {len(index)} rows × {len(columns)} columns"
        )
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in columns)
    lines = []
    for r, (name, cells) in enumerate(zip(index, values, strict=True)):
        tds = []
        for c, v in enumerate(cells.tolist()):
            cls = "pick" if r == row and c == col else "hl" if r == row or c == col else ""
            attr = f' class="{cls}"' if cls else ""
            tds.append(f'<td{attr} title="{v!r}">{html.escape(fmt(v))}</td>')
        name_attr = ' class="hl"' if r == row else ""
        lines.append(f"<tr><th{name_attr}>{html.escape(str(name))}</th>{''.join(tds)}</tr>")
    return (
        f'{_STYLE}<div class="nbt-wrap" style="max-height: {int(max_height)}px">'
        f'<table class="nbt"><thead><tr><th>{html.escape(str(corner))}</th>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table></div>"
    )
