"""Thin, bounded ``st.cache_data`` wrappers around vizlib, keyed on content.

Streamlit hashes large NumPy arrays by *sampling* them (FACTS.md, Streamlit
issue 14622): two images that differ in an unsampled pixel would share a
cached result. So arrays never reach Streamlit's hasher here: :func:`run`
keys every array on a full BLAKE2 digest of its bytes, shape and dtype, and
passes the arrays themselves as unhashed (underscore) arguments.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

import vizlib

__all__ = ["cache_data", "digest", "load_sample", "load_upload", "run", "working_pixels"]

_LIMITS = {"max_entries": 64, "ttl": 3600, "show_spinner": False}


def cache_data(**options: Any) -> Callable:
    """``st.cache_data(**options)`` whose calls reach Streamlit with every argument named.

    For each *positional* argument of each call, Streamlit looks the function's
    signature up again (``inspect.signature``, uncached, to find out whether the
    name starts with "_"): about 30 µs per argument, ~5 ms of a stacking rerun.
    Named arguments skip that. The cache keys and the "_name is not hashed" rule
    are Streamlit's own; ``.clear()`` is kept.
    """

    def decorate(fn: Callable) -> Callable:
        cached_fn = st.cache_data(**options)(fn)
        names = tuple(inspect.signature(fn).parameters)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            return cached_fn(**dict(zip(names, args, strict=False)), **kwargs)

        call.clear = cached_fn.clear  # type: ignore[attr-defined]
        return call

    return decorate


def digest(array: np.ndarray) -> str:
    """Full-content digest of an array (bytes, shape and dtype), 128 bits in hex.

    SHA-256 reads the array's memory in place (no ``tobytes`` copy) and runs in the
    CPU's SHA instructions: 0.6 ms per MB here, where BLAKE2b took 1.5 ms, and a
    stacking rerun digests several MB of maps.
    """
    a = np.ascontiguousarray(array)
    h = hashlib.sha256(a.reshape(-1).view(np.uint8))  # the bytes, read in place
    h.update(repr((a.shape, a.dtype.str)).encode())
    return h.hexdigest()[:32]


def _key(value: Any) -> Any:
    """A hashable, content-complete stand-in for an argument."""
    if isinstance(value, np.ndarray):
        return ("ndarray", digest(value))
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    return value


@cache_data(**_LIMITS)
def _run(name: str, keys: tuple, _args: tuple, _kwargs: dict) -> Any:
    return getattr(vizlib, name)(*_args, **_kwargs)


def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a public vizlib function through a bounded, content-keyed cache.

    ``run(vizlib.conv2d, x, w, stride=2)`` returns what
    ``vizlib.conv2d(x, w, stride=2)`` returns; a second call with equal
    arrays and parameters is served from the cache. Exceptions are not
    cached: a ``ValueError`` reaches the caller every time.
    """
    name = fn.__name__
    if getattr(vizlib, name, None) is not fn:
        raise ValueError(f"run() takes public vizlib functions; got {fn!r}")
    keys = (tuple(_key(a) for a in args), tuple(sorted((k, _key(v)) for k, v in kwargs.items())))
    return _run(name, keys, args, kwargs)


@cache_data(max_entries=32, ttl=3600, show_spinner=False)
def load_upload(data: bytes, mode: str) -> vizlib.LoadedImage:
    """Decode uploaded bytes (hashed in full by Streamlit) with vizlib's checks."""
    return vizlib.load_image(data, mode=mode)


@cache_data(max_entries=32, ttl=3600, show_spinner=False)
def load_sample(key: str, mode: str) -> vizlib.LoadedImage:
    """Load a bundled sample photograph."""
    return vizlib.images.load_sample(key, mode=mode)


@cache_data(**_LIMITS)
def working_pixels(source_key: str, max_side: int, _pixels: np.ndarray) -> np.ndarray:
    """The image at the working resolution (never upscaled).

    ``source_key`` identifies the full-resolution pixels (upload digest or
    sample name plus colour mode); ``_pixels`` is not hashed.
    """
    return vizlib.images.resize_image(_pixels, max_side)
