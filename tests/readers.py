"""Read what a page shows out of an AppTest run (for elements AppTest has no shortcut for)."""

from __future__ import annotations


def image_captions(at) -> list[str]:
    """Every picture's caption, in page order (``st.image`` sends a list per call)."""
    return [img.caption for element in at.get("image") for img in element.proto.imgs]


def scale_captions(at) -> list[str]:
    """The colour-scale part of every map caption (``panels.show_map``), in page order.

    As ``panels.scale_caption`` wrote it ("colour scale: …"); the caption starts it
    with a capital letter after the map's name, shape, min and max.
    """
    parts = [c.split(". Colour scale: ", 1) for c in image_captions(at)]
    return ["colour scale: " + p[1] for p in parts if len(p) == 2]
