"""Why convolutions: a dense layer sees a flattened image; a convolution slides one small kernel.

Three ideas from the tutorial ("Before: MLP looks at the entire image at once"):
flattening loses the grid, a shifted image is a brand-new input for a dense
layer but only a shifted feature map for a convolution (translation
equivariance), and a convolution needs a handful of weights where a dense
layer needs billions.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import vizlib
from ui import cached, md, panels, plots_volumes, plots_why, presentation
from ui.kernel_editor import select_kernel
from ui.state import current_image
from vizlib.conv import format_number

FILLS = {
    "zeros": "Zero fill (pixels pushed out are lost, new ones are 0)",
    "circular": "Circular (pixels pushed out come back on the other side)",
}


def shift_image(x: np.ndarray, rows: int, cols: int, fill: str) -> np.ndarray:
    """Move a 2-D array ``rows`` down and ``cols`` right (negative: up / left).

    ``fill="zeros"`` drops what leaves the frame and fills the gap with 0;
    ``fill="circular"`` wraps it round to the other side (``np.roll``).
    """
    if fill == "circular":
        return np.roll(x, (rows, cols), axis=(0, 1))
    out = np.zeros_like(x)  # (H, W)
    h, w = x.shape
    if abs(rows) >= h or abs(cols) >= w:
        return out
    src_r = slice(max(0, -rows), h - max(0, rows))
    dst_r = slice(max(0, rows), h - max(0, -rows))
    src_c = slice(max(0, -cols), w - max(0, cols))
    dst_c = slice(max(0, cols), w - max(0, -cols))
    out[dst_r, dst_c] = x[src_r, src_c]
    return out


def where_they_differ(mask: np.ndarray) -> tuple[int, int, dict[str, int]]:
    """Count differing cells, the width of the border band holding them, cells per edge."""
    r, c = np.nonzero(mask)
    if r.size == 0:
        return 0, 0, {}
    h, w = mask.shape
    dists = np.stack([r, h - 1 - r, c, w - 1 - c])  # (4, n): distance to each edge
    nearest = np.argmin(dists, axis=0)
    names = ("top", "bottom", "left", "right")
    per_edge = {names[i]: int(np.count_nonzero(nearest == i)) for i in range(4)}
    return int(r.size), int(dists.min(axis=0).max()) + 1, per_edge


def thousands(n: int) -> str:
    return f"{n:,}"


def megabytes(n_bytes: int) -> str:
    mb = n_bytes / 1e6
    if mb >= 1000:
        return f"{thousands(round(mb))} MB ({format_number(mb / 1000, 1)} GB)"
    return f"{format_number(mb)} MB"


def figures(values: dict[str, str]) -> str:
    """Labelled figures as a one-row markdown table (one element, read well on a projector)."""
    return md.table([list(values.values())], list(values), align="center")


def vector_text(v: np.ndarray) -> str:
    return "[" + ", ".join(format_number(float(x)) for x in v) + "]"


image = current_image()

st.title("Why convolutions")
# --------------------------------------------------------------------------- 1. flattening
example = np.asarray(vizlib.MLP_EXAMPLE)  # (3, 3)
example_shifted = shift_image(example, 0, 1, "zeros")  # (3, 3): one pixel to the right
origin = shift_image(np.arange(example.size).reshape(example.shape), 0, 1, "zeros")
origin[:, 0] = -1  # the filled-in column came from nowhere
flat = example.reshape(-1)  # (9,)
flat_shifted = example_shifted.reshape(-1)  # (9,)
n_changed_example = int(np.count_nonzero(flat != flat_shifted))
rows_text = ", ".join(vector_text(r) for r in example)
# Introduction (prose), heading, the two flattened pictures, their description and the
# three points: one markdown element.
st.markdown(
    (
        ""
        if presentation.is_on()
        else "Before convolutions, an image went into a **multi-layer perceptron (MLP)**: a "
        "stack of dense (fully connected) layers. A dense layer takes a *vector*, so the image "
        "is first **flattened**: its rows are laid end to end. Every output of the layer then "
        "has its own weight for every pixel — the layer looks at the entire image at once.\n\n"
    )
    + "## 1 · Flattening: the tutorial's 3×3 example\n\n"
    + plots_why.flatten_html(
        example,
        title="Image (3×3)",
        vector_title="Flattened vector (9 entries): index = row·3 + column",
    )
    + plots_why.flatten_html(
        example_shifted,
        origin,
        title="Moved 1 pixel right",
        vector_title=f"Flattened again: {n_changed_example} of 9 entries changed (red)",
        changed=flat != flat_shifted,
    )
    + "\n\n<small>Top: the 3×3 image and its flattened vector (9 entries); under each entry its "
    "index and (row, column). Each pixel keeps its colour in both. Bottom: the same picture "
    "moved one pixel to the right (the new left column is 0, white), flattened again; the "
    "colours follow the pixels, red outlines mark the entries whose value changed.</small>\n\n"
    f"- Image rows {rows_text} → flattened vector `{vector_text(flat)}`: entry *i* is the "
    "pixel at row *i* // 3, column *i* mod 3.\n"
    f"- Moved one pixel right → `{vector_text(flat_shifted)}`: **{n_changed_example} of "
    f"{flat.size}** entries changed, although it is the same picture in a new place.\n"
    "- The dense layer has no idea that entries 0, 1, 2 were neighbours of 3, 4, 5: the grid is "
    "gone, and a pattern it learned at one place means nothing at another.",
    unsafe_allow_html=True,
)

# --------------------------------------------------------------------------- 2. shifting
st.markdown("## 2 · Shift the image: a new input for the MLP, a shifted map for the convolution")
gray = np.asarray(image.gray)  # (H, W)
H, W = gray.shape

controls = st.container(horizontal=True, gap="large")
where = controls.radio(
    "Shift what",
    ("crop", "image"),
    format_func={"crop": "A small crop (numbers readable)", "image": "The whole image"}.get,
    key="why.where",
    help="The crop is taken from the centre of the current image (grayscale).",
    width="content",
)
crop = controls.slider(
    "Crop size (pixels)", 4, 10, 8, key="why.crop", disabled=where != "crop", width=200
)
d_rows = controls.slider("Shift rows (down +, up −)", -8, 8, 1, key="why.rows", width=220)
d_cols = controls.slider("Shift columns (right +, left −)", -8, 8, 2, key="why.cols", width=220)
fill = controls.radio("Fill", tuple(FILLS), format_func=FILLS.get, key="why.fill", width="content")

if where == "crop":
    size = min(crop, H, W)
    top, left = (H - size) // 2, (W - size) // 2
    x = gray[top : top + size, left : left + size]  # (size, size)
    where_text = (
        f"a {size}×{size} crop at rows {top}–{top + size - 1}, columns {left}–{left + size - 1}"
    )
else:
    x = gray  # (H, W)
    where_text = f"the whole {H}×{W} image"
decimals = 0 if image.is_grid else 2
x = np.asarray(x, dtype=np.float64 if image.is_grid else np.float32)
xs = shift_image(x, d_rows, d_cols, fill)  # (h, w)
h, w = x.shape

# What the MLP sees.
v, vs = x.reshape(-1), xs.reshape(-1)  # (h·w,)
n_changed = int(np.count_nonzero(v != vs))
distance = float(np.linalg.norm(vs.astype(np.float64) - v.astype(np.float64)))
norm_v = float(np.linalg.norm(v.astype(np.float64)))
mlp_figures = figures(
    {
        f"Entries that changed (of {thousands(v.size)})": thousands(n_changed),
        "Euclidean distance ‖v′ − v‖": format_number(distance),
        "Relative to ‖v‖": f"{format_number(100 * distance / norm_v if norm_v else 0, 1)} %",
    }
)
setting = (
    f"Working on {where_text} of **{md.escape(image.label)}**"
    + (" (its grayscale version: one channel keeps the numbers simple)" if image.is_rgb else "")
    + f". **Shift**: {abs(d_rows)} row(s) {'down' if d_rows >= 0 else 'up'}, "
    f"{abs(d_cols)} column(s) {'right' if d_cols >= 0 else 'left'}; "
    + (
        "**zero fill**: what slides out of the frame is lost and the gap is filled with 0 "
        "(like a camera that moved)."
        if fill == "zeros"
        else "**circular**: what slides out on one side comes back on the other "
        "(`np.roll`), so no pixel is lost."
    )
    + "\n\n### What the MLP sees: the flattened vector\n\n"
)
dense_text = (
    f"For a dense layer, x′ is a different input: **{thousands(n_changed)}** of the "
    f"{thousands(v.size)} numbers it receives changed "
    f"({format_number(100 * n_changed / v.size, 1)} %), by a Euclidean distance of "
    f"√(Σ (v′ᵢ − vᵢ)²) = **{format_number(distance)}** (the vector's own length is "
    f"‖v‖ = {format_number(norm_v)}). Whatever it learned about the object at its old "
    "place does not transfer to the new one.\n\n"
    "### What the convolution sees: the same feature map, shifted"
)
if where == "crop":
    vlim = max(float(x.max()), 1.0)
    filled = shift_image(np.ones_like(x, dtype=bool), d_rows, d_cols, fill) == 0
    grids = plots_why.side_by_side(
        [
            plots_why.grid_html(
                x, title=f"x: the crop ({h}×{w})", decimals=decimals, vmin=0, vmax=vlim
            ),
            plots_why.grid_html(
                xs,
                title=f"x′: shifted ({h}×{w}); hatched = filled with 0",
                decimals=decimals,
                vmin=0,
                vmax=vlim,
                hatched=filled,
            ),
        ]
    )
    # The setting, both grids, the figures, both vectors and what they mean: one element.
    st.markdown(
        setting + grids + "\n\n" + mlp_figures + "\n\n**The two flattened vectors** v and v′ "
        f"({v.size} entries each, in lines of 16; red = changed entry)\n\n"
        + plots_why.vector_strip_html(v, vs, decimals=decimals)
        + "\n\n"
        + dense_text,
        unsafe_allow_html=True,
    )
else:
    mid = h // 2
    st.markdown(setting + mlp_figures)
    pics = [
        plots_volumes.image_picture(f"why.{tag}.{cached.digest(a)}", a)
        for tag, a in (("x", x), ("xs", xs))
    ]
    captions = [
        plots_volumes.image_caption(x, pics[0], "x: the image"),
        plots_volumes.image_caption(xs, pics[1], "x′: the shifted image"),
    ]
    panels.show_pictures(st, [p.png for p in pics], captions, width=320, margin=6)
    st.markdown(
        f"**Entries {mid * w}–{(mid + 1) * w - 1} of the flattened vectors** (image row {mid}): "
        "the original v and the shifted image's v′; red dots = changed entries."
    )
    st.altair_chart(
        plots_why.vectors_chart(
            v[mid * w : (mid + 1) * w], vs[mid * w : (mid + 1) * w], start=mid * w
        ),
        width="stretch",
        alt=f"Entries {mid * w} to {(mid + 1) * w - 1} of v and v′ as points; changed ones in red",
    )
    st.markdown(dense_text)

# What the convolution sees.
padding_mode = "circular" if fill == "circular" else "zeros"
row = st.container(horizontal=True, gap="large", wrap=False)
kernel = select_kernel(
    "why.kernel",
    default="edge_detector",
    label="Convolution kernel",
    container=row.container(width=360),
)
explain = row.container(width="stretch")
kernel = np.asarray(kernel, dtype=np.float64)  # (kH, kW)
kh, kw = kernel.shape
try:
    fmap = cached.run(vizlib.conv2d, x, kernel, padding="same", padding_mode=padding_mode)
    fmap_of_shifted = cached.run(
        vizlib.conv2d, xs, kernel, padding="same", padding_mode=padding_mode
    )
except ValueError as exc:
    explain.error(f"This kernel does not fit here: {exc}")
    fmap = None

if fmap is not None:
    shifted_fmap = shift_image(fmap, d_rows, d_cols, fill)  # (h, w)
    diff = np.asarray(fmap_of_shifted, np.float64) - np.asarray(shifted_fmap, np.float64)
    scale = max(1.0, float(np.max(np.abs(fmap))))
    tol = 1e-5 * scale  # float32 rounding is not a difference
    differs = np.abs(diff) > tol
    max_diff = float(np.max(np.abs(diff)))
    n_diff, band, per_edge = where_they_differ(differs)
    mr, mc = abs(d_rows) + kh // 2, abs(d_cols) + kw // 2  # the kernel's reach past the shift
    interior = diff[mr : h - mr, mc : w - mc]
    max_interior = float(np.max(np.abs(interior))) if interior.size else None
    # One colour scale for both maps: max|value|, or its 99th percentile when boosted.
    vlim = panels.color_limit(np.stack([fmap, fmap_of_shifted]))  # (2, h, w) -> one limit

    intro = (
        f"Kernel {kh}×{kw}, stride 1, padding “same” with padding mode **{padding_mode}** "
        "(chosen to match the fill, so the border is treated the way the shift treats it).  \n"
        "Compare **conv(shift(x))**, the feature map of the shifted image, with "
        "**shift(conv(x))**, the original feature map moved by the same amount. "
        "If convolution is *translation equivariant*, the two are equal.\n\n"
    )
    if where == "crop":
        fmap_grid = plots_why.grid_html(
            fmap,
            title=f"conv(x): the crop's feature map ({h}×{w})",
            decimals=decimals or 2,
            cmap="RdBu_r",
            vmin=-vlim,
            vmax=vlim,
        )
        if presentation.is_on():  # projector-sized numbers need more than the column beside
            explain.markdown(intro)
            st.markdown(fmap_grid, unsafe_allow_html=True)
        else:
            explain.markdown(intro + fmap_grid, unsafe_allow_html=True)
    else:
        explain.markdown(intro)
        plots_volumes.show_maps(
            explain, fmap[None], ["conv(x): the image's feature map"], vlim=vlim, width=320
        )

    if where == "crop":
        top = max(float(np.max(np.abs(v))) for v in (fmap, fmap_of_shifted, diff))
        saturated = (
            f"; colours saturate beyond ±{format_number(vlim)} (the numbers in the cells are "
            f"exact), the max |value| is {format_number(top)}"
            if top > vlim
            else ""
        )
        maps_text = plots_why.side_by_side(
            [
                plots_why.grid_html(
                    values,
                    title=title,
                    decimals=decimals or 2,
                    cmap="RdBu_r",
                    vmin=-vlim,
                    vmax=vlim,
                    marked=differs,
                )
                for values, title in (
                    (fmap_of_shifted, f"conv(shift(x)) ({h}×{w})"),
                    (shifted_fmap, f"shift(conv(x)) ({h}×{w})"),
                    (diff, "conv(shift(x)) − shift(conv(x))"),
                )
            ]
        ) + (
            "\n\n<small>Feature maps on a diverging scale (red > 0 > blue, white = 0, shared "
            f"limits ±{format_number(vlim)}{saturated}); red outlines = cells where the two maps "
            "differ.</small>\n\n"
        )
    else:
        plots_volumes.show_maps(
            st,
            np.stack([fmap_of_shifted, shifted_fmap, diff]),
            ["conv(shift(x))", "shift(conv(x))", "conv(shift(x)) − shift(conv(x))"],
            vlim=vlim,
            width=310,
        )
        maps_text = (
            "<small>At this size the differing cells are thin lines along the edges of the "
            "difference map; choose the small crop above to read them cell by cell.</small>\n\n"
        )

    equivariance = figures(
        {
            "Max |conv(shift(x)) − shift(conv(x))|": format_number(max_diff),
            f"Max away from the border (≥ {mr} rows, ≥ {mc} cols in)": (
                "no interior" if max_interior is None else format_number(max_interior)
            ),
            "Cells that differ": f"{thousands(n_diff)} of {thousands(diff.size)}",
        }
    )
    dense_rule = (
        ""
        if presentation.is_on()
        else "\n\nA dense layer has no such rule: its output for x′ is unrelated to its output "
        "for x. A convolution recognises a pattern wherever it appears — and it is a "
        "translation-**equivariant** map, not invariant: the response moves with the pattern "
        "(pooling later makes it nearly invariant)."
    )
    if n_diff == 0:
        st.markdown(maps_text + equivariance, unsafe_allow_html=True)
        st.success(
            "The two maps are equal everywhere (up to float rounding): **translation "
            "equivariance**. Shift the input, and the feature map shifts by exactly the same "
            "amount, because the same kernel is applied at every position."
            + (
                " With a circular shift and circular padding nothing is lost at the border, "
                "so this holds even at the edges."
                if fill == "circular"
                else ""
            )
        )
        if dense_rule:
            st.markdown(dense_rule)
    else:
        edges = ", ".join(f"{name} {thousands(k)}" for name, k in per_edge.items() if k)
        if max_interior is None:
            inside = (
                "This crop is too small to have cells farther than the shift plus the kernel's "
                "reach from every edge; make it larger or the shift smaller to see the agreement."
            )
        elif max_interior <= tol:
            inside = (
                "**Translation equivariance:** away from the border the maps agree (max "
                f"difference {format_number(max_interior)})."
            )
        else:
            inside = f"Away from the border the max difference is {format_number(max_interior)}."
        st.markdown(
            maps_text + equivariance + "\n\n"
            f"{inside} The {thousands(n_diff)} cells that differ all lie within **{band}** "
            f"pixel(s) of the map's edge (by nearest edge: {edges}). Such a band is at most the "
            f"shift plus the kernel's reach wide ({abs(d_rows)} + {kh // 2} rows, "
            f"{abs(d_cols)} + {kw // 2} columns): there the kernel's window covers pixels that "
            "slid out of the frame, or the zeros that slid in, so conv(shift(x)) sees numbers "
            "that conv(x) never saw. Switch the fill to *circular* and the difference vanishes "
            "everywhere." + dense_rule,
            unsafe_allow_html=True,
        )

# --------------------------------------------------------------------------- 3. parameters
st.markdown("## 3 · How many weights?")
C = 3 if image.is_rgb else 1
n_in = H * W * C
choose = st.container(horizontal=True, gap="large")
out_h = vizlib.output_size(H, 3, padding=1)
out_w = vizlib.output_size(W, 3, padding=1)
F = choose.slider("Convolution filters F", 1, 64, 8, key="why.filters", width=300)
conv_out = F * out_h * out_w
UNIT_CHOICES = {
    "match": f"As many outputs as the convolution (F·H′·W′ = {thousands(conv_out)})",
    "inputs": f"As many outputs as inputs (H·W·C = {thousands(n_in)})",
    "custom": "A number of my choice",
}
unit_mode = choose.radio(
    "Dense layer outputs (units)",
    tuple(UNIT_CHOICES),
    format_func=UNIT_CHOICES.get,
    key="why.units_mode",
    help="The fair comparison gives both layers the same output: F feature maps of "
    "H′×W′ values. A typical hidden layer is much smaller (e.g. 1,000), and still huge.",
    width="content",
)
custom_units = choose.number_input(
    "Units",
    min_value=1,
    max_value=10_000_000,
    value=1000,
    step=100,
    key="why.units",
    disabled=unit_mode != "custom",
    width=180,
)
units = {"match": conv_out, "inputs": n_in, "custom": int(custom_units)}[unit_mode]

dense_params = n_in * units + units
conv_params = F * C * 3 * 3 + F
conv_bytes = conv_params * 4

st.markdown(
    figures(
        {
            "Dense layer parameters": thousands(dense_params),
            "3×3 convolution parameters": thousands(conv_params),
            "Dense weights in memory (float32)": megabytes(dense_params * 4),
        }
    )
    + "\n\n"
    f"**Dense layer** on the {H}×{W}" + ("×3" if C == 3 else "") + " image: "
    f"inputs = H·W·C = {H}·{W}·{C} = {thousands(n_in)}; one weight per input for every one of "
    f"the {thousands(units)} units, plus one bias per unit:  \n"
    f"inputs × units + units = {thousands(n_in)} × {thousands(units)} + {thousands(units)} = "
    f"**{thousands(dense_params)}** parameters, × 4 bytes (float32) = "
    f"{thousands(dense_params * 4)} bytes = **{megabytes(dense_params * 4)}** "
    "(1 MB = 10⁶ bytes).\n\n"
    f"**3×3 convolution** with F = {F} filters over C = {C} channel(s): each filter has C·3·3 "
    "weights and one bias, whatever the image size:  \n"
    f"F·C·3·3 + F = {F}·{C}·9 + {F} = **{thousands(conv_params)}** parameters "
    f"({thousands(conv_bytes)} bytes). With padding 1 it also produces F·H′·W′ = "
    f"{F}·{out_h}·{out_w} = {thousands(conv_out)} outputs "
    f"(H′ = ⌊({H} + 2·1 − 3)/1⌋ + 1 = {out_h})."
)
ratio = dense_params / conv_params
ratio_text = thousands(round(ratio)) if ratio >= 100 else format_number(ratio, 1)
st.info(
    f"The dense layer needs **{ratio_text}×** as many parameters. A convolution "
    "(1) connects each output only to a small window (local connectivity) and (2) reuses the "
    "same few weights at every position (weight sharing). Doubling the image's side multiplies "
    "the dense layer's weights by 4 (inputs) × 4 (outputs, when they match) = 16 but leaves the "
    "convolution's unchanged."
)
st.code(
    "import torch.nn as nn\n\n"
    f"dense = nn.Linear(in_features={n_in}, out_features={units})  # flattened {C}×{H}×{W} input\n"
    f"conv = nn.Conv2d(in_channels={C}, out_channels={F}, kernel_size=3, padding=1)\n"
    f"sum(p.numel() for p in dense.parameters())  # {dense_params}\n"
    f"sum(p.numel() for p in conv.parameters())   # {conv_params}",
    language="python",
    wrap_lines=presentation.is_on(),  # large type: long lines wrap instead of hiding their end
)
if dense_params * 4 > 1e9:
    st.caption(
        f"Careful: actually creating that nn.Linear would try to allocate "
        f"{megabytes(dense_params * 4)} for its weights alone."
    )
