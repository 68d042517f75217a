"""AppTest: the "Why convolutions" lesson shows the numbers vizlib and NumPy compute.

Each test recomputes what the page claims (changed entries, distance, the
equivariance difference, parameter counts) from the same inputs and finds the
result on the page.
"""

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import vizlib
from tests.app.conftest import no_exceptions, open_page
from tests.readers import scale_captions
from vizlib.conv import format_number

PAGE = "lessons/why_convolutions.py"


def _unescape(cell: str) -> str:
    return re.sub(r"\\(.)", r"\1", cell.strip())


def metric(at: AppTest, label_start: str) -> str:
    """A figure from the page's one-row markdown tables (label row, rule, value row)."""
    found = []
    for m in at.markdown:
        lines = [line for line in m.value.splitlines() if line.startswith("| ")]
        for i in range(len(lines) - 2):
            if set(lines[i + 1]) <= set("|-: "):
                heads = [_unescape(c) for c in re.split(r"(?<!\\)\|", lines[i])[1:-1]]
                values = [_unescape(c) for c in re.split(r"(?<!\\)\|", lines[i + 2])[1:-1]]
                assert len(heads) == len(values), (heads, values)
                found += [
                    v for h, v in zip(heads, values, strict=True) if h.startswith(label_start)
                ]
    assert len(found) == 1, (label_start, found)
    return found[0]


def shifted(x: np.ndarray, rows: int, cols: int, fill: str) -> np.ndarray:
    """Reference shift: pad with zeros and cut, or roll."""
    if fill == "circular":
        return np.roll(x, (rows, cols), axis=(0, 1))
    h, w = x.shape
    big = np.zeros((h + 2 * abs(rows), w + 2 * abs(cols)), dtype=x.dtype)
    big[abs(rows) + rows : abs(rows) + rows + h, abs(cols) + cols : abs(cols) + cols + w] = x
    return big[abs(rows) : abs(rows) + h, abs(cols) : abs(cols) + w]


def center_crop(gray: np.ndarray, size: int) -> np.ndarray:
    h, w = gray.shape
    size = min(size, h, w)
    top, left = (h - size) // 2, (w - size) // 2
    return gray[top : top + size, left : left + size]


def expected(x, rows, cols, fill, kernel):
    v, vs = x.ravel(), shifted(x, rows, cols, fill).ravel()
    mode = "circular" if fill == "circular" else "zeros"
    fmap = vizlib.conv2d(x, kernel, padding="same", padding_mode=mode)
    fmap_s = vizlib.conv2d(shifted(x, rows, cols, fill), kernel, padding="same", padding_mode=mode)
    diff = fmap_s.astype(np.float64) - shifted(fmap, rows, cols, fill).astype(np.float64)
    tol = 1e-5 * max(1.0, float(np.abs(fmap).max()))
    return {
        "changed": int(np.count_nonzero(v != vs)),
        "distance": float(np.linalg.norm(vs.astype(np.float64) - v.astype(np.float64))),
        "max_diff": float(np.abs(diff).max()),
        "n_diff": int(np.count_nonzero(np.abs(diff) > tol)),
        "size": v.size,
    }


@pytest.fixture
def page(app) -> AppTest:
    return open_page(app, PAGE)


def test_default_crop_numbers_match(page):
    no_exceptions(page)
    gray = np.asarray(page.session_state["source.current"].gray, dtype=np.float32)
    x = center_crop(gray, 8)
    want = expected(x, 1, 2, "zeros", vizlib.KERNELS["edge_detector"].weights)
    assert metric(page, f"Entries that changed (of {want['size']:,})") == f"{want['changed']:,}"
    assert metric(page, "Euclidean distance") == format_number(want["distance"])
    assert metric(page, "Max |conv(shift(x))") == format_number(want["max_diff"])
    assert metric(page, "Cells that differ") == f"{want['n_diff']:,} of {want['size']:,}"
    # Away from the border the maps agree: translation equivariance.
    assert metric(page, "Max away from the border") == "0"


def test_mlp_example_flattening(page):
    example = np.asarray(vizlib.MLP_EXAMPLE)
    moved = shifted(example, 0, 1, "zeros")
    n = int(np.count_nonzero(example.ravel() != moved.ravel()))
    text = " ".join(m.value for m in page.markdown)
    assert f"**{n} of 9**" in text
    assert "[1, 1, 0, 4, 2, 1, 0, 2, 1]" in text


def test_circular_shift_is_exactly_equivariant(page):
    page.radio(key="why.fill").set_value("circular").run()
    no_exceptions(page)
    assert metric(page, "Cells that differ").startswith("0 of")
    assert page.success, "the page says the maps are equal everywhere"


def test_whole_image_numbers_match(page):
    page.radio(key="why.where").set_value("image")
    page.slider(key="why.rows").set_value(-3)
    page.slider(key="why.cols").set_value(5).run()
    no_exceptions(page)
    x = np.asarray(page.session_state["source.current"].gray, dtype=np.float32)
    want = expected(x, -3, 5, "zeros", vizlib.KERNELS["edge_detector"].weights)
    assert metric(page, f"Entries that changed (of {want['size']:,})") == f"{want['changed']:,}"
    assert metric(page, "Euclidean distance") == format_number(want["distance"])
    assert metric(page, "Max |conv(shift(x))") == format_number(want["max_diff"])
    assert metric(page, "Cells that differ") == f"{want['n_diff']:,} of {want['size']:,}"
    assert want["n_diff"] < want["size"] // 10  # only a border band differs


def test_parameter_counts(page):
    h, w = page.session_state["source.current"].gray.shape
    conv_out = 8 * vizlib.output_size(h, 3, padding=1) * vizlib.output_size(w, 3, padding=1)
    assert metric(page, "Dense layer parameters") == f"{h * w * conv_out + conv_out:,}"
    assert metric(page, "3×3 convolution parameters") == f"{8 * 1 * 9 + 8:,}"

    page.slider(key="why.filters").set_value(16)
    page.radio(key="why.units_mode").set_value("custom").run()
    page.number_input(key="why.units").set_value(1000).run()
    no_exceptions(page)
    assert metric(page, "Dense layer parameters") == f"{h * w * 1000 + 1000:,}"
    assert metric(page, "3×3 convolution parameters") == f"{16 * 9 + 16:,}"
    mb = (h * w * 1000 + 1000) * 4 / 1e6
    assert metric(page, "Dense weights in memory").startswith(format_number(mb))


def test_rgb_counts_three_channels(page):
    page.session_state["source.color"] = "RGB"
    page.run()
    no_exceptions(page)
    h, w = page.session_state["source.current"].pixels.shape[:2]
    assert metric(page, "3×3 convolution parameters") == f"{8 * 3 * 9 + 8:,}"
    units = 8 * h * w  # "same" padding keeps H×W
    assert metric(page, "Dense layer parameters") == f"{h * w * 3 * units + units:,}"


def test_tutorial_grid_and_an_oversized_kernel(page):
    page.session_state["source.kind"] = "Tutorial 5×5 grid"
    page.run()
    no_exceptions(page)
    x = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)
    want = expected(x, 1, 2, "zeros", vizlib.KERNELS["edge_detector"].weights)
    assert metric(page, "Entries that changed (of 25)") == f"{want['changed']}"
    assert metric(page, "Max |conv(shift(x))") == format_number(want["max_diff"])


def test_oversized_kernel_shows_a_message(page):
    # An 11×11 kernel with circular padding on a 4×4 crop cannot work: message, no traceback.
    page.slider(key="why.crop").set_value(4)
    page.radio(key="why.fill").set_value("circular").run()
    page.number_input(key="why.kernel.rows").set_value(11).run()
    page.number_input(key="why.kernel.cols").set_value(11).run()
    no_exceptions(page)
    x = center_crop(np.asarray(page.session_state["source.current"].gray, np.float32), 4)
    with pytest.raises(ValueError) as refused:
        vizlib.conv2d(x, np.zeros((11, 11)), padding="same", padding_mode="circular")
    assert any(str(refused.value) in e.value for e in page.error), [e.value for e in page.error]
    # The rest of the page still works.
    assert metric(page, "Entries that changed (of 16)") == "16"
    assert metric(page, "3×3 convolution parameters") == "80"


# ---------------------------------------------------------------- boost map contrast


def both_maps(x, rows, cols, fill="zeros"):
    """|conv(x)| and |conv(shift(x))| stacked: the values the shared colour limit covers."""
    kernel = vizlib.KERNELS["edge_detector"].weights
    fmap = vizlib.conv2d(x, kernel, padding="same")
    fmap_s = vizlib.conv2d(shifted(x, rows, cols, fill), kernel, padding="same")
    return np.abs(np.stack([fmap, fmap_s]))  # (2, h, w)


@pytest.mark.parametrize("boost", [False, True])
def test_whole_image_maps_share_a_scale_that_follows_boost(app, boost):
    app.session_state["present.boost"] = boost
    open_page(app, PAGE)
    app.radio(key="why.where").set_value("image").run()
    no_exceptions(app)
    x = np.asarray(app.session_state["source.current"].gray, dtype=np.float32)
    both = both_maps(x, 1, 2)
    limit = format_number(np.percentile(both, 99) if boost else np.max(both))
    assert format_number(np.percentile(both, 99)) != format_number(np.max(both))
    scales = scale_captions(app)
    assert len(scales) == 4  # conv(x), conv(shift(x)), shift(conv(x)), the difference
    for caption in scales:
        assert re.search(rf"→ (≥ )?{re.escape(limit)}\b", caption), caption
    if boost:  # the two maps with the max saturate and say so
        saturating = [c for c in scales[:2] if "colours saturate beyond" in c]
        assert saturating and all("(the shared limit: the 99th percentile" in c for c in saturating)


def test_crop_grids_follow_boost_and_say_where_colours_saturate(app):
    app.session_state["present.boost"] = True
    open_page(app, PAGE)
    no_exceptions(app)
    gray = np.asarray(app.session_state["source.current"].gray, dtype=np.float32)
    both = both_maps(center_crop(gray, 8), 1, 2)
    limit = format_number(np.percentile(both, 99))
    caption = next(m.value for m in app.markdown if "Feature maps on a diverging" in m.value)
    assert f"shared limits ±{limit}; colours saturate beyond ±{limit}" in caption
    assert f"the max |value| is {format_number(np.max(both))}" in caption
