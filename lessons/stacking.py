"""Lesson: activation and stacking — a small pipeline, its maps, activations, receptive fields.

The tutorial's "we can stack convolution layers" and "learning a hierarchy of
features". Top to bottom: assemble up to four stages (convolution, activation,
pooling, batch norm); the maps after every stage with their (C, H, W) shapes;
the four activations on the values that enter one, with histograms and counts;
the receptive field of one output unit at every depth, on the input; what a
hierarchy of features means (and what random filters cannot show); the
pipeline as PyTorch code. Every number comes from vizlib.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import vizlib
from ui import cached, md, panels, pipeline, plots_stacking, presentation
from ui.kernel_editor import select_kernel, stored_kernel
from ui.pipeline import KINDS, SOURCES, Stage
from ui.state import current_image
from vizlib.conv import format_number
from vizlib.receptive_field import LayerGeometry, receptive_field, receptive_field_mask

K = "stack"  # session-key namespace of this page
MAX_STAGES = 4
NAMES = pipeline.ACTIVATION_NAMES
st.session_state.setdefault(f"{K}.n", MAX_STAGES)
st.session_state.setdefault(f"{K}.shown", 4)


def key(i: int, name: str) -> str:
    """Session key of stage ``i`` (1-based): ``stack.s1.kind``."""
    return f"{K}.s{i}.{name}"


def shape_text(shape) -> str:
    """Write a shape as Python does: ``(4, 256, 256)``."""
    return str(tuple(int(n) for n in shape))


def percent(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%"


# --------------------------------------------------------------------------- stage controls

#: A stage's widgets keep their values while another stage is being edited (not drawn).
KEEP = {"persist_state": "session"}
DEFAULT_KERNEL = "vertical_edge"


def settings(i: int) -> dict:
    """Stage ``i``'s plain settings from session state (defaults on a first visit)."""
    for name, value in {**pipeline.STAGE_DEFAULTS, **pipeline.DEFAULT_STAGES[i - 1]}.items():
        st.session_state.setdefault(key(i, name), value)
    return {name: st.session_state[key(i, name)] for name in pipeline.STAGE_DEFAULTS}


def stage_of(i: int) -> Stage:
    """Stage ``i`` as set up, drawn or not; an edited kernel is its editor's last valid one."""
    kernel = stored_kernel(key(i, "kernel"), DEFAULT_KERNEL)  # the preset until edited
    return pipeline.stage_from_settings(settings(i), kernel)


def kernel_editor(i: int) -> None:
    """Stage ``i``'s kernel editor (only while stage ``i`` is the one being edited).

    An editor that comes back after other stages were edited is reloaded by
    :func:`select_kernel` from its last valid kernel, with the preset it showed.
    """
    select_kernel(
        key(i, "kernel"),
        default=DEFAULT_KERNEL,
        label=f"Stage {i}: your kernel (one filter, used on every input channel, no bias)",
        container=st.container(border=True, width=560),
    )


def stage_controls(i: int) -> None:
    """Draw the controls of stage ``i`` (the one being edited) in one wrapping row.

    One row and one caption instead of a column per stage: every widget costs
    the browser time on every rerun, and the other stages keep their settings
    (``persist_state``) until they are edited again.
    """
    row = st.container(horizontal=True, gap="medium", vertical_alignment="bottom")
    kind = row.selectbox(
        f"Stage {i} is a",
        tuple(KINDS),
        format_func=KINDS.get,
        key=key(i, "kind"),
        width=170,
        **KEEP,
    )
    note = ""
    if kind == "conv":
        source = row.radio(
            "Weights",
            tuple(SOURCES),
            format_func=SOURCES.get,
            key=key(i, "source"),
            horizontal=True,
            width="content",
            **KEEP,
        )
        row.selectbox("Stride", (1, 2, 3, 4), key=key(i, "stride"), width=100, **KEEP)
        row.selectbox("Padding", tuple(range(6)), key=key(i, "padding"), width=100, **KEEP)
        row.selectbox("Dilation", (1, 2, 3), key=key(i, "dilation"), width=100, **KEEP)
        if source == "random":
            filters = row.selectbox(
                "Filters F", tuple(range(1, 17)), key=key(i, "filters"), width=100, **KEEP
            )
            size = row.selectbox("Size", (1, 3, 5, 7), key=key(i, "size"), width=100, **KEEP)
            row.number_input("Seed", 0, 9999, step=1, key=key(i, "seed"), width=160, **KEEP)
            note = (
                f"{filters} filter(s) of C×{size}×{size} seeded random weights (no bias), drawn "
                "as a new untrained nn.Conv2d draws them; C is the depth of this stage's input."
            )
        elif source == "preset":
            slug = row.selectbox(
                "Preset",
                tuple(vizlib.KERNELS),
                format_func=lambda s: vizlib.KERNELS[s].name,
                key=key(i, "preset"),
                width=220,
                **KEEP,
            )
            note = (
                f"{vizlib.KERNELS[slug].description} One filter: this kernel on every input "
                "channel (no bias)."
            )
        else:
            kernel_editor(i)
    elif kind == "act":
        slug = row.selectbox(
            "Function",
            tuple(vizlib.ACTIVATIONS),
            format_func=NAMES.get,
            key=key(i, "act"),
            width=170,
            **KEEP,
        )
        act = vizlib.ACTIVATIONS[slug]
        note = f"`f(x) = {act.formula}`: {act.description}"
    elif kind == "pool":
        mode = row.radio(
            "Mode",
            ("max", "avg"),
            format_func={"max": "max", "avg": "average"}.get,
            key=key(i, "mode"),
            horizontal=True,
            width="content",
            **KEEP,
        )
        row.selectbox("Kernel size", tuple(range(1, 9)), key=key(i, "pool_size"), width=120, **KEEP)
        row.selectbox(
            "Stride",
            tuple(range(9)),
            format_func=lambda s: "= k" if s == 0 else str(s),
            key=key(i, "pool_stride"),
            help="PyTorch's default stride for pooling is the kernel size.",
            width=120,
            **KEEP,
        )
        note = (
            "Keeps the largest value of each window." if mode == "max" else "Averages each window."
        )
    else:
        note = (
            "A fresh nn.BatchNorm2d in train mode (γ = 1, β = 0): each channel is shifted and "
            "scaled to mean 0 and variance 1, using the statistics of this one image."
        )
    if note:
        st.caption(note)


# --------------------------------------------------------------------------- the page

image = current_image()
x = np.asarray(image.chw, dtype=np.float32)  # (C, H, W)
C, H, W = x.shape

st.title("Activation and stacking")
# The introduction (prose: left out in presentation mode) and section 1's heading: one element.
st.markdown(
    presentation.prose_text(
        "**We can stack convolution layers.** A layer turns a volume (C, H, W) into a volume "
        "(F, H′, W′), and that volume is the next layer's input: the second layer's filters have "
        "depth F and look at the first layer's *maps*, not at pixels. Between the layers sit "
        "**activations** (without a non-linearity, a convolution of a convolution is just one "
        "bigger convolution, so stacking would add nothing), **pooling** (smaller maps) and "
        "**batch norm** (rescaled values).\n\n"
        "**Learning a hierarchy of features.** Each unit of a deeper layer sees a larger patch of "
        "the image (its *receptive field*), so deeper layers can respond to larger, more complex "
        "patterns. Build a pipeline below and watch shapes, values and fields change.\n\n"
    )
    + "## 1 · Assemble a pipeline"
)

# --------------------------------------------------------------------------- 1. pipeline
top = st.container(horizontal=True, gap="large", vertical_alignment="bottom")
n_stages = top.radio(
    "Number of stages",
    tuple(range(1, MAX_STAGES + 1)),
    key=f"{K}.n",
    horizontal=True,
    width="content",
)
# The stage being edited: never None (a deselected segment falls back to the last stage
# edited; required=True should prevent it, a crafted message may not), never past the end.
edit = st.session_state.get(f"{K}.edit")
if edit is None:
    edit = st.session_state.get(f"{K}.edit_last", 1)
st.session_state[f"{K}.edit"] = min(int(edit), n_stages)
# The stage selector reads like the pipeline: "1 · Conv 3×3 ×4", "2 · ReLU", ...
labels = {i: f"{i} · {pipeline.short_label(stage_of(i))}" for i in range(1, n_stages + 1)}
editing = top.segmented_control(
    "Stage to edit",
    tuple(labels),
    format_func=labels.get,
    key=f"{K}.edit",
    required=True,
)
st.session_state[f"{K}.edit_last"] = editing
stage_controls(editing)
stages = [stage_of(i) for i in range(1, n_stages + 1)]  # the edited one as just drawn

results = pipeline.run_pipeline(x, stages)
ok = [r for r in results if r.output is not None]
failed = next((r for r in results if r.error is not None), None)


# --------------------------------------------------------------------------- 2. maps
def pipeline_table() -> str:
    """Every stage's label and output shape, the input first: the pipeline at a glance."""
    names = ["input"]
    rows = [[f"{image.label} ({'RGB' if C == 3 else 'grayscale'})", shape_text(x.shape)]]
    for r in results:
        i = r.index + 1
        names.append(f"stage {i} ✎" if i == editing else f"stage {i}")
        out = "does not fit its input (see below)" if r.output is None else r.output.shape
        rows.append(
            [
                pipeline.label(r.stage, r.in_shape[0]),
                shape_text(out) if r.output is not None else out,
            ]
        )
    for i in range(len(results) + 1, n_stages + 1):
        names.append(f"stage {i} ✎" if i == editing else f"stage {i}")
        rows.append([pipeline.label(stages[i - 1]), "waits for the stages before"])
    return md.table(rows, ["what it does", "output (C, H, W)"], index=names, align="left")


# The pipeline at a glance and section 2's introduction: one element.
st.markdown(
    pipeline_table() + "\n\n"
    "## 2 · The maps after every stage\n\n"
    "Each stage's channels share one colour scale centred at 0 (white), blue for negative "
    "and red for positive values, so the channels of a stage compare fairly. Shapes are "
    "(C, H, W): channels, rows, columns.\n\n"
    f"**Input (C, H, W): {shape_text(x.shape)}**, the volume every stage below starts from."
)
shown = st.slider(
    "Channels drawn per stage",
    1,
    8,
    key=f"{K}.shown",
    help="Every channel is computed; at most this many are drawn.",
    width=320,
)
plots_stacking.show_input(st, image.pixels, f"Input: {image.label}")


def shape_arithmetic(r) -> str:
    """The output-size formula with this stage's numbers (computed by vizlib.output_size)."""
    s = r.stage
    _, h, w = r.in_shape
    g = pipeline.geometry(s)
    k, st_, p, d = g.kernel_size[0], g.stride[0], g.padding[0], g.dilation[0]
    if s.kind == "act":
        return (
            "Same shape as its input: it works value by value, each output value depends only "
            "on the input value at the same place."
        )
    if s.kind == "bn":
        return (
            "Same shape as its input: each channel is shifted and scaled with its own "
            "statistics (the mean and variance of that channel)."
        )
    rows = vizlib.output_size(h, k, stride=st_, padding=p, dilation=d)
    cols = vizlib.output_size(w, g.kernel_size[1], stride=st_, padding=p, dilation=d)
    depth = (
        f"C′ = {r.output.shape[0]} (number of filters)"
        if s.kind == "conv"
        else "C′ = C (each channel pooled on its own)"
    )
    return (
        f"{depth}; H′ = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 = ⌊({h} + 2·{p} − {d}·({k} − 1) − 1)/"
        f"{st_}⌋ + 1 = **{rows}**, and likewise W′ = **{cols}**."
    )


for r in results:
    i = r.index + 1
    s = r.stage
    name = pipeline.label(s, r.in_shape[0])
    heading = f"### Stage {i} · {md.escape(name)}"
    if r.error is not None:
        st.markdown(heading)
        st.error(
            f"Stage {i} ({KINDS[s.kind]}) cannot run on its input of shape (C, H, W) = "
            f"{shape_text(r.in_shape)}. vizlib says: {r.error}"
        )
        later = n_stages - i
        st.info(
            "The stages above are unchanged. "
            + (
                f"The {later} stage(s) after stage {i} wait until it fits: make its window "
                "smaller, add padding, or use fewer downsampling stages before it."
                if later
                else "Make its window smaller or add padding to see its output."
            )
        )
        break
    # Heading, one line of shapes and counts, the size formula: one element, not a row of metrics.
    facts = (
        f"**Stage {i}:** input (C, H, W) **{shape_text(r.in_shape)}** → output "
        f"**{shape_text(r.output.shape)}**"
    )
    if s.kind == "conv":
        facts += (
            f"; weights (F, C, kH, kW) **{shape_text(r.weight.shape)}**, "
            f"**{r.weight.size:,}** parameters (no bias)"
        )
    elif s.kind == "act":
        after, before = r.output, (x if r.index == 0 else results[r.index - 1].output)
        facts += (
            f"; values < 0: **{int(np.count_nonzero(before < 0)):,}** before, "
            f"**{int(np.count_nonzero(after < 0)):,}** after"
        )
    elif s.kind == "pool":
        facts += f"; values: **{int(np.prod(r.in_shape)):,}** in, **{r.output.size:,}** out"
    text = f"{heading}\n\n{facts}.  \n{shape_arithmetic(r)}"
    if s.kind == "bn":
        stats = r.stats
        text += (
            "\n\nTrain mode normalises each channel with the mean and variance of **this batch**. "
            f"The batch is this one image (N = 1), so each channel's statistics come from its "
            f"N·H·W = 1·{r.in_shape[1]}·{r.in_shape[2]} = {stats.count:,} values: fine while "
            "H·W > 1. (With a 1×1 map a channel would hold one value, variance 0, and vizlib "
            "refuses as PyTorch does.) In a real network the batch holds many images, and eval "
            "mode uses the running averages instead (see the Batch normalization lesson).\n\n"
            + md.table(
                [
                    [format_number(v) for v in row]
                    for row in zip(
                        stats.batch_mean,
                        stats.batch_var,
                        r.output.mean(axis=(1, 2)),
                        r.output.var(axis=(1, 2)),
                        strict=True,
                    )
                ],
                ["mean (before)", "variance (biased)", "after: mean", "after: variance"],
                index=range(1, len(stats.batch_mean) + 1),
                corner="channel",
            )
        )
    # What the colours mean goes above the maps, in the same markdown (one element less).
    st.markdown(text + "\n\n" + presentation.note(plots_stacking.scale_text(r.output, shown=shown)))
    plots_stacking.show_stage_maps(
        st, cached.digest(r.output), r.output, f"Stage {i} output", shown=shown, caption=False
    )

# --------------------------------------------------------------------------- 3. activations
act_result = next((r for r in ok if r.stage.kind == "act"), None)
conv_result = next((r for r in ok if r.stage.kind == "conv"), None)
if act_result is not None:
    j = act_result.index
    before = x if j == 0 else results[j - 1].output
    where = f"the values entering stage {j + 1} (your {NAMES[act_result.stage.activation]}): " + (
        "the input image" if j == 0 else f"the output of stage {j}"
    )
    in_use = act_result.stage.activation
elif conv_result is not None:
    before = conv_result.output
    where = (
        f"the output of stage {conv_result.index + 1} (a convolution); your pipeline has no "
        "activation yet, so here is what each would do"
    )
    in_use = None
else:
    before = x
    where = "the input image (your pipeline has no convolution yet)"
    in_use = None
summaries = pipeline.activation_summaries(before)
s0 = summaries["before"]
total = s0.total


def counts_text(s) -> list[str]:
    """``68,986 (30.9%)`` (no line break inside) for the negatives, zeros and positives."""
    return [f"{n:,}\u00a0({percent(n, total)})" for n in (s.negatives, s.zeros, s.positives)]


def saturation_text(slug: str) -> str:
    """Whether the values shown saturate ``slug`` (sigmoid or tanh): its summary's counts."""
    sa = summaries[slug]
    low, high = (format_number(v) for v in pipeline.SATURATION[slug])
    if sa.saturated:
        return (
            f"Here {sa.saturated:,} of the {total:,} values ({percent(sa.saturated, total)}) "
            f"saturate: their outputs are below {low} or above {high}, where the curve is flat "
            "(slope under 19% of its peak: tiny gradients)."
        )
    mid_low, mid_high = pipeline.MIDDLE[slug]
    where = (
        "in the nearly straight middle of the curve"
        if mid_low <= sa.minimum and sa.maximum <= mid_high
        else "on the bend of the curve but short of its flat ends"
    )
    return (
        f"Here every input is between {format_number(s0.minimum)} and "
        f"{format_number(s0.maximum)}, so the outputs stay between {format_number(sa.minimum)} "
        f"and {format_number(sa.maximum)}, {where}: no saturation yet (no output below {low} "
        f"or above {high})."
    )


neg0, zero0, pos0 = counts_text(s0)
st.markdown(
    "## 3 · Activation functions: what they do to the values\n\n"
    f"Applied to {where}: {total:,} values of shape {shape_text(before.shape)}. A convolution's "
    "output is signed: negative where the filter finds the *opposite* of its pattern. Each "
    "activation reshapes that distribution value by value.\n\n"
    f"**Before:** {neg0} negative, {zero0} zero, {pos0} positive; "
    f"min {format_number(s0.minimum)}, max {format_number(s0.maximum)}. "
    "Histogram bars: blue = negative values, red = positive, grey = the bin that contains 0; "
    "the dashed line marks 0. Hover a bar for its range and count."
)
st.vega_lite_chart(
    spec=plots_stacking.arrow_datasets(
        plots_stacking.histogram_spec(s0.histogram, f"Before: {total:,} values")
    ),
    width="stretch",
    height=230,
    alt="Histogram of the values before the activation; bars coloured by sign",
)

# x for the curves: 82 points, 0 among them where it is in range (ReLU's kink drawn exactly).
# The same number of points every rerun, so the browser only swaps the chart's data.
grid = np.linspace(s0.minimum, s0.maximum, 81)
if s0.minimum < 0 < s0.maximum and 0.0 not in grid:
    grid = np.union1d(grid, [0.0])
else:
    grid = np.linspace(s0.minimum, s0.maximum, 82)
marked = NAMES[in_use] if in_use else None
st.vega_lite_chart(
    spec=plots_stacking.arrow_datasets(
        plots_stacking.activation_curves_spec(
            grid,
            {NAMES[slug]: act.function(grid) for slug, act in vizlib.ACTIVATIONS.items()},
            marked=marked,
        )
    ),
    width="content",
    alt="The four activation curves f(x) over the range of the values before, in one row",
)
st.vega_lite_chart(
    spec=plots_stacking.arrow_datasets(
        plots_stacking.after_histograms_spec(
            {NAMES[slug]: summaries[slug].histogram for slug in vizlib.ACTIVATIONS},
            marked=marked,
        )
    ),
    width="content",
    alt="Histograms of the values after each activation, in one row; bars coloured by sign",
)
act_table = [
    "| | f(x) | values < 0 | values = 0 | values > 0 | range (min … max) |",
    "|:--|:--|--:|--:|--:|:--|",
    f"| before | x | {neg0} | {zero0} | {pos0} | "
    f"{format_number(s0.minimum)} … {format_number(s0.maximum)} |",
]
# On a projector the table is narrow: formulas without spaces, so none wraps inside its box.
formulas = (
    pipeline.SHORT_FORMULAS
    if presentation.is_on()
    else {slug: act.formula for slug, act in vizlib.ACTIVATIONS.items()}
)
for slug in vizlib.ACTIVATIONS:
    sa = summaries[slug]
    name = f"**{NAMES[slug]}**" + (" ✓ your pipeline" if slug == in_use else "")
    neg, zero, pos = counts_text(sa)
    act_table.append(
        f"| {name} | `{formulas[slug]}` | {neg} | {zero} | {pos} | "
        f"{format_number(sa.minimum)} … {format_number(sa.maximum)} |"
    )
st.markdown(
    "\n".join(act_table) + "\n\n"
    f"- **ReLU** sets all {s0.negatives:,} negative values to 0: the zeros go from {s0.zeros:,} "
    f"to {summaries['relu'].zeros:,}. Sparse maps, cheap to compute, and the gradient is 1 for "
    "every positive value (no saturation).\n"
    "- **Leaky ReLU** keeps the negatives but shrinks them to 1%: no value gets stuck at 0, "
    "so a unit can recover during training (no “dead ReLU”).\n"
    "- **Sigmoid** squashes into (0, 1): nothing stays negative and 0 becomes 0.5. "
    + saturation_text("sigmoid")
    + "\n- **Tanh** squashes into (−1, 1) and keeps the sign, centred at 0. "
    + saturation_text("tanh")
    + "\n\n"
    # Section 4's heading (its controls are in a fragment below): one element less.
    "## 4 · The receptive field: how much of the image one unit sees"
)

# --------------------------------------------------------------------------- 4. receptive field
layers = [pipeline.geometry(r.stage) for r in ok]  # one per stage that ran


@st.fragment
def receptive_field_part() -> None:
    """Section 4 (a fragment: choosing another unit reruns only this part)."""
    final = ok[-1]
    _, Ho, Wo = final.output.shape
    for name, top in ((f"{K}.row", Ho - 1), (f"{K}.col", Wo - 1)):
        st.session_state.setdefault(name, top // 2)
        if st.session_state[name] > top:
            st.session_state[name] = top
    unit_row = st.container(horizontal=True, gap="medium")  # two inputs, no columns
    row = int(
        unit_row.number_input(
            f"Unit row (0 to {Ho - 1})",
            0,
            Ho - 1,
            key=f"{K}.row",
            help="In the output",
            width=220,
        )
    )
    col = int(
        unit_row.number_input(f"Unit column (0 to {Wo - 1})", 0, Wo - 1, key=f"{K}.col", width=220)
    )

    field = receptive_field(layers)
    centre = field.center(row, col)
    mask = receptive_field_mask((H, W), layers, row, col)  # (H, W) bool
    feeding = int(mask.sum())

    st.markdown(
        f"Follow unit ({row}, {col}) of stage {final.index + 1}'s output "
        f"{shape_text(final.output.shape)} back to the input. For the earlier stages the outline "
        "shows the unit at the same place: the one whose field is centred nearest to it.\n\n"
        f"**Receptive field after stage {final.index + 1}: {field.size[0]}×{field.size[1]} "
        f"pixels**; input pixels that feed this unit: **{feeding:,}**, "
        f"**{100 * feeding / (H * W):.2f}%** of the image."
    )

    table, boxes, legend, recurrence = [], [], [], []
    prev_size = (1, 1)
    prev_jump = (1, 1)
    for depth, r in enumerate(ok, start=1):
        f_d = receptive_field(layers[:depth])
        unit = (row, col) if r is final else f_d.nearest_unit(centre, r.output.shape[1:])
        (r0, r1), (c0, c1) = f_d.window(*unit)
        g = layers[depth - 1]
        changed = g != LayerGeometry(1)
        colour = ""
        if changed:
            name, _ = plots_stacking.DEPTH_COLOURS[len(boxes) % len(plots_stacking.DEPTH_COLOURS)]
            colour = name
            boxes.append(((r0, r1), (c0, c1)))
            legend.append(f"{name}: stage {depth}, {f_d.size[0]}×{f_d.size[1]}")
            k, d = g.kernel_size[0], g.dilation[0]
            recurrence.append(
                f"- Stage {depth} (k = {k}, s = {g.stride[0]}, d = {d}): r = {prev_size[0]} + "
                f"({k} − 1)·{d}·{prev_jump[0]} = **{f_d.size[0]}**, "
                f"j = {prev_jump[0]}·{g.stride[0]} = {f_d.jump[0]}"
            )
        else:
            recurrence.append(
                f"- Stage {depth} ({KINDS[r.stage.kind].lower()}): value by value, "
                f"r stays {f_d.size[0]}"
            )
        prev_size, prev_jump = f_d.size, f_d.jump
        clipped = r0 < 0 or c0 < 0 or r1 > H or c1 > W
        table.append(
            [
                f"{depth}: {KINDS[r.stage.kind]}",
                shape_text(r.output.shape),
                f"{f_d.size[0]}×{f_d.size[1]}",
                f"{f_d.jump[0]}×{f_d.jump[1]}",
                str(unit),
                f"{r0} … {r1 - 1}",
                f"{c0} … {c1 - 1}",
                colour or "(same as before)",
                "reaches into the padding" if clipped else "",
            ]
        )

    # A zoom around the last field (with a margin), so small fields are visible.
    (fr0, fr1), (fc0, fc1) = boxes[-1] if boxes else ((row, row + 1), (col, col + 1))
    margin = max(4, (fr1 - fr0) // 2)
    zoom = (
        (max(0, fr0 - margin), min(H, fr1 + margin)),
        (max(0, fc0 - margin), min(W, fc1 + margin)),
    )
    if zoom[0][1] <= zoom[0][0] or zoom[1][1] <= zoom[1][0]:  # field entirely in the padding
        zoom = None
    elif zoom == ((0, H), (0, W)):  # the whole (small) input: nothing to zoom into
        zoom = None
    legend_text = "; ".join(legend) if legend else "none"
    mask_key = cached.digest(mask)
    pngs = [
        plots_stacking.receptive_field_png(
            image.key, tuple(boxes), mask_key, None, image.pixels, mask, side=480
        )
    ]
    captions = [
        f"Whole input {H}×{W}: the receptive fields of unit ({row}, {col}) of stage "
        f"{final.index + 1} and of the units at the same place after each earlier stage "
        f"(outlines: {legend_text}). Dimmed pixels cannot reach the unit."
    ]
    if zoom is not None:
        (z0, z1), (y0, y1) = zoom
        pngs.append(
            plots_stacking.receptive_field_png(
                image.key, tuple(boxes), mask_key, zoom, image.pixels, mask, side=480
            )
        )
        captions.append(
            f"Zoom: input rows {z0} … {z1 - 1}, cols {y0} … {y1 - 1} (each input pixel is a "
            f"block). Outlines: {legend_text}."
        )
    # Both pictures in ONE st.image call: one element, side by side.
    panels.show_pictures(st, pngs, captions, width=400, margin=plots_stacking.PICTURE_GAP)
    recurrence_intro = (
        ""
        if presentation.is_on()
        else "**The recurrence** (per axis; r = field size, j = jump: how many input pixels "
        "apart two neighbouring units' fields start): "
        "r_new = r + (k − 1)·d·j, j_new = j·s, starting from r = 1, j = 1 on the input.\n\n"
    )
    st.markdown(
        recurrence_intro
        + "\n".join(recurrence)
        + "\n\n"
        + md.table(
            table,
            [
                "stage",
                "output (C, H, W)",
                "field r×r",
                "jump j",
                "unit (row, col)",
                "input rows",
                "input cols",
                "outline",
                "note",
            ],
            align="left",
        )
        + "\n\n:small[Stride and pooling multiply the jump, so every later layer's kernel "
        "covers more input pixels per tap: that is why fields grow fast after pooling. Padding "
        "shifts a field outwards; the part outside the image reads zeros. A dilation, or a "
        "stride longer than the kernel, leaves gaps: count the pixels that feed the unit against "
        "r×r.]"
    )


if ok:
    receptive_field_part()
else:
    st.info("No stage has an output yet, so there is no unit to follow.")

# --------------------------------------------------------------------------- 5. hierarchy
conv_depths = [
    (depth, receptive_field(layers[:depth]))
    for depth, r in enumerate(ok, start=1)
    if r.stage.kind == "conv"
]
vgg = [LayerGeometry(3, padding=1)] * 2 + [LayerGeometry(2, stride=2)]
vgg += [LayerGeometry(3, padding=1)] * 2 + [LayerGeometry(2, stride=2)]
for _ in range(3):
    vgg += [LayerGeometry(3, padding=1)] * 3 + [LayerGeometry(2, stride=2)]
vgg_field = receptive_field(vgg)
lines = [
    f"- A unit after stage {depth} sees **{f.size[0]}×{f.size[1]}** pixels "
    f"({100 * f.size[0] * f.size[1] / (H * W):.2f}% of this {H}×{W} image)."
    for depth, f in conv_depths
]
first_conv = next((r for r in ok if r.stage.kind == "conv"), None)
if first_conv is not None:
    w = first_conv.weight  # (F, C, kH, kW)
    source = x if first_conv.index == 0 else results[first_conv.index - 1].output
    b = float(source.mean())  # a flat patch as bright as the average input value
    lim = max(float(np.max(np.abs(first_conv.output))), 1e-12)  # the stage's colour scale
    parts = []
    for f in range(min(w.shape[0], 8)):
        flat = b * float(w[f].sum())
        hue = "red" if flat > 0 else "blue"
        colour = (
            "near white"
            if abs(flat) < 0.05 * lim
            else f"light {hue}"
            if abs(flat) < 0.3 * lim
            else hue
        )
        parts.append(
            f"filter {f + 1}: Σw = {format_number(float(w[f].sum()))}, so "
            f"{format_number(b)}·Σw = {format_number(flat)} ({colour})"
        )
    lines.append(
        f"- On screen, stage {first_conv.index + 1}: a flat patch of value b gives b·Σw (b times "
        f"the sum of the weights), so Σw sets the colour of the flat areas (here b = "
        f"{format_number(b)}, the input's mean) and only changes, such as edges, add more: "
        + "; ".join(parts)
        + ". Compare with the maps above: a filter whose weights add up to about 0 leaves flat "
        "areas white and lights up at edges."
    )
small = conv_depths[0][1].size[0] if conv_depths else 3
st.markdown(
    "## 5 · A hierarchy of features\n\n"
    "What a unit *can* respond to is limited by what it sees:\n"
    + ("\n".join(lines) + "\n" if lines else "")
    + f"- A {small}×{small} field can hold an edge, a spot or a change of colour, not an eye. A "
    "field a "
    "few times larger can hold a *combination* of the first layer's patterns: a corner, a "
    "stripe pattern, a texture. Larger still: parts of objects, then objects. That is the "
    "hierarchy **edges → textures → parts → objects**.\n"
    f"- For scale: VGG-16 (13 convolutions 3×3 and 5 max-poolings 2×2) gives its last units "
    f"a {vgg_field.size[0]}×{vgg_field.size[1]} field (vizlib.receptive_field on its "
    "layers), about a whole 224×224 input image."
)
st.warning(
    "**Be honest about these maps:** random filters, as in this page's default pipeline, are "
    "not trained. They are fixed random mixtures of the pixels under them, so stage 1 shows "
    "blurred and edge-like copies of the image, and deeper stages show random mixtures of "
    "those, not textures or parts. Preset kernels are hand-made edge and blur detectors. "
    "In a **trained** network the first-layer filters become oriented edge and colour "
    "detectors, middle layers respond to textures and repeated patterns, and deep layers to "
    "parts such as eyes or wheels (Zeiler & Fergus, 2014, visualised what most excites the "
    "units of a trained network). The field sizes above are the same for trained and random "
    "filters: they depend only on the architecture."
)

# --------------------------------------------------------------------------- 6. PyTorch
code = ["import torch", "import torch.nn as nn", "", "model = nn.Sequential("]
for r in results:
    line = pipeline.torch_line(r.stage, r.in_shape[0])
    if r.error is not None:
        code.append(f"    # {line}  <- stage {r.index + 1} left out: it does not fit its input")
        break
    code.append(f"    {line}")
code.append(")")
setters = []
for r in ok:
    if r.stage.kind == "conv" and r.stage.source != "random":
        rows = ", ".join(
            "[" + ", ".join(format_number(v) for v in kernel_row) + "]"
            for kernel_row in np.asarray(r.stage.kernel)
        )
        setters.append(
            f"    model[{r.index}].weight[:] = torch.tensor([{rows}])  # on every input channel"
        )
if setters:
    code += ["with torch.no_grad():  # the kernels chosen above", *setters]
code += [
    f"x = torch.rand(1, {C}, {H}, {W})  # a batch of one image: (N, C, H, W)",
    "for layer in model:",
    "    x = layer(x)",
    "    print(type(layer).__name__, tuple(x.shape))",
]
for r in ok:
    torch_name = pipeline.torch_line(r.stage, r.in_shape[0]).split("(")[0].removeprefix("nn.")
    code.append(f"# {torch_name} {shape_text((1, *r.output.shape))}")
st.markdown(
    "## 6 · As PyTorch code\n\n"
    "The shapes in the comments are the ones computed on this page, with the batch "
    "dimension N = 1 in front. nn.BatchNorm2d is in train mode by default, as here."
)
st.code("\n".join(code), language="python")
