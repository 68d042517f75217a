"""Browser fixtures: the real app on a free loopback port, driven by Debian's Chromium.

Playwright for Python launches /usr/bin/chromium (installed by `make test` with
apt-get); nothing is downloaded at run time. Screenshots go to artifacts/
(ignored by git) so a person can look at them.

One server and one browser serve the whole session (under pytest-xdist, one
each per worker process, on its own free port); each test gets a fresh
browser context (a new Streamlit session). The server runs with
``OPENBLAS_NUM_THREADS=1`` as a classroom server should (README, "Running it
for a class"). Helpers drive the app as a student does: the sidebar's image
source, the upload box, page links; ``wait_until`` polls for the result.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("streamlit did not become healthy in time")


HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Keep each browser file on one pytest-xdist worker (``--dist loadgroup``).

    Files share one student session between their tests through module-scoped
    fixtures, in file order (test_bad_uploads, test_interactions): split across
    workers, each half would open its own session and miss the state the file
    builds up. Without xdist the mark does nothing. (This hook sees every
    collected item, not only this folder's.)
    """
    for item in items:
        if item.path.parent == HERE:
            item.add_marker(pytest.mark.xdist_group(f"e2e-{item.path.stem}"))


@pytest.fixture(scope="session")
def server_url():
    """Start `streamlit run app.py` on a free port; stop it by pid afterwards."""
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    SHOTS.mkdir(parents=True, exist_ok=True)
    # Under pytest-xdist every worker starts its own server: one log each, not one shared file.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    log = open(ROOT / "artifacts" / f"streamlit-e2e{'-' + worker if worker else ''}.log", "w")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # see README: one BLAS thread per server
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                # several sessions at once (test_sessions): pages in the background must
                # keep rendering, or Streamlit's skeletons never turn into elements
                "--disable-renderer-backgrounding",
                "--disable-background-timer-throttling",
                "--disable-backgrounding-occluded-windows",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    p = context.new_page()
    yield p
    context.close()


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until the script run has finished (the app is not running)."""
    page.wait_for_selector(
        "[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout
    )
    page.wait_for_timeout(300)


_CONTENT_HEIGHT = """() => Math.max(document.body.scrollHeight,
    ...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer]')]
        .map(e => e.scrollHeight))"""


def screenshot(page, name: str, *, max_height: int = 15_000) -> Path:
    """Save the whole page, top to bottom, as ``artifacts/screenshots/<name>.png``.

    Streamlit scrolls inside its main container, not the document, and draws
    grey skeletons for elements until they scroll into view: a plain full-page
    screenshot stops at the viewport. So the viewport is stretched to the
    content's height until every skeleton has rendered and the height is stable
    (Chromium caps pictures near 16,000 px), then restored.
    """
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    size = page.viewport_size
    height = size["height"]
    for _ in range(8):
        wanted = min(int(page.evaluate(_CONTENT_HEIGHT)), max_height)
        if wanted <= height and page.get_by_test_id("stSkeleton").count() == 0:
            break
        height = max(height, wanted)
        page.set_viewport_size({"width": size["width"], "height": height})
        for _ in range(30):  # skeletons turn into elements once they are in view
            page.wait_for_timeout(100)
            if page.get_by_test_id("stSkeleton").count() == 0:
                break
        page.wait_for_timeout(300)  # iframes and charts re-lay out
    page.screenshot(path=str(path), full_page=True)
    if height != size["height"]:
        page.set_viewport_size(size)
    return path


# --------------------------------------------------------------------------- driving the app


_SCROLL_TO_END = """() => {
    const scrollers = '[data-testid=stMain], [data-testid=stAppViewContainer]';
    for (const m of document.querySelectorAll(scrollers)) m.scrollTo(0, m.scrollHeight);
}"""


def reveal(page, timeout: float = 10) -> None:
    """Scroll to the end, as a student reading on would, until no grey skeleton is left.

    Streamlit draws placeholders ("skeletons") for elements it has not laid out
    yet and fills them in as the page scrolls; reading a skeleton gives "".
    """
    page.evaluate(_SCROLL_TO_END)
    deadline = time.monotonic() + timeout
    while page.get_by_test_id("stSkeleton").count() and time.monotonic() < deadline:
        page.wait_for_timeout(100)


def wait_until(page, condition: Callable[[], object], timeout: float = 30, what: str = "") -> None:
    """Poll ``condition()`` until it is truthy, then wait for the rerun to finish."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        page.wait_for_timeout(100)
    wait_idle(page)
    reveal(page)


def open_page(page, server_url: str, path: str = "") -> None:
    """Load ``/path`` in a fresh session and wait for its first run, fully drawn."""
    page.goto(f"{server_url}/{path}")
    wait_idle(page)
    page.get_by_role("heading", level=1).first.wait_for()
    reveal(page)


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def choose_source(page, kind: str) -> None:
    """Pick an image source ("Upload", "Tutorial 5×5 grid", ...) in the sidebar."""
    box = sidebar(page).get_by_role("combobox", name="Source")
    box.click()
    page.get_by_role("option", name=kind, exact=True).click()
    wait_until(page, lambda: box.input_value() == kind, what=f"source {kind!r}")
    if kind == "Upload":
        sidebar(page).get_by_test_id("stFileUploaderDropzoneInput").wait_for(state="attached")


def upload(page, path: Path) -> None:
    """Put a file into the sidebar's upload box (as a drop would); returns at once."""
    sidebar(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))


def sidebar_alerts(page) -> str:
    return " ".join(sidebar(page).get_by_test_id("stAlert").all_inner_texts())


def sidebar_captions(page) -> str:
    return " ".join(sidebar(page).get_by_test_id("stCaptionContainer").all_inner_texts())


def shown_text(locator, timeout: float = 10) -> str:
    """The text of an element once it is drawn: Streamlit draws grey skeletons for
    elements below the fold until they scroll into view, as a student would scroll."""
    locator.scroll_into_view_if_needed()
    deadline = time.monotonic() + timeout
    while not (text := locator.inner_text().strip()) and time.monotonic() < deadline:
        locator.page.wait_for_timeout(100)
    return text


_IMAGES = """() => [...document.querySelectorAll('[data-testid=stImage]')].map(
    e => [e.innerText.trim(), e.querySelector('img')?.getAttribute('src') ?? null])"""


def image_src(page, caption_start: str = "Feature map") -> str | None:
    """The media URL of the first picture whose caption starts with ``caption_start``
    (Streamlit names media by a hash of their bytes: a new picture gets a new URL)."""
    for caption, src in page.evaluate(_IMAGES):
        if caption.startswith(caption_start):
            return src
    return None


def code_blocks(page) -> list[str]:
    """The text of every code block in the main area, top to bottom."""
    return page.get_by_test_id("stMain").get_by_test_id("stCode").all_inner_texts()


def exception_count(page) -> int:
    return page.get_by_test_id("stException").count()


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """The bad-input corpus written to files (the browser uploads files by path)."""
    from tests import badfiles

    folder = tmp_path_factory.mktemp("corpus")
    for name in (*badfiles.REFUSED, *badfiles.AWKWARD, badfiles.svg_named_svg):
        item = badfiles.item(name.__name__)
        (folder / name.__name__).mkdir()
        (folder / name.__name__ / item.name).write_bytes(item.data)
    return folder


def corpus_file(corpus_dir: Path, name: str) -> Path:
    """The file of corpus item ``name`` (under its own, student-given file name)."""
    return next((corpus_dir / name).iterdir())
