"""Batch-normalization lesson: the numbers on the page are vizlib's, computed again here.

Every batch on the page is drawn from documented seeds, so each test rebuilds the
same batches, runs its own ``vizlib.BatchNorm`` and compares with what is shown.
"""

import math
import re

import numpy as np
import pytest

import vizlib
from tests.app.conftest import no_exceptions, open_page
from tests.readers import html_tables, image_captions, scale_captions
from vizlib.conv import format_number

PAGE = "lessons/batchnorm.py"
TOL = 6e-5  # the page shows 4 decimals


def value(text: str) -> float:
    """A number as the page writes it ("−0.4061" with a typographic minus)."""
    return float(text.replace("−", "-").replace(",", ""))


def written(v: float, decimals: int) -> str:
    """``v`` as the page writes it: vizlib's formatting, "−", rounding noise as 0."""
    return format_number(0.0 if abs(v) < 1e-12 else v, decimals).replace("-", "−")


def state(at, label: str) -> str:
    """A cell of part 2's table of the layer's state ("num_batches_tracked", "running_mean"…)."""
    return md_table(at, "num_batches_tracked")[label][0]


def two_batches(at) -> dict[tuple[str, str], str]:
    """Part 2's two-batch table: (row label, "A" or "B") -> cell text.

    The y rows end with the result in bold ("… = **1.1107**"), or say "refused".
    """
    text = "\n".join(m.value for m in at.markdown).splitlines()
    start = next(k for k, t in enumerate(text) if t.startswith("| | Batch A"))
    cells = {}
    for t in text[start + 2 :]:
        if not t.startswith("|"):
            break
        label, a, b = (c.strip() for c in t.strip().strip("|").split(" | "))
        label = label.replace("**", "")
        cells[(label, "A")], cells[(label, "B")] = a, b
    return cells


def bold_result(cell: str) -> float:
    """The number in bold at the end of a worked formula ("… = **1.1107**")."""
    return value(cell.split("**")[-2])


def shown_table(at, corner: str) -> np.ndarray:
    """The exact values of the table headed ``corner`` ("x (input)" or "y (output)").

    Also checks what a student reads: each cell's text is the page's formatting
    of that value (2 decimals for sampled x, else 4).
    """
    found = html_tables(at)
    assert corner in found, f"no table {corner!r}; have {list(found)}"
    table = found[corner]
    decimals = 2 if corner.startswith("x") and table.index[0].startswith("example") else 4
    for row, texts in zip(table.exact, table.shown, strict=True):
        assert texts == [written(v, decimals) for v in row]
    return table.exact


def line_starting(at, start: str) -> str:
    """The first line of the page's markdown that starts with ``start``."""
    lines = [line for m in at.markdown for line in m.value.splitlines()]
    found = [line for line in lines if line.startswith(start)]
    assert found, f"no markdown line starts with {start!r}"
    return found[0]


def md_table(at, first_header: str) -> dict[str, list[str]]:
    """The last markdown table whose header starts with ``first_header``: column -> cells.

    Cells are unescaped (``ui.md.table`` escapes markdown characters with ``\\``).
    """
    text = "\n".join(m.value for m in at.markdown).splitlines()
    unescaped = [re.sub(r"\\(.)", r"\1", t) for t in text]  # ui.md escapes "_" too
    start = max(k for k, t in enumerate(unescaped) if t.startswith(f"| {first_header} |"))
    rows = []
    for t in text[start:]:
        if not t.startswith("|"):
            break
        cells = t.strip().strip("|").split(" | ")
        rows.append([re.sub(r"\\(.)", r"\1", c.strip()) for c in cells])  # ui.md escapes
    header, body = rows[0], rows[2:]
    return {name: [row[k] for row in body] for k, name in enumerate(header)}


def stream_batch(seed, step, size, mean=5.0, spread=2.0, drift=0.0):
    """The page's stream: batch ``step`` is drawn with default_rng([seed, step])."""
    rng = np.random.default_rng([seed, step])
    return rng.normal(mean + drift * (step - 1), spread, size=(size, 1))


@pytest.fixture
def page(app):
    open_page(app, PAGE)
    no_exceptions(app)
    return app


def test_formula_numbers_are_vizlibs(page):
    # The input table on the page, and the same table rebuilt from the seeds.
    x = shown_table(page, "x (input)")  # (M=8, N=3)
    means, spreads = [170.0, 70.0, 35.0], [10.0, 15.0, 12.0]
    rebuilt = np.stack(
        [np.random.default_rng([0, j]).normal(means[j], spreads[j], 8) for j in range(3)], axis=1
    )
    np.testing.assert_allclose(x, np.round(rebuilt, 2))

    bn = vizlib.BatchNorm(3)
    y = bn(x)
    stats = bn.last_stats
    np.testing.assert_allclose(shown_table(page, "y (output)"), y, atol=1e-12)
    # The per-feature statistics and the check, as the page's markdown table.
    table = md_table(page, " ")
    assert table[""] == ["E[x] (mean)", "Var[x] (÷ M)", "√(Var[x] + ε)", "mean of y", "std of y"]
    for name, mean, var in zip(
        ["height (cm)", "weight (kg)", "age (years)"],
        stats.batch_mean,
        stats.batch_var,
        strict=True,
    ):
        column = [value(c) for c in table[name]]
        assert column[0] == pytest.approx(mean, abs=TOL)
        assert column[1] == pytest.approx(var, abs=TOL)
        assert column[2] == pytest.approx(math.sqrt(var + stats.eps), abs=TOL)
        assert column[3:] == [0.0, 1.0]  # mean β = 0, std γ = 1 (to 4 decimals)
    text = line_starting(page, "As text: y =")
    numbers = [value(t) for t in re.findall(r"−?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]
    # y = (x − mean) / √(var + eps) × γ + β = (x − mean) / root × γ + β = **y**
    assert numbers[0] == pytest.approx(x[0, 0])
    assert numbers[1] == pytest.approx(stats.batch_mean[0], abs=TOL)
    assert numbers[2] == pytest.approx(stats.batch_var[0], abs=TOL)
    assert numbers[3] == pytest.approx(stats.eps)
    assert numbers[-1] == pytest.approx(y[0, 0], abs=TOL)

    # The followed cell (example 1, feature 1) is bold, its row and column tinted.
    for table in html_tables(page).values():
        assert table.picked == [(0, 0)]
        assert sorted(table.tinted) == [(0, 1), (0, 2)] + [(r, 0) for r in range(1, 8)]

    # Follow another feature and example: the formula and the highlight follow.
    page.selectbox(key="bn.m.feature").set_value(2)
    page.number_input(key="bn.m.example").set_value(5).run()
    no_exceptions(page)
    assert [t.picked for t in html_tables(page).values()] == [[(4, 2)], [(4, 2)]]
    text = line_starting(page, "As text: y =")
    assert value(text.split("**")[-2]) == pytest.approx(y[4, 2], abs=TOL)
    formula = next(m.value for m in page.markdown if "As text: y =" in m.value)
    latex = formula[formula.index("$$") : formula.rindex("$$")]  # the KaTeX display block
    assert f"{y[4, 2]:.4f}".rstrip("0") in latex


def test_train_k_steps_running_mean_matches_vizlib(page):
    page.button(key="bn.t.train_k").click().run()  # k = 10 by default
    no_exceptions(page)
    bn = vizlib.BatchNorm(1, momentum=0.1)
    for step in range(1, 11):
        bn(stream_batch(0, step, 16))
    assert state(page, "num_batches_tracked") == "10"
    assert value(state(page, "running_mean")) == pytest.approx(bn.running_mean[0], abs=TOL)
    assert value(state(page, "running_var")) == pytest.approx(bn.running_var[0], abs=TOL)
    s = bn.last_stats
    assert value(state(page, "last batch mean")) == pytest.approx(s.batch_mean[0], abs=TOL)
    assert value(state(page, "last batch var (÷(n−1))")) == pytest.approx(
        s.batch_var_unbiased[0], abs=TOL
    )

    # Same actions again continue the same stream: steps 11..15.
    page.slider(key="bn.t.k").set_value(5).run()
    page.button(key="bn.t.train_k").click().run()
    for step in range(11, 16):
        bn(stream_batch(0, step, 16))
    assert state(page, "num_batches_tracked") == "15"
    assert value(state(page, "running_mean")) == pytest.approx(bn.running_mean[0], abs=TOL)

    # The last update is explained with the biased and the unbiased variance.
    s = bn.last_stats
    explained = " ".join(m.value for m in page.markdown)
    assert f"{s.batch_var[0]:.4f}".rstrip("0") in explained
    assert f"{s.batch_var_unbiased[0]:.4f}".rstrip("0") in explained

    page.button(key="bn.t.reset").click().run()
    assert state(page, "num_batches_tracked") == "0"
    assert state(page, "running_mean") == "0" and state(page, "running_var") == "1"
    assert state(page, "last batch mean") == "—"


def test_same_example_two_batches_train_differs_eval_matches(page):
    page.button(key="bn.t.train_k").click().run()
    no_exceptions(page)
    cells = two_batches(page)
    train_a, train_b = (bold_result(cells[("train mode: y", b)]) for b in "AB")
    eval_a, eval_b = (bold_result(cells[("eval mode: y", b)]) for b in "AB")
    assert train_a != train_b
    assert eval_a == eval_b

    bn = vizlib.BatchNorm(1)
    for step in range(1, 11):
        bn(stream_batch(0, step, 16))
    x0 = 5.0 + 2.0  # one spread above the data mean
    batches = {
        name: np.vstack(
            [[[x0]], np.random.default_rng([0, 1_000_000 + which]).normal(5.0, 2.0, (15, 1))]
        )
        for name, which in (("A", 1), ("B", 2))
    }
    assert train_a == pytest.approx(bn.copy().train()(batches["A"])[0, 0], abs=TOL)
    assert train_b == pytest.approx(bn.copy().train()(batches["B"])[0, 0], abs=TOL)
    assert eval_a == pytest.approx(bn.copy().eval()(batches["A"])[0, 0], abs=TOL)
    # The statistics each mode used, written beside the formulas.
    for name in "AB":
        trained = bn.copy().train()
        trained(batches[name])
        mean, var = (
            value(t) for t in cells[("train mode: this batch's mean, biased var", name)].split(", ")
        )
        assert mean == pytest.approx(trained.last_stats.batch_mean[0], abs=TOL)
        assert var == pytest.approx(trained.last_stats.batch_var[0], abs=TOL)
        running = cells[("eval mode: running_mean, running_var", name)].split(", ")
        assert value(running[0]) == pytest.approx(bn.running_mean[0], abs=TOL)
        assert value(running[1]) == pytest.approx(bn.running_var[0], abs=TOL)
    # Showing the comparison did not change the layer.
    assert state(page, "num_batches_tracked") == "10"


def test_batch_size_one_train_refuses_eval_works(page):
    page.slider(key="bn.t.size").set_value(1).run()
    page.button(key="bn.t.train_k").click().run()
    no_exceptions(page)
    errors = " ".join(e.value for e in page.error)
    assert "Expected more than 1 value per channel when training" in errors
    assert state(page, "num_batches_tracked") == "0"
    # Eval mode still normalises the single example with the running statistics.
    cells = two_batches(page)
    eval_a = bold_result(cells[("eval mode: y", "A")])
    assert eval_a == pytest.approx((5.0 + 2.0) / math.sqrt(1 + 1e-5), abs=TOL)
    assert cells[("train mode: y", "A")].startswith("refused")
    assert cells[("train mode: y", "B")].startswith("refused")


def test_cumulative_momentum_none_is_the_mean_of_batch_means(page):
    page.checkbox(key="bn.t.cumulative").check().run()
    page.button(key="bn.t.train_k").click().run()
    no_exceptions(page)
    batch_means = [stream_batch(0, step, 16).mean() for step in range(1, 11)]
    assert value(state(page, "running_mean")) == pytest.approx(np.mean(batch_means), abs=TOL)


def test_invalid_settings_show_a_message_and_the_page_goes_on(page):
    # One example per batch: vizlib's message, no traceback, part 2 still there.
    page.slider(key="bn.m.M").set_value(1).run()
    no_exceptions(page)
    assert any("Expected more than 1 value" in e.value for e in page.error)
    assert state(page, "num_batches_tracked") == "0"

    # A constant feature with eps = 0 divides by zero: vizlib says so.
    page.slider(key="bn.m.M").set_value(8).run()
    page.session_state["bn.m.dist"] = {
        "edited_rows": {0: {"spread (std)": 0.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    page.select_slider(key="bn.m.eps").set_value(0.0).run()
    no_exceptions(page)
    assert any("variance 0" in e.value for e in page.error)

    # A running variance of 0 with eps = 0: eval mode says why instead of crashing.
    page.number_input(key="bn.t.spread").set_value(0.0)
    page.slider(key="bn.t.momentum").set_value(1.0).run()
    page.button(key="bn.t.train_1").click().run()
    page.select_slider(key="bn.t.eps").set_value(0.0).run()
    no_exceptions(page)
    assert any(e.value.startswith("Eval mode:") for e in page.error)

    # An emptied cell keeps the last valid value, with a warning.
    page.select_slider(key="bn.m.eps").set_value(1e-5).run()
    page.session_state["bn.m.dist"] = {
        "edited_rows": {0: {"γ": None}},
        "added_rows": [],
        "deleted_rows": [],
    }
    page.run()
    no_exceptions(page)
    assert any("last valid value" in w.value for w in page.warning)


def test_image_sources(page):
    page.radio(key="bn.m.source").set_value("Pixels of the current image").run()
    no_exceptions(page)
    x = shown_table(page, "x (input)")  # (M, N) filter responses
    y = vizlib.BatchNorm(x.shape[1])(x)
    text = line_starting(page, "As text: y =")
    assert value(text.split("**")[-2]) == pytest.approx(y[0, 0], abs=TOL)

    # Part 3 with the sample photos as the batch: the current photo and the 4 others.
    page.radio(key="bn.i.source").set_value("The current image and the sample photos").run()
    no_exceptions(page)
    shown = " ".join(m.value for m in page.markdown)
    assert "(N, C, H, W) = (5, 3, 128, 128)" in shown

    # Part 3 on the tutorial grid and with a fresh layer: still no traceback.
    page.radio(key="bn.i.source").set_value("Augmented copies of the current image").run()
    page.sidebar.selectbox(key="source.kind").set_value("Tutorial 5×5 grid").run()
    page.slider(key="bn.i.K").set_value(0).run()
    no_exceptions(page)
    shown = " ".join(m.value for m in page.markdown)
    assert "(N, C, H, W) = (8, 3, 4, 4)" in shown


def rebuilt_layer_and_maps(page) -> tuple:
    """Part 3's defaults rebuilt from the documented seeds: the layer after 20 training
    batches and the feature maps (N, C, S, S) of the batch shown."""
    from ui.state import CURRENT_IMAGE

    gray = page.session_state[CURRENT_IMAGE].gray
    small = vizlib.images.resize_image(gray, 160)
    rows, cols = small.shape
    side = int(0.8 * min(rows, cols))
    kernels = ["box_blur_3", "vertical_edge", "edge_detector"]
    weights = np.stack([vizlib.KERNELS[k].weights for k in kernels])[:, None]  # (3, 1, 3, 3)

    def batch(step, n=8):
        rng = np.random.default_rng([0, step])
        out = []
        for _ in range(n):
            r, c = int(rng.integers(0, rows - side + 1)), int(rng.integers(0, cols - side + 1))
            mirror, factor = rng.random() < 0.5, float(rng.uniform(0.5, 1.5))
            crop = small[r : r + side, c : c + side]
            out.append((crop[:, ::-1] if mirror else crop) * factor)
        return np.stack(out)[:, None].astype(np.float32)  # (N, 1, S, S)

    bn = vizlib.BatchNorm(3)
    for step in range(1, 21):
        bn(vizlib.conv2d(batch(step), weights, padding=1))
    return bn, vizlib.conv2d(batch(0), weights, padding=1)


def test_batchnorm2d_statistics_match_a_rebuilt_batch(page):
    """Part 3: rebuild the augmented batches from the documented seeds and compare."""
    bn, maps = rebuilt_layer_and_maps(page)
    shown = bn.copy()
    shown(maps)  # train mode on the batch shown
    table = {
        k: [value(c) for c in v] for k, v in md_table(page, "channel").items() if k != "channel"
    }
    np.testing.assert_allclose(table["batch mean"], shown.last_stats.batch_mean, atol=TOL)
    np.testing.assert_allclose(table["batch var (÷ N·H·W)"], shown.last_stats.batch_var, atol=TOL)
    np.testing.assert_allclose(table["running_mean"], bn.running_mean, atol=TOL)
    np.testing.assert_allclose(table["running_var"], bn.running_var, atol=TOL)
    assert table["values per channel (N·H·W)"] == [maps.shape[0] * maps[0, 0].size] * 3


@pytest.mark.parametrize("boost", [False, True])
def test_train_and_eval_maps_share_a_scale_that_follows_boost(app, boost):
    """Part 3's y maps (image 1, channel 0): one limit, max|y| or its 99th percentile."""
    from vizlib.conv import format_number

    app.session_state["present.boost"] = boost
    open_page(app, PAGE)
    no_exceptions(app)
    bn, maps = rebuilt_layer_and_maps(app)
    y_t = bn.copy().train()(maps)[0, 0]  # (S, S)
    y_e = bn.copy().eval()(maps)[0, 0]
    both = np.abs(np.stack([y_t, y_e]))  # (2, S, S)
    limit = format_number(np.percentile(both, 99) if boost else np.max(both))
    assert format_number(np.percentile(both, 99)) != format_number(np.max(both))  # they differ
    train, evaluated = scale_captions(app)[-2:]  # under the train and the eval map
    for caption in (train, evaluated):
        assert re.search(rf"→ (≥ )?{re.escape(limit)}\b", caption), caption
    saturating = [c for c in (train, evaluated) if "colours saturate beyond" in c]
    if boost:
        assert saturating and all("(the shared limit: the 99th percentile" in c for c in saturating)
    else:
        assert not saturating


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"mean": 3e16, "spread (std)": 1.0}, None),  # one float step there is 4: binned anyway
        ({"β": 3e16}, None),
        ({"γ": 1.7e308}, "too large for a float"),  # γ · x̂ overflows: a message, not a chart
    ],
)
def test_huge_table_values_give_a_page_or_a_message_never_a_traceback(page, edit, message):
    page.session_state["bn.m.dist"] = {
        "edited_rows": {0: edit},
        "added_rows": [],
        "deleted_rows": [],
    }
    page.run()
    no_exceptions(page)
    errors = " ".join(e.value for e in page.error)
    if message is None:
        assert not errors
        assert any("Before: x" in str(c.proto) for c in page.get("vega_lite_chart"))
    else:
        assert message in errors and "γ = 1.7e+308" in errors
    assert state(page, "num_batches_tracked") == "0"  # part 2 is still drawn


def test_presentation_mode_part_3_short_captions_and_the_scales_once(app):
    """A projector: short names with shape, min and max; both colour scales in one note."""
    app.session_state["present.on"] = True
    app.session_state["present.boost"] = True
    open_page(app, PAGE)
    no_exceptions(app)
    bn, maps = rebuilt_layer_and_maps(app)
    y_t = bn.copy().train()(maps)[0, 0]
    captions = image_captions(app)[-3:]
    assert [c.split(" (")[0] for c in captions] == [
        "Before: x: image 1, channel 0",
        "Train mode: y",
        "Eval mode: y",
    ]
    assert captions[1].endswith(f"min {format_number(y_t.min())}, max {format_number(y_t.max())})")
    assert not [c for c in captions if "olour" in c]
    (note,) = [c.value for c in app.caption if c.value.startswith("x: colour scale")]
    assert "\ny (both): colour scale" in note
