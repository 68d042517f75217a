"""A corpus of bad and awkward uploads, generated in memory (no binaries committed).

Each item is an :class:`Upload`: a file name, its bytes, the MIME type a
browser would send, and what the app must do with it:

- ``expect="error"``: refuse with a message a student understands (``hint`` is a
  lower-case fragment of vizlib's message), keep the last good image;
- ``expect="ok"``: load and show it correctly (``shape`` is the ``(rows, cols)``
  the decoded picture must have before the working-resolution resize, and
  ``note`` a fragment of a note the sidebar must show, e.g. "downscaled").

Build everything with :func:`corpus` (cached: the 12-megapixel JPEG and the
over-the-cap file take a moment) or one item by name with :func:`item`.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

UPLOAD_CAP = 20 * 2**20  # bytes: vizlib.load_image's max_bytes
BROWSER_CAP = 20 * 1000**2  # bytes: the upload box's 20 MB as Chromium on Linux counts them
HTML_NAME = "<img src=x onerror=alert(1)>.png"


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    mime: str
    expect: str  # "error" or "ok"
    hint: str = ""  # lower-case fragment of the error message
    shape: tuple[int, int] | None = None  # (rows, cols) as stored, after EXIF rotation
    note: str = ""  # lower-case fragment of a note the sidebar shows

    def as_upload(self) -> tuple[str, bytes, str]:
        """``(name, bytes, mime)`` for ``AppTest.file_uploader(...).set_value``."""
        return (self.name, self.data, self.mime)


# --------------------------------------------------------------------------- encoders


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **params)
    return buf.getvalue()


def gradient(rows: int, cols: int, *, seed: int = 0, rgb: bool = False) -> np.ndarray:
    """A smooth ramp with a little noise: compresses well, differs between seeds."""
    r = np.linspace(0, 1, rows, dtype=np.float32)[:, None]
    c = np.linspace(0, 1, cols, dtype=np.float32)[None, :]
    base = 0.5 * r + 0.5 * c  # (rows, cols)
    noise = np.random.default_rng(seed).random((rows, cols), dtype=np.float32)
    gray = np.clip(0.85 * base + 0.15 * noise, 0, 1)
    if rgb:
        return np.stack([gray, 1 - gray, np.roll(gray, cols // 3, axis=1)], axis=-1)
    return gray


def png(array: np.ndarray) -> bytes:
    """8-bit PNG from floats in [0, 1], shape (H, W) or (H, W, 3|4)."""
    return encode(Image.fromarray((np.clip(array, 0, 1) * 255).astype(np.uint8)), "PNG")


def jpeg(array: np.ndarray, quality: int = 90, **params) -> bytes:
    return encode(
        Image.fromarray((np.clip(array, 0, 1) * 255).astype(np.uint8)),
        "JPEG",
        quality=quality,
        **params,
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(cols: int, rows: int) -> bytes:
    """A tiny PNG whose header declares ``cols`` × ``rows`` gray pixels (a 'bomb').

    Only the first few scanlines are present: the file is well under a kilobyte,
    and anything that trusts the header instead of checking it would allocate
    rows × cols bytes.
    """
    header = struct.pack(">IIBBBBB", cols, rows, 8, 0, 0, 0, 0)  # 8-bit gray
    lines = zlib.compress(b"\x00" * (cols + 1) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", lines)


# --------------------------------------------------------------------------- refused


def zero_byte() -> Upload:
    return Upload("empty.png", b"", "image/png", "error", hint="empty")


def random_bytes() -> Upload:
    data = np.random.default_rng(1).bytes(4096)
    return Upload("noise.png", data, "image/png", "error", hint="not a picture")


def text_as_png() -> Upload:
    data = b"Dear teacher,\nthis is my homework, saved with the wrong name.\n" * 20
    return Upload("homework.png", data, "image/png", "error", hint="text")


def pdf_as_png() -> Upload:
    data = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return Upload("slides.png", data, "image/png", "error", hint="pdf")


_SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" '
    b'height="64"><circle cx="32" cy="32" r="20" fill="red"/></svg>\n'
)


def svg() -> Upload:
    """An SVG drawing renamed to .png (the uploader's ``type=`` only checks names)."""
    return Upload("drawing.png", _SVG, "image/png", "error", hint="svg")


def svg_named_svg() -> Upload:
    """The same drawing as ``.svg``. The upload box filters no names (a name-refused file
    would stay in Streamlit's box with its own message, next to later uploads), so it
    reaches vizlib, which explains why SVG is not used."""
    return Upload("drawing.svg", _SVG, "image/svg+xml", "error", hint="svg")


def truncated_png() -> Upload:
    data = png(gradient(120, 160, seed=2))
    return Upload("cut.png", data[: len(data) // 2], "image/png", "error", hint="truncated")


def truncated_jpeg() -> Upload:
    data = jpeg(gradient(120, 160, seed=3, rgb=True))
    return Upload("cut.jpg", data[: len(data) // 2], "image/jpeg", "error", hint="truncated")


def huge_declared_png() -> Upload:
    data = png_declaring(10_000, 10_000)
    return Upload("tiny-but-huge.png", data, "image/png", "error", hint="megapixels")


def over_the_cap() -> Upload:
    """A real JPEG padded past the cap (decoders ignore bytes after the image)."""
    data = jpeg(gradient(64, 64, seed=4))
    data += b"\x00" * (UPLOAD_CAP + 1024 - len(data))
    return Upload("huge-file.jpg", data, "image/jpeg", "error", hint="limit")


# --------------------------------------------------------------------------- awkward but valid


def png_16bit() -> Upload:
    values = (gradient(48, 64, seed=5) * 65535).astype(np.uint16)  # (48, 64)
    data = encode(Image.fromarray(values), "PNG")  # mode I;16
    return Upload("scan-16bit.png", data, "image/png", "ok", shape=(48, 64))


def cmyk_jpeg() -> Upload:
    rgb = Image.fromarray((gradient(40, 60, seed=6, rgb=True) * 255).astype(np.uint8))
    data = encode(rgb.convert("CMYK"), "JPEG", quality=90)
    return Upload("print-cmyk.jpg", data, "image/jpeg", "ok", shape=(40, 60))


def palette_gif_transparent() -> Upload:
    image = Image.fromarray((gradient(30, 50, seed=7, rgb=True) * 255).astype(np.uint8))
    pal = image.quantize(colors=16)
    pal.info["transparency"] = 0
    data = encode(pal, "GIF", transparency=0)
    return Upload("sticker.gif", data, "image/gif", "ok", shape=(30, 50), note="transparent")


def animated_gif() -> Upload:
    frames = [
        Image.fromarray((gradient(32, 32, seed=s) * 255).astype(np.uint8)).convert("P")
        for s in range(4)
    ]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    return Upload("dance.gif", data, "image/gif", "ok", shape=(32, 32), note="first frame")


def transparent_rgba() -> Upload:
    data = encode(Image.new("RGBA", (40, 30), (255, 0, 0, 0)), "PNG")
    return Upload("invisible.png", data, "image/png", "ok", shape=(30, 40), note="transparent")


def one_pixel() -> Upload:
    data = encode(Image.new("L", (1, 1), 200), "PNG")
    return Upload("dot.png", data, "image/png", "ok", shape=(1, 1))


def strip_1x3000() -> Upload:
    data = png(gradient(1, 3000, seed=8))
    return Upload("strip.png", data, "image/png", "ok", shape=(1, 3000), note="downscaled")


def exif_rotated() -> Upload:
    """A 'phone photo' stored 40 wide × 20 high with EXIF orientation 6 (turn 90° clockwise)."""
    image = Image.fromarray((gradient(20, 40, seed=9, rgb=True) * 255).astype(np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(image, "JPEG", quality=90, exif=exif.tobytes())
    return Upload("IMG_0001.jpg", data, "image/jpeg", "ok", shape=(40, 20), note="exif")


def twelve_megapixels() -> Upload:
    rgb = (gradient(3000, 4000, seed=10, rgb=True) * 255).astype(np.uint8)  # 12 MP
    data = encode(Image.fromarray(rgb), "JPEG", quality=80)
    return Upload(
        "camera-12mp.jpg", data, "image/jpeg", "ok", shape=(3000, 4000), note="downscaled"
    )


def html_name() -> Upload:
    data = png(gradient(24, 24, seed=11))
    return Upload(HTML_NAME, data, "image/png", "ok", shape=(24, 24))


REFUSED = (
    zero_byte,
    random_bytes,
    text_as_png,
    pdf_as_png,
    svg,
    truncated_png,
    truncated_jpeg,
    huge_declared_png,
    over_the_cap,
)
AWKWARD = (
    png_16bit,
    cmyk_jpeg,
    palette_gif_transparent,
    animated_gif,
    transparent_rgba,
    one_pixel,
    strip_1x3000,
    exif_rotated,
    twelve_megapixels,
    html_name,
)


@functools.cache
def item(name: str) -> Upload:
    """One corpus item by its function name (``"truncated_png"``), built once."""
    return globals()[name]()


def corpus() -> list[Upload]:
    return [item(f.__name__) for f in (*REFUSED, *AWKWARD)]


# --------------------------------------------------------------------------- kernels

#: Text for the paste box that must be refused: (label, text, lower-case hint).
BAD_KERNEL_TEXTS = (
    ("blank", "", "empty"),
    ("blanks between numbers", "1 , , 3; 4 5 6; 7 8 9", "blank"),
    ("text", "1 2 x; 4 5 6; 7 8 9", "not a number"),
    ("NaN", "1 2 nan; 4 5 6; 7 8 9", "not a number"),
    ("inf", "1 2 inf; 4 5 6; 7 8 9", "finite"),
    ("1e308", "1e308 0 0; 0 0 0; 0 0 0", "1e+308"),
    ("0x0", "[]", ""),
    ("12x12", "; ".join(" ".join(["1"] * 12) for _ in range(12)), "12"),
    ("ragged rows", "1 2 3; 4 5; 6", "row"),
)

#: Grid cell edits (row, col, typed text) that must be refused.
BAD_KERNEL_CELLS = (
    ("blank", ""),
    ("spaces", "   "),
    ("text", "abc"),
    ("NaN", "nan"),
    ("inf", "inf"),
    ("-inf", "-inf"),
    ("1e308", "1e308"),
    ("division by zero", "1/0"),
)

#: Kernel files for the convolution lesson's "Load a kernel file" box: (name, bytes, hint).
BAD_KERNEL_FILES = (
    ("garbage.csv", bytes(range(256)), "not text"),
    ("empty.csv", b"", "empty"),
    ("nan.json", b'{"kernel": [[NaN, 1], [1, 1]]}', "not a number"),
    ("overflow.json", b"[[1e999, 1], [1, 1]]", "infinite"),
    ("twelve.csv", "\n".join(",".join(["1"] * 12) for _ in range(12)).encode(), "12×12"),
    ("ragged.csv", b"1,2,3\n4,5\n", "row 2"),
    ("other.json", b'{"weights": [[1]]}', "list of rows"),
    ("letter.txt", b"hello world", "not a number"),
    ("huge.csv", b"1," * 20_000, "at most"),
)
#: A 10 KB JSON file nested 5,000 deep: Python's json module raises RecursionError.
NESTED_KERNEL_FILE = ("nested.json", b"[" * 5000 + b"]" * 5000)
