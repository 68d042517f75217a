"""Preset kernels, kernel parsing (text and grid cells) and random filters."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import signal

from vizlib.images import TUTORIAL_GRID, synthetic_image
from vizlib.kernels import KERNELS, Kernel, kernel_from_cells, parse_kernel, random_kernel

VERTICAL_EDGE = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]
EDGE_DETECTOR = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]

TEACHING_ORDER = [
    "identity",
    "edge_detector",
    "vertical_edge",
    "horizontal_edge",
    "sobel_x",
    "sobel_y",
    "scharr_x",
    "scharr_y",
    "prewitt_x",
    "prewitt_y",
    "laplacian",
    "box_blur_3",
    "box_blur_5",
    "gaussian_3",
    "gaussian_5",
    "sharpen",
    "emboss",
    "outline",
]


def correlate(image, kernel):
    """Cross-correlation without padding, as deep learning's 'convolution' does."""
    return signal.correlate2d(image, kernel, mode="valid")


# --------------------------------------------------------------------------- presets


def test_presets_are_in_teaching_order():
    assert list(KERNELS) == TEACHING_ORDER


def test_tutorial_kernels_have_the_tutorials_values():
    assert KERNELS["edge_detector"].weights.tolist() == EDGE_DETECTOR
    assert KERNELS["vertical_edge"].weights.tolist() == VERTICAL_EDGE
    identity = np.zeros((3, 3))
    identity[1, 1] = 1
    np.testing.assert_array_equal(KERNELS["identity"].weights, identity)


def test_tutorial_worked_example_top_left_is_6():
    # The slide: [[7,2,3],[4,5,3],[3,3,2]] * [[1,0,-1]]x3 = 7+4+3 - (3+3+2) = 6.
    window = TUTORIAL_GRID[:3, :3]
    assert float((window * KERNELS["vertical_edge"].weights).sum()) == 6.0
    assert correlate(TUTORIAL_GRID, KERNELS["vertical_edge"].weights)[0, 0] == 6.0


@pytest.mark.parametrize("key", TEACHING_ORDER)
def test_every_preset_is_a_read_only_float_grid_with_a_one_line_description(key):
    kernel = KERNELS[key]
    assert isinstance(kernel, Kernel)
    assert kernel.weights.dtype == np.float64
    assert kernel.weights.ndim == 2
    assert kernel.shape == kernel.weights.shape
    assert kernel.weights.shape[0] % 2 == 1 and kernel.weights.shape[1] % 2 == 1
    assert not kernel.weights.flags.writeable
    with pytest.raises(ValueError):
        kernel.weights[0, 0] = 5
    assert kernel.name.strip()
    assert kernel.description.strip() and "\n" not in kernel.description
    assert len(kernel.description) < 160
    np.testing.assert_array_equal(np.asarray(kernel), kernel.weights)


def test_kernel_is_frozen_and_copies_its_weights():
    source = np.ones((3, 3))
    kernel = Kernel("Ones", source, "All ones.")
    source[0, 0] = 7
    assert kernel.weights[0, 0] == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        kernel.name = "x"
    with pytest.raises(ValueError, match="2-D"):
        Kernel("Bad", np.ones(3), "not a grid")


@pytest.mark.parametrize(
    ("key", "total"),
    [
        ("identity", 1),
        ("edge_detector", 0),
        ("vertical_edge", 0),
        ("horizontal_edge", 0),
        ("sobel_x", 0),
        ("sobel_y", 0),
        ("scharr_x", 0),
        ("scharr_y", 0),
        ("prewitt_x", 0),
        ("prewitt_y", 0),
        ("laplacian", 0),
        ("box_blur_3", 1),
        ("box_blur_5", 1),
        ("gaussian_3", 1),
        ("gaussian_5", 1),
        ("sharpen", 1),
        ("emboss", 1),
        ("outline", 0),
    ],
)
def test_weights_sum_says_what_a_flat_area_becomes(key, total):
    # Sum 0: flat areas become 0 ("zero on flat areas"); sum 1: brightness is kept.
    assert KERNELS[key].weights.sum() == pytest.approx(total, abs=1e-12)
    flat = np.full((7, 7), 0.6)
    np.testing.assert_allclose(correlate(flat, KERNELS[key].weights), 0.6 * total, atol=1e-12)


@pytest.mark.parametrize(
    ("x", "y"),
    [("sobel_x", "sobel_y"), ("scharr_x", "scharr_y"), ("prewitt_x", "prewitt_y")],
)
def test_y_kernels_are_the_x_kernels_turned_from_columns_to_rows(x, y):
    np.testing.assert_array_equal(KERNELS[y].weights, KERNELS[x].weights.T)


def test_known_values_of_the_classic_kernels():
    assert KERNELS["sobel_x"].weights.tolist() == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert KERNELS["scharr_x"].weights.tolist() == [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]]
    assert KERNELS["prewitt_x"].weights.tolist() == [[-1, 0, 1]] * 3
    assert KERNELS["laplacian"].weights.tolist() == [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    assert KERNELS["sharpen"].weights.tolist() == [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    assert KERNELS["emboss"].weights.tolist() == [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]
    np.testing.assert_allclose(KERNELS["box_blur_5"].weights, np.full((5, 5), 1 / 25))
    binomial = np.array([1, 4, 6, 4, 1])
    np.testing.assert_allclose(KERNELS["gaussian_5"].weights, np.outer(binomial, binomial) / 256)
    np.testing.assert_allclose(
        KERNELS["gaussian_3"].weights * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    )


def test_outline_is_honestly_the_edge_detector():
    np.testing.assert_array_equal(KERNELS["outline"].weights, KERNELS["edge_detector"].weights)
    assert "edge detector" in KERNELS["outline"].description


@pytest.mark.parametrize(
    ("key", "responds_to", "ignores"),
    [
        ("vertical_edge", "vertical_step", "horizontal_step"),
        ("sobel_x", "vertical_step", "horizontal_step"),
        ("scharr_x", "vertical_step", "horizontal_step"),
        ("prewitt_x", "vertical_step", "horizontal_step"),
        ("horizontal_edge", "horizontal_step", "vertical_step"),
        ("sobel_y", "horizontal_step", "vertical_step"),
        ("scharr_y", "horizontal_step", "vertical_step"),
        ("prewitt_y", "horizontal_step", "vertical_step"),
    ],
)
def test_directional_kernels_respond_to_the_edge_their_description_names(key, responds_to, ignores):
    weights = KERNELS[key].weights
    assert np.abs(correlate(synthetic_image(responds_to, size=16), weights)).max() > 0
    np.testing.assert_array_equal(correlate(synthetic_image(ignores, size=16), weights), 0)


@pytest.mark.parametrize(
    ("key", "image", "sign"),
    [
        ("vertical_edge", "vertical_step", -1),  # right is brighter: left minus right < 0
        ("sobel_x", "vertical_step", +1),
        ("prewitt_x", "vertical_step", +1),
        ("horizontal_edge", "horizontal_step", -1),  # bottom is brighter: top minus bottom < 0
        ("sobel_y", "horizontal_step", +1),
        ("prewitt_y", "horizontal_step", +1),
    ],
)
def test_sign_matches_the_description(key, image, sign):
    # The steps are dark then bright (left->right, top->bottom).
    out = correlate(synthetic_image(image, size=16), KERNELS[key].weights)
    assert sign * out.sum() > 0
    assert (sign * out >= 0).all()


def test_x_and_y_are_named_by_rows_and_columns_in_the_descriptions():
    for key in ("sobel_x", "scharr_x", "prewitt_x"):
        assert "vertical edges" in KERNELS[key].description
    for key in ("sobel_y", "scharr_y", "prewitt_y"):
        assert "horizontal edges" in KERNELS[key].description
    assert "columns" in KERNELS["sobel_x"].description
    assert "rows" in KERNELS["sobel_y"].description


# --------------------------------------------------------------------------- parse_kernel


@pytest.mark.parametrize(
    "text",
    [
        "1 0 -1; 1 0 -1; 1 0 -1",
        "1 0 -1;1 0 -1;1 0 -1;",
        "1,0,-1\n1,0,-1\n1,0,-1",
        "1, 0, -1\r\n1, 0, -1\r\n1, 0, -1\r\n",
        "1\t0\t-1\n1\t0\t-1\n1\t0\t-1",
        "\n  1 0 -1\n\n  1 0 -1\n  1 0 -1\n",
        "[[1, 0, -1], [1, 0, -1], [1, 0, -1]]",
        "[[1.0,0.0,-1.0],\n [1.0,0.0,-1.0],\n [1.0,0.0,-1.0]]",
        "[[ 1  0 -1]\n [ 1  0 -1]\n [ 1  0 -1]]",  # NumPy's printed array
        "[1 0 -1; 1 0 -1; 1 0 -1]",  # MATLAB
        "1 0 \u22121; 1 0 \u22121; 1 0 \u22121",  # typographic minus
        "+1 0 -1; 1.0 0.0 -1.0; 1e0 0e0 -1e0",
    ],
)
def test_parse_kernel_reads_every_syntax(text):
    weights = parse_kernel(text)
    assert weights.dtype == np.float64
    assert weights.tolist() == VERTICAL_EDGE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", [[5.0]]),
        ("  -2.5 ", [[-2.5]]),
        ("[1, 2, 3]", [[1.0, 2.0, 3.0]]),
        ("1 2 3", [[1.0, 2.0, 3.0]]),
        ("1\n2\n3", [[1.0], [2.0], [3.0]]),
        ("1e-3 -2E2", [[0.001, -200.0]]),
        ("-1/2 1 / 4", [[-0.5, 0.25]]),
    ],
)
def test_parse_kernel_shapes_and_numbers(text, expected):
    assert parse_kernel(text).tolist() == expected


def test_fractions_give_the_box_blur():
    text = "1/9 1/9 1/9; 1/9 1/9 1/9; 1/9 1/9 1/9"
    np.testing.assert_allclose(parse_kernel(text), KERNELS["box_blur_3"].weights, rtol=0, atol=0)


def test_parse_kernel_returns_a_fresh_writable_array():
    weights = parse_kernel("1 2; 3 4")
    weights[0, 0] = 9
    assert parse_kernel("1 2; 3 4")[0, 0] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The kernel is empty"),
        ("  \n\t ", "The kernel is empty"),
        ("[]", "The kernel is empty"),
        ("[[]]", "empty (1×0)"),
        ("1,,2", "row 1, column 2 is blank"),
        ("1, 2,", "row 1, column 3 is blank"),
        ("1 0 -1; 1 abc -1", "row 2, column 2 is 'abc', which is not a number"),
        ("1 2 3; 4 5 abc", "row 2, column 3 is 'abc', which is not a number"),
        ("1 2; x 4", "row 2, column 1 is 'x'"),
        ("1_000", "row 1, column 1 is '1_000', which is not a number"),
        ("1 nan", "row 1, column 2 is 'nan' (not a number)"),
        ("NaN", "row 1, column 1 is blank or NaN"),
        ("1 inf", "row 1, column 2 is infinite"),
        ("-Infinity", "row 1, column 1 is infinite"),
        ("1e400", "infinite"),
        ("1 2; 3 1e7", "row 2, column 2 is 1e+07"),
        ("-2000000", "overflow"),
        ("1 2 3; 4 5", "row 2 has 2 numbers but row 1 has 3"),
        ("1 2; 3", "row 2 has 1 number but row 1 has 2"),
        ("1/0", "row 1, column 1 is '1/0', which divides by zero"),
        ("[[1, null]]", "row 1, column 2 is blank"),
        ("[[1, true]]", "row 1, column 2 is True, which is not a number"),
        ('[[1, "x"]]', "row 1, column 2 is 'x'"),
        ("[[1, [2]]]", "row 1, column 2 is [2], which is not a number"),
        ("[[1, 2], [3, abc]]", "row 2, column 2 is 'abc'"),
    ],
)
def test_parse_kernel_errors_name_the_cell_and_the_problem(text, message):
    with pytest.raises(ValueError) as info:
        parse_kernel(text)
    assert message in str(info.value)


def test_too_many_rows_or_columns():
    square = "; ".join(" ".join(["1"] * 12) for _ in range(12))
    with pytest.raises(ValueError, match="kernels can be at most 11×11; got 12×12"):
        parse_kernel(square)
    with pytest.raises(ValueError, match="got 1×12"):
        parse_kernel(" ".join(["1"] * 12))
    with pytest.raises(ValueError, match="at most 2×2; got 1×3"):
        parse_kernel("1 2 3", max_size=2)
    assert parse_kernel("; ".join(" ".join(["1"] * 11) for _ in range(11))).shape == (11, 11)


def test_too_large_message_explains_why():
    with pytest.raises(ValueError) as info:
        parse_kernel("1e7")
    text = str(info.value)
    assert "1,000,000" in text and "meaningless" in text


def test_parse_kernel_argument_errors():
    with pytest.raises(TypeError, match="must be a string"):
        parse_kernel([[1, 2]])
    with pytest.raises(ValueError, match="`max_size` must be a positive integer; got 0"):
        parse_kernel("1", max_size=0)


_weights = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
_grids = st.tuples(st.integers(1, 11), st.integers(1, 11)).flatmap(
    lambda shape: st.lists(
        st.lists(_weights, min_size=shape[1], max_size=shape[1]),
        min_size=shape[0],
        max_size=shape[0],
    )
)


@settings(max_examples=60, deadline=None)
@given(grid=_grids, style=st.sampled_from(["semicolons", "csv", "json", "tabs"]))
def test_typed_text_round_trips_exactly(grid, style):
    if style == "semicolons":
        text = "; ".join(" ".join(repr(v) for v in row) for row in grid)
    elif style == "csv":
        text = "\n".join(",".join(repr(v) for v in row) for row in grid)
    elif style == "tabs":
        text = "\n".join("\t".join(repr(v) for v in row) for row in grid)
    else:
        text = json.dumps(grid)
    expected = np.array(grid, dtype=np.float64)
    np.testing.assert_array_equal(parse_kernel(text), expected)
    np.testing.assert_array_equal(kernel_from_cells(grid), expected)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 6),
    cols=st.integers(1, 6),
    data=st.data(),
    bad=st.sampled_from(["abc", "", "nan", "1e9", "inf", "1/0", "--1"]),
)
def test_text_and_cells_share_one_validation_path(rows, cols, data, bad):
    assume(bad or cols > 1)  # a blank line in typed text is skipped, not a blank cell
    r = data.draw(st.integers(0, rows - 1))
    c = data.draw(st.integers(0, cols - 1))
    cells = [["1"] * cols for _ in range(rows)]
    cells[r][c] = bad
    text = "\n".join(",".join(row) for row in cells)
    with pytest.raises(ValueError) as from_text:
        parse_kernel(text)
    with pytest.raises(ValueError) as from_cells:
        kernel_from_cells(cells)
    assert str(from_text.value) == str(from_cells.value)
    assert f"row {r + 1}, column {c + 1}" in str(from_cells.value)


# --------------------------------------------------------------------------- kernel_from_cells


@pytest.mark.parametrize(
    "cells",
    [
        VERTICAL_EDGE,
        [[1.0, 0.0, -1.0]] * 3,
        [["1", "0", "-1"], [" 1 ", "0", "\u22121"], ["1", 0, -1]],
        np.array(VERTICAL_EDGE),
        np.array(VERTICAL_EDGE, dtype=object),
        [np.array([1, 0, -1])] * 3,
        [(1, 0, -1)] * 3,
        [{"0": 1, "1": 0, "2": -1}] * 3,  # records, as st.data_editor can return
        [[np.int64(1), np.float32(0), np.float64(-1)]] * 3,
    ],
)
def test_kernel_from_cells_reads_editor_grids(cells):
    weights = kernel_from_cells(cells)
    assert weights.dtype == np.float64
    assert weights.tolist() == VERTICAL_EDGE


def test_kernel_from_cells_reads_a_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(VERTICAL_EDGE, columns=["a", "b", "c"])
    assert kernel_from_cells(frame).tolist() == VERTICAL_EDGE
    frame.iloc[1, 2] = np.nan  # a cell the student cleared
    with pytest.raises(ValueError, match="row 2, column 3 is blank or NaN"):
        kernel_from_cells(frame)


def test_kernel_from_cells_single_values_and_rows():
    assert kernel_from_cells(3).tolist() == [[3.0]]
    assert kernel_from_cells([1, 2, 3]).tolist() == [[1.0, 2.0, 3.0]]
    assert kernel_from_cells(np.array([1, 2])).tolist() == [[1.0, 2.0]]
    assert kernel_from_cells(np.float64(2)).tolist() == [[2.0]]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([], "The kernel is empty (0×0)"),
        ([[]], "The kernel is empty (1×0)"),
        ([[1, 2], [None, 4]], "row 2, column 1 is blank"),
        ([[1, float("nan")]], "row 1, column 2 is blank or NaN"),
        ([[1, ""], [3, 4]], "row 1, column 2 is blank"),
        ([[1, "   "]], "row 1, column 2 is blank"),
        ([[1, "abc"]], "row 1, column 2 is 'abc', which is not a number"),
        ([[1, True]], "row 1, column 2 is True, which is not a number"),
        ([[1, float("inf")]], "row 1, column 2 is infinite"),
        ([[1, 10**400]], "row 1, column 2 is infinite"),
        ([[1, -2e6]], "row 1, column 2 is -2e+06"),
        ([[1, 2, 3], [4, 5]], "row 2 has 2 numbers but row 1 has 3"),
        ([[1]] * 12, "kernels can be at most 11×11; got 12×1"),
        ([[1, object()]], "which is not a number"),
    ],
)
def test_kernel_from_cells_errors(cells, message):
    with pytest.raises(ValueError) as info:
        kernel_from_cells(cells)
    assert message in str(info.value)


def test_kernel_from_cells_type_errors():
    with pytest.raises(TypeError, match="parse_kernel"):
        kernel_from_cells("1 0 -1")
    with pytest.raises(TypeError, match="row 2 of `cells`"):
        kernel_from_cells([[1, 2], object()])
    with pytest.raises(ValueError, match="2-D grid"):
        kernel_from_cells(np.zeros((2, 2, 2)))


# --------------------------------------------------------------------------- random_kernel


@pytest.mark.parametrize("shape", [(3, 3), (1, 5), (8, 3, 3, 3), (2, 1, 5, 5)])
def test_random_kernel_is_reproducible(shape):
    first = random_kernel(shape, 7)
    assert first.shape == shape and first.dtype == np.float64
    np.testing.assert_array_equal(first, random_kernel(shape, 7))
    assert not np.array_equal(first, random_kernel(shape, 8))
    np.testing.assert_array_equal(
        random_kernel(shape, 7, distribution="normal"),
        random_kernel(shape, 7, distribution="normal"),
    )


@pytest.mark.parametrize(("shape", "fan_in"), [((64, 16, 3, 3), 144), ((101, 101), 101 * 101)])
def test_uniform_matches_pytorchs_default_bound(shape, fan_in):
    weights = random_kernel(shape, 0)
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(weights).max() <= bound
    assert np.abs(weights).max() > 0.99 * bound  # many samples come close to the bound
    assert weights.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)  # std of U(-b, b)
    assert abs(weights.mean()) < 0.05 * bound


def test_normal_is_kaiming_normal():
    weights = random_kernel((64, 16, 3, 3), 0, distribution="normal")
    assert weights.std() == pytest.approx(math.sqrt(2 / 144), rel=0.05)


def test_uniform_bound_agrees_with_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    layer = torch.nn.Conv2d(16, 64, kernel_size=3)
    theirs = layer.weight.detach().numpy().astype(np.float64)  # (64, 16, 3, 3)
    ours = random_kernel(tuple(theirs.shape), 0)
    assert np.abs(theirs).max() <= 1 / math.sqrt(144) + 1e-7
    assert np.abs(ours).max() == pytest.approx(np.abs(theirs).max(), rel=0.02)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.05)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (((3,), 0), {}, "`shape` must be"),
        (((3, 3, 3), 0), {}, "`shape` must be"),
        (((0, 3), 0), {}, "`shape` must be"),
        ((3, 0), {}, "`shape` must be"),
        (((3, 3), -1), {}, "`seed` must be a non-negative integer; got -1"),
        (((3, 3), 1.5), {}, "`seed`"),
        (((3, 3), 0), {"distribution": "cauchy"}, "`distribution` must be"),
    ],
)
def test_random_kernel_errors(args, kwargs, message):
    with pytest.raises(ValueError) as info:
        random_kernel(*args, **kwargs)
    assert message in str(info.value)
