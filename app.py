"""Entry point: page config, the shared image source, navigation over the lessons.

Run with ``make run`` (or ``streamlit run app.py``).
"""

import streamlit as st

from ui import memory, presentation, render, share
from ui.widgets import select_image

memory.freeze_imports()  # Streamlit's collection after each rerun then skips all modules

st.set_page_config(
    page_title="CNN building blocks, step by step",
    page_icon=render.favicon_url(),  # drawn by the app: nothing is fetched for it
    layout="wide",
)

# Lessons in the order the tutorial teaches them.
PAGES = [
    st.Page("lessons/home.py", title="Start here", icon=":material/flag:", default=True),
    st.Page("lessons/batchnorm.py", title="Batch normalization", icon=":material/equalizer:"),
    st.Page("lessons/why_convolutions.py", title="Why convolutions", icon=":material/grid_on:"),
    st.Page("lessons/convolution.py", title="Convolution step by step", icon=":material/search:"),
    st.Page("lessons/volumes.py", title="Volumes and filters", icon=":material/layers:"),
    st.Page("lessons/stacking.py", title="Activation and stacking", icon=":material/stacks:"),
    st.Page("lessons/pooling.py", title="Pooling", icon=":material/compress:"),
]

page = st.navigation(PAGES)
share.load_from_url()  # a shared link's settings, before any widget is drawn
select_image()
presentation.toggle()
share.show_notices()
page.run()
share.write_to_url(page.url_path)
share.link_box(page.url_path)
