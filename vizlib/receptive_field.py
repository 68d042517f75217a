"""Receptive fields: which input pixels can influence one unit of a stack of layers.

A unit of the first convolution sees a kH×kW patch of the image. A unit of the
second sees a patch of the first layer's map, each of whose units sees a patch
of the image: its *receptive field* on the image is larger. Two ways to work it
out are given here, and the tests check one against the other:

- :func:`receptive_field` / :func:`receptive_fields`: the closed-form
  recurrence over the layers' kernel size, stride, padding and dilation;
- :func:`receptive_field_mask`: propagate a boolean mask from one output unit
  back through every layer, marking each position a window reads.

Activations and batch normalisation act on each value separately: for the
geometry they are a 1×1 kernel with stride 1 (``LayerGeometry(1)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vizlib._shapes import as_pair, output_size

__all__ = [
    "LayerGeometry",
    "ReceptiveField",
    "receptive_field",
    "receptive_field_mask",
    "receptive_fields",
]


@dataclass(frozen=True)
class LayerGeometry:
    """How a convolution or pooling layer slides over its input.

    Parameters take an int (both axes) or a ``(rows, cols)`` pair, with
    PyTorch's names; they are stored as pairs.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window size, >= 1.
    stride : int or (int, int), optional
        Step between windows, >= 1. ``None`` means ``kernel_size`` (pooling's
        default).
    padding : int or (int, int), optional
        Positions added on each side, >= 0.
    dilation : int or (int, int), optional
        Spacing between the taps of a window, >= 1.
    ceil_mode : bool, optional
        Pooling's rounding of the output size (changes sizes, not fields).

    Raises
    ------
    TypeError, ValueError
        If a parameter is not a positive integer (padding: >= 0) or a pair.

    Examples
    --------
    >>> g = LayerGeometry(3, padding=1)
    >>> g.kernel_size, g.stride, g.padding, g.dilation
    ((3, 3), (1, 1), (1, 1), (1, 1))
    >>> LayerGeometry(2, stride=None).stride
    (2, 2)
    """

    kernel_size: tuple[int, int]
    stride: tuple[int, int] | None = 1
    padding: tuple[int, int] = 0
    dilation: tuple[int, int] = 1
    ceil_mode: bool = False

    def __post_init__(self):
        kernel = as_pair(self.kernel_size, "kernel_size")
        stride = kernel if self.stride is None else as_pair(self.stride, "stride")
        object.__setattr__(self, "kernel_size", kernel)
        object.__setattr__(self, "stride", stride)
        object.__setattr__(self, "padding", as_pair(self.padding, "padding", minimum=0))
        object.__setattr__(self, "dilation", as_pair(self.dilation, "dilation"))
        object.__setattr__(self, "ceil_mode", bool(self.ceil_mode))

    def output_shape(self, shape) -> tuple[int, int]:
        """The ``(rows, cols)`` this layer makes from an input of ``shape``.

        Raises
        ------
        ValueError
            If the (dilated) window does not fit in the padded input.
        """
        rows, cols = (int(n) for n in shape)
        return tuple(
            output_size(
                n,
                self.kernel_size[a],
                stride=self.stride[a],
                padding=self.padding[a],
                dilation=self.dilation[a],
                ceil_mode=self.ceil_mode,
            )
            for a, n in enumerate((rows, cols))
        )


@dataclass(frozen=True)
class ReceptiveField:
    """The input region one unit of a stack sees, per axis ``(rows, cols)``.

    Attributes
    ----------
    size : (int, int)
        ``r``: how many consecutive input positions one unit's window spans
        (counting positions in the padding).
    jump : (int, int)
        ``j``: distance, in input pixels, between the windows of neighbouring
        units (the product of the strides).
    start : (int, int)
        Input coordinate of the first position seen by unit ``(0, 0)``;
        negative when it lies in the padding.
    """

    size: tuple[int, int]
    jump: tuple[int, int]
    start: tuple[int, int]

    def window(self, row: int, col: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """Input rows and columns ``((r0, r1), (c0, c1))``, half-open, seen by unit (row, col).

        Not clipped to the image: parts outside lie in the padding.

        Examples
        --------
        >>> rf = receptive_field([LayerGeometry(3, padding=1), LayerGeometry(2, stride=2)])
        >>> rf.window(0, 1)
        ((-1, 3), (1, 5))
        """
        lo = (self.start[0] + row * self.jump[0], self.start[1] + col * self.jump[1])
        return (lo[0], lo[0] + self.size[0]), (lo[1], lo[1] + self.size[1])

    def center(self, row: int, col: int) -> tuple[float, float]:
        """Input coordinates of the centre of unit (row, col)'s window."""
        (r0, r1), (c0, c1) = self.window(row, col)
        return (r0 + r1 - 1) / 2, (c0 + c1 - 1) / 2

    def nearest_unit(self, point, shape) -> tuple[int, int]:
        """The unit, in a map of ``shape`` (rows, cols), whose window centre is nearest ``point``.

        Ties go to the smaller index.

        Examples
        --------
        >>> rf = receptive_field([LayerGeometry(2, stride=2)])
        >>> rf.nearest_unit((4.5, 0.0), (8, 8))
        (2, 0)
        """
        unit = []
        for a in range(2):
            first_centre = self.start[a] + (self.size[a] - 1) / 2
            exact = (float(point[a]) - first_centre) / self.jump[a]
            index = int(np.ceil(exact - 0.5))  # round half down
            unit.append(min(max(index, 0), int(shape[a]) - 1))
        return unit[0], unit[1]


def _as_layers(layers) -> list[LayerGeometry]:
    layers = list(layers)
    for i, layer in enumerate(layers):
        if not isinstance(layer, LayerGeometry):
            raise TypeError(f"`layers[{i}]` must be a LayerGeometry; got {type(layer).__name__}")
    return layers


def receptive_fields(layers) -> tuple[ReceptiveField, ...]:
    """The receptive field on the input after each layer of a stack.

    Parameters
    ----------
    layers : sequence of LayerGeometry
        From the input onwards.

    Returns
    -------
    tuple of ReceptiveField
        ``len(layers) + 1`` fields: element 0 is the input itself (size 1,
        jump 1, start 0), element ``l`` is the field of a unit after layer ``l``.

    Notes
    -----
    Per axis, with ``k, s, p, d`` the kernel size, stride, padding and
    dilation of layer ``l`` and ``r, j, start`` the field after layer ``l-1``:

    - ``r_l = r_{l-1} + (k - 1)·d·j_{l-1}``: each extra tap, ``d`` units further
      on, adds ``d·j_{l-1}`` input pixels;
    - ``j_l = j_{l-1}·s``: neighbouring units are ``s`` units of the previous
      map apart;
    - ``start_l = start_{l-1} − p·j_{l-1}``: padding shifts the first window
      ``p`` units outwards.

    Unit ``i`` then covers input positions ``start + i·j`` to
    ``start + i·j + r − 1``. (Araujo, Norris and Sim, "Computing receptive
    fields of convolutional neural networks", Distill 2019.)

    Examples
    --------
    Two 3×3 convolutions see 5×5; a 2×2 pooling with stride 2 between them
    makes it 8×8:

    >>> [f.size for f in receptive_fields([LayerGeometry(3), LayerGeometry(3)])]
    [(1, 1), (3, 3), (5, 5)]
    >>> stack = [LayerGeometry(3), LayerGeometry(2, stride=2), LayerGeometry(3)]
    >>> receptive_field(stack)
    ReceptiveField(size=(8, 8), jump=(2, 2), start=(0, 0))
    """
    fields = [ReceptiveField((1, 1), (1, 1), (0, 0))]
    for layer in _as_layers(layers):
        prev = fields[-1]
        size, jump, start = [], [], []
        for a in range(2):
            size.append(
                prev.size[a] + (layer.kernel_size[a] - 1) * layer.dilation[a] * prev.jump[a]
            )
            jump.append(prev.jump[a] * layer.stride[a])
            start.append(prev.start[a] - layer.padding[a] * prev.jump[a])
        fields.append(ReceptiveField(tuple(size), tuple(jump), tuple(start)))
    return tuple(fields)


def receptive_field(layers) -> ReceptiveField:
    """The receptive field on the input of one unit after the whole stack.

    See :func:`receptive_fields` for the recurrence.

    Examples
    --------
    >>> receptive_field([LayerGeometry(3, dilation=2)]).size
    (5, 5)
    >>> receptive_field([]).size
    (1, 1)
    """
    return receptive_fields(layers)[-1]


def _taps_back(units: np.ndarray, size_in: int, k: int, s: int, p: int, d: int) -> np.ndarray:
    """1-D: which input positions the windows of the marked output units read."""
    out = np.zeros(size_in, dtype=bool)
    marked = np.flatnonzero(units)  # output indices
    for t in range(k):
        pos = marked * s - p + t * d  # input positions of tap t
        out[pos[(pos >= 0) & (pos < size_in)]] = True  # taps in the padding read no pixel
    return out


def receptive_field_mask(input_shape, layers, row: int, col: int) -> np.ndarray:
    """Mark the input pixels that can influence output unit (row, col) of a stack.

    Parameters
    ----------
    input_shape : (int, int)
        ``(H, W)`` of the input.
    layers : sequence of LayerGeometry
        From the input onwards.
    row, col : int
        The unit in the last layer's output.

    Returns
    -------
    ndarray of bool, shape (H, W)
        True where a pixel lies under some window on the path to the unit.
        Padding reads no pixel, and units dropped by rounding read none, so
        this can be smaller than :meth:`ReceptiveField.window`; a dilation,
        or a stride longer than the kernel, leaves holes.

    Raises
    ------
    ValueError
        If a layer's window does not fit in its input, or (row, col) is
        outside the output.

    Notes
    -----
    Starting from the one unit, each layer is walked backwards: every marked
    output position ``i`` marks the input positions ``i·s − p + t·d`` for
    ``t = 0 … k−1`` that lie inside the input. A window's taps form a grid
    (rows × cols), so the marked set stays a product of a set of rows and a
    set of columns, and each axis is walked on its own.

    Examples
    --------
    >>> receptive_field_mask((5, 5), [LayerGeometry(3, dilation=2)], 0, 0).astype(int)
    array([[1, 0, 1, 0, 1],
           [0, 0, 0, 0, 0],
           [1, 0, 1, 0, 1],
           [0, 0, 0, 0, 0],
           [1, 0, 1, 0, 1]])
    """
    layers = _as_layers(layers)
    rows, cols = as_pair(tuple(int(n) for n in input_shape), "input_shape")
    shapes = [(rows, cols)]
    for layer in layers:
        shapes.append(layer.output_shape(shapes[-1]))
    out_rows, out_cols = shapes[-1]
    if not (0 <= row < out_rows and 0 <= col < out_cols):
        raise ValueError(
            f"The unit must lie in the output of shape {(out_rows, out_cols)}: "
            f"row 0 to {out_rows - 1}, col 0 to {out_cols - 1}; got ({row}, {col})"
        )
    marks = []
    for a, index in enumerate((row, col)):
        units = np.zeros(shapes[-1][a], dtype=bool)
        units[index] = True
        for layer, shape in zip(reversed(layers), reversed(shapes[:-1]), strict=True):
            units = _taps_back(
                units,
                shape[a],
                layer.kernel_size[a],
                layer.stride[a],
                layer.padding[a],
                layer.dilation[a],
            )
        marks.append(units)
    return marks[0][:, None] & marks[1][None, :]  # (H, W)
