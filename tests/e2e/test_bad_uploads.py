"""Bad and awkward files uploaded through the browser, one student session after another.

A representative part of the corpus (tests/badfiles.py; AppTest covers all of
it): refused files must show a message in the sidebar and leave the feature map
as it was; the message on screen is always the one of the file in the box (no
file is refused by its name alone); the upload cap is enforced in the browser
before anything is sent; awkward-but-valid images load with a note; a file named
like an HTML tag stays text; a 1×1 picture goes through every lesson without an
exception.
"""

from __future__ import annotations

import pytest

import vizlib
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


def _chips(page) -> list[str]:
    """The names of the files in the sidebar's upload box, top to bottom."""
    return sidebar(page).get_by_test_id("stFileChipName").all_inner_texts()


def _refusal(item: bf.Upload) -> str:
    """The sidebar's message for a refused file, built from vizlib's own exception."""
    with pytest.raises(vizlib.ImageLoadError) as info:
        vizlib.load_image(item.data, mode="gray")
    return f"That file could not be used: {info.value}"


def test_the_message_always_describes_the_file_in_the_box(page, server_url, corpus_dir, tmp_path):
    """Good → an .svg → a truncated JPEG → good → removed, in a fresh session: the box
    holds only the file just chosen, and the message on screen is exactly that file's.

    (With a ``type=`` filter, Streamlit's browser side refused the .svg by its name,
    kept it in the box beside the good file, and kept its "files are not allowed"
    row next to every later upload, while the sidebar went on showing the message of
    whatever the app had last received.)
    """
    open_page(page, server_url)
    choose_source(page, "Upload")
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    first.write_bytes(bf.png(bf.gradient(40, 60, seed=21)))
    second.write_bytes(bf.png(bf.gradient(30, 50, seed=22)))

    upload(page, first)
    wait_until(page, lambda: "Your upload: 40×60" in sidebar_captions(page), what="first")
    assert sidebar_alerts(page) == "" and _chips(page) == ["first.png"]
    first_map = image_src(page)

    for name in ("svg_named_svg", "truncated_jpeg"):
        item, expected = bf.item(name), _refusal(bf.item(name))
        upload(page, corpus_file(corpus_dir, name))
        wait_until(page, lambda e=expected: sidebar_alerts(page) == e, what=f"{name}'s message")
        assert _chips(page) == [item.name], name
        assert "Still showing the last image that loaded." in sidebar_captions(page)
        assert "Your upload: 40×60" in sidebar_captions(page)
        assert image_src(page) == first_map, name
        assert exception_count(page) == 0, name
        if name == "svg_named_svg":
            screenshot(page, "bad-upload-svg-message")

    upload(page, second)
    wait_until(page, lambda: "Your upload: 30×50" in sidebar_captions(page), what="second")
    assert sidebar_alerts(page) == "" and _chips(page) == ["second.png"]
    assert "Still showing" not in sidebar_captions(page)
    second_map = image_src(page)
    assert second_map != first_map

    sidebar(page).get_by_test_id("stFileChipDeleteBtn").click()  # the student removes it
    wait_until(page, lambda: not _chips(page), what="the box emptied")
    assert sidebar_alerts(page) == ""
    assert "Your upload: 30×50" in sidebar_captions(page)  # the last good picture stays
    assert image_src(page) == second_map
    assert exception_count(page) == 0


def test_the_browser_enforces_the_cap(uploads, corpus_dir, tmp_path):
    """The box's 20 MB, as Chromium on Linux counts them (20,000,000 bytes; Streamlit's
    browser side counts 1000² bytes per MB except on Windows): exactly that loads, one
    byte more is never sent, nor is vizlib's 20 × 2**20 + 1 KB over-the-cap file."""
    page = uploads
    good_map = image_src(page)
    small = bf.jpeg(bf.gradient(64, 64, seed=4))
    exact, over = tmp_path / "exactly-20MB.jpg", tmp_path / "one-byte-over.jpg"
    exact.write_bytes(small + b"\x00" * (bf.BROWSER_CAP - len(small)))
    over.write_bytes(small + b"\x00" * (bf.BROWSER_CAP + 1 - len(small)))

    for path in (over, corpus_file(corpus_dir, "over_the_cap")):
        upload(page, path)
        row = sidebar(page).get_by_test_id("stFileChip").filter(has_text=path.name)
        wait_until(
            page, lambda r=row: "must be 20.0MB or smaller" in r.inner_text(), what=path.name
        )
        assert sidebar_alerts(page) == ""  # nothing reached the app
        assert "Your upload: 40×60" in sidebar_captions(page)
        assert image_src(page) == good_map
    screenshot(page, "bad-upload-cap")

    # Streamlit keeps a refused row until its own × is pressed: the student removes both
    for path in (over, corpus_file(corpus_dir, "over_the_cap")):
        row = sidebar(page).get_by_test_id("stFileChip").filter(has_text=path.name)
        row.get_by_test_id("stFileChipDeleteBtn").click()
        wait_until(page, lambda r=row: r.count() == 0, what=f"{path.name} removed")
    assert "Your upload: 40×60" in sidebar_captions(page)

    upload(page, exact)
    wait_until(page, lambda: "Your upload: 64×64" in sidebar_captions(page), what="20 MB file")
    assert sidebar_alerts(page) == "" and _chips(page) == [exact.name]
    assert image_src(page) != good_map
    assert exception_count(page) == 0


def test_awkward_images_load_with_a_note(uploads, corpus_dir):
    page = uploads
    seen = {image_src(page)}
    for name, caption in AWKWARD.items():
        item = bf.item(name)
        upload(page, corpus_file(corpus_dir, name))
        wait_until(  # the caption alone can be the previous picture's (both 40×60)
            page,
            lambda c=caption: c in sidebar_captions(page) and image_src(page) not in seen,
            what=f"{name} loaded and its feature map shown",
        )
        assert not sidebar_alerts(page), (name, sidebar_alerts(page))
        if item.note:
            assert item.note in sidebar_captions(page).lower(), (name, sidebar_captions(page))
        src = image_src(page)
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
