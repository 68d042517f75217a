"""Tests for vizlib._shapes: argument checks and the output-size arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vizlib._shapes import as_array, as_pair, output_size

FAST = settings(max_examples=200, deadline=None)


# ---------------------------------------------------------------------------
# as_pair
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, (2, 2)),
        ((1, 3), (1, 3)),
        ([4, 5], (4, 5)),
        (np.int64(3), (3, 3)),
        ((np.int32(1), np.uint8(2)), (1, 2)),
    ],
)
def test_as_pair_accepts_ints_and_pairs(value, expected):
    pair = as_pair(value, "stride")
    assert pair == expected
    assert all(type(v) is int for v in pair)


def test_as_pair_minimum_zero_allows_zero_padding():
    assert as_pair(0, "padding", minimum=0) == (0, 0)
    assert as_pair((0, 2), "padding", minimum=0) == (0, 2)


@pytest.mark.parametrize("value", [1.5, "2", None, True, (1, 2, 3), (1,), (1.0, 2), (True, 1)])
def test_as_pair_rejects_non_integers_with_type_error(value):
    with pytest.raises(TypeError, match=r"`stride` must be a positive integer or a \(rows, cols\)"):
        as_pair(value, "stride")


@pytest.mark.parametrize(
    ("value", "shown"), [(0, "got 0"), (-1, "got -1"), ((1, 0), r"got \(1, 0\)")]
)
def test_as_pair_rejects_values_below_the_minimum(value, shown):
    with pytest.raises(ValueError, match=f"`dilation` must be a positive integer.*{shown}"):
        as_pair(value, "dilation")
    if np.min(value) < 0:
        with pytest.raises(ValueError, match="`padding` must be an integer >= 0"):
            as_pair(value, "padding", minimum=0)


# ---------------------------------------------------------------------------
# as_array
# ---------------------------------------------------------------------------


def test_as_array_keeps_float32_and_float64_without_copying():
    for dtype in (np.float32, np.float64):
        x = np.ones((2, 3), dtype=dtype)
        out = as_array(x, "x", ndims=(2,))
        assert out.dtype == dtype
        assert out is x


@pytest.mark.parametrize(
    "values",
    [
        [[1, 2], [3, 4]],
        np.ones((2, 2), dtype=np.uint8),
        np.ones((2, 2), dtype=bool),
        np.ones((2, 2), np.float16),
    ],
)
def test_as_array_turns_other_numbers_into_float64(values):
    out = as_array(values, "x", ndims=(2,))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.asarray(values, dtype=np.float64))


@pytest.mark.parametrize(
    ("values", "error", "pattern"),
    [
        ([["a", "b"]], TypeError, "`x` must contain numbers"),
        (np.array([[object()]]), TypeError, "`x` must contain numbers"),
        (np.ones((2, 2), dtype=complex), TypeError, "`x` must contain real numbers"),
        ([[1, 2], [3]], ValueError, "`x` must be a rectangular array of numbers"),
        (np.ones(3), ValueError, r"`x` must have 2 or 3 dimensions; got 1 \(shape \(3,\)\)"),
        (np.ones((0, 4)), ValueError, r"`x` must not be empty; got shape \(0, 4\)"),
        ([[1.0, np.nan]], ValueError, "`x` must contain only finite numbers"),
        ([[1.0, -np.inf]], ValueError, "`x` must contain only finite numbers"),
    ],
)
def test_as_array_errors_name_the_parameter(values, error, pattern):
    with pytest.raises(error, match=pattern):
        as_array(values, "x", ndims=(2, 3))


def test_as_array_can_allow_nonfinite_values():
    out = as_array([[np.nan, np.inf]], "x", ndims=(2,), allow_nonfinite=True)
    assert np.isnan(out[0, 0]) and np.isinf(out[0, 1])


# ---------------------------------------------------------------------------
# output_size, against windows counted one by one
# ---------------------------------------------------------------------------


def count_windows(size, kernel, stride, padding, dilation, ceil_mode):
    """Slide a window along a padded axis and count where PyTorch keeps one.

    Floor mode keeps windows that fit in the padded input. Ceil mode (pooling)
    keeps adding windows while the previous one left padded elements uncovered,
    as long as the new window starts in the left padding or the input.
    """
    span = dilation * (kernel - 1) + 1
    padded = size + 2 * padding
    count, start = 0, 0
    while True:
        if not ceil_mode and start + span > padded:
            return count
        if ceil_mode and count > 0 and (start - stride + span >= padded or start >= size + padding):
            return count
        count += 1
        start += stride


@FAST
@given(
    st.integers(1, 40),
    st.integers(1, 7),
    st.integers(1, 5),
    st.integers(0, 4),
    st.integers(1, 3),
    st.booleans(),
)
def test_output_size_equals_counted_windows(size, kernel, stride, padding, dilation, ceil_mode):
    if ceil_mode:  # pooling, where PyTorch allows at most half a kernel of padding
        padding = min(padding, kernel // 2)
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        if not ceil_mode:
            with pytest.raises(ValueError, match="padded input is only"):
                output_size(size, kernel, stride=stride, padding=padding, dilation=dilation)
        return  # ceil mode: see test_ceil_mode_window_longer_than_the_input
    got = output_size(
        size, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode
    )
    assert got == count_windows(size, kernel, stride, padding, dilation, ceil_mode)


def test_output_size_worked_examples():
    assert output_size(5, 3) == 3  # the tutorial's 5x5 grid with a 3x3 kernel
    assert output_size(5, 3, padding=1) == 5
    assert output_size(7, 3, stride=2, padding=1) == 4
    assert output_size(7, 3, dilation=2) == 3
    assert output_size(6, 3, stride=2) == 2
    assert output_size(6, 3, stride=2, ceil_mode=True) == 3
    # ceil mode drops a window that would start in the right padding
    assert output_size(5, 2, stride=2, padding=1, ceil_mode=True) == 3


def test_ceil_mode_window_longer_than_the_input():
    # As torch's pooling_output_shape: ceil((padded - span) / stride) + 1 if that is >= 1.
    assert output_size(1, 2, stride=2, ceil_mode=True) == 1
    assert output_size(3, 4, stride=2, ceil_mode=True) == 1
    with pytest.raises(ValueError, match="kernel size is 4 but the padded input is only 3"):
        output_size(3, 4, stride=1, ceil_mode=True)
    with pytest.raises(ValueError, match="kernel size is 4 but the padded input is only 3"):
        output_size(3, 4, stride=2)


@pytest.mark.parametrize("size", [1, 4, 9])
@pytest.mark.parametrize("kernel", [1, 2, 3, 8])
def test_output_size_valid_and_same(size, kernel):
    assert output_size(size, kernel, padding="same") == size
    assert output_size(size, kernel, padding="same", dilation=2) == size
    if kernel <= size:
        assert output_size(size, kernel, padding="valid") == size - kernel + 1


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (dict(size=0, kernel_size=3), "`size` must be a positive integer; got 0"),
        (dict(size=5, kernel_size=0), "`kernel_size` must be a positive integer"),
        (dict(size=5, kernel_size=3, stride=0), "`stride` must be a positive integer; got 0"),
        (dict(size=5, kernel_size=3, dilation=-1), "`dilation` must be a positive integer"),
        (dict(size=5, kernel_size=3, stride=True), "`stride` must be a positive integer"),
        (dict(size=5.0, kernel_size=3), "`size` must be a positive integer"),
        (dict(size=5, kernel_size=3, padding=-1), "`padding` must be an integer >= 0; got -1"),
        (dict(size=5, kernel_size=3, padding=1.5), "`padding` must be an integer >= 0"),
        (dict(size=5, kernel_size=3, padding="full"), '`padding` must be an integer, "valid"'),
        (
            dict(size=5, kernel_size=3, padding="same", stride=2),
            '`padding="same"` needs stride 1 .*got stride 2',
        ),
        (dict(size=5, kernel_size=7), "kernel size is 7 but the padded input is only 5 long"),
        (
            dict(size=5, kernel_size=3, dilation=3),
            "dilated kernel spans 7 but the padded input is only 5 long",
        ),
    ],
)
def test_output_size_errors_name_the_parameter(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        output_size(**kwargs)
