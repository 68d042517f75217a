"""Max and average pooling with PyTorch's semantics, and a step view of one window.

Pooling slides a small window over every channel separately and keeps one
number per window: the largest value (max pooling) or the mean (average
pooling). It has no weights to learn; it shrinks a feature map while keeping
its strongest (max) or typical (average) responses.

Every function follows ``torch.nn.functional.max_pool2d`` / ``avg_pool2d``
exactly, including the corner cases a student will meet when checking these
numbers in PyTorch: ``ceil_mode``, which of several equal maxima wins, NaN,
and the divisor of a window that overlaps the padding.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from vizlib._shapes import as_array, as_pair, output_size
from vizlib.conv import format_number

__all__ = ["PoolStep", "avg_pool2d", "max_pool2d", "pool_step"]


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class _Axis:
    """Where the windows sit along one axis (rows or cols)."""

    size: int  # input length
    kernel: int
    stride: int
    padding: int
    dilation: int
    out: int  # number of windows

    @property
    def extent(self) -> int:
        """Length of the padded strip that the windows read, from the first padded cell."""
        return (self.out - 1) * self.stride + self.dilation * (self.kernel - 1) + 1

    def starts(self) -> np.ndarray:
        """Input coordinate of each window's first tap (negative inside the left padding)."""
        return np.arange(self.out, dtype=np.int64) * self.stride - self.padding  # (out,)

    def first_valid(self) -> np.ndarray:
        """First tap of each window at coordinate >= 0 (PyTorch's starting argmax)."""
        starts = self.starts()  # (out,)
        skipped = -(np.minimum(starts, 0) // self.dilation)  # ceil(-start / dilation) taps
        return starts + skipped * self.dilation  # (out,)

    def tap(self, offset: int) -> slice:
        """Slice of the padded strip holding tap ``offset`` of every window."""
        first = offset * self.dilation
        return slice(first, first + (self.out - 1) * self.stride + 1, self.stride)


def _geometry(shape, kernel_size, stride, padding, dilation, ceil_mode) -> tuple[_Axis, _Axis]:
    """Check the pooling parameters and return the (rows, cols) window geometry."""
    kernel = as_pair(kernel_size, "kernel_size")
    strides = kernel if stride is None else as_pair(stride, "stride")
    pads = as_pair(padding, "padding", minimum=0)
    dilations = as_pair(dilation, "dilation")
    if pads[0] > kernel[0] // 2 or pads[1] > kernel[1] // 2:
        most = (kernel[0] // 2, kernel[1] // 2)
        raise ValueError(
            f"`padding` must be at most half of `kernel_size` (padding <= kernel_size // 2, "
            f"as in PyTorch); got padding {padding!r} with kernel_size {kernel_size!r}. "
            f"Use padding of at most {most if most[0] != most[1] else most[0]}."
        )
    axes = []
    for size, k, s, p, d in zip(shape, kernel, strides, pads, dilations, strict=True):
        out = output_size(size, k, stride=s, padding=p, dilation=d, ceil_mode=bool(ceil_mode))
        axes.append(_Axis(size, k, s, p, d, out))
    return axes[0], axes[1]


def _as_planes(x) -> np.ndarray:
    """Return ``x`` as a float array of 2, 3 or 4 dimensions (NaN and inf allowed)."""
    return as_array(x, "x", ndims=(2, 3, 4), allow_nonfinite=True)


def _padded(planes: np.ndarray, rows: _Axis, cols: _Axis, fill: float) -> np.ndarray:
    """Return the part of the padded planes that the windows read (``fill`` outside).

    Returns ``planes`` itself (no copy) when no window reaches outside the input.
    With ``ceil_mode`` the last window may run past the right padding: that part
    is filled with ``fill`` too, and the divisor rule of average pooling ignores it.
    """
    n, height, width = planes.shape  # (P, H, W)
    if rows.padding == 0 and cols.padding == 0 and rows.extent <= height and cols.extent <= width:
        return planes
    h = min(height, rows.extent - rows.padding)  # input rows that windows read
    w = min(width, cols.extent - cols.padding)
    top, left = rows.padding, cols.padding
    out = np.empty((n, rows.extent, cols.extent), planes.dtype)  # (P, H_pad, W_pad)
    out[:, :top] = fill
    out[:, top + h :] = fill
    out[:, top : top + h, :left] = fill
    out[:, top : top + h, left + w :] = fill
    out[:, top : top + h, left : left + w] = planes[:, :h, :w]
    return out


def _fresh(out: np.ndarray) -> np.ndarray:
    """Never hand back a view of the caller's array (a 1x1 window would)."""
    return out.copy() if out.base is not None else out


# --------------------------------------------------------------------------- fast paths


def _reduce(views: list[np.ndarray], ufunc) -> np.ndarray:
    """``ufunc``-fold the views left to right: ((v0 op v1) op v2) op ..."""
    if len(views) == 1:
        return views[0]
    out = ufunc(views[0], views[1])
    for view in views[2:]:
        ufunc(out, view, out=out)
    return out


def _separable(padded: np.ndarray, rows: _Axis, cols: _Axis, ufunc) -> np.ndarray:
    """Apply ``ufunc`` across each window: first down the rows, then along the columns.

    Two short passes instead of one pass per tap; the first reads whole
    contiguous rows, which is what memory is fastest at.
    """
    across_rows = _reduce([padded[:, rows.tap(a), :] for a in range(rows.kernel)], ufunc)
    return _reduce([across_rows[:, :, cols.tap(b)] for b in range(cols.kernel)], ufunc)


def _first_max(views, has_nan, carried=None):
    """Scan ``views`` in order; keep the first strictly greater value (a NaN always wins).

    This is PyTorch's CPU rule ``if (val > maxval || isnan(val))``, started
    from the first view. Returns the running maximum, the number of the
    winning view and, when ``carried`` is given, the entries of ``carried``
    at the winning view. Where every view is -inf the winner is view 0; the
    caller fixes that up.

    Branch-free on purpose: masked copies (``np.copyto(..., where=)``,
    ``np.where``) run 4x slower on random data than ``np.maximum`` and integer
    arithmetic.
    """
    best = views[0]  # replaced by a fresh array at the first update
    tap = np.zeros(best.shape, np.int8 if len(views) < 128 else np.int32)
    kept = None if carried is None else carried[0].copy()
    for number, view in enumerate(views[1:], start=1):
        wins = np.greater(view, best)
        if has_nan:
            wins |= np.isnan(view)
        best = np.maximum(best, view, out=best if number > 1 else None)  # NaN propagates
        won = wins.view(np.int8)  # 1 where this view wins, else 0
        np.maximum(tap, np.multiply(won, number, dtype=tap.dtype), out=tap)  # numbers grow
        if carried is not None:
            kept += (carried[number] - kept) * won
    return best, tap, kept


def _max_with_indices(planes, padded, rows: _Axis, cols: _Axis):
    """Max pooling that also returns PyTorch's flat per-plane argmax indices.

    Columns first, then rows: the first maximum of the first row holding the
    window's maximum is the first maximum in row-major order.
    """
    width = planes.shape[-1]
    has_nan = bool(np.isnan(np.max(planes)))  # np.max propagates NaN: one cheap pass
    col_views = [padded[:, :, cols.tap(b)] for b in range(cols.kernel)]  # each (P, H_pad, W')
    across_cols, col_tap, _ = _first_max(col_views, has_nan)  # (P, H_pad, W')
    row_views = [across_cols[:, rows.tap(a), :] for a in range(rows.kernel)]  # (P, H', W')
    col_taps = [col_tap[:, rows.tap(a), :] for a in range(rows.kernel)]
    best, row_tap, col_tap = _first_max(row_views, has_nan, carried=col_taps)
    best = _fresh(best)  # a 1x1 window hands back a view of the input
    # index = (row_start + a * dilation) * W + (col_start + b * dilation); the tap
    # offset a * dilation * W + b * dilation comes from a small table.
    a, b = np.divmod(np.arange(rows.kernel * cols.kernel), cols.kernel)
    offsets = a * rows.dilation * width + b * cols.dilation  # (kH * kW,)
    code = np.multiply(row_tap, cols.kernel, dtype=np.int32)  # (P, H', W')
    code += col_tap
    indices = offsets.take(code)  # (P, H', W') int64
    indices += rows.starts()[:, None] * width + cols.starts()[None, :]  # + (H', W')
    nothing_won = best == -np.inf  # all taps padding or -inf: PyTorch keeps its first tap
    if nothing_won.any():
        first = rows.first_valid()[:, None] * width + cols.first_valid()[None, :]  # (H', W')
        np.copyto(indices, np.broadcast_to(first, indices.shape), where=nothing_won)
    return best, indices


def max_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """Max pooling: the largest value in each window, channel by channel.

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
        Feature maps. Each (H, W) plane is pooled on its own. NaN and inf
        are allowed and behave as in PyTorch.
    kernel_size : int or (int, int)
        Window size ``(kH, kW)``.
    stride : int or (int, int), optional
        Step between windows; defaults to ``kernel_size`` (windows that
        touch but do not overlap).
    padding : int or (int, int), optional
        Cells of ``-inf`` added on each side, at most ``kernel_size // 2``.
        Padding can never win a window.
    dilation : int or (int, int), optional
        Spacing between the taps of a window.
    ceil_mode : bool, optional
        Round the number of windows up instead of down, keeping a last
        partial window that starts inside the input or the left padding.
    return_indices : bool, optional
        Also return where each maximum came from.

    Returns
    -------
    out : ndarray, shape (H', W'), (C, H', W') or (N, C, H', W')
        Same rank and float dtype as ``x``;
        ``H' = floor((H + 2p - d(kH - 1) - 1) / s) + 1`` (see ``output_size``).
    indices : ndarray of int64, same shape as ``out``
        Only with ``return_indices``: the flat index ``row * W + col`` of each
        maximum within its own (H, W) plane of the unpadded input, as in PyTorch.

    Raises
    ------
    ValueError
        If ``x`` is not 2-, 3- or 4-dimensional or is empty, a parameter is out
        of range, padding exceeds half the kernel, or the window is larger
        than the padded map.
    TypeError
        If ``x`` is not numeric or a parameter is not an integer (pair).

    Notes
    -----
    ``out[i, j] = max over (a, b) of x[i*s - p + a*d, j*s - p + b*d]``.

    Ties go to the **first** maximum in row-major order within the window
    (left to right, then top to bottom), as PyTorch's CPU kernel does: it
    replaces the running maximum only on a strictly greater value. A NaN
    always wins (the last NaN in the window when there are several), so a
    window containing NaN gives NaN. A window made only of padding (possible
    with dilation) gives ``-inf`` and PyTorch's placeholder index, the first
    tap at row and col >= 0, which can lie outside the plane.

    Examples
    --------
    >>> x = [[1, 5, 2, 0],
    ...      [3, 4, 6, 1],
    ...      [0, 2, 1, 1],
    ...      [7, 1, 3, 8]]
    >>> max_pool2d(x, 2)
    array([[5., 6.],
           [7., 8.]])
    >>> out, indices = max_pool2d(x, 2, return_indices=True)
    >>> indices
    array([[ 1,  6],
           [12, 15]])
    """
    arr = _as_planes(x)
    rows, cols = _geometry(arr.shape[-2:], kernel_size, stride, padding, dilation, ceil_mode)
    planes = arr.reshape((-1, *arr.shape[-2:]))  # (P, H, W) with P = N * C
    padded = _padded(planes, rows, cols, -np.inf)  # (P, H_pad, W_pad)
    out_shape = (*arr.shape[:-2], rows.out, cols.out)
    if not return_indices:
        return _fresh(_separable(padded, rows, cols, np.maximum)).reshape(out_shape)
    out, indices = _max_with_indices(planes, padded, rows, cols)
    return out.reshape(out_shape), indices.reshape(out_shape)


# --------------------------------------------------------------------------- average


def _check_divisor_override(divisor_override) -> int | None:
    if divisor_override is None:
        return None
    if not isinstance(divisor_override, numbers.Integral) or isinstance(divisor_override, bool):
        raise TypeError(
            f"`divisor_override` must be None or a non-zero integer; got {divisor_override!r}"
        )
    if divisor_override == 0:
        raise ValueError("`divisor_override` must be None or a non-zero integer; got 0")
    return int(divisor_override)


def _window_counts(axis: _Axis, count_include_pad: bool) -> np.ndarray:
    """Cells of each window along one axis that the divisor counts (PyTorch's rule).

    PyTorch clips a window to the padded input, ``end = min(start + k, size + p)``,
    and with ``count_include_pad=False`` further to the input itself.
    """
    starts = axis.starts()  # (out,)
    ends = np.minimum(starts + axis.kernel, axis.size + axis.padding)  # (out,)
    if count_include_pad:
        return ends - starts
    return np.minimum(ends, axis.size) - np.maximum(starts, 0)


def _divisors(rows, cols, count_include_pad, divisor_override, dtype):
    """Divisor of every output cell, shape (H', W'), or one number."""
    if divisor_override is not None:
        return dtype.type(divisor_override)
    area = np.outer(
        _window_counts(rows, count_include_pad), _window_counts(cols, count_include_pad)
    )
    if np.all(area == area.flat[0]):
        return dtype.type(area.flat[0])
    return area.astype(dtype)  # (H', W')


def avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Average pooling: the mean of each window, channel by channel.

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
        Feature maps. Each (H, W) plane is pooled on its own.
    kernel_size : int or (int, int)
        Window size ``(kH, kW)``.
    stride : int or (int, int), optional
        Step between windows; defaults to ``kernel_size``.
    padding : int or (int, int), optional
        Zeros added on each side, at most ``kernel_size // 2``.
    ceil_mode : bool, optional
        Round the number of windows up instead of down, keeping a last
        partial window that starts inside the input or the left padding.
    count_include_pad : bool, optional
        Whether the zeros of the padding count in the divisor.
    divisor_override : int, optional
        Divide every window sum by this number instead.

    Returns
    -------
    ndarray, shape (H', W'), (C, H', W') or (N, C, H', W')
        Same rank and float dtype as ``x``.

    Raises
    ------
    ValueError
        If ``x`` is not 2-, 3- or 4-dimensional or is empty, a parameter is out
        of range, padding exceeds half the kernel, the window is larger than
        the padded map, or ``divisor_override`` is 0.
    TypeError
        If ``x`` is not numeric or a parameter is not an integer (pair).

    Notes
    -----
    ``out[i, j] = (sum of the window's cells) / divisor``. PyTorch's divisor,
    per axis, for a window starting at ``start = i*s - p``::

        end = min(start + k, H + p)            # clipped to the padded input
        count_include_pad=True:  end - start
        count_include_pad=False: min(end, H) - max(start, 0)

    and the divisor is the product of the row and column counts. So with
    ``count_include_pad=True`` a window overlapping the padding still divides
    by ``kH * kW``, but a ``ceil_mode`` window that runs past the padded input
    divides by fewer cells.

    Examples
    --------
    >>> x = [[1, 5, 2, 0],
    ...      [3, 4, 6, 1],
    ...      [0, 2, 1, 1],
    ...      [7, 1, 3, 8]]
    >>> avg_pool2d(x, 2)
    array([[3.25, 2.25],
           [2.5 , 3.25]])
    """
    arr = _as_planes(x)
    rows, cols = _geometry(arr.shape[-2:], kernel_size, stride, padding, 1, ceil_mode)
    override = _check_divisor_override(divisor_override)
    planes = arr.reshape((-1, *arr.shape[-2:]))  # (P, H, W)
    padded = _padded(planes, rows, cols, 0.0)  # (P, H_pad, W_pad)
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf gives NaN, as in PyTorch
        total = _fresh(_separable(padded, rows, cols, np.add))  # (P, H', W')
        total /= _divisors(rows, cols, bool(count_include_pad), override, arr.dtype)
    return total.reshape((*arr.shape[:-2], rows.out, cols.out))


# --------------------------------------------------------------------------- one window


@dataclass(frozen=True, eq=False)
class PoolStep:
    """One pooling window, laid out for display.

    Attributes
    ----------
    row, col : int
        The output position.
    mode : {"max", "avg"}
        The pooling kind.
    tap_rows, tap_cols : ndarray of int, shape (kH, kW)
        Input coordinates of every tap (negative or >= H/W in the padding).
    is_padding : ndarray of bool, shape (kH, kW)
        True where a tap falls outside the input.
    window : ndarray, shape (kH, kW)
        The values the window sees: padding shows as -inf (max) or 0 (avg).
    winner : (int, int) or None
        Max only: input (row, col) of the value that won (first maximum in
        row-major order; a NaN always wins). None for avg, or for a window
        made only of padding.
    winner_index : int or None
        Max only: ``row * W + col`` of the winner, the number that
        ``max_pool2d(..., return_indices=True)`` returns.
    total : float or None
        Avg only: the window sum.
    divisor : int or None
        Avg only: what the sum is divided by.
    value : float
        The output value; the same number the fast path computes.
    """

    row: int
    col: int
    mode: str
    tap_rows: np.ndarray
    tap_cols: np.ndarray
    is_padding: np.ndarray
    window: np.ndarray
    winner: tuple[int, int] | None
    winner_index: int | None
    total: float | None
    divisor: int | None
    value: float

    def expression(self, precision: int = 3) -> str:
        """Write the step as a line of arithmetic, e.g. ``max(7, 2, 3, 4) = 7``."""
        values = [format_number(v, precision) for v in self.window.ravel()]
        result = format_number(self.value, precision)
        if self.mode == "max":
            return f"max({', '.join(values)}) = {result}"
        terms = values[0]
        for text in values[1:]:
            terms += f" - {text[1:]}" if text.startswith("-") else f" + {text}"
        return f"({terms}) / {self.divisor} = {result}"


def _check_plane_number(value, name: str, count: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not 0 <= value < count:
        raise ValueError(f"`{name}` must be an integer from 0 to {count - 1}; got {value!r}")
    return int(value)


def _plane(arr: np.ndarray, channel, batch_index) -> np.ndarray:
    """Return the (H, W) plane of a 2-, 3- or 4-D array that ``pool_step`` looks at."""
    if arr.ndim == 2:
        return arr
    if arr.ndim == 3:
        return arr[_check_plane_number(channel, "channel", arr.shape[0])]  # (H, W)
    n = _check_plane_number(batch_index, "batch_index", arr.shape[0])
    return arr[n, _check_plane_number(channel, "channel", arr.shape[1])]  # (H, W)


def _check_position(value, name: str, count: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"`{name}` must be an integer output position; got {value!r}")
    if not 0 <= value < count:
        raise ValueError(
            f"`{name}` must be between 0 and {count - 1} (the output has {count} {name}s); "
            f"got {value}"
        )
    return int(value)


def _max_winner(window, is_padding):
    """PyTorch's scan: row-major, replace on strictly greater or NaN. Returns (a, b) or None."""
    best, winner = -np.inf, None
    for (a, b), value in np.ndenumerate(window):
        if not is_padding[a, b] and (value > best or np.isnan(value)):
            best, winner = value, (a, b)
    return winner


def _max_step(plane, taps_r, taps_c, is_padding, rows, cols, row, col):
    window = np.full(taps_r.shape, -np.inf, plane.dtype)  # (kH, kW)
    window[~is_padding] = plane[taps_r[~is_padding], taps_c[~is_padding]]
    found = _max_winner(window, is_padding)
    if found is None:  # every value is -inf: PyTorch keeps the window's first valid tap
        r, c = int(rows.first_valid()[row]), int(cols.first_valid()[col])
        value, winner = -np.inf, None if is_padding.all() else (r, c)
    else:
        r, c = int(taps_r[found]), int(taps_c[found])
        value, winner = window[found], (r, c)
    fields = dict(winner=winner, winner_index=r * plane.shape[1] + c, total=None, divisor=None)
    return window, float(value), fields


def _sum_in_order(values):
    """Add left to right in the values' own dtype: ((v0 + v1) + v2) + ..."""
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


def _avg_step(plane, taps_r, taps_c, is_padding, rows, cols, row, col, flags):
    count_include_pad, override = flags
    window = np.zeros(taps_r.shape, plane.dtype)  # (kH, kW)
    window[~is_padding] = plane[taps_r[~is_padding], taps_c[~is_padding]]
    with np.errstate(over="ignore", invalid="ignore"):
        # Same order as the fast path: down each column first, then the column sums.
        total = _sum_in_order([_sum_in_order(list(column)) for column in window.T])
        if override is not None:
            divisor = override
        else:
            divisor = int(
                _window_counts(rows, count_include_pad)[row]
                * _window_counts(cols, count_include_pad)[col]
            )
        value = total / plane.dtype.type(divisor)
    fields = dict(winner=None, winner_index=None, total=float(total), divisor=divisor)
    return window, float(value), fields


def pool_step(
    x,
    row,
    col,
    *,
    mode="max",
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
    channel=0,
    batch_index=0,
):
    """Look inside one pooling window: its taps, its values and how they combine.

    Costs O(kH * kW), whatever the size of ``x``.

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
        Feature maps; ``channel`` and ``batch_index`` pick the plane.
    row, col : int
        Output position of the window.
    mode : {"max", "avg"}
        Max pooling (``max_pool2d``) or average pooling (``avg_pool2d``).
    kernel_size, stride, padding, dilation, ceil_mode
        As in ``max_pool2d``; ``dilation`` must be 1 for ``"avg"``.
    count_include_pad, divisor_override
        As in ``avg_pool2d`` (ignored for ``"max"``).
    channel, batch_index : int, optional
        Which plane of a 3-D or 4-D input.

    Returns
    -------
    PoolStep
        ``value`` equals ``max_pool2d``/``avg_pool2d`` at ``(row, col)``.

    Raises
    ------
    ValueError
        For the same reasons as the pooling functions, an unknown ``mode``,
        or a position or plane outside the output.
    TypeError
        If ``x`` is not numeric or a position is not an integer.

    Examples
    --------
    >>> x = [[7, 2, 3, 0],
    ...      [4, 5, 3, 1],
    ...      [3, 3, 2, 6],
    ...      [1, 0, 2, 2]]
    >>> step = pool_step(x, 0, 0, kernel_size=3, stride=1)
    >>> step.winner, step.winner_index
    ((0, 0), 0)
    >>> step.expression()
    'max(7, 2, 3, 4, 5, 3, 3, 3, 2) = 7'
    >>> pool_step(x, 0, 0, mode="avg", kernel_size=3, stride=1).expression()
    '(7 + 2 + 3 + 4 + 5 + 3 + 3 + 3 + 2) / 9 = 3.556'
    """
    if mode not in ("max", "avg"):
        raise ValueError(f'`mode` must be "max" or "avg"; got {mode!r}')
    if mode == "avg" and dilation not in (1, (1, 1), [1, 1]):
        raise ValueError(
            f"`dilation` must be 1 for average pooling (avg_pool2d has none); got {dilation!r}"
        )
    arr = _as_planes(x)
    rows, cols = _geometry(arr.shape[-2:], kernel_size, stride, padding, dilation, ceil_mode)
    plane = _plane(arr, channel, batch_index)  # (H, W)
    row = _check_position(row, "row", rows.out)
    col = _check_position(col, "col", cols.out)
    taps_r = rows.starts()[row] + rows.dilation * np.arange(rows.kernel)  # (kH,)
    taps_c = cols.starts()[col] + cols.dilation * np.arange(cols.kernel)  # (kW,)
    taps_r, taps_c = np.meshgrid(taps_r, taps_c, indexing="ij")  # (kH, kW) each
    height, width = plane.shape
    is_padding = (taps_r < 0) | (taps_r >= height) | (taps_c < 0) | (taps_c >= width)
    if mode == "max":
        window, value, fields = _max_step(plane, taps_r, taps_c, is_padding, rows, cols, row, col)
    else:
        flags = (bool(count_include_pad), _check_divisor_override(divisor_override))
        window, value, fields = _avg_step(
            plane, taps_r, taps_c, is_padding, rows, cols, row, col, flags
        )
    for array in (taps_r, taps_c, is_padding, window):
        array.setflags(write=False)
    return PoolStep(
        row=row,
        col=col,
        mode=mode,
        tap_rows=taps_r,
        tap_cols=taps_c,
        is_padding=is_padding,
        window=window,
        value=value,
        **fields,
    )
