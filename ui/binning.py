"""Histograms that never fail on the values a student can make.

``np.histogram`` over a range too narrow for floats to cut (values near 3e16 are 4
apart, one float step there) raises "Too many bins"; NaN or ±inf give "autodetected
range of [nan, nan]". Both came from numbers a student typed or a tiny test image.
"""

from __future__ import annotations

import numpy as np

__all__ = ["histogram"]


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
    flat = np.asarray(values, dtype=np.float64).ravel()
    finite = flat[np.isfinite(flat)]
    if finite.size == 0:
        return np.zeros(bins, dtype=np.int64), np.linspace(-0.5, 0.5, bins + 1)
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    narrowest = 4 * bins * float(np.spacing(max(abs(lo), abs(hi))))
    if hi - lo < narrowest:
        middle = lo / 2 + hi / 2
        lo, hi = middle - narrowest / 2, middle + narrowest / 2
    return np.histogram(finite, bins=bins, range=(lo, hi))
