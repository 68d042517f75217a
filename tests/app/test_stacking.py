"""AppTest: the "Activation and stacking" lesson (pipeline, maps, activations, receptive field).

Every number checked here is recomputed with vizlib from the same inputs: the
default pipeline is conv (4 random filters, seed 0, padding 1) → ReLU → max pool
2×2 → conv (4 random filters, seed 1, padding 1) on the sidebar's image.
"""

import json
import re

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import vizlib
from tests.app.conftest import no_exceptions, open_page
from ui import plots_stacking
from ui.pipeline import ACTIVATION_NAMES as NAMES
from vizlib.receptive_field import LayerGeometry, receptive_field, receptive_field_mask

PAGE = "lessons/stacking.py"


OUTPUT = r"→ output \*\*(\(.*?\))\*\*"
WEIGHTS = r"weights \(F, C, kH, kW\) \*\*(\(.*?\))\*\*"
NEGATIVES_BEFORE = r"values < 0: \*\*([\d,]+)\*\* before"


def stage_fact(at: AppTest, i: int, pattern: str) -> str | None:
    """A figure from stage ``i``'s line of shapes ("**Stage i:** input ... → output ...").

    That line sits in the stage's markdown, under its "### Stage i · ..." heading.
    None when the page has no line for stage ``i`` (the stage did not run).
    """
    lines = [line for m in at.markdown for line in m.value.splitlines()]
    line = next((t for t in lines if t.startswith(f"**Stage {i}:**")), None)
    if line is None:
        return None
    found = re.search(pattern, line)
    assert found, (pattern, line)
    return found.group(1)


def md_table(text: str, first_header: str) -> list[dict[str, str]]:
    """The rows of the markdown table in ``text`` whose header starts with ``first_header``.

    Cells are unescaped (``ui.md.table`` escapes markdown characters with ``\\``).
    """
    lines = text.splitlines()
    start = next(k for k, t in enumerate(lines) if t.startswith(f"| {first_header} |"))
    rows = []
    for t in lines[start:]:
        if not t.startswith("|"):
            break
        rows.append([re.sub(r"\\(.)", r"\1", c.strip()) for c in t.strip().strip("|").split(" | ")])
    header, body = rows[0], rows[2:]
    return [dict(zip(header, row, strict=True)) for row in body]


def input_shape(at: AppTest) -> str:
    return re.search(r"\*\*Input \(C, H, W\): (\(.*?\))\*\*", markdown(at)).group(1)


def field_size(at: AppTest, stage: int) -> str:
    """Section 4's "Receptive field after stage N" figure, e.g. ``8×8 pixels``."""
    text = markdown(at)
    return re.search(rf"\*\*Receptive field after stage {stage}: (\S+ pixels)\*\*", text).group(1)


def feeding(at: AppTest) -> str:
    return re.search(r"input pixels that feed this unit: \*\*([\d,]+)\*\*", markdown(at)).group(1)


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def torch_code(at: AppTest) -> str:
    """The "As PyTorch code" block (other code boxes, e.g. a share link, may follow it)."""
    found = [c.value for c in at.code if "nn.Sequential(" in c.value]
    assert len(found) == 1, [c.value for c in at.code]
    return found[0]


def conv(x, seed, filters=4, size=3, **kw):
    w = vizlib.random_kernel((filters, x.shape[0], size, size), seed).astype(np.float32)
    return vizlib.conv2d(x, w, **kw)


@pytest.fixture
def page(app) -> AppTest:
    at = open_page(app, PAGE)
    no_exceptions(at)
    return at


def edit(at: AppTest, i: int) -> AppTest:
    """Select stage ``i`` in "Stage to edit": only that stage's controls are drawn."""
    at.segmented_control(key="stack.edit").set_value(i).run()
    no_exceptions(at)
    return at


def image_chw(at: AppTest) -> np.ndarray:
    return np.asarray(at.session_state["source.current"].chw, dtype=np.float32)  # (C, H, W)


def test_default_pipeline_shapes_maps_and_code(page):
    x = image_chw(page)
    y1 = conv(x, 0, padding=1)  # (4, H, W)
    y2 = vizlib.relu(y1)
    y3 = vizlib.max_pool2d(y2, 2)
    y4 = conv(y3, 1, padding=1)
    assert input_shape(page) == str(x.shape)
    for i, y in enumerate((y1, y2, y3, y4), start=1):
        assert stage_fact(page, i, OUTPUT) == str(y.shape)
    assert stage_fact(page, 1, WEIGHTS) == str((4, x.shape[0], 3, 3))
    assert stage_fact(page, 4, WEIGHTS) == str((4, 4, 3, 3))
    assert stage_fact(page, 4, r"\*\*([\d,]+)\*\* parameters") == str(4 * 4 * 3 * 3)
    assert stage_fact(page, 2, NEGATIVES_BEFORE) == f"{int((y1 < 0).sum()):,}"
    # 4 channels drawn per stage, each caption with its shape, min and max.
    captions = [c for img in page.image for c in img.captions if "output, channel" in c]
    assert len(captions) == 16
    lo, hi = float(y4[2].min()), float(y4[2].max())
    expected = (
        f"Stage 4 output, channel 3 of 4 ({y4.shape[1]}×{y4.shape[2]}; min "
        f"{vizlib.conv.format_number(lo)}, max {vizlib.conv.format_number(hi)})"
    )
    assert expected in captions
    code = torch_code(page)
    assert "nn.Conv2d(4, 4, kernel_size=3, stride=1, padding=1, bias=False)" in code
    assert f"# MaxPool2d (1, 4, {y3.shape[1]}, {y3.shape[2]})" in code


def activation_table(at: AppTest) -> dict[str, list[str]]:
    """Section 3's table: row name ("before", "ReLU", ...) -> its cells after the name."""
    text = next(m.value for m in at.markdown if "| f(x) | values < 0 |" in m.value)
    rows = [line for line in text.splitlines() if line.startswith("|")][2:]  # no header
    table = {}
    for row in rows:
        name, *cells = (c.strip() for c in row.strip("|").split("|"))
        table[name.replace("**", "").removesuffix(" ✓ your pipeline")] = cells
    return table


def counts_cells(values: np.ndarray) -> list[str]:
    """The table's "values < 0", "= 0", "> 0" cells for ``values``, recomputed here."""
    n = values.size
    return [
        f"{k:,}\u00a0({100 * k / n:.1f}%)"
        for k in (int((values < 0).sum()), int((values == 0).sum()), int((values > 0).sum()))
    ]


def charts(at: AppTest) -> list[dict]:
    """The Vega-Lite specs on the page, in order, with their datasets put back (rows).

    Streamlit sends a spec's named datasets apart from it, as Arrow tables.
    """
    specs = []
    for e in at.get("vega_lite_chart"):
        spec = json.loads(e.proto.spec)
        spec["datasets"] = {
            d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in e.proto.datasets
        }
        specs.append(spec)
    return specs


def rows_of(spec: dict, layer: dict) -> list[dict]:
    """The rows one layer draws: its named dataset, filtered as its transforms say."""
    rows = spec["datasets"][layer["data"]["name"]]
    for t in layer.get("transform", []):
        f = t["filter"]
        rows = [r for r in rows if r[f["field"]] == f["equal"]]
    return [{k: v for k, v in r.items() if k not in ("panel", "index")} for r in rows]


def test_activation_counts_equal_vizlib(page):
    y1 = conv(image_chw(page), 0, padding=1)  # the values entering the ReLU stage
    fmt = vizlib.conv.format_number
    table = activation_table(page)
    assert list(table) == ["before", "ReLU", "Leaky ReLU", "Sigmoid", "Tanh"]
    neg, zero, pos = counts_cells(y1)
    assert table["before"] == ["x", neg, zero, pos, f"{fmt(y1.min())} … {fmt(y1.max())}"]
    assert f"**Before:** {neg} negative, {zero} zero, {pos} positive;" in markdown(page)
    for slug, act in vizlib.ACTIVATIONS.items():
        after = act.function(y1)
        name = NAMES[slug]
        assert table[name] == [
            f"`{act.formula}`",
            *counts_cells(after),
            f"{fmt(after.min())} … {fmt(after.max())}",
        ]
    assert "**ReLU** ✓ your pipeline" in markdown(page)  # the default pipeline's activation
    assert int((vizlib.relu(y1) == 0).sum()) == int((y1 <= 0).sum())  # what ReLU does


def test_activation_charts_draw_vizlib_values(page):
    """Three charts (before; four curves; four "after" histograms) carry vizlib's numbers."""
    y1 = conv(image_chw(page), 0, padding=1)
    specs = charts(page)
    assert len(specs) == 3  # one chart each, not one per activation
    before, curves, after = specs
    assert rows_of(before, before["layer"][0]) == plots_stacking.histogram_rows(y1)
    names = [NAMES[slug] for slug in vizlib.ACTIVATIONS]
    assert [p["title"]["text"] for p in curves["hconcat"]] == [
        "ReLU ✓ your pipeline",
        *names[1:],
    ]
    for panel, act in zip(curves["hconcat"], vizlib.ACTIVATIONS.values(), strict=True):
        points = rows_of(curves, panel["layer"][1])
        x = np.array([p["x"] for p in points])
        assert x[0] == pytest.approx(float(y1.min())) and x[-1] == pytest.approx(float(y1.max()))
        assert 0.0 in x  # ReLU's kink is drawn exactly
        np.testing.assert_allclose([p["y"] for p in points], act.function(x), rtol=1e-6)
    assert [p["title"]["text"] for p in after["hconcat"]][1:] == [f"After {n}" for n in names[1:]]
    for panel, act in zip(after["hconcat"], vizlib.ACTIVATIONS.values(), strict=True):
        rows = rows_of(after, panel["layer"][0])
        assert rows == plots_stacking.histogram_rows(act.function(y1))


def test_receptive_field_equals_vizlib(page):
    x = image_chw(page)
    _, h, w = x.shape
    layers = [
        LayerGeometry(3, padding=1),
        LayerGeometry(1),
        LayerGeometry(2, stride=2),
        LayerGeometry(3, padding=1),
    ]
    rf = receptive_field(layers)
    assert rf.size == (8, 8)
    assert field_size(page, 4) == "8×8 pixels"
    out = conv(vizlib.max_pool2d(conv(x, 0, padding=1), 2), 1, padding=1).shape
    row, col = (out[1] - 1) // 2, (out[2] - 1) // 2  # the default unit: the centre
    mask = receptive_field_mask((h, w), layers, row, col)
    assert feeding(page) == f"{int(mask.sum()):,}"
    # A corner unit's field reaches into the padding: fewer pixels feed it.
    page.number_input(key="stack.row").set_value(0).run()
    page.number_input(key="stack.col").set_value(0).run()
    no_exceptions(page)
    corner = receptive_field_mask((h, w), layers, 0, 0)
    assert corner.sum() < 64
    assert feeding(page) == f"{int(corner.sum()):,}"
    table = md_table(markdown(page), "stage")
    assert [row["stage"] for row in table] == [
        "1: Convolution",
        "2: Activation",
        "3: Pooling",
        "4: Convolution",
    ]
    assert table[-1]["field r×r"] == "8×8" and table[-1]["unit (row, col)"] == "(0, 0)"
    assert table[-1]["note"] == "reaches into the padding"


def test_each_stage_type(page):
    x = image_chw(page)
    page.radio(key="stack.s1.source").set_value("preset").run()
    page.selectbox(key="stack.s1.preset").set_value("sobel_x").run()
    edit(page, 2).selectbox(key="stack.s2.act").set_value("tanh").run()
    edit(page, 3).radio(key="stack.s3.mode").set_value("avg").run()
    page.selectbox(key="stack.s3.pool_size").set_value(3).run()
    edit(page, 4).selectbox(key="stack.s4.kind").set_value("bn").run()
    no_exceptions(page)
    w = np.broadcast_to(vizlib.KERNELS["sobel_x"].weights, (1, x.shape[0], 3, 3))
    y1 = vizlib.conv2d(x, w.astype(np.float32), padding=1)
    y2 = vizlib.tanh(y1)
    y3 = vizlib.avg_pool2d(y2, 3)  # stride defaults to the kernel size
    layer = vizlib.BatchNorm(y3.shape[0])
    y4 = layer(y3[None])[0]
    for i, y in enumerate((y1, y2, y3, y4), start=1):
        assert stage_fact(page, i, OUTPUT) == str(y.shape)
    assert stage_fact(page, 1, WEIGHTS) == str(w.shape)
    # The batch-norm table shows the statistics vizlib used (one row per channel).
    fmt = vizlib.conv.format_number
    table = md_table(markdown(page), "channel")
    assert len(table) == y3.shape[0]
    assert table[0]["mean (before)"] == fmt(layer.last_stats.batch_mean[0])
    assert table[0]["variance (biased)"] == fmt(layer.last_stats.batch_var[0])
    assert table[0]["after: mean"] == fmt(y4[0].mean())
    assert table[0]["after: variance"] == fmt(y4[0].var())
    assert "**Tanh** ✓ your pipeline" in markdown(page)
    assert activation_table(page)["Tanh"][1:4] == counts_cells(y2)  # tanh of its input y1
    code = torch_code(page)
    assert "nn.Tanh()" in code and "nn.AvgPool2d(kernel_size=3, stride=3)" in code
    assert "nn.BatchNorm2d(1)" in code
    # Receptive field: conv 3 (3) → tanh → avg pool 3 stride 3 (3 + 2 = 5) → bn (5).
    assert field_size(page, 4) == "5×5 pixels"


def test_edited_kernel_is_used(page):
    page.radio(key="stack.s1.source").set_value("edited").run()
    no_exceptions(page)
    key = page.session_state["stack.s1.kernel.editor_key"]
    page.session_state[key] = {"edited_rows": {0: {"1": "2"}}, "added_rows": [], "deleted_rows": []}
    page.run()
    no_exceptions(page)
    kernel = vizlib.KERNELS["vertical_edge"].weights.copy()
    kernel[0, 0] = 2
    x = image_chw(page)
    y1 = vizlib.conv2d(x, kernel[None, None].astype(np.float32), padding=1)
    assert stage_fact(page, 1, OUTPUT) == str(y1.shape)
    assert activation_table(page)["before"][1:4] == counts_cells(y1)
    assert "[[2, 0, -1], [1, 0, -1], [1, 0, -1]]" in torch_code(page)


def test_random_filters_and_fewer_stages(page):
    page.selectbox(key="stack.s1.filters").set_value(12).run()
    page.number_input(key="stack.s1.seed").set_value(7).run()
    page.radio(key="stack.n").set_value(2).run()
    no_exceptions(page)
    x = image_chw(page)
    y1 = conv(x, 7, filters=12, padding=1)
    assert stage_fact(page, 1, OUTPUT) == str(y1.shape)
    assert stage_fact(page, 3, OUTPUT) is None
    # At most 4 of the 12 channels drawn, and the page says so.
    captions = [c for img in page.image for c in img.captions if "Stage 1 output" in c]
    assert len(captions) == 4
    # The stage's colour scale and how many channels are drawn: above its maps, in its markdown.
    stage1 = next(m.value for m in page.markdown if "**Stage 1:**" in m.value)
    assert "Showing 4 of 12 channels (all 12 are computed)." in stage1
    top = float(np.abs(y1).max())  # the shared limit without boost
    fmt = vizlib.conv.format_number
    assert f"{fmt(-top)} (blue) ← 0 (white) → {fmt(top)} (red)." in stage1
    assert field_size(page, 2) == "3×3 pixels"


def tutorial_grid(page: AppTest) -> AppTest:
    page.selectbox(key="source.kind").set_value("Tutorial 5×5 grid").run()
    no_exceptions(page)
    return page


def test_pool_window_larger_than_the_map(page):
    tutorial_grid(page)
    edit(page, 3).selectbox(key="stack.s3.pool_size").set_value(7).run()
    no_exceptions(page)
    x = image_chw(page)  # (1, 5, 5)
    y2 = vizlib.relu(conv(x, 0, padding=1))
    with pytest.raises(ValueError) as info:
        vizlib.max_pool2d(y2, 7)
    errors = [e.value for e in page.error]
    assert len(errors) == 1
    assert errors[0].startswith("Stage 3 (Pooling) cannot run on its input")
    assert str(info.value) in errors[0]
    # The earlier stages are still shown; the later ones are not computed.
    assert stage_fact(page, 2, OUTPUT) == str(y2.shape)
    assert stage_fact(page, 3, OUTPUT) is None
    assert stage_fact(page, 4, OUTPUT) is None
    assert field_size(page, 2) == "3×3 pixels"
    assert "left out: it does not fit its input" in torch_code(page)
    # Back to a window that fits: the error goes away.
    page.selectbox(key="stack.s3.pool_size").set_value(2).run()
    assert not page.error
    assert stage_fact(page, 4, OUTPUT) is not None


def test_kernel_larger_than_the_map_and_batch_norm_of_one_value(page):
    tutorial_grid(page)
    page.selectbox(key="stack.s1.padding").set_value(0).run()
    page.selectbox(key="stack.s1.size").set_value(7).run()  # 7 > 5 + 2·0
    no_exceptions(page)
    assert page.error[0].value.startswith("Stage 1 (Convolution) cannot run on its input")
    assert "kernel size is 7" in page.error[0].value
    page.selectbox(key="stack.s1.size").set_value(3).run()
    page.selectbox(key="stack.s1.padding").set_value(1).run()
    edit(page, 3).selectbox(key="stack.s3.pool_size").set_value(5).run()  # (4, 5, 5) → (4, 1, 1)
    edit(page, 4).selectbox(key="stack.s4.kind").set_value("bn").run()
    no_exceptions(page)
    assert stage_fact(page, 3, OUTPUT) == "(4, 1, 1)"
    assert page.error[0].value.startswith("Stage 4 (Batch norm) cannot run on its input")
    assert "Expected more than 1 value per channel when training" in page.error[0].value


def test_rgb_input_and_two_edited_kernels(page):
    page.radio(key="source.color").set_value("RGB").run()
    page.radio(key="stack.s1.source").set_value("edited").run()
    edit(page, 4).radio(key="stack.s4.source").set_value("edited").run()
    no_exceptions(page)
    x = image_chw(page)
    assert x.shape[0] == 3
    k = vizlib.KERNELS["vertical_edge"].weights
    y1 = vizlib.conv2d(x, np.broadcast_to(k, (1, 3, 3, 3)).astype(np.float32), padding=1)
    y3 = vizlib.max_pool2d(vizlib.relu(y1), 2)
    y4 = vizlib.conv2d(y3, k[None, None].astype(np.float32), padding=1)
    assert stage_fact(page, 1, WEIGHTS) == "(1, 3, 3, 3)"
    assert stage_fact(page, 4, OUTPUT) == str(y4.shape)
    assert page.session_state["stack.s4.kernel.editor_key"]  # its own editor


def pipeline_rows(at: AppTest) -> dict[str, dict[str, str]]:
    """Section 1's table (the pipeline at a glance): row name -> its cells."""
    table = md_table(markdown(at), " ")
    return {row[""] if "" in row else row[" "]: row for row in table}


def test_pipeline_table_lists_every_stage_with_its_shape(page):
    x = image_chw(page)
    y1 = conv(x, 0, padding=1)
    y3 = vizlib.max_pool2d(vizlib.relu(y1), 2)
    y4 = conv(y3, 1, padding=1)
    rows = pipeline_rows(page)
    assert list(rows) == ["input", "stage 1 ✎", "stage 2", "stage 3", "stage 4"]  # ✎: edited
    shapes = [x.shape, y1.shape, y1.shape, y3.shape, y4.shape]
    assert [r["output (C, H, W)"] for r in rows.values()] == [str(s) for s in shapes]
    assert rows["stage 2"]["what it does"] == "ReLU"
    assert rows["stage 4"]["what it does"].startswith("Conv2d 4→4, 3×3 random (seed 1)")
    # The stage selector reads like the pipeline.
    selector = page.segmented_control(key="stack.edit")
    assert selector.options == [  # as the browser shows them
        "1 · Conv 3×3 ×4",
        "2 · ReLU",
        "3 · MaxPool 2",
        "4 · Conv 3×3 ×4",
    ]
    assert list(pipeline_rows(edit(page, 3))) == [
        "input",
        "stage 1",
        "stage 2",
        "stage 3 ✎",
        "stage 4",
    ]


def test_only_the_stage_being_edited_has_controls(page):
    assert page.selectbox(key="stack.s1.kind").value == "conv"
    for i in (2, 3, 4):
        with pytest.raises(KeyError):
            page.selectbox(key=f"stack.s{i}.kind")
    edit(page, 3)
    assert page.selectbox(key="stack.s3.pool_size").value == 2
    with pytest.raises(KeyError):
        page.number_input(key="stack.s1.seed")
    # Fewer stages than the one being edited: the last remaining stage is edited.
    page.radio(key="stack.n").set_value(2).run()
    no_exceptions(page)
    assert page.segmented_control(key="stack.edit").value == 2
    assert page.selectbox(key="stack.s2.act").value == "relu"


def test_a_stage_keeps_its_settings_while_another_is_edited(page):
    """Stage 2 becomes 6 random filters (seed 5); editing stage 3 and rerunning keeps it."""
    edit(page, 2).selectbox(key="stack.s2.kind").set_value("conv").run()
    page.selectbox(key="stack.s2.filters").set_value(6).run()
    page.number_input(key="stack.s2.seed").set_value(5).run()
    page.selectbox(key="stack.s2.stride").set_value(2).run()
    no_exceptions(page)
    x = image_chw(page)
    y1 = conv(x, 0, padding=1)
    y2 = conv(y1, 5, filters=6, stride=2)  # padding 0: stage 2's conv default
    expected = {
        OUTPUT: str(y2.shape),
        WEIGHTS: str((6, 4, 3, 3)),
    }

    def check() -> None:
        for pattern, value in expected.items():
            assert stage_fact(page, 2, pattern) == value
        assert pipeline_rows(page)[
            "stage 3" if page.session_state["stack.edit"] != 3 else "stage 3 ✎"
        ]["output (C, H, W)"] == str(vizlib.max_pool2d(y2, 2).shape)
        assert "nn.Conv2d(4, 6, kernel_size=3, stride=2, padding=0, bias=False)" in torch_code(page)

    check()
    edit(page, 3)
    page.run()
    page.run()
    no_exceptions(page)
    check()  # stage 2 not drawn: still its settings, still its output
    assert page.segmented_control(key="stack.edit").options[1] == "2 · Conv 3×3 ×6, stride 2"
    edit(page, 2)
    check()
    assert page.selectbox(key="stack.s2.kind").value == "conv"
    assert page.selectbox(key="stack.s2.filters").value == 6
    assert page.number_input(key="stack.s2.seed").value == 5
    assert page.selectbox(key="stack.s2.stride").value == 2


def test_an_edited_kernel_is_used_while_hidden_and_reloaded(page):
    page.radio(key="stack.s1.source").set_value("edited").run()
    page.selectbox(key="stack.s1.kernel.preset").set_value("sobel_x").run()
    key = page.session_state["stack.s1.kernel.editor_key"]
    page.session_state[key] = {"edited_rows": {1: {"2": "5"}}, "added_rows": [], "deleted_rows": []}
    page.run()
    no_exceptions(page)
    kernel = vizlib.KERNELS["sobel_x"].weights.copy()
    kernel[1, 1] = 5
    x = image_chw(page)
    y1 = vizlib.conv2d(x, kernel[None, None].astype(np.float32), padding=1)
    edit(page, 2)
    page.run()
    assert not page.get("arrow_data_editor")  # no kernel editor drawn
    assert activation_table(page)["before"][1:4] == counts_cells(y1)  # stage 1's hidden kernel
    assert "[[-1, 0, 1], [-2, 5, 2], [-1, 0, 1]]" in torch_code(page)
    assert page.segmented_control(key="stack.edit").options[0] == "1 · Conv 3×3 edited"
    edit(page, 1)
    # The editor comes back with the edited weights, its preset and its size.
    assert page.selectbox(key="stack.s1.kernel.preset").value == "sobel_x"
    assert page.number_input(key="stack.s1.kernel.rows").value == 3
    np.testing.assert_array_equal(page.session_state["stack.s1.kernel.base"], kernel)
    assert activation_table(page)["before"][1:4] == counts_cells(y1)


# --------------------------------------------------------------------------- honest wording

SATURATED = r"Here ([\d,]+) of the ([\d,]+) values \(([\d.]+)%\) saturate"


def stage_text(at: AppTest, i: int) -> str:
    """Stage ``i``'s markdown: its heading, facts line, size line and colour-scale note."""
    return next(m.value for m in at.markdown if f"**Stage {i}:**" in m.value)


def bullet(at: AppTest, name: str) -> str:
    """Section 3's bullet about one activation ("- **Sigmoid** squashes ...")."""
    lines = [line for m in at.markdown for line in m.value.splitlines()]
    return next(t for t in lines if t.startswith(f"- **{name}**"))


def test_convolutions_say_they_have_no_bias(page):
    """The page computes without a bias: facts, notes and the PyTorch code all say so."""
    x = image_chw(page)
    y1 = conv(x, 0, padding=1)  # no bias
    fmt = vizlib.conv.format_number
    captions = [c for img in page.image for c in img.captions if "Stage 1 output" in c]
    assert f"min {fmt(float(y1[0].min()))}, max {fmt(float(y1[0].max()))}" in captions[0]
    for i, c_in in ((1, x.shape[0]), (4, 4)):
        count = 4 * c_in * 3 * 3  # F·C·kH·kW weights, nothing else
        assert stage_fact(page, i, r"\*\*([\d,]+)\*\* parameters \(no bias\)") == f"{count:,}"
    note = next(c.value for c in page.caption if "seeded random weights" in c.value)
    assert "4 filter(s) of C×3×3 seeded random weights (no bias)" in note
    conv_lines = [t for t in torch_code(page).splitlines() if "nn.Conv2d(" in t]
    assert len(conv_lines) == 2 and all("bias=False)" in t for t in conv_lines)
    page.radio(key="stack.s1.source").set_value("preset").run()
    no_exceptions(page)
    assert any(
        c.value.endswith("this kernel on every input channel (no bias).") for c in page.caption
    )
    assert stage_fact(page, 1, r"\*\*([\d,]+)\*\* parameters \(no bias\)") == str(x.shape[0] * 9)


def test_size_line_of_an_activation_and_of_batch_norm(page):
    activation = stage_text(page, 2)
    assert (
        "Same shape as its input: it works value by value, each output value depends only on "
        "the input value at the same place."
    ) in activation
    assert "channel" not in activation.split("values < 0")[1].split("\n\n")[0]
    edit(page, 4).selectbox(key="stack.s4.kind").set_value("bn").run()
    no_exceptions(page)
    assert (
        "Same shape as its input: each channel is shifted and scaled with its own statistics "
        "(the mean and variance of that channel)."
    ) in stage_text(page, 4)
    assert "value by value" not in stage_text(page, 4).split("\n\n")[1]


def test_sigmoid_and_tanh_bullets_describe_the_values_shown(page):
    """Default data: small values, no saturation; the bullets give vizlib's ranges."""
    fmt = vizlib.conv.format_number
    y1 = conv(image_chw(page), 0, padding=1)  # the values entering the ReLU stage
    sig, tanh = vizlib.sigmoid(y1), vizlib.tanh(y1)
    assert not ((sig < 0.05) | (sig > 0.95)).any() and not (np.abs(tanh) > 0.9).any()
    assert 0.2 <= sig.min() and sig.max() <= 0.8 and np.abs(tanh).max() <= 0.6
    for name, after, (low, high) in (
        ("Sigmoid", sig, ("0.05", "0.95")),
        ("Tanh", tanh, ("-0.9", "0.9")),
    ):
        assert (
            f"Here every input is between {fmt(float(y1.min()))} and {fmt(float(y1.max()))}, so "
            f"the outputs stay between {fmt(float(after.min()))} and {fmt(float(after.max()))}, "
            f"in the nearly straight middle of the curve: no saturation yet (no output below "
            f"{low} or above {high})."
        ) in bullet(page, name)
        assert "pile up" not in bullet(page, name)


def test_sigmoid_and_tanh_bullets_count_saturated_values(page):
    """A Sobel filter gives values up to about ±4: the bullets count what saturates."""
    page.radio(key="stack.s1.source").set_value("preset").run()
    page.selectbox(key="stack.s1.preset").set_value("sobel_x").run()
    no_exceptions(page)
    x = image_chw(page)
    w = np.broadcast_to(vizlib.KERNELS["sobel_x"].weights, (1, x.shape[0], 3, 3))
    y1 = vizlib.conv2d(x, w.astype(np.float32), padding=1)
    sig, tanh = vizlib.sigmoid(y1), vizlib.tanh(y1)
    expected = {
        "Sigmoid": int(np.count_nonzero((sig < 0.05) | (sig > 0.95))),
        "Tanh": int(np.count_nonzero((tanh < -0.9) | (tanh > 0.9))),
    }
    assert 0 < expected["Sigmoid"] < expected["Tanh"]  # tanh is steeper: it saturates sooner
    for name, n in expected.items():
        found = re.search(SATURATED, bullet(page, name))
        assert found, bullet(page, name)
        assert found.groups() == (f"{n:,}", f"{y1.size:,}", f"{100 * n / y1.size:.1f}")
    assert "below 0.05 or above 0.95" in bullet(page, "Sigmoid")
    assert "below -0.9 or above 0.9" in bullet(page, "Tanh")


def test_tanh_on_the_bend_without_saturation(page):
    """An activation first: the image's values in [0, 1] reach tanh's bend, not its flat end."""
    page.selectbox(key="stack.s1.kind").set_value("act").run()
    page.selectbox(key="stack.s1.act").set_value("tanh").run()
    no_exceptions(page)
    x = image_chw(page)
    tanh = vizlib.tanh(x)
    assert 0.6 < tanh.max() <= 0.9  # past the middle, short of saturation
    assert "on the bend of the curve but short of its flat ends: no saturation yet" in bullet(
        page, "Tanh"
    )
    sig = vizlib.sigmoid(x)
    assert 0.2 <= sig.min() and sig.max() <= 0.8
    assert "in the nearly straight middle of the curve" in bullet(page, "Sigmoid")


def test_presentation_mode_formulas_fit_their_column(page):
    """On a projector the table's formulas have no spaces (no wrapping) and equal vizlib's."""
    page.toggle(key="present.on").set_value(True).run()
    no_exceptions(page)
    table = activation_table(page)
    grid = np.linspace(-5, 5, 201)
    for slug, act in vizlib.ACTIVATIONS.items():
        cell = table[NAMES[slug]][0]
        assert cell.startswith("`") and cell.endswith("`")
        formula = cell.strip("`")
        assert " " not in formula and len(formula) <= 18, formula
        python = (
            formula.replace("e⁻ˣ", "np.exp(-x)")
            .replace("eˣ", "np.exp(x)")
            .replace("−", "-")
            .replace("·", "*")
            .replace("max(", "np.maximum(")
        )
        shown = eval(python, {"np": np, "x": grid})  # the page's own text, made a Python expression
        np.testing.assert_allclose(shown, act.function(grid), rtol=1e-12, atol=1e-12)
    page.toggle(key="present.on").set_value(False).run()
    assert activation_table(page)["Tanh"][0] == f"`{vizlib.ACTIVATIONS['tanh'].formula}`"


def test_deselecting_the_stage_being_edited_keeps_it(page):
    """Clicking the selected stage again (or a crafted message) gives None: the page keeps
    the stage it was editing instead of comparing None with the number of stages."""
    edit(page, 3)
    page.button_group(key="stack.edit").set_value(None).run()
    no_exceptions(page)
    assert page.session_state["stack.edit"] == 3


def test_pooling_first_on_the_tutorial_grid_draws_its_histograms(app):
    """Max pooling the 5×5 grid first: values so close that numpy could not bin them
    ("Too many bins") once crashed the activation section."""
    app.sidebar.selectbox(key="source.kind").set_value("Tutorial 5×5 grid").run()
    at = open_page(app, PAGE)
    at.selectbox(key="stack.s1.kind").set_value("pool").run()
    for n in (2, 3, 4):
        at.radio(key="stack.n").set_value(n).run()
        no_exceptions(at)
    rows = plots_stacking.histogram_rows(np.array([1.0, 1.0 + 2.2e-16]))
    assert sum(r["count"] for r in rows) == 2
