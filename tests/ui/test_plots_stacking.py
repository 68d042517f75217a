"""Vega-Lite specs of the stacking lesson's activation section: the data they carry.

The numbers a chart draws must be the ones ``ui.pipeline.activation_summaries``
computed (through vizlib): each test recomputes them from the same values.
"""

import json

import altair as alt
import numpy as np
import pytest
import streamlit as st
from altair.utils.schemapi import validate_jsonschema

import vizlib
from ui import pipeline, plots_stacking

NAMES = pipeline.ACTIVATION_NAMES


@pytest.fixture(scope="module")
def schema():
    return alt.vegalite.load_schema()  # the Vega-Lite version Streamlit embeds


@pytest.fixture
def before():
    """Signed values like a convolution's output, with exact zeros: (C, H, W)."""
    st.cache_data.clear()
    x = np.random.default_rng(3).normal(0.1, 0.4, size=(2, 30, 40)).astype(np.float32)
    x[0, :5] = 0.0
    return x


def rows_of(spec: dict, layer: dict) -> list[dict]:
    """The rows one layer draws: its named dataset, filtered as its transforms say."""
    rows = spec["datasets"][layer["data"]["name"]]
    for t in layer.get("transform", []):
        f = t["filter"]
        rows = [r for r in rows if r[f["field"]] == f["equal"]]
    return [{k: v for k, v in r.items() if k != "panel"} for r in rows]


def bars(spec: dict, panel: dict | None = None) -> list[dict]:
    """The histogram rows of one panel (its first layer), or of a single histogram."""
    return rows_of(spec, (panel or spec)["layer"][0])


def zero_rule(spec: dict, panel: dict | None = None) -> list[dict]:
    """The dashed line at 0 as drawn: one row, or none when 0 is off the axis.

    The layer always has its one row (an empty layer makes Vega warn "Infinite
    extent for field"); the row is drawn only where its opacity test holds.
    """
    layer = (panel or spec)["layer"][1]
    rows = rows_of(spec, layer)
    assert len(rows) == 1  # never empty
    test = layer["encoding"]["opacity"]["condition"]["test"]
    assert test == "datum.inside == 1" and layer["encoding"]["opacity"]["value"] == 0
    return [r for r in rows if r["inside"] == 1]


def test_histogram_rows_match_numpy_and_grey_bin_holds_zero(before):
    rows = plots_stacking.histogram_rows(before, bins=40)
    lo, hi = float(before.min()), float(before.max())
    counts, edges = np.histogram(before, bins=40, range=(lo, hi))
    assert [r["count"] for r in rows] == counts.tolist()
    assert [r["lo"] for r in rows] == edges[:-1].tolist()
    grey = [r for r in rows if r["sign"] == "around 0"]
    assert len(grey) == 1 and grey[0]["lo"] <= 0 < grey[0]["hi"]
    assert all(r["hi"] <= 0 for r in rows if r["sign"] == "negative")
    assert all(r["lo"] > 0 for r in rows if r["sign"] == "positive")
    # Every negative value sits in a blue bar or the grey one, every positive in red or grey.
    blue = sum(r["count"] for r in rows if r["sign"] == "negative")
    red = sum(r["count"] for r in rows if r["sign"] == "positive")
    assert blue <= int((before < 0).sum()) <= blue + grey[0]["count"]
    assert red <= int((before > 0).sum()) <= red + grey[0]["count"]


def test_relu_zeros_fall_in_the_grey_bin(before):
    after = vizlib.relu(before)
    rows = plots_stacking.histogram_rows(after)
    assert rows[0]["lo"] == 0.0 and rows[0]["sign"] == "around 0"
    assert rows[0]["count"] >= int((after == 0).sum())
    assert all(r["sign"] == "positive" for r in rows[1:])


def test_before_histogram_spec_carries_the_summary(before, schema):
    s0 = pipeline.activation_summaries(before)["before"]
    spec = plots_stacking.histogram_spec(s0.histogram, "Before")
    validate_jsonschema(spec, schema)
    assert bars(spec) == plots_stacking.histogram_rows(before)
    assert sum(r["count"] for r in bars(spec)) == s0.total == before.size
    assert zero_rule(spec) == [{"at": 0.0, "inside": 1}]  # the dashed line at 0


def test_after_histograms_one_chart_with_vizlib_counts(before, schema):
    summaries = pipeline.activation_summaries(before)
    spec = plots_stacking.after_histograms_spec(
        {NAMES[slug]: summaries[slug].histogram for slug in vizlib.ACTIVATIONS},
        marked="Tanh",
    )
    validate_jsonschema(spec, schema)
    panels = spec["hconcat"]
    assert [p["title"]["text"] for p in panels] == [
        "After ReLU",
        "After Leaky ReLU",
        "After Sigmoid",
        "After Tanh ✓ your pipeline",
    ]
    assert [p["title"].get("color") for p in panels].count(None) == 3
    assert spec["resolve"]["scale"]["y"] == "shared"
    assert spec["autosize"] == {"type": "pad"}  # "fit" makes Vega warn on a concatenation
    for panel, (slug, act) in zip(panels, vizlib.ACTIVATIONS.items(), strict=True):
        after = act.function(before)
        drawn = bars(spec, panel)
        assert drawn == plots_stacking.histogram_rows(after)  # recomputed here
        assert sum(r["count"] for r in drawn) == before.size
        lo, hi = drawn[0]["lo"], drawn[-1]["hi"]
        assert lo == pytest.approx(float(after.min())) and hi == pytest.approx(float(after.max()))
        has_rule = len(zero_rule(spec, panel)) == 1
        assert has_rule == (lo <= 0 <= hi), slug  # dashed 0 only where 0 is on the axis
    # Sigmoid's values are all positive: no blue bar, no grey bar, no line at 0.
    sigmoid = panels[2]
    assert {r["sign"] for r in bars(spec, sigmoid)} == {"positive"}
    assert zero_rule(spec, sigmoid) == []
    # Its hidden line sits on its own axis (the first edge), not at 0 and not empty.
    (hidden,) = rows_of(spec, sigmoid["layer"][1])
    assert hidden == {"at": bars(spec, sigmoid)[0]["lo"], "inside": 0}
    # Only the first panel draws the shared count axis.
    y_axes = [p["layer"][0]["encoding"]["y"]["axis"] for p in panels]
    assert y_axes[0].get("labels", True) and not any(a["labels"] for a in y_axes[1:])


def test_activation_curves_one_chart_with_vizlib_values(before, schema):
    x = np.linspace(float(before.min()), float(before.max()), 9)
    curves = {NAMES[slug]: act.function(x) for slug, act in vizlib.ACTIVATIONS.items()}
    spec = plots_stacking.activation_curves_spec(x, curves, marked="ReLU")
    validate_jsonschema(spec, schema)
    panels = spec["hconcat"]
    assert len(panels) == 4
    assert spec["autosize"] == {"type": "pad"}
    assert panels[0]["title"] == {"text": "ReLU ✓ your pipeline", "color": "#009E73"}
    assert [p["title"]["text"] for p in panels[1:]] == ["Leaky ReLU", "Sigmoid", "Tanh"]
    for panel, act in zip(panels, vizlib.ACTIVATIONS.values(), strict=True):
        identity, curve = panel["layer"]
        points = rows_of(spec, curve)
        assert [p["x"] for p in points] == x.tolist()
        np.testing.assert_array_equal([p["y"] for p in points], act.function(x))
        assert rows_of(spec, identity) == [{"x": x[0], "y": x[0]}, {"x": x[-1], "y": x[-1]}]


def test_new_numbers_leave_the_spec_text_alone(before):
    """Only the datasets change with the values: the browser then updates the drawn charts.

    Streamlit builds a new chart when the spec without its datasets, or a
    dataset's number of rows, differs from the last rerun's.
    """

    def specs(values):
        s = pipeline.activation_summaries(values)
        x = np.linspace(float(values.min()), float(values.max()), 9)
        return (
            plots_stacking.after_histograms_spec(
                {NAMES[slug]: s[slug].histogram for slug in vizlib.ACTIVATIONS}
            ),
            plots_stacking.activation_curves_spec(
                x, {NAMES[slug]: act.function(x) for slug, act in vizlib.ACTIVATIONS.items()}
            ),
            plots_stacking.histogram_spec(s["before"].histogram, "Before"),
        )

    def key(spec):
        rest = json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)
        return rest, {name: len(rows) for name, rows in spec["datasets"].items()}

    old, new = specs(before), specs(before * 1.7 - 0.2)
    assert [key(s) for s in old] == [key(s) for s in new]
    assert all(a["datasets"] != b["datasets"] for a, b in zip(old, new, strict=True))


def test_nothing_marked_without_an_activation_stage(before):
    rows = plots_stacking.histogram_rows(before)
    spec = plots_stacking.after_histograms_spec({"ReLU": rows, "Tanh": rows})
    assert all("color" not in p["title"] for p in spec["hconcat"])
    assert bars(spec, spec["hconcat"][1]) == rows


def test_summaries_count_saturated_values(before):
    """Sigmoid and tanh outputs outside pipeline.SATURATION, counted as numpy counts them here."""
    values = before * 8  # up to about ±13: both curves saturate somewhere
    summaries = pipeline.activation_summaries(values)
    sig, tanh = vizlib.sigmoid(values), vizlib.tanh(values)
    assert summaries["sigmoid"].saturated == int(np.count_nonzero((sig < 0.05) | (sig > 0.95)))
    assert summaries["tanh"].saturated == int(np.count_nonzero(np.abs(tanh) > 0.9))
    assert 0 < summaries["sigmoid"].saturated < summaries["tanh"].saturated < values.size
    assert summaries["relu"].saturated == summaries["before"].saturated == 0  # no bounds
    # The bounds are where the slope falls to 19% of its peak, and the middle keeps 64%.
    for slug, peak, slope in (
        ("sigmoid", 0.25, lambda y: y * (1 - y)),
        ("tanh", 1, lambda y: 1 - y**2),
    ):
        for bounds, share in ((pipeline.SATURATION[slug], 0.19), (pipeline.MIDDLE[slug], 0.64)):
            np.testing.assert_allclose([slope(b) / peak for b in bounds], [share, share])
