"""The frame: every image source works, bad uploads keep the last image, names stay text."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.app.conftest import no_exceptions
from ui.state import CURRENT_IMAGE
from ui.widgets import SOURCE_KINDS


def _png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def test_start_page_shows_the_edge_detector_on_a_sample(app):
    no_exceptions(app)
    image = app.session_state[CURRENT_IMAGE]
    assert image.key.startswith("sample:")
    assert max(image.shape[:2]) == 256  # the default working resolution
    captions = [c for im in app.image for c in im.captions]
    assert any(c.startswith("Input: ") for c in captions)
    assert any(c.startswith("Feature map") for c in captions)


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_every_source_kind_gives_an_image(app, kind):
    app.sidebar.selectbox(key="source.kind").set_value(kind).run()
    no_exceptions(app)
    image = app.session_state[CURRENT_IMAGE]
    assert image.pixels.size > 0
    if kind == "Tutorial 5×5 grid":
        assert image.is_grid and image.shape == (5, 5)


def test_rgb_and_resolution_controls(app):
    app.sidebar.radio(key="source.color").set_value("RGB").run()
    app.sidebar.select_slider(key="source.max_side").set_value(64).run()
    no_exceptions(app)
    image = app.session_state[CURRENT_IMAGE]
    assert image.is_rgb and max(image.shape[:2]) == 64


def test_bad_upload_shows_message_and_keeps_last_good_image(app):
    app.sidebar.selectbox(key="source.kind").set_value("Upload").run()
    rng = np.random.default_rng(0)
    good = _png((rng.random((40, 60)) * 255).astype(np.uint8))
    app.sidebar.file_uploader(key="source.upload").set_value(("good.png", good, "image/png")).run()
    no_exceptions(app)
    first = app.session_state[CURRENT_IMAGE]
    assert first.shape == (40, 60)

    bad = b"this is not an image"
    app.sidebar.file_uploader(key="source.upload").set_value(("bad.png", bad, "image/png")).run()
    no_exceptions(app)
    assert app.sidebar.error, "a failed upload must say why"
    assert app.session_state[CURRENT_IMAGE].key == first.key


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ('<img src=x onerror="alert(1)">.png', "onerror"),
        ("**[click me](javascript:alert(1))**.png", "javascript"),
    ],
    ids=["html", "markdown"],
)
@pytest.mark.parametrize("good", [True, False], ids=["loads", "refused"])
def test_uploaded_file_name_is_never_rendered(app, name, marker, good):
    app.sidebar.selectbox(key="source.kind").set_value("Upload").run()
    data = _png(np.zeros((8, 8), dtype=np.uint8)) if good else b"not a picture at all"
    app.sidebar.file_uploader(key="source.upload").set_value((name, data, "image/png")).run()
    no_exceptions(app)
    assert bool(app.sidebar.error) is not good
    shown = [
        e.value for e in (*app.markdown, *app.caption, *app.sidebar.caption, *app.error, *app.info)
    ]
    assert not any(marker in str(v) for v in shown), shown


@pytest.mark.parametrize("present", [False, True], ids=["normal", "presentation"])
def test_start_page_lists_every_lesson_in_both_modes(app, present):
    """The lesson map is content: presentation mode (which hides prose) keeps it."""
    app.toggle(key="present.on").set_value(present).run()
    no_exceptions(app)
    (lesson_map,) = [m.value for m in app.markdown if "The lessons, in the tutorial" in m.value]
    titles = [
        "Batch normalization",
        "Why convolutions",
        "Convolution step by step",
        "Volumes and filters",
        "Activation and stacking",
        "Pooling",
    ]
    for number, title in enumerate(titles, 1):
        assert f"{number}. **{title}**" in lesson_map
