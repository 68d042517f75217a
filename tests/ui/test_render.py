"""ui.render: a small map's picture outlines every cell; big maps are left as they are."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from ui import render


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))  # (h, w, 3)


def test_small_maps_outline_every_cell_and_keep_each_cells_colour():
    values = np.array([[7.0, 8.0], [8.0, 8.0]])  # the pooled tutorial grid: 8 is white in grey
    pic = render.picture_of_map(values, cmap="gray", vmin=2.0, vmax=8.0)
    rgb = _pixels(pic.png)
    block, _ = render._display_factor(2, 2, 640)
    assert block >= render.GRID_MIN_BLOCK and rgb.shape[:2] == (2 * block, 2 * block)
    line = render._LINE.tolist()
    for edge in (0, block, 2 * block - 1):  # lines between and around the cells
        assert (rgb[edge, :] == line).all() and (rgb[:, edge] == line).all()
    centres = rgb[block // 2 :: block, block // 2 :: block]  # (2, 2, 3): one pixel per cell
    lut = render.lut("gray")
    expected = lut[np.clip((values - 2.0) * (255.0 / 6.0), 0, 255).astype(np.uint8)]
    np.testing.assert_array_equal(centres, expected)
    assert (centres[0, 1] == 255).all()  # a white cell, now inside a grey outline


def test_large_maps_have_no_lines():
    values = np.random.default_rng(0).random((400, 300))
    rgb = _pixels(render.picture_of_map(values, cmap="gray", vmin=0.0, vmax=1.0).png)
    assert not (rgb[0] == render._LINE).all()


def test_a_picture_drawn_at_its_display_width_is_shown_as_it_is():
    """width/margin: the map shrunk to fit, its colour bar and transparent margins, one
    encode; panels.fit_png then passes it through instead of decoding and encoding again."""
    from ui import panels

    values = np.random.default_rng(1).normal(size=(256, 218))
    pic = render.picture_of_map(
        values, vmin=-2.0, vmax=2.0, colorbar=(True, True), width=220, margin=5
    )
    rgba = np.asarray(Image.open(io.BytesIO(pic.png)))  # (h, 220, 4)
    assert rgba.shape[1] == 220 and rgba.shape[2] == 4
    assert (rgba[:, :5, 3] == 0).all() and (rgba[:, -5:, 3] == 0).all()  # the margins
    assert (rgba[0, 5:-5, 3] == 255).all()  # the map itself is opaque
    assert panels.fit_png(pic.png, 220) is pic.png
    # Nearest neighbour: every pixel of the shrunk map is a colour of the full-size one.
    full = np.asarray(
        Image.open(io.BytesIO(render.picture_of_map(values, vmin=-2.0, vmax=2.0).png))
    )
    colours = {tuple(c) for c in full.reshape(-1, 3).tolist()}
    assert {tuple(c) for c in rgba[:100, 5:-5, :3].reshape(-1, 3).tolist()} <= colours


def test_the_palette_picture_is_the_same_picture():
    """indexed_picture_of_map: same size, same transparency (bar, margins), every colour
    within 4/255 of picture_of_map's (254 levels instead of 256), cell lines included."""
    rng = np.random.default_rng(3)
    cases = [
        (rng.normal(size=(256, 218)), {"colorbar": (True, False), "width": 220, "margin": 5}),
        (rng.normal(size=(5, 5)), {"colorbar": (False, True)}),  # cell lines
        (rng.normal(size=(300, 7)), {"colorbar": (True, True)}),  # narrower than the bar
        (rng.normal(size=(40, 60)), {}),
    ]
    for values, options in cases:
        args = {"cmap": "RdBu_r", "vmin": -2.0, "vmax": 2.0, "max_side": 360, **options}
        indexed = render.indexed_picture_of_map(values, **args)
        full = render.picture_of_map(values, **args)
        a = np.asarray(Image.open(io.BytesIO(indexed.png)).convert("RGBA")).astype(int)
        b = np.asarray(Image.open(io.BytesIO(full.png)).convert("RGBA")).astype(int)
        assert a.shape == b.shape
        np.testing.assert_array_equal(a[..., 3], b[..., 3])
        opaque = b[..., 3] > 0
        assert np.abs(a[opaque][:, :3] - b[opaque][:, :3]).max() <= 4
        assert (indexed.vmin, indexed.vmax, indexed.rows, indexed.cols) == (
            full.vmin, full.vmax, full.rows, full.cols,
        )  # fmt: skip
