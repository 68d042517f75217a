"""Batch normalisation with PyTorch's train/eval semantics, and what each call used.

``BatchNorm`` behaves like ``torch.nn.BatchNorm1d`` on ``(N, C)`` or
``(N, C, L)`` and like ``torch.nn.BatchNorm2d`` on ``(N, C, H, W)``: every
channel is normalised with one mean and one variance taken over every axis
but C. After each call, ``last_stats`` (a frozen ``BatchNormStats``) holds the
numbers that call used, so a page can show them next to the output.
"""

from __future__ import annotations

import copy as _copy
import math
import numbers
from dataclasses import dataclass

import numpy as np

from vizlib._shapes import _is_int, as_array

__all__ = ["BatchNorm", "BatchNormStats"]

_CHUNK_ELEMENTS = 1 << 16  # float64 deviations in cache-sized chunks (512 KB) for the variance


@dataclass(frozen=True, eq=False)
class BatchNormStats:
    """What one call of a :class:`BatchNorm` layer used and changed.

    All arrays have shape ``(C,)``, are float64 copies and are read-only.

    Attributes
    ----------
    training : bool
        The layer's ``training`` flag during the call.
    mode : {"train", "eval"}
        ``"train"`` if ``training`` else ``"eval"``.
    count : int
        Values per channel in the batch: ``N`` for ``(N, C)``, ``N*L``,
        or ``N*H*W``.
    batch_mean, batch_var, batch_var_unbiased : ndarray
        This batch's per-channel mean, biased variance (divide by ``count``)
        and unbiased variance (divide by ``count - 1``; NaN when
        ``count == 1``). Computed in eval mode too, for comparison.
    mean_used, var_used : ndarray
        The mean and variance that actually normalised the input: the batch
        mean and *biased* batch variance in train mode (or when the layer does
        not track running statistics), the running statistics in eval mode.
    eps : float
        The ``eps`` added to ``var_used``.
    weight, bias : ndarray
        γ and β applied after normalising (ones and zeros when
        ``affine=False``).
    running_mean_before, running_var_before, running_mean_after, running_var_after : ndarray or None
        Running statistics around the call (equal in eval mode); None when
        the layer does not track running statistics.
    momentum_used : float or None
        The factor actually used to update the running statistics
        (``momentum``, or ``1 / num_batches_tracked`` when ``momentum`` is
        None); None when nothing was updated.
    """

    training: bool
    mode: str
    count: int
    batch_mean: np.ndarray
    batch_var: np.ndarray
    batch_var_unbiased: np.ndarray
    mean_used: np.ndarray
    var_used: np.ndarray
    eps: float
    weight: np.ndarray
    bias: np.ndarray
    running_mean_before: np.ndarray | None
    running_var_before: np.ndarray | None
    running_mean_after: np.ndarray | None
    running_var_after: np.ndarray | None
    momentum_used: float | None

    def __post_init__(self):
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                frozen = np.array(value, dtype=np.float64)  # a private copy
                frozen.setflags(write=False)
                object.__setattr__(self, name, frozen)

    @property
    def uses_batch_stats(self) -> bool:
        """True when this call normalised with the batch's own statistics."""
        return self.training or self.running_mean_before is None


class BatchNorm:
    """Batch normalisation over the channel axis, as ``torch.nn.BatchNorm1d/2d``.

    Parameters
    ----------
    num_features : int
        C, the number of channels (axis 1 of the input).
    eps : float, optional
        Added to the variance before the square root, so a channel with zero
        variance does not divide by zero. Must be finite and ``>= 0``.
    momentum : float or None, optional
        Weight of the newest batch in the running statistics, in [0, 1].
        None gives the cumulative (plain) average over all batches so far.
    affine : bool, optional
        Learnable γ (``weight``, ones) and β (``bias``, zeros); without it
        both are None and the output is just the normalised input.
    track_running_stats : bool, optional
        Keep ``running_mean`` (zeros), ``running_var`` (ones) and
        ``num_batches_tracked`` (0). Without it all three are None and every
        call uses the batch's own statistics, in eval mode too.

    Raises
    ------
    TypeError
        If an option has the wrong type.
    ValueError
        If ``num_features < 1``, ``eps`` is negative or not finite, or
        ``momentum`` is outside [0, 1].

    Notes
    -----
    For every channel c::

        y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]

    In **train** mode mean and var are the batch's mean and *biased* variance
    (divide by ``count``, the values per channel), and the running statistics
    move towards the batch's::

        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        running_var  = (1 - momentum) * running_var  + momentum * batch_var_unbiased

    (the *unbiased* variance, divide by ``count - 1``). With ``momentum=None``
    the factor is ``1 / num_batches_tracked``, which makes the running
    statistics the plain average of every batch's. In **eval** mode mean and
    var are the running statistics, which never change: one example gives
    the same output whatever else is in its batch.

    Examples
    --------
    >>> bn = BatchNorm(1)
    >>> x = np.array([[1.0], [3.0]])  # (N=2, C=1)
    >>> bn(x).round(4).tolist()  # mean 2, biased variance 1
    [[-1.0], [1.0]]
    >>> bn.running_mean.tolist(), bn.running_var.round(4).tolist()  # unbiased variance 2
    ([0.2], [1.1])
    >>> bn.eval()(x).round(4).tolist()  # (x - 0.2) / sqrt(1.1 + eps): the running statistics
    [[0.7628], [2.6697]]
    """

    def __init__(
        self,
        num_features: int,
        *,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ):
        if not _is_int(num_features):
            raise TypeError(
                f"`num_features` must be a positive integer (the number of channels C); "
                f"got {num_features!r}"
            )
        if num_features < 1:
            raise ValueError(
                f"`num_features` must be a positive integer (the number of channels C); "
                f"got {num_features}"
            )
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.training = True
        self.weight = np.ones(num_features) if self.affine else None  # (C,) γ
        self.bias = np.zeros(num_features) if self.affine else None  # (C,) β
        self.running_mean = self.running_var = self.num_batches_tracked = None
        self.reset_running_stats()
        self.last_stats: BatchNormStats | None = None

    # -- options, checked whenever they are set -------------------------------------------

    @property
    def eps(self) -> float:
        return self._eps

    @eps.setter
    def eps(self, value):
        if not _is_real(value):
            raise TypeError(f"`eps` must be a number >= 0 (e.g. 1e-5); got {value!r}")
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"`eps` must be a finite number >= 0 (e.g. 1e-5); got {value!r}")
        self._eps = float(value)

    @property
    def momentum(self) -> float | None:
        return self._momentum

    @momentum.setter
    def momentum(self, value):
        if value is not None and not _is_real(value):
            raise TypeError(f"`momentum` must be a number in [0, 1] or None; got {value!r}")
        if value is not None and not 0 <= value <= 1:
            raise ValueError(
                f"`momentum` must be in [0, 1] (0.1 is usual; None means a cumulative average); "
                f"got {value!r}"
            )
        self._momentum = None if value is None else float(value)

    # -- modes and state ------------------------------------------------------------------

    def train(self, mode: bool = True) -> BatchNorm:
        """Switch to train mode (or eval mode with ``mode=False``); returns the layer."""
        if not isinstance(mode, bool):
            raise ValueError(f"`mode` must be True or False; got {mode!r}")
        self.training = mode
        return self

    def eval(self) -> BatchNorm:
        """Switch to eval mode (normalise with the running statistics); returns the layer."""
        return self.train(False)

    def reset_running_stats(self) -> None:
        """Set the running mean to zeros, running variance to ones, batch counter to 0."""
        if self.track_running_stats:
            self.running_mean = np.zeros(self.num_features)  # (C,)
            self.running_var = np.ones(self.num_features)  # (C,)
            self.num_batches_tracked = 0

    def copy(self) -> BatchNorm:
        """Return an independent deep copy: calling it never changes this layer."""
        return _copy.deepcopy(self)

    def state_dict(self) -> dict:
        """Return copies of the parameters and buffers under PyTorch's key names."""
        state = {
            "weight": self.weight,
            "bias": self.bias,
            "running_mean": self.running_mean,
            "running_var": self.running_var,
            "num_batches_tracked": self.num_batches_tracked,
        }
        return {key: _copy.copy(value) for key, value in state.items() if value is not None}

    def __repr__(self) -> str:
        return (
            f"BatchNorm({self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats})"
        )

    # -- the forward pass -----------------------------------------------------------------

    def __call__(self, x, *, record_stats: bool = True) -> np.ndarray:
        """Normalise ``x`` per channel; in train mode also update the running statistics.

        Parameters
        ----------
        x : array_like, shape (N, C), (N, C, L) or (N, C, H, W)
            A batch; axis 1 holds the ``num_features`` channels.
        record_stats : bool, optional
            Fill :attr:`last_stats`. In eval mode this costs a pass over the
            batch for its own statistics; ``False`` skips it (the fast path)
            and sets ``last_stats`` to None.

        Returns
        -------
        ndarray
            Same shape as ``x``; float32 stays float32, anything else is float64.

        Raises
        ------
        TypeError
            If ``x`` is not numeric.
        ValueError
            If ``x`` has the wrong number of dimensions or channels, is
            empty or not finite; or if the batch statistics are needed and
            there is only one value per channel.
        """
        arr = self._check_input(x)
        x3 = arr.reshape(*arr.shape[:2], -1)  # (N, C, L): every axis after C flattened
        count = x3.shape[0] * x3.shape[2]  # values per channel
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            self._check_batch_size(arr.shape, count)
        weight = _as_channel_vector(self.weight, "weight", self.num_features, default=1.0)  # γ
        bias = _as_channel_vector(self.bias, "bias", self.num_features, default=0.0)  # β
        before = self._running_stats()  # (mean, var) or (None, None)
        if use_batch or record_stats:
            batch_mean, batch_var = _channel_mean_var(x3)  # (C,), (C,) biased
        mean_used, var_used = (batch_mean, batch_var) if use_batch else before
        y3 = _normalize(x3, mean_used, var_used, self.eps, weight, bias)  # (N, C, L)

        momentum_used = None
        if self.training and self.track_running_stats:
            momentum_used = self._update_running_stats(batch_mean, _unbiased(batch_var, count))
        if record_stats:
            self.last_stats = BatchNormStats(
                training=self.training,
                mode="train" if self.training else "eval",
                count=count,
                batch_mean=batch_mean,
                batch_var=batch_var,
                batch_var_unbiased=_unbiased(batch_var, count),
                mean_used=mean_used,
                var_used=var_used,
                eps=self.eps,
                weight=weight,
                bias=bias,
                running_mean_before=before[0],
                running_var_before=before[1],
                running_mean_after=self.running_mean,
                running_var_after=self.running_var,
                momentum_used=momentum_used,
            )
        else:
            self.last_stats = None
        return y3.reshape(arr.shape)

    def _check_input(self, x) -> np.ndarray:
        arr = as_array(x, "x", ndims=(2, 3, 4))
        if arr.shape[1] != self.num_features:
            raise ValueError(
                f"`x` must have num_features={self.num_features} channels on axis 1 "
                f"(layout (N, C), (N, C, L) or (N, C, H, W)); got shape {arr.shape} with "
                f"{arr.shape[1]} channels. A single image (C, H, W) needs a batch axis: x[None]."
            )
        return arr

    def _check_batch_size(self, shape, count):
        if count == 1:
            when = "when training" if self.training else "when using batch statistics"
            raise ValueError(
                f"Expected more than 1 value per channel {when}; got input of shape "
                f"{shape}. A single value has variance 0, so every output would be β. "
                "Use eval mode or a batch of at least 2."
            )

    def _running_stats(self):
        if not self.track_running_stats:
            return None, None
        mean = _as_channel_vector(self.running_mean, "running_mean", self.num_features)
        var = _as_channel_vector(self.running_var, "running_var", self.num_features)
        if np.any(var < 0):
            raise ValueError(f"`running_var` must be >= 0 in every channel; got {var}")
        return mean.copy(), var.copy()

    def _update_running_stats(self, batch_mean, batch_var_unbiased) -> float:
        self.num_batches_tracked += 1
        factor = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        self.running_mean = (1 - factor) * self.running_mean + factor * batch_mean  # (C,)
        self.running_var = (1 - factor) * self.running_var + factor * batch_var_unbiased  # (C,)
        return factor


def _normalize(x3, mean, var, eps, weight, bias) -> np.ndarray:
    """``(x - mean) / sqrt(var + eps) * weight + bias`` per channel, as one scale and shift.

    ``x3`` is ``(N, C, L)``; the rest are ``(C,)`` float64. Folding the formula
    into ``scale = weight / sqrt(var + eps)`` and ``shift = bias - mean * scale``
    makes it one multiply and one add per value, in ``x3``'s dtype (as PyTorch
    does). In float32 the output then carries a rounding error of about
    ``1e-7 * |mean| / sqrt(var)``: negligible unless the mean dwarfs the spread.
    """
    denominator = np.sqrt(var + eps)  # (C,)
    if np.any(denominator == 0):
        flat = int(np.flatnonzero(denominator == 0)[0])
        raise ValueError(
            f"Channel {flat} has variance 0 and `eps` is 0, so normalising divides by zero. "
            "Use eps > 0 (1e-5 is usual)."
        )
    scale = weight / denominator  # (C,)
    shift = bias - mean * scale  # (C,)
    y3 = np.multiply(x3, scale.astype(x3.dtype)[:, None])  # (N, C, L)
    y3 += shift.astype(x3.dtype)[:, None]
    return y3


def _channel_mean_var(x3):
    """Per-channel mean and biased variance of ``x3`` ``(N, C, L)``, in float64.

    Two passes (mean first, then squared deviations from it), which stay
    accurate when the mean is large compared with the spread.
    """
    n, c, length = x3.shape
    count = n * length
    mean = np.add.reduce(x3, axis=(0, 2), dtype=np.float64) / count  # (C,)
    squares = np.zeros(c)  # (C,)
    step = max(1, _CHUNK_ELEMENTS // (c * length))
    for start in range(0, n, step):
        deviation = x3[start : start + step] - mean[:, None]  # (step, C, L) float64
        squares += np.einsum("ncl,ncl->c", deviation, deviation)
    return mean, squares / count


def _unbiased(biased_var, count):
    if count < 2:
        return np.full_like(biased_var, np.nan)
    return biased_var * (count / (count - 1))  # (C,)


def _as_channel_vector(value, name, channels, *, default=None) -> np.ndarray:
    if value is None:
        if default is None:
            raise ValueError(f"`{name}` is None but the layer needs one value per channel")
        return np.full(channels, default)
    vector = np.asarray(value, dtype=np.float64)
    if vector.shape != (channels,):
        raise ValueError(
            f"`{name}` must have shape ({channels},), one value per channel; "
            f"got shape {vector.shape}"
        )
    if not np.all(np.isfinite(vector)):
        raise ValueError(f"`{name}` must contain only finite numbers; found NaN or infinity")
    return vector


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
