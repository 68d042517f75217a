"""The step player shows exactly what vizlib computes, for every frame it ships."""

import json

import numpy as np
import pytest

import vizlib
from ui import stepview
from vizlib.conv import format_number

GRID = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)
VERTICAL = vizlib.KERNELS["vertical_edge"].weights


def _spec(player: dict) -> dict:
    """The player's data as the browser gets it (the component's data is JSON)."""
    data = json.loads(json.dumps(player))
    data["frames"] = json.loads(data["frames"])
    return data


def _player(x, w, row, col, **settings):
    fmap = vizlib.conv2d(x, w, **settings)
    return _spec(stepview.conv_stepview(x, w, fmap, row, col, **settings)), fmap


def _texts(values) -> list:
    return [[format_number(v) for v in row] for row in values]


SETTINGS = [
    {},
    {"padding": 1},
    {"padding": 2, "padding_mode": "reflect", "stride": 2},
    {"padding": "same", "dilation": 2, "padding_mode": "circular"},
    {"padding": (1, 0), "stride": (1, 2), "padding_mode": "replicate"},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_every_frame_equals_conv_step(settings):
    rng = np.random.default_rng(3)
    x = rng.integers(-4, 9, size=(7, 6)).astype(np.float64)  # small: numbers shown in cells
    w = rng.integers(-2, 3, size=(3, 2)).astype(np.float64)
    spec, fmap = _player(x, w, 0, 0, **settings)
    assert len(spec["frames"]) == fmap.size  # small outputs ship every position
    top, _, left, _ = stepview.pad_amounts(
        settings.get("padding", 0), w.shape, settings.get("dilation", 1)
    )
    padded_cells = spec["input"]["cells"]
    keys = ("stride", "padding", "dilation", "padding_mode")
    for index, frame in enumerate(spec["frames"]):
        row, col = divmod(index, fmap.shape[1])
        assert frame["pos"] == [row, col]
        step = vizlib.conv_step(x, w, row, col, **{k: v for k, v in settings.items() if k in keys})
        assert frame["expression"] == step.expression()
        assert frame["result"] == format_number(step.total) == format_number(fmap[row, col])
        window, kernel, products = frame["panels"]
        assert window["cells"] == _texts(step.window[0])
        assert kernel["cells"] == _texts(step.weights[0])
        assert products["cells"] == _texts(step.products[0])
        pad = np.asarray(window["pad"]) if window["pad"] else np.zeros(w.shape, int)
        assert (pad.astype(bool) == step.is_padding).all()
        taps = np.stack([step.tap_rows + top, step.tap_cols + left], axis=-1).reshape(-1, 2)
        assert frame["taps"] == taps.tolist()
        # The input drawn (padding included) holds the window's values at the taps.
        shown = [padded_cells[r][c] for r, c in frame["taps"]]
        assert shown == [format_number(v) for v in step.window[0].ravel()]


def test_tutorial_frames_start_at_six_and_cover_the_map():
    spec, fmap = _player(GRID, VERTICAL, 0, 0)
    first = spec["frames"][spec["start"]]
    assert first["result"] == "6"
    assert first["expression"] == vizlib.conv_step(GRID, VERTICAL, 0, 0).expression()
    assert [f["result"] for f in spec["frames"]] == [format_number(v) for v in fmap.ravel()]
    assert spec["output"]["cells"] == _texts(fmap)
    assert spec["loop"] is True


def test_large_input_ships_the_cached_block_holding_the_position():
    x = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    w = vizlib.KERNELS["sobel_x"].weights
    row, col = 40, 17
    spec, fmap = _player(x, w, row, col, padding=1)
    frames = spec["frames"]
    assert spec["input"]["kind"] == "image" and spec["output"]["kind"] == "image"
    assert len(frames) == stepview.BLOCK  # the player asks for the next block itself
    assert frames[spec["start"]]["pos"] == [row, col]
    out_w = fmap.shape[1]
    first = (row * out_w + col) // stepview.BLOCK * stepview.BLOCK
    expected = [list(divmod(i, out_w)) for i in range(first, first + stepview.BLOCK)]
    assert [f["pos"] for f in frames] == expected
    for frame in frames[spec["start"] : spec["start"] + 5] + frames[-2:]:
        r, c = frame["pos"]
        step = vizlib.conv_step(x, w, r, c, padding=1)
        assert frame["expression"] == step.expression()
        assert frame["result"] == format_number(fmap[r, c])


def test_big_kernels_ship_fewer_positions():
    assert stepview.block_size((3, 3)) == stepview.BLOCK
    assert stepview.block_size((11, 11)) < stepview.BLOCK
    assert stepview.block_size((11, 11)) * 2 * 121 <= stepview.TAP_BUDGET


@pytest.mark.parametrize("index", [0, 5, 127, 128, 300, 899])
def test_scan_positions_are_whole_blocks_holding_the_position(index):
    out = (30, 30)
    positions, start = stepview.scan_positions(out, *divmod(index, 30), block=128)
    assert positions[start] == divmod(index, 30)
    first = positions[0][0] * 30 + positions[0][1]
    assert first % 128 == 0
    assert len(positions) == min(128, 900 - first)


def test_player_is_self_contained():
    player = stepview.conv_stepview(GRID, VERTICAL, vizlib.conv2d(GRID, VERTICAL), 1, 1)
    code = stepview._JS + stepview._CSS
    for text in (json.dumps(player), code):
        assert "http://" not in text and "https://" not in text
        assert "<script" not in text and "import(" not in text
    for label in ("Previous", "Play", "Next", "Speed"):
        assert label in code
    assert stepview.frames_of(player) == _spec(player)["frames"]


def test_player_texts_are_never_html():
    """Labels reach the page through textContent only: a file name cannot inject markup."""
    assert "innerHTML" not in stepview._JS
    assert "insertAdjacentHTML" not in stepview._JS


def test_player_needs_frames():
    view = stepview.cells_view([["1"]], [["#ffffff"]], label="x")
    with pytest.raises(ValueError, match="at least one frame"):
        stepview.build_player(
            input_view=view, output_view=view, panel_titles=(), operators=(), frames=[]
        )


def test_a_pointed_position_ships_its_block_as_extra_frames():
    """Pointing far from the loaded positions loads that block (for previews only):
    whole, cached like the others, and every frame is vizlib's conv_step."""
    x = np.random.default_rng(1).random((64, 64)).astype(np.float32)
    w = vizlib.KERNELS["sobel_y"].weights
    fmap = vizlib.conv2d(x, w, padding=1, stride=2)  # (32, 32): 1024 positions
    peek = (25, 9)
    spec = _spec(stepview.conv_stepview(x, w, fmap, 0, 3, padding=1, stride=2, peek=peek))
    extra = json.loads(spec["extra"])
    assert [f["pos"] for f in spec["frames"]] == [list(divmod(i, 32)) for i in range(128)]
    first = (25 * 32 + 9) // stepview.BLOCK * stepview.BLOCK
    assert [f["pos"] for f in extra] == [list(divmod(i, 32)) for i in range(first, first + 128)]
    for frame in extra:
        step = vizlib.conv_step(x, w, *frame["pos"], padding=1, stride=2)
        assert frame["expression"] == step.expression()
        assert frame["result"] == format_number(fmap[tuple(frame["pos"])])
    assert spec["geometry"] == {"out": [32, 32], "stride": [2, 2], "centre": [1.0, 1.0],
                                "block": stepview.BLOCK}  # fmt: skip
    # A position already loaded, or one that no longer fits the map, adds nothing.
    for peek in ((3, 4), None):
        spec = _spec(stepview.conv_stepview(x, w, fmap, 0, 3, padding=1, stride=2, peek=peek))
        assert json.loads(spec["extra"]) == []


def test_extra_range_and_peek_bounds():
    assert stepview.extra_range(10, 95, 16, 0, 32, (1, 5)) is None  # index 15: loaded
    assert stepview.extra_range(10, 95, 16, 0, 32, (8, 3)) == (80, 95)  # the last, short block
    assert stepview.extra_range(10, 95, 16, 0, 32, None) is None
    geometry = stepview.geometry((5, 7), (1, 2), (5, 3), 64)  # a dilated 3×2 kernel
    assert geometry == {"out": [5, 7], "stride": [1, 2], "centre": [2.0, 1.0], "block": 64}
