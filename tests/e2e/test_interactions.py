"""The key interactions, done as a student does them in a real browser.

Uploads go through the sidebar's file input; the kernel grid (a canvas) is
edited by double-clicking a cell and typing; the window is stepped with the
page's buttons and with the in-browser player; the batch-norm page trains and
compares train and eval mode. Every check compares what the page shows before
and after, and, where a number is written, the number vizlib computes.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import vizlib
from tests import badfiles as bf
from tests.e2e.conftest import (
    choose_source,
    code_blocks,
    exception_count,
    image_src,
    open_page,
    screenshot,
    shown_text,
    sidebar_captions,
    upload,
    wait_idle,
    wait_until,
)

pytestmark = pytest.mark.e2e


def _step_text(page) -> str:
    """The written sum of the step section: the page's first code block holding a sum."""
    return next((t.strip() for t in code_blocks(page) if "×" in t and " = " in t), "")


def _in_use(page) -> str:
    return shown_text(page.get_by_text(re.compile(r"^In use: ")).first)


@pytest.fixture(scope="module")
def conv(browser, server_url):
    """One student on the convolution lesson for the three tests below, in file order:
    a kernel edit (the edge detector on the sample photo), stepping (the tutorial's
    grid, which its button loads), uploads (whatever is shown before them)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    open_page(page, server_url, "convolution")
    yield page
    context.close()


def test_editing_a_kernel_cell_changes_the_result(conv):
    page = conv
    assert "weights sum to 0" in _in_use(page)  # the edge detector: 8 in the middle, −1 around
    before_map, before_sum = image_src(page), _step_text(page)

    grid = page.get_by_test_id("stDataFrame").first  # the kernel grid: a canvas
    box = grid.bounding_box()
    row_height = box["height"] / 4  # header + 3 rows
    centre = {"x": box["width"] * 0.6, "y": row_height * 2.5}  # row 2, column 2
    grid.click(position=centre)
    page.wait_for_timeout(150)
    grid.dblclick(position=centre)  # opens the cell's editor: a textarea over the canvas
    editor = page.locator("textarea.gdg-input")
    editor.wait_for(timeout=5_000)
    editor.fill("5")
    editor.press("Enter")
    wait_until(page, lambda: "weights sum to -3" in _in_use(page), what="kernel edited")

    assert "edited from" in _in_use(page)
    assert image_src(page) != before_map
    after_sum = _step_text(page)
    assert after_sum != before_sum and "×5" in after_sum
    assert "×8" not in after_sum
    assert exception_count(page) == 0


def test_stepping_the_window_changes_the_written_sum(conv):
    page = conv
    page.get_by_role("button", name="Show the tutorial's example").click()
    wait_until(page, lambda: _step_text(page).endswith("= 6"), what="the tutorial's 6")
    grid = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)
    kernel = vizlib.KERNELS["vertical_edge"].weights

    sums = [_step_text(page)]
    for col in (1, 2):  # the page's Next button: the server reruns with the next window
        page.get_by_role("button", name="Next ▶").click()
        wait_until(page, lambda s=sums[-1]: _step_text(page) != s, what="next window")
        sums.append(_step_text(page))
        assert sums[-1] == vizlib.conv_step(grid, kernel, 0, col).expression(order="columns")
    page.get_by_role("button", name="◀ Previous").click()
    wait_until(page, lambda: _step_text(page) == sums[1], what="previous window")

    # the in-browser player steps without a rerun: its written result changes
    player = page.locator(".player")  # an in-page component (open shadow root)
    headline = player.locator("#where")  # "Output row r, column c = value"
    first = shown_text(headline)
    player.locator("#next").click()
    wait_until(page, lambda: headline.inner_text() != first, what="the player's next step")
    step = vizlib.conv_step(grid, kernel, 0, 2)
    assert headline.inner_text().endswith(f"= {vizlib.conv.format_number(step.total)}")

    # a click on a feature-map cell in the player chooses that position on the page
    player.locator("#out .cell[data-r='2'][data-c='1']").click()
    wait_until(page, lambda: _position(page) == (2, 1), what="the clicked output cell")
    wait_until(
        page,
        lambda: (
            _step_text(page) == vizlib.conv_step(grid, kernel, 2, 1).expression(order="columns")
        ),
        what="the clicked cell's sum",
    )
    # a click on an input pixel: the window centred on it (input (1, 3) -> output (0, 2))
    player.locator("#in .cell[data-r='1'][data-c='3']").click()
    wait_until(page, lambda: _position(page) == (0, 2), what="the window around the click")
    assert _step_text(page) == vizlib.conv_step(grid, kernel, 0, 2).expression(order="columns")

    # pointing previews a position in the player at once, with vizlib's sum, and no rerun
    wait_idle(page)
    wait_until(page, lambda: "row 0, column 2 =" in headline.inner_text(), what="player follows")
    expr = player.locator("#expr")
    for r, c in ((2, 0), (1, 1)):
        player.locator(f"#out .cell[data-r='{r}'][data-c='{c}']").hover()
        _until_shown(headline, f"row {r}, column {c} =")
        assert expr.inner_text() == vizlib.conv_step(grid, kernel, r, c).expression(order="columns")
    # on the input: the window centred on the pixel pointed at (input (3, 1) -> output (2, 0))
    player.locator("#in .cell[data-r='3'][data-c='1']").hover()
    _until_shown(headline, "row 2, column 0 =")
    assert _position(page) == (0, 2)  # the page has not moved
    page.mouse.move(5, 5)  # away from the player: back to the page's position
    _until_shown(headline, "row 0, column 2 =")
    # a click keeps what was previewed
    player.locator("#out .cell[data-r='1'][data-c='2']").click()
    wait_until(page, lambda: _position(page) == (1, 2), what="the previewed cell kept")
    assert exception_count(page) == 0


def _until_shown(locator, text: str, timeout: float = 10) -> None:
    """Poll until ``text`` is in the locator's text, without scrolling or moving the
    pointer (``wait_until`` scrolls to the end, which ends a preview)."""
    deadline = time.monotonic() + timeout
    while text not in locator.inner_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {text!r}; shown {locator.inner_text()!r}")
        locator.page.wait_for_timeout(50)


def _position(page) -> tuple[int, int]:
    """The page's output row and column inputs."""
    main = page.get_by_test_id("stMain")
    return tuple(
        int(main.locator(f'input[aria-label="{label}"]').first.input_value())
        for label in ("Output row", "Output column")
    )


def test_pointing_anywhere_on_a_photo_loads_and_previews_that_window(browser, server_url):
    """The player holds a few hundred positions; pointing far away asks the server for
    that block of frames (a fragment rerun) and previews it; a click keeps it, and the
    page's own written sum (vizlib's) is the one previewed."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    open_page(page, server_url, "convolution")
    player = page.locator(".player")
    headline, expr = player.locator("#where"), player.locator("#expr")
    out = player.locator("#out")
    out.scroll_into_view_if_needed()
    box = out.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.6)
    deadline = time.monotonic() + 20
    while "row 0, column 0 =" in headline.inner_text():  # the first block: row 0 only
        assert time.monotonic() < deadline, "the pointed position was never loaded"
        page.wait_for_timeout(50)
    where = headline.inner_text()
    row, col = (int(n) for n in re.findall(r"\d+", where.split("=")[0]))
    assert row > 100 and col > 80  # the middle of the 254×216 map, far from row 0
    previewed = expr.inner_text()
    assert _position(page) == (0, 0)  # pointing does not move the page
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.6)
    wait_until(page, lambda: _position(page) == (row, col), what="the previewed position kept")
    assert _step_text(page) == previewed  # vizlib's sum, written by the page
    assert exception_count(page) == 0
    context.close()


def test_stepping_past_the_loaded_block_loads_the_next(browser, server_url):
    """The player holds one block of 128 positions; stepping near its end asks for the next
    block, and stepping goes on into it without the page moving."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    open_page(page, server_url, "convolution")
    column = page.get_by_test_id("stMain").locator('input[aria-label="Output column"]').first
    column.fill("120")  # position 121 of the first block (0 to 127)
    column.press("Enter")
    player = page.locator(".player")
    headline = player.locator("#where")
    wait_until(page, lambda: "row 0, column 120 =" in headline.inner_text(), what="position 120")
    for col in range(121, 132):  # past 127, the end of the block the page sent
        player.locator("#next").click()
        _until_shown(headline, f"row 0, column {col} =")
    assert _position(page) == (0, 120)  # the page has not moved
    page.get_by_test_id("stMain").locator('input[aria-label="Output column"]').first.fill("131")
    page.get_by_test_id("stMain").locator('input[aria-label="Output column"]').first.press("Enter")
    wait_until(page, lambda: _position(page) == (0, 131), what="the page at column 131")
    assert headline.inner_text().endswith(_step_text(page).rsplit(" = ", 1)[1])  # same total
    assert exception_count(page) == 0
    context.close()


def test_png_and_jpeg_uploads_change_the_feature_map(conv, tmp_path):
    page = conv
    wait_until(page, lambda: image_src(page), what="the feature map")
    sample_map = image_src(page)  # the sample photo's, or the grid's after the test above
    choose_source(page, "Upload")

    png = tmp_path / "my drawing.png"
    png.write_bytes(bf.png(bf.gradient(60, 80, seed=1)))
    upload(page, png)
    wait_until(page, lambda: "Your upload: 60×80" in sidebar_captions(page), what="PNG loaded")
    png_map = image_src(page)
    assert png_map and png_map != sample_map

    jpeg = tmp_path / "holiday.jpg"
    jpeg.write_bytes(bf.jpeg(bf.gradient(50, 70, seed=2, rgb=True)))
    upload(page, jpeg)
    wait_until(page, lambda: "Your upload: 50×70" in sidebar_captions(page), what="JPEG loaded")
    jpeg_map = image_src(page)
    assert jpeg_map and jpeg_map not in (sample_map, png_map)
    assert "Feature map (48×68" in page.get_by_test_id("stImage").all_inner_texts()[1]
    assert exception_count(page) == 0
    screenshot(page, "interaction-upload-jpeg")


def _bn_cell(page, has_text: str, column: str, row: str | None = None) -> str:
    """A cell of the batch-norm page's markdown table holding ``has_text``: the column whose
    header starts with ``column``, the row whose first cell starts with ``row`` (None: the
    first row)."""
    table = page.locator("table").filter(has_text=has_text).first
    shown_text(table)
    return table.evaluate(
        """(t, [row, column]) => {
            const heads = [...t.querySelectorAll('thead th')].map(h => h.innerText.trim());
            const c = heads.findIndex(h => h.startsWith(column));
            const rows = [...t.querySelectorAll('tbody tr')];
            const r = row === null ? rows[0]
                : rows.find(tr => tr.cells[0].innerText.trim().startsWith(row));
            return r && c >= 0 ? r.cells[c].innerText.trim() : '';
        }""",
        [row, column],
    )


def _bn_y(page, mode: str, batch: str) -> float:
    """The result of the two-batch table's worked formula ("… = 1.1107"), or NaN if refused."""
    text = _bn_cell(page, "Batch A", f"Batch {batch}", f"{mode} mode: y")
    return _bn_number(text.rsplit("= ", 1)[-1]) if "= " in text else float("nan")


def _bn_number(text: str) -> float:
    return float(text.replace("−", "-"))


def test_batchnorm_switches_between_train_and_eval(page, server_url):
    """Train and eval mode on one example in two batches, before and after 10 training
    steps, against vizlib.BatchNorm run on the page's documented seeds."""
    tol = 6e-5  # the page shows 4 decimals
    x0 = 5.0 + 2.0  # the default data mean plus one spread
    batches = {
        name: np.vstack(
            [[[x0]], np.random.default_rng([0, 1_000_000 + k]).normal(5.0, 2.0, (15, 1))]
        )
        for k, name in ((1, "A"), (2, "B"))
    }  # (16, 1) each: the followed example, then its batch-mates
    bn = vizlib.BatchNorm(1)
    open_page(page, server_url, "batchnorm")
    state = "num_batches_tracked"
    assert _bn_cell(page, state, state) == "0"
    train_a, eval_a = _bn_y(page, "train", "A"), _bn_y(page, "eval", "A")
    train_b, eval_b = _bn_y(page, "train", "B"), _bn_y(page, "eval", "B")
    assert train_a != train_b  # train mode: the output depends on the batch
    assert eval_a == eval_b  # eval mode: one output, whatever the batch
    assert train_a == pytest.approx(bn.copy().train()(batches["A"])[0, 0], abs=tol)
    assert eval_a == pytest.approx(bn.copy().eval()(batches["A"])[0, 0], abs=tol)

    page.get_by_role("button", name="Train 10 steps").click()
    wait_until(page, lambda: _bn_cell(page, state, state) == "10", what="10 steps")
    for step in range(1, 11):  # the page's stream: batch `step` from default_rng([0, step])
        bn(np.random.default_rng([0, step]).normal(5.0, 2.0, (16, 1)))
    running_mean = _bn_number(_bn_cell(page, state, "running_mean"))
    assert running_mean == pytest.approx(bn.running_mean[0], abs=tol)
    # train mode uses this batch's statistics: unchanged; eval mode uses the running ones
    assert _bn_y(page, "train", "A") == train_a
    new_eval = _bn_y(page, "eval", "A")
    assert new_eval != eval_a and new_eval == _bn_y(page, "eval", "B")
    assert new_eval == pytest.approx(bn.copy().eval()(batches["A"])[0, 0], abs=tol)
    assert exception_count(page) == 0
    wait_idle(page)
