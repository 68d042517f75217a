"""Start page: the current image through the tutorial's edge detector, and the lesson map."""

import numpy as np
import streamlit as st

import vizlib
from ui import cached, panels, presentation
from ui.state import current_image

st.title("How a CNN's building blocks compute")
presentation.prose(
    "Pick an image in the sidebar (a photo, your own upload, a webcam snapshot, the tutorial's "
    "5×5 grid or a synthetic pattern) and follow the lessons in order. Every number on these "
    "pages is computed, not typed in, with the same rules as PyTorch."
)

image = current_image()
edge = vizlib.KERNELS["edge_detector"]
feature_map = cached.run(vizlib.conv2d, image.gray, edge.weights, padding="same")  # (H, W)

left, mid, right = st.columns([4, 2, 4])
panels.show_image(left, image.gray, f"Input: {image.label}, grayscale")
with mid:
    st.markdown(f"**Kernel: {edge.name}**")
    st.table(np.asarray(edge.weights, dtype=int))
    st.caption(edge.description)
panels.show_map(right, feature_map, "Feature map (padding “same”)")

st.subheader("The lessons, in the tutorial's order")
presentation.prose(
    "1. **Batch normalization**: the formula on an M × N mini-batch, train mode (batch "
    "statistics, running averages updated) versus eval mode (running statistics).\n"
    "2. **Why convolutions**: why not a dense layer on the flattened image.\n"
    "3. **Convolution step by step**: every window's products and sum, on your image; the "
    "tutorial's 5×5 example.\n"
    "4. **Volumes and filters**: RGB inputs, filter depth must match input depth, several "
    "feature maps.\n"
    "5. **Activation and stacking**: ReLU and friends, layers stacked, receptive fields growing.\n"
    "6. **Pooling**: max and average pooling, window by window."
)
