"""Convolution layers, computed fast for whole images and explained one output at a time.

What deep learning calls a "convolution" is a **cross-correlation**: the kernel
slides over the (padded) image *without being flipped*, and every output value is
the sum of the element-wise products of one window with the kernel, plus a bias::

    out[n, f, r, c] = bias[f] + sum over channels k (of f's group), kernel rows i, kernel cols j
                      of x_padded[n, k, r*stride + i*dilation, c*stride + j*dilation]
                         * weight[f, k, i, j]

This is exactly ``torch.nn.functional.conv2d`` (plus ``torch.nn.Conv2d``'s
``padding_mode``), so every number here can be checked against PyTorch. A textbook
convolution (``scipy.signal.convolve2d``) flips the kernel first and gives a
different answer for kernels that are not symmetric.

Two entry points:

- :func:`conv2d` computes whole feature maps, fast enough to rerun on every click.
- :func:`conv_step` explains one output value: which pixels the kernel reads, the
  products, the per-channel sums and the total, as a frozen :class:`ConvStep`.
  Its ``.total`` is the value :func:`conv2d` puts at that position.

How :func:`conv2d` is fast (NumPy/SciPy only, never a full k²-times copy of an image):

- One input channel and one filter, stride 1 (grayscale images, depthwise layers):
  in the flattened image every kernel offset is one contiguous range, so the map
  is ``k*k`` in-place BLAS ``axpy`` calls (``out += w[i, j] * x[shifted range]``).
  No padded copy is made: the few border columns (and, for non-zero padding modes,
  rows) whose windows reach into the padding are computed separately.
- Everything else: the output is made in strips of rows. For each strip the
  windows are copied side by side into a column buffer of about 4 MB ("im2col")
  and one matrix product with the filters gives every output of the strip.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.linalg import blas

from vizlib._shapes import as_array, as_pair, output_size

__all__ = ["PADDING_MODES", "ConvStep", "conv2d", "conv_step", "format_number", "output_size"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NUMPY_NAMES = {"constant": "zeros", "edge": "replicate", "wrap": "circular", "mirror": "reflect"}
_STRIP_BYTES = 4 * 2**20  # size of one im2col column buffer
_FLAT_MAX_FILTERS = 2  # one-channel groups with at most this many filters use BLAS axpy


# ---------------------------------------------------------------------------
# Arguments: check everything once, in the order a student would fix it
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Geometry:
    """Sizes of one convolution, all as ints; padding is (top, bottom, left, right)."""

    in_size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[int, int, int, int]
    mode: str
    out_size: tuple[int, int]

    def span(self, axis: int) -> int:
        """Rows (axis 0) or columns (axis 1) of input one dilated kernel covers."""
        return self.dilation[axis] * (self.kernel[axis] - 1) + 1


@dataclass(frozen=True)
class _Prepared:
    x: np.ndarray  # (N, C, H, W), float32 or float64 as given
    weight: np.ndarray  # (F, C // groups, kH, kW), result dtype
    bias: np.ndarray | None  # (F,), result dtype
    groups: int
    geometry: _Geometry
    dtype: type
    squeeze: bool  # 2-D image with a 2-D kernel: return a 2-D map
    batched: bool  # x was (N, C, H, W)


def _prepare(
    x, weight, bias, *, stride, padding, dilation, groups, padding_mode, check_x_values=True
) -> _Prepared:
    x = as_array(x, "x", ndims=(2, 3, 4), allow_nonfinite=not check_x_values)
    weight = as_array(weight, "weight", ndims=(2, 4))
    squeeze = x.ndim == 2 and weight.ndim == 2
    x4 = x.reshape((1,) * (4 - x.ndim) + x.shape)  # (N, C, H, W)
    w4 = weight.reshape((1, 1, *weight.shape)) if weight.ndim == 2 else weight  # (F, Cg, kH, kW)
    dtype = np.float32 if x.dtype == weight.dtype == np.float32 else np.float64

    groups = _check_groups(groups, x4.shape[1], w4.shape)
    bias = _check_bias(bias, w4.shape[0], dtype)
    mode = _check_padding_mode(padding_mode)
    stride = as_pair(stride, "stride")
    dilation = as_pair(dilation, "dilation")
    kernel = (w4.shape[2], w4.shape[3])
    in_size = (x4.shape[2], x4.shape[3])
    pad = _resolve_padding(padding, kernel, stride, dilation)
    _check_pad_fits_mode(pad, in_size, mode)
    out_size = _output_shape(in_size, kernel, stride, dilation, padding, pad)
    geometry = _Geometry(in_size, kernel, stride, dilation, pad, mode, out_size)
    weight = w4.astype(dtype, copy=False)
    return _Prepared(x4, weight, bias, groups, geometry, dtype, squeeze, batched=x.ndim == 4)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_groups(groups, channels: int, weight_shape: tuple[int, ...]) -> int:
    if not _is_int(groups):
        raise TypeError(f"`groups` must be a positive integer; got {groups!r}")
    if groups < 1:
        raise ValueError(f"`groups` must be a positive integer; got {groups}")
    filters, depth = weight_shape[0], weight_shape[1]
    if channels % groups:
        raise ValueError(
            f"`groups` must divide the number of input channels; x has {channels} channels "
            f"and groups={groups}. Try groups=1 or groups={channels}."
        )
    if filters % groups:
        raise ValueError(
            f"`groups` must divide the number of filters; weight has {filters} filters "
            f"(shape {weight_shape}) and groups={groups}."
        )
    if depth * groups != channels:
        raise ValueError(
            f"x has {channels} input channels but `weight` has depth {depth} × groups {groups} "
            f"= {depth * groups}. Give weight the shape ({filters}, {channels // groups}, "
            f"{weight_shape[2]}, {weight_shape[3]}), i.e. (filters, channels // groups, kH, kW)."
        )
    return int(groups)


def _check_bias(bias, filters: int, dtype) -> np.ndarray | None:
    if bias is None:
        return None
    bias = as_array(bias, "bias", ndims=(0, 1)).reshape(-1)
    if bias.size != filters:
        raise ValueError(
            f"`bias` needs one value per filter: shape ({filters},); got {bias.size} values"
        )
    return bias.astype(dtype, copy=False)


def _check_padding_mode(padding_mode) -> str:
    if padding_mode in PADDING_MODES:
        return padding_mode
    hint = ""
    if isinstance(padding_mode, str) and padding_mode in _NUMPY_NAMES:
        hint = f" (NumPy's '{padding_mode}' is called '{_NUMPY_NAMES[padding_mode]}' here)"
    raise ValueError(
        f"`padding_mode` must be one of 'zeros', 'reflect', 'replicate', 'circular'; "
        f"got {padding_mode!r}{hint}"
    )


def _resolve_padding(padding, kernel, stride, dilation) -> tuple[int, int, int, int]:
    """Turn an int, a pair, "valid" or "same" into (top, bottom, left, right)."""
    wanted = '`padding` must be an integer >= 0, a (rows, cols) pair of them, "valid" or "same"'
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{wanted}; got {padding!r}")
        for axis in (0, 1):  # output_size explains why "same" needs stride 1
            output_size(kernel[axis], kernel[axis], stride=stride[axis], padding="same")
        # PyTorch: total d*(k-1) per axis; the odd one out goes to the bottom/right.
        total = [dilation[a] * (kernel[a] - 1) for a in (0, 1)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    try:
        rows, cols = as_pair(padding, "padding", minimum=0)
    except TypeError:
        raise TypeError(f"{wanted}; got {padding!r}") from None
    return (rows, rows, cols, cols)


def _check_pad_fits_mode(pad, in_size, mode: str) -> None:
    if mode not in ("reflect", "circular"):
        return
    for axis, name in ((0, "rows"), (1, "columns")):
        widest, size = max(pad[2 * axis : 2 * axis + 2]), in_size[axis]
        limit = size - 1 if mode == "reflect" else size
        if widest > limit:
            rule = "smaller than" if mode == "reflect" else "at most"
            raise ValueError(
                f"`padding` {widest} is too wide for padding_mode='{mode}' on an input with "
                f"{size} {name}: {mode} padding must be {rule} the input size "
                f"(at most {limit} here). Use less padding or padding_mode='replicate'."
            )


def _output_shape(in_size, kernel, stride, dilation, padding, pad) -> tuple[int, int]:
    if isinstance(padding, str) and padding == "same":
        return in_size
    shape = []
    for axis, name in ((0, "rows"), (1, "columns")):
        try:
            shape.append(
                output_size(
                    in_size[axis],
                    kernel[axis],
                    stride=stride[axis],
                    padding=pad[2 * axis],
                    dilation=dilation[axis],
                )
            )
        except ValueError as exc:
            text = str(exc)
            raise ValueError(f"Along the {name} of `x`: {text[0].lower()}{text[1:]}") from None
    return (shape[0], shape[1])


# ---------------------------------------------------------------------------
# Padding without padding the whole image
# ---------------------------------------------------------------------------


def _source_index(idx: np.ndarray, size: int, mode: str) -> np.ndarray:
    """Which real pixel each (possibly out-of-range) index reads; -1 for zero padding.

    ``reflect`` mirrors without repeating the edge (…, 2, 1 | 0, 1, 2, … | …),
    ``replicate`` repeats the edge, ``circular`` wraps around.
    """
    idx = np.asarray(idx)
    if mode == "zeros":
        return np.where((idx >= 0) & (idx < size), idx, -1)
    if mode == "replicate":
        return np.clip(idx, 0, size - 1)
    if mode == "circular":
        return np.mod(idx, size)
    if size == 1:
        return np.zeros_like(idx)
    period = 2 * (size - 1)
    folded = np.mod(idx, period)
    return np.where(folded >= size, period - folded, folded)


def _gather(x: np.ndarray, rows: np.ndarray, cols: np.ndarray, mode: str, dtype) -> np.ndarray:
    """``x_padded[:, rows][:, :, cols]`` for unpadded ``rows``/``cols`` indices (any range).

    Costs O(C · len(rows) · len(cols)): only the block asked for is read.
    """
    src_rows = _source_index(rows, x.shape[-2], mode)  # (R,)
    src_cols = _source_index(cols, x.shape[-1], mode)  # (Q,)
    block = x[:, np.maximum(src_rows, 0)[:, None], np.maximum(src_cols, 0)[None, :]]  # (C, R, Q)
    block = block.astype(dtype, copy=False)
    if mode == "zeros":
        block[:, src_rows < 0, :] = 0
        block[:, :, src_cols < 0] = 0
    return block


def _padded_rows(x: np.ndarray, start: int, stop: int, geo: _Geometry, scratch) -> np.ndarray:
    """Rows ``start:stop`` (unpadded coordinates) of the padded image, full padded width.

    A view of ``x`` when no padding is involved, otherwise written into
    ``scratch`` (C, >= stop - start, padded width), whose dtype it takes.
    """
    height, width = x.shape[1:]
    left, right = geo.pad[2], geo.pad[3]
    if left == right == 0 and 0 <= start and stop <= height:
        return x[:, start:stop].astype(scratch.dtype, copy=False)  # (C, R, W)
    block = scratch[:, : stop - start]  # (C, R, Wp)
    lo = min(max(start, 0), stop)
    hi = max(min(stop, height), lo)
    block[:, lo - start : hi - start, left : left + width] = x[:, lo:hi]
    pad_rows = np.r_[start:lo, hi:stop]
    if pad_rows.size:
        src = _source_index(pad_rows, height, geo.mode)
        block[:, pad_rows - start, left : left + width] = 0 if geo.mode == "zeros" else x[:, src]
    if left or right:
        pad_cols = np.r_[0:left, left + width : left + width + right]
        if geo.mode == "zeros":
            block[:, :, pad_cols] = 0
        else:
            src = _source_index(pad_cols - left, width, geo.mode) + left
            block[:, :, pad_cols] = block[:, :, src]
    return block


# ---------------------------------------------------------------------------
# The two fast paths
# ---------------------------------------------------------------------------


def _im2col(block: np.ndarray, geo: _Geometry, rows: int, cols: int, dst: np.ndarray) -> None:
    """Copy every window of a padded block into ``dst`` of shape (C, kH, kW, rows, cols)."""
    (sh, sw), (dh, dw) = geo.stride, geo.dilation
    windows = sliding_window_view(block, (geo.span(0), geo.span(1)), axis=(1, 2))
    windows = windows[:, ::sh, ::sw, ::dh, ::dw][:, :rows, :cols]  # (C, rows, cols, kH, kW)
    dst[...] = windows.transpose(0, 3, 4, 1, 2)  # (C, kH, kW, rows, cols)


def _conv_strips(x, weight, bias, geo: _Geometry, out: np.ndarray, dtype) -> None:
    """Chunked im2col: fill ``out`` (F, H', W') in strips, one matrix product per strip."""
    channels = x.shape[0]
    filters, _, kh, kw = weight.shape
    out_h, out_w = geo.out_size
    k = channels * kh * kw
    wmat = weight.reshape(filters, k)  # (F, K)
    if bias is not None:  # a row of ones in the columns adds the bias inside the product
        wmat = np.concatenate([wmat, bias[:, None]], axis=1)  # (F, K + 1)
    rows_per_strip = max(1, min(out_h, _STRIP_BYTES // (wmat.shape[1] * out_w * wmat.itemsize)))
    buffer = np.empty((wmat.shape[1], rows_per_strip * out_w), dtype)  # (K [+ 1], rows * W')
    buffer[k:] = 1
    sh, top = geo.stride[0], geo.pad[0]
    in_rows = (rows_per_strip - 1) * sh + geo.span(0)
    scratch = np.empty((channels, in_rows, sum(geo.pad[2:]) + geo.in_size[1]), dtype)
    for r0 in range(0, out_h, rows_per_strip):
        rows = min(rows_per_strip, out_h - r0)
        start = r0 * sh - top
        block = _padded_rows(x, start, start + (rows - 1) * sh + geo.span(0), geo, scratch)
        columns = buffer[:, : rows * out_w]  # (K [+ 1], rows * W')
        _im2col(block, geo, rows, out_w, columns[:k].reshape(channels, kh, kw, rows, out_w))
        target = np.reshape(out[:, r0 : r0 + rows], (filters, rows * out_w), copy=False)
        np.matmul(wmat, columns, out=target)


def _conv_region(x, weight, bias, geo: _Geometry, rows: range, cols: range, dtype) -> np.ndarray:
    """Compute outputs ``rows`` × ``cols`` of one group, reading only the input they need.

    Used for the borders of the axpy path, so the product goes through SciPy's
    BLAS like the axpy calls: NumPy bundles a second OpenBLAS whose idle
    threads would compete with SciPy's for the cores.
    """
    (sh, sw), (top, _, left, _) = geo.stride, geo.pad
    in_rows = np.arange(rows.start * sh - top, (rows.stop - 1) * sh - top + geo.span(0))
    in_cols = np.arange(cols.start * sw - left, (cols.stop - 1) * sw - left + geo.span(1))
    block = _gather(x, in_rows, in_cols, geo.mode, dtype)  # (C, R_in, Q_in)
    if len(rows) > len(cols):  # tall and narrow: copy along the long axis instead
        flipped = _Geometry(
            geo.in_size[::-1],
            geo.kernel[::-1],
            geo.stride[::-1],
            geo.dilation[::-1],
            (geo.pad[2], geo.pad[3], geo.pad[0], geo.pad[1]),
            geo.mode,
            geo.out_size[::-1],
        )
        values = _correlate_block(
            block.transpose(0, 2, 1), weight.transpose(0, 1, 3, 2), flipped, len(cols), len(rows)
        )
        values = values.transpose(0, 2, 1)  # (F, R, Q)
    else:
        values = _correlate_block(block, weight, geo, len(rows), len(cols))  # (F, R, Q)
    if bias is not None:
        values = values + bias[:, None, None]
    return values


def _correlate_block(block, weight, geo: _Geometry, rows: int, cols: int) -> np.ndarray:
    """All ``rows`` × ``cols`` windows of a padded block times the filters: (F, rows, cols)."""
    filters, channels, kh, kw = weight.shape
    columns = np.empty((channels, kh, kw, rows, cols), block.dtype)
    _im2col(block, geo, rows, cols, columns)
    gemm = blas.sgemm if block.dtype == np.float32 else blas.dgemm
    k = channels * kh * kw
    wmat = np.ascontiguousarray(weight.reshape(filters, k), dtype=block.dtype)  # (F, K)
    # Fortran-ordered views, so f2py copies nothing: (R*Q, K) @ (K, F) = (W @ columns)^T
    values_t = gemm(1.0, columns.reshape(k, rows * cols).T, wmat.T)  # (R*Q, F)
    return values_t.T.reshape(filters, rows, cols)


def _conv_flat(x2d, w2d, bias: float, geo: _Geometry, storage: np.ndarray, dtype) -> None:
    """One channel, one filter, stride 1: ``k*k`` in-place BLAS axpy on the flat image.

    The sums are accumulated with the image's row pitch W, so tap (i, j) reads
    one contiguous range of the flattened image (``acc += w[i, j] * x[range]``).
    Rows of taps that fall in the padding are skipped (zero padding); columns
    wrap into the neighbouring row, so the border columns, and for the other
    padding modes the border rows, are recomputed by :func:`_fix_borders`.

    ``storage`` is 1-D and at least ``max(H' * W, H' * W')`` long; the map ends
    up in ``storage[:H' * W']``. Working in place avoids a second image-sized
    buffer: fresh memory is slow to touch.
    """
    height, width = geo.in_size
    out_h, out_w = geo.out_size
    (kh, kw), (dh, dw), (top, _, left, _) = geo.kernel, geo.dilation, geo.pad
    inner_w = width - (kw - 1) * dw  # output columns whose windows are all real
    direct = out_w == width  # e.g. padding="same": the accumulator is the output
    flat_acc = storage[: out_h * width]  # (H' * W,)
    flat_acc.fill(bias)
    if inner_w > 0:
        flat_x = np.ascontiguousarray(x2d, dtype=dtype).reshape(-1)  # (H * W,)
        axpy = blas.saxpy if dtype == np.float32 else blas.daxpy
        shift = left if direct else 0
        for i in range(kh):
            first, last = max(0, top - i * dh), min(out_h, height + top - i * dh)
            for j in range(kw):
                if w2d[i, j] == 0:
                    continue
                offset = (i * dh - top) * width + j * dw - shift
                lo, hi = max(first * width, -offset), min(last * width, height * width - offset)
                if hi > lo:
                    axpy(flat_x, flat_acc, hi - lo, w2d[i, j], lo + offset, 1, lo, 1)
        if not direct:  # from pitch W to pitch W', interior columns shifted by `left`
            _move_rows(storage, out_h, width, out_w, left, inner_w)
    out2d = storage[: out_h * out_w].reshape(out_h, out_w)
    _fix_borders(x2d[None], w2d[None, None], bias, geo, out2d[None], dtype)


def _move_rows(flat, rows: int, src_pitch: int, dst_pitch: int, dst_col: int, width: int):
    """In ``flat``, move ``rows`` rows of ``width`` values to a new pitch, in place.

    Row r goes from ``flat[r*src_pitch:][:width]`` to ``flat[r*dst_pitch + dst_col:][:width]``.
    Chunks are processed in the order that never overwrites a row not yet moved;
    NumPy buffers the overlap inside a chunk.
    """
    chunk = max(1, 2**16 // width)
    starts = range(0, rows, chunk)
    for r0 in reversed(starts) if dst_pitch > src_pitch else starts:
        r1 = min(rows, r0 + chunk)
        src = flat[r0 * src_pitch : r1 * src_pitch].reshape(r1 - r0, src_pitch)[:, :width]
        dst = flat[r0 * dst_pitch : r1 * dst_pitch].reshape(r1 - r0, dst_pitch)
        dst[:, dst_col : dst_col + width] = src


def _fix_borders(x, weight, bias, geo: _Geometry, out, dtype) -> None:
    """Recompute the outputs whose windows reach into the padding (see _conv_flat)."""
    height, width = geo.in_size
    out_h, out_w = geo.out_size
    top, left = geo.pad[0], geo.pad[2]
    bias_vec = np.full(weight.shape[0], bias, dtype)
    c0 = min(left, out_w)
    c1 = max(c0, min(left + width - geo.span(1) + 1, out_w))
    r0 = min(top, out_h)
    r1 = max(r0, min(top + height - geo.span(0) + 1, out_h))
    regions = [(range(out_h), range(0, c0)), (range(out_h), range(c1, out_w))]
    if geo.mode != "zeros":  # zero padding was handled by skipping rows
        regions += [(range(0, r0), range(c0, c1)), (range(r1, out_h), range(c0, c1))]
    for rows, cols in regions:
        if len(rows) and len(cols):
            region = _conv_region(x, weight, bias_vec, geo, rows, cols, dtype)
            out[:, rows.start : rows.stop, cols.start : cols.stop] = region


def _conv_group(x, weight, bias, geo: _Geometry, buffer: np.ndarray, first: int, dtype) -> None:
    """One image, one group: x (Cg, H, W), weight (Fg, Cg, kH, kW).

    The group's maps are planes ``first, first + 1, …`` of the 1-D output
    ``buffer`` (each H' * W' long). Planes are filled in increasing order; the
    axpy path may use the space of later planes as scratch.
    """
    filters = weight.shape[0]
    plane = geo.out_size[0] * geo.out_size[1]
    if geo.stride == (1, 1) and x.shape[0] == 1 and filters <= _FLAT_MAX_FILTERS:
        need = max(plane, geo.out_size[0] * geo.in_size[1])
        for f in range(filters):
            b = 0.0 if bias is None else bias[f]
            start = (first + f) * plane
            _conv_flat(x[0], weight[f, 0], b, geo, buffer[start : start + need], dtype)
    else:
        out = buffer[first * plane : (first + filters) * plane].reshape(filters, *geo.out_size)
        _conv_strips(x, weight, bias, geo, out, dtype)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def conv2d(
    x,
    weight,
    bias=None,
    *,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
) -> np.ndarray:
    r"""Slide filters over an image: the 2-D convolution layer of a CNN (cross-correlation).

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
        The input: one grayscale image, one image with C channels, or a batch.
    weight : array_like, shape (F, C // groups, kH, kW) or (kH, kW)
        F filters; each looks at ``C // groups`` channels. A 2-D kernel is one
        filter on one channel.
    bias : array_like, shape (F,), optional
        Added to every value of each filter's map.
    stride : int or (int, int), optional
        Step of the window in rows and columns.
    padding : int, (int, int), "valid" or "same", optional
        Pixels added on each side of the image (rows, cols). ``"valid"`` is 0;
        ``"same"`` keeps the size (stride 1 only) and, for an even kernel, puts
        the extra pixel at the bottom/right, as PyTorch does.
    dilation : int or (int, int), optional
        Spacing between kernel taps (1 = adjacent pixels).
    groups : int, optional
        Split channels and filters into this many independent groups;
        ``groups = C`` is a depthwise convolution.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, optional
        What the padding contains: zeros, a mirror image without repeating the
        edge, copies of the edge pixel, or the opposite side of the image.

    Returns
    -------
    numpy.ndarray
        ``(F, H', W')``, or ``(N, F, H', W')`` for a batch, or ``(H', W')`` when
        both ``x`` and ``weight`` are 2-D. float32 when ``x`` and ``weight`` are
        both float32, float64 otherwise.

    Raises
    ------
    TypeError
        If an input is not numeric or an option has the wrong type.
    ValueError
        If shapes do not fit together (channels ≠ depth × groups, a kernel larger
        than the padded input, a bias of the wrong length), an option is out of
        range, or ``weight``/``bias``/``x`` contain NaN or infinity.

    Notes
    -----
    With padding p, stride s and dilation d the output has, per axis,
    ``floor((H + 2p - d(k - 1) - 1) / s) + 1`` values (:func:`output_size`) and

    .. math:: out[f, r, c] = b_f + \sum_{k, i, j} x_{pad}[k, rs + id, cs + jd] \; w[f, k, i, j]

    The kernel is not flipped (cross-correlation), as in PyTorch.

    Examples
    --------
    The tutorial's vertical-edge kernel on its 5×5 grid:

    >>> grid = [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4],
    ...         [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]]
    >>> conv2d(grid, [[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    array([[ 6., -9., -8.],
           [-3., -2., -3.],
           [-3.,  0., -2.]])
    >>> conv2d(grid, [[1, 0, -1]] * 3, padding="same").shape
    (5, 5)
    """
    p = _prepare(
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
    )
    batch, channels = p.x.shape[:2]
    filters = p.weight.shape[0]
    cg, fg = channels // p.groups, filters // p.groups
    (out_h, out_w), width = p.geometry.out_size, p.geometry.in_size[1]
    size = batch * filters * out_h * out_w
    buffer = np.empty(size + out_h * max(0, width - out_w), p.dtype)  # scratch tail: _conv_flat
    for n in range(batch):
        for g in range(p.groups):
            image = p.x[n, g * cg : (g + 1) * cg]  # (Cg, H, W)
            weight = p.weight[g * fg : (g + 1) * fg]  # (Fg, Cg, kH, kW)
            bias = None if p.bias is None else p.bias[g * fg : (g + 1) * fg]  # (Fg,)
            _conv_group(image, weight, bias, p.geometry, buffer, n * filters + g * fg, p.dtype)
    out = buffer[:size].reshape(batch, filters, out_h, out_w)  # (N, F, H', W')
    if p.squeeze:
        return out[0, 0]  # (H', W')
    return out if p.batched else out[0]


# ---------------------------------------------------------------------------
# One output value, explained
# ---------------------------------------------------------------------------


def format_number(value, precision: int = 3) -> str:
    """Write a number the way a student would: ``6``, ``-0.5``, ``0.333``.

    Whole numbers are shown without decimals; others are rounded to
    ``precision`` decimal places with trailing zeros removed. A nonzero value
    too small to show at that precision keeps ``precision`` significant digits.

    Examples
    --------
    >>> format_number(6.0), format_number(-1), format_number(2 / 3), format_number(0.25, 1)
    ('6', '-1', '0.667', '0.2')
    >>> format_number(0.00001234)
    '1.23e-05'
    """
    if not _is_int(precision) or precision < 0:
        raise ValueError(f"`precision` must be an integer >= 0; got {precision!r}")
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    if value == round(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("0", "-0"):
        text = f"{value:.{max(precision, 1)}g}"
    return text


def _factor(value, precision: int) -> str:
    text = format_number(value, precision)
    return f"({text})" if text.startswith("-") else text


def _latex_number(value, precision: int) -> str:
    text = _factor(value, precision)
    if "e" in text:
        mantissa, exponent = text.strip("()").split("e")
        text = f"{mantissa} \\times 10^{{{int(exponent)}}}"
        text = f"({text})" if value < 0 else text
    return text


def _latex_text(name: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("{", r"\{"), ("}", r"\}")):
        name = name.replace(char, escaped)
    for char in "#$%&_":
        name = name.replace(char, "\\" + char)
    return name.replace("^", r"\^{}").replace("~", r"\~{}")


#: How :meth:`ConvStep.expression` may order the terms, with NumPy's name for each.
_ORDERS = {"rows": "C", "columns": "F"}


@dataclass(frozen=True, eq=False)
class ConvStep:
    """Everything behind one output value of :func:`conv2d`.

    Coordinates are in the *unpadded* input: a tap at row -1 reads the padding
    above the image. Arrays are read-only NumPy arrays; values are float64.

    Attributes
    ----------
    row, col : int
        Position in the output map.
    out_channel : int
        The filter (output channel).
    batch_index : int
        The image of the batch (0 for a single image).
    in_channels : tuple of int
        The input channels this filter's group reads, in order.
    tap_rows, tap_cols : numpy.ndarray of int, shape (kH, kW)
        Input row/column each kernel tap reads; negative or ≥ H/W in the padding.
    is_padding : numpy.ndarray of bool, shape (kH, kW)
        True where the tap lies in the padding.
    source_rows, source_cols : numpy.ndarray of int, shape (kH, kW)
        The real pixel whose value the tap uses: the tap itself inside the image,
        the mirrored/edge/wrapped pixel in reflect/replicate/circular padding,
        and -1 for zero padding.
    window : numpy.ndarray, shape (C_group, kH, kW)
        The (padded) input values under the kernel.
    weights : numpy.ndarray, shape (C_group, kH, kW)
        The filter ``weight[out_channel]``.
    products : numpy.ndarray, shape (C_group, kH, kW)
        ``window * weights``.
    partial_sums : numpy.ndarray, shape (C_group,)
        Sum of the products of each input channel.
    bias : float
        The filter's bias (0.0 when none was given).
    total : float
        ``partial_sums.sum() + bias``, computed in float64. It equals the
        :func:`conv2d` value at ``(row, col)`` to float rounding (float32 maps
        are rounded at every addition).
    has_bias : bool
        Whether a bias was given (the expression then always shows it).
    """

    row: int
    col: int
    out_channel: int
    batch_index: int
    in_channels: tuple[int, ...]
    tap_rows: np.ndarray
    tap_cols: np.ndarray
    is_padding: np.ndarray
    source_rows: np.ndarray
    source_cols: np.ndarray
    window: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    partial_sums: np.ndarray
    bias: float
    total: float
    has_bias: bool = False

    def _show_bias(self) -> bool:
        return self.has_bias or self.bias != 0

    def _channel_labels(self, channel_names) -> list[str]:
        if channel_names is None:
            return [f"channel {k}" for k in self.in_channels]
        names = list(channel_names)
        if len(names) <= max(self.in_channels):
            raise ValueError(
                f"`channel_names` needs a name for every input channel of x (at least "
                f"{max(self.in_channels) + 1}); got {len(names)}"
            )
        return [str(names[k]) for k in self.in_channels]

    def _terms(self, channel: int, number, order: str) -> list[tuple[str, str]]:
        if order not in _ORDERS:
            raise ValueError(f"`order` must be 'rows' or 'columns'; got {order!r}")
        flat = _ORDERS[order]  # NumPy's name for the order: "C" row by row, "F" column by column
        window, weights = self.window[channel].ravel(flat), self.weights[channel].ravel(flat)
        return [(number(v), number(w)) for v, w in zip(window, weights, strict=True)]

    def expression(self, precision: int = 3, channel_names=None, *, order: str = "rows") -> str:
        """Write the arithmetic of this output as plain text.

        One channel: ``7×1 + 2×0 + 3×(-1) + … = 6``. Several channels: one line
        per channel (``R: … = 1.2``), then the channel sums plus the bias:
        ``1.2 + 0.3 + (-0.5) + bias 0.1 = 1.1``. Numbers go through
        :func:`format_number`; negative numbers are wrapped in parentheses.

        Parameters
        ----------
        precision : int, optional
            Decimal places for non-integers.
        channel_names : sequence of str, optional
            A name for every input channel of ``x`` (e.g. ``"RGB"``).
        order : {"rows", "columns"}, optional
            The order of the terms: the kernel's taps row by row (default), or
            column by column, as the tutorial writes its 5×5 example.

        Examples
        --------
        >>> grid = [[7, 2, 3], [4, 5, 3], [3, 3, 2]]
        >>> step = conv_step(grid, [[1, 0, -1]] * 3, 0, 0)
        >>> step.expression()
        '7×1 + 2×0 + 3×(-1) + 4×1 + 5×0 + 3×(-1) + 3×1 + 3×0 + 2×(-1) = 6'
        >>> step.expression(order="columns")
        '7×1 + 4×1 + 3×1 + 2×0 + 5×0 + 3×0 + 3×(-1) + 3×(-1) + 2×(-1) = 6'
        """

        def number(v):
            return _factor(v, precision)

        bias = f" + bias {number(self.bias)}" if self._show_bias() else ""
        total = format_number(self.total, precision)
        lines = []
        for k, label in enumerate(self._channel_labels(channel_names)):
            products = " + ".join(f"{v}×{w}" for v, w in self._terms(k, number, order))
            lines.append((label, products, format_number(self.partial_sums[k], precision)))
        if len(lines) == 1:
            return f"{lines[0][1]}{bias} = {total}"
        sums = " + ".join(number(s) for s in self.partial_sums)
        body = [f"{label}: {products} = {value}" for label, products, value in lines]
        return "\n".join([*body, f"{sums}{bias} = {total}"])

    def latex(self, precision: int = 3, channel_names=None, *, order: str = "rows") -> str:
        r"""Write the same arithmetic as :meth:`expression` in LaTeX (``\times``, aligned lines)."""

        def number(v):
            return _latex_number(v, precision)

        bias = rf" + \text{{bias}}\ {number(self.bias)}" if self._show_bias() else ""
        total = _latex_number(self.total, precision).strip("()")
        rows = []
        for k, label in enumerate(self._channel_labels(channel_names)):
            products = " + ".join(rf"{v} \times {w}" for v, w in self._terms(k, number, order))
            value = _latex_number(self.partial_sums[k], precision).strip("()")
            rows.append((label, products, value))
        if len(rows) == 1:
            return f"{rows[0][1]}{bias} = {total}"
        sums = " + ".join(number(s) for s in self.partial_sums)
        body = [
            rf"\text{{{_latex_text(label)}}} &: {products} = {value} \\"
            for label, products, value in rows
        ]
        lines = [r"\begin{aligned}", *body, rf"&\phantom{{:}} {sums}{bias} = {total}"]
        return "\n".join([*lines, r"\end{aligned}"])


def _check_index(value, size: int, name: str, where: str) -> int:
    if not _is_int(value):
        raise TypeError(f"`{name}` must be an integer; got {value!r}")
    if not 0 <= value < size:
        raise ValueError(f"`{name}` must be between 0 and {size - 1} for {where}; got {value}")
    return int(value)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def conv_step(
    x,
    weight,
    row,
    col,
    *,
    bias=None,
    out_channel=0,
    batch_index=0,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
) -> ConvStep:
    """Explain the output value at ``(row, col)`` of :func:`conv2d`, tap by tap.

    Takes the same arguments as :func:`conv2d` plus the position. Costs
    O(C · kH · kW) whatever the image size (only the window is read, padding
    values are looked up, the image is never padded), so an animation can
    precompute hundreds of steps.

    Parameters
    ----------
    x, weight, bias, stride, padding, dilation, groups, padding_mode
        As in :func:`conv2d`.
    row, col : int
        Output position, ``0 <= row < H'`` and ``0 <= col < W'``.
    out_channel : int, optional
        Which filter (output channel).
    batch_index : int, optional
        Which image of a batch ``(N, C, H, W)``.

    Returns
    -------
    ConvStep
        Window, weights, products, per-channel sums, bias and total; see
        :class:`ConvStep`. ``.expression()`` and ``.latex()`` write it out.

    Raises
    ------
    TypeError, ValueError
        As :func:`conv2d`, and when a position or index is out of range, e.g.
        "`row` must be between 0 and 2 for this 3×3 output; got 5".

    Examples
    --------
    >>> grid = [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4],
    ...         [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]]
    >>> step = conv_step(grid, [[1, 0, -1]] * 3, 0, 0)
    >>> step.total
    6.0
    >>> print(step.expression())
    7×1 + 2×0 + 3×(-1) + 4×1 + 5×0 + 3×(-1) + 3×1 + 3×0 + 2×(-1) = 6
    """
    p = _prepare(
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
        check_x_values=False,
    )
    geo = p.geometry
    batch = p.x.shape[0]
    filters, cg, kh, kw = p.weight.shape
    out_h, out_w = geo.out_size
    batch_index = _check_index(batch_index, batch, "batch_index", f"a batch of {batch}")
    out_channel = _check_index(out_channel, filters, "out_channel", f"{filters} filters")
    row = _check_index(row, out_h, "row", f"this {out_h}×{out_w} output")
    col = _check_index(col, out_w, "col", f"this {out_h}×{out_w} output")

    group = out_channel // (filters // p.groups)
    in_channels = tuple(range(group * cg, (group + 1) * cg))
    rows = row * geo.stride[0] - geo.pad[0] + np.arange(kh) * geo.dilation[0]  # (kH,)
    cols = col * geo.stride[1] - geo.pad[2] + np.arange(kw) * geo.dilation[1]  # (kW,)
    image = p.x[batch_index, group * cg : (group + 1) * cg]  # (Cg, H, W), a view
    window = _gather(image, rows, cols, geo.mode, np.float64)  # (Cg, kH, kW)
    if not np.all(np.isfinite(window)):
        raise ValueError("`x` must contain only finite numbers; found NaN or infinity")

    tap_rows, tap_cols = np.meshgrid(rows, cols, indexing="ij")  # (kH, kW) each
    height, width = geo.in_size
    is_padding = (tap_rows < 0) | (tap_rows >= height) | (tap_cols < 0) | (tap_cols >= width)
    source_rows = _source_index(tap_rows, height, geo.mode)
    source_cols = _source_index(tap_cols, width, geo.mode)
    if geo.mode == "zeros":
        source_rows = np.where(is_padding, -1, source_rows)
        source_cols = np.where(is_padding, -1, source_cols)

    weights = p.weight[out_channel].astype(np.float64)  # (Cg, kH, kW)
    products = window * weights  # (Cg, kH, kW)
    partial_sums = products.sum(axis=(1, 2))  # (Cg,)
    bias_value = 0.0 if p.bias is None else float(p.bias[out_channel])
    return ConvStep(
        row=row,
        col=col,
        out_channel=out_channel,
        batch_index=batch_index,
        in_channels=in_channels,
        tap_rows=_readonly(tap_rows),
        tap_cols=_readonly(tap_cols),
        is_padding=_readonly(is_padding),
        source_rows=_readonly(source_rows),
        source_cols=_readonly(source_cols),
        window=_readonly(window),
        weights=_readonly(weights),
        products=_readonly(products),
        partial_sums=_readonly(partial_sums),
        bias=bias_value,
        total=float(partial_sums.sum()) + bias_value,
        has_bias=p.bias is not None,
    )
