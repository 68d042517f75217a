"""Animated GIF of the sliding window: one frame per multiply-add, the running sum written.

:func:`sliding_window_gif` draws the input grid (numbers in the cells), the
window outlined and the current tap filled, the output grid filling up, and
below them the product of the tap and the running sum. Every number comes
from :func:`vizlib.conv_step` (its window, weights, products and total); the
running sum adds the step's products in scan order and its last value is the
step's total. The texts of every frame are returned too (tests read them;
the page shows them as text beside the download).
"""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

import vizlib
from vizlib.conv import format_number

__all__ = ["MAX_SIDE", "gif_download", "sliding_window_gif"]

MAX_SIDE = 10  # inputs up to 10×10 (a GIF of a photo would be thousands of frames)
CELL = 44
TAP_MS, SUM_MS = 350, 1400  # a multiply-add; the finished window (held longer)


_FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"  # has × and −


def _font(size: int):
    try:
        return ImageFont.truetype(str(_FONT), size)
    except OSError:  # pragma: no cover - matplotlib always ships it
        return ImageFont.load_default(size=size)


def sliding_window_gif(
    x: np.ndarray,
    weight: np.ndarray,
    *,
    stride: int = 1,
    padding=0,
    dilation: int = 1,
    padding_mode: str = "zeros",
) -> tuple[bytes, list[str]]:
    """The GIF and the text written on each frame.

    Parameters
    ----------
    x : ndarray, shape (H, W)
        A small input (at most :data:`MAX_SIDE` per side).
    weight : ndarray, shape (kH, kW)
        The kernel as multiplied (already flipped for a true convolution).

    Raises
    ------
    ValueError
        The input is larger than ``MAX_SIDE``, or vizlib refuses the settings.
    """
    x = np.asarray(x, dtype=np.float64)  # (H, W)
    weight = np.asarray(weight, dtype=np.float64)  # (kH, kW)
    h, w = x.shape
    if max(h, w) > MAX_SIDE:
        raise ValueError(
            f"the GIF is made for small inputs (at most {MAX_SIDE}×{MAX_SIDE}); got {h}×{w}"
        )
    args = dict(stride=stride, padding=padding, dilation=dilation, padding_mode=padding_mode)
    out = vizlib.conv2d(x, weight, **args)  # (H', W')
    out_h, out_w = out.shape
    steps = [vizlib.conv_step(x, weight, r, c, **args) for r in range(out_h) for c in range(out_w)]
    pad = max(
        0, -min(int(s.tap_rows.min()) for s in steps), -min(int(s.tap_cols.min()) for s in steps)
    )
    pad_b = max(0, max(int(s.tap_rows.max()) for s in steps) - (h - 1))
    pad_r = max(0, max(int(s.tap_cols.max()) for s in steps) - (w - 1))

    font, small = _font(18), _font(15)
    grid_w, grid_h = (w + pad + pad_r) * CELL, (h + pad + pad_b) * CELL
    gap = CELL
    width = max(grid_w + gap + out_w * CELL, 520) + 2 * 16
    top = 36
    height = top + max(grid_h, out_h * CELL) + 100
    x0, y0 = 16, top
    ox = x0 + grid_w + gap
    frames: list[Image.Image] = []
    texts: list[str] = []
    durations: list[int] = []
    done: dict[tuple[int, int], str] = {}

    for s in steps:
        products = np.asarray(s.products[0])  # (kH, kW)
        window = np.asarray(s.window[0])
        weights = np.asarray(s.weights[0])
        kh, kw = products.shape
        running = 0.0
        for i in range(kh * kw):
            a, b = divmod(i, kw)
            running += float(products[a, b])
            last = i == kh * kw - 1
            line1 = (
                f"Output row {s.row}, column {s.col}: tap {i + 1} of {kh * kw}: "
                f"{format_number(window[a, b])} × {format_number(weights[a, b])} = "
                f"{format_number(products[a, b])}"
            )
            total = float(s.total) if last else running
            line2 = (
                f"sum = {format_number(total)} = output ({s.row}, {s.col})"
                if last
                else f"running sum = {format_number(running)}"
            )
            img = Image.new("RGB", (width, height), "white")
            d = ImageDraw.Draw(img)
            d.text((x0, 8), f"Input {h}×{w}", fill="black", font=small)
            d.text((ox, 8), f"Output {out_h}×{out_w}", fill="black", font=small)
            for r in range(-pad, h + pad_b):
                for c in range(-pad, w + pad_r):
                    px, py = x0 + (c + pad) * CELL, y0 + (r + pad) * CELL
                    inside = 0 <= r < h and 0 <= c < w
                    d.rectangle(
                        (px, py, px + CELL, py + CELL),
                        fill="white" if inside else "#dddddd",
                        outline="#999999",
                    )
                    if inside:
                        d.text(
                            (px + CELL / 2, py + CELL / 2),
                            format_number(x[r, c]),
                            fill="black",
                            font=font,
                            anchor="mm",
                        )
            for rr, cc in np.ndindex(kh, kw):
                tr, tc = int(s.tap_rows[rr, cc]), int(s.tap_cols[rr, cc])
                px, py = x0 + (tc + pad) * CELL, y0 + (tr + pad) * CELL
                colour = "#f58518" if (rr, cc) == (a, b) else "#4c78a8"
                d.rectangle((px + 2, py + 2, px + CELL - 2, py + CELL - 2), outline=colour, width=3)
                if (rr, cc) == (a, b) and not (0 <= tr < h and 0 <= tc < w):
                    d.text(
                        (px + CELL / 2, py + CELL / 2),
                        format_number(window[a, b]),
                        fill="#555555",
                        font=font,
                        anchor="mm",
                    )
            shown = dict(done)
            shown[(s.row, s.col)] = format_number(total)
            for r in range(out_h):
                for c in range(out_w):
                    px, py = ox + c * CELL, y0 + r * CELL
                    current = (r, c) == (s.row, s.col)
                    d.rectangle(
                        (px, py, px + CELL, py + CELL),
                        fill="#fde8d4" if current else "white",
                        outline="#f58518" if current else "#999999",
                        width=3 if current else 1,
                    )
                    if (r, c) in shown:
                        d.text(
                            (px + CELL / 2, py + CELL / 2),
                            shown[(r, c)],
                            fill="black",
                            font=font,
                            anchor="mm",
                        )
            base = y0 + max(grid_h, out_h * CELL) + 14
            d.text((x0, base), line1, fill="black", font=small)
            d.text((x0, base + 28), line2, fill="black", font=font)
            frames.append(img.quantize(colors=16, method=Image.Quantize.FASTOCTREE))
            texts.append(f"{line1}\n{line2}")
            durations.append(SUM_MS if last else TAP_MS)
        done[(s.row, s.col)] = format_number(s.total)

    buf = io.BytesIO()
    frames[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        optimize=False,
        disposal=1,
    )
    return buf.getvalue(), texts


def _gif_bytes(x, weight, args) -> bytes:
    return sliding_window_gif(x, weight, **args)[0]


def gif_download(
    container, key: str, x: np.ndarray, weight: np.ndarray, *, after: str = "", **args
) -> str:
    """A download of the GIF (built on click) for ``x`` if small, else the tutorial's example.

    Returns what the GIF shows (also written in the caption). ``after``: a
    further paragraph for the same caption (one element instead of two).
    """
    if max(np.shape(x)) <= MAX_SIDE:
        what = f"this {np.shape(x)[0]}×{np.shape(x)[1]} input with these settings"
    else:
        x = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)
        weight, args = vizlib.KERNELS["vertical_edge"].weights, {}
        what = "the tutorial's 5×5 grid with the vertical-edge kernel (this image is too big)"
    container.download_button(
        "Download the sliding window as an animated GIF",
        partial(_gif_bytes, x, weight, args),
        file_name="sliding_window.gif",
        mime="image/gif",
        key=f"{key}.dl_gif",
        on_click="ignore",
        icon=":material/animation:",
    )
    container.caption(
        f"The GIF shows {what}: one frame per multiply-add, the product and the running sum "
        "written under the grids, the output filling up (a GIF cannot be paused: the step "
        "player above can)." + (f"\n\n{after}" if after else "")
    )
    return what
