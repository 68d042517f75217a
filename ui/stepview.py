"""A step-by-step player for sliding-window operations, played in the browser.

The server precomputes a bounded sequence of *frames* (one per output
position, in scan order) and sends them with two small pictures, the
(padded) input and the output map, to ONE in-page component (Streamlit's
``st.components.v2``, no iframe). Play, pause, previous/next and the speed
control run in the browser, so an animation at 5–20 steps per second needs no
server rerun per step. Pointing at the input or the output previews that
position's window and sum at once (any loaded position, no rerun); a click
chooses it for the page. The
component's page elements live across reruns and only redraw what changed, so
a rerun costs the browser little. No network access and no external JavaScript:
everything is inline.

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
:func:`build_player` makes the player's data; :func:`show` puts it on the page.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence

import numpy as np
import streamlit as st
from PIL import Image

import vizlib
from ui import cached, presentation, render
from ui.cached import digest
from vizlib.conv import format_number

__all__ = [
    "BLOCK",
    "CELL_MODE_MAX",
    "block_size",
    "build_player",
    "cells_view",
    "conv_frames",
    "conv_stepview",
    "extra_range",
    "forget_peek",
    "frames_of",
    "geometry",
    "image_view",
    "pad_amounts",
    "padded_input",
    "peek",
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
    block of ``block`` scan-order positions holding ``(row, col)``: the player
    asks for the next block itself as playing or stepping nears the end (one
    block, not two, to compute on every new setting). Always whole blocks, so
    they cache.
    """
    out_h, out_w = out_shape
    total = out_h * out_w
    index = row * out_w + col
    if total <= 2 * block:
        first, stop = 0, total
    else:
        first = index // block * block
        stop = min(total, first + block)
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
    order: str = "rows",
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
    order : {"rows", "columns"}, optional
        The order of the terms in ``expression`` (:meth:`vizlib.ConvStep.expression`).

    Returns
    -------
    list of dict
        Frames as described in the module docstring: panels window, kernel,
        products; ``expression`` is exactly ``ConvStep.expression(order=order)`` and
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
                "expression": step.expression(order=order),
                "result": format_number(step.total),
            }
        )
    return frames


@cached.cache_data(max_entries=64, ttl=3600, show_spinner=False)
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
    stride, padding, dilation, padding_mode, cmap, value_range, order = params
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
        order=order,
    )
    return json.dumps(frames, separators=(",", ":"))[1:-1]  # without the brackets


@cached.cache_data(max_entries=16, ttl=3600, show_spinner=False)
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
    alt: str = "Step-by-step player: the window, kernel, products and sum",
    peek: tuple[int, int] | None = None,
    order: str = "rows",
) -> dict:
    """Build the player's data for a 2-D convolution, starting at ``(row, col)``.

    ``feature_map`` is the map :func:`vizlib.conv2d` computed with the same
    settings (drawn as the output view). Frames are cached in blocks of
    :func:`block_size` positions, keyed on the input's full digest and the settings.
    ``peek``: an output position the pointer asked for (:func:`peek`); its block
    comes as extra frames to preview. ``order``: how each frame writes its sum
    (:meth:`vizlib.ConvStep.expression`).
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
    value_range = (float(x.min()), float(x.max()))
    params = (stride, padding, dilation, padding_mode, cmap, value_range, order)
    first = positions[0][0] * out_w + positions[0][1]
    stop = first + len(positions)
    parts = [
        _conv_block(x_key, w_key, params, b, min(stop, b + block), out_w, x, weight)
        for b in range(first, stop, block)
    ]
    every = len(positions) == out_h * out_w
    more = extra_range(out_w, out_h * out_w, block, first, stop, peek)
    extra = (
        "[]"
        if more is None
        else "[" + _conv_block(x_key, w_key, params, more[0], more[1], out_w, x, weight) + "]"
    )
    d = (dilation, dilation) if np.isscalar(dilation) else tuple(dilation)
    span = tuple(d[a] * (weight.shape[a] - 1) + 1 for a in (0, 1))
    return build_player(
        extra=extra,
        geometry=geometry((out_h, out_w), stride, span, block),
        input_view=input_view,
        output_view=output_view,
        panel_titles=("Window (input values)", "Kernel (weights)", "Products"),
        operators=("×", "="),
        frames="[" + ",".join(parts) + "]",
        start=start,
        loop=every,
        note=loaded_note(len(positions), every),
        alt=alt,
    )


# --------------------------------------------------------------------------- the player

_CSS = """
:host { --fg: var(--st-text-color, #262730);
  --muted: color-mix(in srgb, var(--st-text-color, #262730) 72%, transparent);
  --line: var(--st-border-color, #c9ccd6);
  --btn: var(--st-secondary-background-color, #f0f2f6); --hi: #ff8c00; }
.player { color: var(--fg); font-family: var(--st-font, "Source Sans Pro", system-ui, sans-serif);
  font-size: 17px; outline: none; }
.bar { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; margin:.25rem 0 .6rem; }
button { font:inherit; color:var(--fg); background:var(--btn); border:1px solid var(--line);
  border-radius:.5rem; padding:.3rem .8rem; cursor:pointer; min-width:5.5rem; }
button:focus-visible, input:focus-visible, .player:focus-visible {
  outline:3px solid var(--hi); outline-offset:2px; }
button[aria-pressed=true] { border-color:var(--hi); }
.where { font-weight:600; margin-left:.5rem; }
.peek .where { text-decoration:underline dotted var(--hi) 3px; text-underline-offset:4px; }
.loading .stage > figure:not(:first-child):not(:last-child), .loading .expr { opacity:.45; }
.muted { color:var(--muted); font-size:.85rem; }
.stage { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; padding:6px; }
figure { margin:0; display:flex; flex-direction:column; align-items:center; gap:.3rem;
  width:min-content; }
figcaption { font-size:.85rem; color:var(--muted); text-align:center; min-width:6rem; }
.op { font-size:1.7rem; font-weight:700; color:var(--muted); }
.pic { position:relative; cursor:crosshair; }
.pic img { display:block; image-rendering:pixelated; width:100%; height:100%; }
.box { position:absolute; box-sizing:border-box; pointer-events:none; }
.inner { border:2px dashed var(--muted); }
.win { border:3px solid var(--hi); box-shadow:0 0 0 1px #000, inset 0 0 0 1px #000; }
.tap { background:rgba(255,176,0,.55); outline:1px solid #000; }
.guide { background:rgba(255,140,0,.16); }
.grid { display:grid; gap:2px; }
.pickable .cell { cursor:pointer; }
.cell { display:flex; align-items:center; justify-content:center; box-sizing:border-box;
  border-radius:3px; font-variant-numeric:tabular-nums; border:1px solid rgba(128,128,128,.35); }
.cell.pad { background-image:repeating-linear-gradient(45deg, rgba(0,0,0,.18) 0 3px,
  transparent 3px 7px); border:1px dashed #000; }
.cell.on { outline:3px solid var(--hi); outline-offset:-1px; box-shadow:0 0 0 4px #000; z-index:1; }
.cell.mark, .cell.on.mark { font-weight:700; outline:3px solid #000; outline-offset:-1px;
  box-shadow:0 0 0 3px #fff, 0 0 0 6px #000; z-index:2; }
.best { border:3px solid #000; box-shadow:0 0 0 2px #fff, inset 0 0 0 2px #fff; }
.expr { font-family:"Source Code Pro",ui-monospace,monospace; font-size:1rem; line-height:1.5;
  white-space:pre-wrap; overflow-wrap:anywhere; margin:.6rem 0 0; }
.expr b { font-size:1.15rem; }
.player.large { font-size:21px; }
.large figcaption, .large .muted { font-size:1.05rem; }
.large .expr { font-size:1.25rem; }
"""

# The player runs in the page (a Streamlit v2 component, no iframe). Its DOM lives
# across reruns: a rerun hands it new data, and it only redraws what changed
# (the two pictures are kept when their source is the same).
_JS = r"""
function ink(hex) {  // readable text on a coloured cell
  const n = parseInt(hex.slice(1), 16), r = n >> 16, g = (n >> 8) & 255, b = n & 255;
  return (0.299 * r + 0.587 * g + 0.114 * b) > 140 ? '#000' : '#fff';
}
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function cellGrid(host, v, size, large) {
  host.replaceChildren();
  host.style.gridTemplateColumns = `repeat(${v.cols}, ${size}px)`;
  const longest = Math.max(2, ...v.cells.flat().map(t => t.length));
  const fs = Math.max(8, Math.min(large ? 26 : 18, Math.floor(size * 1.75 / longest)));
  const cells = [];
  for (let r = 0; r < v.rows; r++) for (let c = 0; c < v.cols; c++) {
    const d = el('div', 'cell' + (v.pad && v.pad[r][c] ? ' pad' : ''), v.cells[r][c]);
    d.style.width = d.style.height = size + 'px';
    d.style.fontSize = fs + 'px';
    d.style.background = v.colors[r][c];
    d.style.color = ink(v.colors[r][c]);
    d.dataset.r = r; d.dataset.c = c;
    host.appendChild(d); cells.push(d);
  }
  return cells;
}

class Player {
  constructor(root) {
    this.root = root; this.timer = null; this.i = 0; this.S = null;
    this.sizes = null; this.trigger = () => {};
    root.className = 'player'; root.tabIndex = 0;
    root.addEventListener('keydown', (e) => this.key(e));
    let lastWidth = 0, refit = null;
    new ResizeObserver(() => {  // the column may get its final width after mounting
      if (!this.S || Math.abs(root.clientWidth - lastWidth) < 2) return;
      lastWidth = root.clientWidth;
      clearTimeout(refit); refit = setTimeout(() => this.fit(), 60);
    }).observe(root);
  }
  $(id) { return this.root.querySelector('#' + id); }

  update(data) {
    const old = this.S;
    const frames = old && data.frames === old.framesText ? old.frames : JSON.parse(data.frames);
    const extra = old && data.extra === old.extraText ? old.extra : JSON.parse(data.extra || '[]');
    const S = {...data, framesText: data.frames, frames, extraText: data.extra, extra};
    const same = old && old.input.src === S.input.src && old.output.src === S.output.src
      && JSON.stringify([old.panels, old.operators, old.input.cells, old.output.cells,
                         old.input.label, old.output.label, old.input.inner, old.large])
         === JSON.stringify([S.panels, S.operators, S.input.cells, S.output.cells,
                             S.input.label, S.output.label, S.input.inner, S.large]);
    if (same && this.IN && data.frames === old.framesText && data.start === old.start) {
      // The same data again (a redraw), or only a block asked for (by pointing, or by
      // stepping near the end): keep playing or previewing, and show what was waited for.
      this.S = S; this.grow(); this.reindex();
      this.asked = new Set();  // what is missing may be asked again
      this.root.classList.remove('loading');
      if (this.want && !this.timer) this.peekAt(this.want);  // the pointer is still there
      return;
    }
    this.stop();
    this.S = S; this.i = S.start; this.home = undefined; this.seq = frames.slice();
    this.want = null; this.asked = new Set(); clearTimeout(this.askTimer);
    this.root.classList.remove('peek', 'loading');
    this.reindex();
    if (same && this.IN) { this.show(this.i); this.note(); return; }
    this.skeleton(); this.fit();
  }

  // Every frame the player holds, by output position: the stepping frames win over
  // the extra ones (loaded only for previews).
  reindex() {
    this.index = new Map();
    for (const f of [...this.S.extra, ...this.seq]) this.index.set(f.pos + '', f);
  }
  // A position's index in scan order (row by row) over the whole output.
  scan(pos) { return pos[0] * this.S.geometry.out[1] + pos[1]; }
  // Stepping goes on into extra frames that continue the sequence (the next block, asked
  // for as playing or stepping nears the end: see more()); they stay until new data.
  grow() {
    const extra = this.S.extra, last = this.seq[this.seq.length - 1];
    if (!this.S.geometry || !extra.length) return;
    if (this.scan(extra[0].pos) === this.scan(last.pos) + 1) this.seq = this.seq.concat(extra);
  }
  // Near the end of the frames it can step through (and not all positions are loaded),
  // the player asks for the next block; stepping and playing go on when it arrives.
  more() {
    const g = this.S.geometry, seq = this.seq;
    if (!g || this.S.loop || seq.length - 1 - this.i > 24) return;
    const next = this.scan(seq[seq.length - 1].pos) + 1;
    const block = Math.floor(next / g.block);
    if (next >= g.out[0] * g.out[1] || this.asked.has(block)) return;
    this.asked.add(block);
    this.trigger('need', {row: Math.floor(next / g.out[1]), col: next % g.out[1]});
  }
  // Whether the block after the last steppable frame has been asked for (and not come).
  waiting() {
    const g = this.S.geometry;
    if (!g) return false;
    const next = this.scan(this.seq[this.seq.length - 1].pos) + 1;
    return this.asked.has(Math.floor(next / g.block));
  }

  skeleton() {
    const S = this.S, root = this.root;
    root.setAttribute('aria-label', S.alt);
    root.classList.toggle('large', !!S.large);  // presentation mode: bigger type and cells
    root.replaceChildren();
    const bar = el('div', 'bar'); bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-label', 'Step-by-step controls');
    const prev = el('button', '', '◀ Previous'); prev.id = 'prev';
    prev.setAttribute('aria-label', 'Previous position');
    const play = el('button', '', '▶ Play'); play.id = 'play';
    play.setAttribute('aria-pressed', 'false');
    const next = el('button', '', 'Next ▶'); next.id = 'next';
    next.setAttribute('aria-label', 'Next position');
    for (const b of [prev, play, next]) b.type = 'button';
    const lab = el('label', '', 'Speed'); lab.htmlFor = 'speed';
    const speed = el('input'); speed.id = 'speed'; speed.type = 'range';
    speed.min = 1; speed.max = 20; speed.step = 1; speed.value = this.fps || S.fps;
    speed.setAttribute('aria-label', 'Speed in steps per second');
    const fps = el('span', '', `${speed.value} steps/s`); fps.id = 'fps';
    const where = el('span', 'where'); where.id = 'where';
    const count = el('span', 'muted'); count.id = 'count';
    bar.append(prev, play, next, lab, speed, fps, where, count);
    const stage = el('div', 'stage');
    const fig = (id, caption) => {
      const f = el('figure'), host = el('div'); host.id = id;
      f.append(host, el('figcaption', '', caption)); return f;
    };
    const op = (t) => {
      const o = el('div', 'op', t); o.setAttribute('aria-hidden', 'true'); return o;
    };
    stage.append(fig('in', S.input.label + ' (highlighted: the window read)'), op('→'));
    S.panels.forEach((t, k) => {
      stage.append(fig('p' + k, t));
      if (k < S.operators.length) stage.append(op(S.operators[k]));
    });
    stage.append(op(S.result_operator),
                 fig('out', S.output.label + ' (highlighted: the value written)'));
    const expr = el('p', 'expr'); expr.id = 'expr'; expr.setAttribute('aria-live', 'polite');
    const note = el('p', 'muted'); note.id = 'note';
    root.append(bar, stage, expr, note);
    this.$('in').setAttribute('role', 'img'); this.$('out').setAttribute('role', 'img');
    play.onclick = () => this.play();
    prev.onclick = () => { this.stop(); if (this.S.loop || this.i > 0) this.show(this.i - 1); };
    next.onclick = () => {
      this.stop();
      if (this.S.loop || this.i < this.seq.length - 1) this.show(this.i + 1);
      this.more();
    };
    speed.oninput = () => { this.fps = +speed.value; fps.textContent = `${speed.value} steps/s`; };
    for (const [id, which] of [['in', 'input'], ['out', 'output']]) {
      const host = this.$(id);
      host.onclick = (e) => this.pick(e, which);
      host.onpointermove = (e) => this.peek(e, which);
      host.onpointerleave = () => this.unpeek();
    }
    this.note();
  }
  note() {
    this.$('note').textContent = 'Keys: ← → step, space play/pause. Point at the input or the '
      + 'output to preview a position, click to choose it. ' + this.S.note;
  }

  view(id, v, maxPx) {
    const host = this.$(id);
    host.setAttribute('aria-label', v.label);
    if (v.kind === 'cells') {
      const [lo, hi] = this.S.large ? [30, 64] : [22, 52];
      const size = Math.max(lo, Math.min(hi, Math.floor(maxPx / Math.max(v.rows, v.cols))));
      host.className = 'grid pickable';
      return {v, host, cells: cellGrid(host, v, size, this.S.large)};
    }
    const scale = maxPx / Math.max(v.rows, v.cols);
    host.className = 'pic';
    host.style.width = Math.round(v.cols * scale) + 'px';
    host.style.height = Math.round(v.rows * scale) + 'px';
    const img = el('img'); img.alt = ''; img.src = v.src; img.draggable = false;
    host.replaceChildren(img);
    const box = (cls, r, c, nr, nc, min) => {
      const b = el('div', 'box ' + cls);
      const bw = Math.max(min, nc * scale), bh = Math.max(min, nr * scale);
      b.style.left = (c * scale + nc * scale / 2 - bw / 2) + 'px';
      b.style.top = (r * scale + nr * scale / 2 - bh / 2) + 'px';
      b.style.width = bw + 'px'; b.style.height = bh + 'px';
      host.appendChild(b); return b;
    };
    if (v.inner && (v.inner[2] !== v.rows || v.inner[3] !== v.cols))
      box('inner', v.inner[0], v.inner[1], v.inner[2], v.inner[3], 0);
    return {v, host, scale, box, marks: []};
  }
  build(vsize, ps) {
    this.psize = ps;
    this.IN = this.view('in', this.S.input, vsize);
    this.OUT = this.view('out', this.S.output, vsize);
    this.show(this.i);
  }
  oneRow() {
    const figs = this.root.querySelectorAll('.stage > figure');
    const mid = (e) => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; };
    return Math.abs(mid(figs[figs.length - 1]) - mid(figs[0])) < 4;  // centred in one row
  }
  // Sizes: one row (input, panels, output) when it fits; shrink until it does, and
  // if cells would get too small, let the panels wrap below at a readable size.
  fit() {
    const S = this.S;
    const side = (p) => Math.max(p.cells.length, p.cells[0].length);
    const kmax = Math.max(...S.frames[0].panels.map(side));
    // Sizes that fitted before fit again (same width, same shapes): one build instead
    // of a shrinking loop of forced layouts. Remembered per shape, so switching back and
    // forth (stride 1 and 2, a 3×3 and a 5×5 kernel) measures each layout only once.
    const shape = [this.root.clientWidth, kmax, S.panels.length, S.input.rows, S.input.cols,
                   S.output.rows, S.output.cols, !!S.large].join();
    this.fitted = this.fitted || new Map();
    const known = this.fitted.get(shape);
    if (known) {
      this.build(known.vsize, known.ps);
      return;
    }
    // Panel cells: at least 20 px (30 px in presentation mode, read from the back of a room).
    const [lo, hi, reach] = S.large ? [30, 72, 560] : [20, 56, 420];
    let vsize = 300, ps = Math.min(hi, Math.max(lo, Math.floor(reach / kmax)));
    this.build(vsize, ps);
    for (let n = 0; n < 12 && !this.oneRow(); n++) {
      vsize = Math.max(150, Math.floor(vsize * 0.9));
      ps = Math.max(lo, Math.floor(ps * 0.9));
      this.build(vsize, ps);
      if (vsize === 150 && ps === lo) break;
    }
    if (!this.oneRow()) {  // too wide for one row: the panels wrap below, at a readable size
      vsize = 300;
      ps = S.large ? Math.min(60, Math.max(28, Math.floor(1200 / (3 * kmax))))
                   : Math.min(44, Math.max(18, Math.floor(900 / (3 * kmax))));
      this.build(vsize, ps);
    }
    if (this.fitted.size > 64) this.fitted.clear();
    this.fitted.set(shape, {vsize, ps});
  }

  highlight(view, taps) {
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
  show(k) {
    const n = this.seq.length;
    this.i = ((k % n) + n) % n;
    this.draw(this.seq[this.i]);
  }
  draw(f) {
    this.shown = f;
    // Where this window is among all the positions (scan order), not among those loaded.
    const g = this.S.geometry, num = (v) => v.toLocaleString('en-US');
    this.$('count').textContent = g
      ? `position ${num(this.scan(f.pos) + 1)} of ${num(g.out[0] * g.out[1])}`
      : `step ${this.seq.indexOf(f) + 1} of ${this.seq.length}`;
    f.panels.forEach((p, m) => {
      const host = this.$('p' + m);
      const v = {rows: p.cells.length, cols: p.cells[0].length,
                 cells: p.cells, colors: p.colors, pad: p.pad};
      const cells = cellGrid(host, v, this.psize, this.S.large);
      host.className = 'grid';
      (p.mark || []).forEach(([r, c]) => cells[r * v.cols + c].classList.add('mark'));
    });
    this.highlight(this.IN, f.taps);
    (f.marks || []).forEach(([r, c]) => {  // e.g. the winner of a max-pooling window
      if (this.IN.cells) {
        const d = this.IN.cells[r * this.IN.v.cols + c];
        if (d) d.classList.add('mark');
      }
      else this.IN.marks.push(this.IN.box('best', r, c, 1, 1, 8));
    });
    this.highlight(this.OUT, [f.pos]);
    this.$('where').textContent = `Output row ${f.pos[0]}, column ${f.pos[1]} = ${f.result}`;
    const expr = this.$('expr'), eq = f.expression.lastIndexOf(' = ');
    const head = eq >= 0 ? f.expression.slice(0, eq + 3) : f.expression;
    expr.replaceChildren(document.createTextNode(head));
    if (eq >= 0) expr.append(el('b', '', f.expression.slice(eq + 3)));
  }

  // The cell under the pointer, in the view's own coordinates (the input's are
  // those of the padded picture); null between cells.
  cellAt(e, which) {
    const view = which === 'input' ? this.IN : this.OUT;
    if (!view) return null;
    if (view.cells) {
      const d = e.target.closest('.cell');
      return d ? [+d.dataset.r, +d.dataset.c] : null;
    }
    const box = view.host.getBoundingClientRect();
    const r = Math.floor((e.clientY - box.top) / view.scale);
    const c = Math.floor((e.clientX - box.left) / view.scale);
    return [Math.min(Math.max(r, 0), view.v.rows - 1), Math.min(Math.max(c, 0), view.v.cols - 1)];
  }
  // The output position a cell stands for: on the output itself; on the input the
  // window centred nearest to it, as the page computes it for a click (Python's
  // round: halves to even). null without geometry (the input then previews nothing).
  positionAt(rc, which) {
    if (which === 'output') return rc;
    const g = this.S.geometry;
    if (!g) return null;
    const even = (v) => {  // Python's round()
      const f = Math.floor(v), d = v - f;
      return d > 0.5 ? f + 1 : d < 0.5 ? f : (f % 2 === 0 ? f : f + 1);
    };
    return [0, 1].map((a) => Math.min(Math.max(
      even((rc[a] - g.centre[a]) / g.stride[a]), 0), g.out[a] - 1));
  }
  // Pointing previews a position without a rerun; leaving goes back. A position the
  // player does not hold yet is asked for (its block of frames, once the pointer has
  // rested on it briefly) and shown when it arrives. A preview changes no sizes (only
  // texts of fixed-size cells, a dotted underline, an opacity): a layout shift under
  // the pointer would fire pointerleave and make the preview flicker.
  peek(e, which) {
    if (this.timer || !this.IN) return;
    const rc = this.cellAt(e, which);
    const pos = rc && this.positionAt(rc, which);
    if (!pos) { this.unpeek(); return; }
    this.want = pos;
    this.peekAt(pos);
  }
  peekAt(pos) {
    const f = this.index.get(pos + '');
    if (!f) { this.ask(pos); return; }
    clearTimeout(this.askTimer); this.root.classList.remove('loading');
    if (this.home === undefined) { this.home = this.i; this.root.classList.add('peek'); }
    if (f !== this.shown) this.draw(f);
  }
  ask(pos) {
    const g = this.S.geometry;
    clearTimeout(this.askTimer);
    if (!g) return;
    const block = Math.floor(this.scan(pos) / g.block);
    if (this.asked.has(block)) return;  // on its way
    this.askTimer = setTimeout(() => {
      this.asked.add(block); this.root.classList.add('loading');
      this.trigger('need', {row: pos[0], col: pos[1]});
    }, 120);
  }
  unpeek() {
    clearTimeout(this.askTimer); this.want = null; this.root.classList.remove('loading');
    if (this.home === undefined) return;
    const home = this.home;
    this.home = undefined; this.root.classList.remove('peek');
    if (!this.timer) this.show(home);
  }
  // A click on the input or output chooses a position for the page: the one being
  // previewed (what you see is what you get), else the cell under the pointer
  // (whole-array coordinates; the input's are unpadded, so padding gives -1 and the like).
  pick(e, which) {
    const rc = this.cellAt(e, which);
    if (!rc) return;
    clearTimeout(this.askTimer);
    if (this.home !== undefined) {  // a preview: keep it, and the page follows after the rerun
      const pos = this.shown.pos;
      this.home = undefined; this.want = null; this.stop();
      this.root.classList.remove('peek', 'loading');
      this.trigger('pick', {view: 'output', row: pos[0], col: pos[1]});
      return;
    }
    let [r, c] = rc;
    const view = which === 'input' ? this.IN : this.OUT;
    if (which === 'input' && view.v.inner) { r -= view.v.inner[0]; c -= view.v.inner[1]; }
    if (which === 'output') {  // show it at once when loaded; the page follows after the rerun
      const k = this.seq.findIndex(f => f.pos[0] === r && f.pos[1] === c);
      if (k >= 0) { this.stop(); this.show(k); }
    }
    this.trigger('pick', {view: which, row: r, col: c});
  }

  stop() {
    clearTimeout(this.timer); this.timer = null;
    const play = this.$('play');
    if (!play) return;
    play.textContent = '▶ Play'; play.setAttribute('aria-pressed', 'false');
    this.$('expr').setAttribute('aria-live', 'polite');
  }
  tick() {
    const delay = 1000 / +this.$('speed').value;
    this.more();
    if (!this.S.loop && this.i === this.seq.length - 1) {
      if (this.waiting() && (this.waited = (this.waited || 0) + 1) < 100) {
        this.timer = setTimeout(() => this.tick(), 50);  // the next block is on its way
        return;
      }
      this.stop(); return;
    }
    this.waited = 0;
    this.show(this.i + 1);
    this.timer = setTimeout(() => this.tick(), delay);
  }
  play() {
    if (this.timer) { this.stop(); return; }
    this.home = undefined; this.want = null; this.root.classList.remove('peek', 'loading');
    if (!this.S.loop && this.i === this.seq.length - 1 && !this.waiting()) this.show(0);
    this.$('play').textContent = '❚❚ Pause'; this.$('play').setAttribute('aria-pressed', 'true');
    this.$('expr').setAttribute('aria-live', 'off');
    this.timer = setTimeout(() => this.tick(), 1000 / +this.$('speed').value);
  }
  key(e) {
    if (e.target.tagName === 'INPUT') return;
    if (e.key === 'ArrowLeft') { e.preventDefault(); this.$('prev').click(); }
    else if (e.key === 'ArrowRight') { e.preventDefault(); this.$('next').click(); }
    else if ((e.key === ' ' || e.key === 'k') && e.target.tagName !== 'BUTTON') {
      e.preventDefault(); this.play();
    }
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let root = parentElement.querySelector('.player');
  if (!root) { root = document.createElement('div'); parentElement.appendChild(root); }
  if (!root.__player) root.__player = new Player(root);
  const player = root.__player;
  player.trigger = setTriggerValue;
  player.update(data);
  return () => player.stop();
}
"""

_PLAYER = st.components.v2.component("cnn_step_player", css=_CSS, js=_JS)


def build_player(
    *,
    input_view: dict,
    output_view: dict,
    panel_titles: Sequence[str],
    operators: Sequence[str],
    frames: list[dict] | str,
    start: int = 0,
    loop: bool = False,
    fps: int = 5,
    note: str = "",
    result_operator: str = "→Σ→",
    alt: str = "Step-by-step player",
    extra: list[dict] | str = "",
    geometry: dict | None = None,
) -> dict:
    """Return the player's data for ``frames`` (see the module docstring); :func:`show` draws it.

    ``operators`` go between the panels (``("×", "=")`` for window × kernel =
    products). ``frames`` may also be their JSON array as text; the data holds
    them as JSON text (``"frames"``), which the browser parses once.
    ``result_operator`` stands between the last panel and the output
    (``"→ max →"`` for max pooling). Every text is put on the page as text,
    never as HTML.

    ``extra`` frames (a list or its JSON text): a block the player asked for,
    previewed when the pointer is on one of its positions, and stepped through
    when it continues the frames. ``geometry`` (from :func:`geometry`) lets the
    player tell which output position a pointed input cell stands for, and ask
    for the block of frames holding a position it does not have (see
    :func:`show` and :func:`peek`); without it the player asks for nothing.
    """
    frames_json = frames if isinstance(frames, str) else json.dumps(frames, separators=(",", ":"))
    extra_json = extra if isinstance(extra, str) else json.dumps(extra, separators=(",", ":"))
    if frames_json.replace(" ", "") in ("", "[]"):
        raise ValueError("`frames` must hold at least one frame")
    return {
        "input": input_view,
        "output": output_view,
        "panels": [str(t) for t in panel_titles],
        "operators": [str(t) for t in operators],
        "result_operator": str(result_operator),
        "frames": frames_json,
        "start": int(start),
        "loop": bool(loop),
        "fps": int(min(20, max(1, fps))),
        "note": str(note),
        "alt": str(alt),
        "extra": extra_json or "[]",
        "geometry": geometry,
    }


def frames_of(player: dict) -> list[dict]:
    """The frames a :func:`build_player` result holds (for tests and exports)."""
    return json.loads(player["frames"])


def geometry(out_shape: tuple[int, int], stride, span: tuple[int, int], block: int) -> dict:
    """How output positions sit on the (padded) input, for the player's pointer.

    The window of output ``(r, c)`` starts at padded input cell ``(r·s, c·s)`` and
    spans ``span`` cells (``d·(k − 1) + 1`` per axis); frames come in scan-order
    blocks of ``block`` positions.
    """
    s = (stride, stride) if np.isscalar(stride) else tuple(stride)
    return {
        "out": [int(n) for n in out_shape],
        "stride": [int(n) for n in s],
        "centre": [(int(n) - 1) / 2 for n in span],
        "block": int(block),
    }


def peek(key: str, out_shape: tuple[int, int]) -> tuple[int, int] | None:
    """The output position the pointer asked the player ``key`` to load, if it still fits."""
    value = st.session_state.get(f"{key}.peek")
    if value is None:
        return None
    row, col = value
    return (row, col) if 0 <= row < out_shape[0] and 0 <= col < out_shape[1] else None


def forget_peek(key: str) -> None:
    """Drop the position the pointer asked player ``key`` for (call on a full rerun).

    A full rerun comes from the page's own controls (the player's requests rerun
    only its fragment), so settings may have changed: loading that block again
    would cost the rerun ~50 ms for a preview nobody is looking at.
    """
    st.session_state.pop(f"{key}.peek", None)


def extra_range(
    out_w: int, total: int, block: int, first: int, stop: int, at: tuple[int, int] | None
) -> tuple[int, int] | None:
    """Scan indices [start, stop) of the block holding position ``at``, if not in [first, stop)."""
    if at is None:
        return None
    b = (at[0] * out_w + at[1]) // block * block
    return None if first <= b < stop else (b, min(total, b + block))


def show(player: dict, *, key: str, on_pick=None, args: tuple = ()) -> None:
    """Put the player on the page (a v2 component in the page itself, no iframe).

    A click on its input or output calls ``on_pick(view, row, col, *args)``
    before the rerun, with ``view`` "input" (unpadded input coordinates, which
    may lie in the padding, e.g. −1) or "output" (output coordinates). When
    the pointer rests on a position the player does not hold, it asks for it:
    the position is kept under ``{key}.peek`` (see :func:`peek`) for the next
    run to load its block of frames as ``extra``; a click forgets it.
    """

    def needed() -> None:
        value = getattr(st.session_state.get(key), "need", None)
        try:
            st.session_state[f"{key}.peek"] = (int(value["row"]), int(value["col"]))
        except (KeyError, TypeError, ValueError):
            return  # a malformed message from the browser: ignore it

    def picked() -> None:
        st.session_state.pop(f"{key}.peek", None)
        value = getattr(st.session_state.get(key), "pick", None)
        if on_pick is not None and isinstance(value, dict):
            try:
                view, row, col = str(value["view"]), int(value["row"]), int(value["col"])
            except (KeyError, TypeError, ValueError):
                return  # a malformed message from the browser: ignore it
            if view in ("input", "output"):
                on_pick(view, row, col, *args)

    data = {**player, "large": presentation.is_on()}  # presentation mode: bigger type and cells
    _PLAYER(data=data, key=key, on_pick_change=picked, on_need_change=needed, height="content")


def loaded_note(count: int, every: bool) -> str:
    """The player's note on how many positions it holds."""
    if every:
        return "All positions are loaded."
    return (
        f"Positions are loaded {count} at a time, the next ones as you step or play; point "
        "at any other position to load and preview it."
    )


# --------------------------------------------------------------------------- position controls


_POSITION_WIDTH = 180  # px: an output row/column box with its − and + buttons


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
    """Row/column inputs and previous/next buttons for one output position, in one row.

    The stored position is clamped to ``out_shape`` first, so a setting that
    shrinks the output never leaves the inputs out of range. Session keys:
    ``{key}.row``, ``{key}.col``, ``{key}.out_shape``. One wrapping row (a
    horizontal container, not columns): it sits in the step fragment, which
    the browser redraws on every new position.
    """
    out_h, out_w = (int(n) for n in out_shape)
    st.session_state[f"{key}.out_shape"] = (out_h, out_w)
    for name, size in (("row", out_h), ("col", out_w)):
        value = int(st.session_state.get(f"{key}.{name}", 0))
        st.session_state[f"{key}.{name}"] = min(max(value, 0), size - 1)
    bar = container.container(horizontal=True, vertical_alignment="bottom")
    row = bar.number_input(
        "Output row", 0, out_h - 1, step=1, key=f"{key}.row", width=_POSITION_WIDTH
    )
    col = bar.number_input(
        "Output column", 0, out_w - 1, step=1, key=f"{key}.col", width=_POSITION_WIDTH
    )
    for label, delta, name in (("◀ Previous", -1, "prev"), ("Next ▶", 1, "next")):
        bar.button(
            label,
            on_click=move_position,
            args=(key, delta),
            key=f"{key}.{name}",
            width="content",
            help="Row by row, like the player below.",
        )
    return int(row), int(col)
