"""Argument checks and output-size arithmetic shared by convolution and pooling.

Every message is written for a student: it names the parameter, shows what was
received and says what would work. The app shows these messages verbatim.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_array", "as_pair", "output_size"]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def as_pair(value, name: str, *, minimum: int = 1) -> tuple[int, int]:
    """Return ``value`` as a ``(rows, cols)`` pair of ints, each ``>= minimum``.

    Parameters
    ----------
    value : int or pair of int
        One number for both axes, or ``(rows, cols)``.
    name : str
        The parameter name used in error messages.
    minimum : int, optional
        Smallest allowed value (1 for stride/dilation/kernel_size, 0 for padding).

    Raises
    ------
    TypeError
        If ``value`` is not an int or a pair of ints.
    ValueError
        If a value is below ``minimum``.

    Examples
    --------
    >>> as_pair(2, "stride")
    (2, 2)
    >>> as_pair((1, 3), "stride")
    (1, 3)
    """
    kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"`{name}` must be {kind} or a (rows, cols) pair of them; got {value!r}")
    if min(pair) < minimum:
        shown = pair[0] if _is_int(value) else pair
        raise ValueError(f"`{name}` must be {kind} or a (rows, cols) pair of them; got {shown!r}")
    return pair


def as_array(x, name: str, *, ndims: tuple[int, ...], allow_nonfinite: bool = False) -> np.ndarray:
    """Return ``x`` as a float ndarray after checking its dimensions and values.

    Keeps float32/float64 as given; everything else numeric becomes float64.

    Raises
    ------
    TypeError
        If ``x`` is not numeric.
    ValueError
        If ``x`` has the wrong number of dimensions, is empty, or (unless
        ``allow_nonfinite``) contains NaN or infinity.
    """
    try:
        arr = np.asarray(x)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"`{name}` must be a rectangular array of numbers; {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"`{name}` must contain numbers; got an array of {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"`{name}` must contain real numbers; got complex values")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if arr.ndim not in ndims:
        wanted = " or ".join(str(n) for n in ndims)
        raise ValueError(
            f"`{name}` must have {wanted} dimensions; got {arr.ndim} (shape {arr.shape})"
        )
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty; got shape {arr.shape}")
    if not allow_nonfinite and not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must contain only finite numbers; found NaN or infinity")
    return arr


def output_size(
    size: int,
    kernel_size: int,
    *,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Length of a convolution or pooling output along one axis.

    Parameters
    ----------
    size : int
        Input length along the axis (rows or cols).
    kernel_size : int
        Kernel length along the axis.
    stride, dilation : int, optional
        Positive integers.
    padding : int or {"valid", "same"}, optional
        Zeros (or other padding) added on *each* side. ``"valid"`` is 0;
        ``"same"`` keeps the output length equal to ``size`` and requires
        ``stride == 1``.
    ceil_mode : bool, optional
        Pooling's ceil mode: round the division up, but drop a last window
        that would start in the right padding (PyTorch's rule). As in
        PyTorch, a window slightly longer than the padded input still gives
        one output when the rounded-up count is at least 1.

    Returns
    -------
    int
        ``floor((size + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1``.

    Raises
    ------
    ValueError
        If an argument is out of range or the (dilated) kernel does not fit
        in the padded input.

    Examples
    --------
    >>> output_size(5, 3)
    3
    >>> output_size(7, 3, stride=2, padding=1)
    4
    >>> output_size(6, 3, stride=2, ceil_mode=True)
    3
    """
    for value, name in (
        (size, "size"),
        (kernel_size, "kernel_size"),
        (stride, "stride"),
        (dilation, "dilation"),
    ):
        if not _is_int(value) or value < 1:
            raise ValueError(f"`{name}` must be a positive integer; got {value!r}")
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            if stride != 1:
                raise ValueError(
                    f'`padding="same"` needs stride 1 (as in PyTorch); got stride {stride}. '
                    "Use a number for padding instead."
                )
            return size
        else:
            raise ValueError(f'`padding` must be an integer, "valid" or "same"; got {padding!r}')
    if not _is_int(padding) or padding < 0:
        raise ValueError(f"`padding` must be an integer >= 0; got {padding!r}")
    span = dilation * (kernel_size - 1) + 1
    padded = size + 2 * padding
    if ceil_mode:
        out = -(-(padded - span) // stride) + 1  # ceil; PyTorch accepts any result >= 1
        if (out - 1) * stride >= size + padding:
            out -= 1
        if out >= 1:
            return out
    if span > padded:
        what = f"dilated kernel spans {span}" if dilation > 1 else f"kernel size is {kernel_size}"
        raise ValueError(
            f"The {what} but the padded input is only {padded} long "
            f"(size {size} + 2×padding {padding}). Use a smaller kernel or dilation, "
            "more padding, or a larger image."
        )
    return (padded - span) // stride + 1
