"""Images in, float arrays out: uploads, bundled sample photos and teaching patterns.

Every picture becomes a float32 array in [0, 1], ``(H, W)`` for grayscale or
``(H, W, 3)`` for RGB (rows, columns, channels). Uploads are untrusted bytes:
:func:`load_image` checks the size in bytes and the pixel count from the
header *before* decoding, decodes only PNG, JPEG, GIF, BMP, WebP and TIFF, and
turns every failure into an :class:`ImageLoadError` whose message can be shown
to a student as it is.
"""

from __future__ import annotations

import io
import math
import numbers
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import sparse

__all__ = [
    "ALLOWED_FORMATS",
    "MLP_EXAMPLE",
    "SYNTHETIC_IMAGES",
    "TUTORIAL_GRID",
    "CorruptImageError",
    "EmptyImageError",
    "ImageLoadError",
    "ImageTooLargeError",
    "LoadedImage",
    "SampleImage",
    "UnsupportedImageError",
    "load_image",
    "load_sample",
    "resize_image",
    "sample_images",
    "synthetic_image",
    "to_gray",
]


def _read_only(rows) -> np.ndarray:
    array = np.array(rows, dtype=np.float64)
    array.flags.writeable = False
    return array


TUTORIAL_GRID = _read_only(
    [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]]
)  # (5, 5): the tutorial's input; with the vertical-edge kernel the top-left output is 6
MLP_EXAMPLE = _read_only([[1, 1, 0], [4, 2, 1], [0, 2, 1]])  # (3, 3): the image it flattens

ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
_FORMAT_LIST = "PNG, JPEG, GIF, BMP, WebP or TIFF"
BT601 = (0.299, 0.587, 0.114)
"""ITU-R BT.601 luma weights for (R, G, B): gray = 0.299 R + 0.587 G + 0.114 B."""

ASSETS = Path(__file__).resolve().parents[1] / "assets"


# --------------------------------------------------------------------------- errors


class ImageLoadError(ValueError):
    """An image could not be used; the message is written for a student."""


class EmptyImageError(ImageLoadError):
    """The file has no bytes."""


class ImageTooLargeError(ImageLoadError):
    """Too many bytes, or the header declares too many pixels."""


class UnsupportedImageError(ImageLoadError):
    """Not an image, or a format this app does not decode (SVG, PDF, HEIC, ...)."""


class CorruptImageError(ImageLoadError):
    """The file looks like an image but is truncated or damaged."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A decoded image and what was done to it.

    Attributes
    ----------
    pixels : numpy.ndarray
        float32 in [0, 1], ``(H, W)`` (gray) or ``(H, W, 3)`` (RGB), read-only.
    original_size : tuple of int
        ``(rows, cols)`` of the picture as stored, after EXIF rotation and
        before any downscaling.
    downscaled : bool
        True when ``pixels`` is smaller than ``original_size``.
    format : str
        The file format Pillow recognised ("PNG", "JPEG", ...).
    notes : tuple of str
        Short remarks a student can read ("transparent areas shown on white").
    """

    pixels: np.ndarray
    original_size: tuple[int, int]
    downscaled: bool
    format: str
    notes: tuple[str, ...] = ()

    def __post_init__(self):
        pixels = self.pixels
        if not (isinstance(pixels, np.ndarray) and pixels.dtype == np.float32):
            pixels = np.asarray(pixels, dtype=np.float32)
        if pixels.flags.writeable:  # keep a private, read-only copy
            pixels = pixels.copy()
            pixels.flags.writeable = False
        object.__setattr__(self, "pixels", pixels)
        object.__setattr__(self, "original_size", tuple(int(n) for n in self.original_size))
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``pixels``."""
        return self.pixels.shape

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self.pixels, dtype=dtype)
        return np.asarray(self.pixels, dtype=dtype)


@dataclass(frozen=True)
class SampleImage:
    """A bundled sample photograph and its credit (see ``assets/README.md``)."""

    key: str
    title: str
    path: Path
    credit: str
    licence: str


# --------------------------------------------------------------------------- loading


def load_image(
    data: bytes,
    *,
    mode: str = "rgb",
    max_bytes: int = 20 * 2**20,
    max_pixels: int = 40_000_000,
    max_side: int | None = 1024,
) -> LoadedImage:
    """Decode image bytes into a float array in [0, 1].

    Parameters
    ----------
    data : bytes
        The file's contents (an upload or a webcam snapshot).
    mode : {"rgb", "gray"}, optional
        ``"rgb"`` gives ``(H, W, 3)`` (a grayscale file gets three equal
        channels); ``"gray"`` gives ``(H, W)`` (colour becomes BT.601 luma).
    max_bytes : int, optional
        Largest accepted file size (default 20 MiB).
    max_pixels : int, optional
        Largest accepted ``rows * cols``, read from the header before any
        pixel is decoded (default 40 million).
    max_side : int or None, optional
        Downscale (area averaging) so the longer side is at most this many
        pixels, keeping the aspect ratio (default 1024). ``None`` keeps the
        full size.

    Returns
    -------
    LoadedImage
        ``pixels`` float32 ``(H, W, 3)`` or ``(H, W)``, plus ``original_size``,
        ``downscaled``, ``format`` and student-readable ``notes``.

    Raises
    ------
    TypeError
        If ``data`` is not bytes.
    ValueError
        If ``mode`` or a limit is invalid.
    EmptyImageError
        If ``data`` is empty.
    ImageTooLargeError
        If the file has more than ``max_bytes`` bytes or declares more than
        ``max_pixels`` pixels (or trips Pillow's decompression-bomb check).
    UnsupportedImageError
        If the bytes are not a PNG, JPEG, GIF, BMP, WebP or TIFF image (SVG,
        PDF, HEIC, text, ...).
    CorruptImageError
        If the file is truncated or damaged.

    Notes
    -----
    In order: EXIF orientation is applied (phone photos come out upright);
    animations and multi-page files give their first frame; transparency is
    composited onto white; 16-bit images are divided by 65535 (no
    saturation); 32-bit integer images (mode ``I``) in 0..65535 are divided by
    65535, otherwise stretched from their minimum to their maximum; float
    images (mode ``F``) already in [0, 1] are kept, otherwise stretched the
    same way (NaN becomes 0). Downscaling averages the area each output pixel
    covers: exactly with :func:`resize_image` for 16-bit and float images, and
    with Pillow's fast ``BOX`` filter for 8-bit ones (each input pixel counts
    wholly or not at all, by where its centre falls). JPEGs are first decoded
    at 1/2, 1/4 or 1/8 scale when that is still at least the target size
    (Pillow's "draft" mode), which keeps large phone photos fast.

    Pillow's ``DecompressionBombWarning`` (more than
    ``PIL.Image.MAX_IMAGE_PIXELS`` pixels) is an error here too: the pixel cap
    is never higher than Pillow's limit, and the warning is caught if a
    warnings filter turns it into an exception. The process-wide warnings
    filters are left alone (``warnings.catch_warnings`` is not thread-safe,
    and Streamlit runs sessions in threads).

    Examples
    --------
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("L", (4, 2), color=255).save(buffer, format="PNG")
    >>> loaded = load_image(buffer.getvalue(), mode="gray")
    >>> loaded.pixels.shape, loaded.pixels.dtype.name, float(loaded.pixels.max())
    ((2, 4), 'float32', 1.0)
    """
    data = _check_load_arguments(data, mode, max_bytes, max_pixels, max_side)
    notes: list[str] = []
    image = _open(data, max_pixels)
    stored = (image.height, image.width)  # (rows, cols) from the header
    image = _decode(image, max_side, max_pixels, notes)
    original = _oriented_size(stored, image)  # EXIF is read only after a complete decode
    file_format = image.format or _format_of(data) or "unknown"
    image = _apply_orientation(image, notes)
    pixels, is_color = _float_pixels(image, original, max_side, notes)  # (H, W) or (H, W, 3)
    if mode == "gray" and is_color:
        pixels = to_gray(pixels)
    elif mode == "rgb" and not is_color:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)  # (H, W, 3)
        notes.append("grayscale picture: its three colour channels are equal")
    downscaled = pixels.shape[:2] != original
    if downscaled:
        notes.append(
            f"downscaled from {original[0]}×{original[1]} to "
            f"{pixels.shape[0]}×{pixels.shape[1]} (rows×columns)"
        )
    pixels = np.clip(pixels, 0.0, 1.0, out=pixels)
    pixels.flags.writeable = False
    return LoadedImage(pixels, original, downscaled, file_format, tuple(notes))


def _check_load_arguments(data, mode, max_bytes, max_pixels, max_side) -> bytes:
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"`data` must be the file's bytes; got {type(data).__name__}")
    if mode not in ("rgb", "gray"):
        raise ValueError(f"`mode` must be 'rgb' or 'gray'; got {mode!r}")
    for value, name in ((max_bytes, "max_bytes"), (max_pixels, "max_pixels")):
        if not _is_positive_int(value):
            raise ValueError(f"`{name}` must be a positive integer; got {value!r}")
    if max_side is not None and not _is_positive_int(max_side):
        raise ValueError(f"`max_side` must be a positive integer or None; got {max_side!r}")
    if not data:
        raise EmptyImageError(
            "The file is empty (0 bytes). Choose a picture file such as a PNG or JPEG photo."
        )
    if len(data) > max_bytes:
        size, limit = _over_the_limit(len(data), max_bytes, _BYTE_UNITS)
        raise ImageTooLargeError(
            f"The file is {size}; the limit is {limit}. "
            "Use a smaller picture, for example a photo exported at a lower resolution."
        )
    return data


def _is_positive_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


_BYTE_UNITS = ((2**20, "MB"), (2**10, "KB"), (1, "bytes"))  # binary, as Streamlit counts
_PIXEL_UNITS = ((10**6, "megapixels"), (1, "pixels"))


def _limit_text(limit: int, units) -> tuple[str, int, str]:
    """Write a limit as ``(text, unit size, unit name)``.

    The largest unit that states it exactly with at most three decimals
    (``"20 MB"``, ``"40 megapixels"``), else the count in the smallest unit
    (``"89,478,485 pixels"``).
    """
    for size, name in units:
        if limit >= size and (limit * 1000) % size == 0:
            return f"{limit / size:,.3f}".rstrip("0").rstrip(".") + f" {name}", size, name
    size, name = units[-1]
    return f"{limit:,} {name}", size, name


def _over_the_limit(amount: int, limit: int, units) -> tuple[str, str]:
    """Texts for an ``amount`` over a ``limit`` in which the amount reads as larger.

    The limit is written as :func:`_limit_text` does; the amount in the same
    unit with one to three decimals, as few as make it visibly larger
    (``20.001 MB`` against ``20 MB``). When even three are not enough (20 MB
    and one byte), both are written exactly in the smallest unit, the limit's
    round form after it: ``20,971,521 bytes`` against ``20,971,520 bytes (20 MB)``.
    """
    limit_text, size, name = _limit_text(limit, units)
    smallest = units[-1][1]
    if size == 1:
        return f"{amount:,} {smallest}", limit_text
    for decimals in (1, 2, 3):
        shown = f"{amount / size:,.{decimals}f}"
        if float(shown.replace(",", "")) * size > limit:
            return f"{shown} {name}", limit_text
    return f"{amount:,} {smallest}", f"{limit:,} {smallest} ({limit_text})"


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only, and refuse too many pixels before any decoding."""
    try:
        image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _bomb(exc, max_pixels) from None
    except UnidentifiedImageError:
        raise _unidentified(data) from None
    except Exception as exc:  # a damaged header that a plugin choked on
        raise _damaged(_format_of(data)) from exc
    cols, rows = image.size
    max_pixels = _pixel_limit(max_pixels)
    if rows * cols > max_pixels:
        count, limit = _over_the_limit(rows * cols, max_pixels, _PIXEL_UNITS)
        raise ImageTooLargeError(
            f"The picture is {rows}×{cols} pixels ({count}); the limit is {limit}. "
            "Use a smaller picture."
        )
    if rows == 0 or cols == 0:
        raise _damaged(_format_of(data))
    return image


def _pixel_limit(max_pixels: int) -> int:
    """The pixel cap in force: Pillow only warns above its own limit, so refuse there too."""
    if Image.MAX_IMAGE_PIXELS:
        return min(max_pixels, int(Image.MAX_IMAGE_PIXELS))
    return max_pixels


def _bomb(exc: Exception, max_pixels: int) -> ImageTooLargeError:
    """Pillow's decompression-bomb check fired: say how many pixels were declared."""
    max_pixels = _pixel_limit(max_pixels)
    found = re.search(r"\((\d+) pixels\)", str(exc))
    if found and int(found.group(1)) > max_pixels:
        declared, limit = _over_the_limit(int(found.group(1)), max_pixels, _PIXEL_UNITS)
    else:
        declared, limit = "far too many pixels", _limit_text(max_pixels, _PIXEL_UNITS)[0]
    return ImageTooLargeError(
        f"The picture declares {declared}; the limit is {limit} "
        "(a small file can describe a huge picture). Use a smaller picture."
    )


_MAGIC = {  # prefix -> format, for formats we decode
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}


def _format_of(data: bytes) -> str | None:
    """Name the decodable format the bytes claim to be, judging by their first bytes."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:2] == b"BM" and data[6:10] == b"\x00\x00\x00\x00":  # reserved bytes are zero
        return "BMP"
    return next((fmt for magic, fmt in _MAGIC.items() if data.startswith(magic)), None)


def _damaged(kind: str | None) -> CorruptImageError:
    what = f"a {kind} image" if kind else "an image"
    return CorruptImageError(
        f"The file looks like {what} but is truncated or damaged, so it cannot be read. "
        "Try saving or exporting the picture again."
    )


def _unidentified(data: bytes) -> ImageLoadError:
    """Build the most helpful error for bytes Pillow did not recognise."""
    if _format_of(data):
        return _damaged(_format_of(data))
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = head.lower()
    if head.startswith(b"%PDF"):
        reason = "This is a PDF document, not a picture. Export the page as PNG or JPEG."
    elif lower.startswith(b"<svg") or (lower.startswith(b"<?xml") and b"<svg" in lower):
        reason = (
            "SVG drawings are not supported: they describe shapes, not pixels. "
            "Export the drawing as PNG."
        )
    elif data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"avif", b"msf1"):
        reason = (
            "HEIC/AVIF photos (common on iPhones) are not supported here. "
            "Convert the photo to JPEG or PNG first."
        )
    elif _looks_like_text(head):
        reason = "This file contains text, not a picture (was a text file given an image name?)."
    else:
        reason = "This file is not a picture in a format this app can read."
    return UnsupportedImageError(f"{reason} Supported formats: {_FORMAT_LIST}.")


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * max(len(text), 1)


def _oriented_size(stored: tuple[int, int], image: Image.Image) -> tuple[int, int]:
    """``(rows, cols)`` as the student will see it, after EXIF rotation."""
    rows, cols = stored
    return (cols, rows) if _orientation(image) in (5, 6, 7, 8) else (rows, cols)


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)  # EXIF "Orientation" tag
    except Exception:  # unreadable EXIF: show the pixels as stored
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _decode(image, max_side, max_pixels, notes: list[str]) -> Image.Image:
    """Decode the first frame's pixels (reduced in JPEG draft mode when possible).

    Nothing may read the image before this (PNG's ``getexif()`` loads the
    pixels and swallows errors, which would hide a damaged file).
    """
    try:
        frames = getattr(image, "n_frames", 1)
        if frames > 1:
            image.seek(0)
            if image.format == "TIFF":
                notes.append(f"first page of a multi-page TIFF ({frames} pages)")
            else:
                notes.append(f"first frame of an animated {image.format} ({frames} frames)")
        if image.format == "JPEG" and max_side is not None:
            rows, cols = _target_size(image.height, image.width, max_side)
            if (rows, cols) != (image.height, image.width):
                image.draft(None, (cols, rows))  # decodes at 1/2, 1/4 or 1/8 scale, never below
        image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _bomb(exc, max_pixels) from None
    except Exception as exc:  # truncated data, broken chunks, decoder errors
        raise _damaged(image.format) from exc
    return image


def _apply_orientation(image: Image.Image, notes: list[str]) -> Image.Image:
    orientation = _orientation(image)
    if orientation == 1:
        return image
    try:
        turned = ImageOps.exif_transpose(image)
    except Exception:
        notes.append("the photo's EXIF orientation could not be applied; shown as stored")
        return image
    notes.append("rotated according to the photo's EXIF orientation")
    return turned


def _float_pixels(image, original, max_side, notes) -> tuple[np.ndarray, bool]:
    """Pixels as float32 in [0, 1], downscaled; and whether they are in colour."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        gray = _high_bit_depth(image, notes)  # (H, W) at full resolution
        if max_side is not None:
            gray = resize_image(gray, max_side)
        return gray, False
    image = _eight_bit(image, notes)  # mode "L" or "RGB"
    if max_side is not None:
        rows, cols = _target_size(*original, max_side)
        if (rows, cols) != (image.height, image.width):
            image = image.resize((cols, rows), Image.Resampling.BOX)
    pixels = np.asarray(image, dtype=np.float32) / np.float32(255)  # (H, W) or (H, W, 3)
    return pixels, image.mode == "RGB"


def _eight_bit(image: Image.Image, notes: list[str]) -> Image.Image:
    """Convert any 8-bit mode to "L" or "RGB", compositing transparency onto white."""
    mode = image.mode
    if mode == "P":
        transparent = "transparency" in image.info or image.palette.mode == "RGBA"
        image = image.convert("RGBA" if transparent else "RGB")
    elif mode == "PA":
        image = image.convert("RGBA")
    elif mode == "1":
        image = image.convert("L")
    elif mode == "CMYK":
        notes.append("CMYK (print) colours converted to RGB; colours are approximate")
        image = image.convert("RGB")
    elif mode in ("L", "RGB") and "transparency" in image.info:  # one colour marked transparent
        image = image.convert("LA" if mode == "L" else "RGBA")
    elif mode not in ("L", "LA", "La", "RGB", "RGBA", "RGBa"):
        notes.append(f"colour mode {mode} converted to RGB")
        image = image.convert("RGB")
    if image.mode in ("LA", "La", "RGBA", "RGBa"):
        image = _flatten_alpha(image, notes)
    return image


def _flatten_alpha(image: Image.Image, notes: list[str]) -> Image.Image:
    gray = image.mode in ("LA", "La")
    rgba = image.convert("RGBA")
    if rgba.getextrema()[3][0] < 255:
        notes.append("transparent areas shown on white")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(white, rgba).convert("RGB")
    return flat.convert("L") if gray else flat  # equal channels: L is exact


def _high_bit_depth(image: Image.Image, notes: list[str]) -> np.ndarray:
    """16-bit, 32-bit integer and float images as float32 (H, W) in [0, 1]."""
    values = np.asarray(image)  # (H, W)
    if image.mode.startswith("I;16"):
        notes.append("16-bit image scaled to 0–1")
        return values.astype(np.float32) / np.float32(65535)
    values = values.astype(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        notes.append(f"{int(bad.sum())} pixels were not numbers (NaN or infinite); shown as 0")
        values[bad] = 0.0
    low, high = float(values.min()), float(values.max())
    if image.mode == "I" and low >= 0 and high <= 65535:
        notes.append("integer image with values 0–65535, scaled as 16-bit to 0–1")
        return (values / 65535).astype(np.float32)
    if image.mode == "F" and low >= 0 and high <= 1:
        return values.astype(np.float32)
    kind = "integer" if image.mode == "I" else "floating-point"
    if high == low:
        notes.append(f"{kind} image with a single value {low:g}; shown as mid-gray")
        return np.full(values.shape, 0.5, dtype=np.float32)
    notes.append(f"{kind} values from {low:g} to {high:g} stretched to 0–1")
    return ((values - low) / (high - low)).astype(np.float32)


# --------------------------------------------------------------------------- resizing


def _target_size(rows: int, cols: int, max_side: int) -> tuple[int, int]:
    """Size with the longer side at most ``max_side``, same aspect, never upscaled."""
    longest = max(rows, cols)
    if longest <= max_side:
        return rows, cols
    scale = max_side / longest
    return max(1, math.floor(rows * scale + 0.5)), max(1, math.floor(cols * scale + 0.5))


def _area_weights(n_out: int, n_in: int) -> sparse.csr_array:
    """``(n_out, n_in)`` matrix: each output pixel averages the input area it covers."""
    scale = n_in / n_out  # input pixels per output pixel (> 1)
    start = np.arange(n_out) * scale  # (n_out,) left edge of each footprint
    stop = start + scale
    span = math.ceil(scale) + 1
    cols = np.floor(start).astype(np.int64)[:, None] + np.arange(span)[None, :]  # (n_out, span)
    overlap = np.minimum(cols + 1, stop[:, None]) - np.maximum(cols, start[:, None])
    keep = (overlap > 0) & (cols < n_in)
    rows = np.broadcast_to(np.arange(n_out)[:, None], cols.shape)
    weights = (overlap[keep] / scale).astype(np.float32)  # float32 keeps the product float32
    return sparse.csr_array((weights, (rows[keep], cols[keep])), shape=(n_out, n_in))


def resize_image(pixels, max_side: int) -> np.ndarray:
    """Shrink an image so its longer side is at most ``max_side`` (area averaging).

    Parameters
    ----------
    pixels : array_like
        ``(H, W)`` or ``(H, W, C)`` numbers.
    max_side : int
        Largest allowed rows or cols. Images already small enough are
        returned unchanged (as float32): this never upscales.

    Returns
    -------
    numpy.ndarray
        float32 ``(H', W')`` or ``(H', W', C)`` with ``max(H', W') <= max_side``
        and the aspect ratio kept (each side at least 1).

    Notes
    -----
    Output pixel ``i`` along an axis of length ``n`` shrunk to ``m`` covers the
    input interval ``[i*n/m, (i+1)*n/m)``; its value is the average of the
    input pixels weighted by how much of each lies in that interval. Rows and
    columns are done one after the other (the filter is separable). The
    weights form a sparse ``(m, n)`` matrix, so the cost is proportional to
    the number of input pixels. (Pillow's ``BOX`` filter is close to this but
    gives each input pixel all or nothing, by where its centre falls.)

    Examples
    --------
    >>> resize_image(np.array([[0, 1, 2, 3], [4, 5, 6, 7]]), 2).tolist()
    [[2.5, 4.5]]
    """
    if not _is_positive_int(max_side):
        raise ValueError(f"`max_side` must be a positive integer; got {max_side!r}")
    array = np.asarray(pixels)
    if array.ndim not in (2, 3) or array.size == 0:
        raise ValueError(
            f"`pixels` must be a non-empty (H, W) or (H, W, C) image; got shape {array.shape}"
        )
    array = np.asarray(array, dtype=np.float32)
    rows, cols = array.shape[:2]
    out_rows, out_cols = _target_size(rows, cols, max_side)
    if (out_rows, out_cols) == (rows, cols):
        return array.copy()
    depth = array.shape[2:]  # () or (C,)
    flat = array.reshape(rows, -1)  # (H, W*C)
    if out_rows != rows:
        flat = _area_weights(out_rows, rows) @ flat  # (H', W*C)
    if out_cols != cols:
        per_col = flat.reshape(out_rows, cols, -1).transpose(1, 0, 2).reshape(cols, -1)
        per_col = _area_weights(out_cols, cols) @ per_col  # (W', H'*C)
        flat = per_col.reshape(out_cols, out_rows, -1).transpose(1, 0, 2)
    return np.ascontiguousarray(flat, dtype=np.float32).reshape(out_rows, out_cols, *depth)


def to_gray(pixels) -> np.ndarray:
    """Luma of an RGB image (ITU-R BT.601): ``0.299 R + 0.587 G + 0.114 B``.

    Parameters
    ----------
    pixels : array_like
        ``(H, W, 3)`` RGB, or ``(H, W)`` (already gray: returned as a copy).

    Returns
    -------
    numpy.ndarray
        ``(H, W)``; float64 stays float64, anything else becomes float32.

    Examples
    --------
    >>> to_gray(np.ones((1, 2, 3), dtype=np.float32)).round(6).tolist()
    [[1.0, 1.0]]
    """
    array = np.asarray(pixels)
    dtype = np.float64 if array.dtype == np.float64 else np.float32
    if array.ndim == 2:
        return array.astype(dtype, copy=True)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"`pixels` must be (H, W, 3) RGB or (H, W) gray; got shape {array.shape}")
    weights = np.asarray(BT601, dtype=dtype)
    return array.astype(dtype, copy=False) @ weights  # (H, W)


# --------------------------------------------------------------------------- samples

_SAMPLES = (
    SampleImage(
        "grace_hopper",
        "Grace Hopper",
        ASSETS / "grace_hopper.jpg",
        "U.S. Navy portrait of Rear Admiral Grace Hopper, via matplotlib's sample data",
        "Public domain (work of the U.S. federal government)",
    ),
    SampleImage(
        "astronaut",
        "Astronaut Eileen Collins",
        ASSETS / "astronaut.jpg",
        "NASA, via scikit-image's sample data",
        "Public domain",
    ),
    SampleImage(
        "coffee",
        "Coffee cup",
        ASSETS / "coffee.jpg",
        "Rachel Michetti, courtesy of Pikolo Espresso Bar, via scikit-image's sample data",
        "CC0 1.0",
    ),
    SampleImage(
        "chelsea",
        "Chelsea the cat",
        ASSETS / "chelsea.jpg",
        "Stefan van der Walt, via scikit-image's sample data",
        "CC0 1.0",
    ),
    SampleImage(
        "camera",
        "Cameraman (grayscale)",
        ASSETS / "camera.png",
        "Lav Varshney, via scikit-image's sample data",
        "CC0 1.0",
    ),
)


def sample_images() -> tuple[SampleImage, ...]:
    """List the bundled sample photographs, the default one first.

    Examples
    --------
    >>> [s.key for s in sample_images()][:2]
    ['grace_hopper', 'astronaut']
    """
    return _SAMPLES


def load_sample(key: str, *, mode: str = "rgb", max_side: int | None = 1024) -> LoadedImage:
    """Load a bundled sample photograph by its key (see :func:`sample_images`).

    Raises
    ------
    ValueError
        If ``key`` is not a sample's key.
    """
    by_key = {sample.key: sample for sample in _SAMPLES}
    if key not in by_key:
        raise ValueError(f"`key` must be one of {', '.join(by_key)}; got {key!r}")
    data = by_key[key].path.read_bytes()
    return load_image(data, mode=mode, max_side=max_side)


# --------------------------------------------------------------------------- synthetic

SYNTHETIC_IMAGES: dict[str, str] = {
    "checkerboard": "8×8 black and white squares: edges in both directions and corners.",
    "vertical_step": "Dark left half, bright right half: one vertical edge.",
    "horizontal_step": "Dark top half, bright bottom half: one horizontal edge.",
    "disk": "A bright disk on black: edges in every direction.",
    "stripes": "Vertical bright and dark stripes: many vertical edges.",
    "diagonal_stripes": "Diagonal stripes: edges that are neither vertical nor horizontal.",
    "gradient": "Brightness rising smoothly from left to right: no edges at all.",
    "square": "A bright square on a dark background: four straight edges and four corners.",
}


def synthetic_image(name: str, size: int = 64) -> np.ndarray:
    """Make a simple black-and-white teaching pattern.

    Parameters
    ----------
    name : str
        One of :data:`SYNTHETIC_IMAGES`.
    size : int, optional
        Rows and cols of the square image, 2 to 4096 (default 64).

    Returns
    -------
    numpy.ndarray
        float32 ``(size, size)`` with values in [0, 1]; the same every call.

    Examples
    --------
    >>> synthetic_image("vertical_step", size=4).tolist()
    [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]
    """
    if name not in SYNTHETIC_IMAGES:
        raise ValueError(f"`name` must be one of {', '.join(SYNTHETIC_IMAGES)}; got {name!r}")
    if not _is_positive_int(size) or not 2 <= size <= 4096:
        raise ValueError(f"`size` must be an integer from 2 to 4096; got {size!r}")
    rows, cols = np.indices((size, size))  # (size, size) each
    cell = max(1, size // 8)  # squares and stripes: 8 across the image
    centre = (size - 1) / 2
    inner = (size // 4 <= rows) & (rows < size - size // 4)
    patterns = {
        "checkerboard": lambda: (rows // cell + cols // cell) % 2,
        "vertical_step": lambda: cols >= size // 2,
        "horizontal_step": lambda: rows >= size // 2,
        "disk": lambda: (rows - centre) ** 2 + (cols - centre) ** 2 <= (0.35 * size) ** 2,
        "stripes": lambda: (cols // cell) % 2,
        "diagonal_stripes": lambda: ((rows + cols) // cell) % 2,
        "gradient": lambda: cols / (size - 1),
        "square": lambda: inner & inner.T,
    }
    return np.asarray(patterns[name](), dtype=np.float32)  # (size, size)
