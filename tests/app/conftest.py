"""AppTest fixtures: a fresh app per test with Streamlit's caches cleared."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")
TIMEOUT = 30  # first runs import scipy/matplotlib; a loaded CI box is slow


@pytest.fixture(autouse=True)
def _clear_caches():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def app() -> AppTest:
    """The app on its start page after one run."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    return at


def open_page(at: AppTest, path: str) -> AppTest:
    """Switch to a lesson (``"lessons/convolution.py"``) and run it."""
    at.switch_page(path)
    at.run()
    return at


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


#: The collapsed download expanders, whose buttons are drawn only once opened.
DOWNLOAD_PANELS = ("conv.kernel.downloads", "pool.downloads")


def download_buttons(at: AppTest) -> dict:
    """The page's download buttons by key, after opening its collapsed download panels."""
    closed = [k for k in DOWNLOAD_PANELS if k in at.session_state and not at.session_state[k]]
    for key in closed:
        at.session_state[key] = True
    if closed:
        at.run()
    return {b.key: b for b in at.get("download_button")}
