"""Labelled pictures on the page: an input image, a feature map with its colour bar.

Every picture gets a caption that says what it shows and its shape, so the
page reads on a projector and to a screen reader alike.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import render
from ui.cached import digest
from vizlib.conv import format_number

__all__ = [
    "MAP_VIEWS",
    "colorbar_png",
    "map_picture",
    "show_image",
    "show_map",
    "show_png",
    "view_values",
]

#: How a feature map can be shown. "signed" keeps negative responses visible.
MAP_VIEWS = {
    "signed": "Signed (0 = white)",
    "abs": "|value|",
    "relu": "ReLU (negatives → 0)",
}


def view_values(values: np.ndarray, view: str) -> np.ndarray:
    """The values a map view displays: raw, absolute, or ReLU'd."""
    if view == "abs":
        return np.abs(values)
    if view == "relu":
        return np.maximum(values, 0)
    return values


def colorbar_png(cmap: str) -> bytes:
    """A horizontal colour-bar strip (left = vmin, right = vmax)."""
    strip = np.repeat(render.lut(cmap)[None, :, :], 14, axis=0)  # (14, 256, 3)
    return render.encode_png(strip)


def show_png(container, png: bytes, caption: str | None, *, alt: str | None = None) -> None:
    """Send already-encoded PNG bytes as they are.

    ``st.image``'s default ``output_format="auto"`` decodes PNG bytes and
    re-encodes them as JPEG (slow, and it smears the crisp pixel blocks of
    small inputs): always pass ``output_format="PNG"``. ``alt`` defaults to
    the caption so a screen reader says what the picture shows.
    """
    container.image(png, caption=caption, width="stretch", output_format="PNG", alt=alt or caption)


def show_image(container, pixels: np.ndarray, title: str, *, max_side: int = 640) -> None:
    """Show an input image with a caption naming it and its shape."""
    pic = render.picture_of_image(pixels, max_side=max_side)
    shape = "×".join(str(n) for n in pixels.shape)
    extra = ""
    if pic.vmin != 0.0 or pic.vmax != 1.0:
        extra = f"; values {format_number(pic.vmin)}–{format_number(pic.vmax)} shown as black–white"
    caption = f"{title} ({shape}{extra})"
    show_png(container, pic.png, caption)


def map_picture(
    values: np.ndarray,
    *,
    cmap: str = render.DIVERGING_CMAPS[0],
    view: str = "signed",
    vlim: float | None = None,
    max_side: int = 640,
) -> render.Picture:
    """Colour a 2-D map for :func:`show_map` (no Streamlit calls; cacheable).

    "signed" views use a diverging map with limits ``±max|value|`` (or
    ``±vlim``), so white is exactly 0 and the sign stays visible; "abs" and
    "relu" views use a sequential map from 0.
    """
    shown = view_values(values, view)
    if view == "signed":
        lim = vlim if vlim else max(float(np.max(np.abs(shown))), 1e-12)
        vmin, vmax = -lim, lim
    else:  # magnitudes: a sequential map, dark = 0
        cmap = render.SEQUENTIAL_CMAP
        vmin = 0.0
        vmax = vlim if vlim else max(float(np.max(shown)), 1e-12)
    return render.picture_of_map(shown, cmap=cmap, vmin=vmin, vmax=vmax, max_side=max_side)


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def _cached_map_picture(
    values_key: str, cmap: str, view: str, vlim: float | None, max_side: int, _values: np.ndarray
) -> render.Picture:
    """:func:`map_picture`, cached on the map's full-content digest (not re-encoded per rerun)."""
    return map_picture(_values, cmap=cmap, view=view, vlim=vlim, max_side=max_side)


def show_map(
    container,
    values: np.ndarray,
    title: str,
    *,
    cmap: str = render.DIVERGING_CMAPS[0],
    view: str = "signed",
    vlim: float | None = None,
    max_side: int = 640,
    picture: render.Picture | None = None,
) -> render.Picture:
    """Show a 2-D feature map on a diverging colour map centred at zero.

    Parameters
    ----------
    container
        A Streamlit container (``st``, a column, ...).
    values : ndarray, shape (H', W')
        The map as computed (before the view is applied).
    view : {"signed", "abs", "relu"}
        See :data:`MAP_VIEWS`. "signed" uses limits symmetric about zero.
    vlim : float, optional
        Shared colour limit (``±vlim``) so several maps compare fairly.
    picture : render.Picture, optional
        The map already coloured by :func:`map_picture`; by default it is
        coloured here, cached on the map's content.
    """
    if picture is None:
        picture = _cached_map_picture(digest(values), cmap, view, vlim, max_side, values)
    pic = picture
    shape = "×".join(str(n) for n in values.shape)
    lo, hi = float(np.min(values)), float(np.max(values))
    caption = f"{title} ({shape}; min {format_number(lo)}, max {format_number(hi)})"
    show_png(container, pic.png, caption)
    show_png(container, colorbar_png(pic.cmap), None, alt=f"colour bar for {title}")
    mid = "0" if view == "signed" else format_number((pic.vmin + pic.vmax) / 2)
    container.caption(
        f"colour scale: {format_number(pic.vmin)} ← {mid} → {format_number(pic.vmax)}"
        + (" (white = 0)" if view == "signed" else "")
    )
    return pic
