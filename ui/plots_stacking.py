"""Pictures and charts for the stacking lesson.

- feature maps of one stage on a shared colour scale (cached PNGs, each with the
  stage's colour bar under it, all sent in ONE ``st.image`` call);
- histograms of values before and after the activations, and the activations'
  curves, as Vega-Lite specs (the browser draws them: a matplotlib figure costs
  35–80 ms per rerun on the 2-core server, a spec with 40 bins well under 1 ms).
  The four curves are one chart and the four "after" histograms another: each
  chart costs the browser tens of ms to embed on every rerun that changes it;
- the receptive field of one unit at each depth, drawn on the input with NumPy.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ui import binning, cached, panels, presentation, render
from vizlib.conv import format_number

__all__ = [
    "DEPTH_COLOURS",
    "MAP_WIDTH",
    "PANEL_WIDTH",
    "activation_curves_spec",
    "after_histograms_spec",
    "arrow_datasets",
    "histogram_rows",
    "histogram_spec",
    "receptive_field_png",
    "scale_text",
    "show_input",
    "show_stage_maps",
]

_FONT = 15

#: Okabe–Ito colours (colour-blind safe), one per depth: (name, RGB).
DEPTH_COLOURS = (
    ("orange", (230, 159, 0)),
    ("sky blue", (86, 180, 233)),
    ("green", (0, 158, 115)),
    ("yellow", (240, 228, 66)),
    ("vermillion", (213, 94, 0)),
)
# The same sides as the maps' diverging colour map (RdBu_r): negative blue, positive red.
_SIGN_COLOURS = {"negative": "#2166AC", "around 0": "#999999", "positive": "#B2182B"}


# --------------------------------------------------------------------------- feature maps


@cached.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def _map_png(
    stage_digest: str,
    index: int,
    lim: float,
    ends: tuple[bool, bool],
    width: int,
    _plane: np.ndarray,
) -> bytes:
    """One channel on ``±lim`` (white = 0) with the stage's colour bar under it, one PNG.

    Small maps are enlarged by whole pixels, large ones thinned to about 360
    pixels, then drawn as shown at ``width`` px with their margins, as a palette PNG
    (``render.indexed_picture_of_map``). ``ends`` (low, high) draws the bar's
    pointed ends where the stage's values go beyond ``∓lim``.
    """
    cmap = render.DIVERGING_CMAPS[0]
    return render.indexed_picture_of_map(  # a palette PNG: 16 new maps per new seed
        _plane,
        cmap=cmap,
        vmin=-lim,
        vmax=lim,
        max_side=360,
        colorbar=ends,
        width=width,
        margin=PICTURE_GAP,
    ).png  # as shown at ``width``: show_pictures leaves it alone


#: Display width in pixels of one stage map: four in a row fit the main column of a
#: 1280–1440-pixel screen with the sidebar open (a narrower one wraps the row).
MAP_WIDTH = 220
#: Transparent px left and right of each picture: st.image lays a list edge to edge.
PICTURE_GAP = 5


def scale_text(maps: np.ndarray, *, shown: int, boost: bool | None = None) -> str:
    """What the colours of a stage's maps mean: the shared limits, saturation, channels shown.

    The text :func:`show_stage_maps` captions the maps with (a page may put it
    into its own markdown instead: ``show_stage_maps(..., caption=False)``).
    """
    c = maps.shape[0]
    lim = panels.color_limit(maps, boost=boost)
    low, high = bool(np.min(maps) < -lim), bool(np.max(maps) > lim)
    n = min(shown, c)
    more = f" Showing {n} of {c} channels (all {c} are computed)." if n < c else ""
    left = ("≤ " if low else "") + format_number(-lim)
    right = ("≥ " if high else "") + format_number(lim)
    saturate = ""
    if low or high:
        top = float(np.max(np.abs(maps)))
        saturate = (
            f" Colours saturate beyond ±{format_number(lim)} ({panels.BOOST_PERCENTILE:g}th "
            f"percentile of |value| over this stage, boosted contrast); the max |value| is "
            f"{format_number(top)}."
        )
    return (
        f"Colour scale for all channels of this stage (the bar under each map): {left} (blue) "
        f"← 0 (white) → {right} (red).{saturate}{more}"
    )


def show_stage_maps(
    container,
    stage_digest: str,
    maps: np.ndarray,
    title: str,
    *,
    shown: int,
    boost: bool | None = None,
    width: int = MAP_WIDTH,
    caption: bool = True,
) -> None:
    """Draw the first ``shown`` channels of (C, H, W) ``maps`` on one colour scale.

    Two elements: ONE ``st.image`` call with the list of pictures (each map
    with the colour bar under it, a caption with its channel, shape, min and
    max), then one caption that says what the colours mean (:func:`scale_text`;
    ``caption=False`` leaves it to the page, which can merge it into its own
    markdown and save an element). A list in one call costs the browser about
    as much as one picture, a row of columns with one picture each several
    times more, on every rerun.

    The scale is symmetric about 0 (white = 0), shared by the channels of this
    stage so that their strengths compare. Its limit is ``max|value|`` over the
    stage, or with "Boost map contrast" (``boost``; None follows the sidebar
    switch) the 99th percentile of ``|value|`` over the stage, and the caption
    then says where colours saturate.
    ``stage_digest`` (``ui.cached.digest(maps)``) keys the cached pictures.
    """
    c, h, w = maps.shape
    lim = panels.color_limit(maps, boost=boost)
    low, high = bool(np.min(maps) < -lim), bool(np.max(maps) > lim)
    n = min(shown, c)
    pngs, captions = [], []
    for ch in range(n):
        plane = maps[ch]  # (H, W)
        pngs.append(_map_png(stage_digest, ch, lim, (low, high), width, plane))
        lo, hi = float(plane.min()), float(plane.max())
        captions.append(
            f"{title}, channel {ch + 1} of {c} ({h}×{w}; min {format_number(lo)}, "
            f"max {format_number(hi)})"
        )
    ends = " (pointed ends: values beyond saturate)" if low or high else ""
    alts = [
        f"{text}: blue negative, white 0, red positive; the stage's colour bar is under the "
        f"map{ends}."
        for text in captions
    ]
    # Drawn at ``width`` with their margins by _map_png: show_pictures passes them as they are.
    panels.show_pictures(container, pngs, captions, width=width, alts=alts)
    if caption:
        container.caption(scale_text(maps, shown=shown, boost=boost))


def show_input(container, pixels: np.ndarray, title: str, *, width: int = MAP_WIDTH) -> None:
    """The input image at the maps' width, captioned with its name and shape.

    As :func:`ui.panels.show_image` (same picture and caption), at a fixed width.
    """
    pic = render.picture_of_image(pixels, max_side=360)
    shape = "×".join(str(n) for n in pixels.shape)
    extra = ""
    if pic.vmin != 0.0 or pic.vmax != 1.0:
        extra = f"; values {format_number(pic.vmin)}–{format_number(pic.vmax)} shown as black–white"
    caption = f"{title} ({shape}{extra})"
    panels.show_pictures(container, [pic.png], [caption], width=width)


# --------------------------------------------------------------------------- charts

_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # the version Streamlit embeds
#: Title colour of the panel of the activation used in the pipeline (Okabe–Ito bluish
#: green: readable on a light and a dark page).
_MARK_COLOUR = "#009E73"
#: Width in pixels of one small panel: four of them (and one y axis) fit the main
#: column of a 1280-pixel-wide screen with the sidebar open.
PANEL_WIDTH = 175


def _config() -> dict:
    font = _FONT + 4 if presentation.is_on() else _FONT  # read from the back of a room
    return {
        "axis": {"labelFontSize": font - 2, "titleFontSize": font},
        "title": {"fontSize": font + 1, "anchor": "start"},
        "concat": {"spacing": 18},
    }


def histogram_rows(values: np.ndarray, *, bins: int = 40) -> list[dict]:
    """Bin ``values`` (any shape) over their own range: rows ``{lo, hi, count, sign}``.

    ``sign`` says which side of 0 a bin's values lie on: "negative" (``hi <= 0``),
    "positive" (``lo > 0``) or "around 0" for the one bin that holds 0 (``lo <= 0 < hi``;
    the last bin is closed, as in ``np.histogram``). After ReLU that grey bin is the
    one that holds every zeroed value.
    """
    counts, edges = binning.histogram(values, bins)  # never "Too many bins" on close values
    rows = []
    last = len(counts) - 1
    for i, (a, b, n) in enumerate(
        zip(edges[:-1].tolist(), edges[1:].tolist(), counts.tolist(), strict=True)
    ):
        holds_zero = a <= 0 < b or (i == last and a <= 0 <= b)
        sign = "around 0" if holds_zero else "negative" if b <= 0 else "positive"
        rows.append({"lo": a, "hi": b, "count": n, "sign": sign})
    return rows


def _panel_filter(panel: str | None) -> list[dict]:
    return [] if panel is None else [{"filter": {"field": "panel", "equal": panel}}]


def _histogram_layers(
    panel: str | None = None, *, x_title: str, y_axis: bool = True, short_counts: bool = False
) -> list[dict]:
    """Bars of dataset "bins" coloured by sign (tooltips: range, count) and a dashed rule at 0.

    With ``panel``, only the rows of "bins" and "zero" whose ``panel`` field equals it.
    The rule's row in "zero" has ``inside`` 1 when 0 lies on the histogram's axis
    (else the line is transparent and sits at the first edge, so it cannot stretch
    the axis to 0).
    """
    y = {"field": "count", "type": "quantitative", "title": "how many"}
    if short_counts:  # 100k instead of 100,000: a narrower axis beside small panels
        y["axis"] = {"labelExpr": "datum.value ? format(datum.value, '~s') : '0'"}
    if not y_axis:  # a shared scale drawn once, on the first panel
        y["axis"] = {"title": None, "labels": False, "ticks": False, "domain": False}
    return [
        {
            "data": {"name": "bins"},
            "transform": _panel_filter(panel),
            "mark": {"type": "bar", "binSpacing": 0},
            "encoding": {
                "x": {
                    "field": "lo",
                    "type": "quantitative",
                    "title": x_title,
                    "scale": {"zero": False},
                    "axis": {"tickCount": 4},
                },
                "x2": {"field": "hi"},
                "y": y,
                "y2": {"datum": 0},
                "color": {
                    "field": "sign",
                    "type": "nominal",
                    "legend": None,
                    "scale": {
                        "domain": list(_SIGN_COLOURS),
                        "range": list(_SIGN_COLOURS.values()),
                    },
                },
                "tooltip": [
                    {"field": "lo", "type": "quantitative", "title": "from", "format": ".4~g"},
                    {"field": "hi", "type": "quantitative", "title": "to", "format": ".4~g"},
                    {"field": "count", "type": "quantitative", "title": "values"},
                    {"field": "sign", "type": "nominal", "title": "bin"},
                ],
            },
        },
        {
            # Never filtered empty: a layer without rows gives Vega an infinite extent for
            # its x field (a console warning). Where 0 is off the axis the line sits at
            # the first edge, invisible.
            "data": {"name": "zero"},
            "transform": _panel_filter(panel),
            "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#777777"},
            "encoding": {
                "x": {"field": "at", "type": "quantitative"},
                "opacity": {"condition": {"test": "datum.inside == 1", "value": 1}, "value": 0},
            },
        },
    ]


def _zero_row(rows: list[dict], **extra) -> dict:
    """The dashed line's row: drawn at 0 only where 0 lies between the first and last edge.

    Elsewhere ``inside`` is 0: the line is transparent and sits at the first edge,
    so the axis stays where the bars are.
    """
    inside = rows[0]["lo"] <= 0 <= rows[-1]["hi"]
    return {**extra, "at": 0.0 if inside else rows[0]["lo"], "inside": int(inside)}


def arrow_datasets(spec: dict) -> dict:
    """``spec`` with its named datasets as pyarrow tables, ready for ``st.vega_lite_chart``.

    The spec builders keep plain rows (readable in tests). Streamlit sends every
    dataset as an Arrow table: from rows it goes through pandas, 3–12 ms per dataset
    here; from a pyarrow table 0.3 ms. Same columns, same values.
    """
    tables = {name: pa.Table.from_pylist(rows) for name, rows in spec["datasets"].items()}
    return {**spec, "datasets": tables}


def histogram_spec(rows: list[dict], title: str) -> dict:
    """A histogram from :func:`histogram_rows`, bars coloured by sign, as a Vega-Lite spec.

    Only the bin counts travel to the browser, as the named datasets "bins" and
    "zero" (Streamlit sends them apart from the spec): a rerun that changes only
    the numbers leaves the spec text alone, so the browser updates the drawn chart
    instead of building a new one. Pass the height to ``st.vega_lite_chart``.
    """
    return {
        "$schema": _SCHEMA,
        "title": title,
        "datasets": {"bins": rows, "zero": [_zero_row(rows)]},
        "layer": _histogram_layers(x_title="value"),
        "config": _config(),
    }


def _panel_title(name: str, marked: bool) -> dict:
    if marked:
        return {"text": f"{name} \N{CHECK MARK} your pipeline", "color": _MARK_COLOUR}
    return {"text": name}


def activation_curves_spec(
    x: np.ndarray,
    curves: dict[str, np.ndarray],
    *,
    marked: str | None = None,
    width: int = PANEL_WIDTH,
    height: int = 150,
) -> dict:
    """The curves y = f(x), one small panel each, in one row, as one Vega-Lite chart.

    Parameters
    ----------
    x : ndarray, shape (P,)
        Where the curves are sampled (the range of the values before). Keep P
        the same from one rerun to the next: the browser then only swaps the data.
    curves : dict of str to ndarray, shape (P,)
        Panel title (the activation's name) to f(x), computed by vizlib.
    marked : str or None
        The title of the panel to mark as "your pipeline".
    width, height : int
        Size of one panel in pixels (draw the chart with ``width="content"``).

    Notes
    -----
    The points travel as the named dataset "curves" (rows ``{panel, x, y}``); the
    panels share both axes, so the squashing of sigmoid and tanh compares with
    ReLU at a glance; a faint dashed line (dataset "identity") is y = x.
    """
    xs = x.tolist()
    points = [
        {"panel": name, "x": a, "y": b}
        for name, y in curves.items()
        for a, b in zip(xs, y.tolist(), strict=True)
    ]
    ends = [{"x": xs[0], "y": xs[0]}, {"x": xs[-1], "y": xs[-1]}]
    panels = []
    for i, name in enumerate(curves):
        y_enc = {"field": "y", "type": "quantitative", "title": "f(x) (after)"}
        if i:
            y_enc["axis"] = {"title": None, "labels": False, "ticks": False, "domain": False}
        panels.append(
            {
                "title": _panel_title(name, name == marked),
                "width": width,
                "height": height,
                "layer": [
                    {
                        "data": {"name": "identity"},
                        "mark": {"type": "line", "strokeDash": [4, 3], "color": "#999999"},
                        "encoding": {
                            "x": {"field": "x", "type": "quantitative"},
                            "y": {"field": "y", "type": "quantitative"},
                        },
                    },
                    {
                        "data": {"name": "curves"},
                        "transform": _panel_filter(name),
                        "mark": {"type": "line", "strokeWidth": 3, "color": "#0072B2"},
                        "encoding": {
                            "x": {
                                "field": "x",
                                "type": "quantitative",
                                "title": "x (before)",
                                "axis": {"tickCount": 4},
                            },
                            "y": y_enc,
                            "tooltip": [
                                {"field": "x", "type": "quantitative", "format": ".4~g"},
                                {
                                    "field": "y",
                                    "type": "quantitative",
                                    "title": "f(x)",
                                    "format": ".4~g",
                                },
                            ],
                        },
                    },
                ],
            }
        )
    return {
        "$schema": _SCHEMA,
        "datasets": {"curves": points, "identity": ends},
        "hconcat": panels,
        "autosize": {"type": "pad"},  # "fit" (Vega's default here) only fits single views
        "resolve": {"scale": {"x": "shared", "y": "shared"}},
        "config": _config(),
    }


def after_histograms_spec(
    histograms: dict[str, list[dict]],
    *,
    marked: str | None = None,
    width: int = PANEL_WIDTH,
    height: int = 170,
) -> dict:
    """Histograms of the values after each activation, one small panel each, in one row.

    Parameters
    ----------
    histograms : dict of str to list of dict
        Panel title (the activation's name) to :func:`histogram_rows` of the values
        after it (``ui.pipeline.activation_summaries``).
    marked : str or None
        The title of the panel to mark as "your pipeline".
    width, height : int
        Size of one panel in pixels (draw the chart with ``width="content"``).

    Notes
    -----
    The bins travel as the named dataset "bins" (rows ``{panel, lo, hi, count,
    sign}``), the dashed lines at 0 as "zero". Each panel bins its own range (x
    not shared); the counts share one y scale, so a tall bar means as many values
    in every panel (all panels hold the same number of values).
    """
    bins = [{"panel": name, **row} for name, rows in histograms.items() for row in rows]
    zero = [_zero_row(rows, panel=name) for name, rows in histograms.items()]
    panels = [
        {
            "title": _panel_title(f"After {name}", name == marked),
            "width": width,
            "height": height,
            "layer": _histogram_layers(
                name, x_title="value after", y_axis=i == 0, short_counts=True
            ),
        }
        for i, name in enumerate(histograms)
    ]
    return {
        "$schema": _SCHEMA,
        "datasets": {"bins": bins, "zero": zero},
        "hconcat": panels,
        "autosize": {"type": "pad"},  # "fit" (Vega's default here) only fits single views
        "resolve": {"scale": {"x": "independent", "y": "shared"}},
        "config": _config(),
    }


# --------------------------------------------------------------------------- receptive field


def _outline(rgb: np.ndarray, box, colour, width: int) -> None:
    """Draw a rectangle outline (half-open pixel box, clipped) in place, with a dark rim."""
    (r0, r1), (c0, c1) = box
    rows, cols = rgb.shape[:2]
    r0, r1, c0, c1 = max(r0, 0), min(r1, rows), max(c0, 0), min(c1, cols)
    if r1 <= r0 or c1 <= c0:
        return
    for w, paint in ((width + 2, (20, 20, 20)), (width, colour)):
        inner = (width + 2 - w) // 2
        a0, a1, b0, b1 = r0 + inner, r1 - inner, c0 + inner, c1 - inner
        if a1 <= a0 or b1 <= b0:
            continue
        t = min(w, a1 - a0, b1 - b0)
        rgb[a0 : a0 + t, b0:b1] = paint
        rgb[a1 - t : a1, b0:b1] = paint
        rgb[a0:a1, b0 : b0 + t] = paint
        rgb[a0:a1, b1 - t : b1] = paint


@cached.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def receptive_field_png(
    image_digest: str,
    boxes: tuple,
    mask_digest: str,
    region: tuple | None,
    _pixels: np.ndarray,
    _mask: np.ndarray,
    *,
    side: int = 640,
) -> bytes:
    """The input with the receptive fields drawn as nested rectangles.

    Parameters
    ----------
    image_digest, mask_digest : str
        Identify ``_pixels`` and ``_mask`` for the cache (they are not hashed).
    boxes : tuple of ((r0, r1), (c0, c1))
        Half-open input windows, one per depth, drawn in :data:`DEPTH_COLOURS`
        order (clipped to the picture).
    region : ((r0, r1), (c0, c1)) or None
        Part of the input to show (a zoom); None for all of it.
    _pixels : ndarray, shape (H, W) or (H, W, 3)
        The input image (any range; stretched to black–white like ``show_image``).
    _mask : ndarray of bool, shape (H, W)
        Pixels that feed the last unit; the rest is dimmed.
    side : int
        About how many screen pixels the longest side gets (whole-pixel blocks).
    """
    pixels = np.asarray(_pixels, dtype=np.float32)
    lo, hi = float(pixels.min()), float(pixels.max())
    if lo < 0.0 or hi > 1.0:
        pixels = (pixels - lo) / (hi - lo if hi > lo else 1.0)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)  # (H, W, 3)
    # Dim what cannot influence the unit: the spotlight is its receptive field.
    pixels = np.where(_mask[..., None], pixels, 0.2 + 0.3 * pixels)
    (a0, a1), (b0, b1) = (
        region if region is not None else ((0, pixels.shape[0]), (0, pixels.shape[1]))
    )
    pixels = pixels[a0:a1, b0:b1]
    rows, cols = pixels.shape[:2]
    scale = max(1, side // max(rows, cols))  # whole-pixel blocks
    rgb = np.clip(pixels * 255 + 0.5, 0, 255).astype(np.uint8)
    rgb = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)  # (h·s, w·s, 3)
    width = max(2, min(6, scale // 4))
    # Largest (last) first, so a small field's outline is drawn on top of a larger one.
    for depth, ((r0, r1), (c0, c1)) in reversed(list(enumerate(boxes))):
        colour = DEPTH_COLOURS[depth % len(DEPTH_COLOURS)][1]
        box = (((r0 - a0) * scale, (r1 - a0) * scale), ((c0 - b0) * scale, (c1 - b0) * scale))
        _outline(rgb, box, colour, width)
    return render.encode_png(rgb)
