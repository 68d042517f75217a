"""Feature-map pictures: colour limits (max or boosted 99th percentile), colour bars, captions.

References are computed here with NumPy (``np.percentile``, ``np.max``) and
compared with what the picture and its captions carry.
"""

import io

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.readers import image_captions, scale_captions
from ui import panels, render
from vizlib.conv import format_number as fmt


def _photo_like_map(seed: int = 0) -> np.ndarray:
    """A map like a photo's edge response: mostly small values, a few strong edges."""
    rng = np.random.default_rng(seed)
    values = rng.laplace(0.0, 0.5, size=(60, 50))  # (H, W)
    values[10, 5:20] = 40.0  # one strong edge (15 of 3000 cells) sets max|value|
    values[30, 5:12] = -25.0
    return values


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGBA"))


@pytest.mark.parametrize("view", ["signed", "abs", "relu"])
def test_colour_limit_is_max_or_99th_percentile(view):
    values = _photo_like_map()
    shown = panels.view_values(values, view)
    top = np.max(np.abs(shown))
    p99 = np.percentile(np.abs(shown), 99)
    assert p99 < top / 4  # the case this is for: a few strong values wash the rest out

    plain = panels.map_picture(values, view=view)
    boosted = panels.map_picture(values, view=view, boost=True)
    assert plain.vmax == pytest.approx(top, rel=0, abs=0)
    assert boosted.vmax == pytest.approx(p99, rel=0, abs=0)
    if view == "signed":
        assert (plain.vmin, boosted.vmin) == (-plain.vmax, -boosted.vmax)
    else:
        assert (plain.vmin, boosted.vmin) == (0.0, 0.0)
    assert panels.color_limit(values, view, boost=True) == boosted.vmax
    assert panels.color_limit(values, view, boost=False) == plain.vmax


def test_boosted_picture_saturates_exactly_the_values_beyond_the_limit():
    values = _photo_like_map(1)
    lim = np.percentile(np.abs(values), 99)
    pic = panels.map_picture(values, boost=True)
    rgb = _pixels(pic.png)[..., :3]
    block = rgb.shape[0] // values.shape[0]  # small maps are enlarged by whole pixels
    cells = rgb[::block, ::block]  # (H, W, 3): one pixel per map cell
    assert cells.shape[:2] == values.shape
    table = render.lut(pic.cmap)
    top_colour = np.all(cells == table[255], axis=-1)
    bottom_colour = np.all(cells == table[0], axis=-1)
    np.testing.assert_array_equal(top_colour, values >= lim)
    # the lowest colour also holds the first 1/255 of the scale (the LUT index is floored)
    assert bottom_colour[values <= -lim].all()
    assert (values[bottom_colour] < -lim + 2 * lim / 255).all()
    # about 1 % of the cells saturate, by the definition of the 99th percentile
    assert 0.005 <= (top_colour | bottom_colour).mean() <= 0.02


def test_boost_keeps_the_maximum_when_the_percentile_is_zero():
    sparse = np.zeros((40, 40))
    sparse[3, 4], sparse[20, 7] = 5.0, -2.0  # 99 % of |value| is 0
    assert np.percentile(np.abs(sparse), 99) == 0
    assert panels.map_picture(sparse, boost=True).vmax == 5.0
    flat = np.full((8, 8), 3.0)  # percentile == max: nothing to boost
    assert panels.map_picture(flat, boost=True).vmax == 3.0


def test_shared_vlim_wins_over_boost():
    values = _photo_like_map()
    pic = panels.map_picture(values, vlim=50.0, boost=True)
    assert (pic.vmin, pic.vmax) == (-50.0, 50.0)


def test_shared_limit_over_several_maps():
    a, b = _photo_like_map(2), 0.1 * _photo_like_map(3)
    both = np.stack([a, b])  # (2, H, W)
    assert panels.color_limit(both, boost=True) == np.percentile(np.abs(both), 99)
    assert panels.color_limit(both, boost=False) == np.max(np.abs(both))


def test_captions_say_where_colours_saturate_and_the_true_maximum():
    values = _photo_like_map()
    top = np.max(np.abs(values))
    p99 = np.percentile(np.abs(values), 99)

    boosted = panels.scale_caption(
        values, panels.map_picture(values, boost=True), "signed", shared=False
    )
    assert f"≤ {fmt(-p99)} ← 0 → ≥ {fmt(p99)}" in boosted
    assert f"colours saturate beyond ±{fmt(p99)} (99th percentile of |value|" in boosted
    assert f"the max |value| is {fmt(top)}" in boosted

    plain = panels.scale_caption(values, panels.map_picture(values), "signed", shared=False)
    assert plain == f"colour scale: {fmt(-top)} ← 0 → {fmt(top)} (white = 0)"

    relu = panels.view_values(values, "relu")
    r99 = np.percentile(relu, 99)
    text = panels.scale_caption(
        values, panels.map_picture(values, view="relu", boost=True), "relu", shared=False
    )
    assert f"colour scale: 0 (dark) → ≥ {fmt(r99)} (bright);" in text  # 0 never saturates
    assert f"saturate beyond {fmt(r99)} (" in text
    assert f"the max |value| is {fmt(relu.max())}" in text


def test_colour_bar_ends_point_where_values_saturate():
    table = render.lut("RdBu_r")
    plain = _pixels(panels.colorbar_png("RdBu_r"))
    assert plain.shape == (14, 256, 4) and np.all(plain[..., 3] == 255)

    both = _pixels(panels.colorbar_png("RdBu_r", low=True, high=True))  # (14, 10+256+10, 4)
    assert both.shape == (14, 276, 4)
    np.testing.assert_array_equal(both[7, 10:266, :3], table)  # the strip itself
    assert both[0, 0, 3] == 0 and both[0, -1, 3] == 0  # corners: transparent
    np.testing.assert_array_equal(both[7, 0, :3], table[0])  # the tips: the end colours
    np.testing.assert_array_equal(both[7, -1, :3], table[255])
    assert both[7, 0, 3] == 255

    high = _pixels(panels.colorbar_png("RdBu_r", high=True))
    assert high.shape == (14, 266, 4)
    np.testing.assert_array_equal(high[7, :256, :3], table)


def test_map_picture_carries_its_colour_bar_underneath():
    """show_map's one picture: the map's own pixels on top, the colour bar below it."""
    values = _photo_like_map()  # (60, 50): enlarged ×6 to 360×300
    table = render.lut("RdBu_r")
    plain = _pixels(panels.map_picture(values).png)  # the map alone
    pic = panels.map_picture(values, boost=True, colorbar=True)
    both = _pixels(pic.png)
    h, w = plain.shape[:2]
    assert both.shape[1] == w and both.shape[0] > h
    boosted = _pixels(panels.map_picture(values, boost=True).png)
    np.testing.assert_array_equal(both[:h], boosted)  # the map itself is unchanged
    assert np.all(both[:h, :, 3] == 255)
    bar = both[h:]
    assert np.all(bar[0, :, 3] == 0)  # a transparent gap first
    middle = bar[(bar[..., 3] == 255).any(axis=1)]  # rows of the bar
    row = middle[len(middle) // 2]
    opaque = np.flatnonzero(row[:, 3] == 255)
    assert row[opaque[0], :3].tolist() == table[0].tolist()  # left end: vmin's colour
    assert row[opaque[-1], :3].tolist() == table[255].tolist()  # right end: vmax's colour
    # boosted: both ends saturate, so both tips are drawn out to the picture's edges
    assert opaque[0] == 0 and opaque[-1] == w - 1
    assert panels.saturated_ends(values, pic.vmin, pic.vmax) == (True, True)

    unboosted = _pixels(panels.map_picture(values, colorbar=True).png)[h:]
    rows = unboosted[(unboosted[..., 3] == 255).any(axis=1)]
    tipless = rows[len(rows) // 2]
    assert tipless[0, 3] == 0 and tipless[-1, 3] == 0  # no values beyond: no tips


@pytest.mark.parametrize("shape", [(300, 7), (1024, 1), (256, 2), (40, 1)])
def test_a_map_narrower_than_its_colour_bar_is_centred_above_it(shape):
    values = np.linspace(-1.0, 1.0, shape[0] * shape[1]).reshape(shape)  # (H, W)
    plain = _pixels(panels.map_picture(values).png)  # the map alone, (h, w, 3)
    both = _pixels(panels.map_picture(values, colorbar=True).png)
    h, w = plain.shape[:2]
    assert both.shape[1] == render.COLORBAR_MIN_WIDTH > w
    left = (render.COLORBAR_MIN_WIDTH - w) // 2
    np.testing.assert_array_equal(both[:h, left : left + w], plain)  # the map, unchanged
    assert np.all(both[:h, :left, 3] == 0) and np.all(both[:h, left + w :, 3] == 0)
    assert (both[h:, :, 3] == 255).any()  # and its colour bar below


def test_fit_png_shrinks_crisply_and_never_to_zero_height():
    blocks = np.kron(np.array([[0, 255], [255, 0]], np.uint8), np.ones((160, 160), np.uint8))
    png = render.encode_png(blocks)  # (320, 320): two-by-two pixel blocks
    assert panels.fit_png(png, 320) is png and panels.fit_png(png, 400) is png  # fits as is
    small = _pixels(panels.fit_png(png, 232))
    assert small.shape[:2] == (232, 232)
    assert set(np.unique(small[..., 0])) == {0, 255}  # nearest neighbour: no blurred greys
    strip = render.encode_png(np.full((1, 600), 7, np.uint8))  # a 1×3000 image shown 1×600
    thin = _pixels(panels.fit_png(strip, 232))
    assert thin.shape[:2] == (1, 232)  # st.image would round this height to 0 and fail
    apart = _pixels(panels.fit_png(png, 232, 6))  # 6 px of transparency each side
    assert apart.shape[:2] == (220, 232)
    assert np.all(apart[:, :6, 3] == 0) and np.all(apart[:, -6:, 3] == 0)
    assert np.all(apart[:, 6:-6, 3] == 255)


# ------------------------------------------------------------------ in a Streamlit run

SCRIPT = """
import numpy as np
import streamlit as st
from ui import panels, presentation

presentation.toggle()
values = np.load(st.session_state["t.path"])
pic = panels.show_map(st, values, "Feature map")
st.session_state["t.vmax"] = pic.vmax
"""


@pytest.fixture
def at(tmp_path):
    st.cache_data.clear()
    path = tmp_path / "map.npy"
    np.save(path, _photo_like_map())
    test = AppTest.from_string(SCRIPT, default_timeout=30)
    test.session_state["t.path"] = str(path)
    test.run()
    assert not test.exception
    return test


def _scale_caption(at) -> str:
    (caption,) = image_captions(at)  # one picture: the map with its colour bar
    assert caption.startswith("Feature map (60×50; min ")
    (scale,) = scale_captions(at)
    return scale


def test_show_map_follows_the_boost_switch_and_presentation_mode(at):
    values = _photo_like_map()
    top = np.max(np.abs(values))
    p99 = np.percentile(np.abs(values), 99)
    assert at.toggle(key="present.boost").value is False
    assert at.session_state["t.vmax"] == top
    assert "saturate" not in _scale_caption(at)

    at.toggle(key="present.boost").set_value(True).run()  # on its own
    assert at.session_state["t.vmax"] == p99  # a new picture: the cache keys on the option
    assert f"saturate beyond ±{fmt(p99)}" in _scale_caption(at)
    assert f"the max |value| is {fmt(top)}" in _scale_caption(at)

    at.toggle(key="present.boost").set_value(False).run()
    assert at.session_state["t.vmax"] == top

    at.toggle(key="present.on").set_value(True).run()  # presentation mode brings it along
    assert at.toggle(key="present.boost").value is True
    assert at.session_state["t.vmax"] == p99

    at.toggle(key="present.boost").set_value(False).run()  # ... and the teacher can say no
    assert at.toggle(key="present.on").value is True
    assert at.session_state["t.vmax"] == top

    at.toggle(key="present.on").set_value(False).run()
    assert at.toggle(key="present.boost").value is False
    assert not at.exception


def test_presentation_style_enlarges_picture_captions():
    from ui import presentation

    assert '[data-testid="stImageCaption"]' in presentation.STYLE
    rule = presentation.STYLE.split('[data-testid="stImageCaption"] * {')[1].split("}")[0]
    assert "font-size: 1.1rem" in rule and "color: inherit" in rule


@pytest.mark.parametrize(("n", "width"), [(2, 310), (3, 310), (3, 300), (4, 232), (8, 232)])
def test_a_row_of_maps_stays_on_one_line_of_a_projector(monkeypatch, n, width):
    """1280 px, sidebar open: up to four pictures (a before/after pair, three maps) per line."""
    monkeypatch.setattr(panels.presentation, "is_on", lambda: True)
    each = panels.row_width(n, width)
    assert min(n, panels.PROJECTOR_ROW) * each <= panels.PROJECTOR_COLUMN
    assert each >= 200 or n > panels.PROJECTOR_ROW  # still a picture, not a thumbnail
    monkeypatch.setattr(panels.presentation, "is_on", lambda: False)
    assert panels.row_width(n, width) == width  # a laptop keeps the lesson's own width


def test_short_caption_is_name_shape_min_max_and_the_row_note_has_the_scale():
    values = np.linspace(-3.0, 1.0, 12).reshape(3, 4)
    pic = panels.map_picture(values, colorbar=True)
    short = panels.map_caption(values, pic, "Map 1", "signed", shared=False, short=True)
    assert short == f"Map 1 (3×4; min {fmt(-3.0)}, max {fmt(1.0)})"
    note = panels.row_scale_note(values[None], [pic], "signed", shared=False)
    assert note == f"Colour scales, each map its own: ±{fmt(3.0)} (white = 0)."
    shared = panels.row_scale_note(np.stack([values, -values]), [pic, pic], "signed", shared=True)
    assert shared.startswith("Colour scale: ") and "(white = 0)" in shared


COLLAPSE_SCRIPT = """
import streamlit as st
from ui import presentation

calls = st.session_state.setdefault("t.calls", [])
real = st.set_page_config
st.set_page_config = lambda **kw: calls.append(kw)  # record what the switch asks for
try:
    presentation.toggle()
finally:
    st.set_page_config = real
"""


def test_switching_presentation_mode_on_folds_the_sidebar_away_once():
    at = AppTest.from_string(COLLAPSE_SCRIPT, default_timeout=30).run()
    assert at.session_state["t.calls"] == []  # a laptop: the sidebar stays
    at.toggle(key="present.on").set_value(True).run()
    assert at.session_state["t.calls"] == [{"initial_sidebar_state": "collapsed"}]
    at.toggle(key="present.boost").set_value(False).run()  # another rerun: left as it is
    assert len(at.session_state["t.calls"]) == 1
    at.toggle(key="present.on").set_value(False).run()
    assert len(at.session_state["t.calls"]) == 1
    assert not at.exception


def test_a_presentation_link_opens_with_the_sidebar_folded():
    at = AppTest.from_string(COLLAPSE_SCRIPT, default_timeout=30)
    at.session_state["present.on"] = True  # as share.load_from_url sets it
    at.run()
    assert at.session_state["t.calls"] == [{"initial_sidebar_state": "collapsed"}]


def test_presentation_style_widens_only_an_open_sidebar():
    """A forced width on a folded sidebar left 60 px of it and the page shifted by 360 px."""
    from ui import presentation

    rule = presentation.STYLE.split("width: 360px")[0].rsplit("\n", 2)[-2]
    assert rule.startswith('[data-testid="stSidebar"][data-collapsed="false"]')
