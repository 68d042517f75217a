"""Presentation mode: for a projector — bigger type, full-contrast captions, less prose.

:func:`toggle` draws the sidebar switch (its key ``present.on`` also travels
in shared links as ``present=1``) and injects a style sheet when it is on
(CSS only, through ``st.html``; no script). Lessons write explanatory
paragraphs with :func:`prose` instead of ``st.markdown``: presentation mode
leaves them out (the teacher says them), the controls, pictures, numbers and
written sums stay.

Switching presentation mode on (or opening a link with it on) folds the sidebar
away once (``st.set_page_config(initial_sidebar_state="collapsed")``, which
Streamlit applies on a rerun too): 360 px of a 1280 px projector go back to the
lesson; its » button brings the sidebar back, and later reruns leave it alone.

A second switch, "Boost map contrast" (key ``present.boost``), makes
:func:`ui.panels.show_map` put a feature map's colour limit at the 99th
percentile of |value| instead of the maximum: on a projector a photo's map is
otherwise a pale wash, because a few strong edges set the scale. Switching
presentation mode on or off switches it with it (a teacher gets it without
looking for it); it can then be set on its own, either way, and a student at
a laptop can use it too. It changes what a colour means (the strongest 1 % of
values saturate), so the colour bar and its caption say so whenever it acts.
"""

from __future__ import annotations

import streamlit as st

from ui import md

__all__ = [
    "BOOST_KEY",
    "KEY",
    "STYLE",
    "is_boosted",
    "is_on",
    "note",
    "prose",
    "prose_text",
    "section",
    "toggle",
]

KEY = "present.on"
BOOST_KEY = "present.boost"

#: Streamlit sizes its text in rem, so a larger root size scales the whole page; the
#: sidebar widens, and page names and widget labels wrap instead of ending in "…".
#: Captions under pictures (what a map is, its shape, min and max) and under colour
#: bars get the page's full text colour and ~23 px / ~21 px type, readable from the back.
#: Number grids drawn as HTML (``ui.plots_why.grid_html``) take the text's size (21 px,
#: at least ~17 px in a narrow column, where they wrap or scroll instead of shrinking).
STYLE = """<style>
html { font-size: 21px; }
:root { --grid-font: 1rem; --grid-min-font: 0.8rem; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {
  color: inherit !important; opacity: 1 !important; font-size: 1rem !important;
}
[data-testid="stImageCaption"], [data-testid="stImageCaption"] * {
  color: inherit !important; opacity: 1 !important; font-size: 1.1rem !important;
  font-weight: 600; line-height: 1.3;
}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-weight: 500; }
h1, h2, h3 { font-weight: 800 !important; }
[data-testid="stCode"] code, [data-testid="stCode"] pre { font-size: 1.05rem !important; }
[data-testid="stMetricValue"] { font-size: 2.6rem !important; font-weight: 700; }
[data-testid="stImage"] img { image-rendering: pixelated; }
[data-testid="stSidebar"][data-collapsed="false"] {
  width: 360px !important; min-width: 360px !important;
}
[data-testid="stSidebarNavLink"] { height: auto !important; min-height: 2rem; }
.stMarkdownEllipsis, .stMarkdownEllipsis p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
</style>"""


def is_on() -> bool:
    return bool(st.session_state.get(KEY, False))


def is_boosted() -> bool:
    """Whether feature maps use the boosted (99th-percentile) colour limit."""
    return bool(st.session_state.get(BOOST_KEY, is_on()))


_COLLAPSE_KEY = "present.collapse"  # switched on in this run: fold the sidebar away once


def _boost_follows_presentation() -> None:
    on = bool(st.session_state.get(KEY, False))
    st.session_state[BOOST_KEY] = on
    st.session_state[_COLLAPSE_KEY] = on


def toggle() -> bool:
    """Draw the sidebar switch; apply the projector style when on."""
    on = st.sidebar.toggle(
        "Presentation mode",
        key=KEY,
        help="For a projector: larger text, full-contrast captions, explanatory "
        "paragraphs hidden (controls, pictures and numbers stay). Also switches "
        "“Boost map contrast” on.",
        on_change=_boost_follows_presentation,
    )
    if BOOST_KEY not in st.session_state:  # first run, or presentation mode from a link
        st.session_state[BOOST_KEY] = on
        st.session_state[_COLLAPSE_KEY] = on
    st.sidebar.toggle(
        "Boost map contrast",
        key=BOOST_KEY,
        help="Feature maps of photos look faint when a few strong edges set the colour "
        "scale. On: the colour limit is the 99th percentile of |value| instead of the "
        "maximum, so the strongest 1 % of values saturate; the colour bar gets pointed "
        "ends and its caption gives the limit and the true maximum.",
    )
    if on:
        st.html(STYLE)
    if st.session_state.pop(_COLLAPSE_KEY, False):
        # Switched on just now: the 360 px sidebar would take 28 % of a 1280 px projector.
        # Once only; its » button brings it back and later reruns leave it as it is.
        st.set_page_config(initial_sidebar_state="collapsed")
    return on


def prose(text: str, container=None) -> None:
    """An explanatory paragraph: shown normally, left out in presentation mode."""
    if not is_on():
        (container if container is not None else st).markdown(text)


def note(text: str) -> str:
    """A side note for a markdown text: small and grey, full contrast in presentation mode."""
    return md.note(text, plain=is_on())


def prose_text(text: str) -> str:
    """An explanatory paragraph to merge into a markdown text: "" in presentation mode."""
    return "" if is_on() else text


def section(title: str, text: str = "", *, level: int = 2, container=None) -> None:
    """A heading and its explanatory paragraph(s) as ONE markdown element.

    ``level`` 1–4 is the heading level (2 as ``st.header``, 3 as
    ``st.subheader``). ``text`` is prose: left out in presentation mode, like
    :func:`prose`. One element instead of two, and a markdown heading costs the
    browser about half of an ``st.header`` on every rerun.
    """
    if not 1 <= level <= 4:
        raise ValueError(f"heading level must be 1 to 4, not {level}")
    body = f"{'#' * level} {title}"
    if text and not is_on():
        body += f"\n\n{text}"
    (container if container is not None else st).markdown(body)
