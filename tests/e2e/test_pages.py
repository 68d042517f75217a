"""Every page loads in a real browser without an exception, in the light and the dark theme;
screenshots for a person to look at. Presentation mode boosts the feature map's contrast."""

import pytest

from tests.e2e.conftest import (
    SHOTS,
    exception_count,
    open_page,
    screenshot,
    shown_text,
    sidebar,
    wait_idle,
    wait_until,
)

pytestmark = pytest.mark.e2e


def test_every_page_loads_without_exception(page, server_url):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_page(page, server_url)
    links = page.get_by_test_id("stSidebarNavLink")
    count = links.count()
    assert count == 7, [links.nth(i).inner_text() for i in range(count)]
    for i in range(count):
        link = page.get_by_test_id("stSidebarNavLink").nth(i)
        title = link.inner_text().strip().splitlines()[-1]
        link.click()
        wait_idle(page)
        heading = page.get_by_role("heading", level=1).first
        heading.wait_for()
        assert heading.is_visible() and heading.inner_text().strip(), title
        assert exception_count(page) == 0, f"exception on {title!r}"
        assert _luminance(page) > 200, title  # the browser asks for light: a light page
        # the page's content is there: its sections, and no spinner left behind
        assert page.locator("h2, h3").count() >= 1, title
        assert page.get_by_test_id("stSpinner").count() == 0, title
        screenshot(page, f"page-{i}-{''.join(c for c in title if c.isalnum())}")
    # Nothing comes from the internet (a classroom may have none): not the favicon, no font.
    outside = [u for u in requested if not u.startswith((server_url, "data:", "blob:"))]
    assert outside == [], outside


_BACKGROUND = """() => getComputedStyle(document.querySelector('[data-testid=stApp]'))
    .backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)"""


def _luminance(page) -> float:
    r, g, b = page.evaluate(_BACKGROUND)
    return 0.299 * r + 0.587 * g + 0.114 * b


def test_every_page_in_the_dark_theme(browser, server_url):
    """No theme is forced: a student whose system is dark gets a dark app, every page works."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme="dark")
    page = context.new_page()
    try:
        open_page(page, server_url)
        assert _luminance(page) < 60  # dark page (Streamlit's dark background is ~(14, 17, 23))
        count = page.get_by_test_id("stSidebarNavLink").count()
        assert count == 7
        for i in range(count):
            link = page.get_by_test_id("stSidebarNavLink").nth(i)
            title = link.inner_text().strip().splitlines()[-1]
            link.click()
            wait_idle(page)
            page.get_by_role("heading", level=1).first.wait_for()
            assert exception_count(page) == 0, f"exception on {title!r} (dark theme)"
            assert _luminance(page) < 60, title
            page.screenshot(
                path=str(SHOTS / f"dark-{i}-{''.join(c for c in title if c.isalnum())}.png")
            )
    finally:
        context.close()


def test_presentation_mode_boosts_the_feature_map_and_says_so(page, server_url):
    open_page(page, server_url, "?present=1")
    boost = sidebar(page).get_by_role("switch", name="Boost map contrast")
    assert boost.is_checked()
    scale = page.get_by_test_id("stImageCaption").filter(has_text="Colour scale:").first
    text = shown_text(scale)
    assert "colours saturate beyond ±" in text and "99th percentile of |value|" in text, text
    assert "≥ " in text and "the max |value| is" in text, text
    # Presentation mode folds the sidebar away once; the teacher opens it (») to turn boost off.
    page.get_by_test_id("stExpandSidebarButton").click()  # waits for it: the sidebar is folded
    sidebar(page).get_by_text("Boost map contrast", exact=True).click()  # the teacher: off again
    wait_until(page, lambda: "saturate" not in shown_text(scale), what="plain colour scale")
    assert exception_count(page) == 0
    screenshot(page, "presentation-home-boost-off")
