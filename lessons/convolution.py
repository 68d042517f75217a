"""Lesson: convolution, step by step (the tutorial's kernel sliding over an image).

Top to bottom: choose a kernel and how it slides; the output size with the numbers
plugged in; input, kernel and feature map side by side; one output value taken
apart (window × kernel = products, summed), played in the browser; correlation
versus convolution; the same layer as PyTorch code. Every number comes from vizlib.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import vizlib
from ui import (
    cached,
    exports,
    gif,
    kernel_editor,
    md,
    panels,
    presentation,
    render,
    selfcheck,
    share,
    stepview,
)
from ui.state import current_image
from vizlib.conv import format_number

K = "conv"  # session-key namespace of this page
KERNEL = f"{K}.kernel"
PAD_KINDS = ("number", "valid", "same")
PAD_KIND_LABELS = {"number": "a number", "valid": "“valid” (none)", "same": "“same” (keep size)"}
OPERATIONS = {
    "correlation": "Cross-correlation (what CNNs and PyTorch compute)",
    "convolution": "True convolution (flip the kernel first)",
}
SMALL = 16  # maps with at most this many rows and columns are also shown as numbers
DEFAULTS = {
    f"{K}.stride": 1,
    f"{K}.pad_kind": "number",
    f"{K}.pad": 0,
    f"{K}.padding_mode": "zeros",
    f"{K}.dilation": 1,
    f"{K}.operation": "correlation",
    f"{K}.view": "signed",
    f"{K}.cmap": render.DIVERGING_CMAPS[0],
    f"{K}.row": 0,
    f"{K}.col": 0,
}
for _key, _value in DEFAULTS.items():
    st.session_state.setdefault(_key, _value)


# --------------------------------------------------------------------------- callbacks


def _show_tutorial() -> None:
    """One click to the tutorial's example: 5×5 grid, vertical-edge kernel, top-left window."""
    st.session_state["source.kind"] = "Tutorial 5×5 grid"
    kernel_editor.load_preset(KERNEL, "vertical_edge")
    st.session_state.update(DEFAULTS)


def _picked(view: str, row: int, col: int, geometry: tuple) -> None:
    """A click in the player: an output cell, or the input pixel a window should centre on."""
    (pad_top, pad_left), (k_h, k_w), stride, dilation, (out_h, out_w) = geometry
    if view == "output":
        st.session_state[f"{K}.row"] = int(np.clip(row, 0, out_h - 1))
        st.session_state[f"{K}.col"] = int(np.clip(col, 0, out_w - 1))
        return
    out_r = round((row + pad_top - dilation * (k_h - 1) / 2) / stride)
    out_c = round((col + pad_left - dilation * (k_w - 1) / 2) / stride)
    st.session_state[f"{K}.row"] = int(np.clip(out_r, 0, out_h - 1))
    st.session_state[f"{K}.col"] = int(np.clip(out_c, 0, out_w - 1))


# --------------------------------------------------------------------------- helpers


def _formula_line(axis: str, size: int, k: int, stride: int, padding, pad: tuple, d: int) -> str:
    """Write the output-size formula for one axis with the numbers plugged in."""
    out = vizlib.output_size(size, k, stride=stride, padding=padding, dilation=d)
    letter = "H" if axis == "rows" else "W"
    if pad[0] == pad[1]:
        general = f"⌊({letter} + 2p − d(k − 1) − 1) / s⌋ + 1"
        plugged = f"⌊({size} + 2·{pad[0]} − {d}·({k} − 1) − 1) / {stride}⌋ + 1"
    else:  # "same" with an even span: the extra padding goes to the bottom/right
        general = f"⌊({letter} + p_before + p_after − d(k − 1) − 1) / s⌋ + 1"
        plugged = f"⌊({size} + {pad[0]} + {pad[1]} − {d}·({k} − 1) − 1) / {stride}⌋ + 1"
    return f"**{axis.capitalize()}:** {general} = {plugged} = **{out}**"


def _latex_rows(latex: str, kh: int, kw: int, order: str = "rows") -> str:
    """Break ``ConvStep.latex()`` into one line per kernel row (it does not wrap on screen).

    One line per kernel column when the terms are written column by column.
    """
    body, total = latex.rsplit(" = ", 1)
    terms = body.split(" + ")
    if len(terms) != kh * kw:  # not the one-channel form: leave it as vizlib wrote it
        return latex
    per_line = kw if order == "rows" else kh
    rows = [" + ".join(terms[i : i + per_line]) for i in range(0, len(terms), per_line)]
    return r"\begin{aligned} &" + r" \\ +\ & ".join(rows) + rf" \\ =\ & {total} \end{{aligned}}"


def _kernel_column_weight(used: np.ndarray) -> float | None:
    """The kernel column's width beside the two pictures (width 4 each); None: too wide.

    Its table must fit: estimated from the longest number and the type size (16 px,
    21 px in presentation mode) for a main area of about 750 px, a 1280 px projector
    with the sidebar open. Wider than 360 px, the table gets a row of its own.
    """
    char = 11.5 if presentation.is_on() else 8.5  # px per digit
    longest = max(len(format_number(v, 4)) for v in used.ravel())
    rows, cols = used.shape
    need = (len(str(rows - 1)) + cols * longest) * char + 25 * (cols + 1)  # + cell padding
    if need > 360:
        return None
    return round(max(2.0, 8 * need / (750 - need)), 2)


def _rounding_note(step) -> str:
    """A note when the written (rounded) terms do not add up to the written total.

    The sum is computed from the exact values; a student adding the 3-decimal terms
    by hand gets another last digit (an edge detector's 8 multiplies the rounding).
    """
    shown = [float(format_number(v)) for v in (*step.window.ravel(), *step.weights.ravel())]
    n = step.window.size
    by_hand = float(np.dot(shown[:n], shown[n:])) + float(format_number(step.bias))
    if format_number(by_hand) == format_number(step.total):
        return ""
    return "\n\n" + presentation.note(
        "The values are shown rounded to 3 decimals; the total is computed from the exact "
        f"values. Adding the rounded terms by hand gives {format_number(by_hand)} instead of "
        f"{format_number(step.total)}."
    )


def _torch_code(
    x: np.ndarray, weight: np.ndarray, flip: bool, stride, padding, mode, pad, dilation, is_grid
) -> str:
    """Write a short ``torch.nn.functional.conv2d`` snippet with the current settings."""

    def num(v: float) -> str:
        return f"{float(v):.1f}" if float(v) == int(v) else repr(float(v))

    indent = ",\n" + " " * 18
    rows = indent.join("[" + ", ".join(num(v) for v in row) + "]" for row in weight)
    kh, kw = weight.shape
    h, w = x.shape
    lines = ["import torch", "import torch.nn.functional as F", ""]
    if is_grid:
        grid = indent.join("[" + ", ".join(num(v) for v in row) + "]" for row in np.asarray(x))
        lines.append(f"x = torch.tensor([{grid}]).reshape(1, 1, {h}, {w})  # (N, C, H, W)")
    else:
        lines.append(f"x = torch.rand(1, 1, {h}, {w})  # your grayscale image here: (N, C, H, W)")
    lines.append(f"w = torch.tensor([{rows}]).reshape(1, 1, {kh}, {kw})  # (F, C, kH, kW)")
    if flip:
        lines.append("w = torch.flip(w, dims=(2, 3))  # true convolution: flip the kernel first")
    if mode != "zeros":
        top, bottom, left, right = pad
        torch_mode = {"replicate": "replicate", "reflect": "reflect", "circular": "circular"}[mode]
        lines.append(
            f'x = F.pad(x, ({left}, {right}, {top}, {bottom}), mode="{torch_mode}")'
            "  # (left, right, top, bottom)"
        )
        pad_arg = "0"
    else:
        pad_arg = f'"{padding}"' if isinstance(padding, str) else str(padding)
    lines.append(f"y = F.conv2d(x, w, stride={stride}, padding={pad_arg}, dilation={dilation})")
    lines.append("print(y.shape)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the page

st.title("Convolution, step by step")
presentation.prose(
    "A **kernel** (a small grid of weights) slides over the image. At every position it "
    "multiplies each weight with the pixel under it and adds the products up: that sum is one "
    "value of the **feature map**. Deep learning calls this a convolution, although strictly it "
    "is a *cross-correlation*: the kernel is not flipped (more on that below)."
)
st.button(
    "Show the tutorial's example",
    on_click=_show_tutorial,
    key=f"{K}.tutorial",
    type="primary",
    help="The 5×5 grid with the vertical-edge kernel, no padding, stride 1: "
    "the top-left value is 6.",
)

image = current_image()
x = image.gray  # (H, W)
H, W = x.shape
if image.is_rgb:
    st.info(
        "This lesson works on the **grayscale (luminance)** version of your RGB image, one "
        "channel. Three channels at once are the next lesson, “Volumes and filters”."
    )

# ---- 1. The kernel and how it slides
# Every element costs the browser time on every rerun: text is merged into few
# markdown calls, and small inputs share wrapping rows instead of nested columns.
st.markdown("## 1. The kernel and how it slides")
left, right = st.columns([3, 2], gap="large")
kernel = kernel_editor.select_kernel(KERNEL, default="edge_detector", container=left)

with right:
    st.markdown("**How it slides**")
    pair = st.container(horizontal=True)
    stride = pair.number_input(
        "Stride",
        min_value=1,
        max_value=16,
        step=1,
        key=f"{K}.stride",
        help="How many pixels the kernel moves between two outputs.",
    )
    dilation = pair.number_input(
        "Dilation",
        min_value=1,
        max_value=8,
        step=1,
        key=f"{K}.dilation",
        help="Spacing between the pixels the kernel reads: 2 reads every other pixel.",
    )
    pad_kind = st.radio(
        "Padding",
        PAD_KINDS,
        key=f"{K}.pad_kind",
        format_func=PAD_KIND_LABELS.__getitem__,
        horizontal=True,
        help="Extra pixels around the image so the kernel can also centre on border pixels.",
    )
    pair = st.container(horizontal=True)
    pad_number = pair.number_input(
        "Padding on each side (px)",
        min_value=0,
        max_value=10,
        step=1,
        key=f"{K}.pad",
        disabled=pad_kind != "number",
    )
    padding_mode = pair.selectbox(
        "Padding mode",
        vizlib.conv.PADDING_MODES,
        key=f"{K}.padding_mode",
        help="zeros: black border; reflect: mirror the image; replicate: repeat the edge "
        "pixel; circular: wrap around to the other side.",
    )
    operation = st.radio(
        "Operation", list(OPERATIONS), key=f"{K}.operation", format_func=OPERATIONS.__getitem__
    )

padding = int(pad_number) if pad_kind == "number" else pad_kind
flip = operation == "convolution"
used = np.flip(kernel) if flip else kernel  # (kH, kW): what is actually multiplied
kh, kw = used.shape
pad = stepview.pad_amounts(padding, used.shape, dilation)

# Output size: the legend and one line per axis, then (if nothing went wrong) the
# next section's heading, all in one markdown.
size_lines, size_errors = [], []
for axis, size, k, before_after in (("rows", H, kh, pad[:2]), ("columns", W, kw, pad[2:])):
    try:
        size_lines.append(_formula_line(axis, size, k, stride, padding, before_after, dilation))
    except (ValueError, TypeError) as exc:
        size_errors.append(f"**{axis.capitalize()}:** {exc}")

feature_map, conv_error = None, None
try:
    feature_map = cached.run(
        vizlib.conv2d,
        x,
        used,
        stride=stride,
        padding=padding,
        dilation=dilation,
        padding_mode=padding_mode,
    )  # (H', W')
except (ValueError, TypeError) as exc:
    if not size_errors:  # the formula did not already say what is wrong
        conv_error = str(exc)

same_note = ""
if feature_map is not None and pad_kind == "same":
    same_note = (
        f"“same” padding adds d·(k − 1) pixels per axis ({pad[0]} above, {pad[1]} below, "
        f"{pad[2]} left, {pad[3]} right), so the output keeps the input's size."
    )
wide_stride = feature_map is not None and stride > max(H, W)
section_2 = "## 2. Input, kernel and feature map"
calm = not (size_errors or conv_error or feature_map is None or wide_stride)
st.markdown(
    md.paragraphs(
        "### Output size",
        presentation.note(
            "H, W: input rows and columns; k: kernel size; p: padding on each side; "
            "d: dilation; s: stride; ⌊ ⌋ rounds down. PyTorch uses the same formula."
        ),
        *size_lines,
        presentation.note(same_note),
        section_2 if calm else "",
    )
)
for message in size_errors + ([conv_error] if conv_error else []):
    st.error(message)
if feature_map is None:
    st.warning(
        "No feature map for these settings. Change the stride, padding, dilation or kernel "
        "size above; the rest of the page follows as soon as the kernel fits."
    )
else:
    out_h, out_w = feature_map.shape
    st.session_state[f"{K}.out_shape"] = (out_h, out_w)
    if wide_stride:
        st.warning(
            f"The stride ({stride}) is larger than the image ({H}×{W}): after the first window "
            "the next one would start outside the image, so only one window per row fits."
        )

# ---- 2. Input, kernel, feature map
if not calm:
    st.markdown(section_2)
choose = st.container(horizontal=True)
view = choose.radio(
    "Show the feature map as",
    list(panels.MAP_VIEWS),
    key=f"{K}.view",
    format_func=panels.MAP_VIEWS.__getitem__,
    horizontal=True,
    help="Signed keeps negative responses visible (blue), positive in red, 0 white.",
)
cmap = choose.selectbox(
    "Colour map (colour-blind safe)", render.DIVERGING_CMAPS, key=f"{K}.cmap", width=320
)
kernel_weight = _kernel_column_weight(used)
if kernel_weight is None:  # a big kernel's table gets a row of its own, above the pictures
    c_k = st.container()
    c_in, c_out = st.columns(2, gap="medium")
else:
    c_in, c_k, c_out = st.columns([4, kernel_weight, 4], gap="medium")
panels.show_image(c_in, x, f"Input: {image.label}" + (", grayscale" if image.is_rgb else ""))
c_k.markdown(
    md.paragraphs(
        f"**Kernel {'(flipped) ' if flip else ''}{kh}×{kw}**",
        md.number_table(used, 4, compact=True),
        presentation.note(
            "Flipped top-to-bottom and left-to-right (np.flip) for a true convolution."
            if flip
            else "Used as is: cross-correlation."
        ),
    )
)
if feature_map is not None:
    panels.show_map(c_out, feature_map, "Feature map", cmap=cmap, view=view)
else:
    c_out.info("No feature map: see the message above.")
if max(H, W) <= SMALL:
    c_in.markdown(md.paragraphs("**Input values**", md.number_table(x)))
if feature_map is not None and max(feature_map.shape) <= SMALL and not selfcheck.is_on(K):
    c_out.markdown(
        md.paragraphs(
            f"**Feature map values ({feature_map.shape[0]}×{feature_map.shape[1]})**",
            md.number_table(panels.view_values(feature_map, view)),
        )
    )
exports.conv_downloads(st, KERNEL, kernel, feature_map, cmap=cmap, view=view)

# ---- 3. Step by step (and 4.): a fragment, so choosing another position reruns only this part
STEPS_TITLE = "3. One output value, step by step"


@st.fragment
def _steps(x, kernel, flip, feature_map, image, stride, padding, dilation, padding_mode, cmap):
    """Sections 3 and 4 for the settings of the last full run (``flip``: true convolution).

    The browser redraws all of it on every new position: few elements, text merged.
    """
    share.write_to_url()  # a fragment rerun keeps the link's position up to date
    used = np.flip(kernel) if flip else kernel  # (kH, kW): what is actually multiplied
    slide = dict(stride=stride, padding=padding, dilation=dilation, padding_mode=padding_mode)
    kh, kw = used.shape
    pad = stepview.pad_amounts(padding, used.shape, dilation)
    out_h, out_w = feature_map.shape
    # The tutorial writes its 5×5 example column by column (7×1 + 4×1 + 3×1 + 2×0 + …):
    # on its grid the sums follow it; elsewhere they read row by row.
    order = "columns" if image.is_grid else "rows"
    presentation.section(
        STEPS_TITLE,
        "Choose an output position with the numbers or buttons, or in the player: point at "
        "the input or the feature map to see that window's numbers at once, click to keep it. "
        "The player scans the positions in order, in your browser.",
    )
    row, col = stepview.select_position(st, K, (out_h, out_w))

    step = vizlib.conv_step(
        x,
        used,
        int(row),
        int(col),
        **slide,
    )
    top = int(step.tap_rows.min())
    left_col = int(step.tap_cols.min())
    span_r = int(step.tap_rows.max()) - top + 1
    span_c = int(step.tap_cols.max()) - left_col + 1

    revealed = selfcheck.predict_first(
        st,
        K,
        float(step.total),
        f"the output at row {step.row}, column {step.col}",
        token=f"{step.row},{step.col}:{float(step.total)!r}",
    )
    if revealed:  # predict-first mode hides the sum until the student has guessed
        player = stepview.conv_stepview(
            x,
            used,
            feature_map,
            int(row),
            int(col),
            **slide,
            cmap=cmap,
            input_label=f"Input ({image.label})",
            peek=stepview.peek(f"{K}.player", (out_h, out_w)),
            order=order,
        )
        stepview.show(
            player,
            key=f"{K}.player",
            on_pick=_picked,
            args=(((pad[0], pad[2]), (kh, kw), int(stride), int(dilation), (out_h, out_w)),),
        )

        n_pad = int(step.is_padding.sum())
        reads = (
            f"rows {top} to {top + span_r - 1}, "
            f"columns {left_col} to {left_col + span_c - 1}"
            + (f" ({n_pad} of {kh * kw} taps fall in the padding)" if n_pad else "")
        )
        written = (
            f"**Output row {step.row}, column {step.col} = {format_number(step.total)}.** "
            f"The kernel reads input {reads}; each input value is multiplied by the weight on top "
            "of it and the products are added up"
            + (", column by column as the tutorial writes them:" if order == "columns" else ":")
        )
        if kw <= 7 and kh <= 11:  # the sum as a formula, one line per kernel row (or column)
            written += f"\n\n$$\n{_latex_rows(step.latex(order=order), kh, kw, order)}\n$$"
        written += _rounding_note(step)
        st.markdown(written)
        st.code(step.expression(order=order), language=None, wrap_lines=True)
        exports.step_downloads(st, K, step, label=image.label)
        gif.gif_download(
            st,
            K,
            x,
            used,
            after="Check: the feature map holds "
            f"{format_number(feature_map[step.row, step.col])} at this position.",
            **slide,
        )

        # ---- 4. Correlation versus convolution
        other = kernel if flip else np.flip(kernel)  # the other operation's kernel
        twin = vizlib.conv_step(
            x,
            other,
            int(row),
            int(col),
            **slide,
        )
        corr, conv = (twin, step) if flip else (step, twin)
        if np.array_equal(kernel, np.flip(kernel)):
            effect = "This kernel is symmetric: flipping changes nothing, so both give the same."
        elif np.array_equal(kernel, -np.flip(kernel)):
            effect = (
                "Flipping this kernel only changes the sign of every weight (its left and right "
                "columns swap), so every output changes sign: "
                f"{format_number(corr.total)} becomes {format_number(conv.total)}."
            )
        else:
            effect = "Flipping moves every weight to the opposite side of the window."
        st.markdown(
            md.paragraphs(
                "## 4. Cross-correlation or convolution?",
                presentation.prose_text(
                    "A **true convolution** (as in signal processing and "
                    "`scipy.signal.convolve2d`) flips the kernel top-to-bottom and left-to-right "
                    "before sliding it; here that is `np.flip(kernel)` before `vizlib.conv2d`. "
                    "CNN layers (PyTorch's `conv2d`) skip the flip: they compute a "
                    "**cross-correlation**. For the same window:"
                ),
                f"- Cross-correlation (kernel as is): **{format_number(corr.total)}**\n"
                f"- True convolution (kernel flipped): **{format_number(conv.total)}**",
                effect,
                "A network learns its weights, so it does not matter which one it computes: a "
                "learned flipped kernel works just as well.",
            )
        )
        st.code(
            f"{'convolution' if flip else 'cross-correlation'}: {step.expression(order=order)}\n"
            f"{'cross-correlation' if flip else 'convolution'}: {twin.expression(order=order)}",
            language=None,
            wrap_lines=True,
        )


if feature_map is None:
    st.markdown(f"## {STEPS_TITLE}")
    st.info("Choose settings for which the kernel fits (see above) to see the steps.")
else:
    stepview.forget_peek(f"{K}.player")  # a full rerun: the settings may have changed
    _steps(x, kernel, flip, feature_map, image, stride, padding, dilation, padding_mode, cmap)

# ---- 5. As PyTorch code
presentation.section(
    "5. As PyTorch code",
    "The same layer with `torch.nn.functional.conv2d`, to copy into your own notebook:",
)
st.code(
    _torch_code(x, kernel, flip, stride, padding, padding_mode, pad, dilation, image.is_grid),
    language="python",
)
