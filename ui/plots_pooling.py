"""Pictures and step-player frames for the pooling lesson.

The player is :mod:`ui.stepview`'s generic one; this module only describes
what a pooling step looks like in it:

- the input view is the map *with its padding* (and, in ceil mode, the cells a
  last window reads beyond the padding), padding drawn as padding;
- max pooling: one panel, the window, with the winner marked (also on the input);
  ``window → max → output``;
- average pooling: the window, its sum and the divisor;
  ``window Σ→ sum ÷ divisor = output``.

Every number in a frame comes from :func:`vizlib.pool_step`.
"""

from __future__ import annotations

import json

import numpy as np

import vizlib
from ui import cached, render, stepview
from ui.cached import digest
from vizlib.conv import format_number

__all__ = ["Canvas", "canvas", "colours", "pool_frames", "pool_stepview"]

_PAD_TINT = np.array([255, 176, 0], dtype=np.float32)  # amber, as in ui.stepview
_PAD_BASE = np.array([214, 214, 214], dtype=np.float32)  # what a -inf cell is drawn over
_NEUTRAL = "#eef0f4"  # sum and divisor cells
#: Positions per cached block of frames (ui.stepview uses 128 for convolution): the
#: player gets two blocks, 128 positions, ~25 s of animation at 5 steps/s.
BLOCK = 64
#: Big windows get smaller blocks (every tap is a formatted number in a frame).
TAPS_PER_BLOCK = 1024


def _hex(rgb: np.ndarray) -> list:
    """(..., 3) uint8 -> nested lists of '#rrggbb'."""
    flat = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb.reshape(-1, 3).tolist()]
    return np.array(flat, dtype=object).reshape(rgb.shape[:-1]).tolist()


def colours(values: np.ndarray, padding: np.ndarray, *, cmap: str, scale: tuple) -> np.ndarray:
    """Colour cells as the lesson draws the map; padding cells tinted amber.

    ``cmap`` is a matplotlib colour map name ("RdBu_r" over ``(-lim, lim)`` for a
    signed feature map, "viridis" over ``(0, max)`` after ReLU, "gray" for an
    image), spread over ``scale = (lo, hi)``. Returns (..., 3) uint8.
    """
    lo, hi = scale
    span = hi - lo if hi > lo else 1.0
    shown = np.where(np.isfinite(values), values, lo)
    idx = np.clip((shown - lo) * (255.0 / span) + 0.5, 0, 255).astype(np.uint8)
    rgb = render.lut(cmap)[idx].astype(np.float32)  # (..., 3)
    # Padding reads as padding, whatever it holds (-inf or 0): light grey tinted amber.
    rgb = np.where(padding[..., None], 0.55 * _PAD_BASE + 0.45 * _PAD_TINT, rgb)
    return rgb.astype(np.uint8)


class Canvas:
    """The input as the windows see it: padding around it, and any ceil-mode overhang.

    Attributes
    ----------
    values : ndarray, shape (R, C)
        Input values inside; -inf (max) or 0 (avg) outside.
    outside : ndarray of bool, shape (R, C)
        True for padding (and overhang) cells.
    top, left : int
        Where input row 0, column 0 sits in the canvas (the padding).
    overhang : (int, int)
        Rows and columns read beyond the padded input (ceil mode only).
    """

    def __init__(self, x: np.ndarray, out_shape, *, kernel_size, stride, padding, dilation, fill):
        h, w = x.shape
        k, s, p, d = kernel_size, stride, padding, dilation
        span = d * (k - 1) + 1
        rows = max(h + 2 * p, (out_shape[0] - 1) * s + span)
        cols = max(w + 2 * p, (out_shape[1] - 1) * s + span)
        self.values = np.full((rows, cols), fill, dtype=np.float64)
        self.values[p : p + h, p : p + w] = x
        self.outside = np.ones((rows, cols), dtype=bool)
        self.outside[p : p + h, p : p + w] = False
        self.top = self.left = p
        self.overhang = (rows - (h + 2 * p), cols - (w + 2 * p))


def canvas(x, out_shape, *, mode, kernel_size, stride, padding, dilation) -> Canvas:
    """Build the :class:`Canvas` of ``x`` for max (-inf outside) or avg (0 outside)."""
    fill = -np.inf if mode == "max" else 0.0
    return Canvas(
        np.asarray(x, np.float64),
        out_shape,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        fill=fill,
    )


def pool_frames(
    x: np.ndarray,
    positions,
    *,
    mode: str,
    kernel_size: int,
    stride: int,
    padding: int,
    dilation: int,
    ceil_mode: bool,
    count_include_pad: bool,
    cmap: str,
    scale: tuple,
) -> list[dict]:
    """One player frame per output position, every number from :func:`vizlib.pool_step`.

    Frames follow :mod:`ui.stepview`'s format; ``taps`` and ``marks`` are in
    canvas coordinates (input coordinates + padding). ``marks`` holds the
    winner of a max window.
    """
    settings = dict(
        mode=mode,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
    )
    if mode == "max":
        settings["dilation"] = dilation
    else:
        settings["count_include_pad"] = count_include_pad
    steps = [vizlib.pool_step(x, int(row), int(col), **settings) for row, col in positions]
    windows = np.stack([step.window for step in steps])  # (N, k, k)
    pads = np.stack([step.is_padding for step in steps])  # (N, k, k)
    hexes = _hex(colours(windows, pads, cmap=cmap, scale=scale))  # one pass for all frames
    frames = []
    for step, pad, colors in zip(steps, pads, hexes, strict=True):
        window = {
            "cells": [[format_number(v) for v in r] for r in step.window],
            "colors": colors,
            "pad": pad.astype(int).tolist() if pad.any() else None,
            "mark": None,
        }
        frame = {
            "pos": [step.row, step.col],
            "taps": np.stack([step.tap_rows + padding, step.tap_cols + padding], axis=-1)
            .reshape(-1, 2)
            .tolist(),
            "panels": [window],
            "expression": step.expression(),
            "result": format_number(step.value),
        }
        if mode == "max":
            if step.winner is not None:
                hit = (step.tap_rows == step.winner[0]) & (step.tap_cols == step.winner[1])
                window["mark"] = np.argwhere(hit).tolist()[:1]
                frame["marks"] = [[step.winner[0] + padding, step.winner[1] + padding]]
        else:
            frame["panels"] += [
                {"cells": [[format_number(step.total)]], "colors": [[_NEUTRAL]], "pad": None},
                {"cells": [[str(step.divisor)]], "colors": [[_NEUTRAL]], "pad": None},
            ]
        frames.append(frame)
    return frames


@cached.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _pool_block(x_key: str, params: tuple, first: int, stop: int, out_w: int, _x) -> str:
    """Frames of scan positions ``first`` to ``stop - 1`` as JSON text (cheap to cache)."""
    keys = ("mode", "kernel_size", "stride", "padding", "dilation", "ceil_mode")
    keys += ("count_include_pad", "cmap", "scale")
    positions = [divmod(i, out_w) for i in range(first, stop)]
    frames = pool_frames(_x, positions, **dict(zip(keys, params, strict=True)))
    return json.dumps(frames, separators=(",", ":"))[1:-1]  # without the brackets


def _view(values, outside, *, label, cmap, scale, inner=None) -> dict:
    rgb = colours(values, outside, cmap=cmap, scale=scale)
    if max(values.shape) <= stepview.CELL_MODE_MAX:
        texts = [[format_number(v) for v in r] for r in values]
        pad = outside.astype(int).tolist() if outside.any() else None
        return stepview.cells_view(texts, _hex(rgb), label=label, pad=pad, inner=inner)
    return stepview.image_view(rgb, label=label, inner=inner)


@cached.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _views(x_key: str, out_key: str, params: tuple, labels: tuple, _x, _out) -> tuple:
    mode, kernel_size, stride, padding, dilation, cmap, scale = params
    input_label, output_label = labels
    board = canvas(
        _x,
        _out.shape,
        mode=mode,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    rows, cols = board.values.shape
    shape = f"{rows}×{cols}"
    if padding or any(board.overhang):
        input_label = f"{input_label}, padded: {shape}"
    else:
        input_label = f"{input_label}: {shape}"
    inner = (board.top, board.left, _x.shape[0], _x.shape[1])
    kw = dict(cmap=cmap, scale=scale)
    input_view = _view(board.values, board.outside, label=input_label, inner=inner, **kw)
    out_h, out_w = _out.shape
    no_pad = np.zeros(_out.shape, dtype=bool)
    output_view = _view(_out, no_pad, label=f"{output_label}: {out_h}×{out_w}", **kw)
    return input_view, output_view


def pool_stepview(
    x: np.ndarray,
    pooled: np.ndarray,
    row: int,
    col: int,
    *,
    mode: str,
    kernel_size: int,
    stride: int,
    padding: int,
    dilation: int = 1,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    cmap: str,
    scale: tuple,
    input_label: str = "Input",
    output_label: str = "Pooled",
    alt: str = "Step-by-step player",
    peek: tuple[int, int] | None = None,
) -> dict:
    """Build the step player's data for one pooling layer, starting at ``(row, col)``.

    ``pooled`` is what :func:`vizlib.max_pool2d`/``avg_pool2d`` computed with the
    same settings. ``cmap`` and ``scale`` colour the cells as the page draws
    the input map (see :func:`colours`).
    """
    x = np.asarray(x)
    out_h, out_w = (int(n) for n in pooled.shape)
    scale = (float(scale[0]), float(scale[1]))
    x_key = digest(x)
    view_params = (mode, kernel_size, stride, padding, dilation, cmap, scale)
    input_view, output_view = _views(
        x_key, digest(pooled), view_params, (input_label, output_label), x, pooled
    )
    block = max(16, min(BLOCK, TAPS_PER_BLOCK // kernel_size**2))  # big windows: fewer frames
    positions, start = stepview.scan_positions((out_h, out_w), row, col, block=block)
    params = (mode, kernel_size, stride, padding, dilation, bool(ceil_mode))
    params += (bool(count_include_pad), cmap, scale)
    first = positions[0][0] * out_w + positions[0][1]
    stop = first + len(positions)
    parts = [
        _pool_block(x_key, params, b, min(stop, b + block), out_w, x)
        for b in range(first, stop, block)
    ]
    every = len(positions) == out_h * out_w
    more = stepview.extra_range(out_w, out_h * out_w, block, first, stop, peek)
    extra = "[]" if more is None else "[" + _pool_block(x_key, params, *more, out_w, x) + "]"
    span = (dilation * (kernel_size - 1) + 1,) * 2
    if mode == "max":
        titles, operators, result_operator = ("Window (winner outlined)",), (), "→ max →"
    else:
        titles = ("Window (padding = 0)" if padding else "Window", "Sum", "Divisor")
        operators, result_operator = ("Σ →", "÷"), "="
    return stepview.build_player(
        input_view=input_view,
        output_view=output_view,
        panel_titles=titles,
        operators=operators,
        result_operator=result_operator,
        frames="[" + ",".join(parts) + "]",
        start=start,
        loop=every,
        note=stepview.loaded_note(len(positions), every),
        alt=alt,
        extra=extra,
        geometry=stepview.geometry((out_h, out_w), stride, span, block),
    )
