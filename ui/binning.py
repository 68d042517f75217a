"""Histograms that never fail on the values a student can make.

``np.histogram`` over a range too narrow for floats to cut (values near 3e16 are 4
apart, one float step there) raises "Too many bins"; NaN or ±inf give "autodetected
range of [nan, nan]". Both came from numbers a student typed or a tiny test image.
"""

from __future__ import annotations

import numpy as np

__all__ = ["histogram"]

#: Values up to 2**1000 are binned as they are; larger ones are scaled down first.
_HEADROOM = 1000


def histogram(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.histogram`` of the finite values (any shape) over their own range.

    A range too narrow for floats to cut into ``bins`` is widened about its
    middle to ``4 * bins`` float steps; a constant gets ±0.5 around its value, as
    numpy does; no finite value at all gives empty bins over [-0.5, 0.5].

    Returns
    -------
    counts : ndarray of int, shape (bins,)
    edges : ndarray of float, shape (bins + 1,)

    Examples
    --------
    >>> counts, edges = histogram(np.array([1.0, 1.0 + 2.2e-16, np.nan]), 4)
    >>> int(counts.sum()), bool(edges[0] < 1.0 < edges[-1])
    (2, True)
    """
    flat = np.asarray(values).ravel()  # its own dtype: edges as np.histogram makes them
    finite = flat[np.isfinite(flat)]
    if finite.size == 0:
        return np.zeros(bins, dtype=np.int64), np.linspace(-0.5, 0.5, bins + 1)
    # Near the largest float the range's width itself overflows (1e308 − (−1e308)):
    # bin a copy scaled by a power of two (exact) and scale the edges back.
    big = float(np.max(np.abs(finite)))
    scale = 2.0 ** max(0, int(np.ceil(np.log2(big))) - _HEADROOM) if big > 0 else 1.0
    if scale > 1:
        finite = finite.astype(np.float64) / scale
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    # One float step of the data's own type (numpy bins float32 data in float32 steps).
    kind = finite.dtype if np.issubdtype(finite.dtype, np.floating) else np.dtype(np.float64)
    narrowest = 4 * bins * float(np.spacing(kind.type(max(abs(lo), abs(hi)))))
    if hi - lo < narrowest:
        middle = lo / 2 + hi / 2
        lo, hi = middle - narrowest / 2, middle + narrowest / 2
    top = float(np.finfo(np.float64).max) / scale  # exact: scale is a power of two
    if hi > top:  # a widened range must not reach past the largest float once scaled back
        lo, hi = lo - (hi - top), top
    if lo < -top:
        lo, hi = -top, hi + (-top - lo)
    counts, edges = np.histogram(finite, bins=bins, range=(lo, hi))
    return counts, edges * scale
