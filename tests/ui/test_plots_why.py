"""Number grids drawn as HTML: every number fits its cell; sizes follow presentation mode."""

import re
from pathlib import Path

import numpy as np
import pytest
import streamlit
from PIL import ImageFont

from ui import plots_volumes, plots_why, presentation

# The font the page draws the grids in: Streamlit's Source Sans (a variable font).
_FONTS = Path(streamlit.__file__).parent / "static" / "static" / "media"
MARGIN_EM = 0.6  # room left beside the longest text: borders, the red outline, some air


@pytest.fixture(scope="module")
def source_sans() -> ImageFont.FreeTypeFont:
    (path,) = _FONTS.glob("SourceSansVF-Upright*.woff2")
    font = ImageFont.truetype(str(path), 1000)
    font.set_variation_by_axes([400])  # the cells' weight
    return font


def width_em(font: ImageFont.FreeTypeFont, text: str) -> float:
    """The text's real advance width in em, tabular figures as the grid asks for."""
    return font.getlength(text, features=["tnum"]) / 1000


def cells(html: str) -> list[str]:
    """Every cell's text (cells are the square divs)."""
    return re.findall(r'aspect-ratio:1[^"]*">([^<]*)</div>', html)


def column_widths(html: str) -> list[float]:
    """The cell width (em) of every grid or vector row in the HTML."""
    return [float(w) for w in re.findall(r"repeat\(\d+,([\d.]+)em\)", html)]


@pytest.mark.parametrize("text", ["0", "7", "0.52", "−0.52", "−1.11", "−12.35", "123.45", "(2,2)"])
def test_estimated_width_is_never_below_the_real_one(source_sans, text):
    assert plots_why.text_em(text) >= width_em(source_sans, text) - 1e-3


def test_conv_shift_grid_cells_fit_their_longest_number(source_sans):
    """The reviewer's grid: −0.52 touched the border, −1.11 was clipped."""
    rng = np.random.default_rng(3)
    values = rng.normal(0, 1.5, size=(8, 8))
    values[0, 1:] = [-0.52, -1.05, -1.59, -1.64, -1.69, -1.68, -1.11]
    html = plots_why.grid_html(values, decimals=2, cmap="RdBu_r", marked=values < 0)
    (side,) = column_widths(html)
    texts = cells(html)
    assert len(texts) == 64 and "−1.11" in texts
    longest = max(width_em(source_sans, t) for t in texts)
    assert side >= longest + MARGIN_EM


@pytest.mark.parametrize("decimals", [0, 2])
def test_wide_numbers_get_wider_cells(source_sans, decimals):
    small = plots_why.grid_html(np.array([[1.0, 2.0], [3.0, 4.0]]), decimals=decimals)
    wide = plots_why.grid_html(np.array([[-123.25, 2.0], [3.0, 4.0]]), decimals=decimals)
    (s_small,), (s_wide,) = column_widths(small), column_widths(wide)
    assert s_wide > s_small
    assert s_wide >= max(width_em(source_sans, t) for t in cells(wide)) + MARGIN_EM


def test_vector_strip_cells_fit_numbers_and_index_labels(source_sans):
    before = np.linspace(-2.5, 2.5, 40)
    after = np.roll(before, 3)
    html = plots_why.vector_strip_html(before, after, decimals=2)
    widths = set(column_widths(html))
    assert len(widths) == 1  # every line shares one cell size
    (side,) = widths
    longest = max(width_em(source_sans, t) for t in cells(html))
    assert side >= longest + MARGIN_EM
    assert side >= 0.8 * width_em(source_sans, "39")  # the index labels, drawn at 0.8 em


def test_flattened_vector_fits_its_row_column_labels(source_sans):
    html = plots_why.flatten_html(np.arange(9).reshape(3, 3), title="t", vector_title="v")
    vector_side = column_widths(html)[-1]
    assert vector_side >= 0.8 * width_em(source_sans, "(2,2)")


def test_grid_sizes_are_relative_so_presentation_mode_scales_them():
    """Cells in em, fonts from CSS variables in rem: no pixel sizes that would stay small."""
    html = plots_why.grid_html(np.ones((3, 3)))
    assert "px;" not in re.sub(r"(border|box-shadow)[^;]*;", "", html)  # only hairlines in px
    assert "var(--grid-font" in html and "var(--grid-min-font" in html
    style = presentation.STYLE
    sizes = dict(re.findall(r"--(grid-font|grid-min-font): ([\d.]+)rem", style))
    assert float(sizes["grid-font"]) >= 1.0  # the page's text size on a projector (21 px)
    assert float(sizes["grid-min-font"]) >= 0.8  # ~17 px at least, then wrap or scroll


def test_side_by_side_lets_grids_wrap_instead_of_squeezing():
    grids = [plots_why.grid_html(np.ones((8, 8)) * -1.11) for _ in range(3)]
    row = plots_why.side_by_side(grids)
    assert "flex-wrap:wrap" in row
    # Each grid asks for its size at the smallest font and stops growing at its full size.
    assert row.count("flex:1 1 calc(") == 3 and row.count("max-width:calc(") == 3


def test_volume_step_and_filters_use_the_same_sized_grids(source_sans):
    rng = np.random.default_rng(0)
    window = rng.random((3, 3, 3))
    weights = rng.normal(size=(3, 3, 3))
    products = window * weights
    html = plots_volumes.step_html(
        window, weights, products, products.sum(axis=(1, 2)), ("R", "G", "B"),
        np.zeros((3, 3), bool), 2,
    )  # fmt: skip
    grids = html.split("container-type:inline-size")[1:]
    assert len(grids) == 9  # window, kernel, products per channel
    for grid in grids:
        (side,) = column_widths(grid)
        assert side >= max(width_em(source_sans, t) for t in cells(grid)) + MARGIN_EM
    filters = plots_volumes.filters_html([(weights, 0.5, "Filter 1")], ("R", "G", "B"))
    assert filters.count("flex:0 0 calc(") == 3  # a filter's kernels keep their full size


@pytest.mark.parametrize(
    ("values", "decimals"),
    [
        ([[1, 0, -1]], 0),
        ([[0.25, 0.5]], 2),
        ([[1 / 9, 2 / 9]], 2),
        ([[1 / 256, 24 / 256]], 3),  # a 5×5 Gaussian's corner is not "0.00"
        ([[1e-5, 1.0]], 4),
    ],
)
def test_automatic_decimals_never_show_a_nonzero_weight_as_zero(values, decimals):
    assert plots_why.auto_decimals(np.array(values)) == decimals
