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
from ui import cached, panels, plots_volumes, presentation
from ui.kernel_editor import select_kernel
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
presentation.prose(
    "A colour image is not a flat grid but a **volume**: C channels of H×W numbers "
    "(C = 3 for red, green, blue), written (C, H, W) as in PyTorch. The tutorial's two rules:\n"
    "1. **Filter depth must match input depth**: a filter for a C-channel input is a "
    "C×kH×kW block, one kH×kW kernel per channel. It slides over rows and columns only; at "
    "each position every channel's window × kernel is summed, the C partial sums are added, "
    "plus one bias: **one** output number.\n"
    "2. **We can use multiple filters**: F filters give F feature maps, stacked into an output "
    "volume (F, H′, W′), which is the next layer's input."
)

# --------------------------------------------------------------------------- 1. input volume
st.header(f"1 · The input volume {shape_text(x.shape)}")
if C == 1:
    if st.session_state.get("source.kind") in FIXED_ONE_CHANNEL:
        st.info(
            f"**{image.label}** has one channel (C = 1), so every filter has depth 1 here. "
            "Everything below still works; pick a sample photo in the sidebar and RGB to see "
            "three channels."
        )
    else:
        st.info(
            "The sidebar is set to **Grayscale**, so this image has one channel (C = 1) and the "
            "filters have depth 1. Switch to RGB to see a filter with one kernel per colour "
            "channel."
        )
        st.button("Switch the image to RGB", on_click=_switch_to_rgb, key="vol.to_rgb")

cols = st.columns(4)
if C == 3:
    panels.show_image(cols[0], image.pixels, f"Input: {image.label}, RGB")
for k in range(C):
    target = cols[k + 1] if C == 3 else cols[0]
    panels.show_png(
        target,
        plots_volumes.channel_png(image.key, k, x[k], C == 3),
        f"Channel {k} ({names[k]}): {H}×{W} values"
        + (f", shown in {('red', 'green', 'blue')[k]}" if C == 3 else ""),
    )

# --------------------------------------------------------------------------- 2. filters
st.header("2 · The filters")
b1, b2, b3 = st.columns([2, 3, 2])
F = b1.slider("Number of filters F", 1, 8, 3, key="vol.filters")
source = b2.radio(
    "Filter weights",
    ("chosen", "random"),
    format_func={
        "chosen": "Kernels I choose (presets or my own numbers)",
        "random": "Seeded random, like a new untrained nn.Conv2d",
    }.get,
    key="vol.source",
)
padding = b3.radio(
    "Padding",
    ("valid", "same"),
    format_func={"valid": "valid (0): output shrinks", "same": "same: output keeps H×W"}.get,
    key="vol.padding",
)

bias = np.zeros(F)  # (F,)
kernels: list[np.ndarray] = []  # F blocks of (C, kH, kW)
if source == "random":
    r1, r2, _ = st.columns([1, 1, 3])
    k_size = r1.selectbox("Kernel size", (1, 3, 5, 7), index=1, key="vol.random_size")
    seed = int(r2.number_input("Seed", 0, 10_000, 0, key="vol.seed"))
    weight_all = vizlib.random_kernel((F, C, k_size, k_size), seed=seed)  # (F, C, k, k)
    kernels = list(weight_all)
    st.caption(
        f"Each weight drawn uniformly from ±1/√(C·kH·kW) = ±1/√{C * k_size * k_size} = "
        f"±{format_number(1 / np.sqrt(C * k_size * k_size))}, PyTorch's default initialisation; "
        "the same seed always gives the same filters."
    )
    bias_cols = st.columns(min(F, 8))
    for f in range(F):
        bias[f] = bias_cols[f].number_input(
            f"Bias b{f + 1}", value=0.0, step=0.1, format="%.2f", key=f"vol.bias{f}"
        )
else:
    tabs = st.tabs([f"Filter {f + 1}" for f in range(F)])
    for f, tab in enumerate(tabs):
        with tab:
            top1, top2, _ = st.columns([4, 1, 1])
            per_channel = False
            if C == 1:
                top1.caption(
                    f"One input channel: filter {f + 1} is one kH×kW kernel (depth 1) "
                    "plus its bias."
                )
            else:
                per_channel = (
                    top1.radio(
                        "Kernels of this filter",
                        ("same", "each"),
                        format_func={
                            "same": f"The same kernel on all {C} channels",
                            "each": "One kernel per channel (R, G, B)",
                        }.get,
                        key=f"vol.f{f}.mode",
                        horizontal=True,
                    )
                    == "each"
                )
            bias[f] = top2.number_input(
                f"Bias b{f + 1}", value=0.0, step=0.1, format="%.2f", key=f"vol.bias{f}"
            )
            default = FILTER_DEFAULTS[f % len(FILTER_DEFAULTS)]
            if per_channel:
                ch_cols = st.columns(C)
                block = [
                    select_kernel(
                        f"vol.f{f}.c{k}",
                        default=default,
                        label=f"Filter {f + 1}, channel {names[k]}",
                        container=ch_cols[k],
                    )
                    for k in range(C)
                ]
                if len({b.shape for b in block}) == 1:
                    st.markdown(
                        plots_volumes.filter_html(
                            np.stack(block),
                            names,
                            float(bias[f]),
                            f"Filter {f + 1} as a block: shape (C, kH, kW) = "
                            f"{shape_text((C, *block[0].shape))}",
                        ),
                        unsafe_allow_html=True,
                    )
            else:
                ed, pic = st.columns([2, 3])
                one = select_kernel(
                    f"vol.f{f}.all",
                    default=default,
                    label=f"Filter {f + 1}: kernel used on every channel",
                    container=ed,
                )
                block = [one] * C
                pic.markdown(
                    plots_volumes.filter_html(
                        np.stack(block),
                        names,
                        float(bias[f]),
                        f"Filter {f + 1} as a block: shape (C, kH, kW) = "
                        f"{shape_text((C, *one.shape))}",
                    ),
                    unsafe_allow_html=True,
                )
                pic.caption(
                    f"Filter {f + 1}: {C} kernel(s), one per input channel"
                    + (" (here all the same)" if C > 1 else "")
                    + ", and one bias."
                )
            if len({b.shape for b in block}) > 1:
                sizes = ", ".join(
                    f"{n} {b.shape[0]}×{b.shape[1]}" for n, b in zip(names, block, strict=True)
                )
                st.error(
                    "All kernels of one filter must have the same size: the filter is one "
                    f"C×kH×kW block. Here: {sizes}. Filter {f + 1} is left out until they match."
                )
                kernels.append(None)
            else:
                kernels.append(np.stack(block))  # (C, kH, kW)

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
st.header("3 · Shapes and parameters")
s1, s2, s3, s4 = st.columns(4)
s1.metric("Input (C, H, W)", shape_text(x.shape))
s2.metric("Weight (F, C, kH, kW)", shape_text(weight.shape))
s3.metric("Output (F, H′, W′)", shape_text(maps.shape))
s4.metric("Parameters", f"{n_params:,}")
pad_rows = (kH - 1) / 2 if padding == "same" else 0
st.markdown(
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
st.header(
    f"4 · {Fu} feature map{'s' if Fu > 1 else ''}: the output volume {shape_text(maps.shape)}"
)
o1, o2 = st.columns([1, 2])
shared = o1.checkbox(
    "Shared colour scale",
    value=True,
    key="vol.shared",
    help="One colour scale for every map, so their strengths compare fairly. Off: each map "
    "uses its own ±max (still centred at 0). With “Boost map contrast” the limit is the 99th "
    "percentile of |value| (over all the maps when shared).",
)
view = o2.radio(
    "Show",
    tuple(panels.MAP_VIEWS),
    format_func=panels.MAP_VIEWS.get,
    horizontal=True,
    key="vol.view",
)
# One limit over all the maps (F, H', W'): max|value|, or its 99th percentile when boosted.
vlim = panels.color_limit(maps, view) if shared else None
per_row = min(Fu, 4)
for start in range(0, Fu, per_row):
    row_cols = st.columns(per_row)
    for j, f in enumerate(range(start, min(start + per_row, Fu))):
        panels.show_map(
            row_cols[j],
            maps[f],
            f"Map {f + 1} of {Fu}: filter {use[f] + 1}, bias {format_number(bias_used[f])}",
            view=view,
            vlim=vlim,
            max_side=480,
        )

# --------------------------------------------------------------------------- 5. one step
# A fragment: another position or filter reruns only this part.


@st.fragment
def _one_step(x, weight, bias_used, maps, names, use, image, conv_padding):
    """Section 5 for the filters and input of the last full run."""
    C = x.shape[0]
    Fu, Ho, Wo = maps.shape
    kH, kW = weight.shape[2:]
    t1, t2, t3 = st.columns(3)
    # Start in the middle; keep the position inside the output (F, padding and the image change).
    st.session_state.setdefault("vol.row", Ho // 2)
    st.session_state.setdefault("vol.col", Wo // 2)
    for key, top in (("vol.step_filter", Fu - 1), ("vol.row", Ho - 1), ("vol.col", Wo - 1)):
        if st.session_state.get(key, 0) > top:
            st.session_state[key] = top
    f_step = t1.selectbox(
        "Filter", range(Fu), format_func=lambda f: f"Filter {use[f] + 1}", key="vol.step_filter"
    )
    row = int(
        t2.number_input("Output row", 0, Ho - 1, key="vol.row", help=f"0 to {Ho - 1} (H′ = {Ho})")
    )
    col = int(
        t3.number_input(
            "Output column", 0, Wo - 1, key="vol.col", help=f"0 to {Wo - 1} (W′ = {Wo})"
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
    v1, v2 = st.columns([2, 5])
    panels.show_png(
        v1,
        plots_volumes.locate_png(
            image.key,
            image.pixels,
            (int(step.tap_rows.min()), int(step.tap_rows.max())),
            (int(step.tap_cols.min()), int(step.tap_cols.max())),
        ),
        f"Input {shape_text(x.shape)}: the {kH}×{kW} window of output ({row}, {col}) "
        f"outlined in magenta (rows {int(step.tap_rows.min())} to {int(step.tap_rows.max())}, "
        f"columns {int(step.tap_cols.min())} to {int(step.tap_cols.max())}"
        + ("; outside 0…H−1 / 0…W−1 is padding, drawn gray" if step.is_padding.any() else "")
        + "); the same window in every channel.",
    )
    v2.markdown(
        plots_volumes.step_html(
            step.window,
            step.weights,
            step.products,
            step.partial_sums,
            names,
            step.is_padding,
            0 if image.is_grid else 2,
        ),
        unsafe_allow_html=True,
    )
    v2.caption(
        f"Each channel's window × kernel, summed: {C} partial sum(s)"
        + ("; hatched taps read the padding (0)" if step.is_padding.any() else "")
        + "."
    )
    sums = " + ".join(factor(s) for s in step.partial_sums)
    v2.markdown(
        f"**Partial sums + bias = output:** {sums} + {factor(step.bias)} = "
        f"**{format_number(step.total)}** → feature map {f_step + 1} at row {row}, column {col} "
        f"(conv2d computed {format_number(float(maps[f_step, row, col]))})."
    )
    st.code(expression, language=None)
    st.caption(
        "The arithmetic as text, taps in row-major order"
        + (": one line per channel, then the channel sums plus the bias." if C > 1 else ".")
    )


st.header("5 · One output number, channel by channel")
_one_step(x, weight, bias_used, maps, names, use, image, conv_padding)

# --------------------------------------------------------------------------- 6. depth rule
# A fragment too: the test filter's depth reruns only this part.


@st.fragment
def _depth_rule(x, names, kH, kW, conv_padding):
    """Section 6: a test filter of the chosen depth against this input."""
    C = x.shape[0]
    d1, d2 = st.columns([1, 3])
    wrong_default = 1 if C == 3 else 3
    depth = d1.selectbox(
        f"Depth of a test filter (the input has C = {C})",
        (1, 2, 3, 4),
        index=(1, 2, 3, 4).index(wrong_default),
        key=f"vol.depth{C}",  # one state per input depth, so each starts on a wrong depth
    )
    test_weight = vizlib.random_kernel((1, depth, kH, kW), seed=0)  # (1, depth, kH, kW)
    try:
        test_maps = cached.run(vizlib.conv2d, x, test_weight, padding=conv_padding)
    except ValueError as exc:
        d2.error(f"vizlib.conv2d refused a filter of shape {shape_text(test_weight.shape)}: {exc}")
        d2.markdown(
            f"**The rule:** the input has C = {C} channel(s), so each filter needs exactly {C} "
            f"kernel(s), one per channel. With depth {depth}, "
            + (
                f"channel(s) {', '.join(names[depth:])} would have no kernel"
                if depth < C
                else f"{depth - C} kernel(s) would have no channel to read"
            )
            + ". PyTorch refuses it the same way (a RuntimeError about the expected input "
            "channels)."
        )
    else:
        d2.success(
            f"Depth {depth} = C: a filter of shape {shape_text(test_weight.shape)} fits the input "
            f"{shape_text(x.shape)} and gives one map, output {shape_text(test_maps.shape)}."
        )


st.header("6 · The depth rule: what if the filter's depth does not match?")
_depth_rule(x, names, kH, kW, conv_padding)

# --------------------------------------------------------------------------- 7. PyTorch
st.header("7 · As PyTorch code")
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
)
