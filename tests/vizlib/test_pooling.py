"""Pooling against brute-force loops that follow PyTorch's CPU kernels line by line.

References (aten/src/ATen/native/cpu/MaxPoolKernel.cpp, AvgPoolKernel.cpp and
pooling_output_shape in Pool.h) are transcribed literally below, so that every
corner case — ceil_mode, padding, dilation, ties, NaN, the divisor of a window
overlapping the padding — is checked against PyTorch's own algorithm.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vizlib._shapes import output_size
from vizlib.pooling import PoolStep, avg_pool2d, max_pool2d, pool_step

# --------------------------------------------------------------------------- references


def torch_output_size(size, k, pad, stride, dilation, ceil_mode):
    """pooling_output_shape_pad_lr, literally (div_rtn rounds towards -inf)."""
    numerator = size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = math.floor(numerator / stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def reference_max_pool(plane, k, s, p, d, ceil_mode):
    """cpu_max_pool, literally: returns (values, flat indices) of one (H, W) plane."""
    height, width = plane.shape
    out_h = torch_output_size(height, k[0], p[0], s[0], d[0], ceil_mode)
    out_w = torch_output_size(width, k[1], p[1], s[1], d[1], ceil_mode)
    values = np.empty((out_h, out_w))
    indices = np.empty((out_h, out_w), np.int64)
    for oh in range(out_h):
        for ow in range(out_w):
            ih0 = oh * s[0] - p[0]
            iw0 = ow * s[1] - p[1]
            ih1 = min(ih0 + (k[0] - 1) * d[0] + 1, height)
            iw1 = min(iw0 + (k[1] - 1) * d[1] + 1, width)
            while ih0 < 0:
                ih0 += d[0]
            while iw0 < 0:
                iw0 += d[1]
            maxindex = ih0 * width + iw0
            maxval = -math.inf
            for ih in range(ih0, ih1, d[0]):
                for iw in range(iw0, iw1, d[1]):
                    val = float(plane[ih, iw])
                    if val > maxval or math.isnan(val):
                        maxval = val
                        maxindex = ih * width + iw
            values[oh, ow] = maxval
            indices[oh, ow] = maxindex
    return values, indices


def reference_divisor(oh, ow, shape, k, s, p, ceil_mode, count_include_pad, divisor_override):
    """The divide_factor of cpu_avg_pool, literally; None for an empty window."""
    height, width = shape
    ih0 = oh * s[0] - p[0]
    iw0 = ow * s[1] - p[1]
    ih1 = min(ih0 + k[0], height + p[0])
    iw1 = min(iw0 + k[1], width + p[1])
    pool_size = (ih1 - ih0) * (iw1 - iw0)
    ih0, iw0 = max(ih0, 0), max(iw0, 0)
    ih1, iw1 = min(ih1, height), min(iw1, width)
    if ih0 >= ih1 or iw0 >= iw1:
        return None, (ih0, ih1, iw0, iw1)
    if divisor_override is not None:
        return divisor_override, (ih0, ih1, iw0, iw1)
    if count_include_pad:
        return pool_size, (ih0, ih1, iw0, iw1)
    return (ih1 - ih0) * (iw1 - iw0), (ih0, ih1, iw0, iw1)


def reference_avg_pool(plane, k, s, p, ceil_mode, count_include_pad, divisor_override):
    """cpu_avg_pool, literally, summing in float64."""
    out_h = torch_output_size(plane.shape[0], k[0], p[0], s[0], 1, ceil_mode)
    out_w = torch_output_size(plane.shape[1], k[1], p[1], s[1], 1, ceil_mode)
    out = np.empty((out_h, out_w))
    for oh in range(out_h):
        for ow in range(out_w):
            divisor, (ih0, ih1, iw0, iw1) = reference_divisor(
                oh, ow, plane.shape, k, s, p, ceil_mode, count_include_pad, divisor_override
            )
            if divisor is None:
                out[oh, ow] = 0
                continue
            total = 0.0
            for ih in range(ih0, ih1):
                for iw in range(iw0, iw1):
                    total += float(plane[ih, iw])
            out[oh, ow] = total / divisor
    return out


# --------------------------------------------------------------------------- strategies


@st.composite
def pool_configs(draw, *, dilated=True):
    """Small random shapes and PyTorch-valid parameters, as (rows, cols) pairs."""
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilated else (1, 1)
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    ceil_mode = draw(st.booleans())
    shape = (draw(st.integers(1, 8)), draw(st.integers(1, 8)))
    for axis in range(2):
        assume(torch_output_size(shape[axis], k[axis], p[axis], s[axis], d[axis], ceil_mode) >= 1)
    return {"shape": shape, "k": k, "s": s, "p": p, "d": d, "ceil_mode": ceil_mode}


def random_planes(seed, shape, *, lead=(), dtype=np.float64, specials=False):
    """Small integers (so ties are common), optionally sprinkled with NaN and -inf."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(*lead, *shape)).astype(dtype)
    if specials:
        x[rng.random(x.shape) < 0.15] = -np.inf
        x[rng.random(x.shape) < 0.1] = np.nan
    return x


FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)


# --------------------------------------------------------------------------- max_pool2d


@FAST
@given(
    pool_configs(), st.integers(0, 2**16), st.booleans(), st.sampled_from([np.float32, np.float64])
)
def test_max_pool_matches_pytorch_algorithm(cfg, seed, specials, dtype):
    x = random_planes(seed, cfg["shape"], lead=(2, 3), dtype=dtype, specials=specials)
    args = (cfg["k"], cfg["s"], cfg["p"], cfg["d"], cfg["ceil_mode"])
    out, indices = max_pool2d(x, *args, return_indices=True)
    plain = max_pool2d(x, *args)
    assert out.dtype == dtype and indices.dtype == np.int64
    for n in range(2):
        for c in range(3):
            values, where = reference_max_pool(x[n, c], *args)
            np.testing.assert_array_equal(out[n, c], values)  # NaN == NaN here
            np.testing.assert_array_equal(indices[n, c], where)
    np.testing.assert_array_equal(plain, out)


@FAST
@given(pool_configs(), st.integers(0, 3))
def test_output_shape_equals_output_size(cfg, rank_extra):
    lead = (2, 3)[:rank_extra] if rank_extra < 3 else (1, 2)
    x = np.zeros((*lead, *cfg["shape"]), np.float32)
    out = max_pool2d(x, cfg["k"], cfg["s"], cfg["p"], cfg["d"], cfg["ceil_mode"])
    expected = tuple(
        output_size(
            cfg["shape"][a],
            cfg["k"][a],
            stride=cfg["s"][a],
            padding=cfg["p"][a],
            dilation=cfg["d"][a],
            ceil_mode=cfg["ceil_mode"],
        )
        for a in range(2)
    )
    assert out.shape == (*lead, *expected)
    assert expected == tuple(
        torch_output_size(
            cfg["shape"][a], cfg["k"][a], cfg["p"][a], cfg["s"][a], cfg["d"][a], cfg["ceil_mode"]
        )
        for a in range(2)
    )


def test_ties_go_to_the_first_maximum_in_row_major_order():
    # Hand-worked: both 5s tie; PyTorch replaces only on "strictly greater",
    # so the one met first scanning left to right, top to bottom wins.
    x = np.array([[1.0, 5.0], [5.0, 2.0]])
    out, indices = max_pool2d(x, 2, return_indices=True)
    assert out[0, 0] == 5 and indices[0, 0] == 1
    step = pool_step(x, 0, 0, kernel_size=2)
    assert step.winner == (0, 1) and step.winner_index == 1


def test_nan_wins_and_the_last_nan_is_kept():
    x = np.array([[np.nan, 5.0], [np.nan, 2.0]])
    out, indices = max_pool2d(x, 2, return_indices=True)
    assert np.isnan(out[0, 0]) and indices[0, 0] == 2
    assert pool_step(x, 0, 0, kernel_size=2).winner == (1, 0)


def test_padding_never_wins_even_over_very_negative_values():
    x = np.full((5, 5), -1e30)
    x[2, 3] = -1e29
    out, indices = max_pool2d(x, 3, stride=1, padding=1, return_indices=True)
    assert np.all(np.isfinite(out))
    assert np.all((indices >= 0) & (indices < x.size))
    np.testing.assert_array_equal(
        out, reference_max_pool(x, (3, 3), (1, 1), (1, 1), (1, 1), False)[0]
    )


def test_all_minus_inf_window_points_at_its_first_input_cell():
    # -inf never beats the starting -inf, so PyTorch keeps the first valid tap.
    x = np.full((2, 2), -np.inf)
    out, indices = max_pool2d(x, 2, stride=1, padding=1, return_indices=True)
    assert np.all(out == -np.inf)
    np.testing.assert_array_equal(indices, [[0, 0, 1], [0, 0, 1], [2, 2, 3]])
    step = pool_step(x, 2, 2, kernel_size=2, stride=1, padding=1)
    assert step.winner == (1, 1) and step.winner_index == 3 and step.value == -np.inf


def test_window_made_only_of_padding_gives_minus_inf_and_pytorchs_placeholder():
    # 2x2 input, 2x2 kernel with dilation 3 and padding 1: the taps sit at rows/cols -1
    # and 2, all outside. PyTorch moves the start to row 2, col 2: index 2 * 2 + 2 = 6.
    x = np.arange(4.0).reshape(2, 2)
    out, indices = max_pool2d(x, 2, stride=1, padding=1, dilation=3, return_indices=True)
    assert out.shape == (1, 1) and out[0, 0] == -np.inf and indices[0, 0] == 6
    step = pool_step(x, 0, 0, kernel_size=2, stride=1, padding=1, dilation=3)
    assert step.is_padding.all() and step.winner is None and step.winner_index == 6


def test_ceil_mode_keeps_a_last_partial_window():
    x = np.arange(25.0).reshape(5, 5)
    out, indices = max_pool2d(x, 2, ceil_mode=True, return_indices=True)
    assert out.shape == (3, 3)
    assert out[2, 2] == 24 and indices[2, 2] == 24  # the lone bottom-right cell
    assert max_pool2d(x, 2).shape == (2, 2)


def test_ceil_mode_drops_a_window_that_would_start_in_the_right_padding():
    # size 4, kernel 3, stride 3, padding 1: ceil gives 3 windows, but the third would
    # start at padded position 6 >= size + padding = 5, so PyTorch keeps 2.
    assert max_pool2d(np.zeros((4, 4)), 3, stride=3, padding=1, ceil_mode=True).shape == (2, 2)


def test_ranks_2_3_4_agree_plane_by_plane():
    x = random_planes(3, (6, 7), lead=(2, 3))
    out4, idx4 = max_pool2d(x, 3, 2, 1, return_indices=True)
    out3, idx3 = max_pool2d(x[1], 3, 2, 1, return_indices=True)
    out2, idx2 = max_pool2d(x[1, 2], 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(out4[1], out3)
    np.testing.assert_array_equal(out3[2], out2)
    np.testing.assert_array_equal(idx4[1, 2], idx2)
    np.testing.assert_array_equal(idx3[2], idx2)


def test_input_is_not_modified_and_output_is_never_a_view_of_it():
    x = np.arange(12.0).reshape(3, 4)
    kept = x.copy()
    for out in (max_pool2d(x, 1), avg_pool2d(x, 1), max_pool2d(x, 1, return_indices=True)[0]):
        np.testing.assert_array_equal(out, x)
        assert not np.shares_memory(out, x)
        out[...] = 0
    np.testing.assert_array_equal(x, kept)


def test_integer_input_becomes_float64_and_float32_stays():
    assert max_pool2d(np.ones((4, 4), np.int32), 2).dtype == np.float64
    assert avg_pool2d(np.ones((4, 4), np.float32), 2).dtype == np.float32


# --------------------------------------------------------------------------- avg_pool2d


@FAST
@given(
    pool_configs(dilated=False),
    st.integers(0, 2**16),
    st.booleans(),
    st.one_of(st.none(), st.integers(-3, 5).filter(bool)),
    st.sampled_from([np.float32, np.float64]),
)
def test_avg_pool_matches_pytorch_algorithm(cfg, seed, count_include_pad, override, dtype):
    x = np.random.default_rng(seed).standard_normal((2, *cfg["shape"])).astype(dtype)
    args = (cfg["k"], cfg["s"], cfg["p"], cfg["ceil_mode"], count_include_pad, override)
    out = avg_pool2d(x, *args)
    assert out.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for c in range(2):
        np.testing.assert_allclose(out[c], reference_avg_pool(x[c], *args), rtol=tol, atol=tol)


def test_avg_divisor_hand_worked_with_padding_and_ceil_mode():
    ones = np.ones((5, 5))
    # count_include_pad=True: the corner window covers 2x2 input cells and 5 padding
    # zeros, and still divides by 9.
    out = avg_pool2d(ones, 3, stride=2, padding=1)
    assert out[0, 0] == pytest.approx(4 / 9)
    assert avg_pool2d(ones, 3, stride=2, padding=1, count_include_pad=False)[0, 0] == 1
    # ceil_mode on 6x6, kernel 3, stride 2: the last window starts at 4 and runs past
    # the input (no padding to clip to), so PyTorch divides by 2 rows x 3 cols = 6.
    out = avg_pool2d(np.ones((6, 6)), 3, stride=2, ceil_mode=True)
    assert out.shape == (3, 3)
    assert out[2, 0] == 1 and out[2, 2] == 1
    assert (
        pool_step(
            np.ones((6, 6)), 2, 0, mode="avg", kernel_size=3, stride=2, ceil_mode=True
        ).divisor
        == 6
    )


def test_divisor_override_replaces_the_window_count():
    x = np.arange(16.0).reshape(4, 4)
    window_sums = x.reshape(2, 2, 2, 2).sum(axis=(1, 3))  # (block row, block col)
    np.testing.assert_array_equal(avg_pool2d(x, 2, divisor_override=1), window_sums)
    np.testing.assert_array_equal(avg_pool2d(x, 2, divisor_override=-2), window_sums / -2)


def test_ceil_mode_accepts_a_window_slightly_longer_than_the_input_as_pytorch_does():
    # size 3, kernel 4, stride 2: floor((3 - 4) / 2) + 1 = 0 windows, ceil gives 1.
    x = np.arange(9.0).reshape(3, 3)
    with pytest.raises(ValueError, match="kernel size is 4"):
        max_pool2d(x, 4, stride=2)
    assert max_pool2d(x, 4, stride=2, ceil_mode=True).tolist() == [[8.0]]
    assert avg_pool2d(x, 4, stride=2, ceil_mode=True)[0, 0] == x.mean()


def test_avg_of_infinities_is_nan_without_warnings():
    x = np.array([[np.inf, -np.inf], [1.0, 2.0]])
    assert np.isnan(avg_pool2d(x, 2)[0, 0])


# --------------------------------------------------------------------------- pool_step


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    pool_configs(), st.integers(0, 2**16), st.booleans(), st.sampled_from([np.float32, np.float64])
)
def test_max_step_agrees_with_fast_path_everywhere(cfg, seed, specials, dtype):
    x = random_planes(seed, cfg["shape"], lead=(2,), dtype=dtype, specials=specials)
    params = dict(
        kernel_size=cfg["k"],
        stride=cfg["s"],
        padding=cfg["p"],
        dilation=cfg["d"],
        ceil_mode=cfg["ceil_mode"],
    )
    out, indices = max_pool2d(x, **params, return_indices=True)
    width = cfg["shape"][1]
    for (row, col), value in np.ndenumerate(out[1]):
        step = pool_step(x, row, col, channel=1, **params)
        np.testing.assert_array_equal(step.value, value)
        assert step.winner_index == indices[1, row, col]
        inside = ~step.is_padding
        np.testing.assert_array_equal(
            step.window[inside], x[1][step.tap_rows[inside], step.tap_cols[inside]]
        )
        assert np.all(step.window[step.is_padding] == -np.inf)
        assert step.is_padding.all() == (step.winner is None)
        if step.winner is not None:
            r, c = step.winner
            assert r * width + c == step.winner_index
            np.testing.assert_array_equal(x[1, r, c], value)
        assert step.total is None and step.divisor is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    pool_configs(dilated=False),
    st.integers(0, 2**16),
    st.booleans(),
    st.one_of(st.none(), st.integers(1, 5)),
    st.sampled_from([np.float32, np.float64]),
)
def test_avg_step_agrees_with_fast_path_everywhere(cfg, seed, count_include_pad, override, dtype):
    x = np.random.default_rng(seed).standard_normal((2, 2, *cfg["shape"])).astype(dtype)
    common = dict(
        stride=cfg["s"],
        padding=cfg["p"],
        ceil_mode=cfg["ceil_mode"],
        count_include_pad=count_include_pad,
        divisor_override=override,
    )
    out = avg_pool2d(x, cfg["k"], **common)
    for (row, col), value in np.ndenumerate(out[1, 0]):
        step = pool_step(x, row, col, mode="avg", kernel_size=cfg["k"], batch_index=1, **common)
        assert step.value == value  # same additions in the same order: bit for bit
        assert step.winner is None and step.winner_index is None
        assert np.all(step.window[step.is_padding] == 0)
        np.testing.assert_allclose(
            step.total, step.window.sum(dtype=np.float64), rtol=1e-5, atol=1e-5
        )
        expected, _ = reference_divisor(
            row,
            col,
            cfg["shape"],
            cfg["k"],
            cfg["s"],
            cfg["p"],
            cfg["ceil_mode"],
            count_include_pad,
            override,
        )
        assert step.divisor == expected


def test_step_on_the_tutorial_window():
    # The tutorial's top-left 3x3 window; hand-worked: max is 7, sum 32, mean 32/9.
    grid = np.array([[7, 2, 3], [4, 5, 3], [3, 3, 2]])
    step = pool_step(grid, 0, 0, kernel_size=3)
    assert isinstance(step, PoolStep)
    assert step.expression() == "max(7, 2, 3, 4, 5, 3, 3, 3, 2) = 7"
    assert step.winner == (0, 0) and step.value == 7
    step = pool_step(grid, 0, 0, mode="avg", kernel_size=3)
    assert step.expression() == "(7 + 2 + 3 + 4 + 5 + 3 + 3 + 3 + 2) / 9 = 3.556"
    assert step.expression(precision=1) == "(7 + 2 + 3 + 4 + 5 + 3 + 3 + 3 + 2) / 9 = 3.6"
    assert step.total == 32 and step.divisor == 9


def test_expression_shows_padding_and_negative_terms():
    x = np.array([[-1.0, -2.5], [3.0, 0.5]])
    step = pool_step(x, 0, 0, kernel_size=2, stride=1, padding=1)
    assert step.expression() == "max(-inf, -inf, -inf, -1) = -1"
    step = pool_step(x, 0, 0, mode="avg", kernel_size=2)
    assert step.expression() == "(-1 - 2.5 + 3 + 0.5) / 4 = 0"


def test_step_fields_are_read_only():
    step = pool_step(np.ones((3, 3)), 0, 0, kernel_size=2)
    with pytest.raises(ValueError):
        step.window[0, 0] = 5
    with pytest.raises(AttributeError):
        step.value = 5


def test_step_cost_does_not_grow_with_the_image():
    # O(k^2): a 2000x2000 plane is not pooled just to show one window.
    big = np.zeros((2000, 2000), np.float32)
    big[1001, 999] = 3
    step = pool_step(big, 500, 499, kernel_size=2)
    assert step.value == 3 and step.winner == (1001, 999)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (
            lambda: max_pool2d(np.ones((8, 8)), 3, padding=2),
            ValueError,
            ["`padding`", "kernel_size // 2", "got padding 2", "at most 1"],
        ),
        (
            lambda: avg_pool2d(np.ones((8, 8)), (3, 5), padding=(2, 0)),
            ValueError,
            ["`padding`", "got padding (2, 0)", "at most (1, 2)"],
        ),
        (lambda: max_pool2d(np.ones((8, 8)), 2, stride=0), ValueError, ["`stride`", "got 0"]),
        (lambda: max_pool2d(np.ones((8, 8)), 0), ValueError, ["`kernel_size`", "got 0"]),
        (lambda: max_pool2d(np.ones((8, 8)), 2.5), TypeError, ["`kernel_size`", "2.5"]),
        (lambda: max_pool2d(np.ones((2, 2)), 3), ValueError, ["kernel size is 3", "only 2"]),
        (lambda: max_pool2d(np.ones(5), 2), ValueError, ["`x`", "2 or 3 or 4", "got 1"]),
        (lambda: max_pool2d(np.ones((0, 4)), 2), ValueError, ["`x`", "empty"]),
        (lambda: max_pool2d([["a", "b"]], 1), TypeError, ["`x`", "numbers"]),
        (
            lambda: avg_pool2d(np.ones((4, 4)), 2, divisor_override=0),
            ValueError,
            ["`divisor_override`", "got 0"],
        ),
        (
            lambda: avg_pool2d(np.ones((4, 4)), 2, divisor_override=1.5),
            TypeError,
            ["`divisor_override`", "1.5"],
        ),
        (
            lambda: pool_step(np.ones((4, 4)), 0, 0, mode="mean", kernel_size=2),
            ValueError,
            ["`mode`", "'mean'", '"avg"'],
        ),
        (
            lambda: pool_step(np.ones((4, 4)), 2, 0, kernel_size=2),
            ValueError,
            ["`row`", "between 0 and 1", "got 2"],
        ),
        (lambda: pool_step(np.ones((4, 4)), 0, -1, kernel_size=2), ValueError, ["`col`", "got -1"]),
        (lambda: pool_step(np.ones((4, 4)), 0.5, 0, kernel_size=2), TypeError, ["`row`", "0.5"]),
        (
            lambda: pool_step(np.ones((3, 4, 4)), 0, 0, kernel_size=2, channel=3),
            ValueError,
            ["`channel`", "0 to 2", "got 3"],
        ),
        (
            lambda: pool_step(np.ones((2, 3, 4, 4)), 0, 0, kernel_size=2, batch_index=2),
            ValueError,
            ["`batch_index`", "0 to 1", "got 2"],
        ),
        (
            lambda: pool_step(np.ones((4, 4)), 0, 0, mode="avg", kernel_size=2, dilation=2),
            ValueError,
            ["`dilation`", "average pooling"],
        ),
    ],
)
def test_errors_name_the_parameter_and_the_value(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# --------------------------------------------------------------------------- PyTorch


def test_random_configurations_match_torch():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = np.random.default_rng(2024)
    for _ in range(300):
        k = tuple(int(v) for v in rng.integers(1, 5, 2))
        s = tuple(int(v) for v in rng.integers(1, 4, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple(int(rng.integers(0, k[a] // 2 + 1)) for a in range(2))
        ceil_mode = bool(rng.integers(2))
        shape = tuple(int(v) for v in rng.integers(1, 10, 2))
        if (
            min(torch_output_size(shape[a], k[a], p[a], s[a], d[a], ceil_mode) for a in range(2))
            < 1
        ):
            continue
        x = random_planes(
            int(rng.integers(2**16)),
            shape,
            lead=(2, 2),
            dtype=np.float32,
            specials=bool(rng.integers(2)),
        )
        out, indices = max_pool2d(x, k, s, p, d, ceil_mode, return_indices=True)
        expected, expected_indices = functional.max_pool2d(
            torch.from_numpy(x), k, s, p, d, ceil_mode, return_indices=True
        )
        np.testing.assert_array_equal(out, expected.numpy())
        np.testing.assert_array_equal(indices, expected_indices.numpy())
        y = rng.standard_normal((2, 2, *shape)).astype(np.float32)
        count_include_pad = bool(rng.integers(2))
        override = None if rng.random() < 0.6 else int(rng.integers(1, 6))
        np.testing.assert_allclose(
            avg_pool2d(y, k, s, p, ceil_mode, count_include_pad, override),
            functional.avg_pool2d(
                torch.from_numpy(y), k, s, p, ceil_mode, count_include_pad, override
            ).numpy(),
            rtol=1e-5,
            atol=1e-6,
        )


def test_torch_rejects_what_we_reject():
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 1, 8, 8)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        torch.nn.functional.max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match="padding"):
        max_pool2d(np.zeros((8, 8)), 3, padding=2)
