"""Small charts for the batch-normalization lesson, as Vega-Lite specifications.

Each ``*_spec`` builder takes numbers that vizlib computed and returns a plain
Vega-Lite dict for ``st.vega_lite_chart(spec=...)``, its numbers as named
datasets (Streamlit sends them apart from the spec text, so a rerun with new
numbers updates the drawn chart in place instead of building a new one).
The datasets are pyarrow tables built column by column: Streamlit sends an
Arrow table as it is, where a list of row dicts would first go through pandas
(~2 ms per chart for a few dozen rows, far more for the running-statistics
charts after many steps). The browser draws them (no server-side rendering),
they follow Streamlit's light/dark theme, and a pointer over a mark shows its
exact value. No maths here beyond binning for display.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from ui import binning

__all__ = ["before_after_spec", "histograms_spec", "running_stat_spec", "running_stats_pair_spec"]

_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # the version Streamlit embeds

_FONT = 15  # axis and legend text readable on a projector


def _config() -> dict:
    return {
        "axis": {"labelFontSize": _FONT - 2, "titleFontSize": _FONT},
        "legend": {"labelFontSize": _FONT - 1, "titleFontSize": _FONT, "labelLimit": 400},
        "header": {"labelFontSize": _FONT, "titleFontSize": _FONT},
        "title": {"fontSize": _FONT + 1},
    }


def _histogram_facets(
    dataset: str,
    values: np.ndarray,
    names: Sequence[str],
    *,
    shared_x: bool,
    centre: np.ndarray,
    centre_label: str,
    title: str,
    total_width: int,
    max_bins: int,
) -> tuple[pa.Table, dict]:
    """The table of named dataset ``dataset`` and the faceted chart that draws them."""
    values = np.asarray(values, dtype=float)  # (M, N)
    m, n = values.shape
    bins = int(np.clip(np.ceil(np.sqrt(m)) + 2, 5, max_bins))
    cols: dict[str, list] = {"feature": [], "kind": [], "lo": [], "hi": [], "count": []}
    for j, name in enumerate(names):
        # Bin each feature over its own min..max, so an affine map (normalising) moves the
        # bins with the values and the histogram keeps exactly its shape.
        counts, edges = binning.histogram(values[:, j], bins)  # never fails on huge values
        cols["feature"] += [str(name)] * (bins + 1)
        cols["kind"] += ["bar"] * bins + ["centre"]  # the last row: the rule's position
        cols["lo"] += [*edges[:-1].tolist(), float(centre[j])]
        cols["hi"] += [*edges[1:].tolist(), None]
        cols["count"] += [*counts.tolist(), None]
    rows = pa.table(cols)
    x = {"field": "lo", "type": "quantitative", "title": "value", "scale": {"zero": False}}
    chart = {
        "title": {"text": title, "anchor": "start"},
        "data": {"name": dataset},
        "facet": {
            "column": {
                "field": "feature",
                "type": "nominal",
                "title": None,
                "sort": [str(name) for name in names],
            }
        },
        "spec": {
            "width": int(max(90, min(260, total_width / n - 70))),
            "height": 150,
            "layer": [
                {
                    "transform": [{"filter": "datum.kind === 'bar'"}],
                    "mark": {"type": "bar", "opacity": 0.85, "color": "#4c78a8", "binSpacing": 1},
                    "encoding": {
                        "x": x,
                        "x2": {"field": "hi"},
                        "y": {
                            "field": "count",
                            "type": "quantitative",
                            "title": "examples",
                            "axis": {"tickMinStep": 1},
                        },
                        "y2": {"datum": 0},
                        "tooltip": [
                            {
                                "field": "lo",
                                "type": "quantitative",
                                "title": "from",
                                "format": ".4~g",
                            },
                            {
                                "field": "hi",
                                "type": "quantitative",
                                "title": "to",
                                "format": ".4~g",
                            },
                            {"field": "count", "type": "quantitative", "title": "examples"},
                        ],
                    },
                },
                {
                    "transform": [{"filter": "datum.kind === 'centre'"}],
                    "mark": {"type": "rule", "strokeWidth": 3, "color": "#e45756"},
                    "encoding": {
                        "x": x,
                        "tooltip": [
                            {
                                "field": "lo",
                                "type": "quantitative",
                                "title": centre_label,
                                "format": ".4~g",
                            },
                        ],
                    },
                },
            ],
        },
        "resolve": {"scale": {"x": "shared" if shared_x else "independent", "y": "independent"}},
    }
    return rows, chart


def histograms_spec(
    values: np.ndarray,
    names: Sequence[str],
    *,
    shared_x: bool,
    centre: np.ndarray,
    centre_label: str,
    title: str,
    total_width: int = 1000,
    max_bins: int = 20,
) -> dict:
    """One histogram per feature (column of ``values``), side by side.

    Parameters
    ----------
    values : ndarray, shape (M, N)
        M examples × N features.
    names : sequence of str
        N feature names (facet headers).
    shared_x : bool
        One value axis for all features (after normalising, all live on the
        same scale) or one axis each (before: each keeps its own units).
    centre : ndarray, shape (N,)
        A value per feature marked with a vertical rule (the mean, or β).
    centre_label : str
        What the rule marks, shown in the tooltip.
    title : str
        Chart title.
    total_width : int
        Pixels the row of small charts may take (facets are not resized by
        the page, so each gets its share).

    Notes
    -----
    The bins travel as the named dataset "hist" (Streamlit sends it apart from
    the spec), so new values with the same M and N leave the spec text alone
    and the browser updates the drawn chart instead of building a new one.
    """
    rows, chart = _histogram_facets(
        "hist",
        values,
        names,
        shared_x=shared_x,
        centre=centre,
        centre_label=centre_label,
        title=title,
        total_width=total_width,
        max_bins=max_bins,
    )
    return {"$schema": _SCHEMA, "datasets": {"hist": rows}, **chart, "config": _config()}


def before_after_spec(
    before: np.ndarray,
    after: np.ndarray,
    names: Sequence[str],
    *,
    mean: np.ndarray,
    beta: np.ndarray,
    before_title: str,
    after_title: str,
    total_width: int = 1000,
    max_bins: int = 20,
) -> dict:
    """Histograms of x (one x axis per feature) above those of y (one shared axis): ONE chart.

    Two rows of :func:`histograms_spec` in one Vega-Lite ``vconcat`` (one
    element on the page instead of two); the rules mark each feature's mean
    (before) and β (after). The bins travel as the named datasets "before" and
    "after".
    """
    common = {"names": names, "total_width": total_width, "max_bins": max_bins}
    rows_x, top = _histogram_facets(
        "before",
        before,
        shared_x=False,
        centre=mean,
        centre_label="E[x]",
        title=before_title,
        **common,
    )
    rows_y, bottom = _histogram_facets(
        "after",
        after,
        shared_x=True,
        centre=beta,
        centre_label="β",
        title=after_title,
        **common,
    )
    return {
        "$schema": _SCHEMA,
        "datasets": {"before": rows_x, "after": rows_y},
        "vconcat": [top, bottom],
        "spacing": 24,
        "config": _config(),
    }


def running_stat_spec(
    steps: Sequence[int],
    series: dict[str, tuple[Sequence[float], str, str]],
    *,
    y_title: str,
    title: str,
    examples: Sequence[tuple[int, np.ndarray]] = (),
    height: int = 440,
    prefix: str = "",
) -> dict:
    """Several series over the training steps (batch statistic vs running statistic).

    Parameters
    ----------
    steps : sequence of int
        The x values, shared by every series (step 0 = before training).
    series : dict
        Legend label → (one value per step, style, colour). Style is "line"
        (a running statistic), "dashed" (a reference) or "points" (one value
        per batch). NaN values are left out.
    examples : sequence of (step, values)
        Optional: the examples of each batch, drawn as faint ticks behind.
    height : int
        Total height in pixels, legend included (Streamlit fits the chart).
    prefix : str
        Put before the dataset names, so two of these charts can share one
        specification (:func:`running_stats_pair_spec`).

    Notes
    -----
    The numbers travel as the named datasets "series" and "cloud", apart from
    the spec: a training step changes only them, so the browser updates the
    drawn chart instead of building a new one.
    """
    step_col, value_col, label_col = [], [], []
    for label, (ys, _, _) in series.items():
        ys = np.asarray([np.nan if y is None else y for y in ys], dtype=float)
        keep = np.isfinite(ys)  # NaN values are left out
        step_col += np.asarray(steps)[keep].astype(int).tolist()
        value_col += ys[keep].tolist()
        label_col += [label] * int(keep.sum())
    rows = pa.table({"step": step_col, "value": value_col, "series": label_col})
    order = list(series)
    color = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {"domain": order, "range": [series[k][2] for k in order]},
        "legend": {"orient": "bottom", "direction": "vertical", "symbolSize": 160},
    }
    x = {
        "field": "step",
        "type": "quantitative",
        "title": "training step",
        "axis": {"tickMinStep": 1},
    }
    y = {"field": "value", "type": "quantitative", "title": y_title, "scale": {"zero": False}}
    tooltip = [
        {"field": "series", "type": "nominal"},
        {"field": "step", "type": "quantitative"},
        {"field": "value", "type": "quantitative", "format": ".5~g"},
    ]

    def of_style(style: str) -> list[str]:
        return [k for k in order if series[k][1] == style]

    layers = []
    datasets = {f"{prefix}series": rows}
    if len(examples):
        flat = [np.ravel(values).astype(float) for _, values in examples]
        datasets[f"{prefix}cloud"] = pa.table(
            {
                "step": np.repeat([int(step) for step, _ in examples], [len(v) for v in flat]),
                "value": np.concatenate(flat),
            }
        )
        layers.append(
            {
                "data": {"name": f"{prefix}cloud"},
                "mark": {
                    "type": "tick",
                    "orient": "horizontal",
                    "color": "#8c8c8c",
                    "opacity": 0.5,
                    "thickness": 1.5,
                    "size": 14,
                },
                "encoding": {"x": x, "y": y},
            }
        )
    for style in ("dashed", "line"):
        if of_style(style):
            layers.append(
                {
                    "transform": [{"filter": {"field": "series", "oneOf": of_style(style)}}],
                    "mark": {
                        "type": "line",
                        "strokeWidth": 2.5 if style == "dashed" else 4,
                        "strokeDash": [7, 5] if style == "dashed" else [1, 0],
                        "point": style == "line",
                    },
                    "encoding": {"x": x, "y": y, "color": color, "tooltip": tooltip},
                }
            )
    if of_style("points"):
        layers.append(
            {
                "transform": [{"filter": {"field": "series", "oneOf": of_style("points")}}],
                "mark": {"type": "point", "filled": True, "size": 90, "opacity": 0.95},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": color,
                    "tooltip": tooltip,
                },
            }
        )
    return {
        "$schema": _SCHEMA,
        "title": {"text": title, "anchor": "start"},
        "datasets": datasets,
        "data": {"name": f"{prefix}series"},
        "height": height,
        "layer": layers,
        "config": _config(),
    }


def running_stats_pair_spec(left: dict, right: dict, *, width: int = 400) -> dict:
    """Two :func:`running_stat_spec` charts side by side as ONE chart (one page element).

    ``left`` and ``right`` must have been built with different ``prefix``es.
    Each keeps its own axes, colours and legend; ``width`` is each plot's
    width in pixels (a concatenated chart cannot stretch to its container).
    """
    if set(left["datasets"]) & set(right["datasets"]):
        raise ValueError("the two charts need different dataset prefixes")

    def view(spec: dict) -> dict:
        inner = {k: v for k, v in spec.items() if k not in ("$schema", "datasets", "config")}
        return {**inner, "width": int(width)}

    return {
        "$schema": _SCHEMA,
        "datasets": {**left["datasets"], **right["datasets"]},
        "hconcat": [view(left), view(right)],
        "spacing": 40,
        "resolve": {
            "scale": {"x": "independent", "y": "independent", "color": "independent"},
            "legend": {"color": "independent"},
        },
        "config": _config(),
    }
