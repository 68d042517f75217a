"""A shared link opened in a fresh browser shows the same view; a hostile link shows a notice."""

import re

import pytest

from tests.e2e.conftest import exception_count, open_page, screenshot, wait_until

pytestmark = pytest.mark.e2e


def _main_codes(page) -> list[str]:
    return [c.inner_text() for c in page.get_by_test_id("stMain").get_by_test_id("stCode").all()]


def _number_input(page, label: str):
    return page.get_by_test_id("stMain").get_by_label(label, exact=True)


def test_a_shared_link_reproduces_the_view(browser, page, server_url):
    open_page(page, server_url, "convolution?src=grid&k=1,0,-1;1,0,-1;1,0,-1")
    assert exception_count(page) == 0
    box = _number_input(page, "Stride")
    box.fill("2")
    box.press("Enter")
    wait_until(page, lambda: "stride=2" in page.url, what="stride in the address")
    wait_until(page, lambda: _main_codes(page), what="the written sum")
    written = _main_codes(page)[0]
    assert written.endswith("= 6")  # the tutorial's top-left value
    link = page.url
    assert re.search(r"/convolution\?.*src=grid", link)

    fresh = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        other = fresh.new_page()
        other.goto(link)
        wait_until(other, lambda: _main_codes(other), what="the written sum")
        assert exception_count(other) == 0
        assert _main_codes(other)[0] == written
        assert _number_input(other, "Stride").input_value() == "2"
        side = other.get_by_test_id("stSidebar")
        side.get_by_text("Link to this view").click()  # drawn once opened
        sidebar_code = side.get_by_test_id("stCode")
        sidebar_code.first.wait_for()
        shown = sidebar_code.first.text_content()
        assert shown.startswith(server_url + "/convolution?") and "stride=2" in shown
    finally:
        fresh.close()


def test_a_hostile_link_shows_a_notice_and_the_page_works(page, server_url):
    junk = "9" * 10_000
    open_page(page, server_url, f"convolution?k={junk}&stride=abc&pad=99&present=1")
    assert exception_count(page) == 0
    wait_until(page, lambda: _main_codes(page), what="the written sum")
    alerts = " ".join(a.inner_text() for a in page.get_by_test_id("stAlert").all())
    assert "could not be used" in alerts and "far too long" in alerts
    assert _number_input(page, "Padding on each side (px)").input_value() == "10"
    assert _main_codes(page)  # the written sum is still there
    screenshot(page, "share-hostile-link-presentation")
