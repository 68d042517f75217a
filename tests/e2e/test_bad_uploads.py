"""Bad and awkward files uploaded through the browser, one student session after another.

A representative part of the corpus (tests/badfiles.py; AppTest covers all of
it): refused files must show a message in the sidebar and leave the feature map
as it was; the server's upload cap and the uploader's file types are enforced
in the browser before anything is sent; awkward-but-valid images load with a
note; a file named like an HTML tag stays text; a 1×1 picture goes through
every lesson without an exception.
"""

from __future__ import annotations

import pytest

from tests import badfiles as bf
from tests.e2e.conftest import (
    choose_source,
    corpus_file,
    exception_count,
    image_src,
    open_page,
    screenshot,
    sidebar,
    sidebar_alerts,
    sidebar_captions,
    upload,
    wait_idle,
    wait_until,
)

pytestmark = pytest.mark.e2e

REFUSED = ("zero_byte", "text_as_png", "pdf_as_png", "svg", "truncated_jpeg", "huge_declared_png")
AWKWARD = {  # item -> what the sidebar must say about the picture in use
    "cmyk_jpeg": "Your upload: 40×60",
    "exif_rotated": "Your upload: 40×20",  # stored 20×40, turned upright
    "animated_gif": "Your upload: 32×32",
    "twelve_megapixels": "Your upload: 192×256 (original 3000×4000)",
}


def _uploader_text(page) -> str:
    return sidebar(page).get_by_test_id("stFileUploader").inner_text()


@pytest.fixture(scope="module")
def student(browser, server_url):
    """One student session for the whole module, on the start page with "Upload" chosen."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.dialogs = []  # any alert() an injected tag would run
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    open_page(page, server_url)
    choose_source(page, "Upload")
    yield page
    context.close()


@pytest.fixture
def uploads(student, tmp_path):
    """The student's session with a good picture in use (uploaded again for each test)."""
    page = student
    good = tmp_path / f"good-{tmp_path.name}.png"
    good.write_bytes(bf.png(bf.gradient(40, 60, seed=len(tmp_path.name))))
    upload(page, good)
    wait_until(page, lambda: "Your upload: 40×60" in sidebar_captions(page), what="good upload")
    wait_until(page, lambda: not sidebar_alerts(page), what="no message left")
    return page


def test_refused_files_say_why_and_keep_the_feature_map(uploads, corpus_dir):
    page = uploads
    good_map = image_src(page)
    assert good_map
    for name in REFUSED:
        item = bf.item(name)
        before = sidebar_alerts(page)
        upload(page, corpus_file(corpus_dir, name))
        wait_until(
            page,
            lambda h=item.hint, b=before: (
                h in sidebar_alerts(page).lower() and sidebar_alerts(page) != b
            ),
            what=f"the message for {name}",
        )
        alerts = sidebar_alerts(page)
        assert alerts.startswith("That file could not be used"), alerts
        assert "Still showing the last image that loaded." in sidebar_captions(page)
        assert "Your upload: 40×60" in sidebar_captions(page)
        assert image_src(page) == good_map, name
        assert exception_count(page) == 0, name
        if name == "truncated_jpeg":
            screenshot(page, "bad-upload-truncated-jpeg")


def test_the_browser_enforces_the_cap_and_the_file_types(uploads, corpus_dir):
    page = uploads
    good_map = image_src(page)
    upload(page, corpus_file(corpus_dir, "over_the_cap"))  # 20 MB + 1 KB
    wait_until(page, lambda: "must be 20.0MB or smaller" in _uploader_text(page), what="the cap")
    upload(page, corpus_file(corpus_dir, "svg_named_svg"))
    wait_until(page, lambda: "files are not allowed" in _uploader_text(page), what="the type")
    wait_idle(page)
    assert "Your upload: 40×60" in sidebar_captions(page)
    assert image_src(page) == good_map
    assert exception_count(page) == 0
    screenshot(page, "bad-upload-cap-and-type")


def test_awkward_images_load_with_a_note(uploads, corpus_dir):
    page = uploads
    seen = {image_src(page)}
    for name, caption in AWKWARD.items():
        item = bf.item(name)
        upload(page, corpus_file(corpus_dir, name))
        wait_until(page, lambda c=caption: c in sidebar_captions(page), what=f"{name} loaded")
        assert not sidebar_alerts(page), (name, sidebar_alerts(page))
        if item.note:
            assert item.note in sidebar_captions(page).lower(), (name, sidebar_captions(page))
        src = image_src(page)
        assert src not in seen, f"{name} did not change the feature map"
        seen.add(src)
        assert exception_count(page) == 0, name
    screenshot(page, "awkward-upload-12-megapixels")


def test_an_html_file_name_stays_text(uploads, corpus_dir):
    page = uploads
    upload(page, corpus_file(corpus_dir, "html_name"))
    wait_until(page, lambda: "Your upload: 24×24" in sidebar_captions(page), what="upload")
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("[onerror]").count() == 0
    assert not page.dialogs, page.dialogs  # alert(1) never ran
    assert bf.HTML_NAME[:10] in _uploader_text(page) or "<img" in _uploader_text(page)


def test_a_one_pixel_picture_through_every_lesson(uploads, corpus_dir):
    page = uploads
    upload(page, corpus_file(corpus_dir, "one_pixel"))
    wait_until(page, lambda: "Your upload: 1×1" in sidebar_captions(page), what="1×1 upload")
    links = page.get_by_test_id("stSidebarNavLink")
    for i in (*range(1, links.count()), 0):  # every lesson, then back to the start
        link = page.get_by_test_id("stSidebarNavLink").nth(i)
        title = link.inner_text().strip().splitlines()[-1]
        link.click()
        wait_idle(page)
        heading = page.get_by_role("heading", level=1).first
        wait_until(page, lambda h=heading: h.is_visible(), what=title)
        assert exception_count(page) == 0, f"exception on {title!r} with a 1×1 picture"
        assert "Your upload: 1×1" in sidebar_captions(page), title
        if "Pooling" in title:
            screenshot(page, "one-pixel-pooling")
