"""Shareable links: a registry of session-state keys mirrored in the URL's query string.

Each :class:`Param` ties one short URL name (``stride``) to one session key
(``conv.stride``), its default and a parser. :func:`load_from_url` reads
``st.query_params`` once per session, before any widget is drawn, and puts
the validated values into session state (out-of-range numbers are clamped,
values of the wrong kind or absurd length are ignored; either way a notice
says so). :func:`write_to_url` runs at the end of every run and writes back
the settings of the page on screen that differ from their defaults, so the
address bar always reproduces the view. :func:`link_box` shows that address
to copy.

Kernels travel as rows separated by ``;`` and numbers by ``,``
(``k=-1,-1,-1;-1,8,-1;-1,-1,-1``), read back through
:func:`vizlib.parse_kernel`, which validates them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import numpy as np
import streamlit as st

import vizlib
from ui import kernel_editor, pipeline, presentation
from ui.state import DEFAULTS, RESOLUTIONS

__all__ = [
    "MAX_VALUE_CHARS",
    "PARAMS",
    "Param",
    "encode_kernel",
    "link_box",
    "load_from_url",
    "query_for",
    "write_to_url",
]

#: Longer values are ignored without parsing (a hand-made 10,000-character kernel).
MAX_VALUE_CHARS = 1000
_LOADED = "share.loaded"
_NOTICES = "share.notices"
_PAGE = "share.page"


class _Clamped(ValueError):
    """A value was out of range; ``value`` is the nearest allowed one."""

    def __init__(self, value: Any, message: str) -> None:
        super().__init__(message)
        self.value = value


@dataclass(frozen=True)
class Param:
    """One setting that travels in the link.

    Attributes
    ----------
    name : str
        Name in the query string (``stride``).
    key : str
        Session-state key (``conv.stride``).
    default : Any
        The page's default: a setting equal to it is left out of the link.
    parse : callable
        Text → value; raises ValueError (ignored) or _Clamped (nearest value used).
    page : str or None
        ``url_path`` of the page the setting belongs to, None for every page.
    encode : callable
        Value → text.
    get, put : callable or None
        Custom read/write of the state (the kernel editor keeps several keys).
    """

    name: str
    key: str
    default: Any
    parse: Callable[[str], Any]
    page: str | None = None
    encode: Callable[[Any], str] = str
    get: Callable[[], Any] | None = None
    put: Callable[[Any], None] | None = None

    def current(self) -> Any:
        if self.get is not None:
            return self.get()
        return st.session_state.get(self.key)

    def is_default(self, value: Any) -> bool:
        if isinstance(value, np.ndarray) or isinstance(self.default, np.ndarray):
            a, b = np.asarray(value), np.asarray(self.default)
            return a.shape == b.shape and np.array_equal(a, b)
        return value == self.default


# --------------------------------------------------------------------------- parsers


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"expected a whole number from {low} to {high}") from None
        if not np.isfinite(number) or number != int(number):
            raise ValueError(f"expected a whole number from {low} to {high}")
        value = int(number)
        if not low <= value <= high:
            clamped = min(max(value, low), high)
            raise _Clamped(clamped, f"must be from {low} to {high}; using {clamped}")
        return value

    return parse


def _float_in(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"expected a number from {low:g} to {high:g}") from None
        if not np.isfinite(value):
            raise ValueError(f"expected a number from {low:g} to {high:g}")
        if not low <= value <= high:
            clamped = min(max(value, low), high)
            raise _Clamped(clamped, f"must be from {low:g} to {high:g}; using {clamped:g}")
        return value

    return parse


def _choice(options: Sequence[Any]) -> Callable[[str], Any]:
    by_text = {str(o): o for o in options}

    def parse(text: str) -> Any:
        if text not in by_text:
            shown = ", ".join(list(by_text)[:8]) + (", …" if len(by_text) > 8 else "")
            raise ValueError(f"expected one of {shown}")
        return by_text[text]

    return parse


def _nearest(options: Sequence[int]) -> Callable[[str], int]:
    """A number snapped to the nearest allowed choice (the resolution slider's steps)."""

    def parse(text: str) -> int:
        wanted = _float_in(-1e12, 1e12)(text)
        best = min(options, key=lambda o: (abs(o - wanted), o))
        if best != wanted:
            raise _Clamped(best, f"is not one of the steps; using {best}")
        return best

    return parse


def _alias(names: dict[str, Any]) -> dict[str, Callable]:
    """Short URL words for long option labels: ``parse`` and ``encode`` keywords."""
    words = _choice(list(names))
    back = {v: k for k, v in names.items()}
    return {"parse": lambda text: names[words(text)], "encode": back.__getitem__}


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected 1 or 0")


def _encode_bool(value: Any) -> str:
    return "1" if value else "0"


def _boost_unless_following() -> bool | None:
    """“Boost map contrast” for the link: None (left out) while it follows presentation mode.

    Presentation mode switches boost on, and a link with ``present=1`` and no
    ``boost`` gets it on too (:func:`ui.presentation.toggle` sets it on a first
    run), so ``boost`` is written only where it differs: ``present=1&boost=0``,
    or ``boost=1`` on its own.
    """
    boost = st.session_state.get(presentation.BOOST_KEY)
    if boost is None or bool(boost) == bool(st.session_state.get(presentation.KEY, False)):
        return None
    return bool(boost)


def _number_text(value: float) -> str:
    value = float(value)
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)


def encode_kernel(weights: np.ndarray) -> str:
    """Compact, exact text of a kernel: ``-1,0,1;-2,0,2;-1,0,1``."""
    return ";".join(",".join(_number_text(v) for v in row) for row in np.asarray(weights))


def _parse_kernel(text: str) -> np.ndarray:
    return vizlib.parse_kernel(text, max_size=kernel_editor.MAX_SIDE)


def _kernel_param(name: str, key: str, default_slug: str, page: str) -> Param:
    """The kernel of a :func:`ui.kernel_editor.select_kernel` editor namespaced ``key``."""

    def put(weights: np.ndarray) -> None:
        match = next(
            (
                slug
                for slug, k in vizlib.KERNELS.items()
                if k.weights.shape == weights.shape and np.array_equal(k.weights, weights)
            ),
            None,
        )
        st.session_state[f"{key}.preset"] = match or st.session_state.get(
            f"{key}.preset", default_slug
        )
        kernel_editor.load_kernel(key, weights)

    return Param(
        name,
        f"{key}.valid",
        np.asarray(vizlib.KERNELS[default_slug].weights, dtype=np.float64),
        _parse_kernel,
        page=page,
        encode=encode_kernel,
        put=put,
    )


# --------------------------------------------------------------------------- the registry

_SAMPLES = [s.key for s in vizlib.sample_images()]
_CONV = "convolution"
_POOL = "pooling"
_BN = "batchnorm"
_NUM = {"encode": _number_text}

PARAMS: tuple[Param, ...] = (
    # The image (every page).
    # Uploads and webcam pictures stay on the student's computer: not in links.
    Param("src", "source.kind", DEFAULTS["source.kind"], **_alias(
        {"sample": "Sample photo", "grid": "Tutorial 5×5 grid", "synthetic": "Synthetic"})),
    Param("sample", "source.sample", _SAMPLES[0], _choice(_SAMPLES)),
    Param("color", "source.color", DEFAULTS["source.color"], **_alias(
        {"gray": "Grayscale", "rgb": "RGB"})),
    Param("res", "source.max_side", DEFAULTS["source.max_side"], _nearest(RESOLUTIONS)),
    Param("pattern", "source.synthetic", DEFAULTS["source.synthetic"],
          _choice(tuple(vizlib.images.SYNTHETIC_IMAGES))),
    Param("present", presentation.KEY, False, _bool, encode=_encode_bool),
    # Default None: boost follows presentation mode unless the link says otherwise.
    Param("boost", presentation.BOOST_KEY, None, _bool, encode=_encode_bool,
          get=_boost_unless_following),
    # Convolution step by step.
    _kernel_param("k", "conv.kernel", "edge_detector", _CONV),
    Param("stride", "conv.stride", 1, _int_in(1, 16), page=_CONV),
    Param("pad_kind", "conv.pad_kind", "number", _choice(("number", "valid", "same")), page=_CONV),
    Param("pad", "conv.pad", 0, _int_in(0, 10), page=_CONV),
    Param("pad_mode", "conv.padding_mode", "zeros", _choice(vizlib.conv.PADDING_MODES),
          page=_CONV),
    Param("dil", "conv.dilation", 1, _int_in(1, 8), page=_CONV),
    Param("op", "conv.operation", "correlation", _choice(("correlation", "convolution")),
          page=_CONV),
    Param("view", "conv.view", "signed", _choice(("signed", "abs", "relu")), page=_CONV),
    Param("cmap", "conv.cmap", "RdBu_r", _choice(("RdBu_r", "PuOr_r", "berlin", "vanimo")),
          page=_CONV),
    Param("row", "conv.row", 0, _int_in(0, 4096), page=_CONV),
    Param("col", "conv.col", 0, _int_in(0, 4096), page=_CONV),
    # Pooling.
    Param("pool_of", "pool.source", "feature", _choice(("feature", "image")), page=_POOL),
    Param("pool_kernel", "pool.kernel", "vertical_edge", _choice(tuple(vizlib.KERNELS)),
          page=_POOL),
    Param("pool_relu", "pool.relu", True, _bool, page=_POOL, encode=_encode_bool),
    Param("pool_mode", "pool.mode", "max", _choice(("max", "avg")), page=_POOL),
    Param("pool_k", "pool.k", 2, _int_in(1, 10), page=_POOL),
    Param("pool_same", "pool.same_stride", True, _bool, page=_POOL, encode=_encode_bool),
    Param("pool_stride", "pool.stride", 2, _int_in(1, 10), page=_POOL),
    Param("pool_pad", "pool.padding", 0, _int_in(0, 5), page=_POOL),
    Param("pool_dil", "pool.dilation", 1, _int_in(1, 4), page=_POOL),
    Param("pool_ceil", "pool.ceil_mode", False, _bool, page=_POOL, encode=_encode_bool),
    Param("pool_cip", "pool.count_include_pad", True, _bool, page=_POOL, encode=_encode_bool),
    Param("pool_row", "pool.row", 0, _int_in(0, 4096), page=_POOL),
    Param("pool_col", "pool.col", 0, _int_in(0, 4096), page=_POOL),
    # Batch normalization (its parts are fragments: each one calls write_to_url()).
    Param("bn_M", "bn.m.M", 8, _int_in(1, 64), page=_BN),
    Param("bn_N", "bn.m.N", 3, _int_in(1, 6), page=_BN),
    Param("bn_seed", "bn.m.seed", 0, _int_in(0, 10_000), page=_BN),
    Param("bn_size", "bn.t.size", 16, _int_in(1, 256), page=_BN),
    Param("bn_mean", "bn.t.mean", 5.0, _float_in(-100.0, 100.0), page=_BN, **_NUM),
    Param("bn_spread", "bn.t.spread", 2.0, _float_in(0.0, 50.0), page=_BN, **_NUM),
    Param("bn_drift", "bn.t.drift", 0.0, _float_in(-5.0, 5.0), page=_BN, **_NUM),
    Param("bn_tseed", "bn.t.seed", 0, _int_in(0, 10_000), page=_BN),
    Param("bn_cumulative", "bn.t.cumulative", False, _bool, page=_BN, encode=_encode_bool),
    Param("bn_momentum", "bn.t.momentum", 0.1, _float_in(0.0, 1.0), page=_BN, **_NUM),
    Param("bn_images", "bn.i.N", 8, _int_in(2, 16), page=_BN),
    Param("bn_batches", "bn.i.K", 20, _int_in(0, 50), page=_BN),
    Param("bn_iseed", "bn.i.seed", 0, _int_in(0, 10_000), page=_BN),
)  # fmt: skip


def _stacking_params() -> tuple[Param, ...]:
    """The stacking lesson's pipeline: stage count and every stage's plain settings.

    Unit row/column (bounded by the pipeline's output size) stay out. Defaults
    are the page's: ``pipeline.STAGE_DEFAULTS`` updated by ``pipeline.DEFAULT_STAGES``.
    """
    page = "stacking"
    fields = (  # (URL suffix, state name, parser)
        ("kind", "kind", _choice(tuple(pipeline.KINDS))),
        ("src", "source", _choice(tuple(pipeline.SOURCES))),
        ("stride", "stride", _int_in(1, 4)),
        ("pad", "padding", _int_in(0, 5)),
        ("dil", "dilation", _int_in(1, 3)),
        ("F", "filters", _int_in(1, 16)),
        ("size", "size", _choice((1, 3, 5, 7))),
        ("seed", "seed", _int_in(0, 9999)),
        ("preset", "preset", _choice(tuple(vizlib.KERNELS))),
        ("act", "act", _choice(tuple(pipeline.ACTIVATION_NAMES))),
        ("mode", "mode", _choice(("max", "avg"))),
        ("pool", "pool_size", _int_in(1, 8)),
        ("pstride", "pool_stride", _int_in(0, 8)),
    )
    out = [
        Param("stack_n", "stack.n", 4, _int_in(1, 4), page=page),
        Param("stack_shown", "stack.shown", 4, _int_in(1, 8), page=page),
    ]
    for i, stage in enumerate(pipeline.DEFAULT_STAGES, start=1):
        defaults = {**pipeline.STAGE_DEFAULTS, **stage}
        for suffix, name, parse in fields:
            out.append(
                Param(f"s{i}_{suffix}", f"stack.s{i}.{name}", defaults[name], parse, page=page)
            )
        out.append(_kernel_param(f"s{i}_k", f"stack.s{i}.kernel", "vertical_edge", page))
    return tuple(out)


_VOL = "volumes"
_WHY = "why_convolutions"
PARAMS = (
    *PARAMS,
    *_stacking_params(),
    # Volumes and filters: the filter bank's main settings (per-filter kernels stay out).
    Param("vol_F", "vol.filters", 3, _int_in(1, 8), page=_VOL),
    Param("vol_src", "vol.source", "chosen", _choice(("chosen", "random")), page=_VOL),
    Param("vol_pad", "vol.padding", "valid", _choice(("valid", "same")), page=_VOL),
    Param("vol_size", "vol.random_size", 3, _choice((1, 3, 5, 7)), page=_VOL),
    Param("vol_seed", "vol.seed", 0, _int_in(0, 10_000), page=_VOL),
    Param("vol_shared", "vol.shared", True, _bool, page=_VOL, encode=_encode_bool),
    Param("vol_view", "vol.view", "signed", _choice(("signed", "abs", "relu")), page=_VOL),
    # Why convolutions: the shift and the weight count.
    Param("why_where", "why.where", "crop", _choice(("crop", "image")), page=_WHY),
    Param("why_crop", "why.crop", 8, _int_in(4, 10), page=_WHY),
    Param("why_rows", "why.rows", 1, _int_in(-8, 8), page=_WHY),
    Param("why_cols", "why.cols", 2, _int_in(-8, 8), page=_WHY),
    Param("why_fill", "why.fill", "zeros", _choice(("zeros", "circular")), page=_WHY),
    Param("why_F", "why.filters", 8, _int_in(1, 64), page=_WHY),
    Param("why_units_mode", "why.units_mode", "match", _choice(("match", "inputs", "custom")),
          page=_WHY),
    Param("why_units", "why.units", 1000, _int_in(1, 10_000_000), page=_WHY),
)  # fmt: skip

_BY_NAME = {p.name: p for p in PARAMS}


# --------------------------------------------------------------------------- in and out


def _text_of(raw: Any) -> str | None:
    """The one text value of a query parameter, or None if it is unusable."""
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else None
    return raw if isinstance(raw, str) else None


def load_from_url() -> list[str]:
    """Put the link's settings into session state, once per session.

    Call before any widget is drawn (top of ``app.py``). Returns the notices
    about values that were clamped or ignored (also kept for :func:`notices`).
    """
    if st.session_state.get(_LOADED):
        return []
    st.session_state[_LOADED] = True
    notes: list[str] = []
    for name in list(st.query_params.keys()):
        param = _BY_NAME.get(name)
        if param is None:
            continue
        text = _text_of(st.query_params.get_all(name))
        if text is None:
            continue
        shown = text if len(text) <= 40 else f"{text[:37]}… ({len(text):,} characters)"
        if len(text) > MAX_VALUE_CHARS:
            notes.append(f"`{name}` ignored: {len(text):,} characters is far too long for it.")
            continue
        try:
            value = param.parse(text)
        except _Clamped as clamped:
            value = clamped.value
            notes.append(f"`{name}={shown}` {clamped}.")
        except (ValueError, TypeError) as exc:
            notes.append(f"`{name}={shown}` ignored: {exc}.")
            continue
        if param.put is not None:
            param.put(value)
        else:
            st.session_state[param.key] = value
    st.session_state[_NOTICES] = notes
    return notes


def show_notices() -> None:
    """Show (once) what the link asked for that could not be used."""
    notes = st.session_state.pop(_NOTICES, None)
    if notes:
        st.warning(
            "Some settings in the link could not be used, the defaults are shown instead:\n\n"
            + "\n".join(f"- {n}" for n in notes)
        )


def query_for(page: str | None) -> dict[str, str]:
    """The query parameters that reproduce the settings of ``page`` (non-defaults only)."""
    out: dict[str, str] = {}
    for param in PARAMS:
        if param.page not in (None, page):
            continue
        value = param.current()
        if value is None or param.is_default(value):
            continue
        try:
            text = param.encode(value)
            param.parse(text)  # only what a link can bring back (never an upload)
        except (KeyError, ValueError, TypeError):
            continue
        out[param.name] = text
    return out


#: Session key of the "Link to this view" expander's open state.
LINK_OPEN = "share.link.open"


def write_to_url(page: str | None = None) -> dict[str, str]:
    """Mirror the current settings of ``page`` in ``st.query_params``.

    Only this registry's names are touched (other parameters, such as
    ``embed``, stay). ``page`` defaults to the one the last full run showed,
    so a fragment can call this too.
    """
    if page is None:
        page = st.session_state.get(_PAGE)
    else:
        st.session_state[_PAGE] = page
    wanted = query_for(page)
    # One read of the address (each st.query_params access costs a lookup of the
    # script's context: a hundred of them were 3–4 ms per call), then only the changes.
    have = st.query_params.to_dict()  # name -> last value
    for name in (have.keys() - wanted.keys()) & _BY_NAME.keys():
        del st.query_params[name]
    for name, text in wanted.items():
        if have.get(name) != text:
            st.query_params[name] = text
    return wanted


def link_box(page: str | None, container=None) -> str:
    """Show the address of this view to copy (``st.code`` has a copy button).

    Inside an expander drawn only while it is open (``on_change="rerun"``, key
    :data:`LINK_OPEN`): closed, it costs every rerun one element, not three.
    The browser's own address bar holds the same link (:func:`write_to_url`).
    """
    c = container if container is not None else st.sidebar
    query = urlencode(query_for(page), safe=",;")
    base = (st.context.url or "").rstrip("/")
    if page and base.endswith(f"/{page}"):  # the browser's address may hold the page already
        base = base[: -len(page) - 1]
    path = f"{base}/{page}" if page else (base or "/")
    link = path + (f"?{query}" if query else "")
    box = c.expander("Link to this view", icon=":material/link:", key=LINK_OPEN, on_change="rerun")
    if box.open:
        with box:
            st.caption(
                "Copy this address (button at the right of the box): it opens this page with "
                "the same image and settings. Uploads and webcam pictures stay on your computer."
            )
            st.code(link, language=None, wrap_lines=True)
    return link
