"""Fast array -> picture path: colour lookup, resize for display, encode.

matplotlib's imshow + savefig costs ~440 ms for a 1024² map (FACTS.md); a
colour lookup table, a nearest/area resize to the size actually displayed and
a fast PNG encode cost a few milliseconds. Matplotlib is used here only to
read colour maps, never to draw.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib import colormaps
from PIL import Image

import vizlib

__all__ = [
    "DIVERGING_CMAPS",
    "Picture",
    "color_scale",
    "colorbar_rows",
    "encode_png",
    "lut",
    "picture_of_image",
    "picture_of_map",
]

#: Diverging maps a student can pick; the first is the default. All are
#: colour-blind safe (ColorBrewer RdBu/PuOr; Crameri's berlin/vanimo).
DIVERGING_CMAPS = ("RdBu_r", "PuOr_r", "berlin", "vanimo")
SEQUENTIAL_CMAP = "viridis"

#: Small inputs are enlarged with visible pixel blocks up to this many pixels.
MIN_DISPLAY_SIDE = 320
#: Narrowest colour bar: its two pointed ends and a readable strip between them.
#: A narrower map (a tall thin upload, 300×7) is centred on transparent columns.
COLORBAR_MIN_WIDTH = 64


@dataclass(frozen=True)
class Picture:
    """An encoded picture and what it shows (for captions and alt text)."""

    png: bytes
    rows: int
    cols: int
    vmin: float
    vmax: float
    cmap: str


@lru_cache(maxsize=16)
def lut(cmap: str) -> np.ndarray:
    """Return a (256, 3) uint8 colour table for a matplotlib colour map name."""
    table = colormaps[cmap](np.linspace(0.0, 1.0, 256), bytes=True)  # (256, 4)
    table = np.ascontiguousarray(table[:, :3])
    table.setflags(write=False)
    return table


def color_scale(values: np.ndarray, *, view: str = "signed") -> tuple[float, float]:
    """Colour limits for a map: symmetric about zero for signed views.

    A per-map min–max stretch would hide the sign of the response; the
    signed view centres the colour map at zero so that white means 0.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (-1.0, 1.0) if view == "signed" else (0.0, 1.0)
    if view == "signed":
        m = float(np.max(np.abs(finite)))
        m = m if m > 0 else 1.0
        return -m, m
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def _display_factor(rows: int, cols: int, max_side: int) -> tuple[int, int]:
    """(block, step): enlarge small inputs by whole pixels, shrink large ones."""
    longest = max(rows, cols)
    if longest < MIN_DISPLAY_SIDE:
        return max(1, MIN_DISPLAY_SIDE // longest), 1
    return 1, max(1, int(np.ceil(longest / max_side)))


def _fit(rgb: np.ndarray, max_side: int) -> np.ndarray:
    rows, cols = rgb.shape[:2]
    block, step = _display_factor(rows, cols, max_side)
    if block > 1:
        return np.repeat(np.repeat(rgb, block, axis=0), block, axis=1)
    if step > 1:
        return rgb[::step, ::step]
    return rgb


#: Maps enlarged to at least this many pixels per value get a line around every cell:
#: a white cell (a zero on the diverging scale, a maximum in grey) stays visible on a
#: white page, and a student can count the cells of a 5×5 grid.
GRID_MIN_BLOCK = 8
_LINE = np.array([128, 128, 128], dtype=np.uint8)  # mid grey: seen on white and on black


def _map_indices(
    values: np.ndarray,
    vmin: float,
    vmax: float,
    *,
    levels: int,
    max_side: int,
    width: int | None,
    margin: int,
) -> np.ndarray:
    """The map as colour levels ``0 .. levels - 1`` laid out as it is drawn, (h, w) uint16.

    Large maps thinned to ``max_side``, small ones enlarged by whole pixels with
    ``levels`` (one past the last level) on the line around every cell (from
    :data:`GRID_MIN_BLOCK` px per value), then shrunk by nearest neighbour to
    ``width - 2 * margin`` px when wider. NaN is ``vmin``'s level.
    """
    scale = (levels - 1) / (vmax - vmin) if vmax > vmin else 0.0
    small = _fit(values, max_side) if max(values.shape) >= MIN_DISPLAY_SIDE else values
    idx = np.clip(np.nan_to_num((small - vmin) * scale, nan=0.0), 0, levels - 1)
    idx = idx.astype(np.uint16)  # (h, w)
    if max(values.shape) < MIN_DISPLAY_SIDE:
        idx = _fit(idx, max_side)
        block, _ = _display_factor(*values.shape, max_side)
        if block >= GRID_MIN_BLOCK:  # a few big cells: outline each one
            idx = idx.copy()
            idx[::block, :] = idx[:, ::block] = idx[-1, :] = idx[:, -1] = levels
    if width is not None and idx.shape[1] > max(1, width - 2 * margin):
        idx = _nearest(idx, max(1, width - 2 * margin))
    return idx


def encode_png(rgb: np.ndarray) -> bytes:
    """Encode a (H, W, 3), (H, W, 4) or (H, W) uint8 array as PNG with fast compression."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def colorbar_rows(width: int, cmap: str, *, low: bool = False, high: bool = False) -> np.ndarray:
    """A horizontal colour bar as RGBA rows ``(h, width, 4)``, to sit under a picture.

    Left = vmin, right = vmax. Both ends keep room for a pointed tip (as
    matplotlib's ``extend``); ``low``/``high`` draw it where values beyond the
    limit saturate, otherwise that room stays transparent, so the strip itself
    always spans the same columns. A transparent gap above separates it from the
    picture; transparency keeps it readable on light and dark pages alike.

    Raises
    ------
    ValueError
        If ``width`` is below :data:`COLORBAR_MIN_WIDTH` (no room for the ends
        and the strip); :func:`picture_of_map` widens narrow maps first.
    """
    if width < COLORBAR_MIN_WIDTH:
        raise ValueError(f"`width` must be at least {COLORBAR_MIN_WIDTH} px; got {width}")
    height = max(14, width // 20)
    tip = max(7, height * 2 // 3)
    gap = max(8, width // 40)
    strip_w = max(2, width - 2 * tip)
    table = lut(cmap)  # (256, 3)
    colours = table[np.linspace(0, 255, strip_w).round().astype(int)]  # (strip_w, 3)
    bar = np.zeros((height, width, 4), np.uint8)
    bar[:, tip : tip + strip_w, :3] = colours[None]
    bar[:, tip : tip + strip_w, 3] = 255
    half = (height - 1) / 2
    rows = np.abs(np.arange(height) - half)[:, None]  # distance from the middle row
    cols = np.arange(tip)[None, :]  # 0 at the point
    inside = rows <= (cols + 1) * (half + 0.5) / tip  # (height, tip): a triangle pointing out
    if low:
        bar[:, :tip][inside] = (*table[0], 255)
    if high:
        end = bar[:, tip + strip_w : tip + strip_w + tip]
        end[inside[:, ::-1][:, : end.shape[1]]] = (*table[255], 255)
    return np.concatenate([np.zeros((gap, width, 4), np.uint8), bar], axis=0)


def picture_of_map(
    values: np.ndarray,
    *,
    cmap: str = DIVERGING_CMAPS[0],
    vmin: float | None = None,
    vmax: float | None = None,
    view: str = "signed",
    max_side: int = 640,
    colorbar: tuple[bool, bool] | None = None,
    width: int | None = None,
    margin: int = 0,
) -> Picture:
    """Colour a 2-D map through a lookup table and encode it for display.

    Parameters
    ----------
    values : ndarray, shape (H, W)
        The map (NaN shown as the colour of ``vmin``).
    cmap : str
        matplotlib colour map name.
    vmin, vmax : float, optional
        Colour limits; default from :func:`color_scale` for ``view``.
    view : {"signed", "range"}
        "signed": limits symmetric about zero; "range": min to max.
    max_side : int
        Longest side of the encoded picture for large maps.
    colorbar : (low, high), optional
        Draw the colour bar under the map in the same picture (RGBA), with
        pointed ends where values below/above the limits saturate
        (:func:`colorbar_rows`). One picture on the page instead of two.
        A map narrower than the bar (:data:`COLORBAR_MIN_WIDTH`) is centred
        on transparent columns.
    width, margin : int, optional
        The picture as shown at ``width`` px with ``margin`` px of transparency
        left and right: the map shrunk to fit by nearest neighbour before its
        colour bar is drawn, then encoded once. ``panels.show_pictures(...,
        width=width)`` then shows it as it is, where a larger picture would be
        decoded, shrunk and encoded again on every new map (half the time of a
        stacking rerun with a new seed).
    """
    values = np.asarray(values, dtype=np.float32)  # (H, W)
    if vmin is None or vmax is None:
        vmin, vmax = color_scale(values, view=view)
    idx = _map_indices(
        values, vmin, vmax, levels=256, max_side=max_side, width=width, margin=margin
    )
    rgb = np.concatenate([lut(cmap), _LINE[None]])[idx]  # (h, w, 3); index 256: the lines
    if colorbar is not None or margin:
        rgb = np.concatenate([rgb, np.full((*rgb.shape[:2], 1), 255, np.uint8)], axis=2)
    if colorbar is not None:
        extra = max(0, COLORBAR_MIN_WIDTH - rgb.shape[1])  # (h, w, 4) -> (h, >= 64, 4)
        rgb = np.pad(rgb, ((0, 0), (extra // 2, extra - extra // 2), (0, 0)))
        bar = colorbar_rows(rgb.shape[1], cmap, low=colorbar[0], high=colorbar[1])
        rgb = np.concatenate([rgb, bar], axis=0)  # (h + gap + bar, w, 4)
    if margin:
        rgb = np.pad(rgb, ((0, 0), (margin, margin), (0, 0)))  # transparent columns
    return Picture(encode_png(rgb), values.shape[0], values.shape[1], vmin, vmax, cmap)


#: Palette pictures (:func:`indexed_picture_of_map`): colour levels, then the cell-line
#: grey (index LEVELS), then the transparent entry.
LEVELS = 254
_CLEAR_INDEX = LEVELS + 1


def indexed_picture_of_map(
    values: np.ndarray,
    *,
    cmap: str,
    vmin: float,
    vmax: float,
    max_side: int = 640,
    colorbar: tuple[bool, bool] | None = None,
    width: int | None = None,
    margin: int = 0,
) -> Picture:
    """:func:`picture_of_map` as a palette PNG: one byte per pixel, not four.

    The same picture (the map on ``vmin``..``vmax``, cell lines, colour bar,
    ``width`` and ``margin``) with the colour map in :data:`LEVELS` steps
    instead of 256, a difference no eye sees; encoding takes about a fifth of
    the time, which counts where every rerun draws many new maps (stacking:
    16 per new seed).
    """
    values = np.asarray(values, dtype=np.float32)  # (H, W)
    idx = _map_indices(
        values, vmin, vmax, levels=LEVELS, max_side=max_side, width=width, margin=margin
    ).astype(np.uint8)  # (h, w): palette indices, LEVELS on the cell lines
    table = _levels(cmap)
    if colorbar is not None:
        extra = max(0, COLORBAR_MIN_WIDTH - idx.shape[1])
        idx = np.pad(idx, ((0, 0), (extra // 2, extra - extra // 2)), constant_values=_CLEAR_INDEX)
        bar_idx = _bar_indices(idx.shape[1], cmap, bool(colorbar[0]), bool(colorbar[1]))
        idx = np.concatenate([idx, bar_idx], axis=0)
    if margin:
        idx = np.pad(idx, ((0, 0), (margin, margin)), constant_values=_CLEAR_INDEX)
    palette = np.concatenate([table, _LINE[None], np.zeros((1, 3), np.uint8)])  # (256, 3)
    image = Image.frombytes("P", idx.shape[::-1], np.ascontiguousarray(idx).tobytes())
    image.putpalette(palette.ravel().tolist())
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1, transparency=_CLEAR_INDEX)
    return Picture(buf.getvalue(), values.shape[0], values.shape[1], vmin, vmax, cmap)


@lru_cache(maxsize=16)
def _levels(cmap: str) -> np.ndarray:
    """The colour map in :data:`LEVELS` evenly spaced colours, (LEVELS, 3) uint8."""
    return lut(cmap)[np.linspace(0, 255, LEVELS).round().astype(int)]


@lru_cache(maxsize=64)
def _bar_indices(width: int, cmap: str, low: bool, high: bool) -> np.ndarray:
    """:func:`colorbar_rows` as palette indices of :func:`indexed_picture_of_map`.

    Cached: every map of a stage has the same bar.
    """
    bar = colorbar_rows(width, cmap, low=low, high=high)  # (h, width, 4) RGBA
    table = _levels(cmap)
    colours, where = np.unique(bar[..., :3].reshape(-1, 3), axis=0, return_inverse=True)
    gaps = colours[:, None, :].astype(np.int32) - table[None].astype(np.int32)
    nearest = np.argmin((gaps**2).sum(axis=2), axis=1)[where.ravel()].reshape(bar.shape[:2])
    out = np.where(bar[..., 3] > 0, nearest, _CLEAR_INDEX).astype(np.uint8)
    out.flags.writeable = False
    return out


def _nearest(rgb: np.ndarray, width: int) -> np.ndarray:
    """Shrink (h, w, c) pixels to ``width`` columns by nearest neighbour, at least 1 row."""
    rows, cols = rgb.shape[:2]
    height = max(1, round(rows * width / cols))
    r = ((np.arange(height) + 0.5) * rows / height).astype(np.intp)  # (height,)
    c = ((np.arange(width) + 0.5) * cols / width).astype(np.intp)  # (width,)
    return rgb[r[:, None], c[None, :]]


@lru_cache(maxsize=1)
def favicon_url() -> str:
    """The app's icon as a ``data:`` URL: the edge detector as a 3×3 grid of cells (48×48 PNG).

    A ``:material/...:`` page icon becomes a link to fonts.gstatic.com that the
    browser fetched on every rerun (and that fails in a classroom without
    internet); icon bytes would be re-registered as a media file and fetched
    again on every rerun. Streamlit passes a data URL through untouched.
    """
    weights = vizlib.KERNELS["edge_detector"].weights  # (3, 3): 8 in the centre, -1 around
    limit = float(np.abs(weights).max())
    idx = np.clip((weights + limit) / (2 * limit) * 255, 0, 255).astype(np.uint8)
    cells = lut(DIVERGING_CMAPS[0])[idx]  # (3, 3, 3)
    rgb = np.repeat(np.repeat(cells, 16, axis=0), 16, axis=1)  # (48, 48, 3)
    for k in (0, 15, 16, 31, 32, 47):  # dark lines around and between the cells
        rgb[k, :] = rgb[:, k] = 60
    return "data:image/png;base64," + base64.b64encode(encode_png(rgb)).decode("ascii")


def picture_of_image(pixels: np.ndarray, *, max_side: int = 640) -> Picture:
    """Encode an image in [0, 1] ((H, W) gray or (H, W, 3) RGB) for display.

    Values outside [0, 1] (the tutorial grid holds 0–8) are scaled by the
    image's own range so the picture stays readable; the caption says so.
    """
    pixels = np.asarray(pixels, dtype=np.float32)
    lo, hi = float(pixels.min()), float(pixels.max())
    if lo < 0.0 or hi > 1.0:
        span = hi - lo if hi > lo else 1.0
        pixels = (pixels - lo) / span
    else:
        lo, hi = 0.0, 1.0
    u8 = np.clip(pixels * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Picture(encode_png(_fit(u8, max_side)), pixels.shape[0], pixels.shape[1], lo, hi, "gray")
