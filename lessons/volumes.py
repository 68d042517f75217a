"""Volumes and multiple filters: filter depth must match input depth; F filters give F maps.

The tutorial's two rules for images with several channels: a filter is a
C×kH×kW block with one kernel per input channel, whose per-channel sums (plus
a bias) make ONE output number; and a layer with F filters stacks F feature
maps into an output volume (F, H′, W′).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import vizlib
from ui import cached, md, panels, plots_volumes, presentation
from ui.kernel_editor import select_kernel, stored_kernel
from ui.state import current_image
from vizlib.conv import format_number

#: Preset of filter f when the kernels are chosen by hand (cycled).
FILTER_DEFAULTS = (
    "vertical_edge",
    "horizontal_edge",
    "edge_detector",
    "sobel_x",
    "sobel_y",
    "gaussian_3",
    "sharpen",
    "emboss",
)
RGB_NAMES = ("R", "G", "B")
FIXED_ONE_CHANNEL = ("Tutorial 5×5 grid", "Synthetic")


def _switch_to_rgb() -> None:
    # Runs before the next rerun draws the sidebar, so the radio shows "RGB".
    st.session_state["source.color"] = "RGB"


def factor(value) -> str:
    """A number as a term of a sum: negative ones in parentheses, ``(-0.13)``."""
    text = format_number(value)
    return f"({text})" if text.startswith("-") else text


def shape_text(shape) -> str:
    """Write a shape as Python does: ``(3, 256, 256)``, ``(4,)``."""
    return str(tuple(int(n) for n in shape))


image = current_image()
x = image.chw  # (C, H, W)
C, H, W = x.shape
names = RGB_NAMES if C == 3 else ("gray",)

st.title("Volumes and multiple filters")
# The introduction (prose: hidden in presentation mode) and section 1's heading: one element.
st.markdown(
    (
        ""
        if presentation.is_on()
        else "A colour image is not a flat grid but a **volume**: C channels of H×W numbers "
        "(C = 3 for red, green, blue), written (C, H, W) as in PyTorch. The tutorial's two rules:\n"
        "1. **Filter depth must match input depth**: a filter for a C-channel input is a "
        "C×kH×kW block, one kH×kW kernel per channel. It slides over rows and columns only; at "
        "each position every channel's window × kernel is summed, the C partial sums are added, "
        "plus one bias: **one** output number.\n"
        "2. **We can use multiple filters**: F filters give F feature maps, stacked into an output "
        "volume (F, H′, W′), which is the next layer's input.\n\n"
    )
    + f"## 1 · The input volume {shape_text(x.shape)}"
)

# --------------------------------------------------------------------------- 1. input volume
if C == 1:
    if st.session_state.get("source.kind") in FIXED_ONE_CHANNEL:
        st.info(
            f"**{md.escape(image.label)}** has one channel (C = 1), so every filter has depth 1 "
            "here. Everything below still works; pick a sample photo in the sidebar and RGB to "
            "see three channels."
        )
    else:
        st.info(
            "The sidebar is set to **Grayscale**, so this image has one channel (C = 1) and the "
            "filters have depth 1. Switch to RGB to see a filter with one kernel per colour "
            "channel."
        )
        st.button("Switch the image to RGB", on_click=_switch_to_rgb, key="vol.to_rgb")

# The input and its channels as ONE st.image call (the pictures sit side by side and wrap).
pictures, captions = [], []
if C == 3:
    pic = plots_volumes.image_picture(image.key, image.pixels)
    pictures.append(pic.png)
    captions.append(plots_volumes.image_caption(image.pixels, pic, f"Input: {image.label}, RGB"))
for k in range(C):
    pictures.append(plots_volumes.channel_png(image.key, k, x[k], C == 3))
    captions.append(
        f"Channel {k} ({names[k]}): {H}×{W} values"
        + (f", shown in {('red', 'green', 'blue')[k]}" if C == 3 else "")
    )
# On a projector the four pictures are narrowed to share one line (row_width).
panels.show_pictures(st, pictures, captions, width=panels.row_width(len(pictures), 232), margin=6)

# --------------------------------------------------------------------------- 2. filters
st.markdown("## 2 · The filters")
controls = st.container(horizontal=True, gap="large")
F = controls.slider("Number of filters F", 1, 8, 3, key="vol.filters", width=260)
source = controls.radio(
    "Filter weights",
    ("chosen", "random"),
    format_func={
        "chosen": "Kernels I choose (presets or my own numbers)",
        "random": "Seeded random, like a new untrained nn.Conv2d",
    }.get,
    key="vol.source",
    width="content",
)
padding = controls.radio(
    "Padding",
    ("valid", "same"),
    format_func={"valid": "valid (0): output shrinks", "same": "same: output keeps H×W"}.get,
    key="vol.padding",
    width="content",
)


def _bias_input(container, f: int) -> float:
    # Kept while not drawn (another filter is being edited): persist_state.
    return container.number_input(
        f"Bias b{f + 1}",
        value=0.0,
        step=0.1,
        format="%.2f",
        key=f"vol.bias{f}",
        width=150,
        persist_state="session",
    )


bias = np.zeros(F)  # (F,)
kernels: list[np.ndarray] = []  # F blocks of (C, kH, kW)
if source == "random":
    sizes = st.container(horizontal=True, gap="medium")
    k_size = sizes.selectbox("Kernel size", (1, 3, 5, 7), index=1, key="vol.random_size", width=150)
    seed = int(sizes.number_input("Seed", 0, 10_000, 0, key="vol.seed", width=150))
    weight_all = vizlib.random_kernel((F, C, k_size, k_size), seed=seed)  # (F, C, k, k)
    kernels = list(weight_all)
    st.caption(
        f"Each weight drawn uniformly from ±1/√(C·kH·kW) = ±1/√{C * k_size * k_size} = "
        f"±{format_number(1 / np.sqrt(C * k_size * k_size))}, PyTorch's default initialisation; "
        "the same seed always gives the same filters."
    )
    biases = st.container(horizontal=True, gap="small")
    for f in range(F):
        bias[f] = _bias_input(biases, f)
    blocks_shown = []
else:
    # One filter's controls at a time (each kernel editor is a dozen elements); the others
    # keep their kernels and biases, and all F filters are drawn as blocks beside the editor.
    if st.session_state.get("vol.edit", 0) >= F:
        st.session_state["vol.edit"] = F - 1
    ctl = st.container(horizontal=True, gap="large", vertical_alignment="bottom")
    edit = ctl.radio(
        "Filter to edit",
        range(F),
        format_func=lambda f: f"Filter {f + 1}",
        horizontal=True,
        key="vol.edit",
        width="content",
    )
    per_channel = False
    channel = 0
    if C > 1:
        per_channel = (
            ctl.radio(
                f"Kernels of filter {edit + 1}",
                ("same", "each"),
                format_func={
                    "same": f"The same kernel on all {C} channels",
                    "each": "One kernel per channel (R, G, B)",
                }.get,
                key=f"vol.f{edit}.mode",
                horizontal=True,
                width="content",
                persist_state="session",
            )
            == "each"
        )
        if per_channel:
            channel = ctl.radio(
                "Channel to edit",
                range(C),
                format_func=lambda k: names[k],
                horizontal=True,
                key="vol.edit_channel",
                width="content",
                persist_state="session",
            )
    bias[edit] = _bias_input(ctl, edit)
    # The filters' blocks beside the editor; below it when C kernels per filter need the width.
    row = st.container(horizontal=True, gap="large", wrap=C > 1)
    editor = row.container(width=400)
    blocks_shown = []
    for f in range(F):
        default = FILTER_DEFAULTS[f % len(FILTER_DEFAULTS)]
        if f != edit:
            bias[f] = float(st.session_state.get(f"vol.bias{f}", 0.0))
        each = C > 1 and st.session_state.get(f"vol.f{f}.mode", "same") == "each"
        if each:
            keys = [f"vol.f{f}.c{k}" for k in range(C)]
            block = [
                select_kernel(
                    keys[k],
                    default=default,
                    label=f"Filter {f + 1}, channel {names[k]}",
                    container=editor,
                )
                if f == edit and k == channel
                else stored_kernel(keys[k], default)
                for k in range(C)
            ]
        else:
            key = f"vol.f{f}.all"
            one = (
                select_kernel(
                    key,
                    default=default,
                    label=f"Filter {f + 1}: kernel used on every channel",
                    container=editor,
                )
                if f == edit
                else stored_kernel(key, default)
            )
            block = [one] * C
        if len({b.shape for b in block}) > 1:
            sizes_text = ", ".join(
                f"{n} {b.shape[0]}×{b.shape[1]}" for n, b in zip(names, block, strict=True)
            )
            st.error(
                f"All kernels of one filter must have the same size: the filter is one "
                f"C×kH×kW block. Here: {sizes_text}. Filter {f + 1} is left out until they "
                "match."
            )
            kernels.append(None)
        else:
            kernels.append(np.stack(block))  # (C, kH, kW)
            title = (
                f"Filter {f + 1}"
                + (" (editing)" if f == edit else "")
                + f": {shape_text(kernels[-1].shape)}"
            )
            blocks_shown.append((kernels[-1], float(bias[f]), title))
    row.markdown(
        f"**The layer's {F} filter(s)**, each a block of shape (C, kH, kW): "
        + (
            f"{C} kernels, one per input channel, and one bias."
            if C > 1
            else "one input channel, so each filter is one kH×kW kernel (depth 1) plus its bias."
        )
        + plots_volumes.filters_html(blocks_shown, names),
        unsafe_allow_html=True,
        width="stretch",
    )

# One weight tensor (F, C, kH, kW): every filter of a layer has the same kernel size.
ref = next((k for k in kernels if k is not None), None)
if ref is None:  # every filter is inconsistent: fall back to the first preset
    st.warning("No complete filter yet: using the vertical-edge kernel on every channel.")
    kernels = [np.stack([vizlib.KERNELS[FILTER_DEFAULTS[0]].weights] * C)]
    ref, bias = kernels[0], bias[:1]
    F = 1
use = [f for f, k in enumerate(kernels) if k is not None and k.shape == ref.shape]
left_out = [f + 1 for f in range(F) if f not in use]
if left_out:
    st.error(
        "A layer stores its filters as one weight tensor (F, C, kH, kW), so all filters "
        f"share one kernel size ({ref.shape[1]}×{ref.shape[2]}, from filter {use[0] + 1}). "
        f"Left out until they match: filter(s) {', '.join(map(str, left_out))}."
    )
weight = np.stack([kernels[f] for f in use])  # (F, C, kH, kW)
bias_used = bias[use]  # (F,)
Fu, _, kH, kW = weight.shape
conv_padding = 0 if padding == "valid" else "same"

try:
    maps = cached.run(vizlib.conv2d, x, weight, bias_used, padding=conv_padding)  # (F, H', W')
except ValueError as exc:
    st.error(f"These filters do not fit this image: {exc}")
    st.stop()
_, Ho, Wo = maps.shape
n_params = Fu * C * kH * kW + Fu

# --------------------------------------------------------------------------- 3. shapes
pad_rows = (kH - 1) / 2 if padding == "same" else 0
st.markdown(
    "## 3 · Shapes and parameters\n\n"
    + md.table(
        [[shape_text(x.shape), shape_text(weight.shape), shape_text(maps.shape), f"{n_params:,}"]],
        ("Input (C, H, W)", "Weight (F, C, kH, kW)", "Output (F, H′, W′)", "Parameters"),
        align="center",
    )
    + "\n\n"
    f"- Weight {shape_text(weight.shape)}: F = {Fu} filters, each of depth C = {C} (the input's "
    f"depth) with {kH}×{kW} kernels; bias {shape_text(bias_used.shape)}, one number per filter.\n"
    f"- Parameters: F·C·kH·kW + F = {Fu}·{C}·{kH}·{kW} + {Fu} = **{n_params:,}**.\n"
    f"- Output (F, H′, W′) = {shape_text(maps.shape)}: one feature map per filter; "
    + (
        f"H′ = ⌊(H + 2p − kH)/1⌋ + 1 = ⌊({H} + 0 − {kH})/1⌋ + 1 = "
        f"{vizlib.output_size(H, kH)}, W′ = ⌊({W} + 0 − {kW})/1⌋ + 1 = "
        f"{vizlib.output_size(W, kW)}."
        if padding == "valid"
        else f"padding “same” adds {format_number(pad_rows)} pixel(s) per side (the extra one "
        "at the bottom/right for an even kernel), so H′ = H and W′ = W."
    )
    + f"\n- The output depth is F = {Fu}, whatever C is: the next layer's filters must have "
    f"depth {Fu}."
)

# --------------------------------------------------------------------------- 4. feature maps
st.markdown(
    f"## 4 · {Fu} feature map{'s' if Fu > 1 else ''}: the output volume {shape_text(maps.shape)}"
)
options = st.container(horizontal=True, gap="large", vertical_alignment="center")
shared = options.checkbox(
    "Shared colour scale",
    value=True,
    key="vol.shared",
    help="One colour scale for every map, so their strengths compare fairly. Off: each map "
    "uses its own ±max (still centred at 0). With “Boost map contrast” the limit is the 99th "
    "percentile of |value| (over all the maps when shared).",
)
view = options.radio(
    "Show",
    tuple(panels.MAP_VIEWS),
    format_func=panels.MAP_VIEWS.get,
    horizontal=True,
    key="vol.view",
    width="content",
)
# One limit over all the maps (F, H', W'): max|value|, or its 99th percentile when boosted.
vlim = panels.color_limit(maps, view) if shared else None
plots_volumes.show_maps(
    st,
    maps,
    [
        f"Map {f + 1} of {Fu}: filter {use[f] + 1}, bias {format_number(bias_used[f])}"
        for f in range(Fu)
    ],
    view=view,
    vlim=vlim,
    max_side=480,
    width=232 if Fu > 3 else 310,
)

# --------------------------------------------------------------------------- 5. one step
# A fragment: another position or filter reruns only this part.


@st.fragment
def _one_step(x, weight, bias_used, maps, names, use, image, conv_padding):
    """Section 5 for the filters and input of the last full run."""
    C = x.shape[0]
    Fu, Ho, Wo = maps.shape
    kH, kW = weight.shape[2:]
    where = st.container(horizontal=True, gap="medium")
    # Start in the middle; keep the position inside the output (F, padding and the image change).
    st.session_state.setdefault("vol.row", Ho // 2)
    st.session_state.setdefault("vol.col", Wo // 2)
    for key, top in (("vol.step_filter", Fu - 1), ("vol.row", Ho - 1), ("vol.col", Wo - 1)):
        if st.session_state.get(key, 0) > top:
            st.session_state[key] = top
    f_step = where.selectbox(
        "Filter",
        range(Fu),
        format_func=lambda f: f"Filter {use[f] + 1}",
        key="vol.step_filter",
        width=220,
    )
    row = int(
        where.number_input(
            "Output row", 0, Ho - 1, key="vol.row", help=f"0 to {Ho - 1} (H′ = {Ho})", width=220
        )
    )
    col = int(
        where.number_input(
            "Output column",
            0,
            Wo - 1,
            key="vol.col",
            help=f"0 to {Wo - 1} (W′ = {Wo})",
            width=220,
        )
    )
    step = cached.run(
        vizlib.conv_step,
        x,
        weight,
        row,
        col,
        bias=bias_used,
        out_channel=f_step,
        padding=conv_padding,
    )
    expression = step.expression(channel_names=names if C > 1 else None)
    padded = bool(step.is_padding.any())
    pair = st.container(horizontal=True, gap="large", wrap=False)
    window_text = (
        f"Input {shape_text(x.shape)}: the {kH}×{kW} window of output ({row}, {col}) "
        f"outlined in magenta (rows {int(step.tap_rows.min())} to {int(step.tap_rows.max())}, "
        f"columns {int(step.tap_cols.min())} to {int(step.tap_cols.max())}"
        + ("; outside 0…H−1 / 0…W−1 is padding, drawn gray" if padded else "")
        + "); the same window in every channel."
    )
    located = plots_volumes.locate_png(
        image.key,
        image.pixels,
        (int(step.tap_rows.min()), int(step.tap_rows.max())),
        (int(step.tap_cols.min()), int(step.tap_cols.max())),
    )
    panels.show_pictures(pair, [located], [window_text], width=220)
    sums = " + ".join(factor(s) for s in step.partial_sums)
    pair.markdown(
        plots_volumes.step_html(
            step.window,
            step.weights,
            step.products,
            step.partial_sums,
            names,
            step.is_padding,
            0 if image.is_grid else 2,
        )
        + "\n\n"
        f"Each channel's window × kernel, summed: {C} partial sum(s)"
        + ("; hatched taps read the padding (0)" if padded else "")
        + ".\n\n"
        f"**Partial sums + bias = output:** {sums} + {factor(step.bias)} = "
        f"**{format_number(step.total)}** → feature map {f_step + 1} at row {row}, column {col} "
        f"(conv2d computed {format_number(float(maps[f_step, row, col]))}).\n\n"
        "The arithmetic as text below, taps in row-major order"
        + (": one line per channel, then the channel sums plus the bias." if C > 1 else "."),
        unsafe_allow_html=True,
        width="stretch",
    )
    st.code(expression, language=None, wrap_lines=True)  # the result at the end stays in view


st.markdown("## 5 · One output number, channel by channel")
_one_step(x, weight, bias_used, maps, names, use, image, conv_padding)

# --------------------------------------------------------------------------- 6. depth rule
# A fragment too: the test filter's depth reruns only this part.


@st.fragment
def _depth_rule(x, names, kH, kW, conv_padding):
    """Section 6: a test filter of the chosen depth against this input."""
    C = x.shape[0]
    wrong_default = 1 if C == 3 else 3
    depth = st.selectbox(
        f"Depth of a test filter (the input has C = {C})",
        (1, 2, 3, 4),
        index=(1, 2, 3, 4).index(wrong_default),
        key=f"vol.depth{C}",  # one state per input depth, so each starts on a wrong depth
        width=340,
    )
    test_weight = vizlib.random_kernel((1, depth, kH, kW), seed=0)  # (1, depth, kH, kW)
    try:
        test_maps = cached.run(vizlib.conv2d, x, test_weight, padding=conv_padding)
    except ValueError as exc:
        # A sentence for the student first; the library's own message after it.
        st.error(
            f"**A filter of depth {depth} cannot read this input.** The input "
            f"{shape_text(x.shape)} has C = {C} channel(s), so each filter needs exactly {C} "
            f"kernel(s), one per channel; with depth {depth}, "
            + (
                f"channel(s) {', '.join(names[depth:])} would have no kernel"
                if depth < C
                else f"{depth - C} kernel(s) would have no channel to read"
            )
            + ". PyTorch refuses it the same way (a RuntimeError about the expected input "
            f"channels).\n\nThe convolution's own message, for a test filter of shape "
            f"{shape_text(test_weight.shape)} (filters, depth, kH, kW): {exc}"
        )
    else:
        st.success(
            f"Depth {depth} = C: a filter of shape {shape_text(test_weight.shape)} fits the input "
            f"{shape_text(x.shape)} and gives one map, output {shape_text(test_maps.shape)}."
        )


st.markdown("## 6 · The depth rule: what if the filter's depth does not match?")
_depth_rule(x, names, kH, kW, conv_padding)

# --------------------------------------------------------------------------- 7. PyTorch
st.markdown("## 7 · As PyTorch code")
pad_arg = '"same"' if padding == "same" else "0"
st.code(
    "import torch\n"
    "import torch.nn as nn\n\n"
    f"conv = nn.Conv2d(in_channels={C}, out_channels={Fu}, kernel_size=({kH}, {kW}), "
    f"padding={pad_arg})\n"
    f"x = torch.rand(1, {C}, {H}, {W})  # a batch of one image: (N, C, H, W)\n"
    "y = conv(x)\n"
    f"print(conv.weight.shape)  # torch.Size([{Fu}, {C}, {kH}, {kW}]) = (F, C, kH, kW)\n"
    f"print(conv.bias.shape)    # torch.Size([{Fu}])\n"
    f"print(y.shape)            # torch.Size([1, {Fu}, {Ho}, {Wo}]) = (N, F, H', W')\n"
    f"print(sum(p.numel() for p in conv.parameters()))  # {n_params}",
    language="python",
    wrap_lines=presentation.is_on(),  # large type: long lines wrap instead of hiding their end
)
