"""Activations against their textbook formulas, SciPy's expit, and (optionally) PyTorch."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import expit

from vizlib.activations import ACTIVATIONS, Activation, leaky_relu, relu, sigmoid, tanh

FUNCTIONS = [relu, leaky_relu, sigmoid, tanh]
EXTREMES = np.array([-1e4, -1000.0, -88.8, -1.0, -0.0, 0.0, 1e-30, 1.0, 88.8, 1000.0, 1e4])

finite_arrays = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 5)),
    elements=st.floats(-50, 50, allow_nan=False),
)


@settings(max_examples=100, deadline=None)
@given(finite_arrays)
def test_against_the_scalar_formulas(x):
    slope = 0.01
    cases = [
        (relu(x), lambda v: max(0.0, v)),
        (leaky_relu(x), lambda v: v if v > 0 else slope * v),
        (sigmoid(x), lambda v: 1 / (1 + math.exp(-v))),
        (tanh(x), lambda v: (math.exp(v) - math.exp(-v)) / (math.exp(v) + math.exp(-v))),
    ]
    for got, formula in cases:
        expected = np.vectorize(formula)(x)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
        assert got.shape == x.shape


def test_sigmoid_matches_scipy_expit_and_tanh_identity():
    x = np.linspace(-40, 40, 1001)
    np.testing.assert_allclose(sigmoid(x), expit(x), rtol=1e-14, atol=0)
    np.testing.assert_allclose(tanh(x), 2 * sigmoid(2 * x) - 1, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_extremes_give_limits_without_warnings(function, dtype):
    # pyproject turns every warning (overflow in exp included) into an error.
    out = function(EXTREMES.astype(dtype))
    assert out.dtype == dtype
    assert np.all(np.isfinite(out))
    if function in (sigmoid, tanh):
        low = 0 if function is sigmoid else -1
        assert out[0] == low and out[1] == low and out[-1] == 1 and out[-2] == 1
        assert np.all(np.diff(out) >= 0)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_float32_is_kept_and_integers_become_float64(function):
    assert function(np.ones((2, 3), np.float32)).dtype == np.float32
    assert function(np.arange(6).reshape(2, 3)).dtype == np.float64
    assert function([[1, -2]]).shape == (1, 2)


def test_leaky_relu_slope_does_not_upcast_float32():
    out = leaky_relu(np.array([-2.0, 3.0], np.float32), negative_slope=np.float64(0.5))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [-1.0, 3.0])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_nan_and_infinity_follow_the_limits(function):
    out = function(np.array([np.nan, np.inf, -np.inf]))
    assert np.isnan(out[0])
    expected = {
        relu: [np.inf, 0.0],
        leaky_relu: [np.inf, -np.inf],
        sigmoid: [1.0, 0.0],
        tanh: [1.0, -1.0],
    }[function]
    np.testing.assert_array_equal(out[1:], expected)


def test_relu_hand_worked():
    np.testing.assert_array_equal(relu([[-3, 0], [2, -0.5]]), [[0, 0], [2, 0]])


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: relu([["a"]]), TypeError, ["`x`", "numbers"]),
        (lambda: sigmoid([]), ValueError, ["`x`", "empty"]),
        (lambda: tanh([[1, 2], [3]]), ValueError, ["`x`", "rectangular"]),
        (lambda: leaky_relu([1.0], negative_slope="0.1"), TypeError, ["`negative_slope`", "'0.1'"]),
        (lambda: leaky_relu([1.0], negative_slope=np.nan), ValueError, ["`negative_slope`", "nan"]),
    ],
)
def test_errors_name_the_parameter(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_registry_entries_describe_their_function():
    assert set(ACTIVATIONS) == {"relu", "leaky_relu", "sigmoid", "tanh"}
    x = np.linspace(-3, 3, 7)
    for name, entry in ACTIVATIONS.items():
        assert isinstance(entry, Activation) and entry.name == name
        assert entry.function.__name__ == name
        np.testing.assert_array_equal(entry.function(x), globals()[name](x))
        assert entry.formula and entry.description.endswith(".")
        assert len(entry.description) < 120  # one line on screen
    assert ACTIVATIONS["relu"].formula == "max(0, x)"
    with pytest.raises(AttributeError):
        ACTIVATIONS["relu"].formula = "x"


def test_matches_torch():
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    x = np.random.default_rng(7).normal(scale=30, size=(4, 257)).astype(np.float32)
    t = torch.from_numpy(x)
    pairs = [
        (relu(x), functional.relu(t)),
        (leaky_relu(x, 0.2), functional.leaky_relu(t, 0.2)),
        (sigmoid(x), torch.sigmoid(t)),
        (tanh(x), torch.tanh(t)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=2e-6, atol=1e-7)
