"""Pictures for the "Volumes and filters" lesson: channel maps, the receptive field, one step.

Image-sized pictures go through the LUT/PNG path (``ui.render``); the small
number grids of one step (window, kernel, products) are HTML grids
(:func:`ui.plots_why.grid_html`): microseconds to build, sharp, real text.
"""

from __future__ import annotations

import html

import numpy as np

from ui import cached, panels, presentation, render
from ui.cached import digest
from ui.plots_why import grid_html
from vizlib.conv import format_number

__all__ = [
    "CHANNEL_TINTS",
    "channel_png",
    "filter_html",
    "filters_html",
    "image_caption",
    "image_picture",
    "locate_png",
    "show_maps",
    "step_html",
]

#: Colour of each RGB channel when shown on its own.
CHANNEL_TINTS = ((1.0, 0.0, 0.0), (0.0, 0.78, 0.0), (0.15, 0.35, 1.0))
_BOX = np.array([255, 0, 255, 255], dtype=np.uint8)  # magenta: visible on photos and gray


@cached.cache_data(max_entries=16, show_spinner=False)
def channel_png(image_key: str, index: int, _plane: np.ndarray, tint: bool) -> bytes:
    """One input channel, tinted with its colour (or gray), as PNG.

    ``image_key`` identifies the image's content (:attr:`SourceImage.key`);
    the plane itself is not hashed.
    """
    plane = np.clip(np.asarray(_plane, dtype=np.float32), 0.0, 1.0)  # (H, W)
    if tint:
        rgb = plane[..., None] * np.asarray(CHANNEL_TINTS[index], np.float32)  # (H, W, 3)
        return render.picture_of_image(rgb).png
    return render.picture_of_image(plane).png


@cached.cache_data(max_entries=16, show_spinner=False)
def image_picture(image_key: str, _pixels: np.ndarray) -> render.Picture:
    """The input image as :func:`ui.panels.show_image` draws it (cached on the image's key)."""
    return render.picture_of_image(np.asarray(_pixels))


def image_caption(pixels: np.ndarray, pic: render.Picture, title: str) -> str:
    """:func:`ui.panels.show_image`'s caption: the title, the shape, a value range if not 0–1."""
    shape = "×".join(str(n) for n in pixels.shape)
    extra = ""
    if pic.vmin != 0.0 or pic.vmax != 1.0:
        extra = f"; values {format_number(pic.vmin)}–{format_number(pic.vmax)} shown as black–white"
    return f"{title} ({shape}{extra})"


@cached.cache_data(max_entries=32, show_spinner=False)
def locate_png(
    image_key: str, _pixels: np.ndarray, rows: tuple[int, int], cols: tuple[int, int]
) -> bytes:
    """Draw the input with the kernel's window outlined (rows, cols inclusive; may be padding).

    The picture is enlarged by whole pixels so that a 3×3 window is visible,
    and a margin shows windows that reach into the padding.
    """
    pixels = np.asarray(_pixels, dtype=np.float32)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)  # (H, W, 3)
    lo, hi = float(pixels.min()), float(pixels.max())
    if lo < 0.0 or hi > 1.0:  # the tutorial grid holds 0–8
        pixels = (pixels - lo) / (hi - lo if hi > lo else 1.0)
    u8 = np.clip(pixels * 255 + 0.5, 0, 255).astype(np.uint8)
    h, w = u8.shape[:2]
    scale = max(1, 480 // max(h, w))
    margin = max(0, -rows[0], rows[1] - (h - 1), -cols[0], cols[1] - (w - 1))
    canvas = np.full((h + 2 * margin, w + 2 * margin, 3), 200, dtype=np.uint8)  # padding: gray
    canvas[margin : margin + h, margin : margin + w] = u8
    canvas = np.repeat(np.repeat(canvas, scale, axis=0), scale, axis=1)
    r0, r1 = (rows[0] + margin) * scale, (rows[1] + margin + 1) * scale
    c0, c1 = (cols[0] + margin) * scale, (cols[1] + margin + 1) * scale
    t = max(2, scale // 3, (max(h, w) * scale) // 160)  # line thickness, visible when shrunk
    # Room for the outline, transparent (RGBA) so the page shows through in either theme.
    canvas = np.concatenate([canvas, np.full((*canvas.shape[:2], 1), 255, np.uint8)], axis=2)
    canvas = np.pad(canvas, ((t, t), (t, t), (0, 0)), constant_values=0)  # (h, w, 4)
    r0, r1, c0, c1 = r0 + t, r1 + t, c0 + t, c1 + t
    r0o, c0o = max(0, r0 - t), max(0, c0 - t)
    r1o, c1o = min(canvas.shape[0], r1 + t), min(canvas.shape[1], c1 + t)
    canvas[r0o:r0, c0o:c1o] = _BOX
    canvas[r1:r1o, c0o:c1o] = _BOX
    canvas[r0o:r1o, c0o:c0] = _BOX
    canvas[r0o:r1o, c1:c1o] = _BOX
    if max(canvas.shape[:2]) > 720:
        step = int(np.ceil(max(canvas.shape[:2]) / 720))
        canvas = canvas[::step, ::step]
    return render.encode_png(canvas)


_BIG = "font-size:1.6em;align-self:center;padding:1.2em .3em 0 .3em"


def _flex(parts: list[str], *, wrap: bool = True) -> str:
    return (
        '<div style="display:flex;gap:.5rem;align-items:flex-start;'
        f'flex-wrap:{"wrap" if wrap else "nowrap"};margin-bottom:.8rem">{"".join(parts)}</div>'
    )


def step_html(
    window: np.ndarray,
    weights: np.ndarray,
    products: np.ndarray,
    partial_sums: np.ndarray,
    names: tuple[str, ...],
    is_padding: np.ndarray,
    decimals: int,
) -> str:
    """Return one output value, channel by channel: window × kernel = products → partial sum.

    Parameters
    ----------
    window, weights, products : ndarray, shape (C, kH, kW)
        From a :class:`vizlib.ConvStep`.
    partial_sums : ndarray, shape (C,)
    names : tuple of str
        One label per channel ("R", "G", "B").
    is_padding : bool ndarray, shape (kH, kW)
        Taps that read the padding (hatched).
    decimals : int
        Digits for the window values (0 for the integer tutorial grid).
    """
    c_in = window.shape[0]
    top = max(float(np.max(np.abs(window))), 1.0)
    wlim = max(float(np.max(np.abs(weights))), 1e-12)
    plim = max(float(np.max(np.abs(products))), 1e-12)
    rows = []
    for k in range(c_in):
        name = names[k]
        rows.append(
            _flex(
                [
                    grid_html(
                        window[k],
                        title=f"{name}: window",
                        decimals=decimals,
                        vmin=-0.35 * top,
                        vmax=top,
                        hatched=is_padding,
                    ),
                    f'<div style="{_BIG}">×</div>',
                    grid_html(
                        weights[k],
                        title=f"{name}: kernel",
                        decimals=None,
                        cmap="RdBu_r",
                        vmin=-wlim,
                        vmax=wlim,
                    ),
                    f'<div style="{_BIG}">=</div>',
                    grid_html(
                        products[k],
                        title="products",
                        decimals=None,
                        cmap="RdBu_r",
                        vmin=-plim,
                        vmax=plim,
                        hatched=is_padding,
                    ),
                    f'<div style="{_BIG};font-size:1.25em;font-weight:600">sum = '
                    f"{html.escape(format_number(partial_sums[k]))}</div>",
                ]
            )
        )
    return "".join(rows)


def filter_html(
    block: np.ndarray, names: tuple[str, ...], bias: float, title: str, *, wrap: bool = True
) -> str:
    """Return one filter as its C kernels side by side, plus its bias.

    Parameters
    ----------
    block : ndarray, shape (C, kH, kW)
        One filter: a kernel per input channel.
    names : tuple of str
        Channel labels ("R", "G", "B").
    bias : float
        The filter's bias, written after the kernels.
    title : str
        Plain text above the kernels.
    wrap : bool
        False keeps the kernels and the bias on one line at their full size.
    """
    c_in = block.shape[0]
    vlim = max(float(np.max(np.abs(block))), 1e-12)
    parts = []
    for k in range(c_in):
        parts.append(
            grid_html(
                block[k],
                title=f"{names[k]} kernel",
                decimals=None,
                cmap="RdBu_r",
                vmin=-vlim,
                vmax=vlim,
                fixed=not wrap,
            )
        )
    parts.append(
        f'<div style="{_BIG};font-size:1.2em;white-space:nowrap">'
        f"+ bias {html.escape(format_number(bias))}</div>"
    )
    return f'<div style="font-weight:600;margin-bottom:.3rem">{html.escape(title)}</div>' + _flex(
        parts, wrap=wrap
    )


def filters_html(blocks: list[tuple[np.ndarray, float, str]], names: tuple[str, ...]) -> str:
    """Several filters (block, bias, title) as :func:`filter_html` boxes that wrap side by side."""
    return _flex(
        [
            # Each filter's kernels and bias stay on one line; the filters wrap.
            f'<div style="flex:0 0 auto">{filter_html(block, names, bias, title, wrap=False)}</div>'
            for block, bias, title in blocks
        ]
    ).replace("gap:.5rem", "gap:.5rem 2.2rem", 1)


@cached.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _map_pictures(
    maps_key: str, view: str, vlim: float | None, boost: bool, max_side: int, _maps: np.ndarray
) -> list[render.Picture]:
    """:func:`ui.panels.map_picture` of every map (with its colour bar), cached on the digest."""
    return [
        panels.map_picture(m, view=view, vlim=vlim, boost=boost, max_side=max_side, colorbar=True)
        for m in _maps
    ]


def show_maps(
    container,
    maps: np.ndarray,
    titles: list[str],
    *,
    view: str = "signed",
    vlim: float | None = None,
    max_side: int = 480,
    width: int = 320,
) -> None:
    """Several feature maps (F, H', W') as ONE ``st.image`` call: pictures that wrap in rows.

    Each picture is a map with its colour bar, captioned exactly as
    :func:`ui.panels.show_map` captions one map (name, shape, min, max, colour
    scale); one element on the page instead of one per map plus a row of columns.
    In presentation mode the captions are short (name, shape, min, max), the
    colour scale is written once under the row (:func:`ui.panels.row_scale_note`),
    and the pictures are narrowed so up to four share a line on a 1280 px projector.
    """
    boost = presentation.is_boosted() and not vlim
    pics = _map_pictures(digest(maps), view, vlim, boost, max_side, maps)
    short = presentation.is_on()  # a projector: name, shape, min, max; the scale once below
    captions, alts = [], []
    for m, pic, title in zip(maps, pics, titles, strict=True):
        full = panels.map_caption(m, pic, title, view, shared=bool(vlim))
        low, high = panels.saturated_ends(panels.view_values(m, view), pic.vmin, pic.vmax)
        captions.append(
            panels.map_caption(m, pic, title, view, shared=bool(vlim), short=True)
            if short
            else full
        )
        alts.append(panels.map_alt(full, low, high))
    panels.show_pictures(
        container,
        [pic.png for pic in pics],
        captions,
        width=panels.row_width(len(pics), width),
        alts=alts,
        margin=6,
    )
    if short:
        container.caption(panels.row_scale_note(maps, pics, view, shared=bool(vlim)))
