"""Every page loads in a real browser without an exception; screenshots for a person to look at."""

import pytest

from tests.e2e.conftest import exception_count, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_every_page_loads_without_exception(page, server_url):
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
        # the page's content is there: its sections, and no spinner left behind
        assert page.locator("h2, h3").count() >= 1, title
        assert page.get_by_test_id("stSpinner").count() == 0, title
        screenshot(page, f"page-{i}-{''.join(c for c in title if c.isalnum())}")
