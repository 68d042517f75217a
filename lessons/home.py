"""Start page: the current image through the tutorial's edge detector, and the lesson map."""

import numpy as np
import streamlit as st

import vizlib
from ui import cached, panels
from ui.state import current_image

st.title("How a CNN's building blocks compute")
st.markdown(
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

st.subheader("The lessons")
st.markdown(
    "1. **Why convolutions**: why not a dense layer on the flattened image.\n"
    "2. **Convolution step by step**: every window's products and sum, on your image.\n"
    "3. **Volumes and filters**: RGB inputs, filter depth, several feature maps."
)
