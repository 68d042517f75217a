"""Exports: the bytes behind each download, the buttons on the pages, kernel files loaded back."""

import io
import json

import numpy as np
import pytest
from PIL import Image

import vizlib
from tests.app.conftest import download_buttons, no_exceptions, open_page
from ui import exports

CONV = "lessons/convolution.py"
SOBEL = vizlib.KERNELS["sobel_x"].weights
GRID = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)


def test_feature_map_files_hold_the_map():
    fmap = vizlib.conv2d(GRID, SOBEL, padding=1)  # (5, 5)
    np.testing.assert_array_equal(np.load(io.BytesIO(exports.npy_bytes(fmap))), fmap)
    back = np.loadtxt(io.StringIO(exports.csv_bytes(fmap).decode()), delimiter=",")
    np.testing.assert_array_equal(back, fmap)
    png = Image.open(io.BytesIO(exports.map_png(fmap, cmap="RdBu_r", view="signed")))
    assert png.format == "PNG" and png.size[0] % 5 == 0  # whole pixels per value
    big = np.random.default_rng(0).normal(size=(700, 900)).astype(np.float32)
    assert Image.open(io.BytesIO(exports.map_png(big, cmap="RdBu_r", view="abs"))).size == (
        900,
        700,
    )


def test_kernel_files_round_trip():
    third = np.full((3, 3), 1 / 9)
    for weights in (SOBEL, third, np.array([[0.1, -2.5e-7]])):
        np.testing.assert_array_equal(
            exports.kernel_from_file(exports.kernel_json(weights)), weights
        )
        np.testing.assert_array_equal(
            exports.kernel_from_file(exports.kernel_csv(weights)), weights
        )
    doc = json.loads(exports.kernel_json(SOBEL))
    assert doc["shape"] == [3, 3] and doc["text"] == "-1,0,1;-2,0,2;-1,0,1"
    np.testing.assert_array_equal(exports.kernel_from_file(b"[[1, 2], [3, 4]]"), [[1, 2], [3, 4]])


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xff\xfe\x00garbage", "not text"),
        (b"x" * 30_000, "at most"),
        (b'{"kernel": [[1, "a"]]}', "number"),
        (b'{"kernel": [[1, true]]}', "number"),
        (b'{"kernel": 3}', "list of rows"),
        (b"{broken", "JSON"),
        (b"1,2\n3", "row 2"),
        (b"", "empty"),
        (b"nan,1\n1,1", "finite"),
        ((";".join(["1 " * 12] * 12)).encode(), "1"),
    ],
)
def test_bad_kernel_files_raise_value_error(data, words):
    with pytest.raises(ValueError, match=words):
        exports.kernel_from_file(data)


def test_latex_and_history_files():
    step = vizlib.conv_step(GRID, vizlib.KERNELS["vertical_edge"].weights, 0, 0)
    tex = exports.latex_document(step, label="grid").decode()
    assert step.latex() in tex and "\\begin{equation*}" in tex and "row 0, column 0" in tex
    layer = vizlib.BatchNorm(1)
    rng = np.random.default_rng(0)
    history = []
    for step_no in (1, 2):
        layer(rng.normal(size=(4, 1)))
        s = layer.last_stats
        history.append(
            {
                "step": step_no,
                "size": 4,
                "batch_mean": float(s.batch_mean[0]),
                "batch_var": float(s.batch_var[0]),
                "batch_var_unbiased": float(s.batch_var_unbiased[0]),
                "running_mean": float(s.running_mean_after[0]),
                "running_var": float(s.running_var_after[0]),
                "data_mean": 0.0,
                "data_var": 1.0,
                "values": np.zeros(4),
            }
        )
    rows = exports.history_csv(history).decode().splitlines()
    assert rows[0].startswith("step,size,batch_mean")
    assert len(rows) == 3
    assert float(rows[2].split(",")[5]) == layer.running_mean[0]


def test_convolution_page_has_the_downloads_and_loads_a_kernel_file(app):
    open_page(app, CONV)
    keys = set(download_buttons(app))
    for name in ("dl_png", "dl_npy", "dl_csv", "dl_json", "dl_kcsv"):
        assert f"conv.kernel.{name}" in keys
    assert "conv.dl_tex" in keys
    app.file_uploader(key="conv.kernel.upload").set_value(
        ("k.json", exports.kernel_json(SOBEL), "application/json")
    ).run()
    no_exceptions(app)
    np.testing.assert_array_equal(app.session_state["conv.kernel.valid"], SOBEL)
    assert any("Loaded a 3×3 kernel" in s.value for s in app.success)
    x = app.session_state["source.current"].gray
    assert app.code[0].value == vizlib.conv_step(x, SOBEL, 0, 0).expression()
    assert app.query_params["k"] == "-1,0,1;-2,0,2;-1,0,1"


def test_download_panels_are_drawn_only_when_opened(app):
    """Closed, the expander costs a rerun one element; opened, it holds the buttons."""
    open_page(app, CONV)
    assert app.session_state["conv.kernel.downloads"] is False
    assert not app.get("download_button") or all(
        not b.key.startswith("conv.kernel.") for b in app.get("download_button")
    )
    assert "conv.kernel.dl_png" in download_buttons(app)  # opens it


def test_a_bad_kernel_file_keeps_the_kernel(app):
    open_page(app, CONV)
    download_buttons(app)  # open the "Download or load" expander, where the uploader is
    before = app.session_state["conv.kernel.valid"].copy()
    app.file_uploader(key="conv.kernel.upload").set_value(
        ("k.csv", b"1,2\nthree,4", "text/csv")
    ).run()
    no_exceptions(app)
    assert any("Kernel file not used" in e.value for e in app.error)
    np.testing.assert_array_equal(app.session_state["conv.kernel.valid"], before)


def test_batchnorm_page_has_the_history_download(app):
    open_page(app, "lessons/batchnorm.py")
    button = download_buttons(app)["bn.t.dl_history"]
    assert button.proto.disabled  # nothing trained yet
    app.button(key="bn.t.train_1").click().run()
    no_exceptions(app)
    assert not download_buttons(app)["bn.t.dl_history"].proto.disabled
