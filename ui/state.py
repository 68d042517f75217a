"""Session-state keys, defaults and the image every lesson shares.

Keys are namespaced by the part of the app that owns them ("source.kind",
"conv.kernel"). The sidebar (``ui.widgets.select_image``) builds one
:class:`SourceImage` per rerun and stores it under ``CURRENT_IMAGE``; every
lesson reads it with :func:`current_image`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

import vizlib

__all__ = ["CURRENT_IMAGE", "DEFAULTS", "SourceImage", "current_image", "default"]

CURRENT_IMAGE = "source.current"

#: Defaults of the shared controls. The working resolution keeps every
#: interaction fast on a 2-core server while photos stay recognisable.
DEFAULTS = {
    "source.kind": "Sample photo",
    "source.color": "Grayscale",
    "source.max_side": 256,
    "source.synthetic": "checkerboard",
}

RESOLUTIONS = (32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)


def default(key: str):
    """The default value of a shared control."""
    return DEFAULTS[key]


@dataclass(frozen=True, eq=False)
class SourceImage:
    """The image all lessons work on, at the working resolution.

    Attributes
    ----------
    pixels : ndarray, shape (H, W) or (H, W, 3), float32
        Values in [0, 1], except the tutorial grid, which keeps its integers.
    key : str
        Identifies the content (source, colour mode, resolution) for caches.
    label : str
        Plain text for captions (never rendered as HTML).
    original_size : (rows, cols)
        Size before the working-resolution resize.
    notes : tuple of str
        What loading did (EXIF rotation, transparency, downscaling, ...).
    """

    pixels: np.ndarray
    key: str
    label: str
    original_size: tuple[int, int]
    notes: tuple[str, ...] = ()
    is_grid: bool = False

    @property
    def is_rgb(self) -> bool:
        return self.pixels.ndim == 3

    @property
    def shape(self) -> tuple[int, ...]:
        return self.pixels.shape

    @property
    def gray(self) -> np.ndarray:
        """(H, W) luminance (ITU-R BT.601), or the pixels if already gray."""
        if self.pixels.ndim == 2:
            return self.pixels
        return vizlib.images.to_gray(self.pixels)

    @property
    def chw(self) -> np.ndarray:
        """(C, H, W) layout as PyTorch expects (C = 1 or 3)."""
        if self.pixels.ndim == 2:
            return self.pixels[None]
        return np.moveaxis(self.pixels, -1, 0)

    def size_text(self) -> str:
        rows, cols = self.pixels.shape[:2]
        text = f"{rows}×{cols}"
        if self.is_rgb:
            text += "×3"
        if (rows, cols) != tuple(self.original_size):
            text += f" (original {self.original_size[0]}×{self.original_size[1]})"
        return text


def current_image() -> SourceImage:
    """The image chosen in the sidebar for this rerun.

    Raises
    ------
    RuntimeError
        If called before the sidebar ran (a page run on its own).
    """
    image = st.session_state.get(CURRENT_IMAGE)
    if image is None:
        raise RuntimeError("No image selected yet: run the app through app.py")
    return image
