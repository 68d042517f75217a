"""Sidebar and shared controls. ``select_*`` helpers return plain values.

The image source is shared by every lesson: :func:`select_image` draws it in
the sidebar, stores the resulting :class:`~ui.state.SourceImage` for the pages
and returns it. A failed upload shows vizlib's message and keeps the last
image that loaded.

The upload box has no ``type=`` filter on purpose: Streamlit's browser side
refuses a file by its name alone and then keeps that refused file in the box,
with its own message, next to whatever the student uploads later; the app is
never told. Every file is sent instead, and vizlib, which decides by the
bytes, says what is wrong with the one in the box ("SVG drawings are not
supported ...", "This is a PDF document ..."). The size cap stays in the
browser (``max_upload_size``), so a file too large is never sent.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

import vizlib
from ui import cached, md
from ui.state import CURRENT_IMAGE, DEFAULTS, RESOLUTIONS, SourceImage

__all__ = ["SOURCE_KINDS", "UPLOAD_LIMIT_MB", "select_image"]

SOURCE_KINDS = ("Sample photo", "Upload", "Webcam", "Tutorial 5×5 grid", "Synthetic")
#: The browser's cap on one upload. vizlib.load_image's max_bytes is 20 × 2**20 bytes;
#: Streamlit's browser side counts this many MB as 20 × 1000**2 bytes (20 × 2**20 on
#: Windows), never more than vizlib accepts.
UPLOAD_LIMIT_MB = 20
_LAST_GOOD = "source.last_good"  # {"Upload": bytes, "Webcam": bytes}: the last that loaded


def _init_defaults() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


def _from_loaded(loaded: vizlib.LoadedImage, key: str, label: str, max_side: int) -> SourceImage:
    pixels = cached.working_pixels(key, max_side, loaded.pixels)
    notes = list(loaded.notes)
    if pixels.shape[:2] != loaded.pixels.shape[:2]:
        notes.append(
            f"working size {pixels.shape[0]}×{pixels.shape[1]} "
            f"(change it with “Working resolution”)"
        )
    return SourceImage(
        pixels=pixels,
        key=f"{key}|{max_side}",
        label=label,
        original_size=tuple(loaded.original_size),
        notes=tuple(notes),
    )


def _sample(mode: str, max_side: int) -> SourceImage:
    samples = vizlib.sample_images()
    titles = {s.key: s.title for s in samples}
    key = st.sidebar.selectbox(
        "Photo", list(titles), format_func=titles.__getitem__, key="source.sample"
    )
    loaded = cached.load_sample(key, mode)
    return _from_loaded(loaded, f"sample:{key}:{mode}", titles[key], max_side)


def _bytes_source(kind: str, data: bytes | None, mode: str, max_side: int) -> SourceImage | None:
    """Decode an upload or snapshot; on failure fall back to the last good one."""
    last_good = st.session_state.setdefault(_LAST_GOOD, {})
    if data is not None:
        try:
            loaded = cached.load_upload(data, mode)
        except vizlib.ImageLoadError as exc:
            st.sidebar.error(f"That file could not be used: {exc}")
            if kind in last_good:
                st.sidebar.caption("Still showing the last image that loaded.")
        else:
            last_good[kind] = data
            d = hashlib.blake2b(data, digest_size=16).hexdigest()
            label = "Your upload" if kind == "Upload" else "Webcam snapshot"
            return _from_loaded(loaded, f"{kind}:{d}:{mode}", label, max_side)
    if kind in last_good:
        data = last_good[kind]
        d = hashlib.blake2b(data, digest_size=16).hexdigest()
        label = "Your upload" if kind == "Upload" else "Webcam snapshot"
        return _from_loaded(cached.load_upload(data, mode), f"{kind}:{d}:{mode}", label, max_side)
    return None


def _synthetic(max_side: int) -> SourceImage:
    names = list(vizlib.images.SYNTHETIC_IMAGES)
    name = st.sidebar.selectbox(
        "Pattern",
        names,
        key="source.synthetic",
        format_func=lambda n: n.replace("_", " "),
        help="Simple shapes make it easy to see what each kernel responds to.",
    )
    st.sidebar.caption(vizlib.images.SYNTHETIC_IMAGES[name])
    size = min(max_side, 128)
    pixels = vizlib.synthetic_image(name, size=size)
    return SourceImage(pixels, f"synthetic:{name}:{size}", name.replace("_", " "), (size, size))


def _grid() -> SourceImage:
    pixels = np.asarray(vizlib.TUTORIAL_GRID, dtype=np.float64)  # (5, 5), values 0–8
    return SourceImage(pixels, "tutorial-grid", "Tutorial 5×5 grid", (5, 5), is_grid=True)


def select_image() -> SourceImage:
    """Draw the image-source controls in the sidebar and return the image.

    The result is also stored in ``st.session_state["source.current"]`` for
    the lesson pages (:func:`ui.state.current_image`).
    """
    _init_defaults()
    side = st.sidebar
    side.markdown("## Image")  # a markdown heading costs the browser less than st.header
    kind = side.selectbox("Source", SOURCE_KINDS, key="source.kind")
    fixed = kind in ("Tutorial 5×5 grid", "Synthetic")
    mode_label = side.radio(
        "Colour",
        ("Grayscale", "RGB"),
        key="source.color",
        horizontal=True,
        disabled=fixed,
        help="RGB keeps three channels (see “Volumes and filters”).",
    )
    mode = "rgb" if mode_label == "RGB" and not fixed else "gray"
    max_side = side.select_slider(
        "Working resolution (longest side, px)",
        RESOLUTIONS,
        key="source.max_side",
        disabled=kind == "Tutorial 5×5 grid",
        help="Photos are scaled down to this size before any computation. "
        "Smaller is faster and makes single pixels visible.",
    )

    image: SourceImage | None
    if kind == "Sample photo":
        image = _sample(mode, max_side)
    elif kind == "Upload":
        upload = side.file_uploader(
            "Upload an image",
            key="source.upload",
            max_upload_size=UPLOAD_LIMIT_MB,
            help=f"PNG, JPEG, GIF, BMP, WebP or TIFF, up to {UPLOAD_LIMIT_MB} MB.",
        )
        data = None if upload is None else upload.getvalue()
        image = _bytes_source("Upload", data, mode, max_side)
    elif kind == "Webcam":
        snap = side.camera_input("Take a snapshot", key="source.camera")
        image = _bytes_source("Webcam", None if snap is None else snap.getvalue(), mode, max_side)
    elif kind == "Synthetic":
        image = _synthetic(max_side)
    else:
        image = _grid()

    if image is None:
        side.info("No image yet: showing the first sample photo until one loads.")
        first = vizlib.sample_images()[0]
        image = _from_loaded(
            cached.load_sample(first.key, mode), f"sample:{first.key}:{mode}", first.title, max_side
        )
    lines = [f"{image.label}: {image.size_text()}"] + [f"• {note}" for note in image.notes]
    side.caption("  \n".join(md.escape(line) for line in lines))  # one element, one line each
    st.session_state[CURRENT_IMAGE] = image
    return image
