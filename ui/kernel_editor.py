"""A kernel editor: presets, a spreadsheet grid of weights, pasted text, normalise, reset.

:func:`select_kernel` draws the editor and returns the last *valid* kernel, a
2-D float64 array. An invalid cell (blank, text, NaN, infinity) shows vizlib's
message, which names the row and column, and the previous kernel stays in use.

Every session key is namespaced by the caller's ``key`` (``"conv.kernel"``):

``{key}.preset``        the preset selectbox
``{key}.rows/.cols``    the size number inputs
``{key}.base``          the exact weights the grid was last loaded with (float64)
``{key}.version``       bumped whenever the grid is reloaded (preset, resize, paste, ...)
``{key}.editor_key``    the data editor's current widget key (tests write edits there)
``{key}.valid``         the last valid kernel
``{key}.paste``         the text box
``{key}.paste_open``    whether the paste panel is open (its box is drawn only then)
``{key}.note``          a message left by a button for the next run
``{key}.shown_preset``  the preset the editor showed when last drawn (kept while not drawn)

The grid holds text cells so that a student can type ``1/9`` or ``-1``; cells
that still show what the grid was loaded with keep their exact value (a
normalised ``0.1111111111111111`` is shown shorter but not rounded).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import streamlit as st

import vizlib
from ui import presentation
from ui.plots_why import grid_html
from vizlib.kernels import kernel_from_cells

__all__ = [
    "MAX_SIDE",
    "editor_key",
    "load_kernel",
    "load_preset",
    "select_kernel",
    "stored_kernel",
]

MAX_SIDE = 11
_SIZE_WIDTH = 140  # px: a size box with room for its − and + buttons


def _cell_text(value: float) -> str:
    """Return a short, exact-looking text for a weight: ``-1``, ``1/9``, ``0.25``, ``0.123457``."""
    value = float(value)
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    frac = Fraction(value).limit_denominator(1000)
    if frac.denominator > 1 and abs(float(frac) - value) <= 1e-15 * max(1.0, abs(value)):
        short = f"{value:.6g}"
        return short if float(short) == value else f"{frac.numerator}/{frac.denominator}"
    return f"{value:.6g}"


def editor_key(key: str) -> str:
    """Return the data editor's current widget key (tests write edit dicts there)."""
    return f"{key}.cells.{st.session_state.get(f'{key}.version', 0)}"


def load_kernel(key: str, weights: np.ndarray) -> None:
    """Load ``weights`` into the grid (call from a callback, before the editor is drawn)."""
    weights = np.array(weights, dtype=np.float64)  # (kH, kW)
    st.session_state[f"{key}.base"] = weights
    st.session_state[f"{key}.valid"] = weights
    st.session_state[f"{key}.rows"], st.session_state[f"{key}.cols"] = weights.shape
    st.session_state[f"{key}.version"] = st.session_state.get(f"{key}.version", 0) + 1
    st.session_state[f"{key}.editor_key"] = editor_key(key)


def load_preset(key: str, slug: str) -> None:
    """Select preset ``slug`` and load its weights (callable from another widget's callback)."""
    st.session_state[f"{key}.preset"] = slug
    load_kernel(key, vizlib.KERNELS[slug].weights)


def _note(key: str, kind: str, text: str) -> None:
    st.session_state[f"{key}.note"] = (kind, text)


def _on_preset(key: str) -> None:
    load_kernel(key, vizlib.KERNELS[st.session_state[f"{key}.preset"]].weights)


def _on_resize(key: str) -> None:
    """Crop or zero-pad the current kernel about its centre to the new size."""
    old = st.session_state[f"{key}.valid"]  # (kH, kW)
    rows, cols = int(st.session_state[f"{key}.rows"]), int(st.session_state[f"{key}.cols"])
    new = np.zeros((rows, cols))
    offsets = [
        (max(0, (o - n) // 2), max(0, (n - o) // 2))
        for o, n in [(old.shape[0], rows), (old.shape[1], cols)]
    ]
    (r_old, r_new), (c_old, c_new) = offsets
    h, w = min(rows, old.shape[0]), min(cols, old.shape[1])
    new[r_new : r_new + h, c_new : c_new + w] = old[r_old : r_old + h, c_old : c_old + w]
    load_kernel(key, new)
    _note(key, "info", f"Resized to {rows}×{cols} about the centre; new cells are 0.")


def _on_paste(key: str) -> None:
    text = st.session_state.get(f"{key}.paste", "")
    try:
        weights = vizlib.parse_kernel(text, max_size=MAX_SIDE)
    except (ValueError, TypeError) as exc:
        _note(key, "error", f"The pasted text could not be used: {exc}")
        return
    load_kernel(key, weights)
    _note(key, "success", f"Loaded a {weights.shape[0]}×{weights.shape[1]} kernel from the text.")


def _on_normalise(key: str) -> None:
    weights = st.session_state[f"{key}.valid"]
    total = float(weights.sum())
    if abs(total) < 1e-12 * max(1.0, float(np.abs(weights).max())):
        _note(
            key,
            "warning",
            "The weights add up to 0, so they cannot be divided by their sum. "
            "That is by design for edge detectors: a flat patch gives 0, and only "
            "changes in brightness give a response.",
        )
        return
    normalised = weights / total  # (kH, kW)
    biggest = float(np.abs(normalised).max())
    if biggest > vizlib.kernels.MAX_WEIGHT:  # a sum near 0: the grid would refuse the result
        _note(
            key,
            "warning",
            f"The weights add up to only {_cell_text(total)}: dividing by that would make a "
            f"weight of {_cell_text(biggest)}, beyond the ±{vizlib.kernels.MAX_WEIGHT:,.0f} a "
            "weight may take. The kernel is unchanged. Normalising suits kernels whose weights "
            "add up to a clearly non-zero number, such as blurs.",
        )
        return
    load_kernel(key, normalised)
    _note(
        key,
        "success",
        f"Divided every weight by the sum {_cell_text(total)}: the weights now add up to 1, "
        "so a flat patch keeps its brightness.",
    )


def _on_reset(key: str) -> None:
    _on_preset(key)
    _note(key, "info", "Back to the preset's weights.")


def _init(key: str, default: str) -> None:
    if f"{key}.valid" not in st.session_state:
        st.session_state.setdefault(f"{key}.preset", default)
        load_kernel(key, vizlib.KERNELS[st.session_state[f"{key}.preset"]].weights)
    elif f"{key}.rows" not in st.session_state:
        # Not drawn on the last run (a page that shows one of several editors at a time):
        # Streamlit dropped its widgets' values, so reload its last valid kernel and preset.
        st.session_state[f"{key}.preset"] = st.session_state.get(f"{key}.shown_preset", default)
        load_kernel(key, st.session_state[f"{key}.valid"])


def stored_kernel(key: str, default: str) -> np.ndarray:
    """The kernel of an editor that is not drawn: its last valid one, else preset ``default``."""
    weights = st.session_state.get(f"{key}.valid", vizlib.KERNELS[default].weights)
    return np.array(weights, dtype=np.float64)


def select_kernel(
    key: str, *, default: str = "edge_detector", label: str = "Kernel", container=st
) -> np.ndarray:
    """Draw a kernel editor and return the last valid kernel.

    Parameters
    ----------
    key : str
        Namespace for every session key of this editor (``"conv.kernel"``).
    default : str
        Slug in :data:`vizlib.KERNELS` loaded on the first run.
    label : str
        Heading of the editor.
    container
        Where to draw (``st``, a column, an expander, the sidebar).

    Returns
    -------
    numpy.ndarray, shape (kH, kW), float64
        The grid's weights if every cell is a number, else the last valid kernel.
    """
    _init(key, default)
    c = container
    # Every element costs the browser time on every rerun: the two size boxes share
    # one wrapping row, the buttons another (no columns), the preset's
    # description and what is in use are one caption, and the paste box is drawn
    # only while its panel is open.
    c.markdown(f"**{label}**")
    slug = c.selectbox(
        "Preset",
        list(vizlib.KERNELS),
        key=f"{key}.preset",
        format_func=lambda s: vizlib.KERNELS[s].name,
        on_change=_on_preset,
        args=(key,),
        help="Classic hand-designed kernels. Pick one, then edit its numbers below.",
    )
    st.session_state[f"{key}.shown_preset"] = slug
    preset = vizlib.KERNELS[slug]
    size = c.container(horizontal=True)
    for name, text in (("rows", "Rows"), ("cols", "Columns")):
        size.number_input(
            text,
            min_value=1,
            max_value=MAX_SIDE,
            step=1,
            key=f"{key}.{name}",
            on_change=_on_resize,
            args=(key,),
            width=_SIZE_WIDTH,
        )

    base = st.session_state[f"{key}.base"]  # (kH, kW), exact
    texts = [[_cell_text(v) for v in row] for row in base]
    columns = [str(j + 1) for j in range(base.shape[1])]
    frame = pd.DataFrame(texts, columns=columns, index=[str(i + 1) for i in range(base.shape[0])])
    edited = c.data_editor(
        frame,
        key=editor_key(key),
        num_rows="fixed",
        width="content",
        column_config={name: st.column_config.TextColumn(name, width="small") for name in columns},
    )
    # Unchanged cells keep their exact value; edited ones are read by vizlib. The
    # edited frame is read by its own shape: the browser's grid is fixed, but a forged
    # widget message can add or delete rows, and that must become a message too.
    rows, cols = edited.shape
    cells = [
        [
            base[i, j]
            if i < base.shape[0] and j < base.shape[1] and edited.iat[i, j] == texts[i][j]
            else edited.iat[i, j]
            for j in range(cols)
        ]
        for i in range(rows)
    ]
    try:
        kernel = kernel_from_cells(cells, max_size=MAX_SIDE)
    except (ValueError, TypeError) as exc:
        kernel = st.session_state[f"{key}.valid"]
        c.error(
            f"{exc} Still using the last valid kernel "
            f"({kernel.shape[0]}×{kernel.shape[1]}, sum {_cell_text(kernel.sum())})."
        )
    else:
        st.session_state[f"{key}.valid"] = kernel

    if presentation.is_on():
        # The grid above is a canvas whose font Streamlit fixes when the page loads (14 px,
        # whatever presentation mode's style says): the weights in use again, at the size
        # of the projector's text, for the back of the room.
        lim = max(float(np.max(np.abs(kernel))), 1e-12)
        c.markdown(
            grid_html(kernel, title="In use", decimals=None, cmap="RdBu_r", vmin=-lim, vmax=lim),
            unsafe_allow_html=True,
        )
    same = kernel.shape == preset.weights.shape and np.array_equal(kernel, preset.weights)
    c.caption(
        f"{preset.description}\n\n"
        f"In use: {kernel.shape[0]}×{kernel.shape[1]}, weights sum to "
        f"{_cell_text(round(float(kernel.sum()), 12))}"
        + ("" if same else f" (edited from “{preset.name}”)")
        + ". Cells take numbers or fractions such as 1/9."
    )

    buttons = c.container(horizontal=True)
    buttons.button(
        "Normalise to sum 1",
        key=f"{key}.normalise",
        on_click=_on_normalise,
        args=(key,),
        help="Divide every weight by their sum, so a flat patch keeps its brightness.",
        width="stretch",
    )
    buttons.button(
        "Reset to preset",
        key=f"{key}.reset",
        on_click=_on_reset,
        args=(key,),
        width="stretch",
    )
    note = st.session_state.pop(f"{key}.note", None)
    if note is not None:
        kind, text = note
        getattr(c, kind)(text)
    # Opening the panel reruns the page, which then draws the box (closed, it is one
    # element instead of three).
    with c.expander("Paste a kernel as text", key=f"{key}.paste_open", on_change="rerun") as panel:
        if panel.open:
            st.text_area(
                "Rows separated by ; or new lines, numbers by spaces or commas",
                key=f"{key}.paste",
                placeholder="1 0 -1; 1 0 -1; 1 0 -1",
                height=90,
            )
            st.button("Use this text", key=f"{key}.paste_go", on_click=_on_paste, args=(key,))

    return np.array(kernel, dtype=np.float64)
