"""Presentation mode: for a projector — bigger type, full-contrast captions, less prose.

:func:`toggle` draws the sidebar switch (its key ``present.on`` also travels
in shared links as ``present=1``) and injects a style sheet when it is on
(CSS only, through ``st.html``; no script). Lessons write explanatory
paragraphs with :func:`prose` instead of ``st.markdown``: presentation mode
leaves them out (the teacher says them), the controls, pictures, numbers and
written sums stay.
"""

from __future__ import annotations

import streamlit as st

__all__ = ["KEY", "STYLE", "is_on", "prose", "toggle"]

KEY = "present.on"

#: Streamlit sizes its text in rem, so a larger root size scales the whole page; the
#: sidebar widens, and page names and widget labels wrap instead of ending in "…".
STYLE = """<style>
html { font-size: 21px; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {
  color: inherit !important; opacity: 1 !important; font-size: 0.95rem !important;
}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-weight: 500; }
h1, h2, h3 { font-weight: 800 !important; }
[data-testid="stCode"] code, [data-testid="stCode"] pre { font-size: 1.05rem !important; }
[data-testid="stMetricValue"] { font-size: 2.6rem !important; font-weight: 700; }
[data-testid="stImage"] img { image-rendering: pixelated; }
[data-testid="stSidebar"] { width: 360px !important; min-width: 360px !important; }
[data-testid="stSidebarNavLink"] { height: auto !important; min-height: 2rem; }
.stMarkdownEllipsis, .stMarkdownEllipsis p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
</style>"""


def is_on() -> bool:
    return bool(st.session_state.get(KEY, False))


def toggle() -> bool:
    """Draw the sidebar switch; apply the projector style when on."""
    on = st.sidebar.toggle(
        "Presentation mode",
        key=KEY,
        help="For a projector: larger text, full-contrast captions, explanatory "
        "paragraphs hidden (controls, pictures and numbers stay).",
    )
    if on:
        st.html(STYLE)
    return on


def prose(text: str, container=None) -> None:
    """An explanatory paragraph: shown normally, left out in presentation mode."""
    if not is_on():
        (container if container is not None else st).markdown(text)
