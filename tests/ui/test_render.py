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
