"""Bad and awkward input, the way students bring it: a clear message, nothing lost.

Uploads go through the sidebar's file uploader (AppTest bypasses the server's
upload cap, so the over-the-cap file reaches vizlib's ``max_bytes`` check here;
the browser test checks the server's cap). Kernels go through the paste box
and the grid's edit dict; parameters are pushed to every bound. For each item:
``st.error``/``st.warning`` with a readable message, no exception, and the last
valid image and kernel stay in use.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import vizlib
from tests import badfiles as bf
from tests.app.conftest import no_exceptions, open_page
from ui.state import CURRENT_IMAGE

PAGES = (
    "lessons/home.py",
    "lessons/batchnorm.py",
    "lessons/why_convolutions.py",
    "lessons/convolution.py",
    "lessons/volumes.py",
    "lessons/stacking.py",
    "lessons/pooling.py",
)
#: Pages whose default settings cannot run on a 1×1 image: they must say so.
NEEDS_A_MESSAGE_AT_1X1 = {
    "lessons/convolution.py",
    "lessons/volumes.py",
    "lessons/stacking.py",
    "lessons/pooling.py",
}
CONV = "lessons/convolution.py"
GOOD = bf.png(bf.gradient(40, 60, seed=42))  # the last good upload in these tests


# --------------------------------------------------------------------------- helpers


def _upload(at, item: bf.Upload | tuple) -> None:
    value = item.as_upload() if isinstance(item, bf.Upload) else item
    at.sidebar.file_uploader(key="source.upload").set_value(value).run()


def _messages(at) -> str:
    """Every error and warning on the page and in the sidebar, lower case."""
    return " ".join(e.value for e in (*at.error, *at.warning)).lower()


def _sidebar_text(at) -> str:
    parts = [c.value for c in at.sidebar.caption] + [e.value for e in at.sidebar.error]
    return " ".join(parts).lower()


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _everything(at) -> str:
    """The serialised protobuf of every element on the page (HTML included)."""
    return "\n".join(str(n.proto) for n in _walk(at._tree) if hasattr(n, "proto"))


@pytest.fixture
def uploads(app):
    """The app with "Upload" chosen and one good picture loaded."""
    app.sidebar.selectbox(key="source.kind").set_value("Upload").run()
    _upload(app, ("good.png", GOOD, "image/png"))
    no_exceptions(app)
    assert app.session_state[CURRENT_IMAGE].shape == (40, 60)
    return app


def _edit_grid(at, cells: dict, key: str = "conv.kernel") -> None:
    """Type into a kernel grid: ``{(row, col): "text"}`` (0-based) through the edit dict."""
    rows: dict = {}
    for (r, c), text in cells.items():
        rows.setdefault(r, {})[str(c + 1)] = text
    editor = at.session_state[f"{key}.editor_key"]
    at.session_state[editor] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()


def _step_expression(at) -> str:
    return at.code[0].value  # the written sum of the step section


def _expected_step(at, kernel: np.ndarray) -> str:
    x = at.session_state[CURRENT_IMAGE].gray
    row, col = int(at.session_state["conv.row"]), int(at.session_state["conv.col"])
    return vizlib.conv_step(x, kernel, row, col).expression()


# --------------------------------------------------------------------------- refused uploads


@pytest.mark.parametrize("name", [f.__name__ for f in bf.REFUSED])
def test_refused_upload_says_why_and_keeps_the_last_image(uploads, name):
    item = bf.item(name)
    before = uploads.session_state[CURRENT_IMAGE]
    _upload(uploads, item)
    no_exceptions(uploads)
    errors = " ".join(e.value for e in uploads.sidebar.error).lower()
    assert errors.startswith("that file could not be used"), errors
    assert item.hint in errors, errors
    assert "traceback" not in errors and "pil." not in errors  # written for a student
    assert uploads.session_state[CURRENT_IMAGE].key == before.key
    assert "still showing the last image" in _sidebar_text(uploads)
    # the page keeps working on the last good picture
    captions = [c for im in uploads.image for c in im.captions]
    assert any(c.startswith("Feature map") for c in captions), captions


def test_a_refused_upload_before_any_good_one_falls_back_to_a_sample(app):
    app.sidebar.selectbox(key="source.kind").set_value("Upload").run()
    _upload(app, bf.item("truncated_jpeg"))
    no_exceptions(app)
    assert "truncated" in " ".join(e.value for e in app.sidebar.error).lower()
    assert app.session_state[CURRENT_IMAGE].key.startswith("sample:")
    assert any("sample photo" in i.value.lower() for i in app.sidebar.info)


def _refusal(item: bf.Upload) -> str:
    """The sidebar's message for a refused file, built from vizlib's own exception."""
    with pytest.raises(vizlib.ImageLoadError) as info:
        vizlib.load_image(item.data, mode="gray")
    return f"That file could not be used: {info.value}"


def test_the_message_always_describes_the_file_in_the_box(uploads):
    """Good, then an SVG named .svg, then a truncated JPEG, then a good one, then none:
    each step shows exactly the message of the file in the box, and the last good
    picture stays in use. The box filters no file names: Streamlit's browser side
    would refuse an .svg by its name, keep it in the box with its own message next to
    every later upload, and never tell the app (AppTest cannot show that part; the
    browser test does)."""
    box = uploads.sidebar.file_uploader(key="source.upload")
    assert box.allowed_type == [], "a name filter keeps refused files in the browser's box"
    good = uploads.session_state[CURRENT_IMAGE]
    for name in ("svg_named_svg", "truncated_jpeg"):
        item = bf.item(name)
        _upload(uploads, item)
        no_exceptions(uploads)
        assert [e.value for e in uploads.sidebar.error] == [_refusal(item)], name
        assert uploads.session_state[CURRENT_IMAGE].key == good.key
        assert "still showing the last image that loaded." in _sidebar_text(uploads)

    second = bf.png(bf.gradient(30, 50, seed=43))
    _upload(uploads, ("second.png", second, "image/png"))
    no_exceptions(uploads)
    assert not uploads.sidebar.error
    now = uploads.session_state[CURRENT_IMAGE]
    assert now.shape == (30, 50) and now.key != good.key

    _upload(uploads, bf.item("svg"))  # the same drawing named .png: the same message
    assert [e.value for e in uploads.sidebar.error] == [_refusal(bf.item("svg"))]
    uploads.sidebar.file_uploader(key="source.upload").set_value(None).run()  # removed
    no_exceptions(uploads)
    assert not uploads.sidebar.error
    assert "still showing" not in _sidebar_text(uploads)
    assert uploads.session_state[CURRENT_IMAGE].key == now.key


def test_the_over_the_cap_message_states_a_size_over_the_limit(uploads):
    """AppTest bypasses the browser's cap: vizlib's message reaches the sidebar."""
    _upload(uploads, bf.item("over_the_cap"))  # 20 MB + 1 KB
    errors = [e.value for e in uploads.sidebar.error]
    assert errors == [_refusal(bf.item("over_the_cap"))]
    assert "The file is 20.001 MB; the limit is 20 MB." in errors[0]


# --------------------------------------------------------------------------- awkward but valid


def _working(item: bf.Upload, mode: str = "gray") -> np.ndarray:
    """What the app should work on: vizlib's decode at the default working size (256)."""
    loaded = vizlib.load_image(item.data, mode=mode)
    return vizlib.images.resize_image(loaded.pixels, 256)


@pytest.mark.parametrize("name", [f.__name__ for f in bf.AWKWARD])
def test_awkward_upload_loads_and_is_shown(uploads, name):
    item = bf.item(name)
    _upload(uploads, item)
    no_exceptions(uploads)
    assert not uploads.sidebar.error, [e.value for e in uploads.sidebar.error]
    image = uploads.session_state[CURRENT_IMAGE]
    assert image.original_size == item.shape
    assert image.label == "Your upload"  # never the file's name
    np.testing.assert_allclose(image.pixels, _working(item), atol=1e-6)
    if item.note:
        assert item.note in _sidebar_text(uploads), _sidebar_text(uploads)
    if max(item.shape) > 256:  # downscaled to the working size, and the sidebar says so
        assert max(image.shape) == 256
        assert "working size" in _sidebar_text(uploads)
    captions = [c for im in uploads.image for c in im.captions]
    assert any(c.startswith("Feature map") for c in captions), captions


def test_awkward_images_are_decoded_correctly():
    """The pictures look as a student expects (vizlib's decode, checked on the corpus)."""
    clear = vizlib.load_image(bf.item("transparent_rgba").data, mode="rgb").pixels
    assert np.all(clear == 1.0)  # fully transparent: white, not black or the hidden red

    sixteen = vizlib.load_image(bf.item("png_16bit").data, mode="gray").pixels
    truth = np.asarray(Image.open(io.BytesIO(bf.item("png_16bit").data)))
    np.testing.assert_allclose(sixteen, truth / 65535, atol=1e-6)  # not saturated to white
    assert sixteen.max() < 1.0

    # EXIF orientation 6: the stored 20×40 picture turns 90° clockwise to 40×20
    stored = bf.gradient(20, 40, seed=9, rgb=True)
    upright = vizlib.load_image(bf.item("exif_rotated").data, mode="rgb").pixels
    assert upright.shape == (40, 20, 3)
    candidates = {  # every way to stand a 20×40 picture up
        "clockwise": np.rot90(stored, k=-1),
        "anticlockwise": np.rot90(stored, k=1),
        "transposed": stored.transpose(1, 0, 2),
        "anti-transposed": np.rot90(stored, k=2).transpose(1, 0, 2),
    }
    errors = {k: float(np.abs(upright - v).mean()) for k, v in candidates.items()}
    assert min(errors, key=errors.get) == "clockwise" and errors["clockwise"] < 0.06, errors

    cmyk = vizlib.load_image(bf.item("cmyk_jpeg").data, mode="rgb").pixels
    assert np.abs(cmyk - bf.gradient(40, 60, seed=6, rgb=True)).mean() < 0.05

    first = vizlib.load_image(bf.item("animated_gif").data, mode="gray").pixels
    assert np.abs(first - bf.gradient(32, 32, seed=0)).mean() < 0.02  # frame 0, not frame 3


def test_an_html_file_name_never_reaches_the_page_on_any_lesson(uploads):
    item = bf.item("html_name")
    _upload(uploads, item)
    no_exceptions(uploads)
    for page in PAGES:
        open_page(uploads, page)
        no_exceptions(uploads)
        shown = _everything(uploads)
        assert "onerror" not in shown and "src=x" not in shown, page


# --------------------------------------------------------------------------- 1×1 everywhere


@pytest.mark.parametrize("colour", ["Grayscale", "RGB"])
@pytest.mark.parametrize("page", PAGES)
def test_a_one_pixel_image_through_every_lesson(uploads, page, colour):
    uploads.sidebar.radio(key="source.color").set_value(colour).run()
    _upload(uploads, bf.item("one_pixel"))
    open_page(uploads, page)
    no_exceptions(uploads)
    image = uploads.session_state[CURRENT_IMAGE]
    assert image.shape[:2] == (1, 1)
    if page in NEEDS_A_MESSAGE_AT_1X1:
        assert _messages(uploads), f"{page} must say why nothing can be computed"


def test_a_one_by_3000_strip_through_every_lesson(uploads):
    _upload(uploads, bf.item("strip_1x3000"))
    for page in PAGES:
        open_page(uploads, page)
        no_exceptions(uploads)
    assert uploads.session_state[CURRENT_IMAGE].shape == (1, 256)


def test_a_tall_thin_strip_through_every_lesson(uploads):
    """300×7: every feature map is narrower than its colour bar (a crash in every lesson)."""
    _upload(uploads, ("tall.png", bf.png(bf.gradient(300, 7, seed=9)), "image/png"))
    for page in PAGES:
        open_page(uploads, page)
        no_exceptions(uploads)
    assert uploads.session_state[CURRENT_IMAGE].shape == (256, 6)


# --------------------------------------------------------------------------- kernels


@pytest.fixture
def conv(app):
    app.session_state["conv.kernel.paste_open"] = True  # the paste panel, open
    return open_page(app, CONV)


@pytest.mark.parametrize(("label", "text", "hint"), bf.BAD_KERNEL_TEXTS, ids=lambda v: str(v)[:12])
def test_a_bad_pasted_kernel_is_refused_and_the_last_one_stays(conv, label, text, hint):
    conv.text_area(key="conv.kernel.paste").set_value("1 2; 3 4")
    conv.button(key="conv.kernel.paste_go").click().run()
    good = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(conv.session_state["conv.kernel.valid"], good)

    conv.text_area(key="conv.kernel.paste").set_value(text)
    conv.button(key="conv.kernel.paste_go").click().run()
    no_exceptions(conv)
    errors = " ".join(e.value for e in conv.error).lower()
    assert "could not be used" in errors and hint.lower() in errors, errors
    np.testing.assert_array_equal(conv.session_state["conv.kernel.valid"], good)
    assert _step_expression(conv) == _expected_step(conv, good)


@pytest.mark.parametrize(("label", "text"), bf.BAD_KERNEL_CELLS, ids=lambda v: str(v)[:12])
def test_a_bad_grid_cell_is_refused_and_the_last_valid_kernel_stays(conv, label, text):
    _edit_grid(conv, {(1, 1): "5"})  # a valid edit first: centre 8 -> 5
    valid = vizlib.KERNELS["edge_detector"].weights.astype(float)
    valid[1, 1] = 5
    np.testing.assert_array_equal(conv.session_state["conv.kernel.valid"], valid)

    _edit_grid(conv, {(1, 1): "5", (0, 2): text})
    no_exceptions(conv)
    errors = " ".join(e.value for e in conv.error)
    assert "row 1, column 3" in errors and "still using the last valid kernel" in errors.lower()
    np.testing.assert_array_equal(conv.session_state["conv.kernel.valid"], valid)
    assert _step_expression(conv) == _expected_step(conv, valid)


def test_a_grid_with_its_rows_deleted_is_refused(conv):
    editor = conv.session_state["conv.kernel.editor_key"]
    conv.session_state[editor] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [0, 1, 2]}
    conv.run()
    no_exceptions(conv)
    assert conv.session_state["conv.kernel.valid"].shape == (3, 3)


def test_added_rows_in_a_fixed_grid_change_nothing(conv):
    editor = conv.session_state["conv.kernel.editor_key"]
    conv.session_state[editor] = {"edited_rows": {}, "added_rows": [{"1": "1"}], "deleted_rows": []}
    conv.run()
    no_exceptions(conv)
    np.testing.assert_array_equal(
        conv.session_state["conv.kernel.valid"], vizlib.KERNELS["edge_detector"].weights
    )


# --------------------------------------------------------------------------- parameter bounds


@pytest.fixture
def grid_conv(conv):
    """The convolution page on the tutorial's 5×5 grid."""
    conv.button(key="conv.tutorial").click().run()
    no_exceptions(conv)
    assert conv.session_state[CURRENT_IMAGE].shape == (5, 5)
    return conv


def test_conv_stride_larger_than_the_image(grid_conv):
    grid_conv.number_input(key="conv.stride").set_value(16).run()
    no_exceptions(grid_conv)
    assert "stride (16) is larger than the image" in _messages(grid_conv)
    kernel = vizlib.KERNELS["vertical_edge"].weights
    x = grid_conv.session_state[CURRENT_IMAGE].gray
    step = vizlib.conv_step(x, kernel, 0, 0, stride=16)
    assert _step_expression(grid_conv) == step.expression(order="columns")  # the tutorial grid


def test_conv_dilation_making_the_kernel_larger_than_the_input(grid_conv):
    grid_conv.number_input(key="conv.dilation").set_value(3).run()  # spans 7 > 5
    no_exceptions(grid_conv)
    assert "kernel" in _messages(grid_conv) and grid_conv.error
    assert any("No feature map" in w.value for w in grid_conv.warning)
    grid_conv.number_input(key="conv.dilation").set_value(1).run()  # and back: all is there
    no_exceptions(grid_conv)
    assert not grid_conv.error
    assert _step_expression(grid_conv).endswith("= 6")  # the tutorial's top-left value


def test_conv_largest_kernel_on_the_grid(grid_conv):
    grid_conv.number_input(key="conv.kernel.rows").set_value(11).run()
    grid_conv.number_input(key="conv.kernel.cols").set_value(11).run()
    no_exceptions(grid_conv)
    assert grid_conv.error
    assert grid_conv.session_state["conv.kernel.valid"].shape == (11, 11)
    grid_conv.radio(key="conv.pad_kind").set_value("same").run()  # padding makes it fit
    no_exceptions(grid_conv)
    assert not grid_conv.error


def test_pooling_window_larger_than_the_map(app):
    page = open_page(app, "lessons/pooling.py")
    page.button(key="pool.tutorial").click().run()
    no_exceptions(page)
    page.number_input(key="pool.k").set_value(10).run()
    no_exceptions(page)
    assert page.error and any("No pooled map" in w.value for w in page.warning)
    page.number_input(key="pool.k").set_value(2).run()
    no_exceptions(page)
    assert not page.error


def test_batch_of_one_in_train_mode(app):
    page = open_page(app, "lessons/batchnorm.py")
    page.slider(key="bn.m.M").set_value(1).run()  # part 1: a one-row table
    no_exceptions(page)
    assert any("refused" in e.value for e in page.error)
    page.slider(key="bn.t.size").set_value(1).run()  # part 2: a stream of batches of one
    no_exceptions(page)
    assert any("Batch size 1" in w.value for w in page.warning)
    page.button(key="bn.t.train_1").click().run()
    no_exceptions(page)
    assert any("Train mode refused the batch" in e.value for e in page.error)
    assert any("**eval mode**: y | (" in m.value for m in page.markdown), (
        "eval mode still shows its numbers"
    )
    assert int(page.session_state["bn.t.layer"].num_batches_tracked) == 0


# --------------------------------------------------------------------------- kernel files


def _kernel_file(at, name: str, data: bytes) -> None:
    if not at.session_state["conv.kernel.downloads"]:  # the uploader is in a lazy expander
        at.session_state["conv.kernel.downloads"] = True
        at.run()
    at.file_uploader(key="conv.kernel.upload").set_value((name, data, "text/csv")).run()


@pytest.mark.parametrize(("name", "data", "hint"), bf.BAD_KERNEL_FILES, ids=lambda v: str(v)[:12])
def test_a_bad_kernel_file_is_refused_and_the_kernel_stays(conv, name, data, hint):
    _kernel_file(conv, "good.json", b'{"kernel": [[1, 2], [3, 4]]}')
    good = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(conv.session_state["conv.kernel.valid"], good)

    _kernel_file(conv, name, data)
    no_exceptions(conv)
    errors = " ".join(e.value for e in conv.error)
    assert errors.startswith("Kernel file not used") and hint in errors, errors
    np.testing.assert_array_equal(conv.session_state["conv.kernel.valid"], good)
    assert _step_expression(conv) == _expected_step(conv, good)


def test_a_deeply_nested_json_kernel_file_is_refused(conv):
    _kernel_file(conv, *bf.NESTED_KERNEL_FILE)
    no_exceptions(conv)
    assert any(e.value.startswith("Kernel file not used") for e in conv.error)
