"""Lesson: pooling (max and average), step by step.

Top to bottom: what is pooled (the feature map a convolution + ReLU made, or the
image itself); the pooling settings and the output size with the numbers plugged
in; before and after side by side; one output value taken apart (the window, its
winner or its sum and divisor), played in the browser; the same layer as PyTorch
code. Every number comes from vizlib.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import vizlib
from ui import (
    cached,
    exports,
    md,
    panels,
    plots_pooling,
    presentation,
    render,
    selfcheck,
    share,
    stepview,
)
from ui.state import current_image
from vizlib.conv import format_number

K = "pool"  # session-key namespace of this page
SOURCES = {
    "feature": "A feature map (image → convolution → ReLU), as in a CNN",
    "image": "The image itself",
}
MODES = {"max": "Max pooling", "avg": "Average pooling"}
SMALL = 16  # maps with at most this many rows and columns are also shown as numbers
CMAP = render.DIVERGING_CMAPS[0]
DEFAULTS = {
    f"{K}.source": "feature",
    f"{K}.kernel": "vertical_edge",
    f"{K}.relu": True,
    f"{K}.mode": "max",
    f"{K}.k": 2,
    f"{K}.same_stride": True,
    f"{K}.stride": 2,
    f"{K}.padding": 0,
    f"{K}.dilation": 1,
    f"{K}.ceil_mode": False,
    f"{K}.count_include_pad": True,
    f"{K}.row": 0,
    f"{K}.col": 0,
}
for _key, _value in DEFAULTS.items():
    st.session_state.setdefault(_key, _value)


# --------------------------------------------------------------------------- callbacks


def _show_tutorial() -> None:
    """The tutorial's 5×5 grid pooled directly: 2×2 max pooling, stride 2."""
    st.session_state["source.kind"] = "Tutorial 5×5 grid"
    st.session_state.update(DEFAULTS)
    st.session_state[f"{K}.source"] = "image"


def _picked(view: str, row: int, col: int, geometry: tuple) -> None:
    """A click in the player: an output cell, or the input cell a window should centre on."""
    pad, k, stride, dilation, (out_h, out_w) = geometry
    if view == "output":
        st.session_state[f"{K}.row"] = int(np.clip(row, 0, out_h - 1))
        st.session_state[f"{K}.col"] = int(np.clip(col, 0, out_w - 1))
        return
    centre = dilation * (k - 1) / 2
    st.session_state[f"{K}.row"] = int(np.clip(round((row + pad - centre) / stride), 0, out_h - 1))
    st.session_state[f"{K}.col"] = int(np.clip(round((col + pad - centre) / stride), 0, out_w - 1))


# --------------------------------------------------------------------------- helpers


def _formula_line(axis: str, size: int, k: int, s: int, p: int, d: int, ceil: bool) -> str:
    """The pooling output-size formula for one axis with the numbers plugged in.

    Raises ValueError (vizlib's message) when the window does not fit.
    """
    out = vizlib.output_size(size, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    letter = "H" if axis == "rows" else "W"
    top = size + 2 * p - d * (k - 1) - 1
    lo, hi = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    rounded = -(-top // s) if ceil else top // s
    text = (
        f"**{axis.capitalize()}:** {lo}({letter} + 2p − d(k − 1) − 1) / s{hi} + 1 = "
        f"{lo}({size} + 2·{p} − {d}·({k} − 1) − 1) / {s}{hi} + 1 = {lo}{top} / {s}{hi} + 1 = "
        f"{rounded} + 1"
    )
    if ceil and out != rounded + 1:
        text += (
            f", but the last window would start at {rounded * s - p}, inside the right "
            f"padding (≥ {letter} = {size}), so PyTorch drops it"
        )
    return text + f" = **{out}**"


def _torch_code(
    *, source, kernel_name, weights, relu, mode, k, stride, padding, dilation, ceil, cip, x, grid
) -> str:
    """A short ``torch.nn.functional`` snippet with the current settings."""

    def num(v: float) -> str:
        return f"{float(v):.1f}" if float(v) == int(v) else repr(float(v))

    def matrix(values: np.ndarray, indent: int) -> str:
        sep = ",\n" + " " * indent
        return sep.join("[" + ", ".join(num(v) for v in row) + "]" for row in values)

    h, w = x.shape
    lines = ["import torch", "import torch.nn.functional as F", ""]
    if grid:
        lines.append(f"x = torch.tensor([{matrix(x, 18)}]).reshape(1, 1, {h}, {w})  # (N, C, H, W)")
    else:
        lines.append(f"x = torch.rand(1, 1, {h}, {w})  # your grayscale image here: (N, C, H, W)")
    if source == "feature":
        kh, kw = weights.shape
        lines.append(
            f"w = torch.tensor([{matrix(weights, 18)}]).reshape(1, 1, {kh}, {kw})"
            f"  # {kernel_name}: (F, C, kH, kW)"
        )
        lines.append("x = F.conv2d(x, w)  # the feature map: stride 1, no padding")
        if relu:
            lines.append("x = F.relu(x)")
    args = [f"kernel_size={k}"]
    args.append(f"stride={stride}" if stride is not None else "stride=None")
    args.append(f"padding={padding}")
    if mode == "max":
        args += [f"dilation={dilation}", f"ceil_mode={ceil}"]
        call = f"y, idx = F.max_pool2d(x, {', '.join(args)}, return_indices=True)"
    else:
        args += [f"ceil_mode={ceil}", f"count_include_pad={cip}"]
        call = f"y = F.avg_pool2d(x, {', '.join(args)})"
    if stride is None:
        lines.append("# stride=None (the default) means stride = kernel_size")
    lines.append(call)
    lines.append("print(y.shape)")
    if mode == "max":
        lines.append("print(idx)  # where each maximum came from: row * W + col in its plane")
    return "\n".join(lines)


def _colour_scale(x: np.ndarray, pooled: np.ndarray | None, look: str) -> tuple:
    """One colour scale for the input and its pooled map, so they compare fairly.

    "signed" maps: ±max|value| (white = 0); "relu" maps: 0 to the maximum;
    with "Boost map contrast" the limit is the 99th percentile of |value| over
    both maps (:func:`ui.panels.color_limit`), the same for the pictures, the
    player and the downloads. Images ("gray"): darkest to brightest value of
    both (average pooling with zero padding can go below the input's minimum).
    """
    values = [x] if pooled is None else [x, pooled]
    finite = np.concatenate([v[np.isfinite(v)] for v in values])  # (h·w + h'·w',)
    if finite.size == 0:
        return (-1.0, 1.0)
    if look in ("signed", "relu"):
        lim = panels.color_limit(finite, look) if np.any(finite) else 1.0  # all zeros: 0 to 1
        return (-lim, lim) if look == "signed" else (0.0, lim)
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def _never_read(size: int, k: int, s: int, p: int, d: int, n: int) -> list[int]:
    """Input indices along one axis (unpadded) that no window reads.

    Past the last window (floor mode drops them) or between windows (a stride
    longer than the window).
    """
    taps = (np.arange(n)[:, None] * s + np.arange(k)[None, :] * d).ravel() - p  # (n·k,)
    read = np.zeros(size, dtype=bool)
    read[taps[(taps >= 0) & (taps < size)]] = True
    return np.flatnonzero(~read).tolist()


def _list(indices: list[int], noun: str) -> str:
    """``row 4``, ``rows 3 and 4``, ``rows 0, 3, 6, … (12 in all)``."""
    if len(indices) == 1:
        return f"{noun} {indices[0]}"
    shown = [str(i) for i in indices[:6]]
    if len(indices) > 6:
        return f"{noun}s {', '.join(shown)}, … ({len(indices)} in all)"
    return f"{noun}s {', '.join(shown[:-1])} and {shown[-1]}"


def _count(n: int, noun: str) -> str:
    """'1 cell', '3 cells'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _span(first: int, count: int, noun: str) -> str:
    """'row 3' or 'rows 3–4'."""
    return f"{noun} {first}" if count == 1 else f"{noun}s {first}–{first + count - 1}"


# --------------------------------------------------------------------------- the page

st.title("Pooling")
presentation.prose(
    "A **pooling** layer slides a small window over a feature map, like a convolution, but it "
    "has **no weights**: it keeps one number per window, the **largest** (max pooling) or the "
    "**mean** (average pooling). The map gets smaller, strong responses survive, and the next "
    "layer sees a wider part of the image for the same kernel size. Each channel is pooled on "
    "its own."
)
st.button(
    "Show the tutorial's example",
    on_click=_show_tutorial,
    key=f"{K}.tutorial",
    type="primary",
    help="The 5×5 grid pooled directly: 2×2 max pooling with stride 2.",
)

image = current_image()
x_image = image.gray  # (H, W)
if image.is_rgb:
    st.info(
        "This lesson pools the **grayscale (luminance)** version of your RGB image. On three "
        "channels, pooling does exactly this to each channel separately."
    )

# ---- 1. What is pooled
# Every element costs the browser time on every rerun: text is merged into few
# markdown calls, and layout blocks are drawn only where they carry something.
st.markdown("## 1. What is pooled")
source = st.radio("Pool", list(SOURCES), key=f"{K}.source", format_func=SOURCES.__getitem__)
conv_row = st.container(horizontal=True, vertical_alignment="center", gap="large")
slug = conv_row.selectbox(
    "Convolution kernel (preset)",
    list(vizlib.KERNELS),
    key=f"{K}.kernel",
    format_func=lambda s: vizlib.KERNELS[s].name,
    disabled=source != "feature",
    help="The kernel of the convolution that makes the feature map.",
    width=320,
)
kernel = vizlib.KERNELS[slug]
relu = conv_row.checkbox(
    "ReLU after the convolution (negatives → 0)",
    key=f"{K}.relu",
    disabled=source != "feature",
    help="CNNs usually pool after the activation: conv → ReLU → pool.",
)

H, W = x_image.shape
if source == "feature":
    try:
        x = cached.run(vizlib.conv2d, x_image, kernel.weights)  # (H - kH + 1, W - kW + 1)
    except (ValueError, TypeError) as exc:  # an image smaller than the kernel
        st.warning(
            f"No feature map: the image ({H}×{W}) is smaller than the kernel "
            f"({kernel.weights.shape[0]}×{kernel.weights.shape[1]}), so the image itself is "
            f"pooled below. vizlib says: {exc}"
        )
        source = "image"
if source == "feature":
    if relu:
        x = cached.run(vizlib.relu, x)
    look = "relu" if relu else "signed"  # how the map is coloured
    what = "Feature map" + (" after ReLU" if relu else "")
    what_short = "feature map"
    pooled_what = md.paragraphs(
        f"**{what}** = {'ReLU(' if relu else ''}conv2d(image, {kernel.name})"
        f"{')' if relu else ''}: image {H}×{W} → {x.shape[0]}×{x.shape[1]} "
        "(stride 1, no padding).",
        presentation.note(f"{kernel.name}: {kernel.description}"),
    )
else:
    x = x_image
    look = "gray"
    what = "Image" + (" (grayscale)" if image.is_rgb else "")
    what_short = "image"
    pooled_what = f"**{what}**: {md.escape(image.label)}, {H}×{W}."
x = np.asarray(x)
h, w = x.shape

# ---- 2. The pooling layer (its heading in the same markdown as what is pooled)
st.markdown(md.paragraphs(pooled_what, "## 2. The pooling layer"))
c1, c2, c3 = st.columns(3, gap="large")
mode = c1.radio(
    "Kind", list(MODES), key=f"{K}.mode", format_func=MODES.__getitem__, horizontal=True
)
k = int(
    c1.number_input(
        "Kernel size (window k×k)",
        min_value=1,
        max_value=10,
        step=1,
        key=f"{K}.k",
        help="The window is k rows by k columns.",
    )
)
same = c2.checkbox(
    "Stride = kernel size (default)",
    key=f"{K}.same_stride",
    help="stride=None in PyTorch means stride = kernel_size: windows touch but do not overlap.",
)
if same:
    st.session_state[f"{K}.stride"] = k
stride = int(
    c2.number_input(
        "Stride",
        min_value=1,
        max_value=10,
        step=1,
        key=f"{K}.stride",
        disabled=same,
        help="How many cells the window moves between two outputs.",
    )
)
padding = int(
    c2.number_input(
        "Padding on each side",
        min_value=0,
        max_value=5,
        step=1,
        key=f"{K}.padding",
        help="PyTorch allows at most kernel_size // 2. Max pooling pads with −∞ (never wins); "
        "average pooling pads with zeros.",
    )
)
ceil_mode = c3.checkbox(
    "ceil_mode (round up)",
    key=f"{K}.ceil_mode",
    help="Keep a last, partial window at the right/bottom edge instead of dropping it.",
)
count_include_pad = c3.checkbox(
    "count_include_pad (average)",
    key=f"{K}.count_include_pad",
    disabled=mode != "avg",
    help="Average pooling: do the padding zeros count in the divisor?",
)
dilation = int(
    c3.number_input(
        "Dilation (max pooling only)",
        min_value=1,
        max_value=4,
        step=1,
        key=f"{K}.dilation",
        disabled=mode != "max",
        help="Spacing between the cells a window reads; avg_pool2d has no dilation.",
    )
)
if mode == "avg":
    dilation = 1

# Output size: the legend, one line per axis and the ceil_mode note, then (if
# nothing went wrong) section 3's heading and the size change, all in one markdown.
size_lines, size_errors = [], []
for axis, size in (("rows", h), ("columns", w)):
    try:
        size_lines.append(_formula_line(axis, size, k, stride, padding, dilation, ceil_mode))
    except (ValueError, TypeError) as exc:
        size_errors.append(f"**{axis.capitalize()}:** {exc}")

pool_args = dict(kernel_size=k, stride=stride, padding=padding, ceil_mode=ceil_mode)
if mode == "max":
    pool_args["dilation"] = dilation
else:
    pool_args["count_include_pad"] = count_include_pad
pooled, pool_error = None, None
try:
    fn = vizlib.max_pool2d if mode == "max" else vizlib.avg_pool2d
    pooled = cached.run(fn, x, **pool_args)  # (H', W')
except (ValueError, TypeError) as exc:
    if not size_errors:  # the formula did not already say what is wrong
        pool_error = str(exc)

past_note, section_3 = "", "## 3. Before and after"
if pooled is not None:
    st.session_state[f"{K}.out_shape"] = pooled.shape
    span = dilation * (k - 1) + 1
    past = [
        max(0, (n - 1) * stride + span - (size + 2 * padding))
        for n, size in zip(pooled.shape, (h, w), strict=True)
    ]
    skipped = [
        _never_read(size, k, stride, padding, dilation, n)
        for size, n in zip((h, w), pooled.shape, strict=True)
    ]
    if skipped[0] or skipped[1]:
        which = " and ".join(
            _list(found, noun)
            for found, noun in zip(skipped, ("row", "column"), strict=True)
            if found
        )
        pronoun = "it" if len(skipped[0]) + len(skipped[1]) == 1 else "them"
        gaps = stride > span  # windows that do not touch skip the values between them
        if gaps:
            why = f"the stride ({stride}) leaves gaps between the {span}-wide windows"
        else:
            why = f"the {k}×{k} windows with stride {stride} end before {pronoun}"
        past_note = f"No window reads input {which}: {why}, and PyTorch skips {pronoun} too." + (
            " ceil_mode=True adds a last window that reaches past the edge."
            if not gaps and not ceil_mode
            else ""
        )
    if max(past) > 0:
        past_note = (
            f"With ceil_mode the last window reaches past the padded input ({past[0]} row(s), "
            f"{past[1]} column(s) beyond it, drawn as padding in the player). PyTorch skips "
            "those cells: they never win a max, and average pooling does not count them."
        )
    out_h, out_w = pooled.shape
    ratio = (h * w) / (out_h * out_w)
    section_3 += (
        f"\n\n**{h}×{w} → {out_h}×{out_w}**: {h * w:,} values become "
        f"{out_h * out_w:,}, {format_number(ratio, 2)}× fewer. "
        "Both pictures use the same colour scale, and each is drawn in proportion to its size."
    )
calm = not (size_errors or pool_error or pooled is None)
st.markdown(
    md.paragraphs(
        "### Output size",
        presentation.note(
            "H, W: input rows and columns; k: kernel size; p: padding on each side; "
            "d: dilation; s: stride; ⌊ ⌋ rounds down, ⌈ ⌉ (ceil_mode) rounds up. Same formula "
            "as PyTorch, which also requires padding ≤ k // 2 for pooling "
            f"(here at most {k // 2})."
        ),
        *size_lines,
        presentation.note(past_note),
        section_3 if calm else "",
    )
)
for message in size_errors + ([pool_error] if pool_error else []):
    st.error(message)
if pooled is None:
    st.warning(
        "No pooled map for these settings. Use a smaller window, less padding (at most "
        "kernel size // 2) or a larger image; the rest of the page follows as soon as it fits."
    )
scale = _colour_scale(x, pooled, look)
cmap = {"signed": CMAP, "relu": render.SEQUENTIAL_CMAP, "gray": "gray"}[look]

# ---- 3. Before and after
if not calm:
    st.markdown(section_3)
if pooled is None:
    st.info("Choose settings for which the window fits (see above).")
else:
    # Drawn in proportion: the pooled picture is as much narrower as the map is. One
    # wrapping row of two bordered boxes (white cells stay visible on a white page),
    # each holding its picture and, for small maps, its values.
    base = 560 if presentation.is_on() else 420  # px
    widths = (base, int(base * max(0.3, out_w / w)))
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    title_out = f"{MODES[mode]} of the {what_short}"
    boxes = []
    for values, title, width in ((x, what, widths[0]), (pooled, title_out, widths[1])):
        if boxes:
            row.markdown("## →", width="content")
        frame = row.container(border=True, width=width)
        boxes.append(frame)
        if look != "gray":
            panels.show_map(frame, values, title, cmap=CMAP, view=look, vlim=scale[1])
        else:
            pic = render.picture_of_map(values, cmap="gray", vmin=scale[0], vmax=scale[1])
            shape = f"{values.shape[0]}×{values.shape[1]}"
            panels.show_png(
                frame,
                pic.png,
                f"{title} ({shape}; black = {format_number(scale[0])}, "
                f"white = {format_number(scale[1])})",
            )
    if max(h, w) <= SMALL:
        boxes[0].markdown(md.paragraphs(f"**{what} values ({h}×{w})**", md.number_table(x)))
    if max(out_h, out_w) <= SMALL and not selfcheck.is_on(K):  # predict first hides answers
        boxes[1].markdown(
            md.paragraphs(
                f"**Pooled values ({out_h}×{out_w})**", md.number_table(pooled, compact=True)
            )
        )
    exports.map_downloads(
        st,
        K,
        pooled,
        cmap=cmap,
        view=look,
        scale=scale,
        name="pooled_map",
        title=f"Pooled map ({MODES[mode].lower()})",
    )

# ---- 4. Step by step: a fragment, so choosing another position reruns only this part


STEPS_TITLE = "4. One output value, step by step"


@st.fragment
def _steps(
    x,
    pooled,
    image,
    what,
    mode,
    pool_args,
    *,
    k,
    stride,
    padding,
    dilation,
    ceil_mode,
    count_include_pad,
    cmap,
    scale,
):
    """Section 4 for the settings of the last full run.

    The browser redraws all of it on every new position: few elements, text merged.
    """
    share.write_to_url()  # a fragment rerun keeps the link's position up to date
    h, w = x.shape
    out_h, out_w = pooled.shape
    presentation.section(
        STEPS_TITLE,
        "Choose an output position with the numbers or buttons, or in the player: point at "
        "the input or the output to see that window's numbers at once, click to keep it. "
        "The player scans the positions in order, in your browser.",
    )
    row, col = stepview.select_position(st, K, (out_h, out_w))

    step_args = dict(pool_args)
    step = vizlib.pool_step(x, row, col, mode=mode, **step_args)
    inside = ~step.is_padding
    r_in, c_in_ = step.tap_rows[inside], step.tap_cols[inside]
    if inside.any():
        top, left_col = int(r_in.min()), int(c_in_.min())
        span_r, span_c = int(r_in.max()) - top + 1, int(c_in_.max()) - left_col + 1
    else:  # a window made only of padding: outline nothing useful, keep the corner
        top, left_col, span_r, span_c = 0, 0, 1, 1

    hint = (
        "Find the largest value in the window (padding never wins)."
        if mode == "max"
        else f"Add the values in the window and divide by the divisor ({step.divisor})."
    )
    revealed = not np.isfinite(step.value) or selfcheck.predict_first(
        st,
        K,
        float(step.value),
        f"the output at row {step.row}, column {step.col}",
        token=f"{mode}:{step.row},{step.col}:{float(step.value)!r}",
        hint=hint,
        note="The window below shows where it comes from.",
        after="The answer, the window's arithmetic and the player appear after you check.",
    )
    if revealed:  # predict-first mode hides the arithmetic until the student has guessed
        player = plots_pooling.pool_stepview(
            x,
            pooled,
            row,
            col,
            mode=mode,
            kernel_size=k,
            stride=stride,
            padding=padding,
            dilation=dilation,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
            cmap=cmap,
            scale=scale,
            input_label=what,
            output_label="Pooled",
            alt=(
                "Step-by-step player: the window on the input, its values with the winner outlined"
                if mode == "max"
                else "Step-by-step player: the window on the input, its sum and the divisor"
            ),
            peek=stepview.peek(f"{K}.player", (out_h, out_w)),
        )
        stepview.show(
            player,
            key=f"{K}.player",
            on_pick=_picked,
            args=((padding, k, stride, dilation, (out_h, out_w)),),
        )

        n_pad = int(step.is_padding.sum())
        reads = f"{_span(top, span_r, 'row')}, {_span(left_col, span_c, 'column')}"
        if dilation > 1:
            reads += f", every {dilation}th cell"
        if n_pad:
            reads += f" ({n_pad} of {k * k} cells fall outside the input)"
        st.markdown(
            f"**Output row {step.row}, column {step.col} = {format_number(step.value)}.** "
            f"The window reads input {reads}:"
        )
        st.code(step.expression(), language=None, wrap_lines=True)
        exports.text_download(st, K, step, label=f"{MODES[mode]}, {image.label}", stem="pool_step")
        check = presentation.note(
            f"Check: the pooled map holds {format_number(pooled[step.row, step.col])} "
            "at this position."
        )
        if mode == "max":
            if step.winner is None:
                explained = [
                    "Every cell of this window is padding (−∞), so the result is −∞: nothing won."
                ]
            else:
                wr, wc = step.winner
                ties = int(np.sum(step.window[inside] == step.value))
                tie_rule = (
                    "If several cells hold the maximum, PyTorch's CPU kernel keeps the **first** "
                    "in row-major order (left to right, then top to bottom), because it replaces "
                    "its running maximum only on a strictly larger value. This page does the same."
                )
                if ties > 1:
                    tie_rule = f"**Tie:** {ties} cells of this window hold the maximum. " + tie_rule
                explained = [
                    f"**Winner:** input row {wr}, column {wc}, value "
                    f"{format_number(step.value)} (flat index {step.winner_index} = "
                    f"{wr}·{w} + {wc}, the number `return_indices=True` gives).",
                    tie_rule,
                    presentation.note("Max pooling pads with −∞, so a padding cell can never win.")
                    if n_pad
                    else "",
                ]
        else:
            explained = [
                f"**Sum** = {format_number(step.total)}, **divisor** = {step.divisor}, "
                f"**mean** = {format_number(step.total)} / {step.divisor} = "
                f"{format_number(step.value)}."
            ]
            if n_pad:
                pad_rows = (step.tap_rows[:, 0] >= -padding) & (step.tap_rows[:, 0] < h + padding)
                pad_cols = (step.tap_cols[0] >= -padding) & (step.tap_cols[0] < w + padding)
                in_padded = int(pad_rows.sum() * pad_cols.sum())  # cells inside the padded input
                real = k * k - n_pad
                zeros, beyond = in_padded - real, k * k - in_padded
                parts = []
                if zeros:
                    parts.append(f"{_count(zeros, 'padding zero')}")
                if beyond:
                    parts.append(
                        f"{_count(beyond, 'cell')} beyond the padded input (ceil_mode's last "
                        "window runs past the edge; PyTorch never counts those)"
                    )
                if count_include_pad and zeros:
                    why = (
                        "With `count_include_pad=True` the padding zeros count in the divisor: "
                        f"{in_padded} = {_count(real, 'real value')} + "
                        f"{_count(zeros, 'padding zero')}."
                    )
                elif count_include_pad:
                    counted = _count(real, "real value")
                    why = f"No padding to count here: the divisor counts the {counted}."
                else:
                    why = (
                        f"With `count_include_pad=False` only the {_count(real, 'real value')} "
                        "count, so padding does not pull the mean toward 0."
                    )
                explained.append(f"This window has {' and '.join(parts)}. {why}")
            else:
                explained.append(
                    presentation.note(
                        "This window lies inside the input, so `count_include_pad` does not "
                        f"matter here: the divisor is the window's {step.divisor} cells."
                    )
                )
        st.markdown(md.paragraphs(*explained, check))


if pooled is None:
    st.markdown(f"## {STEPS_TITLE}")
    st.info("Choose settings for which the window fits (see above) to see the steps.")
else:
    stepview.forget_peek(f"{K}.player")  # a full rerun: the settings may have changed
    _steps(
        x,
        pooled,
        image,
        what,
        mode,
        pool_args,
        k=k,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        cmap=cmap,
        scale=scale,
    )

# ---- 5. As PyTorch code
presentation.section(
    "5. As PyTorch code",
    "The same layer with `torch.nn.functional`, to copy into your own notebook "
    "(`nn.MaxPool2d` / `nn.AvgPool2d` take the same arguments):",
)
st.code(
    _torch_code(
        source=source,
        kernel_name=kernel.name,
        weights=np.asarray(kernel.weights),
        relu=relu,
        mode=mode,
        k=k,
        stride=None if same else stride,
        padding=padding,
        dilation=dilation,
        ceil=ceil_mode,
        cip=count_include_pad,
        x=x_image,
        grid=image.is_grid,
    ),
    language="python",
)
