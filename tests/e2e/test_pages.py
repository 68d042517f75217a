"""Every page loads in a real browser without an exception; screenshots for a person to look at."""

import pytest

from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_every_page_loads_without_exception(page, server_url):
    page.goto(server_url)
    wait_idle(page)
    links = page.get_by_test_id("stSidebarNavLink")
    count = links.count()
    assert count >= 2
    for i in range(count):
        link = page.get_by_test_id("stSidebarNavLink").nth(i)
        title = link.inner_text().strip()
        link.click()
        wait_idle(page)
        assert page.get_by_test_id("stException").count() == 0, f"exception on {title!r}"
        assert page.get_by_test_id("stImage").count() + page.locator("iframe").count() > 0, title
        screenshot(page, f"page-{i}-{''.join(c for c in title if c.isalnum())}")
