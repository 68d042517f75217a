"""A step-by-step player for sliding-window operations, played in the browser.

The server precomputes a bounded sequence of *frames* (one per output
position, in scan order) and sends them with two small pictures, the
(padded) input and the output map, in ONE self-contained HTML iframe. Play,
pause, previous/next and the speed control run in the browser, so an
animation at 5–20 steps per second needs no server rerun per step. No network
access and no external JavaScript: everything is inline.

The viewer is generic (convolution today, pooling later). A frame is a dict::

    {"pos": [row, col],                  # output position
     "taps": [[r, c], ...],              # input cells read, in padded coordinates
     "panels": [{"cells": [[str]],       # e.g. window, kernel, products
                 "colors": [[css]],
                 "pad": [[0/1]] | None,  # cells that lie in the padding
                 "mark": [[i, j]] | None}, ...],
     "expression": str,                  # the arithmetic, exactly as vizlib writes it
     "result": str,                      # the output value as shown
     "marks": [[r, c], ...]}             # optional: input cells to mark (a max-pool winner)

:func:`conv_frames` makes frames from :func:`vizlib.conv_step` (O(k²) each);
:func:`build_html` makes the player; :func:`show` puts it on the page.
"""

from __future__ import annotations

import base64
import functools
import io
import json
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import streamlit as st
from PIL import Image

import vizlib
from ui import render
from ui.cached import digest
from vizlib.conv import format_number

__all__ = [
    "BLOCK",
    "CELL_MODE_MAX",
    "block_size",
    "build_html",
    "cells_view",
    "conv_frames",
    "conv_stepview",
    "image_view",
    "pad_amounts",
    "padded_input",
    "pick_chart",
    "ramp",
    "scan_positions",
    "show",
]

#: Frames are computed (and cached) in blocks of this many positions in scan order;
#: the player gets the block holding the current position and the next one.
BLOCK = 128
#: Inputs/outputs at most this many cells per side are drawn as numbers, not pictures.
CELL_MODE_MAX = 16
#: Keeps the page light with big kernels: at most this many kernel taps in all frames.
TAP_BUDGET = 16_000

_PAD_TINT = np.array([255, 176, 0], dtype=np.float32)  # amber, the padding colour
_NUMPY_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# --------------------------------------------------------------------------- geometry


def pad_amounts(padding, kernel_shape, dilation) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) padding as PyTorch applies it ("same": odd one at the end)."""
    d = (dilation, dilation) if np.isscalar(dilation) else tuple(dilation)
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        total = [d[a] * (kernel_shape[a] - 1) for a in (0, 1)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    p = (padding, padding) if np.isscalar(padding) else tuple(padding)
    return (int(p[0]), int(p[0]), int(p[1]), int(p[1]))


def padded_input(x: np.ndarray, pad: tuple[int, int, int, int], padding_mode: str) -> np.ndarray:
    """Return the input with its padding, filled as PyTorch's ``padding_mode`` does."""
    top, bottom, left, right = pad
    return np.pad(
        np.asarray(x, dtype=np.float64), ((top, bottom), (left, right)), _NUMPY_MODES[padding_mode]
    )  # (H + top + bottom, W + left + right)


def block_size(kernel_shape: tuple[int, ...]) -> int:
    """Positions per cached block: :data:`BLOCK`, fewer for big kernels (:data:`TAP_BUDGET`)."""
    taps = int(np.prod(kernel_shape))
    return int(max(8, min(BLOCK, TAP_BUDGET // (2 * taps))))


def scan_positions(
    out_shape: tuple[int, int], row: int, col: int, *, block: int = BLOCK
) -> tuple[list, int]:
    """Positions the player gets and the index of ``(row, col)`` among them.

    Small outputs (at most two blocks) get every position; larger ones get the
    block of ``block`` scan-order positions holding ``(row, col)`` and the next
    one (the previous one at the end). Always whole blocks, so they cache.
    """
    out_h, out_w = out_shape
    total = out_h * out_w
    index = row * out_w + col
    if total <= 2 * block:
        first, stop = 0, total
    else:
        last_block = (total - 1) // block
        first = max(0, min(index // block, last_block - 1)) * block
        stop = min(total, first + 2 * block)
    positions = [divmod(i, out_w) for i in range(first, stop)]
    return positions, index - first


# --------------------------------------------------------------------------- colours


def _hex(rgb: np.ndarray) -> list:
    """(..., 3) uint8 -> nested lists of '#rrggbb'."""
    flat = rgb.reshape(-1, 3)
    out = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in flat.tolist()]
    shape = rgb.shape[:-1]
    return np.array(out, dtype=object).reshape(shape).tolist()


def _diverging(values: np.ndarray, cmap: str, lim: float | None = None) -> np.ndarray:
    lim = float(np.max(np.abs(values))) if lim is None else lim
    lim = lim if lim > 0 else 1.0
    idx = np.clip((values + lim) * (255.0 / (2 * lim)), 0, 255).astype(np.uint8)
    return render.lut(cmap)[idx]  # (..., 3)


def _grays(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    span = hi - lo if hi > lo else 1.0
    g = np.clip((values - lo) / span * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=-1)  # (..., 3)


def _tint(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Blend the padding cells with amber so padding reads as padding."""
    out = rgb.astype(np.float32)
    out[mask] = 0.55 * out[mask] + 0.45 * _PAD_TINT
    return out.astype(np.uint8)


# --------------------------------------------------------------------------- views


def _data_uri(pixels: np.ndarray, palette: np.ndarray | None = None) -> str:
    """PNG data URI; with a (256, 3) palette, ``pixels`` are uint8 indices (~3× smaller)."""
    if palette is None:
        png = render.encode_png(pixels)
    else:
        image = Image.frombytes("P", pixels.shape[::-1], np.ascontiguousarray(pixels).tobytes())
        image.putpalette(np.asarray(palette, dtype=np.uint8).ravel().tolist())
        buf = io.BytesIO()
        image.save(buf, format="PNG", compress_level=6)
        png = buf.getvalue()
    return "data:image/png;base64," + base64.b64encode(png).decode()


def image_view(
    rgb: np.ndarray, *, label: str, inner=None, max_side: int = 512, palette=None
) -> dict:
    """Describe a picture view (big inputs/outputs); ``inner`` = (top, left, rows, cols).

    The picture is shrunk by whole steps above ``max_side``; coordinates stay in
    cells of the full array (``rows``/``cols``), the browser scales them.
    """
    rows, cols = rgb.shape[:2]
    step = max(1, int(np.ceil(max(rows, cols) / max_side)))
    return {
        "kind": "image",
        "label": label,
        "rows": rows,
        "cols": cols,
        "src": _data_uri(np.ascontiguousarray(rgb[::step, ::step]), palette),
        "inner": list(inner) if inner is not None else None,
    }


def cells_view(texts, colors, *, label: str, pad=None, inner=None) -> dict:
    """Describe a numbers view (small inputs/outputs): each value on its colour."""
    return {
        "kind": "cells",
        "label": label,
        "rows": len(texts),
        "cols": len(texts[0]),
        "cells": texts,
        "colors": colors,
        "pad": pad,
        "inner": list(inner) if inner is not None else None,
    }


# --------------------------------------------------------------------------- convolution frames


def conv_frames(
    x: np.ndarray,
    weight: np.ndarray,
    positions: Sequence[tuple[int, int]],
    *,
    stride=1,
    padding=0,
    dilation=1,
    padding_mode="zeros",
    cmap: str = render.DIVERGING_CMAPS[0],
    value_range: tuple[float, float] | None = None,
) -> list[dict]:
    """One frame per output position, every number from :func:`vizlib.conv_step`.

    Parameters
    ----------
    x : ndarray, shape (H, W)
        The (grayscale) input.
    weight : ndarray, shape (kH, kW)
        The kernel as used (already flipped for a true convolution).
    positions : sequence of (row, col)
        Output positions, e.g. from :func:`scan_positions`.
    value_range : (lo, hi), optional
        Grey scale for the window cells (default: the input's min and max).

    Returns
    -------
    list of dict
        Frames as described in the module docstring: panels window, kernel,
        products; ``expression`` is exactly ``ConvStep.expression()`` and
        ``result`` is ``format_number(ConvStep.total)``.
    """
    x = np.asarray(x)
    weight = np.asarray(weight, dtype=np.float64)  # (kH, kW)
    lo, hi = value_range if value_range is not None else (float(x.min()), float(x.max()))
    top, _, left, _ = pad_amounts(padding, weight.shape, dilation)
    kernel_panel = {
        "cells": [[format_number(v) for v in row] for row in weight],
        "colors": _hex(_diverging(weight, cmap)),
        "pad": None,
        "mark": None,
    }
    frames = []
    for row, col in positions:
        step = vizlib.conv_step(
            x,
            weight,
            int(row),
            int(col),
            stride=stride,
            padding=padding,
            dilation=dilation,
            padding_mode=padding_mode,
        )
        window, products = step.window[0], step.products[0]  # (kH, kW) each
        pad = step.is_padding
        frames.append(
            {
                "pos": [step.row, step.col],
                "taps": np.stack([step.tap_rows + top, step.tap_cols + left], axis=-1)
                .reshape(-1, 2)
                .tolist(),
                "panels": [
                    {
                        "cells": [[format_number(v) for v in r] for r in window],
                        "colors": _hex(_tint(_grays(window, lo, hi), pad)),
                        "pad": pad.astype(int).tolist() if pad.any() else None,
                        "mark": None,
                    },
                    kernel_panel,
                    {
                        "cells": [[format_number(v) for v in r] for r in products],
                        "colors": _hex(_diverging(products, cmap)),
                        "pad": None,
                        "mark": None,
                    },
                ],
                "expression": step.expression(),
                "result": format_number(step.total),
            }
        )
    return frames


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _conv_block(
    x_key: str,
    w_key: str,
    params: tuple,
    first: int,
    stop: int,
    out_w: int,
    _x: np.ndarray,
    _w: np.ndarray,
) -> str:
    """Frames of scan positions ``first`` to ``stop - 1`` as JSON text (cheap to cache)."""
    stride, padding, dilation, padding_mode, cmap, value_range = params
    positions = [divmod(i, out_w) for i in range(first, stop)]
    frames = conv_frames(
        _x,
        _w,
        positions,
        stride=stride,
        padding=padding,
        dilation=dilation,
        padding_mode=padding_mode,
        cmap=cmap,
        value_range=value_range,
    )
    return json.dumps(frames, separators=(",", ":"))[1:-1]  # without the brackets


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _conv_views(
    x_key: str,
    map_key: str,
    pad: tuple[int, int, int, int],
    padding_mode: str,
    cmap: str,
    input_label: str,
    _x: np.ndarray,
    _map: np.ndarray,
) -> tuple[dict, dict]:
    """Build the input (padded) and output views of the player."""
    lo, hi = float(_x.min()), float(_x.max())
    padded = padded_input(_x, pad, padding_mode)  # (Hp, Wp)
    mask = np.zeros(padded.shape, dtype=bool)
    mask[: pad[0]] = mask[padded.shape[0] - pad[1] :] = True
    mask[:, : pad[2]] = mask[:, padded.shape[1] - pad[3] :] = True
    inner = (pad[0], pad[2], _x.shape[0], _x.shape[1])
    shape_in = f"{padded.shape[0]}×{padded.shape[1]}"
    in_label = f"{input_label}, padded: {shape_in}" if any(pad) else f"{input_label}: {shape_in}"
    in_rgb = _tint(_grays(padded, lo, hi), mask)
    if max(padded.shape) <= CELL_MODE_MAX:
        texts = [[format_number(v) for v in r] for r in padded]
        input_view = cells_view(
            texts, _hex(in_rgb), label=in_label, pad=mask.astype(int).tolist(), inner=inner
        )
    else:  # a palette picture: 128 greys, then the same greys tinted as padding
        levels = np.clip((padded - lo) / ((hi - lo) or 1.0) * 127 + 0.5, 0, 127).astype(np.uint8)
        grey = np.repeat(np.linspace(0, 255, 128).round()[:, None], 3, axis=1).astype(np.uint8)
        palette = np.concatenate([grey, _tint(grey, np.ones(128, dtype=bool))])  # (256, 3)
        index = levels + np.where(mask, 128, 0).astype(np.uint8)  # (Hp, Wp)
        input_view = image_view(index, label=in_label, inner=inner, palette=palette)
    out_h, out_w = _map.shape
    out_rgb = _diverging(_map, cmap, float(np.max(np.abs(_map))) or 1.0)
    out_label = f"Feature map: {out_h}×{out_w}"
    if max(out_h, out_w) <= CELL_MODE_MAX:
        texts = [[format_number(v) for v in r] for r in _map]
        output_view = cells_view(texts, _hex(out_rgb), label=out_label)
    else:
        lim = float(np.max(np.abs(_map))) or 1.0
        index = np.clip((_map + lim) * (255.0 / (2 * lim)), 0, 255).astype(np.uint8)
        output_view = image_view(index, label=out_label, palette=render.lut(cmap))
    return input_view, output_view


def conv_stepview(
    x: np.ndarray,
    weight: np.ndarray,
    feature_map: np.ndarray,
    row: int,
    col: int,
    *,
    stride=1,
    padding=0,
    dilation=1,
    padding_mode="zeros",
    cmap: str = render.DIVERGING_CMAPS[0],
    input_label: str = "Input",
    theme: str | None = None,
) -> str:
    """Build the player's HTML for a 2-D convolution, starting at ``(row, col)``.

    ``feature_map`` is the map :func:`vizlib.conv2d` computed with the same
    settings (drawn as the output view). Frames are cached in blocks of
    :func:`block_size` positions, keyed on the input's full digest and the settings.
    """
    x = np.asarray(x)
    weight = np.asarray(weight, dtype=np.float64)  # (kH, kW)
    out_h, out_w = (int(n) for n in feature_map.shape)
    x_key, w_key = digest(x), digest(weight)
    pad = pad_amounts(padding, weight.shape, dilation)
    input_view, output_view = _conv_views(
        x_key, digest(feature_map), pad, padding_mode, cmap, input_label, x, feature_map
    )
    block = block_size(weight.shape)
    positions, start = scan_positions((out_h, out_w), row, col, block=block)
    params = (stride, padding, dilation, padding_mode, cmap, (float(x.min()), float(x.max())))
    first = positions[0][0] * out_w + positions[0][1]
    stop = first + len(positions)
    parts = [
        _conv_block(x_key, w_key, params, b, min(stop, b + block), out_w, x, weight)
        for b in range(first, stop, block)
    ]
    every = len(positions) == out_h * out_w
    return build_html(
        input_view=input_view,
        output_view=output_view,
        panel_titles=("Window (input values)", "Kernel (weights)", "Products"),
        operators=("×", "="),
        frames="[" + ",".join(parts) + "]",
        start=start,
        loop=every,
        theme=theme,
        note=loaded_note(len(positions), every),
    )


# --------------------------------------------------------------------------- the player

_CSS = """
:root { --fg:#262730; --muted:#5c5f6b; --line:#c9ccd6; --btn:#f0f2f6; --hi:#ff8c00; }
:root.dark { --fg:#fafafa; --muted:#b8bcc8; --line:#4a4e5a; --btn:#262730; --hi:#ffb000; }
html, body { margin:0; background:transparent; color:var(--fg);
  font-family:"Source Sans Pro","Source Sans 3",system-ui,sans-serif; font-size:17px; }
.bar { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin:.25rem 0 .6rem; }
button { font:inherit; color:var(--fg); background:var(--btn); border:1px solid var(--line);
  border-radius:.5rem; padding:.3rem .8rem; cursor:pointer; min-width:5.5rem; }
button:focus-visible, input:focus-visible { outline:3px solid var(--hi); outline-offset:2px; }
button[aria-pressed=true] { border-color:var(--hi); }
.where { font-weight:600; margin-left:.5rem; }
.muted { color:var(--muted); font-size:.85rem; }
.stage { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; padding:6px; }
figure { margin:0; display:flex; flex-direction:column; align-items:center; gap:.3rem;
  width:min-content; }
figcaption { font-size:.85rem; color:var(--muted); text-align:center; min-width:6rem; }
.op { font-size:1.7rem; font-weight:700; color:var(--muted); }
.pic { position:relative; }
.pic img { display:block; image-rendering:pixelated; width:100%; height:100%; }
.box { position:absolute; box-sizing:border-box; pointer-events:none; }
.inner { border:2px dashed var(--muted); }
.win { border:3px solid var(--hi); box-shadow:0 0 0 1px #000, inset 0 0 0 1px #000; }
.tap { background:rgba(255,176,0,.55); outline:1px solid #000; }
.guide { background:rgba(255,140,0,.16); }
.grid { display:grid; gap:2px; }
.cell { display:flex; align-items:center; justify-content:center; box-sizing:border-box;
  border-radius:3px; font-variant-numeric:tabular-nums; border:1px solid rgba(128,128,128,.35); }
.cell.pad { background-image:repeating-linear-gradient(45deg, rgba(0,0,0,.18) 0 3px,
  transparent 3px 7px); border:1px dashed #000; }
.cell.on { outline:3px solid var(--hi); outline-offset:-1px; box-shadow:0 0 0 4px #000; z-index:1; }
.cell.mark { outline:3px solid #000; }
.cell.mark, .cell.on.mark { font-weight:700; outline:3px solid #000; outline-offset:-1px;
  box-shadow:0 0 0 3px #fff, 0 0 0 6px #000; z-index:2; }
.best { border:3px solid #000; box-shadow:0 0 0 2px #fff, inset 0 0 0 2px #fff; }
.expr { font-family:"Source Code Pro",ui-monospace,monospace; font-size:1rem; line-height:1.5;
  white-space:pre-wrap; overflow-wrap:anywhere; margin:.6rem 0 0; }
.expr b { font-size:1.15rem; }
"""

_JS = r"""
const S = JSON.parse(document.getElementById('spec').textContent);
const $ = (id) => document.getElementById(id);
let i = S.start, timer = null;

function ink(hex) {  // readable text on a coloured cell
  const n = parseInt(hex.slice(1), 16), r = n >> 16, g = (n >> 8) & 255, b = n & 255;
  return (0.299 * r + 0.587 * g + 0.114 * b) > 140 ? '#000' : '#fff';
}
function theme() {
  let dark = S.theme === 'dark';
  try {
    const el = parent.document.querySelector('[data-testid="stApp"]') || parent.document.body;
    const m = getComputedStyle(el).backgroundColor.match(/\d+/g);
    if (m && m.length >= 3) dark = (0.299 * m[0] + 0.587 * m[1] + 0.114 * m[2]) < 128;
  } catch (e) { /* no parent access: keep the server's hint */ }
  document.documentElement.classList.toggle('dark', dark);
}
function cellGrid(el, v, size) {
  el.innerHTML = '';
  el.style.gridTemplateColumns = `repeat(${v.cols}, ${size}px)`;
  const longest = Math.max(2, ...v.cells.flat().map(t => t.length));
  const fs = Math.max(8, Math.min(18, Math.floor(size * 1.75 / longest)));
  const cells = [];
  for (let r = 0; r < v.rows; r++) for (let c = 0; c < v.cols; c++) {
    const d = document.createElement('div');
    d.className = 'cell' + (v.pad && v.pad[r][c] ? ' pad' : '');
    d.style.width = d.style.height = size + 'px';
    d.style.fontSize = fs + 'px';
    d.style.background = v.colors[r][c];
    d.style.color = ink(v.colors[r][c]);
    d.textContent = v.cells[r][c];
    el.appendChild(d); cells.push(d);
  }
  return cells;
}
function setupView(id, v, maxPx) {
  const host = $(id);
  host.setAttribute('aria-label', v.label);
  if (v.kind === 'cells') {
    const size = Math.max(22, Math.min(52, Math.floor(maxPx / Math.max(v.rows, v.cols))));
    host.className = 'grid';
    return {v, cells: cellGrid(host, v, size)};
  }
  const scale = maxPx / Math.max(v.rows, v.cols);
  const w = Math.round(v.cols * scale), h = Math.round(v.rows * scale);
  host.className = 'pic';
  host.style.width = w + 'px'; host.style.height = h + 'px';
  host.innerHTML = `<img alt="" src="${v.src}">`;
  const box = (cls, r, c, nr, nc, min) => {
    const b = document.createElement('div');
    b.className = 'box ' + cls;
    const bw = Math.max(min, nc * scale), bh = Math.max(min, nr * scale);
    b.style.left = (c * scale + nc * scale / 2 - bw / 2) + 'px';
    b.style.top = (r * scale + nr * scale / 2 - bh / 2) + 'px';
    b.style.width = bw + 'px'; b.style.height = bh + 'px';
    host.appendChild(b); return b;
  };
  if (v.inner && (v.inner[2] !== v.rows || v.inner[3] !== v.cols))
    box('inner', v.inner[0], v.inner[1], v.inner[2], v.inner[3], 0);
  return {v, scale, host, box, marks: []};
}
// Sizes: one row (input, panels, output) when it fits; shrink until it does, and
// if cells would get too small, let the panels wrap below at a readable size.
const kmax = Math.max(...S.frames[0].panels.map(p => Math.max(p.cells.length, p.cells[0].length)));
const panels = S.panels.map((t, k) => ({el: $('p' + k)}));
let IN, OUT, psize;
function build(vsize, ps) {
  psize = ps;
  IN = setupView('in', S.input, vsize);
  OUT = setupView('out', S.output, vsize);
  show(i);
}
function oneRow() {
  const figs = document.querySelectorAll('.stage > figure');
  const mid = (e) => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; };
  return Math.abs(mid(figs[figs.length - 1]) - mid(figs[0])) < 4;  // centred in one row
}
function fit() {
  let vsize = 300, ps = Math.min(56, Math.max(20, Math.floor(420 / kmax)));
  build(vsize, ps);
  for (let n = 0; n < 12 && !oneRow(); n++) {
    vsize = Math.max(150, Math.floor(vsize * 0.9));
    ps = Math.max(20, Math.floor(ps * 0.9));
    build(vsize, ps);
    if (vsize === 150 && ps === 20) break;
  }
  if (!oneRow()) build(300, Math.min(44, Math.max(18, Math.floor(900 / (3 * kmax)))));
}
function highlight(view, taps) {
  if (view.cells) {
    view.cells.forEach(d => d.classList.remove('on', 'mark'));
    taps.forEach(([r, c]) => {
      const d = view.cells[r * view.v.cols + c];
      if (d) d.classList.add('on');
    });
    return;
  }
  view.marks.forEach(m => m.remove()); view.marks = [];
  const rs = taps.map(t => t[0]), cs = taps.map(t => t[1]);
  const r0 = Math.min(...rs), c0 = Math.min(...cs);
  const nr = Math.max(...rs) - r0 + 1, nc = Math.max(...cs) - c0 + 1;
  if (taps.length > 1 && taps.length < nr * nc && view.scale >= 3)
    taps.forEach(([r, c]) => view.marks.push(view.box('tap', r, c, 1, 1, 2)));
  if (view.scale < 4) {  // a small window on a big picture: guide lines lead the eye to it
    view.marks.push(view.box('guide', 0, c0, view.v.rows, nc, 0));
    view.marks.push(view.box('guide', r0, 0, nr, view.v.cols, 0));
  }
  view.marks.push(view.box('win', r0, c0, nr, nc, 12));
}
function show(k) {
  i = (k + S.frames.length) % S.frames.length;
  const f = S.frames[i];
  f.panels.forEach((p, n) => {
    const v = {rows: p.cells.length, cols: p.cells[0].length,
               cells: p.cells, colors: p.colors, pad: p.pad};
    const cells = cellGrid(panels[n].el, v, psize);
    panels[n].el.className = 'grid';
    (p.mark || []).forEach(([r, c]) => cells[r * v.cols + c].classList.add('mark'));
  });
  highlight(IN, f.taps);
  (f.marks || []).forEach(([r, c]) => {  // e.g. the winner of a max-pooling window
    if (IN.cells) { const d = IN.cells[r * IN.v.cols + c]; if (d) d.classList.add('mark'); }
    else IN.marks.push(IN.box('best', r, c, 1, 1, 8));
  });
  highlight(OUT, [f.pos]);
  $('where').textContent = `Output row ${f.pos[0]}, column ${f.pos[1]} = ${f.result}`;
  $('count').textContent = `step ${i + 1} of ${S.frames.length}`;
  $('expr').innerHTML = '';
  const eq = f.expression.lastIndexOf(' = ');
  $('expr').append(document.createTextNode(eq >= 0 ? f.expression.slice(0, eq + 3) : f.expression));
  if (eq >= 0) {
    const b = document.createElement('b');
    b.textContent = f.expression.slice(eq + 3);
    $('expr').append(b);
  }
}
function stop() {
  clearTimeout(timer); timer = null;
  $('play').textContent = '▶ Play'; $('play').setAttribute('aria-pressed', 'false');
  $('expr').setAttribute('aria-live', 'polite');
}
function tick() {
  if (!S.loop && i === S.frames.length - 1) { stop(); return; }
  show(i + 1);
  timer = setTimeout(tick, 1000 / +$('speed').value);
}
function play() {
  if (timer) { stop(); return; }
  if (!S.loop && i === S.frames.length - 1) show(0);
  $('play').textContent = '❚❚ Pause'; $('play').setAttribute('aria-pressed', 'true');
  $('expr').setAttribute('aria-live', 'off');
  timer = setTimeout(tick, 1000 / +$('speed').value);
}
$('play').onclick = play;
$('prev').onclick = () => { stop(); if (S.loop || i > 0) show(i - 1); };
$('next').onclick = () => { stop(); if (S.loop || i < S.frames.length - 1) show(i + 1); };
$('speed').oninput = () => { $('fps').textContent = $('speed').value; };
document.addEventListener('keydown', (e) => {
  if (e.target.tagName === 'INPUT' || e.target.tagName === 'BUTTON') {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    if (e.target.tagName === 'INPUT') return;
  }
  if (e.key === 'ArrowLeft') { e.preventDefault(); $('prev').click(); }
  else if (e.key === 'ArrowRight') { e.preventDefault(); $('next').click(); }
  else if (e.key === ' ' || e.key === 'k') { e.preventDefault(); play(); }
});
theme(); setInterval(theme, 1500);
fit();
let lastWidth = document.body.clientWidth, refit = null;
new ResizeObserver(() => {  // the iframe may get its final width after loading
  if (document.body.clientWidth === lastWidth) return;
  lastWidth = document.body.clientWidth;
  clearTimeout(refit); refit = setTimeout(fit, 60);
}).observe(document.body);
"""


def _esc(text: str) -> str:
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def build_html(
    *,
    input_view: dict,
    output_view: dict,
    panel_titles: Sequence[str],
    operators: Sequence[str],
    frames: list[dict] | str,
    start: int = 0,
    loop: bool = False,
    theme: str | None = None,
    fps: int = 5,
    note: str = "",
    result_operator: str = "→Σ→",
) -> str:
    """Return a self-contained HTML player for ``frames`` (see the module docstring).

    ``operators`` go between the panels (``("×", "=")`` for window × kernel =
    products). ``frames`` may also be their JSON array as text. The spec is
    embedded as JSON in ``<script id="spec">``. ``result_operator`` stands
    between the last panel and the output (``"→ max →"`` for max pooling).
    """
    frames_json = frames if isinstance(frames, str) else json.dumps(frames, separators=(",", ":"))
    if frames_json.replace(" ", "") in ("", "[]"):
        raise ValueError("`frames` must hold at least one frame")
    spec = {
        "input": input_view,
        "output": output_view,
        "panels": list(panel_titles),
        "frames": None,
        "start": int(start),
        "loop": bool(loop),
        "theme": theme,
    }
    payload = json.dumps(spec, separators=(",", ":")).replace(
        '"frames":null', '"frames":' + frames_json, 1
    )
    payload = payload.replace("</", "<\\/")
    stage = [
        f'<figure><div id="in" role="img"></div><figcaption>{_esc(input_view["label"])}'
        " (highlighted: the window read)</figcaption></figure>",
        '<div class="op" aria-hidden="true">→</div>',
    ]
    for k, title in enumerate(panel_titles):
        stage.append(
            f'<figure><div id="p{k}"></div><figcaption>{_esc(title)}</figcaption></figure>'
        )
        if k < len(operators):
            stage.append(f'<div class="op" aria-hidden="true">{_esc(operators[k])}</div>')
    stage += [
        f'<div class="op" aria-hidden="true">{_esc(result_operator)}</div>',
        f'<figure><div id="out" role="img"></div><figcaption>{_esc(output_view["label"])}'
        " (highlighted: the value written)</figcaption></figure>",
    ]
    fps = int(min(20, max(1, fps)))
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<style>{_CSS}</style></head><body>
<div class="bar" role="toolbar" aria-label="Step-by-step controls">
<button id="prev" type="button" aria-label="Previous position">◀ Previous</button>
<button id="play" type="button" aria-pressed="false">▶ Play</button>
<button id="next" type="button" aria-label="Next position">Next ▶</button>
<label for="speed">Speed</label>
<input id="speed" type="range" min="1" max="20" step="1" value="{fps}"
 aria-describedby="fpsl"><span id="fpsl"><span id="fps">{fps}</span> steps/s</span>
<span id="where" class="where"></span><span id="count" class="muted"></span>
</div>
<div class="stage">{"".join(stage)}</div>
<p id="expr" class="expr" aria-live="polite"></p>
<p class="muted">Keys: ← → step, space play/pause. {_esc(note)}</p>
<script id="spec" type="application/json">{payload}</script>
<script>{_JS}</script>
</body></html>"""


def show(html: str, *, height: int | str = "content", alt: str = "Step-by-step player") -> None:
    """Put the player on the page (one iframe, no network access needed).

    ``height="content"`` lets Streamlit size the iframe to the player.
    """
    st.iframe(html, height=height, alt=alt)


# --------------------------------------------------------------------------- click to choose

#: The clickable charts show at most this many cells per side (block means).
PICK_MAX = 40


def _blocks(size: int, n: int) -> np.ndarray:
    return np.linspace(0, size, n + 1).round().astype(int)  # (n + 1,) block edges


def pick_chart(
    container,
    values: np.ndarray,
    *,
    key: str,
    current: tuple[int, int, int, int],
    on_pick,
    args: tuple = (),
    colors: Sequence[str],
    domain: tuple[float, float],
    title: str,
    size: int = 220,
) -> None:
    """Draw a reduced-resolution, clickable heatmap of ``values`` (Vega-Lite).

    Clicking a cell calls ``on_pick(row, col, *args)`` with the *full-resolution*
    position at the centre of the clicked block (a callback, so it can set
    widget state before the page is drawn). ``current`` = (top, left, rows,
    cols) is outlined. ``colors`` is the colour ramp from ``domain[0]`` to
    ``domain[1]``.
    """
    h, w = values.shape
    nr, nc = min(h, PICK_MAX), min(w, PICK_MAX)
    re_, ce = _blocks(h, nr), _blocks(w, nc)
    sums = np.add.reduceat(np.add.reduceat(np.asarray(values, np.float64), re_[:-1], 0), ce[:-1], 1)
    means = sums / np.outer(np.diff(re_), np.diff(ce))  # (nr, nc)
    centre_r, centre_c = (re_[:-1] + re_[1:] - 1) // 2, (ce[:-1] + ce[1:] - 1) // 2
    top, left, rows, cols = current
    hit_r = (re_[1:] > top) & (re_[:-1] < top + rows)  # blocks overlapping the current box
    hit_c = (ce[1:] > left) & (ce[:-1] < left + cols)
    ii, jj = np.meshgrid(np.arange(nr), np.arange(nc), indexing="ij")
    data = {
        "i": ii.ravel().astype(np.int16),
        "j": jj.ravel().astype(np.int16),
        "row": centre_r[ii].ravel().astype(np.int32),
        "col": centre_c[jj].ravel().astype(np.int32),
        "value": np.round(means.ravel(), 4).astype(np.float32),
        "cur": (hit_r[ii] & hit_c[jj]).ravel(),
    }
    axis = {"type": "ordinal", "axis": None}
    scale = size / max(h, w)
    color = {
        "field": "value",
        "type": "quantitative",
        "scale": {"domain": list(domain), "range": list(colors), "clamp": True},
        "legend": None,
    }
    spec = {
        "width": max(40, round(w * scale)),
        "height": max(40, round(h * scale)),
        "title": {"text": title, "fontSize": 14},
        "layer": [
            {
                "params": [{"name": "pick", "select": {"type": "point", "fields": ["row", "col"]}}],
                "mark": {"type": "rect", "cursor": "pointer"},
                "encoding": {
                    "x": {"field": "j", **axis},
                    "y": {"field": "i", **axis},
                    "color": color,
                    "stroke": color,  # no hairline gaps between the blocks
                    "tooltip": [
                        {"field": "row", "title": "row"},
                        {"field": "col", "title": "column"},
                        {"field": "value", "title": "value (block mean)"},
                    ],
                },
            },
            {
                "transform": [{"filter": "datum.cur"}],
                "mark": {"type": "rect", "fill": None, "stroke": "#ff8c00", "strokeWidth": 3},
                "encoding": {"x": {"field": "j", **axis}, "y": {"field": "i", **axis}},
            },
        ],
        "config": {"view": {"stroke": None}, "scale": {"bandPaddingInner": 0}},
    }
    container.vega_lite_chart(
        pa.table(data),  # Arrow directly: ~100× cheaper than a dict or DataFrame here
        spec,
        key=key,
        on_select=functools.partial(_picked, key, on_pick, args),
        selection_mode="pick",
        width=spec["width"],
        height=spec["height"] + 30,  # room for the title
        alt=f"{title}: click a block to choose a position; the current one is outlined in orange",
    )


def _picked(key: str, on_pick, args: tuple) -> None:
    state = st.session_state.get(key)
    points = (state or {}).get("selection", {}).get("pick") or []
    if points:
        on_pick(int(points[0]["row"]), int(points[0]["col"]), *args)


def ramp(cmap: str, n: int = 11) -> list[str]:
    """``n`` evenly spaced colours of a colour map, for :func:`pick_chart`."""
    table = render.lut(cmap)
    return _hex(table[np.linspace(0, 255, n).round().astype(int)])


def loaded_note(count: int, every: bool) -> str:
    """The player's note on how many positions it holds."""
    if every:
        return "All positions are loaded."
    return (
        f"{count} positions around the chosen one are loaded; "
        "choose another position on the page to go further."
    )


# --------------------------------------------------------------------------- position controls


def set_position(key: str, row: int, col: int) -> None:
    """Callback: choose output position (row, col) for the lesson namespaced ``key``."""
    st.session_state[f"{key}.row"], st.session_state[f"{key}.col"] = int(row), int(col)


def move_position(key: str, delta: int) -> None:
    """Callback: previous/next output position in scan order (row by row, wrapping)."""
    out_h, out_w = st.session_state.get(f"{key}.out_shape", (1, 1))
    index = st.session_state[f"{key}.row"] * out_w + st.session_state[f"{key}.col"]
    index = (index + delta) % (out_h * out_w)
    set_position(key, *divmod(index, out_w))


def select_position(container, key: str, out_shape: tuple[int, int]) -> tuple[int, int]:
    """Row/column inputs and previous/next buttons for one output position.

    The stored position is clamped to ``out_shape`` first, so a setting that
    shrinks the output never leaves the inputs out of range. Session keys:
    ``{key}.row``, ``{key}.col``, ``{key}.out_shape``.
    """
    out_h, out_w = (int(n) for n in out_shape)
    st.session_state[f"{key}.out_shape"] = (out_h, out_w)
    for name, size in (("row", out_h), ("col", out_w)):
        value = int(st.session_state.get(f"{key}.{name}", 0))
        st.session_state[f"{key}.{name}"] = min(max(value, 0), size - 1)
    row = container.number_input("Output row", 0, out_h - 1, step=1, key=f"{key}.row")
    col = container.number_input("Output column", 0, out_w - 1, step=1, key=f"{key}.col")
    b1, b2 = container.columns(2)
    b1.button(
        "◀ Previous", on_click=move_position, args=(key, -1), key=f"{key}.prev", width="stretch"
    )
    b2.button("Next ▶", on_click=move_position, args=(key, 1), key=f"{key}.next", width="stretch")
    container.caption("Previous/next go row by row, like the player below.")
    return int(row), int(col)
