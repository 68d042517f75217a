"""Downloads for slides and handouts, and loading a kernel back from a file.

The ``*_bytes``/``*_text`` builders are plain functions (tested without a
browser); the ``*_downloads`` helpers draw ``st.download_button``s. Kernel
files come back through :func:`vizlib.parse_kernel`, which validates them.
"""

from __future__ import annotations

import csv
import io
import json
from functools import partial

import numpy as np
import streamlit as st

import vizlib
from ui import kernel_editor, panels, render
from ui.share import encode_kernel

__all__ = [
    "MAX_KERNEL_FILE",
    "conv_downloads",
    "csv_bytes",
    "history_csv",
    "history_download",
    "kernel_csv",
    "kernel_from_file",
    "kernel_json",
    "latex_document",
    "map_downloads",
    "map_png",
    "npy_bytes",
    "step_downloads",
    "step_text",
    "text_download",
]

MAX_KERNEL_FILE = 20_000  # bytes: an 11×11 kernel in any sane format is far smaller


def npy_bytes(values: np.ndarray) -> bytes:
    """The array as a NumPy ``.npy`` file (``np.load`` gives it back exactly)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(values), allow_pickle=False)
    return buf.getvalue()


def csv_bytes(values: np.ndarray) -> bytes:
    """A 2-D array as CSV, one row per line, shortest exact text for every value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in np.asarray(values, dtype=np.float64):
        writer.writerow([repr(float(v)) if v != int(v) else str(int(v)) for v in row])
    return out.getvalue().encode()


def map_png(values: np.ndarray, *, cmap: str, view: str, scale: tuple | None = None) -> bytes:
    """The map coloured as on screen, one pixel per value (PNG).

    ``view`` is a :data:`ui.panels.MAP_VIEWS` name, or ``"gray"`` (an image:
    ``scale`` = (black, white) values). ``scale`` also fixes the upper limit of
    the other views when the page shares one scale between two maps.
    """
    side = max(640, *values.shape)  # full resolution; small maps enlarged by whole pixels
    if view == "gray":
        lo, hi = scale if scale is not None else (float(np.min(values)), float(np.max(values)))
        return render.picture_of_map(values, cmap="gray", vmin=lo, vmax=hi, max_side=side).png
    vlim = scale[1] if scale is not None else None
    return panels.map_picture(values, cmap=cmap, view=view, vlim=vlim, max_side=side).png


def kernel_json(weights: np.ndarray) -> bytes:
    """``{"kernel": [[...], ...], "shape": [kH, kW], "text": "a,b;c,d"}``."""
    w = np.asarray(weights, dtype=np.float64)
    doc = {"kernel": w.tolist(), "shape": list(w.shape), "text": encode_kernel(w)}
    return (json.dumps(doc, indent=1) + "\n").encode()


def kernel_csv(weights: np.ndarray) -> bytes:
    return csv_bytes(weights)


def kernel_from_file(data: bytes) -> np.ndarray:
    """Read a kernel from a JSON file (:func:`kernel_json`'s, or a list of rows) or CSV text.

    Raises
    ------
    ValueError
        With a message for the student: too big, not text, not a kernel.
    """
    if len(data) > MAX_KERNEL_FILE:
        raise ValueError(
            f"the file has {len(data):,} bytes; a kernel file is at most {MAX_KERNEL_FILE:,}"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not text (expected JSON or CSV)") from None
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the JSON could not be read ({exc.msg}, line {exc.lineno})") from None
        except RecursionError:  # a small file can nest thousands of brackets deep
            raise ValueError("the JSON is nested too deeply to be a kernel") from None
        rows = doc.get("kernel") if isinstance(doc, dict) else doc
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ValueError('expected a list of rows, e.g. {"kernel": [[1, 0], [0, -1]]}')
        cells = []
        for row in rows:
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row):
                raise ValueError("every weight in the JSON must be a number")
            cells.append(" ".join(repr(float(v)) for v in row))
        stripped = ";".join(cells)
    return vizlib.parse_kernel(stripped, max_size=kernel_editor.MAX_SIDE)


def latex_document(step, *, label: str = "") -> bytes:
    """The step's arithmetic as LaTeX for a slide (an ``equation*`` to paste)."""
    lines = [
        f"% Output row {step.row}, column {step.col}{': ' + label if label else ''}",
        "% Window values times kernel weights, summed (cross-correlation).",
        r"\begin{equation*}",
        step.latex(),
        r"\end{equation*}",
        "",
    ]
    return "\n".join(lines).encode()


# ---------------------------------------------------------------------------- UI

_UPLOAD_NOTE = "{key}.upload_note"


def _on_kernel_file(key: str) -> None:
    upload = st.session_state.get(f"{key}.upload")
    if upload is None:
        return
    try:
        weights = kernel_from_file(upload.getvalue())
    except (ValueError, TypeError) as exc:
        st.session_state[_UPLOAD_NOTE.format(key=key)] = ("error", f"Kernel file not used: {exc}")
        return
    kernel_editor.load_kernel(key, weights)
    st.session_state[_UPLOAD_NOTE.format(key=key)] = (
        "success",
        f"Loaded a {weights.shape[0]}×{weights.shape[1]} kernel from the file.",
    )


def _map_buttons(
    key: str, values: np.ndarray, png, *, name: str = "feature_map", title: str = "Feature map"
) -> None:
    """PNG, .npy and CSV buttons for one map; ``png`` builds the picture on click."""
    h, w = values.shape
    st.markdown(f"**{title}** ({h}×{w})")
    d1, d2, d3 = st.columns(3)
    d1.download_button(
        "PNG (as shown)",
        png,
        file_name=f"{name}.png",
        mime="image/png",
        key=f"{key}.dl_png",
        on_click="ignore",
    )
    d2.download_button(
        "NumPy .npy",
        partial(npy_bytes, values),  # built on click
        file_name=f"{name}.npy",
        mime="application/octet-stream",
        key=f"{key}.dl_npy",
        on_click="ignore",
    )
    d3.download_button(
        "CSV",
        partial(csv_bytes, values),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}.dl_csv",
        on_click="ignore",
    )


def _lazy_expander(container, label: str, key: str):
    """A collapsed expander whose contents the page draws only once a student opens it.

    Opening it reruns the page (``on_change="rerun"``) and ``.open`` turns true;
    closed, it costs every rerun one element instead of a dozen buttons. Its
    state is ``st.session_state[f"{key}.downloads"]``.
    """
    return container.expander(
        label, icon=":material/download:", key=f"{key}.downloads", on_change="rerun"
    )


def map_downloads(
    container,
    key: str,
    values: np.ndarray,
    *,
    cmap: str,
    view: str,
    scale: tuple | None = None,
    name: str = "feature_map",
    title: str = "Feature map",
) -> None:
    """An expander with PNG (coloured as on screen, see :func:`map_png`), .npy and CSV files.

    Its buttons are drawn only while it is open (:func:`_lazy_expander`).
    """
    with _lazy_expander(container, "Download", key) as box:
        if box.open:
            png = partial(map_png, values, cmap=cmap, view=view, scale=scale)
            _map_buttons(key, values, png, name=name, title=title)


def conv_downloads(
    container, key: str, kernel: np.ndarray, feature_map: np.ndarray | None, *, cmap: str, view: str
) -> None:
    """Downloads of the feature map and kernel, and a kernel uploader (``key``: the editor's).

    Drawn only while the expander is open (:func:`_lazy_expander`).
    """
    with _lazy_expander(container, "Download or load", key) as box:
        if not box.open:
            return
        if feature_map is not None:
            _map_buttons(key, feature_map, partial(map_png, feature_map, cmap=cmap, view=view))
        kh, kw = kernel.shape
        st.markdown(f"**Kernel** ({kh}×{kw})")
        k1, k2 = st.columns(2)
        k1.download_button(
            "JSON",
            kernel_json(kernel),
            file_name="kernel.json",
            mime="application/json",
            key=f"{key}.dl_json",
            on_click="ignore",
        )
        k2.download_button(
            "CSV",
            kernel_csv(kernel),
            file_name="kernel.csv",
            mime="text/csv",
            key=f"{key}.dl_kcsv",
            on_click="ignore",
        )
        st.file_uploader(
            "Load a kernel file (JSON or CSV, as downloaded here)",
            type=["json", "csv", "txt"],
            key=f"{key}.upload",
            on_change=_on_kernel_file,
            args=(key,),
        )
        note = st.session_state.pop(_UPLOAD_NOTE.format(key=key), None)
        if note is not None:
            getattr(st, note[0])(note[1])


def step_text(step, *, label: str = "") -> bytes:
    """A step's arithmetic as plain text (``step.expression()``, e.g. a pooling window)."""
    where = f"Output row {step.row}, column {step.col}{': ' + label if label else ''}"
    return f"{where}\n{step.expression()}\n".encode()


def text_download(container, key: str, step, *, label: str = "", stem: str = "step") -> None:
    """A download of the step's arithmetic as a text file."""
    container.download_button(
        "Download this step as text",
        step_text(step, label=label),
        file_name=f"{stem}_r{step.row}_c{step.col}.txt",
        mime="text/plain",
        key=f"{key}.dl_txt",
        on_click="ignore",
        icon=":material/download:",
    )


def step_downloads(container, key: str, step, *, label: str = "") -> None:
    """A download of the step's arithmetic as LaTeX."""
    container.download_button(
        "Download this sum as LaTeX",
        latex_document(step, label=label),
        file_name=f"conv_step_r{step.row}_c{step.col}.tex",
        mime="application/x-tex",
        key=f"{key}.dl_tex",
        on_click="ignore",
        icon=":material/download:",
    )


HISTORY_COLUMNS = (
    "step",
    "size",
    "batch_mean",
    "batch_var",
    "batch_var_unbiased",
    "running_mean",
    "running_var",
    "data_mean",
    "data_var",
)


def history_csv(history: list[dict]) -> bytes:
    """Batch-norm training history: one row per step (batch and running statistics)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for entry in history:
        writer.writerow([entry[c] for c in HISTORY_COLUMNS])
    return out.getvalue().encode()


def history_download(container, history: list[dict], key: str = "bn.t") -> None:
    container.download_button(
        f"Download the training history as CSV ({len(history)} steps)",
        history_csv(history),
        file_name="batchnorm_history.csv",
        mime="text/csv",
        key=f"{key}.dl_history",
        disabled=not history,
        on_click="ignore",
        icon=":material/download:",
    )
