"""Preset kernels, kernels typed by a person, and random filters.

A *kernel* (or filter) is the small grid of weights that slides over an image.
At every position the output is the sum of ``window * weights`` — a
cross-correlation, exactly as in PyTorch's ``conv2d`` (the kernel is not
flipped). The presets below are the classic hand-designed kernels that a CNN's
first layer tends to rediscover by itself.

Directions are named in rows and columns: rows grow downwards, columns grow to
the right. A kernel named ``*_x`` compares columns (it finds *vertical* edges,
where brightness changes from left to right); ``*_y`` compares rows (it finds
*horizontal* edges, where brightness changes from top to bottom).
"""

from __future__ import annotations

import json
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np

__all__ = [
    "KERNELS",
    "MAX_WEIGHT",
    "Kernel",
    "kernel_from_cells",
    "parse_kernel",
    "random_kernel",
]

MAX_WEIGHT = 1e6
"""Largest weight magnitude a typed kernel may hold."""

_EXAMPLE = "`1 0 -1; 1 0 -1; 1 0 -1`"


@dataclass(frozen=True, eq=False)
class Kernel:
    """A named preset kernel.

    Attributes
    ----------
    name : str
        Name shown to a student ("Sobel (x)").
    weights : numpy.ndarray
        The weights, shape ``(kH, kW)``, float64, read-only.
    description : str
        One line saying what the kernel responds to.
    """

    name: str
    weights: np.ndarray
    description: str

    def __post_init__(self):
        weights = np.array(self.weights, dtype=np.float64)  # (kH, kW), a private copy
        if weights.ndim != 2 or weights.size == 0:
            raise ValueError(f"`weights` must be a non-empty 2-D grid; got shape {weights.shape}")
        weights.flags.writeable = False
        object.__setattr__(self, "weights", weights)

    @property
    def shape(self) -> tuple[int, int]:
        """``(kH, kW)``: the kernel's rows and columns."""
        return self.weights.shape

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self.weights, dtype=dtype)
        return np.asarray(self.weights, dtype=dtype)


def _k(name: str, rows, description: str, scale: float = 1.0) -> Kernel:
    return Kernel(name, np.asarray(rows, dtype=np.float64) * scale, description)


_BINOMIAL_5 = np.array([1, 4, 6, 4, 1], dtype=np.float64)
_EDGE_8 = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]

KERNELS: dict[str, Kernel] = {
    "identity": _k(
        "Identity",
        [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "Copies each pixel unchanged: only the centre weight is 1.",
    ),
    "edge_detector": _k(
        "Edge detector",
        _EDGE_8,
        "The tutorial's edge detector: centre minus its 8 neighbours; "
        "zero on flat areas, large on edges and fine detail in every direction.",
    ),
    "vertical_edge": _k(
        "Vertical edge",
        [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
        "The tutorial's vertical-edge kernel: left column minus right column; "
        "positive where the left side is brighter, zero on flat areas.",
    ),
    "horizontal_edge": _k(
        "Horizontal edge",
        [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
        "Top row minus bottom row: finds horizontal edges; "
        "positive where the top is brighter, zero on flat areas.",
    ),
    "sobel_x": _k(
        "Sobel (x)",
        [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        "Responds where brightness changes from left to right (across columns), "
        "i.e. vertical edges; positive where the right is brighter; the middle row counts twice.",
    ),
    "sobel_y": _k(
        "Sobel (y)",
        [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        "Responds where brightness changes from top to bottom (down the rows), "
        "i.e. horizontal edges; positive where the bottom is brighter.",
    ),
    "scharr_x": _k(
        "Scharr (x)",
        [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]],
        "Like Sobel (x), for vertical edges (left-to-right changes), "
        "with weights tuned to treat every edge direction more evenly.",
    ),
    "scharr_y": _k(
        "Scharr (y)",
        [[-3, -10, -3], [0, 0, 0], [3, 10, 3]],
        "Like Sobel (y), for horizontal edges (top-to-bottom changes), "
        "with weights tuned to treat every edge direction more evenly.",
    ),
    "prewitt_x": _k(
        "Prewitt (x)",
        [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
        "Right column minus left column: vertical edges, positive where the right "
        "is brighter (the tutorial's vertical-edge kernel with the sign flipped).",
    ),
    "prewitt_y": _k(
        "Prewitt (y)",
        [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
        "Bottom row minus top row: horizontal edges, positive where the bottom "
        "is brighter (the horizontal-edge kernel with the sign flipped).",
    ),
    "laplacian": _k(
        "Laplacian (4-neighbour)",
        [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        "The 4 neighbours above, below, left and right minus 4× the centre: "
        "zero on flat areas and smooth ramps, strong on edges, lines and dots.",
    ),
    "box_blur_3": _k(
        "Box blur 3×3",
        np.ones((3, 3)),
        "Average of the 3×3 neighbourhood (every weight 1/9): blurs and removes noise.",
        scale=1 / 9,
    ),
    "box_blur_5": _k(
        "Box blur 5×5",
        np.ones((5, 5)),
        "Average of the 5×5 neighbourhood (every weight 1/25): a stronger blur.",
        scale=1 / 25,
    ),
    "gaussian_3": _k(
        "Gaussian blur 3×3",
        [[1, 2, 1], [2, 4, 2], [1, 2, 1]],
        "Weighted average that trusts the centre most (weights /16): a soft blur "
        "without the blocky look of the box blur.",
        scale=1 / 16,
    ),
    "gaussian_5": _k(
        "Gaussian blur 5×5",
        np.outer(_BINOMIAL_5, _BINOMIAL_5),
        "5×5 weighted average built from the binomial row 1 4 6 4 1 (weights /256): "
        "a stronger soft blur.",
        scale=1 / 256,
    ),
    "sharpen": _k(
        "Sharpen",
        [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "The pixel plus its difference from its 4 neighbours: flat areas stay the same, "
        "edges get more contrast.",
    ),
    "emboss": _k(
        "Emboss",
        [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
        "Bottom-right minus top-left plus the pixel: edges look raised or carved, "
        "as if lit from one corner.",
    ),
    "outline": _k(
        "Outline",
        _EDGE_8,
        "The same weights as the edge detector, under the name used by the Setosa "
        "'Image Kernels' demo: bright outlines where neighbours differ.",
    ),
}


# --------------------------------------------------------------------------- parsing

_MINUS_SIGNS = str.maketrans(
    {"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-"}
)
_ROW_BREAK = re.compile(r"\]\s*,?\s*\[")  # "], [" between JSON or NumPy rows
_CELL_SPLIT = re.compile(r"\s*,\s*|\s+")  # commas, spaces or tabs between numbers
_SLASH = re.compile(r"\s*/\s*")
_FRACTION = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)\s*/\s*([+-]?[0-9.]+(?:[eE][+-]?\d+)?)$")


def parse_kernel(text: str, *, max_size: int = 11) -> np.ndarray:
    """Read a kernel typed by a person.

    Parameters
    ----------
    text : str
        Rows separated by ``;`` or new lines, numbers separated by spaces,
        commas or tabs (so CSV rows work): ``"1 0 -1; 1 0 -1; 1 0 -1"``.
        JSON nested lists (``"[[1, 0, -1], [1, 0, -1]]"``) and NumPy's printed
        arrays work too. A single number is a 1×1 kernel. Fractions such as
        ``1/9`` and the typographic minus ``−`` are accepted.
    max_size : int, optional
        Largest number of rows and of columns (default 11).

    Returns
    -------
    numpy.ndarray
        The weights, shape ``(kH, kW)``, float64.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        With a message naming the row and column, for: empty text, a blank
        cell, text that is not a number, NaN or infinity, a magnitude above
        1,000,000, rows of different lengths, or more than ``max_size`` rows or
        columns.

    Examples
    --------
    >>> parse_kernel("1 0 -1; 1 0 -1; 1 0 -1").tolist()
    [[1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]]
    >>> parse_kernel("[[1, 2], [3, 4]]").shape
    (2, 2)
    >>> parse_kernel("1/4 1/4; 1/4 1/4").sum()
    np.float64(1.0)
    >>> parse_kernel("1 2; 3")
    Traceback (most recent call last):
        ...
    ValueError: row 2 has 1 number but row 1 has 2. Every row needs the same number of values.
    """
    if not isinstance(text, str):
        raise TypeError(
            f"The kernel text must be a string such as {_EXAMPLE}; got {type(text).__name__}"
        )
    text = text.translate(_MINUS_SIGNS).strip()
    if not text:
        raise ValueError(f"The kernel is empty. Type numbers in rows, for example {_EXAMPLE}.")
    rows = _json_rows(text)
    if rows is None:
        rows = _text_rows(text)
    return _validate_cells(rows, max_size=max_size)


def _json_rows(text: str) -> list[list] | None:
    """Rows of a JSON number or (nested) list, or None if ``text`` is not JSON."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        return value
    if isinstance(value, list):
        return [value]  # one row: [1, 0, -1]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [[value]]
    return None


def _text_rows(text: str) -> list[list[str]]:
    """Split free text into rows of cell strings ("1 0 -1; 1 0 -1")."""
    text = _ROW_BREAK.sub(";", text).replace("[", " ").replace("]", " ")
    text = _SLASH.sub("/", text)  # "1 / 9" is one fraction
    lines = [part.strip() for line in text.splitlines() for part in line.split(";")]
    return [_CELL_SPLIT.split(line) for line in lines if line]


def kernel_from_cells(cells, *, max_size: int = 11) -> np.ndarray:
    """Build a kernel from a grid of cells, as a spreadsheet-like editor gives them.

    Parameters
    ----------
    cells : sequence of sequences, 2-D array or DataFrame
        ``cells[r][c]`` may be an int, a float, a numeric string (``"-1"``,
        ``"1/9"``), or empty (``None``, ``NaN`` or ``""``), which is an error
        that names the cell. A pandas DataFrame (what ``st.data_editor``
        returns) is read through ``to_numpy()``; a row may also be a dict.
    max_size : int, optional
        Largest number of rows and of columns (default 11).

    Returns
    -------
    numpy.ndarray
        The weights, shape ``(kH, kW)``, float64.

    Raises
    ------
    TypeError
        If ``cells`` is a string (use :func:`parse_kernel`) or not a grid.
    ValueError
        The same messages as :func:`parse_kernel`, naming row and column.

    Examples
    --------
    >>> kernel_from_cells([[1, 0, -1], ["1", 0, "-1"]]).tolist()
    [[1.0, 0.0, -1.0], [1.0, 0.0, -1.0]]
    >>> kernel_from_cells([[1, None]])
    Traceback (most recent call last):
        ...
    ValueError: row 1, column 2 is blank. Type a number there (0 if the weight should do nothing).
    """
    return _validate_cells(_grid_rows(cells), max_size=max_size)


def _grid_rows(cells) -> list[list]:
    """Turn whatever grid the caller has into a list of row lists."""
    if isinstance(cells, (str, bytes)):
        raise TypeError("`cells` must be a grid of numbers; to read typed text use parse_kernel()")
    if hasattr(cells, "to_numpy"):  # a pandas DataFrame from st.data_editor
        cells = cells.to_numpy(dtype=object)
    if isinstance(cells, np.ndarray):
        if cells.ndim > 2:
            raise ValueError(f"A kernel is a 2-D grid; got an array of shape {cells.shape}")
        return np.atleast_2d(cells).tolist() if cells.ndim else [[cells.item()]]
    if _is_scalar_cell(cells):
        return [[cells]]
    try:
        rows = list(cells)
    except TypeError:
        raise TypeError(
            f"`cells` must be a grid (a list of rows); got {type(cells).__name__}"
        ) from None
    if rows and all(_is_scalar_cell(cell) for cell in rows):
        return [rows]  # a single row
    return [_row_list(row, index) for index, row in enumerate(rows, start=1)]


def _row_list(row, index: int) -> list:
    if isinstance(row, dict):
        return list(row.values())
    if isinstance(row, np.ndarray):
        return row.ravel().tolist()
    if isinstance(row, (list, tuple)):
        return list(row)
    return [row] if _is_scalar_cell(row) else _not_a_row(row, index)


def _not_a_row(row, index: int):
    raise TypeError(f"row {index} of `cells` must be a list of numbers; got {type(row).__name__}")


def _is_scalar_cell(value) -> bool:
    return value is None or isinstance(value, (numbers.Number, str, np.generic))


def _validate_cells(rows: list[list], *, max_size: int) -> np.ndarray:
    """Check rows of cells and return the kernel: the one path for text and grid editors."""
    if not isinstance(max_size, numbers.Integral) or isinstance(max_size, bool) or max_size < 1:
        raise ValueError(f"`max_size` must be a positive integer; got {max_size!r}")
    n_rows = len(rows)
    n_cols = max((len(row) for row in rows), default=0)
    if n_rows == 0 or n_cols == 0:
        raise ValueError(
            f"The kernel is empty ({n_rows}×{n_cols}); it needs at least one number, "
            f"for example {_EXAMPLE}."
        )
    if n_rows > max_size or n_cols > max_size:
        raise ValueError(
            f"kernels can be at most {max_size}×{max_size}; got {n_rows}×{n_cols}. "
            "Remove some rows or columns."
        )
    first = len(rows[0])
    for r, row in enumerate(rows, start=1):
        if len(row) != first:
            word = "number" if len(row) == 1 else "numbers"
            raise ValueError(
                f"row {r} has {len(row)} {word} but row 1 has {first}. "
                "Every row needs the same number of values."
            )
    values = [
        [_cell_value(cell, r, c) for c, cell in enumerate(row, start=1)]
        for r, row in enumerate(rows, start=1)
    ]
    return np.array(values, dtype=np.float64)  # (kH, kW)


def _cell_value(cell, r: int, c: int) -> float:
    """One cell as a float, or a ValueError naming where it is and what is wrong."""
    where = f"row {r}, column {c}"
    if isinstance(cell, str):
        value = _text_value(cell.translate(_MINUS_SIGNS).strip(), where)
    elif cell is None:
        value = _blank(where)
    elif isinstance(cell, (bool, np.bool_)):
        raise ValueError(f"{where} is {cell}, which is not a number. Type a number instead.")
    elif isinstance(cell, (numbers.Real, np.integer, np.floating)):
        try:
            value = float(cell)
        except OverflowError:  # a huge Python int, e.g. from JSON
            value = math.inf if cell > 0 else -math.inf
        if math.isnan(value):
            raise ValueError(f"{where} is blank or NaN (not a number). Type a number there.")
    else:
        raise ValueError(f"{where} is {cell!r}, which is not a number. Type a number instead.")
    if math.isinf(value):
        raise ValueError(f"{where} is infinite. Weights must be finite numbers.")
    if abs(value) > MAX_WEIGHT:
        raise ValueError(
            f"{where} is {value:g}, but weights must lie between -1,000,000 and 1,000,000: "
            "larger values overflow the feature map's numbers and make the picture meaningless."
        )
    return value


def _text_value(token: str, where: str) -> float:
    if not token:
        return _blank(where)
    fraction = _FRACTION.match(token)
    parts = fraction.groups() if fraction else (token,)
    try:
        numbers_ = [float(part) for part in parts if "_" not in part]  # float() takes 1_0
    except ValueError:
        numbers_ = []
    if len(numbers_) != len(parts):
        shown = token if len(token) <= 20 else token[:17] + "..."
        raise ValueError(
            f"{where} is '{shown}', which is not a number. "
            "Use digits, a decimal point, a minus sign or a fraction like 1/9."
        )
    if fraction and numbers_[1] == 0:
        raise ValueError(f"{where} is '{token}', which divides by zero.")
    value = numbers_[0] / numbers_[1] if fraction else numbers_[0]
    if math.isnan(value):
        raise ValueError(f"{where} is '{token}' (not a number). Weights must be finite numbers.")
    return value


def _blank(where: str) -> float:
    raise ValueError(f"{where} is blank. Type a number there (0 if the weight should do nothing).")


# --------------------------------------------------------------------------- random filters

_DISTRIBUTIONS = ("uniform", "normal")


def random_kernel(shape, seed: int, *, distribution: str = "uniform") -> np.ndarray:
    """Random weights like those of a freshly created, untrained ``nn.Conv2d``.

    Parameters
    ----------
    shape : tuple of int
        ``(kH, kW)`` for one 2-D kernel, or ``(F, C, kH, kW)`` for a layer of
        ``F`` filters over ``C`` input channels (PyTorch's weight layout).
    seed : int
        Non-negative integer; the same seed always gives the same weights.
    distribution : {"uniform", "normal"}, optional
        ``"uniform"`` (default) is PyTorch's default ``Conv2d`` initialisation;
        ``"normal"`` is Kaiming (He) normal for ReLU networks.

    Returns
    -------
    numpy.ndarray
        Float64 weights of the requested shape.

    Raises
    ------
    ValueError
        If ``shape`` is not 2 or 4 positive integers, ``seed`` is negative or
        ``distribution`` is unknown.

    Notes
    -----
    With ``fan_in = C * kH * kW`` (``kH * kW`` for a 2-D kernel):

    - ``"uniform"``: ``w ~ U(-b, b)`` with ``b = 1 / sqrt(fan_in)``. PyTorch's
      ``Conv2d.reset_parameters`` calls ``kaiming_uniform_(w, a=sqrt(5))``,
      whose bound is ``gain * sqrt(3 / fan_in)`` with
      ``gain = sqrt(2 / (1 + a**2)) = sqrt(1/3)``, which is ``1 / sqrt(fan_in)``.
    - ``"normal"``: ``w ~ N(0, 2 / fan_in)`` (``kaiming_normal_``, ReLU gain).

    The numbers differ from PyTorch's for the same seed (different random
    generators); only the distribution is the same.

    Examples
    --------
    >>> w = random_kernel((3, 3), seed=0)
    >>> w.shape, bool(abs(w).max() <= 1 / 3)
    ((3, 3), True)
    >>> bool((random_kernel((3, 3), seed=0) == w).all())
    True
    """
    shape = _kernel_shape(shape)
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer; got {seed!r}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"`distribution` must be 'uniform' or 'normal'; got {distribution!r}")
    fan_in = math.prod(shape[1:]) if len(shape) == 4 else math.prod(shape)
    rng = np.random.default_rng(int(seed))
    if distribution == "uniform":
        bound = 1.0 / math.sqrt(fan_in)
        return rng.uniform(-bound, bound, size=shape)
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)


def _kernel_shape(shape) -> tuple[int, ...]:
    wanted = "`shape` must be (kH, kW) or (F, C, kH, kW) with positive integers"
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"{wanted}; got {shape!r}") from None
    ok = len(dims) in (2, 4) and all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 1 for d in dims
    )
    if not ok:
        raise ValueError(f"{wanted}; got {shape!r}")
    return tuple(int(d) for d in dims)
