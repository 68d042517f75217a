"""BatchNorm against the textbook formula, PyTorch's documented semantics and (optionally) torch."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vizlib.batchnorm import BatchNorm, BatchNormStats

EPS = 1e-5


# -- the textbook reference: one channel at a time, numpy's own mean and var ------------------


def textbook_forward(x, mean, var, eps, weight, bias):
    """y = (x - mean) / sqrt(var + eps) * γ + β, written out channel by channel."""
    y = np.empty_like(x, dtype=np.float64)
    for c in range(x.shape[1]):
        y[:, c] = (x[:, c] - mean[c]) / np.sqrt(var[c] + eps) * weight[c] + bias[c]
    return y


def textbook_stats(x):
    """Per-channel mean, biased and unbiased variance over every axis but 1."""
    per_channel = [x[:, c].ravel() for c in range(x.shape[1])]
    mean = np.array([v.mean() for v in per_channel])
    biased = np.array([v.var(ddof=0) for v in per_channel])
    unbiased = np.array([v.var(ddof=1) for v in per_channel])
    return mean, biased, unbiased


def random_affine(layer, rng):
    layer.weight = rng.uniform(0.5, 2.0, layer.num_features) * rng.choice([-1, 1])
    layer.bias = rng.normal(0, 1, layer.num_features)


# -- train mode against the formula over several batches ---------------------------------------


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (5, 3), (2, 3, 7)], ids=["2d", "1d-NC", "1d-NCL"])
@pytest.mark.parametrize("momentum", [0.1, 0.35])
def test_train_matches_textbook_over_several_batches(shape, momentum):
    rng = np.random.default_rng(0)
    layer = BatchNorm(shape[1], momentum=momentum)
    random_affine(layer, rng)
    running_mean, running_var = np.zeros(shape[1]), np.ones(shape[1])
    for step in range(1, 5):
        x = rng.normal(3.0, 2.0, shape)
        mean, biased, unbiased = textbook_stats(x)
        expected = textbook_forward(x, mean, biased, EPS, layer.weight, layer.bias)
        before_mean, before_var = running_mean, running_var
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * unbiased

        y = layer(x)

        np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.running_mean, running_mean, rtol=1e-12)
        np.testing.assert_allclose(layer.running_var, running_var, rtol=1e-12)
        assert layer.num_batches_tracked == step
        s = layer.last_stats
        assert (s.training, s.mode, s.count) == (True, "train", x.size // shape[1])
        np.testing.assert_allclose(s.batch_mean, mean, rtol=1e-12)
        np.testing.assert_allclose(s.batch_var, biased, rtol=1e-12)
        np.testing.assert_allclose(s.batch_var_unbiased, unbiased, rtol=1e-12)
        np.testing.assert_array_equal(s.mean_used, s.batch_mean)
        np.testing.assert_array_equal(s.var_used, s.batch_var)  # biased, not unbiased
        np.testing.assert_allclose(s.running_mean_before, before_mean, rtol=1e-12)
        np.testing.assert_allclose(s.running_var_before, before_var, rtol=1e-12)
        np.testing.assert_array_equal(s.running_mean_after, layer.running_mean)
        np.testing.assert_array_equal(s.running_var_after, layer.running_var)
        assert s.momentum_used == momentum
        assert s.eps == EPS and s.uses_batch_stats


def test_tiny_batch_makes_biased_and_unbiased_variance_differ_visibly():
    x = np.random.default_rng(1).normal(0, 1, (2, 3, 4, 4))  # 32 values per channel
    layer = BatchNorm(3)
    layer(x)
    s = layer.last_stats
    np.testing.assert_allclose(s.batch_var_unbiased / s.batch_var, 32 / 31)
    assert np.all(s.batch_var_unbiased - s.batch_var > 1e-3)


def test_momentum_none_is_the_plain_average_of_every_batch():
    rng = np.random.default_rng(2)
    layer = BatchNorm(3, momentum=None)
    means, variances = [], []
    for k in range(1, 6):
        x = rng.normal(rng.uniform(-5, 5), rng.uniform(0.5, 3), (2, 3, 4, 4))
        mean, _, unbiased = textbook_stats(x)
        means.append(mean)
        variances.append(unbiased)
        layer(x)
        assert layer.last_stats.momentum_used == pytest.approx(1 / k)
        np.testing.assert_allclose(layer.running_mean, np.mean(means, axis=0), rtol=1e-12)
        np.testing.assert_allclose(layer.running_var, np.mean(variances, axis=0), rtol=1e-12)
    assert layer.num_batches_tracked == 5


def test_momentum_zero_keeps_and_momentum_one_replaces_the_running_statistics():
    rng = np.random.default_rng(3)
    frozen, latest = BatchNorm(3, momentum=0), BatchNorm(3, momentum=1)
    for _ in range(3):
        x = rng.normal(4, 2, (2, 3, 4, 4))
        frozen(x)
        latest(x)
    mean, _, unbiased = textbook_stats(x)
    np.testing.assert_array_equal(frozen.running_mean, np.zeros(3))
    np.testing.assert_array_equal(frozen.running_var, np.ones(3))
    assert frozen.num_batches_tracked == 3  # counted even when nothing moves (as PyTorch)
    np.testing.assert_allclose(latest.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(latest.running_var, unbiased, rtol=1e-12)


# -- eval mode ---------------------------------------------------------------------------------


def trained_layer(seed=4):
    rng = np.random.default_rng(seed)
    layer = BatchNorm(3)
    random_affine(layer, rng)
    for _ in range(3):
        layer(rng.normal(2, 3, (2, 3, 4, 4)))
    return layer.eval()


def test_eval_uses_the_running_statistics_and_never_changes_them():
    layer = trained_layer()
    state = layer.state_dict()
    x = np.random.default_rng(5).normal(-1, 0.5, (2, 3, 4, 4))
    y = layer(x)
    expected = textbook_forward(
        x, state["running_mean"], state["running_var"], EPS, layer.weight, layer.bias
    )
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    for key, value in state.items():
        np.testing.assert_array_equal(layer.state_dict()[key], value)
    s = layer.last_stats
    assert (s.training, s.mode, s.momentum_used, s.uses_batch_stats) == (False, "eval", None, False)
    np.testing.assert_array_equal(s.mean_used, state["running_mean"])
    np.testing.assert_array_equal(s.var_used, state["running_var"])
    np.testing.assert_array_equal(s.running_mean_before, s.running_mean_after)
    mean, biased, unbiased = textbook_stats(x)  # still reported, for the page to compare
    np.testing.assert_allclose(s.batch_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(s.batch_var, biased, rtol=1e-12)
    np.testing.assert_allclose(s.batch_var_unbiased, unbiased, rtol=1e-12)


def test_eval_output_of_one_example_does_not_depend_on_the_rest_of_the_batch():
    layer = trained_layer()
    rng = np.random.default_rng(6)
    example = rng.normal(0, 1, (1, 3, 4, 4))
    batch_a = np.concatenate([example, rng.normal(5, 1, (3, 3, 4, 4))])
    batch_b = np.concatenate([rng.normal(-5, 9, (2, 3, 4, 4)), example])
    np.testing.assert_array_equal(layer(batch_a)[0], layer(batch_b)[2])


def test_train_output_of_one_example_depends_on_the_rest_of_the_batch():
    layer = BatchNorm(3)
    rng = np.random.default_rng(6)
    example = rng.normal(0, 1, (1, 3, 4, 4))
    batch_a = np.concatenate([example, rng.normal(5, 1, (3, 3, 4, 4))])
    batch_b = np.concatenate([rng.normal(-5, 9, (2, 3, 4, 4)), example])
    assert np.abs(layer(batch_a)[0] - layer(batch_b)[2]).max() > 0.1


def test_fresh_layer_in_eval_mode_is_the_identity_up_to_eps():
    x = np.random.default_rng(7).normal(3, 10, (2, 3, 5, 5))
    y = BatchNorm(3).eval()(x)
    np.testing.assert_allclose(y, x / np.sqrt(1 + EPS), rtol=1e-15)
    np.testing.assert_allclose(y, x, rtol=1e-5)


def test_one_value_per_channel_is_an_error_in_train_mode_and_fine_in_eval_mode():
    for shape in [(1, 3), (1, 3, 1), (1, 3, 1, 1)]:
        x = np.arange(3.0).reshape(shape)
        with pytest.raises(ValueError, match=r"more than 1 value per channel when training") as e:
            BatchNorm(3)(x)
        assert str(shape) in str(e.value)
        assert "eval mode or a batch of at least 2" in str(e.value)
        layer = BatchNorm(3).eval()
        np.testing.assert_allclose(layer(x), x / np.sqrt(1 + EPS))
        assert layer.last_stats.count == 1
        assert np.all(np.isnan(layer.last_stats.batch_var_unbiased))
    BatchNorm(3)(np.ones((1, 3, 2, 1)))  # one example but two values per channel: fine


# -- options ---------------------------------------------------------------------------------


def test_affine_parameters_scale_and_shift_the_normalised_values():
    rng = np.random.default_rng(8)
    x = rng.normal(1, 2, (4, 2, 3))
    plain = BatchNorm(2, affine=False)
    assert plain.weight is None and plain.bias is None
    z = plain(x)
    np.testing.assert_array_equal(plain.last_stats.weight, np.ones(2))
    np.testing.assert_array_equal(plain.last_stats.bias, np.zeros(2))
    layer = BatchNorm(2)
    layer.weight = np.array([3.0, -0.5])
    layer.bias = np.array([10.0, -2.0])
    y = layer(x)
    np.testing.assert_allclose(
        y, z * np.array([3.0, -0.5])[:, None] + np.array([10, -2.0])[:, None]
    )
    np.testing.assert_array_equal(layer.last_stats.weight, [3.0, -0.5])


def test_without_running_stats_both_modes_use_the_batch():
    x = np.random.default_rng(9).normal(2, 3, (2, 3, 4, 4))
    layer = BatchNorm(3, track_running_stats=False)
    assert layer.running_mean is None and layer.running_var is None
    assert layer.num_batches_tracked is None
    y_train = layer(x)
    y_eval = layer.eval()(x)
    np.testing.assert_array_equal(y_train, y_eval)
    mean, biased, _ = textbook_stats(x)
    np.testing.assert_allclose(y_eval, textbook_forward(x, mean, biased, EPS, np.ones(3), 0 * mean))
    s = layer.last_stats
    assert s.mode == "eval" and s.uses_batch_stats and s.momentum_used is None
    assert s.running_mean_before is None and s.running_var_after is None
    assert set(layer.state_dict()) == {"weight", "bias"}
    with pytest.raises(ValueError, match="more than 1 value per channel when using batch stat"):
        layer(np.ones((1, 3)))


def test_statistics_are_float64_even_for_float32_input():
    x32 = np.random.default_rng(10).normal(1000, 0.01, (4, 2, 8, 8)).astype(np.float32)
    layer = BatchNorm(2)
    layer(x32)  # a large mean and a tiny spread: one-pass formulas would cancel badly
    s = layer.last_stats
    assert s.batch_mean.dtype == s.batch_var.dtype == np.float64
    _, biased, _ = textbook_stats(x32.astype(np.float64))
    np.testing.assert_allclose(s.batch_var, biased, rtol=1e-10)


def test_output_dtype_follows_the_input():
    x64 = np.random.default_rng(10).normal(1, 2, (4, 2, 8, 8))
    y32 = BatchNorm(2)(x64.astype(np.float32))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(
        y32, BatchNorm(2)(x64.astype(np.float32).astype(np.float64)), atol=1e-5
    )
    assert BatchNorm(2)(np.arange(8).reshape(4, 2)).dtype == np.float64


def test_variance_over_many_chunks_matches_numpy():
    x = np.random.default_rng(11).normal(-7, 4, (40, 3, 32, 32))  # several float64 chunks
    layer = BatchNorm(3)
    layer(x)
    mean, biased, _ = textbook_stats(x)
    np.testing.assert_allclose(layer.last_stats.batch_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.last_stats.batch_var, biased, rtol=1e-12)


# -- bookkeeping: last_stats, copy, state_dict, repr ---------------------------------------------


def test_last_stats_is_none_until_a_call_and_frozen_afterwards():
    layer = BatchNorm(2)
    assert layer.last_stats is None
    layer(np.arange(8.0).reshape(4, 2))
    s = layer.last_stats
    assert isinstance(s, BatchNormStats)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.eps = 1.0
    with pytest.raises(ValueError, match="read-only"):
        s.batch_mean[0] = 5.0
    layer.weight[0] = 42.0  # later changes to the layer do not rewrite history
    assert s.weight[0] == 1.0
    layer(np.arange(8.0).reshape(4, 2), record_stats=False)
    assert layer.last_stats is None


def test_fast_path_without_stats_gives_the_same_output():
    layer = trained_layer()
    x = np.random.default_rng(12).normal(0, 1, (3, 3, 4, 4)).astype(np.float32)
    np.testing.assert_array_equal(layer(x, record_stats=False), layer(x))


def test_copy_is_independent():
    layer = trained_layer().train()
    before = layer.state_dict()
    twin = layer.copy()
    twin(np.random.default_rng(13).normal(9, 1, (2, 3, 4, 4)))
    twin.weight[:] = 0
    twin.eval()
    assert layer.training and twin.num_batches_tracked == before["num_batches_tracked"] + 1
    for key, value in before.items():
        np.testing.assert_array_equal(layer.state_dict()[key], value)


def test_state_dict_uses_pytorch_names_and_returns_copies():
    layer = BatchNorm(3)
    state = layer.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert state["num_batches_tracked"] == 0 and isinstance(state["num_batches_tracked"], int)
    state["running_mean"][:] = 7
    np.testing.assert_array_equal(layer.running_mean, np.zeros(3))
    assert list(BatchNorm(3, affine=False).state_dict()) == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_reset_running_stats_and_modes():
    layer = trained_layer().train()
    assert layer.eval() is layer and layer.training is False
    assert layer.train() is layer and layer.training is True
    assert layer.train(False) is layer and layer.training is False
    layer.reset_running_stats()
    np.testing.assert_array_equal(layer.running_mean, np.zeros(3))
    np.testing.assert_array_equal(layer.running_var, np.ones(3))
    assert layer.num_batches_tracked == 0


def test_repr_reads_like_pytorch():
    assert repr(BatchNorm(3)) == (
        "BatchNorm(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    )
    assert "momentum=None" in repr(BatchNorm(3, momentum=None))


# -- every validation message ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"num_features": 0}, ValueError, r"`num_features` must be a positive integer.*got 0"),
        ({"num_features": -2}, ValueError, r"`num_features`.*got -2"),
        ({"num_features": 2.5}, TypeError, r"`num_features`.*got 2.5"),
        ({"num_features": "3"}, TypeError, r"`num_features`.*got '3'"),
        ({"num_features": True}, TypeError, r"`num_features`.*got True"),
        ({"eps": -1e-3}, ValueError, r"`eps` must be a finite number >= 0.*got -0.001"),
        ({"eps": float("nan")}, ValueError, r"`eps`.*got nan"),
        ({"eps": float("inf")}, ValueError, r"`eps`.*got inf"),
        ({"eps": "small"}, TypeError, r"`eps` must be a number.*got 'small'"),
        ({"momentum": -0.1}, ValueError, r"`momentum` must be in \[0, 1\].*got -0.1"),
        ({"momentum": 1.5}, ValueError, r"`momentum`.*got 1.5"),
        ({"momentum": float("nan")}, ValueError, r"`momentum`.*got nan"),
        ({"momentum": "fast"}, TypeError, r"`momentum` must be a number in \[0, 1\] or None"),
    ],
)
def test_constructor_messages(kwargs, error, pattern):
    kwargs = {"num_features": 3, **kwargs}
    with pytest.raises(error, match=pattern):
        BatchNorm(kwargs.pop("num_features"), **kwargs)


def test_options_set_later_are_checked_too():
    layer = BatchNorm(3)
    with pytest.raises(ValueError, match=r"`eps`.*got -1"):
        layer.eps = -1
    with pytest.raises(ValueError, match=r"`momentum`.*got 2"):
        layer.momentum = 2
    with pytest.raises(ValueError, match="`mode` must be True or False; got 'yes'"):
        layer.train("yes")


@pytest.mark.parametrize(
    ("x", "error", "pattern"),
    [
        (np.ones(3), ValueError, r"`x` must have 2 or 3 or 4 dimensions; got 1"),
        (np.ones((2, 3, 2, 2, 2)), ValueError, r"got 5 \(shape \(2, 3, 2, 2, 2\)\)"),
        (np.ones((2, 4, 5, 5)), ValueError, r"num_features=3 channels.*with 4 channels"),
        (np.ones((3, 5, 5)), ValueError, r"got shape \(3, 5, 5\) with 5 channels.*x\[None\]"),
        (np.full((2, 3), np.nan), ValueError, r"`x` must contain only finite numbers"),
        (np.full((2, 3), np.inf), ValueError, r"`x` must contain only finite numbers"),
        (np.ones((0, 3)), ValueError, r"`x` must not be empty; got shape \(0, 3\)"),
        (np.array([["a", "b", "c"]] * 2), TypeError, r"`x` must contain numbers"),
    ],
)
def test_input_messages(x, error, pattern):
    with pytest.raises(error, match=pattern):
        BatchNorm(3)(x)


def test_parameter_messages():
    x = np.ones((2, 3))
    layer = BatchNorm(3)
    layer.weight = np.ones(4)
    with pytest.raises(ValueError, match=r"`weight` must have shape \(3,\).*got shape \(4,\)"):
        layer(x)
    layer = BatchNorm(3)
    layer.bias = np.array([0.0, np.nan, 0.0])
    with pytest.raises(ValueError, match="`bias` must contain only finite numbers"):
        layer(x)
    layer = BatchNorm(3).eval()
    layer.running_var = -np.ones(3)
    with pytest.raises(ValueError, match="`running_var` must be >= 0"):
        layer(x)
    with pytest.raises(ValueError, match="Channel 0 has variance 0 and `eps` is 0"):
        BatchNorm(3, eps=0)(x)  # constant channels
    np.testing.assert_allclose(
        BatchNorm(3, eps=0)(np.array([[0.0] * 3, [2.0] * 3])), [[-1] * 3, [1] * 3]
    )


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 4),
    c=st.integers(1, 3),
    spatial=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    loc=st.floats(-100, 100),
    scale=st.floats(1e-3, 1e3),
    eps=st.sampled_from([1e-5, 1e-3, 0.5]),
    seed=st.integers(0, 2**16),
)
def test_train_output_has_mean_beta_and_shrunk_gamma_squared_variance(
    n, c, spatial, loc, scale, eps, seed
):
    rng = np.random.default_rng(seed)
    x = rng.normal(loc, scale, (n, c, *spatial))
    layer = BatchNorm(c, eps=eps)
    random_affine(layer, rng)
    y = layer(x)
    var = layer.last_stats.batch_var
    for ch in range(c):
        out = y[:, ch].ravel()
        assert out.mean() == pytest.approx(layer.bias[ch], abs=1e-9 * (1 + abs(layer.weight[ch])))
        expected = layer.weight[ch] ** 2 * var[ch] / (var[ch] + eps)
        assert out.var() == pytest.approx(expected, rel=1e-9, abs=1e-12)


# -- optional cross-check with PyTorch ---------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 7), (2, 3, 4, 4)], ids=["NC", "NCL", "NCHW"])
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matches_torch_over_several_steps_then_eval(shape, momentum, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14)
    torch_cls = torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d
    theirs = torch_cls(3, momentum=momentum, dtype=getattr(torch, dtype))
    ours = BatchNorm(3, momentum=momentum)
    random_affine(ours, rng)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight))
        theirs.bias.copy_(torch.from_numpy(ours.bias))
    tol = {"float64": 1e-12, "float32": 2e-5}[dtype]
    for _ in range(4):
        x = rng.normal(1.5, 2.5, shape).astype(dtype)
        expected = theirs(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(ours(x), expected, rtol=tol, atol=tol)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=tol)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=tol)
        assert ours.num_batches_tracked == int(theirs.num_batches_tracked)
    ours.eval()
    theirs.eval()
    x = rng.normal(-1, 3, shape).astype(dtype)
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(x), expected, rtol=tol, atol=tol)


def test_matches_torch_without_running_stats():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(15).normal(0, 2, (2, 3, 4, 4))
    theirs = torch.nn.BatchNorm2d(3, track_running_stats=False, dtype=torch.float64).eval()
    ours = BatchNorm(3, track_running_stats=False).eval()
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(x), expected, rtol=1e-12, atol=1e-12)
    assert theirs.num_batches_tracked is None and ours.num_batches_tracked is None
