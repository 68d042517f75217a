"""Tests for vizlib.conv: references (hand-worked, brute-force loops, SciPy, optional PyTorch),
properties, trace consistency between conv_step and conv2d, and every error message."""

from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage, signal

import vizlib._shapes
import vizlib.conv as conv_module
from vizlib.conv import ConvStep, conv2d, conv_step, format_number, output_size

GRID = np.array(
    [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]],
    dtype=float,
)
VERTICAL_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=float)
MODES = ("zeros", "reflect", "replicate", "circular")
NUMPY_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
NDIMAGE_MODE = {
    "zeros": "constant",
    "reflect": "mirror",
    "replicate": "nearest",
    "circular": "wrap",
}
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------
# The reference: PyTorch's definition written as loops over np.pad
# ---------------------------------------------------------------------------


def same_pads(kernel, dilation):
    """PyTorch's "same": total d*(k-1) per axis, the odd one out at the bottom/right."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)


def reference_conv2d(
    x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1, mode="zeros"
):
    """Brute force on (N, C, H, W) float64 input; pads are (top, bottom, left, right)."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    n_ = x.shape[0]
    f_, cg, kh, kw = w.shape
    fg = f_ // groups
    xp = np.pad(x, ((0, 0), (0, 0), pads[:2], pads[2:]), mode=NUMPY_PAD[mode])
    out_h = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n_, f_, out_h, out_w))
    for n in range(n_):
        for f in range(f_):
            g = f // fg
            for r in range(out_h):
                for c in range(out_w):
                    total = 0.0 if b is None else float(b[f])
                    for k in range(cg):
                        for i in range(kh):
                            for j in range(kw):
                                value = xp[
                                    n,
                                    g * cg + k,
                                    r * stride[0] + i * dilation[0],
                                    c * stride[1] + j * dilation[1],
                                ]
                                total += value * w[f, k, i, j]
                    out[n, f, r, c] = total
    return out


def close(actual, expected, rel=1e-9):
    """Compare with a tolerance relative to the largest magnitude (float32 sums round)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rel * scale)


def random_config(rng, *, max_size=7, modes=MODES, reference=True):
    """A random valid convolution problem with its brute-force answer (or None)."""
    while True:
        groups = int(rng.choice([1, 1, 2, 3]))
        cg, fg = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        n = int(rng.integers(1, 3))
        h, w = int(rng.integers(1, max_size + 1)), int(rng.integers(1, max_size + 1))
        kernel = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        mode = str(rng.choice(modes))
        if rng.random() < 0.3:
            stride, padding = (1, 1), "same"
            pads = same_pads(kernel, dilation)
        else:
            padding = (int(rng.integers(0, 4)), int(rng.integers(0, 4)))
            pads = (padding[0], padding[0], padding[1], padding[1])
        limit = {"reflect": (h - 1, w - 1), "circular": (h, w)}.get(mode, (99, 99))
        if max(pads[:2]) > limit[0] or max(pads[2:]) > limit[1]:
            continue
        span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
        if span[0] > h + pads[0] + pads[1] or span[1] > w + pads[2] + pads[3]:
            continue
        x = rng.standard_normal((n, cg * groups, h, w))
        weight = rng.standard_normal((fg * groups, cg, *kernel))
        bias = rng.standard_normal(fg * groups) if rng.random() < 0.5 else None
        kwargs = dict(
            stride=stride, padding=padding, dilation=dilation, groups=groups, padding_mode=mode
        )
        if not reference:
            return x, weight, bias, kwargs, None
        expected = reference_conv2d(x, weight, bias, stride, pads, dilation, groups, mode)
        return x, weight, bias, kwargs, expected


# ---------------------------------------------------------------------------
# The tutorial's worked example
# ---------------------------------------------------------------------------


def test_tutorial_top_left_is_6_with_the_nine_terms_of_the_slide():
    step = conv_step(GRID, VERTICAL_EDGE, 0, 0)
    assert step.total == 6
    np.testing.assert_array_equal(step.window[0], [[7, 2, 3], [4, 5, 3], [3, 3, 2]])
    np.testing.assert_array_equal(step.products[0], [[7, 0, -3], [4, 0, -3], [3, 0, -2]])
    assert step.expression() == ("7×1 + 2×0 + 3×(-1) + 4×1 + 5×0 + 3×(-1) + 3×1 + 3×0 + 2×(-1) = 6")
    assert conv2d(GRID, VERTICAL_EDGE)[0, 0] == 6


def test_tutorial_order_writes_the_slide_column_by_column():
    """The tutorial writes 7×1 + 4×1 + 3×1 + 2×0 + …: the window's columns, top to bottom."""
    step = conv_step(GRID, VERTICAL_EDGE, 0, 0)
    assert step.expression(order="columns") == (
        "7×1 + 4×1 + 3×1 + 2×0 + 5×0 + 3×0 + 3×(-1) + 3×(-1) + 2×(-1) = 6"
    )
    assert step.latex(order="columns").startswith(r"7 \times 1 + 4 \times 1 + 3 \times 1")
    with pytest.raises(ValueError, match="`order` must be 'rows' or 'columns'; got 'diagonal'"):
        step.expression(order="diagonal")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**32 - 1)
)  # fmt: skip
def test_both_orders_write_the_same_terms_and_total(kh, kw, channels, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, size=(channels, kh + 2, kw + 1)).astype(np.float64)
    w = rng.integers(-3, 4, size=(1, channels, kh, kw)).astype(np.float64)
    step = conv_step(x, w, 1, 1)
    rows, cols = step.expression(), step.expression(order="columns")
    for by_rows, by_cols in zip(rows.splitlines(), cols.splitlines(), strict=True):
        head_r, _, total_r = by_rows.rpartition(" = ")
        head_c, _, total_c = by_cols.rpartition(" = ")
        assert total_r == total_c
        assert sorted(head_r.split(" + ")) == sorted(head_c.split(" + "))
    # Column order is the row order of the transposed problem (rows and columns swapped).
    swapped = conv_step(x.transpose(0, 2, 1), w.transpose(0, 1, 3, 2), 1, 1)
    assert cols == swapped.expression()


def test_tutorial_full_map_matches_a_hand_loop():
    expected = np.zeros((3, 3))
    for r in range(3):
        for c in range(3):
            expected[r, c] = np.sum(GRID[r : r + 3, c : c + 3] * VERTICAL_EDGE)
    got = conv2d(GRID, VERTICAL_EDGE)
    assert got.shape == (3, 3)
    np.testing.assert_array_equal(got, expected)


def test_flipping_convolution_gives_minus_6_and_matches_a_flipped_kernel():
    flipped = signal.convolve2d(GRID, VERTICAL_EDGE, mode="valid")
    assert flipped[0, 0] == -6
    np.testing.assert_array_equal(conv2d(GRID, VERTICAL_EDGE[::-1, ::-1]), flipped)


def test_tutorial_latex():
    latex = conv_step(GRID, VERTICAL_EDGE, 0, 0).latex()
    assert latex.startswith(r"7 \times 1 + 2 \times 0 + 3 \times (-1) + 4 \times 1")
    assert latex.endswith(r"2 \times (-1) = 6")


# ---------------------------------------------------------------------------
# SciPy references
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", [(3, 3), (1, 5), (5, 3), (3, 1)])
def test_matches_scipy_correlate2d_valid_same_full(kernel):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((9, 11))
    w = rng.standard_normal(kernel)
    kh, kw = kernel
    close(conv2d(x, w), signal.correlate2d(x, w, mode="valid"))
    close(conv2d(x, w, padding=(kh // 2, kw // 2)), signal.correlate2d(x, w, mode="same"))
    close(conv2d(x, w, padding="same"), signal.correlate2d(x, w, mode="same"))
    close(conv2d(x, w, padding=(kh - 1, kw - 1)), signal.correlate2d(x, w, mode="full"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(8, 10), (40, 33)])
def test_matches_ndimage_correlate_for_each_padding_mode(mode, shape):
    # reflect <-> ndimage 'mirror' (no repeated edge), replicate <-> 'nearest',
    # circular <-> 'wrap', zeros <-> 'constant' with cval 0.
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    for kernel in [(3, 3), (5, 3), (1, 7)]:
        w = rng.standard_normal(kernel)
        got = conv2d(x, w, padding=(kernel[0] // 2, kernel[1] // 2), padding_mode=mode)
        close(got, ndimage.correlate(x, w, mode=NDIMAGE_MODE[mode], cval=0.0))


def test_padding_mode_mapping_on_a_row():
    # The padded values themselves, read through conv_step's 1-tap windows.
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    one = np.ones((1, 1))
    expected = {
        "zeros": [0, 0, 1, 2, 3, 4, 0, 0],
        "reflect": [3, 2, 1, 2, 3, 4, 3, 2],
        "replicate": [1, 1, 1, 2, 3, 4, 4, 4],
        "circular": [3, 4, 1, 2, 3, 4, 1, 2],
    }
    for mode, values in expected.items():
        got = conv2d(x, one, padding=(0, 2), padding_mode=mode)
        np.testing.assert_array_equal(got[0], values)
        steps = [conv_step(x, one, 0, c, padding=(0, 2), padding_mode=mode) for c in range(8)]
        assert [s.total for s in steps] == values


# ---------------------------------------------------------------------------
# Brute-force loops: stride, dilation, groups, batch, bias, rectangular kernels, pairs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "c", "f", "groups", "kernel", "kwargs"),
    [
        (1, 1, 1, 1, (3, 3), dict(stride=2)),
        (1, 2, 3, 1, (2, 3), dict(stride=(1, 2), padding=(1, 0))),
        (2, 3, 4, 1, (3, 3), dict(dilation=2, padding=2)),
        (1, 3, 3, 3, (3, 3), dict(padding=1)),  # depthwise
        (2, 4, 6, 2, (3, 2), dict(stride=(2, 1), dilation=(1, 2), padding=(1, 2))),
        (1, 2, 4, 2, (4, 4), dict(padding="same")),  # even kernel
        (1, 1, 2, 1, (5, 1), dict(padding=(2, 0), padding_mode="reflect")),
        (1, 6, 3, 3, (3, 3), dict(stride=3, padding=1, padding_mode="circular")),
    ],
)
@pytest.mark.parametrize("with_bias", [False, True])
def test_matches_brute_force(n, c, f, groups, kernel, kwargs, with_bias):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, c, 9, 10))
    w = rng.standard_normal((f, c // groups, *kernel))
    b = rng.standard_normal(f) if with_bias else None
    stride = vizlib._shapes.as_pair(kwargs.get("stride", 1), "stride")
    dilation = vizlib._shapes.as_pair(kwargs.get("dilation", 1), "dilation")
    pads = pads_of(kwargs, kernel)
    mode = kwargs.get("padding_mode", "zeros")
    expected = reference_conv2d(x, w, b, stride, pads, dilation, groups, mode)
    close(conv2d(x, w, b, groups=groups, **kwargs), expected)
    close(conv2d(x[0], w, b, groups=groups, **kwargs), expected[0])  # (C, H, W) input


def test_random_configurations_match_brute_force():
    rng = np.random.default_rng(4)
    for _ in range(150):
        x, w, b, kwargs, expected = random_config(rng)
        close(conv2d(x, w, b, **kwargs), expected)


def pads_of(kwargs, kernel):
    """(top, bottom, left, right) for the padding in ``kwargs``."""
    dilation = vizlib._shapes.as_pair(kwargs.get("dilation", 1), "dilation")
    if kwargs.get("padding", 0) == "same":
        return same_pads(kernel, dilation)
    rows, cols = vizlib._shapes.as_pair(kwargs.get("padding", 0), "padding", minimum=0)
    return (rows, rows, cols, cols)


def scipy_reference(x, w, pads, mode):
    """Stride 1, dilation 1, one group: np.pad, then scipy's correlate2d per channel pair."""
    xp = np.pad(x.astype(np.float64), ((0, 0), pads[:2], pads[2:]), mode=NUMPY_PAD[mode])
    return np.stack(
        [
            sum(
                signal.correlate2d(xp[c], w[f, c].astype(np.float64), mode="valid")
                for c in range(x.shape[0])
            )
            for f in range(w.shape[0])
        ]
    )


@pytest.mark.parametrize("mode", MODES)
def test_many_strips_and_large_planes_match_brute_force(mode, monkeypatch):
    # A tiny column buffer forces one output row per strip; planes wider than the
    # kernel exercise the BLAS-axpy path and its border fix-ups.
    monkeypatch.setattr(conv_module, "_STRIP_BYTES", 64)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 23, 19))
    for f, kernel, kwargs in [
        (3, (3, 3), dict(padding=1)),
        (1, (4, 3), dict(padding="same", dilation=(2, 1))),
        (2, (5, 5), dict(padding=(2, 3), stride=(2, 1))),
        (2, (3, 5), dict(padding=(1, 0), dilation=2)),
    ]:
        stride = vizlib._shapes.as_pair(kwargs.get("stride", 1), "stride")
        dilation = vizlib._shapes.as_pair(kwargs.get("dilation", 1), "dilation")
        pads = pads_of(kwargs, kernel)
        for weight, groups in (
            (rng.standard_normal((f, 2, *kernel)), 1),
            (rng.standard_normal((2 * f, 1, *kernel)), 2),
        ):
            expected = reference_conv2d(x, weight, None, stride, pads, dilation, groups, mode)
            close(conv2d(x, weight, groups=groups, padding_mode=mode, **kwargs), expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("padding", ["same", 0, (2, 1), (4, 0)])
def test_float32_photo_sized_inputs_match_scipy(mode, padding):
    rng = np.random.default_rng(6)
    x = rng.random((3, 130, 150), dtype=np.float32)
    for weight in (rng.standard_normal((1, 1, 5, 5)), rng.standard_normal((4, 3, 3, 3))):
        weight = weight.astype(np.float32)
        image = x[: weight.shape[1]]
        got = conv2d(image, weight, padding=padding, padding_mode=mode)
        assert got.dtype == np.float32
        pads = pads_of(dict(padding=padding), weight.shape[2:])
        close(got, scipy_reference(image, weight, pads, mode), rel=1e-5)
    got = conv2d(x, weight[:3, :1], padding=padding, padding_mode=mode, groups=3)  # depthwise
    expected = np.concatenate(
        [scipy_reference(x[c : c + 1], weight[c : c + 1, :1], pads, mode) for c in range(3)]
    )
    close(got, expected, rel=1e-5)


# ---------------------------------------------------------------------------
# Shapes, dtypes, layouts
# ---------------------------------------------------------------------------


def test_layouts_and_dtypes():
    x = np.ones((2, 3, 6, 6), dtype=np.float32)
    w32 = np.ones((4, 3, 3, 3), dtype=np.float32)
    assert conv2d(x, w32).shape == (2, 4, 4, 4)
    assert conv2d(x[0], w32).shape == (4, 4, 4)
    assert conv2d(x, w32).dtype == np.float32
    assert conv2d(x, w32.astype(np.float64)).dtype == np.float64
    assert conv2d(x.astype(int), w32).dtype == np.float64
    assert conv2d(np.ones((5, 5)), np.ones((2, 2))).shape == (4, 4)  # 2-D, 2-D -> 2-D
    assert conv2d(np.ones((5, 5)), np.ones((3, 1, 2, 2))).shape == (3, 4, 4)
    assert conv2d(np.ones((1, 5, 5)), np.ones((2, 2))).shape == (1, 4, 4)
    assert conv2d(GRID.astype(bool), VERTICAL_EDGE).dtype == np.float64
    assert conv2d(np.ones((5, 5)), np.ones((2, 2)), 0.5)[0, 0] == 4.5  # scalar bias, one filter


def test_non_contiguous_input_gives_the_same_result():
    rng = np.random.default_rng(7)
    image = rng.random((20, 24, 3), dtype=np.float32)  # (H, W, C) as images load
    w = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    chw = image.transpose(2, 0, 1)  # (C, H, W), a strided view
    close(conv2d(chw, w, padding=1), conv2d(np.ascontiguousarray(chw), w, padding=1), rel=0)
    close(
        conv2d(chw[:1], w[:1, :1], padding=1), conv2d(chw[:1].copy(), w[:1, :1], padding=1), rel=0
    )


def test_output_size_is_re_exported():
    assert conv_module.output_size is vizlib._shapes.output_size


# ---------------------------------------------------------------------------
# Properties (Hypothesis)
# ---------------------------------------------------------------------------


@st.composite
def problems(draw, *, max_size=9):
    c = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    f = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    return c, f, (h, w), (kh, kw), stride, dilation, padding, seed


def _fits(size, kernel, dilation, padding):
    return all(
        d * (k - 1) + 1 <= s + 2 * p
        for s, k, d, p in zip(size, kernel, dilation, padding, strict=True)
    )


@FAST
@given(problems())
def test_shape_equals_output_size(problem):
    c, f, size, kernel, stride, dilation, padding, _seed = problem
    if not _fits(size, kernel, dilation, padding):
        with pytest.raises(ValueError, match="kernel"):
            conv2d(
                np.ones((c, *size)),
                np.ones((f, c, *kernel)),
                stride=stride,
                dilation=dilation,
                padding=padding,
            )
        return
    got = conv2d(
        np.ones((c, *size)),
        np.ones((f, c, *kernel)),
        stride=stride,
        dilation=dilation,
        padding=padding,
    )
    expected = [
        output_size(size[a], kernel[a], stride=stride[a], padding=padding[a], dilation=dilation[a])
        for a in (0, 1)
    ]
    assert got.shape == (f, *expected)


@FAST
@given(problems(), st.floats(-3, 3), st.floats(-3, 3))
def test_linear_in_x_and_in_weight(problem, alpha, beta):
    c, f, size, kernel, stride, dilation, padding, seed = problem
    if not _fits(size, kernel, dilation, padding):
        return
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal((2, c, *size))
    w1, w2 = rng.standard_normal((2, f, c, *kernel))
    kw = dict(stride=stride, dilation=dilation, padding=padding)
    close(
        conv2d(alpha * x1 + beta * x2, w1, **kw),
        alpha * conv2d(x1, w1, **kw) + beta * conv2d(x2, w1, **kw),
    )
    close(
        conv2d(x1, alpha * w1 + beta * w2, **kw),
        alpha * conv2d(x1, w1, **kw) + beta * conv2d(x1, w2, **kw),
    )


@FAST
@given(problems(max_size=12), st.integers(0, 3), st.integers(0, 3))
def test_shift_equivariant_away_from_borders(problem, dr, dc):
    c, f, size, kernel, stride, dilation, _, seed = problem
    x = np.random.default_rng(seed).standard_normal((c, size[0] + 16, size[1] + 16))
    w = np.random.default_rng(seed + 1).standard_normal((f, c, *kernel))
    kw = dict(stride=stride, dilation=dilation)
    full = conv2d(x, w, **kw)
    shifted = conv2d(x[:, dr * stride[0] :, dc * stride[1] :], w, **kw)
    close(shifted, full[:, dr : dr + shifted.shape[1], dc : dc + shifted.shape[2]])


@FAST
@given(
    st.integers(1, 3),
    st.integers(1, 10),
    st.integers(1, 10),
    st.sampled_from([1, 3, 5]),
    st.sampled_from(MODES),
    st.integers(0, 2**32 - 1),
)
def test_identity_kernel_returns_the_input_and_zero_kernel_zeros(c, h, w, k, mode, seed):
    if (mode == "reflect" and k // 2 >= min(h, w)) or (mode == "circular" and k // 2 > min(h, w)):
        return
    x = np.random.default_rng(seed).standard_normal((c, h, w))
    identity = np.zeros((c, c, k, k))
    identity[np.arange(c), np.arange(c), k // 2, k // 2] = 1
    np.testing.assert_array_equal(conv2d(x, identity, padding="same", padding_mode=mode), x)
    depthwise = identity[np.arange(c), np.arange(c)][:, None]  # (C, 1, k, k)
    np.testing.assert_array_equal(
        conv2d(x, depthwise, padding=k // 2, groups=c, padding_mode=mode), x
    )
    zero = conv2d(x, np.zeros((2, c, k, k)), [0.0, 1.5], padding="same", padding_mode=mode)
    np.testing.assert_array_equal(zero[0], 0)
    np.testing.assert_array_equal(zero[1], 1.5)


# ---------------------------------------------------------------------------
# Trace consistency: what conv_step shows adds up to what conv2d computed
# ---------------------------------------------------------------------------


def test_every_step_total_equals_conv2d_for_random_configurations():
    rng = np.random.default_rng(8)
    for _ in range(40):
        x, w, b, kwargs, _ = random_config(rng, max_size=6, reference=False)
        got = conv2d(x, w, b, **kwargs)
        n_, f_, out_h, out_w = got.shape
        height, width = x.shape[2:]
        for n in range(n_):
            for f in range(f_):
                for r in range(out_h):
                    for c in range(out_w):
                        s = conv_step(x, w, r, c, bias=b, out_channel=f, batch_index=n, **kwargs)
                        assert s.total == pytest.approx(got[n, f, r, c], abs=1e-9)
                        assert s.total == s.products.sum(axis=(1, 2)).sum() + s.bias
                        np.testing.assert_allclose(s.partial_sums, s.products.sum(axis=(1, 2)))
                        np.testing.assert_array_equal(s.products, s.window * s.weights)
                        check_taps(s, x[n], kwargs["padding_mode"], height, width)


def check_taps(s: ConvStep, image, mode, height, width):
    inside = (s.tap_rows >= 0) & (s.tap_rows < height) & (s.tap_cols >= 0) & (s.tap_cols < width)
    np.testing.assert_array_equal(s.is_padding, ~inside)
    np.testing.assert_array_equal(s.source_rows[inside], s.tap_rows[inside])
    np.testing.assert_array_equal(s.source_cols[inside], s.tap_cols[inside])
    channels = list(s.in_channels)
    if mode == "zeros":
        assert np.all(s.source_rows[s.is_padding] == -1)
        assert np.all(s.window[:, s.is_padding] == 0)
        real = ~s.is_padding
        np.testing.assert_array_equal(
            s.window[:, real], image[channels][:, s.source_rows[real], s.source_cols[real]]
        )
    else:
        np.testing.assert_array_equal(s.window, image[channels][:, s.source_rows, s.source_cols])


@pytest.mark.parametrize("mode", MODES)
def test_float32_step_total_matches_conv2d_to_float_rounding(mode):
    rng = np.random.default_rng(9)
    x = rng.random((3, 40, 50), dtype=np.float32)
    w = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    got = conv2d(x, w, b, padding=2, padding_mode=mode)
    scale = np.abs(got).max()
    for r, c in [(0, 0), (0, 49), (39, 0), (20, 25), (39, 49)]:
        for f in range(2):
            s = conv_step(x, w, r, c, bias=b, out_channel=f, padding=2, padding_mode=mode)
            assert abs(s.total - got[f, r, c]) <= 1e-5 * scale


def test_conv_step_reads_only_the_window():
    # 30 billion pixels that take no memory: O(C·kH·kW) or this would never finish.
    x = np.broadcast_to(np.float32(2.0), (3, 100_000, 100_000))
    w = np.ones((1, 3, 3, 3), dtype=np.float32)
    s = conv_step(x, w, 99_999, 99_999, padding=1, padding_mode="reflect")
    assert s.total == 2.0 * 27
    assert s.tap_rows[-1, 0] == 100_000
    assert s.source_rows[-1, 0] == 99_998


def test_step_fields_are_read_only_and_frozen():
    s = conv_step(GRID, VERTICAL_EDGE, 1, 2, padding=1)
    for name in (
        "tap_rows",
        "tap_cols",
        "is_padding",
        "source_rows",
        "source_cols",
        "window",
        "weights",
        "products",
        "partial_sums",
    ):
        with pytest.raises(ValueError, match="read-only"):
            getattr(s, name)[...] = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.total = 0.0
    assert s.in_channels == (0,)
    assert (s.row, s.col, s.out_channel, s.batch_index) == (1, 2, 0, 0)


def test_step_groups_read_their_own_channels():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 6, 5, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    s = conv_step(x, w, 1, 1, out_channel=3, batch_index=1, groups=2)
    assert s.in_channels == (3, 4, 5)
    np.testing.assert_array_equal(s.window, x[1, 3:6, 1:4, 1:4])
    np.testing.assert_array_equal(s.weights, w[3])


# ---------------------------------------------------------------------------
# Text: format_number, expression, latex
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "precision", "text"),
    [
        (6.0, 3, "6"),
        (-1, 3, "-1"),
        (-0.0, 3, "0"),
        (2 / 3, 3, "0.667"),
        (0.5, 3, "0.5"),
        (1.25, 1, "1.2"),
        (np.float32(0.1), 3, "0.1"),
        (2.9999999, 3, "3"),
        (1234.5678, 2, "1234.57"),
        (0.00001234, 3, "1.23e-05"),
        (-0.00001234, 3, "-1.23e-05"),
        (float("nan"), 3, "nan"),
        (12.5, 0, "12"),
        (30.0, 0, "30"),
        (np.int64(7), 3, "7"),
    ],
)
def test_format_number(value, precision, text):
    assert format_number(value, precision) == text


def test_multichannel_expression_has_one_line_per_channel_then_the_sum_with_bias():
    x = np.zeros((3, 2, 2))
    x[0, 0, 0], x[1, 0, 0], x[2, 0, 0] = 1.2, 0.3, 0.5
    w = np.zeros((1, 3, 1, 1))
    w[0, :, 0, 0] = [1, 1, -1]
    s = conv_step(x, w, 0, 0, bias=[0.1])
    assert s.expression(channel_names="RGB") == (
        "R: 1.2×1 = 1.2\nG: 0.3×1 = 0.3\nB: 0.5×(-1) = -0.5\n1.2 + 0.3 + (-0.5) + bias 0.1 = 1.1"
    )
    assert s.expression().splitlines()[0] == "channel 0: 1.2×1 = 1.2"
    latex = s.latex(channel_names=["R", "G_1", "B"])
    assert latex.startswith(r"\begin{aligned}") and latex.endswith(r"\end{aligned}")
    assert r"\text{G\_1} &: 0.3 \times 1 = 0.3 \\" in latex
    assert r"1.2 + 0.3 + (-0.5) + \text{bias}\ 0.1 = 1.1" in latex


def test_bias_is_shown_when_given_even_if_zero_and_hidden_otherwise():
    assert conv_step([[2.0]], [[3.0]], 0, 0, bias=[0.0]).expression() == "2×3 + bias 0 = 6"
    assert conv_step([[2.0]], [[3.0]], 0, 0, bias=[-1.5]).expression() == "2×3 + bias (-1.5) = 4.5"
    assert conv_step([[-2.0]], [[3.0]], 0, 0).expression() == "(-2)×3 = -6"


def test_expression_precision_and_padding_values():
    s = conv_step([[1 / 3, 2 / 3]], [[1.0, 0.5]], 0, 0, padding=(0, 1), padding_mode="replicate")
    assert s.expression(precision=2) == "0.33×1 + 0.33×0.5 = 0.5"
    assert s.is_padding.tolist() == [[True, False]]
    assert s.source_cols.tolist() == [[0, 0]]


def test_expression_rejects_too_few_channel_names():
    s = conv_step(np.ones((3, 3, 3)), np.ones((1, 3, 3, 3)), 0, 0)
    with pytest.raises(ValueError, match="`channel_names`"):
        s.expression(channel_names=["R", "G"])


# ---------------------------------------------------------------------------
# Every error path: the right type, the parameter named
# ---------------------------------------------------------------------------

X = np.ones((3, 5, 5))
W = np.ones((2, 3, 3, 3))


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        (dict(x=[["a", "b"]]), TypeError, "`x`"),
        (dict(x=np.ones(5)), ValueError, "`x` must have 2 or 3 or 4 dimensions"),
        (dict(x=np.ones((1, 1, 1, 5, 5))), ValueError, "`x`"),
        (dict(x=np.ones((3, 0, 5))), ValueError, "`x` must not be empty"),
        (dict(x=[[1, 2], [3]]), ValueError, "`x`"),
        (dict(x=np.full((3, 5, 5), np.nan)), ValueError, "`x` must contain only finite"),
        (dict(weight=np.ones((3, 3, 3))), ValueError, "`weight`"),
        (dict(weight=np.full((2, 3, 3, 3), np.inf)), ValueError, "`weight` must contain only"),
        (dict(weight=np.ones((2, 3, 3, 3)) * np.nan), ValueError, "`weight`"),
        (dict(weight=np.ones((2, 2, 3, 3))), ValueError, "`weight` has depth 2 × groups 1"),
        (dict(bias=[1.0]), ValueError, "`bias` needs one value per filter"),
        (dict(bias=[1.0, np.nan]), ValueError, "`bias`"),
        (dict(bias=[["a", "b"]]), TypeError, "`bias`"),
        (dict(stride=0), ValueError, "`stride` must be a positive integer"),
        (dict(stride=1.5), TypeError, "`stride`"),
        (dict(stride=(1, 0)), ValueError, "`stride`"),
        (dict(dilation=0), ValueError, "`dilation`"),
        (dict(dilation=(1, 2, 3)), TypeError, "`dilation`"),
        (dict(padding=-1), ValueError, "`padding`"),
        (dict(padding="full"), ValueError, '`padding` must be .*"valid" or "same"'),
        (dict(padding=1.5), TypeError, "`padding`"),
        (dict(padding="same", stride=2), ValueError, '`padding="same"` needs stride 1'),
        (dict(padding_mode="mirror"), ValueError, "`padding_mode` .*'reflect' here"),
        (dict(padding_mode=None), ValueError, "`padding_mode`"),
        (dict(padding=5, padding_mode="reflect"), ValueError, "`padding` 5 .*reflect"),
        (dict(padding=(0, 6), padding_mode="circular"), ValueError, "`padding` 6 .*circular"),
        (dict(weight=np.ones((1, 3, 7, 3))), ValueError, "rows of `x`: the kernel size is 7"),
        (
            dict(weight=np.ones((1, 3, 3, 3)), dilation=(1, 3)),
            ValueError,
            "columns of `x`: the dilated kernel spans 7",
        ),
        (dict(groups=2), ValueError, "`groups` must divide the number of input channels"),
        (
            dict(weight=np.ones((2, 1, 3, 3)), groups=3),
            ValueError,
            "`groups` must divide the number of filters",
        ),
        (dict(groups=0), ValueError, "`groups` must be a positive integer"),
        (dict(groups=1.0), TypeError, "`groups`"),
        (dict(groups=True), TypeError, "`groups`"),
    ],
)
@pytest.mark.parametrize("function", ["conv2d", "conv_step"])
def test_invalid_arguments_raise_messages_naming_the_parameter(kwargs, error, pattern, function):
    args = dict(x=X, weight=W) | kwargs
    x, weight = args.pop("x"), args.pop("weight")
    if function == "conv2d":
        bias = args.pop("bias", None)
        call = lambda: conv2d(x, weight, bias, **args)  # noqa: E731
    else:
        if "x" in kwargs and np.asarray(kwargs["x"], dtype=object).ndim == 2:
            return  # positions are checked after shapes; covered by conv2d
        call = lambda: conv_step(x, weight, 0, 0, **args)  # noqa: E731
    if function == "conv_step" and pattern.startswith("`x` must contain only finite"):
        pattern = "`x` must contain only finite"
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(row=5), ValueError, "`row` must be between 0 and 2 for this 3×3 output; got 5"),
        (dict(col=-1), ValueError, "`col` must be between 0 and 2 for this 3×3 output; got -1"),
        (dict(out_channel=2), ValueError, "`out_channel` must be between 0 and 1 for 2 filters"),
        (dict(batch_index=1), ValueError, "`batch_index` must be between 0 and 0 for a batch"),
        (dict(row=1.0), TypeError, "`row` must be an integer; got 1.0"),
        (dict(col="0"), TypeError, "`col` must be an integer"),
    ],
)
def test_conv_step_position_errors(kwargs, error, message):
    args = dict(row=0, col=0) | kwargs
    with pytest.raises(error, match=re.escape(message)):
        conv_step(X, W, args.pop("row"), args.pop("col"), **args)


def test_format_number_rejects_a_bad_precision():
    with pytest.raises(ValueError, match="`precision`"):
        format_number(1.0, -1)


# ---------------------------------------------------------------------------
# Optional: PyTorch itself (not a dependency)
# ---------------------------------------------------------------------------


def test_matches_torch_on_random_configurations():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(120):
        x, w, b, kwargs, _ = random_config(rng, max_size=9, reference=False)
        mode, padding = kwargs["padding_mode"], kwargs["padding"]
        xt = torch.from_numpy(x)
        if mode == "zeros":  # functional conv2d pads with zeros, "same" included
            with warnings.catch_warnings():  # "same" with an even kernel copies the input
                warnings.simplefilter("ignore", UserWarning)
                expected = functional.conv2d(
                    xt,
                    torch.from_numpy(w),
                    None if b is None else torch.from_numpy(b),
                    stride=kwargs["stride"],
                    padding=padding,
                    dilation=kwargs["dilation"],
                    groups=kwargs["groups"],
                )
        else:  # nn.Conv2d's padding_mode, with its "same" rule for even kernels
            layer = torch.nn.Conv2d(
                x.shape[1],
                w.shape[0],
                w.shape[2:],
                stride=kwargs["stride"],
                padding=padding,
                dilation=kwargs["dilation"],
                groups=kwargs["groups"],
                bias=b is not None,
                padding_mode=mode,
                dtype=torch.float64,
            )
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(w))
                if b is not None:
                    layer.bias.copy_(torch.from_numpy(b))
                expected = layer(xt)
        close(conv2d(x, w, b, **kwargs), expected.detach().numpy())
        checked += 1
    assert checked == 120


def test_matches_torch_in_float32_on_a_photo_sized_input():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    x = rng.random((3, 96, 128), dtype=np.float32)
    for w, kwargs in [
        (rng.standard_normal((8, 3, 3, 3)), dict(padding=1)),
        (rng.standard_normal((4, 3, 4, 4)), dict(padding="same")),
        (rng.standard_normal((3, 1, 5, 5)), dict(padding=2, groups=3)),
        (rng.standard_normal((2, 3, 3, 3)), dict(stride=2, dilation=2)),
    ]:
        w = w.astype(np.float32)
        expected = torch.nn.functional.conv2d(
            torch.from_numpy(x[None]), torch.from_numpy(w), **kwargs
        ).numpy()[0]
        got = conv2d(x, w, **kwargs)
        assert got.dtype == np.float32
        close(got, expected, rel=1e-5)
