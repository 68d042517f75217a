"""load_image on files made here with Pillow, resizing, gray conversion, samples, patterns.

No image binaries are committed for these tests: every file is generated below.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
import re
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from vizlib.images import (
    ASSETS,
    MLP_EXAMPLE,
    SYNTHETIC_IMAGES,
    TUTORIAL_GRID,
    CorruptImageError,
    EmptyImageError,
    ImageLoadError,
    ImageTooLargeError,
    LoadedImage,
    UnsupportedImageError,
    load_image,
    load_sample,
    resize_image,
    sample_images,
    synthetic_image,
    to_gray,
)

RNG_SEED = 1234
U8 = 1 / 255  # one step of an 8-bit image


# --------------------------------------------------------------------------- file makers


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def random_u8(shape, seed=RNG_SEED) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def png_declaring(cols: int, rows: int) -> bytes:
    """A valid PNG header declaring a huge picture, with a few bytes of pixel data."""
    header = struct.pack(">IIBBBBB", cols, rows, 8, 0, 0, 0, 0)  # 8-bit gray
    data = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def with_orientation(image: Image.Image, fmt: str, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(image, fmt, exif=exif)


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any pixel data is decoded."""

    def refuse(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# --------------------------------------------------------------------------- tutorial arrays


def test_tutorial_arrays():
    assert TUTORIAL_GRID.tolist() == [
        [7, 2, 3, 3, 8],
        [4, 5, 3, 8, 4],
        [3, 3, 2, 8, 4],
        [2, 8, 7, 2, 7],
        [5, 4, 4, 5, 4],
    ]
    assert MLP_EXAMPLE.tolist() == [[1, 1, 0], [4, 2, 1], [0, 2, 1]]
    for array in (TUTORIAL_GRID, MLP_EXAMPLE):
        assert array.dtype == np.float64
        assert not array.flags.writeable


# --------------------------------------------------------------------------- modes


def test_mode_1():
    bits = np.array([[0, 1, 1], [1, 0, 0]], dtype=bool)
    data = encode(Image.fromarray(bits), "PNG")
    assert Image.open(io.BytesIO(data)).mode == "1"
    loaded = load_image(data, mode="gray")
    np.testing.assert_array_equal(loaded.pixels, bits.astype(np.float32))


def test_mode_l_is_exact():
    values = random_u8((5, 7))
    loaded = load_image(encode(Image.fromarray(values), "PNG"), mode="gray")
    np.testing.assert_allclose(loaded.pixels, values / 255, rtol=0, atol=1e-7)
    assert loaded.pixels.dtype == np.float32 and loaded.format == "PNG"


def test_mode_rgb_is_exact_and_gray_is_bt601():
    values = random_u8((4, 6, 3))
    data = encode(Image.fromarray(values), "PNG")
    rgb = load_image(data)
    np.testing.assert_allclose(rgb.pixels, values / 255, rtol=0, atol=1e-7)
    gray = load_image(data, mode="gray")
    expected = (values / 255) @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(gray.pixels, expected, rtol=0, atol=1e-6)


def test_gray_file_in_rgb_mode_has_three_equal_channels():
    values = random_u8((3, 4))
    loaded = load_image(encode(Image.fromarray(values), "PNG"), mode="rgb")
    assert loaded.pixels.shape == (3, 4, 3)
    for channel in range(3):
        np.testing.assert_allclose(loaded.pixels[:, :, channel], values / 255, atol=1e-7)
    assert any("channels are equal" in note for note in loaded.notes)


def test_mode_la_flattens_onto_white():
    gray = random_u8((4, 5), seed=1)
    alpha = random_u8((4, 5), seed=2)
    alpha[0, 0], alpha[0, 1] = 0, 255
    image = Image.fromarray(np.stack([gray, alpha], axis=2), mode="LA")
    loaded = load_image(encode(image, "PNG"), mode="gray")
    a = alpha / 255
    expected = gray / 255 * a + (1 - a)
    np.testing.assert_allclose(loaded.pixels, expected, rtol=0, atol=U8)
    assert loaded.pixels[0, 0] == 1.0
    assert "transparent areas shown on white" in loaded.notes


def test_mode_rgba_transparent_becomes_white():
    rgb = random_u8((4, 5, 3), seed=3)
    rgb[0, 0] = 0  # black, but fully transparent
    alpha = random_u8((4, 5), seed=4)
    alpha[0, 0], alpha[1, 1] = 0, 255
    image = Image.fromarray(np.dstack([rgb, alpha]), mode="RGBA")
    loaded = load_image(encode(image, "PNG"))
    a = (alpha / 255)[:, :, None]
    expected = rgb / 255 * a + (1 - a)
    np.testing.assert_allclose(loaded.pixels, expected, rtol=0, atol=U8)
    np.testing.assert_array_equal(loaded.pixels[0, 0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(loaded.pixels[1, 1], rgb[1, 1] / 255, atol=1e-7)
    assert "transparent areas shown on white" in loaded.notes


def test_opaque_rgba_has_no_transparency_note():
    image = Image.new("RGBA", (3, 3), (10, 20, 30, 255))
    loaded = load_image(encode(image, "PNG"))
    np.testing.assert_allclose(loaded.pixels[0, 0], np.array([10, 20, 30]) / 255, atol=1e-7)
    assert not any("transparent" in note for note in loaded.notes)


def test_palette_image():
    image = Image.new("P", (4, 2))
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 6))
    image.putpixel((3, 1), 1)
    loaded = load_image(encode(image, "PNG"))
    np.testing.assert_array_equal(loaded.pixels[0, 0], [1, 0, 0])
    np.testing.assert_array_equal(loaded.pixels[1, 3], [0, 0, 1])
    assert not any("transparent" in note for note in loaded.notes)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparency_shows_white(fmt):
    image = Image.new("P", (4, 2))
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * (256 * 3 - 6))  # index 0 black, 1 red
    image.putpixel((3, 1), 1)
    data = encode(image, fmt, transparency=0)
    loaded = load_image(data)
    np.testing.assert_array_equal(loaded.pixels[0, 0], [1, 1, 1])  # transparent black -> white
    np.testing.assert_array_equal(loaded.pixels[1, 3], [1, 0, 0])
    assert "transparent areas shown on white" in loaded.notes


def test_gray_with_a_transparent_value():
    image = Image.fromarray(np.array([[0, 100], [100, 200]], dtype=np.uint8))
    loaded = load_image(encode(image, "PNG", transparency=100), mode="gray")
    np.testing.assert_allclose(loaded.pixels, [[0, 1], [1, 200 / 255]], atol=1e-7)


def test_cmyk_uses_pillows_conversion():
    cmyk = Image.fromarray(random_u8((3, 4, 4), seed=5), mode="CMYK")
    data = encode(cmyk, "TIFF")
    loaded = load_image(data)
    reference = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")) / 255
    np.testing.assert_allclose(loaded.pixels, reference, atol=1e-7)
    assert any("CMYK" in note for note in loaded.notes)


def test_cmyk_jpeg_loads():
    data = encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG", quality=95)
    loaded = load_image(data)
    assert loaded.pixels.shape == (8, 8, 3)
    assert loaded.format == "JPEG"


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16_bit_is_scaled_by_65535_without_saturation(fmt):
    values = np.array([[0, 255, 1000], [30000, 40000, 65535]], dtype=np.uint16)
    data = encode(Image.fromarray(values), fmt)
    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")
    loaded = load_image(data, mode="gray")
    np.testing.assert_allclose(loaded.pixels, values / 65535, rtol=1e-6, atol=1e-7)
    assert loaded.pixels[0, 2] < 0.02  # convert("L") would have saturated 1000 to white
    assert "16-bit image scaled to 0–1" in loaded.notes
    assert load_image(data, mode="rgb").pixels.shape == (2, 3, 3)


def test_32_bit_integer_in_16_bit_range():
    values = np.array([[0, 1000], [32768, 65535]], dtype=np.int32)
    data = encode(Image.fromarray(values), "TIFF")
    assert Image.open(io.BytesIO(data)).mode == "I"
    loaded = load_image(data, mode="gray")
    np.testing.assert_allclose(loaded.pixels, values / 65535, rtol=1e-6)


def test_32_bit_integer_outside_16_bit_range_is_stretched():
    values = np.array([[-500, 0], [70000, 100000]], dtype=np.int32)
    loaded = load_image(encode(Image.fromarray(values), "TIFF"), mode="gray")
    expected = (values - values.min()) / (values.max() - values.min())
    np.testing.assert_allclose(loaded.pixels, expected, rtol=1e-6)
    assert any("stretched to 0–1" in note for note in loaded.notes)


def test_float_in_unit_range_is_kept():
    values = np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32)
    data = encode(Image.fromarray(values), "TIFF")
    assert Image.open(io.BytesIO(data)).mode == "F"
    loaded = load_image(data, mode="gray")
    np.testing.assert_array_equal(loaded.pixels, values)
    assert loaded.notes == ()


def test_float_outside_unit_range_is_stretched():
    values = np.array([[-2.0, 0.0], [2.0, 6.0]], dtype=np.float32)
    loaded = load_image(encode(Image.fromarray(values), "TIFF"), mode="gray")
    np.testing.assert_allclose(loaded.pixels, [[0, 0.25], [0.5, 1]], atol=1e-7)
    assert "floating-point values from -2 to 6 stretched to 0–1" in loaded.notes


def test_float_with_nan_and_constant_images():
    values = np.array([[np.nan, 0.5], [0.25, 1.0]], dtype=np.float32)
    loaded = load_image(encode(Image.fromarray(values), "TIFF"), mode="gray")
    np.testing.assert_allclose(loaded.pixels, [[0, 0.5], [0.25, 1]])
    assert any("not numbers" in note for note in loaded.notes)
    constant = np.full((2, 2), 7.0, dtype=np.float32)
    loaded = load_image(encode(Image.fromarray(constant), "TIFF"), mode="gray")
    np.testing.assert_array_equal(loaded.pixels, 0.5)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_every_allowed_format_loads(fmt):
    image = Image.fromarray(np.kron(random_u8((4, 4, 3)), np.ones((4, 4, 1), dtype=np.uint8)))
    options = {"lossless": True} if fmt == "WEBP" else {}
    loaded = load_image(encode(image, fmt, **options))
    assert loaded.format == fmt
    assert loaded.pixels.shape == (16, 16, 3)
    assert loaded.original_size == (16, 16) and not loaded.downscaled
    if fmt in ("PNG", "BMP", "WEBP", "TIFF"):
        np.testing.assert_allclose(loaded.pixels, np.asarray(image) / 255, atol=1e-7)


# --------------------------------------------------------------------------- EXIF orientation


REFERENCE_TURNS = {  # what a viewer must do to the stored pixels, per the EXIF specification
    2: np.fliplr,
    3: lambda a: np.rot90(a, 2),
    4: np.flipud,
    5: lambda a: np.swapaxes(a, 0, 1),
    6: lambda a: np.rot90(a, -1),  # rotate 90° clockwise
    7: lambda a: np.swapaxes(np.rot90(a, 2), 0, 1),
    8: lambda a: np.rot90(a, 1),  # rotate 90° counter-clockwise
}


@pytest.mark.parametrize("orientation", sorted(REFERENCE_TURNS))
def test_exif_orientation_is_applied(orientation):
    stored = random_u8((2, 3, 3), seed=orientation)  # 2 rows, 3 columns
    data = with_orientation(Image.fromarray(stored), "PNG", orientation)
    loaded = load_image(data)
    expected = REFERENCE_TURNS[orientation](stored) / 255
    np.testing.assert_allclose(loaded.pixels, expected, atol=1e-7)
    assert loaded.original_size == expected.shape[:2]
    assert "rotated according to the photo's EXIF orientation" in loaded.notes


def test_phone_photo_with_orientation_6_comes_out_upright():
    stored = np.zeros((32, 64), dtype=np.uint8)  # 32 rows, 64 columns
    stored[:, 32:] = 255  # left half dark, right half bright, as stored
    data = with_orientation(Image.fromarray(stored).convert("RGB"), "JPEG", 6)
    loaded = load_image(data, mode="gray")
    assert loaded.pixels.shape == (64, 32)  # rows and columns swapped
    assert loaded.original_size == (64, 32)
    # Turning 90° clockwise puts the stored left (dark) half on top.
    assert loaded.pixels[:28].max() < 0.1 and loaded.pixels[36:].min() > 0.9


def test_exif_orientation_with_downscaled_jpeg():
    stored = np.zeros((300, 600), dtype=np.uint8)
    stored[:, 300:] = 255
    data = with_orientation(Image.fromarray(stored), "JPEG", 8)
    loaded = load_image(data, mode="gray", max_side=60)
    assert loaded.original_size == (600, 300)
    assert loaded.pixels.shape == (60, 30)
    # 90° counter-clockwise puts the stored right (bright) half on top.
    assert loaded.pixels[:25].min() > 0.9 and loaded.pixels[35:].max() < 0.1
    assert "downscaled from 600×300 to 60×30 (rows×columns)" in loaded.notes


def test_no_orientation_note_without_exif():
    loaded = load_image(encode(Image.new("RGB", (3, 2)), "JPEG"))
    assert not any("EXIF" in note for note in loaded.notes)


# --------------------------------------------------------------------------- frames


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (6, 4), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    loaded = load_image(data)
    np.testing.assert_array_equal(loaded.pixels[0, 0], [1, 0, 0])
    assert "first frame of an animated GIF (3 frames)" in loaded.notes


def test_multipage_tiff_gives_its_first_page():
    pages = [Image.new("L", (5, 5), value) for value in (10, 200)]
    data = encode(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    loaded = load_image(data, mode="gray")
    np.testing.assert_allclose(loaded.pixels, 10 / 255)
    assert "first page of a multi-page TIFF (2 pages)" in loaded.notes


# --------------------------------------------------------------------------- broken files


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_files_are_corrupt(fmt):
    image = Image.fromarray(random_u8((64, 64, 3)))
    data = encode(image, fmt)
    with pytest.raises(CorruptImageError) as info:
        load_image(data[: len(data) // 2])
    message = str(info.value)
    assert f"looks like a {fmt} image but is truncated or damaged" in message
    assert not ImageFile.LOAD_TRUNCATED_IMAGES


def test_png_with_damaged_pixel_data_is_corrupt():
    data = bytearray(encode(Image.fromarray(random_u8((16, 16))), "PNG"))
    start = data.index(b"IDAT") + 8
    data[start : start + 8] = b"\xff" * 8
    with pytest.raises(CorruptImageError):
        load_image(bytes(data))


def test_png_with_damaged_header_is_corrupt():
    data = bytearray(encode(Image.new("L", (4, 4)), "PNG"))
    data[16:24] = b"\xff" * 8  # width and height: CRC no longer matches
    with pytest.raises(CorruptImageError, match="looks like a PNG image"):
        load_image(bytes(data))


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (bytes(np.random.default_rng(RNG_SEED).integers(0, 256, 2000, dtype=np.uint8)), "not a"),
        (b"hello, this is a note\nsaved as picture.png\n", "contains text"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>', "SVG"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
    ],
)
def test_things_that_are_not_pictures(data, words):
    with pytest.raises(UnsupportedImageError) as info:
        load_image(data)
    assert words in str(info.value)
    assert "PNG, JPEG, GIF, BMP, WebP or TIFF" in str(info.value)


def test_formats_pillow_knows_but_we_do_not_decode():
    data = encode(Image.new("RGB", (4, 4)), "PPM")
    assert Image.open(io.BytesIO(data)).format == "PPM"
    with pytest.raises(UnsupportedImageError):
        load_image(data)


def test_empty_file():
    with pytest.raises(EmptyImageError, match="empty"):
        load_image(b"")


def test_every_error_is_an_image_load_error_and_a_value_error():
    for error in (EmptyImageError, ImageTooLargeError, UnsupportedImageError, CorruptImageError):
        assert issubclass(error, ImageLoadError)
        assert issubclass(error, ValueError)


# --------------------------------------------------------------------------- size limits


def test_too_many_bytes():
    data = encode(Image.new("L", (8, 8)), "PNG")
    with pytest.raises(ImageTooLargeError, match="limit"):
        load_image(data, max_bytes=len(data) - 1)
    assert load_image(data, max_bytes=len(data)).pixels.shape == (8, 8, 3)


_UNITS = {"bytes": 1, "KB": 2**10, "MB": 2**20, "pixels": 1, "megapixels": 10**6}
_AMOUNT = re.compile(r"(?<![\d×,.])(\d[\d,]*(?:\.\d+)?) (bytes|KB|MB|megapixels|pixels)\b")


def stated(message: str) -> tuple[tuple[float, str], tuple[float, str]]:
    """The amount a refusal states for the file and the limit it states, as written.

    ``"The file is 20.001 MB; the limit is 20 MB."`` gives ``((20.001, "MB"), (20, "MB"))``:
    the last amount before "the limit is" and the first one after it.
    """
    before, _, after = message.partition("the limit is")
    assert after, message
    found, limit = _AMOUNT.findall(before)[-1], _AMOUNT.findall(after)[0]
    return (
        (float(found[0].replace(",", "")), found[1]),
        (float(limit[0].replace(",", "")), limit[1]),
    )


def assert_honest(message: str, amount: int, limit: int) -> None:
    """The stated amount is visibly more than the stated limit, in the same unit, and both
    are true: the limit exactly, the amount to the precision written."""
    (shown, unit), (shown_limit, limit_unit) = stated(message)
    assert unit == limit_unit, message
    assert shown > shown_limit, message
    assert shown_limit * _UNITS[unit] == limit, message
    written = _AMOUNT.findall(message.partition("the limit is")[0])[-1][0]
    decimals = len(written.partition(".")[2])
    assert abs(shown - amount / _UNITS[unit]) <= 0.5 * 10**-decimals, message


def padded_image(size: int) -> bytes:
    """A 1×1 GIF padded with zero bytes to exactly ``size`` bytes (decoders ignore the tail)."""
    data = encode(Image.new("L", (1, 1), 128), "GIF")
    assert len(data) <= size
    return data + b"\x00" * (size - len(data))


@pytest.mark.parametrize(
    "limit",
    [20 * 2**20, 2**20, 5 * 2**20 // 2, 3 * 2**10, 1000, 100],
    ids=["20MB", "1MB", "2.5MB", "3KB", "1000B", "100B"],
)
@pytest.mark.parametrize("over", [1, 2**10, 2**20 // 10])
def test_byte_limit_boundary(limit, over):
    assert load_image(padded_image(limit), max_bytes=limit).pixels.shape == (1, 1, 3)
    with pytest.raises(ImageTooLargeError) as info:
        load_image(padded_image(limit + over), max_bytes=limit)
    assert_honest(str(info.value), limit + over, limit)


def test_twenty_megabytes_and_one_kilobyte_reads_as_more_than_twenty():
    with pytest.raises(ImageTooLargeError) as info:
        load_image(b"\x00" * (20 * 2**20 + 2**10), max_bytes=20 * 2**20)
    assert str(info.value).startswith("The file is 20.001 MB; the limit is 20 MB."), info.value


def test_one_byte_over_states_the_bytes():
    with pytest.raises(ImageTooLargeError) as info:
        load_image(b"\x00" * (20 * 2**20 + 1), max_bytes=20 * 2**20)
    assert str(info.value).startswith(
        "The file is 20,971,521 bytes; the limit is 20,971,520 bytes (20 MB)."
    ), info.value


def test_too_many_bytes_message_in_megabytes():
    with pytest.raises(ImageTooLargeError) as info:
        load_image(b"\x00" * (3 * 2**20 // 2), max_bytes=2**20)
    assert str(info.value).startswith("The file is 1.5 MB; the limit is 1 MB."), info.value


@pytest.mark.parametrize(
    ("side", "shown"),
    [
        (7000, "7000×7000 pixels (49.0 megapixels)"),  # over our cap, under Pillow's warning
        (10_000, "100.0 megapixels"),  # Pillow's DecompressionBombWarning, made an error
        (20_000, "400.0 megapixels"),  # Pillow's DecompressionBombError
    ],
)
def test_huge_declared_size_is_refused_before_decoding(no_decoding, side, shown):
    data = png_declaring(side, side)
    assert len(data) < 100
    with pytest.raises(ImageTooLargeError) as info:
        load_image(data)
    assert shown in str(info.value)
    assert_honest(str(info.value), side * side, min(40_000_000, Image.MAX_IMAGE_PIXELS))


@pytest.mark.parametrize(
    ("cols", "rows", "limit"),
    [
        (40_000_001, 1, 40_000_000),  # one pixel over: "40.0" would read as equal
        (8000, 5001, 40_000_000),  # 40.008 megapixels
        (6325, 6325, 40_000_000),  # 40.005625 megapixels
        (11, 10, 100),  # a small limit is stated in pixels
        (1001, 1000, 1_000_000),
    ],
)
def test_pixel_limit_boundary_is_stated_honestly(no_decoding, cols, rows, limit):
    with pytest.raises(ImageTooLargeError) as info:
        load_image(png_declaring(cols, rows), max_pixels=limit)
    assert f"{rows}×{cols} pixels" in str(info.value)
    assert_honest(str(info.value), rows * cols, limit)


@pytest.mark.parametrize(("cols", "rows"), [(20, 10), (1000, 1000)])
def test_exactly_the_pixel_limit_is_decoded(cols, rows):
    data = encode(Image.new("L", (cols, rows)), "PNG")
    loaded = load_image(data, max_pixels=rows * cols, max_side=None)
    assert loaded.pixels.shape == (rows, cols, 3)


@pytest.mark.parametrize("action", ["ignore", "default"])
def test_pillows_bomb_warning_is_an_error_whatever_the_warning_filters(no_decoding, action):
    data = png_declaring(10_000, 10_000)  # above Pillow's MAX_IMAGE_PIXELS: it only warns
    with warnings.catch_warnings(record=True):
        warnings.simplefilter(action)
        with pytest.raises(ImageTooLargeError) as info:
            load_image(data, max_pixels=500_000_000)  # capped at Pillow's limit
    assert "10000×10000 pixels (100,000,000 pixels)" in str(info.value)
    assert "the limit is 89,478,485 pixels" in str(info.value)
    assert_honest(str(info.value), 10**8, Image.MAX_IMAGE_PIXELS)


@pytest.mark.parametrize("side", [10_000, 20_000])
def test_pillows_bomb_raised_by_open_states_the_limit_in_force(no_decoding, side):
    """With warnings as errors, Pillow's own check fires inside ``open()`` (the
    :func:`_bomb` path): the limit stated is Pillow's, not a larger ``max_pixels``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(ImageTooLargeError) as info:
            load_image(png_declaring(side, side), max_pixels=500_000_000)
    assert "declares" in str(info.value)
    assert_honest(str(info.value), side * side, Image.MAX_IMAGE_PIXELS)


def test_pixel_cap_is_a_parameter(no_decoding):
    with pytest.raises(ImageTooLargeError, match=r"the limit is 100 pixels\."):
        load_image(png_declaring(20, 10), max_pixels=100)


def test_declared_size_within_the_cap_is_decoded():
    data = encode(Image.new("L", (20, 10)), "PNG")
    assert load_image(data, max_pixels=200).pixels.shape == (10, 20, 3)


# --------------------------------------------------------------------------- downscaling


def test_downscaling_keeps_aspect_and_reports_it():
    data = encode(Image.fromarray(random_u8((300, 200, 3))), "PNG")
    loaded = load_image(data, max_side=100)
    assert loaded.pixels.shape == (100, 67, 3)
    assert loaded.original_size == (300, 200)
    assert loaded.downscaled
    assert "downscaled from 300×200 to 100×67 (rows×columns)" in loaded.notes


def test_no_upscaling_and_no_limit():
    data = encode(Image.fromarray(random_u8((30, 20))), "PNG")
    for max_side in (1024, 30, None):
        loaded = load_image(data, mode="gray", max_side=max_side)
        assert loaded.pixels.shape == (30, 20)
        assert not loaded.downscaled
        assert not any("downscaled" in note for note in loaded.notes)


def test_downscaled_png_by_a_whole_factor_is_the_block_mean():
    values = random_u8((90, 60, 3))
    loaded = load_image(encode(Image.fromarray(values), "PNG"), max_side=30)
    block_mean = (values / 255).reshape(30, 3, 20, 3, 3).mean(axis=(1, 3))
    assert loaded.pixels.shape == (30, 20, 3)
    # Pillow rounds to 8 bits after each of its two passes: at most one step off.
    np.testing.assert_allclose(loaded.pixels, block_mean, atol=U8 + 1e-6)


def test_downscaled_png_is_close_to_exact_area_averaging():
    rows, cols = np.mgrid[0:90, 0:60]
    smooth = (127 + 120 * np.sin(rows / 9) * np.cos(cols / 7)).astype(np.uint8)
    loaded = load_image(encode(Image.fromarray(smooth), "PNG"), mode="gray", max_side=25)
    reference = resize_image(smooth / 255, 25)
    assert loaded.pixels.shape == reference.shape == (25, 17)
    assert np.abs(loaded.pixels - reference).max() < 0.05


def test_downscaled_16_bit_matches_area_averaging_reference():
    values = np.random.default_rng(RNG_SEED).integers(0, 65536, (40, 30), dtype=np.uint16)
    loaded = load_image(encode(Image.fromarray(values), "PNG"), mode="gray", max_side=12)
    np.testing.assert_allclose(loaded.pixels, resize_image(values / 65535, 12), atol=1e-6)


def test_large_jpeg_is_decoded_in_draft_mode_close_to_the_reference():
    rows, cols = np.mgrid[0:1200, 0:1600]
    smooth = (127 + 120 * np.sin(rows / 90) * np.cos(cols / 130)).astype(np.uint8)
    data = encode(Image.fromarray(smooth), "JPEG", quality=95)
    loaded = load_image(data, mode="gray", max_side=200)
    assert loaded.pixels.shape == (150, 200)
    assert loaded.original_size == (1200, 1600)
    reference = resize_image(smooth / 255, 200)
    assert np.abs(loaded.pixels - reference).max() < 0.03


# --------------------------------------------------------------------------- result object


def test_loaded_image_is_read_only_array_like_and_picklable():
    loaded = load_image(encode(Image.fromarray(random_u8((5, 6, 3))), "PNG"))
    assert np.asarray(loaded) is loaded.pixels
    assert np.asarray(loaded, dtype=np.float64).dtype == np.float64
    assert loaded.shape == (5, 6, 3)
    assert not loaded.pixels.flags.writeable
    with pytest.raises(ValueError):
        loaded.pixels[0, 0, 0] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.format = "GIF"
    copy = pickle.loads(pickle.dumps(loaded))  # st.cache_data pickles results
    np.testing.assert_array_equal(copy.pixels, loaded.pixels)
    assert copy.notes == loaded.notes and copy.original_size == loaded.original_size


def test_loaded_image_copies_writable_input():
    pixels = np.zeros((2, 2), dtype=np.float32)
    loaded = LoadedImage(pixels, (2, 2), False, "PNG")
    pixels[0, 0] = 1
    assert loaded.pixels[0, 0] == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mode": "hsv"}, ValueError, "`mode` must be 'rgb' or 'gray'; got 'hsv'"),
        ({"max_side": 0}, ValueError, "`max_side` must be a positive integer or None; got 0"),
        ({"max_bytes": -1}, ValueError, "`max_bytes` must be a positive integer; got -1"),
        ({"max_pixels": 1.5}, ValueError, "`max_pixels` must be a positive integer"),
    ],
)
def test_load_image_argument_errors(kwargs, error, message):
    data = encode(Image.new("L", (2, 2)), "PNG")
    with pytest.raises(error) as info:
        load_image(data, **kwargs)
    assert message in str(info.value)
    assert not isinstance(info.value, ImageLoadError)


def test_load_image_needs_bytes():
    with pytest.raises(TypeError, match="`data` must be the file's bytes; got str"):
        load_image("picture.png")
    data = encode(Image.new("L", (2, 2)), "PNG")
    assert load_image(bytearray(data)).pixels.shape == (2, 2, 3)


# --------------------------------------------------------------------------- resize_image


def test_resize_by_an_integer_factor_is_the_block_mean():
    values = np.random.default_rng(RNG_SEED).random((12, 8, 3))
    out = resize_image(values, 6)
    block_mean = values.reshape(6, 2, 4, 2, 3).mean(axis=(1, 3))
    assert out.dtype == np.float32 and out.shape == (6, 4, 3)
    np.testing.assert_allclose(out, block_mean, rtol=1e-6)


def exact_area_average(values: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Reference: split every pixel into rows x cols equal parts, then average blocks."""
    h, w = values.shape
    fine = np.repeat(np.repeat(values, rows, axis=0), cols, axis=1)  # (h*rows, w*cols)
    return fine.reshape(rows, h, cols, w).mean(axis=(1, 3))


@pytest.mark.parametrize(("shape", "max_side"), [((37, 23), 10), ((23, 37), 7), ((100, 3), 9)])
def test_resize_is_exact_area_averaging(shape, max_side):
    values = np.random.default_rng(RNG_SEED).random(shape)
    out = resize_image(values, max_side)
    reference = exact_area_average(values, *out.shape)
    np.testing.assert_allclose(out, reference, rtol=0, atol=2e-6)


def test_resize_never_upscales_and_keeps_at_least_one_pixel():
    values = np.arange(6, dtype=np.uint8).reshape(2, 3)
    out = resize_image(values, 10)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, values)
    assert resize_image(np.ones((1000, 2)), 10).shape == (10, 1)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 40),
    cols=st.integers(1, 40),
    channels=st.sampled_from([None, 1, 3]),
    max_side=st.integers(1, 45),
    seed=st.integers(0, 2**16),
)
def test_resize_properties(rows, cols, channels, max_side, seed):
    shape = (rows, cols) if channels is None else (rows, cols, channels)
    values = np.random.default_rng(seed).random(shape)
    out = resize_image(values, max_side)
    assert out.ndim == values.ndim and out.shape[2:] == values.shape[2:]
    assert max(out.shape[:2]) == min(max(rows, cols), max_side)
    assert min(out.shape[:2]) >= 1
    assert out.min() >= values.min() - 1e-6 and out.max() <= values.max() + 1e-6
    assert out.mean() == pytest.approx(values.mean(), abs=1e-5)  # area averaging keeps the mean
    constant = resize_image(np.full(shape, 0.3), max_side)
    np.testing.assert_allclose(constant, 0.3, rtol=1e-6)


def test_resize_errors():
    with pytest.raises(ValueError, match="`max_side` must be a positive integer; got 0"):
        resize_image(np.ones((2, 2)), 0)
    with pytest.raises(ValueError, match="`pixels` must be a non-empty"):
        resize_image(np.ones(5), 2)
    with pytest.raises(ValueError, match="`pixels` must be a non-empty"):
        resize_image(np.ones((0, 3)), 2)


# --------------------------------------------------------------------------- to_gray


def test_to_gray_is_bt601():
    primaries = np.eye(3, dtype=np.float32)[None]  # (1, 3, 3): red, green, blue pixels
    np.testing.assert_allclose(to_gray(primaries), [[0.299, 0.587, 0.114]], rtol=1e-6)
    assert to_gray(primaries).dtype == np.float32
    assert to_gray(primaries.astype(np.float64)).dtype == np.float64


def test_to_gray_agrees_with_pillow():
    values = random_u8((6, 7, 3))
    reference = np.asarray(Image.fromarray(values).convert("L")) / 255  # rounded to 8 bits
    np.testing.assert_allclose(to_gray(values / 255), reference, atol=0.5 * U8 + 1e-6)


def test_to_gray_passes_gray_through_and_rejects_other_shapes():
    gray = np.random.default_rng(0).random((3, 4)).astype(np.float32)
    out = to_gray(gray)
    np.testing.assert_array_equal(out, gray)
    assert out is not gray
    with pytest.raises(ValueError, match=r"got shape \(3, 4, 4\)"):
        to_gray(np.ones((3, 4, 4)))


# --------------------------------------------------------------------------- samples


def test_samples_are_listed_with_credit_and_licence():
    samples = sample_images()
    assert len(samples) >= 3
    keys = [sample.key for sample in samples]
    assert len(set(keys)) == len(keys)
    readme = (ASSETS / "README.md").read_text(encoding="utf-8")
    for sample in samples:
        assert sample.title and sample.credit and sample.licence
        assert sample.path.parent == ASSETS and sample.path.is_file()
        assert sample.path.name in readme
        assert "Public domain" in sample.licence or "CC0" in sample.licence


@pytest.mark.parametrize("key", [sample.key for sample in sample_images()])
def test_every_sample_loads(key):
    rgb = load_sample(key)
    assert rgb.pixels.ndim == 3 and rgb.pixels.shape[2] == 3
    assert rgb.pixels.dtype == np.float32
    assert 0 <= rgb.pixels.min() and rgb.pixels.max() <= 1
    assert rgb.pixels.std() > 0.05  # a real photograph, not a blank
    gray = load_sample(key, mode="gray", max_side=64)
    assert gray.pixels.ndim == 2 and max(gray.pixels.shape) == 64


def test_assets_stay_small():
    files = [path for path in ASSETS.iterdir() if path.suffix != ".md"]
    assert sum(path.stat().st_size for path in files) < 1.5 * 2**20
    for path in files:
        assert path.stat().st_size <= 300 * 1024, path.name
        with Image.open(path) as image:
            assert max(image.size) <= 768, path.name


def test_assets_folder_is_next_to_the_package():
    import vizlib.images

    assert Path(vizlib.images.__file__).resolve().parents[1] / "assets" == ASSETS


def test_unknown_sample():
    with pytest.raises(ValueError, match="`key` must be one of grace_hopper"):
        load_sample("lena")


# --------------------------------------------------------------------------- synthetic images


@pytest.mark.parametrize("name", list(SYNTHETIC_IMAGES))
@pytest.mark.parametrize("size", [2, 5, 16, 64, 101])
def test_synthetic_images_are_deterministic_and_in_range(name, size):
    image = synthetic_image(name, size=size)
    assert image.shape == (size, size) and image.dtype == np.float32
    assert image.min() >= 0 and image.max() <= 1
    np.testing.assert_array_equal(image, synthetic_image(name, size=size))
    assert SYNTHETIC_IMAGES[name].strip()


def test_synthetic_images_look_like_their_descriptions():
    size = 64
    step = synthetic_image("vertical_step", size)
    assert (step[:, :32] == 0).all() and (step[:, 32:] == 1).all()
    np.testing.assert_array_equal(synthetic_image("horizontal_step", size), step.T)
    board = synthetic_image("checkerboard", size)
    assert board[0, 0] != board[0, 8] and board[0, 0] != board[8, 0] and board[0, 0] == board[8, 8]
    assert (np.unique(board) == [0, 1]).all()
    stripes = synthetic_image("stripes", size)
    assert (stripes == stripes[0]).all() and len(set(stripes[0])) == 2  # vertical: same every row
    diagonal = synthetic_image("diagonal_stripes", size)
    assert all(diagonal[r, 10 - r] == diagonal[0, 10] for r in range(11))  # constant along r + c
    gradient = synthetic_image("gradient", size)
    assert gradient[0, 0] == 0 and gradient[0, -1] == 1 and (np.diff(gradient, axis=1) > 0).all()
    assert (gradient == gradient[0]).all()
    square = synthetic_image("square", size)
    assert square[32, 32] == 1 and square[0, 0] == 0 and square.mean() == 0.25
    disk = synthetic_image("disk", size)
    assert disk[32, 32] == 1 and disk[0, 0] == 0
    np.testing.assert_array_equal(disk, disk.T)
    np.testing.assert_array_equal(disk, disk[::-1])


def test_synthetic_errors():
    with pytest.raises(ValueError, match="`name` must be one of checkerboard"):
        synthetic_image("noise")
    with pytest.raises(ValueError, match="`size` must be an integer from 2 to 4096; got 1"):
        synthetic_image("disk", size=1)
