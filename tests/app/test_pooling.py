"""The pooling lesson: every number on the page is the one vizlib computes."""

import json
import re

import numpy as np
import pytest

import vizlib
from tests.app.conftest import no_exceptions, open_page
from tests.readers import markdown_tables, scale_captions
from ui import plots_pooling, stepview
from ui.state import CURRENT_IMAGE
from vizlib.conv import format_number

PAGE = "lessons/pooling.py"
GRID = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)
VERTICAL = vizlib.KERNELS["vertical_edge"].weights


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _errors(at) -> str:
    return " ".join(e.value for e in at.error)


def _torch(at) -> str:
    return next(c.value for c in at.code if "import torch" in c.value)


def _set(at, **values) -> None:
    """Set widgets by their key suffix (``k=3`` sets ``pool.k``) and rerun."""
    for name, value in values.items():
        key = f"pool.{name}"
        for kind in ("number_input", "checkbox", "radio", "selectbox"):
            widgets = [w for w in getattr(at, kind) if w.key == key]
            if widgets:
                widgets[0].set_value(value)
                break
        else:
            raise KeyError(key)
    at.run()
    no_exceptions(at)


def _winner_text(step) -> str:
    r, c = step.winner
    return f"**Winner:** input row {r}, column {c}, value {format_number(step.value)}"


@pytest.fixture
def page(app):
    return open_page(app, PAGE)


@pytest.fixture
def grid(page):
    page.button(key="pool.tutorial").click().run()
    no_exceptions(page)
    return page


def test_default_page_pools_the_relu_feature_map(page):
    no_exceptions(page)
    x = page.session_state[CURRENT_IMAGE].gray
    fmap = vizlib.relu(vizlib.conv2d(x, VERTICAL))  # (H - 2, W - 2)
    step = vizlib.pool_step(fmap, 0, 0, mode="max", kernel_size=2)
    assert page.code[0].value == step.expression()
    text = _markdown(page)
    assert f"= {format_number(step.value)}.**" in text
    assert _winner_text(step) in text
    assert f"flat index {step.winner_index} " in text
    # Stride defaults to the kernel size: the shape text says so.
    h, w = fmap.shape
    out = (vizlib.output_size(h, 2, stride=2), vizlib.output_size(w, 2, stride=2))
    assert f"**{h}×{w} → {out[0]}×{out[1]}**" in text
    assert "F.max_pool2d(x, kernel_size=2, stride=None, padding=0" in _torch(page)


def test_tutorial_grid_shows_the_whole_pooled_output(grid):
    expected = vizlib.max_pool2d(GRID, 2)
    (shown,) = markdown_tables(grid, "**Pooled values (2×2)**")
    np.testing.assert_array_equal(shown, expected)
    (shown,) = markdown_tables(grid, "**Image values (5×5)**")
    np.testing.assert_array_equal(shown, GRID)
    assert "x = torch.tensor([[7.0, 2.0, 3.0, 3.0, 8.0]" in _torch(grid)


def _unread(x, out_shape, **args) -> tuple[list[int], list[int]]:
    """Rows and columns of ``x`` that no pool_step of any output position reads."""
    rows, cols = set(range(x.shape[0])), set(range(x.shape[1]))
    for r in range(out_shape[0]):
        for c in range(out_shape[1]):
            step = vizlib.pool_step(x, r, c, mode="max", **args)
            rows -= set(step.tap_rows.ravel().tolist())
            cols -= set(step.tap_cols.ravel().tolist())
    return sorted(rows), sorted(cols)


def test_values_no_window_reads_are_named(grid):
    """2×2 windows with stride 2 on the 5×5 grid never read row 4 and column 4."""
    assert _unread(GRID, (2, 2), kernel_size=2) == ([4], [4])
    text = _markdown(grid)
    assert (
        "No window reads input row 4 and column 4: the 2×2 windows with stride 2 end before "
        "them, and PyTorch skips them too. ceil_mode=True adds a last window" in text
    )
    _set(grid, k=1, same_stride=False)  # 1×1 windows, stride 2: gaps between them
    _set(grid, stride=2)
    assert _unread(GRID, (3, 3), kernel_size=1, stride=2) == ([1, 3], [1, 3])
    assert "No window reads input rows 1 and 3 and columns 1 and 3: the stride (2) leaves gaps" in (
        _markdown(grid)
    )
    _set(grid, k=3, stride=1)  # windows cover every cell: no note
    assert "No window reads" not in _markdown(grid)


def test_max_winner_and_tie_rule_equal_pool_step(grid):
    _set(grid, k=3, same_stride=False)
    _set(grid, stride=1, col=1)
    step = vizlib.pool_step(GRID, 0, 1, mode="max", kernel_size=3, stride=1)
    assert step.winner == (1, 3)  # 8 also sits at (2, 3): the first in row-major order wins
    assert grid.code[0].value == step.expression()
    text = _markdown(grid)
    assert _winner_text(step) in text
    assert "**Tie:** 2 cells" in text


@pytest.mark.parametrize("include", [True, False])
def test_average_shows_sum_and_divisor_of_pool_step(grid, include):
    _set(grid, mode="avg", padding=1)
    _set(grid, count_include_pad=include)
    step = vizlib.pool_step(
        GRID, 0, 0, mode="avg", kernel_size=2, padding=1, count_include_pad=include
    )
    assert step.divisor == (4 if include else 1)
    text = _markdown(grid)
    assert f"**Sum** = {format_number(step.total)}, **divisor** = {step.divisor}," in text
    assert f"= {format_number(step.value)}." in text
    if include:  # the explanation adds up to the divisor
        assert f"divisor: {step.divisor} = 1 real value + 3 padding zeros." in text
    else:
        assert "only the 1 real value count" in text
    assert grid.code[0].value == step.expression()
    assert f"count_include_pad={include}" in _torch(grid)


def test_window_larger_than_the_map_shows_vizlibs_message(grid):
    _set(grid, k=6)
    with pytest.raises(ValueError) as info:
        vizlib.output_size(5, 6)
    assert str(info.value) in _errors(grid)
    assert "kernel_size=6" in _torch(grid)  # the rest of the page still works
    _set(grid, k=2)  # and recovers
    assert not grid.error


def test_ceil_mode_keeps_the_last_window_and_divides_by_what_it_covers(grid):
    _set(grid, mode="avg", ceil_mode=True)
    _set(grid, row=2, col=2)
    step = vizlib.pool_step(GRID, 2, 2, mode="avg", kernel_size=2, ceil_mode=True)
    assert step.divisor == 1  # only the corner cell lies inside the (unpadded) input
    text = _markdown(grid)
    assert f"**Sum** = {format_number(step.total)}, **divisor** = 1," in text
    assert "3×3" in text  # 5×5 → 3×3 with ceil_mode
    assert "With ceil_mode the last window reaches past the padded input" in text


def test_padding_more_than_half_the_kernel_shows_vizlibs_message(grid):
    _set(grid, padding=2)
    with pytest.raises(ValueError) as info:
        vizlib.max_pool2d(GRID, 2, padding=2)
    assert str(info.value) in _errors(grid)


def test_stride_follows_the_kernel_until_set(page):
    x = page.session_state[CURRENT_IMAGE].gray
    h, w = x.shape[0] - 2, x.shape[1] - 2  # the 3×3 convolution's map
    _set(page, k=3)
    out = (vizlib.output_size(h, 3, stride=3), vizlib.output_size(w, 3, stride=3))
    assert f"**{h}×{w} → {out[0]}×{out[1]}**" in _markdown(page)
    _set(page, same_stride=False)
    _set(page, stride=1)
    out = (vizlib.output_size(h, 3), vizlib.output_size(w, 3))
    assert f"**{h}×{w} → {out[0]}×{out[1]}**" in _markdown(page)
    assert "stride=1," in _torch(page)


def test_pytorch_snippet_reflects_the_settings(page):
    _set(page, source="image", mode="avg", k=3, same_stride=False)
    _set(page, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    code = _torch(page)
    assert (
        "F.avg_pool2d(x, kernel_size=3, stride=2, padding=1, ceil_mode=True, "
        "count_include_pad=False)" in code
    )
    assert "F.conv2d" not in code
    _set(page, source="feature", mode="max")
    _set(page, dilation=2)
    code = _torch(page)
    assert "F.conv2d(x, w)" in code and "F.relu(x)" in code
    assert "F.max_pool2d(x, kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True" in code


def test_a_pointed_position_ships_its_block_of_pool_steps():
    """Pointing far away in the player loads that block: pool_step's numbers, whole block."""
    x = np.random.default_rng(2).random((80, 80))
    pooled = vizlib.max_pool2d(x, kernel_size=2, stride=2)  # (40, 40)
    player = plots_pooling.pool_stepview(
        x, pooled, 0, 0, mode="max", kernel_size=2, stride=2, padding=0, cmap="gray",
        scale=(0, 1), peek=(30, 7),
    )  # fmt: skip
    extra = json.loads(player["extra"])
    assert [30, 7] in [f["pos"] for f in extra]
    assert not {tuple(f["pos"]) for f in extra} & {
        tuple(f["pos"]) for f in stepview.frames_of(player)
    }
    for frame in extra:
        step = vizlib.pool_step(x, *frame["pos"], mode="max", kernel_size=2, stride=2)
        assert frame["expression"] == step.expression()
        assert frame["result"] == format_number(pooled[tuple(frame["pos"])])
    assert player["geometry"]["centre"] == [0.5, 0.5] and player["geometry"]["stride"] == [2, 2]


@pytest.mark.parametrize(
    "settings",
    [
        {"mode": "max", "kernel_size": 2, "stride": 2},
        {"mode": "max", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
        {"mode": "max", "kernel_size": 2, "stride": 1, "dilation": 2},
        {"mode": "max", "kernel_size": 2, "stride": 2, "ceil_mode": True},  # past the edge
        {"mode": "avg", "kernel_size": 2, "stride": 2, "ceil_mode": True},
        {"mode": "avg", "kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},
        {"mode": "avg", "kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    ],
)
def test_every_player_frame_equals_pool_step(settings):
    """The browser player ships exactly pool_step's numbers, for every position."""
    settings = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, **settings}
    settings.setdefault("count_include_pad", True)
    mode = settings["mode"]
    args = {k: v for k, v in settings.items() if k != "mode"}
    if mode == "avg":
        args.pop("dilation")
        pooled = vizlib.avg_pool2d(GRID, **args)
    else:
        args.pop("count_include_pad")
        pooled = vizlib.max_pool2d(GRID, **args)
    player = plots_pooling.pool_stepview(GRID, pooled, 0, 0, cmap="gray", scale=(0, 8), **settings)
    frames = stepview.frames_of(player)
    assert len(frames) == pooled.size
    pad = settings["padding"]
    for index, frame in enumerate(frames):
        row, col = divmod(index, pooled.shape[1])
        step = vizlib.pool_step(GRID, row, col, mode=mode, **args)
        assert frame["pos"] == [row, col]
        assert frame["expression"] == step.expression()
        assert frame["result"] == format_number(step.value) == format_number(pooled[row, col])
        taps = np.stack([step.tap_rows + pad, step.tap_cols + pad], axis=-1).reshape(-1, 2)
        assert frame["taps"] == taps.tolist()
        window = frame["panels"][0]
        assert window["cells"] == [[format_number(v) for v in r] for r in step.window]
        if mode == "max":
            r, c = step.winner
            assert frame["marks"] == [[r + pad, c + pad]]
            a, b = window["mark"][0]
            assert (step.tap_rows[a, b], step.tap_cols[a, b]) == (r, c)
        else:
            assert frame["panels"][1]["cells"] == [[format_number(step.total)]]
            assert frame["panels"][2]["cells"] == [[str(step.divisor)]]


# ---------------------------------------------------------------- boost map contrast


@pytest.mark.parametrize(("boost", "relu"), [(False, True), (True, True), (True, False)])
def test_before_and_after_share_a_scale_that_follows_boost(app, boost, relu):
    app.session_state["present.boost"] = boost
    page = open_page(app, PAGE)
    if not relu:
        _set(page, relu=False)
    no_exceptions(page)
    fmap = vizlib.conv2d(page.session_state[CURRENT_IMAGE].gray, VERTICAL)  # (H - 2, W - 2)
    fmap = vizlib.relu(fmap) if relu else fmap
    both = np.abs(np.concatenate([fmap.ravel(), vizlib.max_pool2d(fmap, 2).ravel()]))
    limit = format_number(np.percentile(both, 99) if boost else np.max(both))
    assert format_number(np.percentile(both, 99)) != format_number(np.max(both))
    scales = scale_captions(page)
    assert len(scales) == 2  # the map and the pooled map
    low = "0" if relu else f"-{limit}"  # signed: ±limit; after ReLU: 0 to the limit
    for caption in scales:
        assert re.search(rf"colour scale: (≤ )?{re.escape(low)} (←|\(dark\) →)", caption), caption
        assert re.search(rf"→ (≥ )?{re.escape(limit)}\b", caption), caption
    saturating = [c for c in scales if "colours saturate beyond" in c]
    assert bool(saturating) == boost
    assert all("(the shared limit: the 99th percentile" in c for c in saturating)
