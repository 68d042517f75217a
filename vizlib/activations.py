"""Activation functions: the non-linearity applied to every value of a feature map.

Without one, a stack of convolutions is still one big linear filter. Each
function works element-wise on an array of any shape, keeps float32 as
float32 (everything else numeric becomes float64) and matches
``torch.nn.functional`` of the same name, NaN and infinities included.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vizlib._shapes import as_array

__all__ = ["ACTIVATIONS", "Activation", "leaky_relu", "relu", "sigmoid", "tanh"]


def _as_float(x) -> np.ndarray:
    """Return ``x`` as a float32/float64 array of any shape (NaN and inf allowed)."""
    try:
        ndim = np.ndim(x)
    except ValueError:  # ragged nested lists: let as_array word the message
        ndim = 0
    return as_array(x, "x", ndims=(ndim,), allow_nonfinite=True)


def relu(x) -> np.ndarray:
    """Rectified linear unit: keep positive values, replace negative ones by 0.

    Parameters
    ----------
    x : array_like, any shape
        Input values.

    Returns
    -------
    ndarray, same shape as ``x``
        float32 for float32 input, else float64.

    Raises
    ------
    TypeError
        If ``x`` is not numeric.
    ValueError
        If ``x`` is empty or ragged.

    Notes
    -----
    ``relu(x) = max(0, x)``. NaN stays NaN, as in PyTorch.

    Examples
    --------
    >>> relu([[-2.0, 0.5], [3.0, -0.1]])
    array([[0. , 0.5],
           [3. , 0. ]])
    """
    arr = _as_float(x)
    return np.maximum(arr, arr.dtype.type(0))  # np.maximum propagates NaN


def leaky_relu(x, negative_slope=0.01) -> np.ndarray:
    """Leaky ReLU: keep positive values, scale negative ones by a small slope.

    Parameters
    ----------
    x : array_like, any shape
        Input values.
    negative_slope : float, optional
        Multiplier for negative values (PyTorch's default 0.01).

    Returns
    -------
    ndarray, same shape as ``x``
        float32 for float32 input, else float64.

    Raises
    ------
    TypeError
        If ``x`` or ``negative_slope`` is not a real number.
    ValueError
        If ``x`` is empty or ragged, or ``negative_slope`` is NaN or infinite.

    Notes
    -----
    ``leaky_relu(x) = x if x > 0 else negative_slope * x``.

    Examples
    --------
    >>> leaky_relu([-2.0, 0.0, 3.0], negative_slope=0.1)
    array([-0.2,  0. ,  3. ])
    """
    if not isinstance(negative_slope, numbers.Real) or isinstance(negative_slope, bool):
        raise TypeError(
            f"`negative_slope` must be a real number such as 0.01; got {negative_slope!r}"
        )
    if not np.isfinite(negative_slope):
        raise ValueError(
            f"`negative_slope` must be a finite number such as 0.01; got {negative_slope}"
        )
    arr = _as_float(x)
    slope = arr.dtype.type(negative_slope)  # a float64 slope must not upcast float32 input
    return np.where(arr > 0, arr, arr * slope)


def sigmoid(x) -> np.ndarray:
    """Logistic sigmoid: squash any value into (0, 1).

    Parameters
    ----------
    x : array_like, any shape
        Input values.

    Returns
    -------
    ndarray, same shape as ``x``
        float32 for float32 input, else float64. Values in [0, 1].

    Raises
    ------
    TypeError
        If ``x`` is not numeric.
    ValueError
        If ``x`` is empty or ragged.

    Notes
    -----
    ``sigmoid(x) = 1 / (1 + exp(-x))``. Written that way, ``exp(-x)``
    overflows for ``x = -1000``. The stable form only ever takes ``exp`` of
    a non-positive number: with ``e = exp(-|x|)``::

        sigmoid(x) = 1 / (1 + e)   if x >= 0
                   = e / (1 + e)   if x < 0

    Examples
    --------
    >>> sigmoid([-1000.0, 0.0, 1000.0])
    array([0. , 0.5, 1. ])
    """
    arr = _as_float(x)
    e = np.exp(-np.abs(arr))  # in (0, 1]: never overflows
    return np.where(arr >= 0, 1 / (1 + e), e / (1 + e))


def tanh(x) -> np.ndarray:
    """Hyperbolic tangent: squash any value into (-1, 1), keeping its sign.

    Parameters
    ----------
    x : array_like, any shape
        Input values.

    Returns
    -------
    ndarray, same shape as ``x``
        float32 for float32 input, else float64. Values in [-1, 1].

    Raises
    ------
    TypeError
        If ``x`` is not numeric.
    ValueError
        If ``x`` is empty or ragged.

    Notes
    -----
    ``tanh(x) = (e^x - e^-x) / (e^x + e^-x) = 2 * sigmoid(2x) - 1``.

    Examples
    --------
    >>> tanh([-1000.0, 0.0, 1000.0])
    array([-1.,  0.,  1.])
    """
    return np.tanh(_as_float(x))


@dataclass(frozen=True)
class Activation:
    """An activation function with the words a lesson shows next to it.

    Attributes
    ----------
    name : str
        Short name, the same as the function's (``"relu"``).
    function : callable
        Array in, array of the same shape out.
    formula : str
        The formula in plain text, e.g. ``"max(0, x)"``.
    description : str
        One sentence a student understands.
    """

    name: str
    function: Callable[[np.ndarray], np.ndarray]
    formula: str
    description: str


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(
        "relu",
        relu,
        "max(0, x)",
        "Keeps a positive response (the filter found its pattern) and sets a negative one to 0.",
    ),
    "leaky_relu": Activation(
        "leaky_relu",
        leaky_relu,
        "x if x > 0 else 0.01·x",
        "Like ReLU, but negative responses shrink to 1% instead of vanishing completely.",
    ),
    "sigmoid": Activation(
        "sigmoid",
        sigmoid,
        "1 / (1 + e^(−x))",
        "Squashes every response into 0 to 1, like a probability; large values saturate.",
    ),
    "tanh": Activation(
        "tanh",
        tanh,
        "(e^x − e^(−x)) / (e^x + e^(−x))",
        "Squashes every response into −1 to 1 and keeps its sign; 0 stays 0.",
    ),
}
