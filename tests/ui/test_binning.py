"""ui.binning.histogram: numpy's histogram on every value a student can make."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ui.binning import histogram


@given(
    arrays(np.float64, st.integers(0, 40), elements=st.floats(allow_nan=True, allow_infinity=True)),
    st.integers(1, 40),
)
def test_counts_every_finite_value_in_increasing_bins(values, bins):
    counts, edges = histogram(values, bins)
    finite = values[np.isfinite(values)]
    assert counts.shape == (bins,) and edges.shape == (bins + 1,)
    assert int(counts.sum()) == finite.size
    assert np.all(edges[1:] > edges[:-1])  # (np.diff could overflow near ±1.8e308)
    if finite.size:
        assert edges[0] <= finite.min() and finite.max() <= edges[-1]


def test_values_one_float_step_apart_and_a_constant():
    counts, _ = histogram(np.array([3e16, 3e16 + 4]), 5)  # numpy alone: "Too many bins"
    assert counts.sum() == 2
    counts, edges = histogram(np.full((2, 3), 7.0), 4)  # any shape; ±0.5 around a constant
    assert counts.sum() == 6 and edges[0] == 6.5 and edges[-1] == 7.5


def test_float32_values_one_float32_step_apart():
    values = np.array([1.0, np.nextafter(np.float32(1), np.float32(2))], dtype=np.float32)
    counts, edges = histogram(values, 40)  # float32 steps are 2**-23: numpy alone fails
    assert counts.sum() == 2 and np.all(np.diff(edges) > 0)
