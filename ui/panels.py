"""Labelled pictures on the page: an input image, a feature map with its colour bar.

Every picture gets a caption that says what it shows and its shape, so the
page reads on a projector and to a screen reader alike.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image

from ui import cached, presentation, render
from ui.cached import digest
from vizlib.conv import format_number

__all__ = [
    "BOOST_PERCENTILE",
    "MAP_VIEWS",
    "PROJECTOR_COLUMN",
    "PROJECTOR_ROW",
    "color_limit",
    "colorbar_png",
    "fit_png",
    "map_alt",
    "map_caption",
    "map_figure",
    "map_picture",
    "row_scale_note",
    "row_width",
    "saturated_ends",
    "scale_caption",
    "show_image",
    "show_map",
    "show_pictures",
    "show_png",
    "view_values",
]

#: How a feature map can be shown. "signed" keeps negative responses visible.
MAP_VIEWS = {
    "signed": "Signed (0 = white)",
    "abs": "|value|",
    "relu": "ReLU (negatives → 0)",
}

#: "Boost map contrast" puts the colour limit at this percentile of |value|.
BOOST_PERCENTILE = 99.0


def view_values(values: np.ndarray, view: str) -> np.ndarray:
    """The values a map view displays: raw, absolute, or ReLU'd."""
    if view == "abs":
        return np.abs(values)
    if view == "relu":
        return np.maximum(values, 0)
    return values


def color_limit(values: np.ndarray, view: str = "signed", *, boost: bool | None = None) -> float:
    """The colour limit of a map (or of several maps together): ``max|value|`` of the view.

    With ``boost`` the limit is the :data:`BOOST_PERCENTILE` th percentile of
    ``|value|`` instead, so that a few strong edges no longer wash out the rest
    of a photo's map; the values beyond it saturate (:func:`show_map` says so).
    Where that percentile is 0 (a map that is almost all zeros) the maximum is
    kept. ``boost=None`` follows the sidebar switch (:func:`ui.presentation.is_boosted`).
    Pass several maps stacked to get one shared limit.
    """
    if boost is None:
        boost = presentation.is_boosted()
    shown = view_values(np.asarray(values), view)
    magnitudes = np.abs(shown[np.isfinite(shown)])
    if magnitudes.size == 0:
        return 1.0
    top = float(np.max(magnitudes))
    if boost:
        cut = float(np.percentile(magnitudes, BOOST_PERCENTILE))
        if 0.0 < cut < top:
            return cut
    return max(top, 1e-12)


@lru_cache(maxsize=32)
def colorbar_png(cmap: str, *, low: bool = False, high: bool = False) -> bytes:
    """A horizontal colour-bar strip (left = vmin, right = vmax).

    ``low``/``high`` draw a pointed end (as matplotlib's ``extend``) where
    values beyond the limit saturate; the rest of the picture is transparent,
    so the strip reads on light and dark pages alike.
    """
    height, tip = 14, 10
    strip = np.repeat(render.lut(cmap)[None, :, :], height, axis=0)  # (14, 256, 3)
    rgba = np.concatenate([strip, np.full((height, 256, 1), 255, np.uint8)], axis=2)
    if not (low or high):
        return render.encode_png(strip)
    half = (height - 1) / 2
    rows = np.abs(np.arange(height) - half)[:, None]  # distance from the middle row
    cols = np.arange(tip)[None, :]  # 0 at the point, tip - 1 next to the strip
    inside = rows <= (cols + 1) * (half + 0.5) / tip  # (14, tip): a triangle
    parts = []
    for end, colour, flip in ((low, rgba[:, 0], False), (high, rgba[:, -1], True)):
        if end:
            cap = np.zeros((height, tip, 4), np.uint8)
            cap[inside] = colour[np.nonzero(inside)[0]]
            parts.append(cap[:, ::-1] if flip else cap)
        else:
            parts.append(np.zeros((height, 0, 4), np.uint8))
    return render.encode_png(np.concatenate([parts[0], rgba, parts[1]], axis=1))


def show_png(container, png: bytes, caption: str | None, *, alt: str | None = None) -> None:
    """Send already-encoded PNG bytes as they are.

    ``st.image``'s default ``output_format="auto"`` decodes PNG bytes and
    re-encodes them as JPEG (slow, and it smears the crisp pixel blocks of
    small inputs): always pass ``output_format="PNG"``. ``alt`` defaults to
    the caption so a screen reader says what the picture shows.
    """
    container.image(png, caption=caption, width="stretch", output_format="PNG", alt=alt or caption)


@lru_cache(maxsize=256)
def fit_png(png: bytes, width: int, margin: int = 0) -> bytes:
    """The PNG made no wider than ``width`` px, by nearest neighbour; unchanged if it fits.

    ``st.image(..., width=<int>)`` shrinks a wider picture itself, on every
    rerun: bilinear (it blurs the crisp pixel blocks of small inputs), then a
    PNG encode, and it fails on a picture whose height would round to 0 (a
    1×3000 strip). Shrunk here once per picture (cached), at least 1 px tall.
    ``margin`` px of transparency left and right (inside ``width``) keep
    pictures that ``st.image`` lays edge to edge apart.
    """
    with Image.open(io.BytesIO(png)) as im:
        inner = max(1, width - 2 * margin)
        if im.width <= inner and not margin:
            return png
        if im.width > inner:
            height = max(1, round(im.height * inner / im.width))
            im = im.resize((inner, height), Image.Resampling.NEAREST)
        pixels = np.asarray(im.convert("RGBA"))  # (h, w, 4)
    if margin:
        side = np.zeros((pixels.shape[0], margin, 4), np.uint8)
        pixels = np.concatenate([side, pixels, side], axis=1)
    return render.encode_png(pixels)


def show_pictures(container, pngs, captions, *, width: int, alts=None, margin: int = 0) -> None:
    """Several pictures in ONE ``st.image`` call, each ``width`` px wide at most.

    One element instead of one per picture (or a row of columns); the browser
    lays them side by side, edge to edge (``margin`` keeps them apart), and
    wraps. Pictures are shrunk by :func:`fit_png`, so Streamlit never resizes
    them. ``alts`` default to the captions.
    """
    pngs, captions = list(pngs), list(captions)
    alts = captions if alts is None else list(alts)
    fitted = [fit_png(p, int(width), int(margin)) for p in pngs]
    container.image(fitted, caption=captions, width=int(width), output_format="PNG", alt=alts)


def map_alt(caption: str, low: bool, high: bool) -> str:
    """Alt text of a map picture drawn with its colour bar underneath."""
    extent = " (pointed ends: values beyond saturate)" if low or high else ""
    return f"{caption} The colour bar is drawn under the map{extent}."


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
    boost: bool = False,
    max_side: int = 640,
    colorbar: bool = False,
) -> render.Picture:
    """Colour a 2-D map for :func:`show_map` (no Streamlit calls; cacheable).

    "signed" views use a diverging map with limits ``±max|value|`` (or
    ``±vlim``), so white is exactly 0 and the sign stays visible; "abs" and
    "relu" views use a sequential map from 0. ``boost`` (without ``vlim``) puts
    the limit at the 99th percentile of ``|value|`` (:func:`color_limit`).
    ``colorbar`` draws the colour bar under the map in the same picture, with
    pointed ends where values go beyond the limits (:func:`saturated_ends`).
    """
    shown = view_values(values, view)
    lim = vlim if vlim else color_limit(shown, "signed", boost=boost)
    if view == "signed":
        vmin, vmax = -lim, lim
    else:  # magnitudes: a sequential map, dark = 0
        cmap = render.SEQUENTIAL_CMAP
        vmin, vmax = 0.0, lim
    ends = saturated_ends(shown, vmin, vmax) if colorbar else None
    return render.picture_of_map(
        shown, cmap=cmap, vmin=vmin, vmax=vmax, max_side=max_side, colorbar=ends
    )


def saturated_ends(shown: np.ndarray, vmin: float, vmax: float) -> tuple[bool, bool]:
    """(low, high): whether the shown values go below ``vmin`` / above ``vmax``."""
    return bool(np.nanmin(shown) < vmin), bool(np.nanmax(shown) > vmax)


@cached.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def _cached_map_picture(
    values_key: str,
    cmap: str,
    view: str,
    vlim: float | None,
    boost: bool,
    max_side: int,
    _values: np.ndarray,
) -> render.Picture:
    """:func:`map_picture` with its colour bar, cached on the map's full-content digest."""
    return map_picture(
        _values, cmap=cmap, view=view, vlim=vlim, boost=boost, max_side=max_side, colorbar=True
    )


def scale_caption(values: np.ndarray, pic: render.Picture, view: str, *, shared: bool) -> str:
    """What the colour bar under a map means, in words, saturation included.

    An end whose values go beyond the colour limit is written ``≥ limit`` /
    ``≤ −limit`` and the caption says where colours saturate and how far the
    values really go.
    """
    fmt = format_number
    shown = view_values(np.asarray(values), view)
    finite = shown[np.isfinite(shown)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    below, above = lo < pic.vmin, hi > pic.vmax
    left = ("≤ " if below else "") + fmt(pic.vmin)
    right = ("≥ " if above else "") + fmt(pic.vmax)
    if view == "signed":  # blue ← white → red, centred at 0
        text = f"colour scale: {left} ← 0 → {right} (white = 0)"
    else:  # one-sided (|value|, ReLU): from the dark end to the bright end, no middle
        text = f"colour scale: {left} (dark) → {right} (bright)"
    if below or above:
        beyond = f"±{fmt(pic.vmax)}" if view == "signed" else fmt(pic.vmax)
        percentile = f"{BOOST_PERCENTILE:g}th percentile of |value|"
        if shared:  # one limit for the maps shown together; boosted or not, say which
            why = (
                f"the shared limit: the {percentile} over the maps shown together, boosted contrast"
                if presentation.is_boosted()
                else "the shared limit"
            )
        else:
            why = f"{percentile}, boosted contrast"
        top = float(np.max(np.abs(finite)))
        text += f"; colours saturate beyond {beyond} ({why}); the max |value| is {fmt(top)}"
    return text


def show_map(
    container,
    values: np.ndarray,
    title: str,
    *,
    cmap: str = render.DIVERGING_CMAPS[0],
    view: str = "signed",
    vlim: float | None = None,
    max_side: int = 640,
) -> render.Picture:
    """Show a 2-D feature map on a diverging colour map centred at zero.

    ONE picture on the page: the map with its colour bar drawn underneath
    (pointed ends where values saturate), and one caption that names the map,
    its shape, min and max, and what the colours mean (:func:`scale_caption`).
    Every element costs the browser time on every rerun, so a map is one
    element, not three.

    Parameters
    ----------
    container
        A Streamlit container (``st``, a column, ...).
    values : ndarray, shape (H', W')
        The map as computed (before the view is applied).
    view : {"signed", "abs", "relu"}
        See :data:`MAP_VIEWS`. "signed" uses limits symmetric about zero.
    vlim : float, optional
        Shared colour limit (``±vlim``) so several maps compare fairly (see
        :func:`color_limit` for one that follows "Boost map contrast").
        Without it the limit is the map's own ``max|value|``, or its 99th
        percentile when the sidebar's "Boost map contrast" is on.
    """
    pic, caption, alt = map_figure(
        values, title, cmap=cmap, view=view, vlim=vlim, max_side=max_side
    )
    show_png(container, pic.png, caption, alt=alt)
    return pic


def map_figure(
    values: np.ndarray,
    title: str,
    *,
    cmap: str = render.DIVERGING_CMAPS[0],
    view: str = "signed",
    vlim: float | None = None,
    max_side: int = 640,
    short: bool = False,
) -> tuple[render.Picture, str, str]:
    """(picture, caption, alt text) of a map as :func:`show_map` shows it, for your own layout.

    The picture (map + colour bar) is cached on the map's content and follows
    "Boost map contrast" unless ``vlim`` is given. ``short``: see :func:`map_caption`
    (the alt text keeps the colour scale).
    """
    boost = presentation.is_boosted() and not vlim
    pic = _cached_map_picture(digest(values), cmap, view, vlim, boost, max_side, values)
    caption = map_caption(values, pic, title, view, shared=bool(vlim), short=short)
    full = caption if not short else map_caption(values, pic, title, view, shared=bool(vlim))
    low, high = saturated_ends(view_values(values, view), pic.vmin, pic.vmax)
    return pic, caption, map_alt(full, low, high)


def map_caption(
    values: np.ndarray,
    pic: render.Picture,
    title: str,
    view: str,
    *,
    shared: bool,
    short: bool = False,
) -> str:
    """The caption under a map: name, shape, min and max, then :func:`scale_caption`.

    ``short``: name, shape, min and max only, for a row of maps in presentation
    mode, whose colour scale is then written once under the row (:func:`row_scale_note`).
    """
    shape = "×".join(str(n) for n in values.shape)
    lo, hi = float(np.min(values)), float(np.max(values))
    head = f"{title} ({shape}; min {format_number(lo)}, max {format_number(hi)})"
    if short:
        return head
    scale = scale_caption(values, pic, view, shared=shared)
    return f"{head}. {scale[:1].upper()}{scale[1:]}"


#: Width of the main column at 1280 px with the sidebar open in presentation mode
#: (1280 − the 360 px sidebar − 2 × 2 rem of padding at 21 px), less a few px of slack.
PROJECTOR_COLUMN = 820
#: A row of pictures on a projector holds at most this many.
PROJECTOR_ROW = 4


def row_width(n: int, width: int) -> int:
    """Width per picture of a row of ``n``: ``width``, or less in presentation mode.

    On a projector (1280 px, sidebar open) up to :data:`PROJECTOR_ROW` pictures
    stay on one line: a before/after pair or three maps are not split over rows.
    """
    if not presentation.is_on():
        return int(width)
    per_row = max(1, min(int(n), PROJECTOR_ROW))
    return int(min(width, PROJECTOR_COLUMN // per_row))


def row_scale_note(maps: np.ndarray, pics: list[render.Picture], view: str, *, shared: bool) -> str:
    """The colour scale of a row of maps, said once (their captions are then short).

    ``maps`` (F, H, W) were drawn as ``pics``. With ``shared`` one scale is
    written for all, its range over all the maps; otherwise the maps' own
    limits are listed in order.
    """
    maps = np.asarray(maps)
    if shared:
        text = scale_caption(maps, pics[0], view, shared=True)
        return f"{text[:1].upper()}{text[1:]}."
    limits = ", ".join(
        ("±" if view == "signed" else "0 to ") + format_number(pic.vmax) for pic in pics
    )
    boosted = any(
        any(saturated_ends(view_values(m, view), pic.vmin, pic.vmax))
        for m, pic in zip(maps, pics, strict=True)
    )
    return (
        f"Colour scales, each map its own: {limits}"
        + (" (white = 0)" if view == "signed" else "")
        + (
            f"; pointed bar ends: colours saturate beyond the limit (the "
            f"{BOOST_PERCENTILE:g}th percentile of |value|, boosted contrast)"
            if boosted
            else ""
        )
        + "."
    )
