"""Start page: the current image through the tutorial's edge detector, and the lesson map.

Few elements (each costs the browser time on every rerun): input, kernel and
feature map share one wrapping row (a horizontal container, not columns); the
kernel with its description is one markdown, the lesson map another.
"""

import numpy as np
import streamlit as st

import vizlib
from ui import cached, md, panels, presentation, render
from ui.cached import digest
from ui.state import current_image
from vizlib.conv import format_number

EDGE = vizlib.KERNELS["edge_detector"]
MAP_TITLE = "Feature map (padding “same”)"
WIDTH = 340  # px per picture: input, kernel and map fit side by side on a 1366 px laptop
KERNEL_WIDTH = 170


@cached.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _input_picture(key: str, _gray: np.ndarray) -> render.Picture:
    """The input, keyed on a digest of its pixels."""
    return render.picture_of_image(_gray)


st.title("How a CNN's building blocks compute")

image = current_image()
gray = image.gray  # (H, W)
feature_map = cached.run(vizlib.conv2d, gray, EDGE.weights, padding="same")  # (H, W)

presentation.prose(
    "Pick an image in the sidebar (a photo, your own upload, a webcam snapshot, the tutorial's "
    "5×5 grid or a synthetic pattern) and follow the lessons in order. Every number on these "
    "pages is computed, not typed in, with the same rules as PyTorch."
)

pic_in = _input_picture(digest(gray), gray)
pic_map, caption_map, alt_map = panels.map_figure(feature_map, MAP_TITLE)  # cached, with its bar
shape = "×".join(str(n) for n in gray.shape)
extra = ""
if pic_in.vmin != 0.0 or pic_in.vmax != 1.0:  # e.g. the tutorial's grid, 0 to 8
    extra = (
        f"; values {format_number(pic_in.vmin)}–{format_number(pic_in.vmax)} shown as black–white"
    )
caption_in = f"Input: {image.label}, grayscale ({shape}{extra})"
kernel = EDGE.weights.astype(int)  # (3, 3): whole numbers
description = EDGE.description if presentation.is_on() else f":small[:gray[{EDGE.description}]]"

# Input, kernel and feature map side by side in one wrapping row (no columns).
row = st.container(horizontal=True, gap="medium")
panels.show_pictures(row, [pic_in.png], [caption_in], width=WIDTH)
row.markdown(
    f"**Kernel: {EDGE.name}**\n\n"
    + md.table(
        [[str(v) for v in r] for r in kernel],
        [str(c) for c in range(kernel.shape[1])],
        index=[str(r) for r in range(kernel.shape[0])],
    )
    + f"\n\n{description}",
    width=KERNEL_WIDTH,
)
panels.show_pictures(row, [pic_map.png], [caption_map], width=WIDTH, alts=[alt_map])

# The lesson map is content, not explanation: shown in presentation mode too.
LESSONS = [
    (
        "Batch normalization",
        "the formula on an M × N mini-batch, train mode (batch statistics, running averages "
        "updated) versus eval mode (running statistics).",
    ),
    ("Why convolutions", "why not a dense layer on the flattened image."),
    (
        "Convolution step by step",
        "every window's products and sum, on your image; the tutorial's 5×5 example.",
    ),
    (
        "Volumes and filters",
        "RGB inputs, filter depth must match input depth, several feature maps.",
    ),
    (
        "Activation and stacking",
        "ReLU and friends, layers stacked, receptive fields growing.",
    ),
    ("Pooling", "max and average pooling, window by window."),
]

st.markdown(
    "### The lessons, in the tutorial's order\n\n"
    + "\n".join(f"{i}. **{name}**: {what}" for i, (name, what) in enumerate(LESSONS, 1))
)
