"""Lesson: batch normalization — the M × N view, train versus eval, and BatchNorm2d on images.

The tutorial's two batch-norm slides: (1) normalise every feature over the
mini-batch, then scale by γ and shift by β; (2) at test time use the running
averages collected during training. Every number comes from ``vizlib.BatchNorm``
(its output and ``last_stats``); this page only arranges and formats them.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

import vizlib
from ui import cached, exports, md, panels, presentation, render, selfcheck, share, tables
from ui import plots_batchnorm as plots
from ui.state import current_image
from vizlib.conv import format_number

#: ε values offered (PyTorch's default is 1e-5; 0 shows why ε exists).
EPS_CHOICES = (0.0, 1e-8, 1e-5, 1e-3, 0.01, 0.1, 1.0)
P = 4  # decimals shown for statistics


def num(value, precision: int = P) -> str:
    """Format a number as the page shows it (vizlib's formatting, − as the minus sign).

    Rounding noise such as 5.6e-17 (the mean of a normalised column) is shown as 0.
    """
    value = float(value)
    if abs(value) < 1e-12:
        value = 0.0
    return format_number(value, precision).replace("-", "−")


def tex(value, precision: int = P) -> str:
    """Format a number for st.latex (ASCII minus, exponents as powers of ten)."""
    value = float(value)
    text = format_number(0.0 if abs(value) < 1e-12 else value, precision)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def eps_text(eps: float) -> str:
    return "0" if eps == 0 else f"{eps:g}"


def paren(value, precision: int = P) -> str:
    """Format a number, in parentheses when negative (for products and differences)."""
    text = num(value, precision)
    return f"({text})" if value < 0 else text


def clamp_state(key: str, low: int, high: int, default: int) -> None:
    """Keep a widget's stored value inside bounds that just changed (e.g. M shrank)."""
    value = st.session_state.get(key, default)
    st.session_state[key] = min(max(int(value), low), high)


def last_valid(key: str, edited: pd.DataFrame, columns: list[str], defaults: pd.DataFrame):
    """Values of an edited table; empty or non-finite cells keep their last valid value."""
    store = st.session_state.setdefault(key, defaults[columns].to_numpy(dtype=float).copy())
    values = np.array(edited[columns].apply(pd.to_numeric, errors="coerce"), dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        rows, cols = np.nonzero(bad)
        where = ", ".join(f"row {r + 1} “{columns[c]}”" for r, c in zip(rows, cols, strict=True))
        st.warning(f"Empty or invalid cell ({where}): still using the last valid value.")
        values[bad] = store[bad]
    st.session_state[key] = values.copy()
    return values


def lazy_expander(label: str, key: str):
    """A collapsed expander whose contents the page draws only once it is opened.

    Opening it reruns (``on_change="rerun"``) and ``.open`` turns true; closed,
    it costs every rerun one element instead of a code box too.
    """
    return st.expander(label, key=key, on_change="rerun")


st.title("Batch normalization")
# The prose (left out in presentation mode) and the formula (always) as ONE element.
FORMULA = (  # $$ on lines of their own: display math, centred, as st.latex draws it
    "$$\n"
    r"y \;=\; \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \cdot \gamma"
    r" \;+\; \beta"
    "\n$$"
)
INTRO = (
    "A layer deep inside a network receives inputs whose scale keeps changing while the "
    "layers before it learn. **Batch normalization** rescales every feature (every channel) "
    "to mean 0 and variance 1 *using the current mini-batch*, then lets the network choose "
    "its own scale **γ** and shift **β**. During training it also keeps **running averages** of "
    "the batch statistics; at test time (*eval mode*) it normalises with those instead, so an "
    "example's output no longer depends on the other examples in its batch."
)
st.markdown(FORMULA if presentation.is_on() else f"{INTRO}\n\n{FORMULA}")


# ============================================================================ part 1: M × N

FEATURE_TABLE = pd.DataFrame(
    {
        "feature": [
            "height (cm)",
            "weight (kg)",
            "age (years)",
            "shoe size (EU)",
            "sleep (hours)",
            "pulse (beats/min)",
        ],
        "mean": [170.0, 70.0, 35.0, 41.0, 7.0, 65.0],
        "spread (std)": [10.0, 15.0, 12.0, 3.0, 1.0, 8.0],
    }
)
IMAGE_FEATURES = (
    "identity",
    "vertical_edge",
    "horizontal_edge",
    "box_blur_3",
    "edge_detector",
    "sharpen",
)
MAX_FEATURES = len(FEATURE_TABLE)


def sample_table(m: int, means: np.ndarray, spreads: np.ndarray, seed: int) -> np.ndarray:
    """M × N values: column j drawn from N(mean_j, spread_j²) with its own seeded stream.

    Each feature has its own stream (``default_rng([seed, j])``), so editing one
    feature or adding examples leaves the other numbers where they were.
    Values are rounded to 2 decimals so the table reads like measurements.
    """
    columns = [
        np.random.default_rng([seed, j]).normal(means[j], spreads[j], size=m)
        for j in range(len(means))
    ]
    return np.round(np.stack(columns, axis=1), 2)  # (M, N)


def image_table(m: int, n: int, seed: int):
    """M pixel positions × N filter responses of the current (grayscale) image."""
    image = current_image()
    slugs = IMAGE_FEATURES[:n]
    weights = np.stack([vizlib.KERNELS[s].weights for s in slugs])[:, None]  # (N, 1, 3, 3)
    maps = cached.run(vizlib.conv2d, image.gray[None], weights, padding=1)  # (N, H, W)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, maps.shape[1], size=m)
    cols = rng.integers(0, maps.shape[2], size=m)
    values = np.asarray(maps[:, rows, cols].T, dtype=np.float64)  # (M, N)
    names = [vizlib.KERNELS[s].name for s in slugs]
    return values, names, (rows, cols), image


def marked_pixels(gray: np.ndarray, rows, cols, chosen: int) -> np.ndarray:
    """The image as RGB in [0, 1] with the sampled pixels marked (the chosen one in red)."""
    lo, hi = float(gray.min()), float(gray.max())
    rgb = np.repeat(((gray - lo) / (hi - lo if hi > lo else 1.0))[:, :, None], 3, axis=2)
    half = max(1, round(max(gray.shape) / 110))  # marker half-size in pixels
    order = [k for k in range(len(rows)) if k != chosen] + [chosen]  # chosen on top
    for k in order:
        r, c = int(rows[k]), int(cols[k])
        colour = (0.9, 0.05, 0.1) if k == chosen else (1.0, 0.6, 0.0)
        size = half + 1 if k == chosen else half
        rgb[max(r - size, 0) : r + size + 1, max(c - size, 0) : c + size + 1] = colour
    return rgb.astype(np.float32)  # (H, W, 3)


@cached.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def marked_png(image_key: str, m: int, seed: int, chosen: int, _gray: np.ndarray) -> bytes:
    """PNG of :func:`marked_pixels` for the pixels :func:`image_table` samples (cached).

    ``image_key`` identifies ``_gray`` (not hashed: see ui/cached.py); the sampled
    positions follow from the image's shape, ``m`` and ``seed`` as in :func:`image_table`.
    """
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, _gray.shape[0], size=m)
    cols = rng.integers(0, _gray.shape[1], size=m)
    return render.picture_of_image(marked_pixels(_gray, rows, cols, chosen), max_side=512).png


#: Columns of the editable table: the data's distribution (random samples only) and the
#: layer's learnable parameters.
DIST_COLUMNS, AFFINE_COLUMNS = ["mean", "spread (std)"], ["γ", "β"]


@st.fragment
def part_mxn() -> None:
    share.write_to_url()  # a fragment rerun keeps the link up to date
    presentation.section(
        "1 · A mini-batch as an M × N table",
        "Batch norm treats a mini-batch as a table: **M examples** (rows) × **N features** "
        "(columns). Each *feature* (column) is normalised with its own mean and variance, "
        "taken **down the column**, over the M examples of this batch.",
    )

    source = st.radio(
        "Values",
        ("Random samples (you set each feature's mean and spread)", "Pixels of the current image"),
        key="bn.m.source",
        horizontal=True,
    )
    from_image = source.startswith("Pixels")
    all_names = (
        [vizlib.KERNELS[s].name for s in IMAGE_FEATURES]
        if from_image
        else list(FEATURE_TABLE["feature"])
    )
    # The batch's size, its seed, ε and which cell to follow: ONE wrapping row (no columns).
    controls = st.container(horizontal=True, vertical_alignment="bottom")
    m = controls.slider("M (examples in the batch)", 1, 64, 8, key="bn.m.M")
    n = controls.slider("N (features)", 1, MAX_FEATURES, 3, key="bn.m.N")
    seed = controls.number_input("Seed", 0, 10_000, 0, step=1, key="bn.m.seed")
    eps = controls.select_slider(
        "ε (eps)",
        EPS_CHOICES,
        value=1e-5,
        format_func=eps_text,
        key="bn.m.eps",
        help="Added to the variance so a constant feature does not divide by zero.",
    )
    clamp_state("bn.m.feature", 0, n - 1, 0)
    feature = controls.selectbox(
        "Feature to follow (column)",
        range(n),
        format_func=lambda j: f"{j + 1}: {all_names[j]}",
        key="bn.m.feature",
    )
    clamp_state("bn.m.example", 1, m, 1)
    example = controls.number_input("Example to follow (row)", 1, m, step=1, key="bn.m.example")
    j, i = int(feature), int(example) - 1
    names = all_names[:n]

    affine_text = presentation.prose_text(
        "The last columns are the layer's **learnable parameters**, one **γ** (`weight`) and one "
        "**β** (`bias`) per feature: a fresh layer has γ = 1, β = 0; training adjusts them."
    )
    if from_image:
        values, _, where, image = image_table(m, n, int(seed))
        row_names = [f"{k + 1} ({r}, {c})" for k, (r, c) in enumerate(zip(*where, strict=True))]
        st.markdown(
            f"**Each row is one pixel position** of *{md.escape(image.label)}* (grayscale, "
            f"{image.gray.shape[0]}×{image.gray.shape[1]}), chosen at random with the seed; "
            "**each column is one 3×3 filter's response** there (a value of that filter's "
            "feature map, padding 1). This is how a network's batch norm sees a convolution's "
            f"output: part 3 does it for whole feature maps. {affine_text}"
        )
        defaults = pd.DataFrame({"feature": all_names, "γ": 1.0, "β": 0.0})
        row = st.container(horizontal=True)  # the sampled pixels beside the γ, β table
        panels.show_pictures(
            row,
            [marked_png(image.key, m, int(seed), i, image.gray)],
            [
                f"Where the {m} examples come from: {image.label}, example {i + 1} in red, "
                "the others in orange"
            ],
            width=360,
        )
        edited = row.data_editor(
            defaults, key="bn.m.affine", hide_index=True, num_rows="fixed", disabled=["feature"]
        )
        gamma_beta = last_valid("bn.m.affine_valid", edited, AFFINE_COLUMNS, defaults)
    else:
        st.markdown(
            "**Each row is one person, each column one measurement.** Features on very "
            "different scales (cm, kg, hours) are exactly what batch norm evens out. Edit each "
            f"feature's distribution (rows 1–{n} are used). {affine_text}"
        )
        defaults = FEATURE_TABLE.assign(**{"γ": 1.0, "β": 0.0})
        edited = st.data_editor(
            defaults,
            key="bn.m.dist",
            hide_index=True,
            num_rows="fixed",
            disabled=["feature"],
            column_config={
                "mean": st.column_config.NumberColumn("mean", format="%.2f"),
                "spread (std)": st.column_config.NumberColumn(
                    "spread (std)", min_value=0.0, format="%.2f"
                ),
            },
            width="stretch",
        )
        settings = last_valid(
            "bn.m.dist_valid", edited, DIST_COLUMNS + AFFINE_COLUMNS, defaults
        )  # (6, 4): mean, spread, γ, β per feature
        gamma_beta = settings[:, 2:]
        if np.any(settings[:, 1] < 0):
            st.warning("A spread (standard deviation) cannot be negative: using its size.")
            settings[:, 1] = np.abs(settings[:, 1])
        values = sample_table(m, settings[:n, 0], settings[:n, 1], int(seed))
        row_names = [f"example {k + 1}" for k in range(m)]

    layer = vizlib.BatchNorm(n, eps=eps)  # train mode: normalise with this batch's statistics
    layer.weight = gamma_beta[:n, 0].copy()  # (N,) γ
    layer.bias = gamma_beta[:n, 1].copy()  # (N,) β
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a huge γ: said below
            normalised = layer(values)  # (M, N)
    except (ValueError, TypeError) as exc:
        st.error(
            f"Batch norm refused this batch: {exc}"
            + (
                "\n\nWith one example per batch, the batch mean *is* the example and the "
                "variance is 0: there is nothing to normalise against. Part 2 shows this case "
                "in train and eval mode."
                if m == 1
                else ""
            )
        )
        return
    if not np.all(np.isfinite(normalised)):  # γ (or β) so large that γ·x̂ + β overflowed
        j_bad = int(np.flatnonzero(~np.isfinite(normalised).all(axis=0))[0])
        st.error(
            f"The output y of feature “{md.escape(names[j_bad])}” is too large for a float "
            f"(γ = {gamma_beta[j_bad, 0]:.4g}, β = {gamma_beta[j_bad, 1]:.4g}): γ · x̂ + β "
            "overflowed. Use a γ and β of a few units, as a trained layer has "
            "(a fresh layer has γ = 1, β = 0)."
        )
        return
    stats = layer.last_stats

    # ------------------------------------------------------------- the table and its stats
    x_precision = 2 if not from_image else P
    st.markdown(
        f"**Input x**, the mini-batch (M × N = {m} × {n}), and **output y**, normalised, then "
        f"× γ + β. Example {i + 1} (row) and feature {j + 1} (column) are highlighted; hover "
        "a number for its exact value."
    )
    pair = st.container(horizontal=True)  # x beside y, no columns
    for corner, data, precision in (
        ("x (input)", values, x_precision),
        ("y (output)", normalised, P),
    ):
        pair.html(
            tables.number_table(
                data, names, row_names, corner, partial(num, precision=precision), row=i, col=j
            )
        )

    # ---------------------------------------- the statistics and the formula with numbers
    x = float(values[i, j])
    mean, var = float(stats.batch_mean[j]), float(stats.batch_var[j])
    gamma, beta = float(stats.weight[j]), float(stats.bias[j])
    y = float(normalised[i, j])
    centred = x - mean
    root = math.sqrt(var + stats.eps)
    column = values[:, j]
    shown = column if m <= 6 else np.concatenate([column[:3], column[-2:]])
    terms = " + ".join(num(v, x_precision) for v in shown[: 3 if m > 6 else m])
    if m > 6:
        terms += " + … + " + " + ".join(num(v, x_precision) for v in column[-2:])
    sq_terms = " + ".join(f"({num(v, x_precision)} − {num(mean)})²" for v in column[:2])
    sq_terms += " + …" if m > 2 else ""
    stats_rows = [
        stats.batch_mean,
        stats.batch_var,
        np.sqrt(stats.batch_var + stats.eps),
        normalised.mean(axis=0),
        normalised.std(axis=0),
    ]
    # The statistics table, the three steps, the formula with numbers (KaTeX), the same as
    # text and what it means: ONE markdown element.
    st.markdown(
        "**Per-feature statistics** (down each column, over the M examples), and the check: "
        "every column of y now has mean β and standard deviation ≈ γ\n\n"
        + md.table(
            [[num(v) for v in row] for row in stats_rows],
            names,
            index=["E[x] (mean)", "Var[x] (÷ M)", "√(Var[x] + ε)", "mean of y", "std of y"],
        )
        + f"\n\n### The formula for example {i + 1}, feature “{md.escape(names[j])}”\n\n"
        f"1. **Mean** of the column: E[x] = ({terms}) / {m} = {num(column.sum(), x_precision)} "
        f"/ {m} = **{num(mean)}**\n"
        f"2. **Variance** of the column (the *biased* one, ÷ M, which is what normalising uses): "
        f"Var[x] = ({sq_terms}) / {m} = {num(var * m)} / {m} = **{num(var)}**\n"
        f"3. **Normalise, scale, shift** example {i + 1} (x = {num(x, x_precision)}), "
        f"with ε = {eps_text(stats.eps)}, γ = {num(gamma)}, β = {num(beta)}:\n\n"
        "$$\n"
        rf"y = \frac{{{tex(x, x_precision)} - {tex(mean)}}}{{\sqrt{{{tex(var)} + "
        rf"{tex(stats.eps, 8)}}}}} \cdot {tex(gamma)} + {tex(beta)}"
        rf" = \frac{{{tex(centred)}}}{{{tex(root)}}} \cdot {tex(gamma)} + {tex(beta)}"
        rf" = \mathbf{{{tex(y)}}}"
        "\n$$"
        "\n\n"
        f"As text: y = ({num(x, x_precision)} − {paren(mean)}) / √({num(var)} + "
        f"{eps_text(stats.eps)}) × {num(gamma)} + {num(beta)} = {num(centred)} / {num(root)} "
        f"× {num(gamma)} + {num(beta)} = **{num(y)}**\n\n"
        f":small[x is {num(abs(centred / root) if root else 0, 2)} standard deviations "
        f"{'above' if centred >= 0 else 'below'} its feature's mean; y says the same thing on "
        "the scale γ chose. The same x in a different batch would get a different y "
        "(part 2). In the histograms below, the red line is the feature's mean (before) and β "
        "(after): normalising shifts and rescales each column; it does not change the *shape* "
        "of its histogram.]"
    )

    # ------------------------------------------------------------------ histograms
    st.vega_lite_chart(
        spec=plots.before_after_spec(
            values,
            normalised,
            names,
            mean=stats.batch_mean,
            beta=stats.bias,
            before_title=f"Before: x, each feature on its own scale (M = {m} examples)",
            after_title="After: y = normalised × γ + β, all features on one shared scale",
        ),
        width="stretch",
        alt=f"Histograms of the {n} input features before normalising (top row) and after "
        "(bottom row)",
    )
    with lazy_expander("As PyTorch code", "bn.m.code") as box:
        if not box.open:
            return
        rows_text = (
            "[\n"
            + "".join(
                "    [" + ", ".join(format_number(v, 6) for v in row) + "],\n" for row in values
            )
            + "]"
        )
        st.code(
            "import torch\n"
            "from torch import nn\n\n"
            f"bn = nn.BatchNorm1d({n}, eps={stats.eps:g}, dtype=torch.float64)  "
            "# one γ, β per feature\n"
            "with torch.no_grad():\n"
            f"    bn.weight.copy_(torch.tensor({[float(g) for g in stats.weight]}))  # γ\n"
            f"    bn.bias.copy_(torch.tensor({[float(b) for b in stats.bias]}))  # β\n"
            f"x = torch.tensor({rows_text}, dtype=torch.float64)  # (M={m}, N={n})\n"
            "bn.train()  # normalise with this batch's mean and (biased) variance\n"
            "y = bn(x)\n"
            "print(x.mean(0), x.var(0, unbiased=False))  # E[x], Var[x] per feature\n"
            f"print(y[{i}, {j}])  # {num(y)}",
            language="python",
            wrap_lines=presentation.is_on(),
        )


# ============================================================ part 2: train versus eval

LAYER, HISTORY, LAST, LAST_BATCH = "bn.t.layer", "bn.t.history", "bn.t.last", "bn.t.last_batch"
#: The layer's state as the page shows it after every step (one markdown table).
STATE_COLUMNS = [
    "num_batches_tracked",
    "running_mean",
    "running_var",
    "last batch mean",
    "last batch var (÷(n−1))",
]


def stream_batch(seed: int, step: int, size: int, mean: float, spread: float, drift: float):
    """Mini-batch number ``step`` (1, 2, …) of the stream, shape (size, 1).

    ``default_rng([seed, step])`` draws it, so the same seed and the same
    steps give the same batches (and PyTorch code can redraw them).
    """
    rng = np.random.default_rng([seed, step])
    return rng.normal(mean + drift * (step - 1), spread, size=(size, 1))  # (N, C=1)


def reset_layer(eps: float, momentum: float | None) -> None:
    st.session_state[LAYER] = vizlib.BatchNorm(1, eps=eps, momentum=momentum)
    st.session_state[HISTORY] = []
    st.session_state[LAST] = None
    st.session_state[LAST_BATCH] = None


def train_steps(k: int, settings: dict) -> None:
    """Feed the next k batches of the stream to the layer in train mode."""
    layer: vizlib.BatchNorm = st.session_state[LAYER]
    history: list = st.session_state[HISTORY]
    layer.eps = settings["eps"]
    layer.momentum = settings["momentum"]
    layer.train()
    for _ in range(k):
        step = len(history) + 1
        batch = stream_batch(
            settings["seed"],
            step,
            settings["size"],
            settings["mean"],
            settings["spread"],
            settings["drift"],
        )
        try:
            layer(batch)
        except ValueError as exc:
            st.error(f"Train mode refused the batch: {exc}")
            return
        s = layer.last_stats
        history.append(
            {
                "step": step,
                "size": settings["size"],
                "batch_mean": float(s.batch_mean[0]),
                "batch_var": float(s.batch_var[0]),
                "batch_var_unbiased": float(s.batch_var_unbiased[0]),
                "running_mean": float(s.running_mean_after[0]),
                "running_var": float(s.running_var_after[0]),
                "data_mean": settings["mean"] + settings["drift"] * (step - 1),
                "data_var": settings["spread"] ** 2,
                "values": batch[:64, 0].copy(),  # for the chart: at most 64 per batch
                "settings": dict(settings),
            }
        )
        st.session_state[LAST] = s
        st.session_state[LAST_BATCH] = batch


@st.fragment
def part_train_eval() -> None:
    share.write_to_url()  # a fragment rerun keeps the link up to date
    update = (  # display math: $$ on lines of their own
        "$$\n"
        r"\text{running\_mean} \leftarrow (1 - m)\cdot\text{running\_mean} + m \cdot "
        r"\mathrm{E}_{\text{batch}}[x]"
        "\n$$\n\n$$\n"
        r"\text{running\_var} \leftarrow (1 - m)\cdot\text{running\_var} + m \cdot "
        r"\mathrm{Var}^{\text{unbiased}}_{\text{batch}}[x]"
        "\n$$"
    )
    # "---": the divider between the parts, in the part's first markdown (one element).
    if presentation.is_on():  # the formulas stay, the prose is the teacher's
        st.markdown(f"---\n\n## 2 · Train mode versus eval mode\n\n{update}")
    else:
        st.markdown(
            "---\n\n## 2 · Train mode versus eval mode\n\n"
            "In **train mode** the layer normalises with the batch's own mean and variance, and "
            f"nudges its **running averages** towards them after every batch:\n\n{update}\n\n"
            "In **eval mode** (`model.eval()`, at test time) it normalises with the running "
            "averages and changes nothing. Below, one feature (C = 1) receives a stream of "
            "seeded mini-batches; train it step by step and watch the running statistics follow."
        )

    # The data and the layer's settings in ONE wrapping row (a horizontal container): it
    # costs the browser a fraction of rows of columns on every rerun. Fixed widths: the
    # data's five fill a line of the main column, the layer's three wrap together.
    row = st.container(horizontal=True, vertical_alignment="bottom")
    size = row.slider("Batch size n", 1, 256, 16, key="bn.t.size", width=220)
    mean = row.number_input("Data mean", -100.0, 100.0, 5.0, step=0.5, key="bn.t.mean", width=160)
    spread = row.number_input(
        "Data spread (std)", 0.0, 50.0, 2.0, step=0.25, key="bn.t.spread", width=160
    )
    drift = row.number_input(
        "Drift of the mean per step",
        -5.0,
        5.0,
        0.0,
        step=0.05,
        key="bn.t.drift",
        help="Makes the data's mean move while you train (e.g. lighting changing over time).",
        width=160,
    )
    seed = row.number_input("Seed", 0, 10_000, 0, step=1, key="bn.t.seed", width=160)
    momentum = row.slider(
        "momentum m",
        0.0,
        1.0,
        0.1,
        step=0.01,
        key="bn.t.momentum",
        # the checkbox comes after it (beside it in the row); a click on it is in the
        # session state before this rerun draws anything
        disabled=bool(st.session_state.get("bn.t.cumulative", False)),
        help="Weight of the newest batch in the running averages (PyTorch's default 0.1).",
        width=320,
    )
    cumulative = row.checkbox(
        "momentum=None (cumulative)",
        False,
        key="bn.t.cumulative",
        help="running = average of every batch so far: the factor is 1 / num_batches_tracked.",
    )
    eps = row.select_slider(
        "ε (eps)", EPS_CHOICES, value=1e-5, format_func=eps_text, key="bn.t.eps", width=320
    )
    settings = {
        "seed": int(seed),
        "size": int(size),
        "mean": float(mean),
        "spread": float(spread),
        "drift": float(drift),
        "momentum": None if cumulative else float(momentum),
        "eps": float(eps),
    }
    if LAYER not in st.session_state:
        reset_layer(settings["eps"], settings["momentum"])

    buttons = st.container(horizontal=True, vertical_alignment="bottom")
    k = buttons.slider("k (steps per click)", 1, 100, 10, key="bn.t.k")
    if buttons.button(f"Train {k} steps", key="bn.t.train_k", type="primary"):
        train_steps(k, settings)
    if buttons.button("Train 1 step", key="bn.t.train_1"):
        train_steps(1, settings)
    if buttons.button("Reset", key="bn.t.reset"):
        reset_layer(settings["eps"], settings["momentum"])
    exports.history_download(buttons, st.session_state[HISTORY])  # after training: up to date
    if size == 1:
        st.warning(
            "Batch size 1: train mode will refuse (one value per channel has variance 0). "
            "Press a train button to see vizlib's message; eval mode below still works."
        )

    layer: vizlib.BatchNorm = st.session_state[LAYER]
    history: list = st.session_state[HISTORY]
    layer.eps = settings["eps"]
    layer.momentum = settings["momentum"]

    # The layer's state and the last batch's statistics: one markdown table (one element
    # instead of five metrics in a row).
    last = history[-1] if history else None
    st.markdown(
        md.table(
            [
                [
                    str(int(layer.num_batches_tracked)),
                    num(layer.running_mean[0]),
                    num(layer.running_var[0]),
                    num(last["batch_mean"]) if last else "—",
                    num(last["batch_var_unbiased"]) if last else "—",
                ]
            ],
            STATE_COLUMNS,
            align="center",
        )
        + (
            ""
            if history
            else "\n\nPress “Train” to feed batches to the layer; the charts fill in step by step."
        )
    )

    predict_running_mean(layer, history, settings)
    running_stats_charts(history)
    last_update(history)
    two_batches(layer, settings)
    fresh_layer_pitfall(layer, settings)
    pytorch_train_eval(layer, history, settings)


def predict_running_mean(layer: vizlib.BatchNorm, history: list, settings: dict) -> None:
    """Predict first: the student types running_mean after the next step, then trains it."""
    key = "bn.t"
    last = st.session_state.get(f"{key}.last_check")
    if (
        selfcheck.is_on(key)
        and last
        and history
        and last["token"].startswith(f"step {len(history)}:")
    ):
        entry = history[-1]
        selfcheck.show_result(
            st,
            key,
            last["guess"],
            entry["running_mean"],
            f"Step {entry['step']}: the batch mean was {num(entry['batch_mean'])}; the update "
            "below shows the arithmetic.",
            "A new question for the next step follows.",
        )
    step = len(history) + 1
    batch = stream_batch(
        settings["seed"],
        step,
        settings["size"],
        settings["mean"],
        settings["spread"],
        settings["drift"],
    )  # (n, 1): the batch the next training step will see
    probe = layer.copy()
    probe.train()
    try:
        probe(batch)
    except ValueError:  # batch size 1: train mode refuses (the warning above says so)
        return
    s = probe.last_stats
    f, rm0, mean = float(s.momentum_used), float(s.running_mean_before[0]), float(s.batch_mean[0])
    selfcheck.predict_first(
        st,
        key,
        float(s.running_mean_after[0]),
        f"running_mean after step {step}",
        token=f"step {step}:{float(s.running_mean_after[0])!r}",
        hint=(
            f"Now running_mean = {num(rm0)}; the next batch ({s.count} values) has mean "
            f"{num(mean)}; the factor is {num(f)}"
            + (" (1 / num_batches_tracked)." if settings["momentum"] is None else " (momentum).")
        ),
        note="",
        next_note="",
        check_label="Train 1 step and check",
        then=partial(train_steps, 1, settings),
        after="Training one step reveals the answer and the difference.",
    )


def running_stats_charts(history: list) -> None:
    """Means and variances over the steps: two plots side by side in ONE chart element."""
    if not history:
        return
    steps = [0] + [h["step"] for h in history]
    nan = float("nan")

    def col(name: str, start=nan):
        return [start] + [h[name] for h in history]

    cloud = [(h["step"], h["values"]) for h in history[-60:]]
    means = plots.running_stat_spec(
        steps,
        {
            "batch mean (each batch's own)": (col("batch_mean"), "points", "#4c78a8"),
            "running_mean (after the step)": (col("running_mean", 0.0), "line", "#e45756"),
            "data mean (the true one)": (col("data_mean"), "dashed", "#54a24b"),
        },
        y_title="mean",
        title="Means: each batch's vs the running average",
        examples=cloud,
        prefix="mean_",
    )
    variances = plots.running_stat_spec(
        steps,
        {
            "batch var ÷n (biased: used to normalise)": (col("batch_var"), "points", "#4c78a8"),
            "batch var ÷(n−1) (unbiased: fed to running_var)": (
                col("batch_var_unbiased"),
                "points",
                "#f58518",
            ),
            "running_var (after the step)": (col("running_var", 1.0), "line", "#e45756"),
            "data variance (spread², the true one)": (col("data_var"), "dashed", "#54a24b"),
        },
        y_title="variance",
        title="Variances: each batch's vs the running average",
        prefix="var_",
    )
    st.vega_lite_chart(
        spec=plots.running_stats_pair_spec(means, variances),
        alt="Left: batch mean and running mean over the training steps. Right: batch variance "
        "(biased and unbiased) and running variance over the training steps.",
    )


def last_update(history: list) -> None:
    stats: vizlib.BatchNormStats | None = st.session_state.get(LAST)
    batch = st.session_state.get(LAST_BATCH)
    if not history or stats is None or batch is None:
        return
    step = history[-1]["step"]
    n = stats.count
    f = stats.momentum_used
    mean = float(stats.batch_mean[0])
    biased, unbiased = float(stats.batch_var[0]), float(stats.batch_var_unbiased[0])
    squares = biased * n
    rm0, rm1 = float(stats.running_mean_before[0]), float(stats.running_mean_after[0])
    rv0, rv1 = float(stats.running_var_before[0]), float(stats.running_var_after[0])
    values = ", ".join(num(v, 3) for v in batch[:8, 0]) + (" …" if n > 8 else "")
    why_factor = (
        f"momentum=None: the factor is 1 / num_batches_tracked = 1/{step}"
        if history[-1]["settings"]["momentum"] is None
        else f"momentum m = {num(f)}"
    )
    small = (
        f"\n\n:small[With only n = {n} values the two variances differ by a factor {n}/{n - 1}: "
        "small batches are where the difference matters.]"
        if n <= 4
        else ""
    )
    st.markdown(
        md.note(
            "Grey ticks: the examples of each batch (up to 64; last 60 steps). Step 0 is the "
            "fresh layer: running_mean = 0, running_var = 1. With momentum m the running "
            "average forgets old batches geometrically (a batch k steps ago weighs "
            "m·(1 − m)^k); with momentum=None every batch so far counts the same.",
            plain=presentation.is_on(),
        )
        + f"\n\n### The last update (step {step}), with its numbers\n\n"
        f"Batch {step}: n = {n} values ({values}).\n\n"
        f"- Batch mean = {num(mean)}. Sum of squared deviations Σ(x − mean)² = "
        f"{num(squares)}.\n"
        f"- **Biased variance** (÷ n) = {num(squares)} / {n} = **{num(biased)}**: the "
        "actual spread of these n numbers, so it is what *normalises this batch* in train "
        "mode.\n"
        f"- **Unbiased variance** (÷ (n − 1)) = {num(squares)} / {n - 1} = "
        f"**{num(unbiased)}**: a batch's own mean sits closer to its values than the true "
        "mean does, so ÷ n underestimates the data's variance by the factor (n − 1)/n. "
        "running_var estimates the *data's* variance, so it is fed the unbiased one.\n"
        f"- With {why_factor}:\n"
        f"  - running_mean = (1 − {num(f)}) × {paren(rm0)} + {num(f)} × {paren(mean)} = "
        f"**{num(rm1)}**\n"
        f"  - running_var = (1 − {num(f)}) × {num(rv0)} + {num(f)} × {num(unbiased)} = "
        f"**{num(rv1)}**" + small
    )


def other_examples(seed: int, which: int, size: int, mean: float, spread: float) -> np.ndarray:
    """Draw the batch-mates of the followed example: batch A (which=1) or B (which=2)."""
    rng = np.random.default_rng([seed, 1_000_000 + which])
    return rng.normal(mean, spread, size=(size - 1, 1))  # (size-1, 1)


def two_batches(layer: vizlib.BatchNorm, settings: dict) -> None:
    """One example in two batches, in train and in eval mode, with the numbers.

    ONE markdown (the two batches are the columns of a table) and one box
    stating the point, instead of two bordered columns of text and metrics.
    """
    size = settings["size"]
    steps = len(st.session_state[HISTORY])
    data_mean = settings["mean"] + settings["drift"] * steps  # where the stream is now
    x0 = data_mean + settings["spread"]  # one spread above the current data mean
    if size > 1:
        mates = (
            f"two different mini-batches of n = {size}, A and B, whose other {size - 1} "
            "examples are different draws from the same data"
        )
    else:
        mates = "two “mini-batches” of n = 1, A and B: with batch size 1 each holds only x"
    untrained = (
        "\n\n"
        + presentation.note(
            "The layer has not trained yet, so eval mode uses running_mean 0 and "
            "running_var 1 (see the pitfall below). Train a few steps and watch the eval "
            "numbers change."
        )
        if layer.num_batches_tracked == 0
        else ""
    )
    batches = {
        "A": np.vstack(
            [[[x0]], other_examples(settings["seed"], 1, size, data_mean, settings["spread"])]
        ),  # (n, 1)
        "B": np.vstack(
            [[[x0]], other_examples(settings["seed"], 2, size, data_mean, settings["spread"])]
        ),  # (n, 1)
    }

    def formula(s: vizlib.BatchNormStats, y: float) -> str:
        return (
            f"({num(x0)} − {paren(s.mean_used[0])}) / √({num(s.var_used[0])} + "
            f"{eps_text(s.eps)}) × {num(s.weight[0])} + {num(s.bias[0])} = **{num(y)}**"
        )

    results: dict[tuple[str, str], float | None] = {}
    cells: dict[str, list[str]] = {}  # batch name -> its column of the table
    errors: dict[str, str] = {}  # mode -> vizlib's message (the same for both batches)
    for name, batch in batches.items():
        shown = ", ".join(num(v, 2) for v in batch[:10, 0]) + (" …" if size > 10 else "")
        column = [shown]
        for mode in ("train", "eval"):
            probe = layer.copy().train() if mode == "train" else layer.copy().eval()
            try:
                y = float(probe(batch)[0, 0])  # x0 is the first example
            except ValueError as exc:  # train: one value per channel; eval: var 0, eps 0
                errors[mode] = str(exc)
                results[(mode, name)] = None
                column += ["—", "refused (see the message below)"]
                continue
            s = probe.last_stats
            results[(mode, name)] = y
            column += [f"{num(s.mean_used[0])}, {num(s.var_used[0])}", formula(s, y)]
        cells[name] = column
    labels = [
        "its n values (x first)",
        "**train mode**: this batch's mean, biased var",
        "**train mode**: y",
        "**eval mode**: running_mean, running_var",
        "**eval mode**: y",
    ]
    table = "\n".join(
        [f"| | Batch A (n = {size}) | Batch B (n = {size}) |", "| :--- | :--- | :--- |"]
        + [
            f"| {label} | {a} | {b} |"
            for label, a, b in zip(labels, cells["A"], cells["B"], strict=True)
        ]
    )
    st.markdown(
        "### The same example in two different batches\n\n"
        f"Take one example, **x = {num(x0)}** (one spread above the current data mean), and put "
        f"it into {mates}. Normalise both with copies of the layer above (`layer.copy()`: "
        f"this does not change it).{untrained}\n\n{table}"
    )
    for mode, message in errors.items():
        st.error(f"{mode.capitalize()} mode: {message}")
    ta, tb = results[("train", "A")], results[("train", "B")]
    ea, eb = results[("eval", "A")], results[("eval", "B")]
    if ea is None or eb is None:
        return
    if ta is not None and tb is not None:
        st.success(
            f"Train mode: **{num(ta)}** in batch A but **{num(tb)}** in batch B — the same "
            "example's output depends on which other examples share its batch. "
            f"Eval mode: **{num(ea)}** and **{num(eb)}** — one output, whatever the batch. "
            "That is why you call `model.eval()` before testing."
        )
    else:
        st.info(
            f"With a batch of one, train mode has nothing to normalise with; eval mode still "
            f"gives **{num(ea)}**, computed from the running statistics."
        )


def fresh_layer_pitfall(layer: vizlib.BatchNorm, settings: dict) -> None:
    fresh = vizlib.BatchNorm(1, eps=settings["eps"])  # running_mean 0, running_var 1
    fresh.eval()
    batch = stream_batch(
        settings["seed"], 1, max(settings["size"], 2), settings["mean"], settings["spread"], 0.0
    )[:5]  # (≤5, 1)
    y_fresh = fresh(batch)  # (k, 1)
    s = fresh.last_stats
    refused = None
    try:
        y_now = layer.copy().eval()(batch)  # (k, 1)
    except ValueError as exc:  # running_var 0 with eps 0
        refused = f"This layer cannot run in eval mode right now: {exc}"
        y_now = np.full_like(batch, np.nan)
    table = md.table(
        [
            [num(v) for v in row]
            for row in zip(batch[:, 0], y_fresh[:, 0], y_now[:, 0], strict=True)
        ],
        [
            "x",
            "fresh layer, eval: y",
            f"this layer ({int(layer.num_batches_tracked)} steps), eval: y",
        ],
    )
    # Heading, explanation and the table of numbers: one markdown element.
    st.markdown(
        "### Pitfall: eval mode with a layer that never trained\n\n"
        f"A new layer starts with running_mean = {num(s.mean_used[0])} and running_var = "
        f"{num(s.var_used[0])}, so in eval mode it computes\n\n"
        f"y = (x − {num(s.mean_used[0])}) / √({num(s.var_used[0])} + {eps_text(s.eps)}) × "
        f"{num(s.weight[0])} + {num(s.bias[0])} = x / {num(math.sqrt(s.var_used[0] + s.eps), 6)}"
        " ≈ x\n\n— almost the identity: nothing is normalised. This happens when a model is "
        "evaluated before its batch-norm layers have seen data, after `reset_running_stats()`, "
        "or when the running statistics were never saved with the model. The data here has "
        f"mean {num(settings['mean'])} and spread {num(settings['spread'])}, so the outputs "
        f"keep that scale instead of landing near 0 ± 1.\n\n{table}"
    )
    if refused:
        st.warning(refused)


def pytorch_train_eval(layer: vizlib.BatchNorm, history: list, settings: dict) -> None:
    with lazy_expander("As PyTorch code (reproduces the numbers above)", "bn.t.code") as box:
        if not box.open:
            return
        steps = len(history)
        x0 = settings["mean"] + settings["drift"] * steps + settings["spread"]
        try:
            eval_text = num(layer.copy().eval()(np.array([[x0]]))[0, 0])
        except ValueError:
            eval_text = "an error (running_var 0 and eps 0)"
        momentum = "None" if settings["momentum"] is None else f"{settings['momentum']:g}"
        mixed = any(h["settings"] != history[0]["settings"] for h in history)
        note = (
            "# NB: you changed the settings while training; this loop uses the current ones\n"
            if mixed
            else ""
        )
        st.code(
            "import numpy as np\n"
            "import torch\n"
            "from torch import nn\n\n"
            f"bn = nn.BatchNorm1d(1, eps={settings['eps']:g}, momentum={momentum}, "
            "dtype=torch.float64)\n"
            "bn.train()  # normalise with each batch's statistics, update the running ones\n"
            f"{note}"
            f"for step in range(1, {steps + 1}):  # the {steps} step(s) trained so far\n"
            f"    rng = np.random.default_rng([{settings['seed']}, step])\n"
            f"    x = rng.normal({settings['mean']:g} + {settings['drift']:g} * (step - 1), "
            f"{settings['spread']:g}, size=({settings['size']}, 1))  # (n, C=1)\n"
            "    bn(torch.from_numpy(x))\n"
            f"print(bn.running_mean, bn.running_var, bn.num_batches_tracked)"
            f"  # {num(layer.running_mean[0])}, {num(layer.running_var[0])}, "
            f"{int(layer.num_batches_tracked)}\n\n"
            "bn.eval()  # from now on: normalise with running_mean and running_var\n"
            f"y = bn(torch.tensor([[{x0:g}]], dtype=torch.float64))  # the example x of the two "
            f"batches: {eval_text}, in any batch\n\n"
            "# A batch of one in train mode:\n"
            "# bn.train(); bn(torch.zeros(1, 1))  ->  ValueError: Expected more than 1 value "
            "per channel when training",
            language="python",
            wrap_lines=presentation.is_on(),
        )


# ================================================================ part 3: on images

IMAGE_FILTERS = ("box_blur_3", "vertical_edge", "horizontal_edge", "edge_detector", "sharpen")
CROP_LIMIT = 160  # the image is shrunk to this side before cropping: keeps training quick
PHOTO_SIDE = 128  # side of each photo in the "sample photos" batch
BATCH_SOURCES = ("Augmented copies of the current image", "The current image and the sample photos")


def square(pixels: np.ndarray, side: int) -> np.ndarray:
    """The central square of a grayscale image, shrunk to at most ``side`` (S, S)."""
    rows, cols = pixels.shape
    edge = min(rows, cols)
    top, left = (rows - edge) // 2, (cols - edge) // 2
    return vizlib.images.resize_image(pixels[top : top + edge, left : left + edge], side)


def batch_bases(
    gray: np.ndarray, label: str, image_key: str, source: str
) -> tuple[list[np.ndarray], list[str]]:
    """The pictures a batch is made from, and their names.

    Augmented copies: the current image (shrunk to ``CROP_LIMIT``), cropped at
    random per example. Sample photos: the current image and every other bundled
    photo, as central squares of one common size.
    """
    if source == BATCH_SOURCES[0]:
        return [vizlib.images.resize_image(gray, CROP_LIMIT)], [label]
    side = min(PHOTO_SIDE, *gray.shape)
    bases, names = [square(gray, side)], [label]
    for sample in vizlib.sample_images():
        if image_key.startswith(f"sample:{sample.key}:"):
            continue  # already in the batch as the current image
        photo = cached.load_sample(sample.key, "gray").pixels  # (H, W)
        bases.append(square(photo, side))
        names.append(sample.title)
    return bases, names


def augmented_batch(bases, n: int, seed: int, step: int, augment: tuple[bool, bool], crop: bool):
    """N examples from ``bases`` (each (H, W)): random crop, flip, brightness. (N, 1, S, S).

    Example k starts from ``bases[k % len(bases)]``. Every random number is drawn
    whatever the options, so switching one augmentation off leaves the others
    as they were.
    """
    flip, bright = augment
    rows, cols = bases[0].shape
    edge = min(rows, cols)
    side = min(edge, max(3, int(0.8 * edge))) if crop else edge  # never more than the image
    rng = np.random.default_rng([seed, step])
    crops, factors = [], []
    for k in range(n):
        r = int(rng.integers(0, rows - side + 1))
        c = int(rng.integers(0, cols - side + 1))
        mirror = rng.random() < 0.5
        factor = float(rng.uniform(0.5, 1.5)) if bright else 1.0
        if not crop:
            r = c = 0
        example = bases[k % len(bases)][r : r + side, c : c + side]
        if flip and mirror:
            example = example[:, ::-1]
        crops.append(example * factor)
        factors.append(factor)
    return np.stack(crops)[:, None].astype(np.float32), factors  # (N, 1, S, S)


@cached.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def image_batchnorm(
    image_key: str,
    source: str,
    n: int,
    train_batches: int,
    seed: int,
    slugs: tuple[str, ...],
    augment: tuple[bool, bool],
    label: str,
    _gray: np.ndarray,
) -> dict:
    """Train a BatchNorm2d on ``train_batches`` batches, then normalise a new one.

    ``image_key`` identifies ``_gray`` (not hashed: see ui/cached.py). With the
    sample photos as the source, N is the number of photos.
    """
    bases, names = batch_bases(_gray, label, image_key, source)
    crop = source == BATCH_SOURCES[0]
    n = n if crop else len(bases)
    weights = np.stack([vizlib.KERNELS[s].weights for s in slugs])[:, None]  # (C, 1, 3, 3)
    layer = vizlib.BatchNorm(len(slugs))
    for step in range(1, train_batches + 1):
        batch, _ = augmented_batch(bases, n, seed, step, augment, crop)  # (N, 1, S, S)
        layer(vizlib.conv2d(batch, weights, padding=1), record_stats=False)  # (N, C, S, S)
    crops, factors = augmented_batch(bases, n, seed, 0, augment, crop)  # the batch shown
    maps = vizlib.conv2d(crops, weights, padding=1)  # (N, C, S, S)
    trained = layer.copy().train()
    y_train = trained(maps)  # (N, C, S, S), this batch's statistics
    evaluated = layer.copy().eval()
    y_eval = evaluated(maps)  # (N, C, S, S), running statistics
    return {
        "names": [names[k % len(names)] for k in range(n)],
        "crops": crops[:, 0],
        "factors": factors,
        "maps": maps,
        "y_train": y_train,
        "y_eval": y_eval,
        "train_stats": trained.last_stats,
        "eval_stats": evaluated.last_stats,
        "num_batches_tracked": layer.num_batches_tracked,
    }


MAP_WIDTH = 300  # three maps and the gaps between them fit the main column


@cached.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def montage_png(batch_key: tuple, chosen: int, _crops: np.ndarray) -> bytes:
    """PNG of :func:`montage` (cached): ``batch_key`` names the batch ``_crops`` (N, S, S)."""
    return render.picture_of_image(montage(_crops, chosen), max_side=1600).png


def montage(crops: np.ndarray, chosen: int, gap: int = 4) -> np.ndarray:
    """Crops (N, S, S) side by side as RGB in [0, 1], the chosen one framed in orange.

    Scaled by the batch's largest value (brightness changes can exceed 1), so
    brighter and darker copies stay comparable.
    """
    n, side, _ = crops.shape
    scale = max(float(crops.max()), 1e-12)
    strip = np.ones((side + 2 * gap, n * (side + gap) + gap, 3), dtype=np.float32)
    for k in range(n):
        left = gap + k * (side + gap)
        if k == chosen:
            strip[:, left - gap : left + side + gap] = (1.0, 0.55, 0.0)
        strip[gap : gap + side, left : left + side] = (crops[k] / scale)[:, :, None]
    return strip  # (S + 2*gap, N*(S + gap) + gap, 3)


@st.fragment
def part_images() -> None:
    share.write_to_url()  # a fragment rerun keeps the link up to date
    # "---": the divider between the parts, in the part's first markdown (one element).
    st.markdown(
        "---\n\n## 3 · On images: BatchNorm2d over feature maps"
        + presentation.prose_text(
            "\n\nAfter a convolution, each **channel** (one filter's feature map) is one "
            "feature. BatchNorm2d computes **one mean and one variance per channel over "
            "(N, H, W)**: every pixel of every image in the batch counts as an example. The "
            "batch here is N pictures (augmented copies of the current image — random crops, "
            "flips and brightness changes — or the current image with the other sample "
            "photos), each convolved with a few filters: a batch of feature maps of shape "
            "(N, C, H, W)."
        )
    )
    image = current_image()
    source = st.radio("Batch", BATCH_SOURCES, horizontal=True, key="bn.i.source")
    photos = source == BATCH_SOURCES[1]
    # The batch's and the view's controls in ONE wrapping row (a horizontal container).
    row = st.container(horizontal=True, vertical_alignment="bottom")
    slugs = row.multiselect(
        "Filters (one channel each)",
        IMAGE_FILTERS,
        default=["box_blur_3", "vertical_edge", "edge_detector"],
        format_func=lambda s: vizlib.KERNELS[s].name,
        key="bn.i.filters",
        max_selections=4,
        width=760 if presentation.is_on() else 420,  # room for four large chips
    )
    if not slugs:
        st.warning("Choose at least one filter: still using the last choice.")
        slugs = st.session_state.get("bn.i.filters_valid", ["box_blur_3"])
    st.session_state["bn.i.filters_valid"] = list(slugs)
    if photos:
        n = 1 + sum(not image.key.startswith(f"sample:{s.key}:") for s in vizlib.sample_images())
        row.markdown(f"N = **{n}** photos in the batch", width="content")
    else:
        n = row.slider("N (images in the batch)", 2, 16, 8, key="bn.i.N", width=220)
    k = row.slider(
        "training batches before eval",
        0,
        50,
        20,
        key="bn.i.K",
        help="The running statistics come from this many earlier batches. 0 = a fresh layer.",
        width=220,
    )
    flip = row.checkbox("random flips", True, key="bn.i.flip")
    bright = row.checkbox(
        "random brightness",
        True,
        key="bn.i.bright",
        help="Each image is multiplied by its own random factor between 0.5 and 1.5.",
    )
    seed = row.number_input("Seed", 0, 10_000, 0, step=1, key="bn.i.seed", width=160)
    clamp_state("bn.i.example", 1, n, 1)
    example = (
        row.number_input("Image of the batch to show", 1, n, step=1, key="bn.i.example", width=220)
        - 1
    )
    clamp_state("bn.i.channel", 0, len(slugs) - 1, 0)
    channel = row.selectbox(
        "Channel to show",
        range(len(slugs)),
        format_func=lambda c: f"{c}: {vizlib.KERNELS[slugs[c]].name}",
        key="bn.i.channel",
        width=220,
    )

    batch_key = (image.key, source, n, k, int(seed), tuple(slugs), (flip, bright), image.label)
    try:
        result = image_batchnorm(*batch_key, image.gray)
    except (ValueError, TypeError) as exc:
        st.error(f"Could not build the batch: {exc}")
        return
    crops, maps = result["crops"], result["maps"]
    ts, es = result["train_stats"], result["eval_stats"]
    _, cc, hh, ww = maps.shape
    factors = ", ".join(f"×{f:.2f}" for f in result["factors"])
    caption = (
        (
            f"The batch: N = {n} augmented crops of {image.label}"
            if not photos
            else f"The batch: {', '.join(result['names'])}"
        )
        + f", each {hh}×{ww}, image {example + 1} framed"
        + (f"; brightness {factors}" if bright else "")
        + f"; shown scaled by the batch's largest value {num(crops.max(), 3)}"
    )
    panels.show_png(st, montage_png(batch_key, example, crops), caption)

    # The three maps as ONE picture list; each caption starts with what the map is:
    # before, train mode, eval mode. Train and eval share one colour scale.
    x_map = maps[example, channel]  # (H, W)
    y_t, y_e = result["y_train"][example, channel], result["y_eval"][example, channel]
    lim = panels.color_limit(np.stack([y_t, y_e]))  # one scale for both (boost: 99th pct)
    # On a projector: short names and captions (name, shape, min, max), the colour
    # scales once under the row, and the three maps narrow enough to share one line.
    short = presentation.is_on()
    titles = (
        ("Before: x", "Train mode: y", "Eval mode: y")
        if short
        else (
            "Before batch norm (the filter's feature map) x",
            "Train mode (this batch's mean and variance) y",
            "Eval mode (the running mean and variance) y",
        )
    )
    pictures = [
        panels.map_figure(
            x_map, f"{titles[0]}: image {example + 1}, channel {channel}", short=short
        ),
        panels.map_figure(y_t, titles[1], vlim=lim, short=short),
        panels.map_figure(y_e, titles[2], vlim=lim, short=short),
    ]
    panels.show_pictures(
        st,
        [pic.png for pic, _, _ in pictures],
        [caption for _, caption, _ in pictures],
        width=panels.row_width(3, MAP_WIDTH),
        alts=[alt for _, _, alt in pictures],
        margin=6,
    )
    if short:
        x_note = panels.scale_caption(x_map, pictures[0][0], "signed", shared=False)
        y_note = panels.row_scale_note(
            np.stack([y_t, y_e]), [pictures[1][0], pictures[2][0]], "signed", shared=True
        )
        st.caption(f"x: {x_note}.  \ny (both): {y_note[:1].lower()}{y_note[1:]}")

    names = [vizlib.KERNELS[s].name for s in slugs]
    table = md.table(
        [
            [f"{ts.count:,}", num(bm), num(bv), num(rm), num(rv)]
            for bm, bv, rm, rv in zip(
                ts.batch_mean, ts.batch_var, es.mean_used, es.var_used, strict=True
            )
        ],
        [
            "values per channel (N·H·W)",
            "batch mean",
            "batch var (÷ N·H·W)",
            "running_mean",
            "running_var",
        ],
        index=[f"{c}: {name}" for c, name in enumerate(names)],
        corner="channel",
    )
    tracked = int(result["num_batches_tracked"])
    if k == 0:
        note = "A fresh layer: running_mean 0, running_var 1 (eval mode will barely normalise)."
    else:
        left = 0.9**tracked  # weight the starting values (0 and 1) still carry
        note = (
            f"After {tracked} training batch(es) of the same kind with momentum 0.1, the "
            f"running statistics still carry (1 − 0.1)^{tracked} = {num(100 * left, 1)}% of "
            "their starting values (mean 0, variance 1): running averages need many batches "
            "to forget where they started."
        )
    r, c = hh // 2, ww // 2
    x = float(x_map[r, c])
    # The shapes, the per-channel statistics, what the running ones carry and the centre
    # pixel worked out in both modes: one element.
    st.markdown(
        f"Convolved with {cc} filter(s) (padding 1): feature maps **(N, C, H, W) = "
        f"({n}, {cc}, {hh}, {ww})**. Each channel's statistics pool N·H·W = "
        f"{n}·{hh}·{ww} = **{ts.count:,}** values.\n\n{table}\n\n{presentation.note(note)}\n\n"
        f"At the centre pixel ({r}, {c}) of image {example + 1}, channel {channel}: "
        f"x = {num(x)}.\n\n"
        f"- Train: y = ({num(x)} − {paren(ts.mean_used[channel])}) / "
        f"√({num(ts.var_used[channel])} + {eps_text(ts.eps)}) × {num(ts.weight[channel])} + "
        f"{num(ts.bias[channel])} = **{num(y_t[r, c])}**\n"
        f"- Eval: y = ({num(x)} − {paren(es.mean_used[channel])}) / "
        f"√({num(es.var_used[channel])} + {eps_text(es.eps)}) × {num(es.weight[channel])} + "
        f"{num(es.bias[channel])} = **{num(y_e[r, c])}**\n\n"
        "Train and eval outputs share one colour scale. They differ by how far this batch's "
        "statistics are from the running ones"
        + (
            "; with a fresh layer eval mode barely changes the map (y ≈ x)."
            if k == 0
            else "; with more training batches and larger N they agree more closely."
        )
    )
    with lazy_expander("As PyTorch code", "bn.i.code") as box:
        if not box.open:
            return
        st.code(
            "import torch\n"
            "from torch import nn\n\n"
            f"conv = nn.Conv2d(1, {cc}, kernel_size=3, padding=1, bias=False)  "
            f"# filters: {', '.join(slugs)}\n"
            f"bn = nn.BatchNorm2d({cc})  # eps=1e-05, momentum=0.1: one γ, β, mean, var per "
            "channel\n"
            f"# crops: (N, 1, H, W) = ({n}, 1, {hh}, {ww})\n"
            "bn.train()\n"
            f"for batch in training_batches:  # {k} of them\n"
            "    bn(conv(batch))  # updates running_mean / running_var per channel\n"
            "maps = conv(crops)  # (N, C, H, W)\n"
            "y_train = bn.train()(maps)  # mean/var over dims (0, 2, 3) of this batch\n"
            "y_eval = bn.eval()(maps)  # bn.running_mean, bn.running_var\n"
            "print(maps.mean(dim=(0, 2, 3)), maps.var(dim=(0, 2, 3), unbiased=False))",
            language="python",
            wrap_lines=presentation.is_on(),
        )


# Each part is a fragment: a control inside one part reruns only that part (the page is
# long, and the browser redraws what a rerun sends). A new image in the sidebar reruns all.
part_mxn()
part_train_eval()
part_images()
