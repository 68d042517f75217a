"""ui.cached: cache keys cover every byte of an array, its shape and its dtype."""

from __future__ import annotations

import numpy as np
import pytest

import vizlib
from ui import cached


def test_one_changed_element_of_a_large_array_changes_the_digest():
    a = np.zeros((4, 512, 512), dtype=np.float32)  # far beyond what Streamlit samples
    b = a.copy()
    b[2, 301, 177] = 1e-30
    assert cached.digest(a) != cached.digest(b)


@pytest.mark.parametrize(
    "other",
    [
        np.zeros((4, 3)),  # same bytes, other shape
        np.zeros((3, 4), dtype=np.int64),  # same bytes, other dtype
        np.zeros((2, 4)),
    ],
)
def test_shape_and_dtype_are_part_of_the_digest(other):
    assert cached.digest(np.zeros((3, 4))) != cached.digest(other)


def test_views_and_copies_of_equal_content_share_a_digest():
    a = np.arange(24.0).reshape(4, 6)
    assert cached.digest(a[:, ::2]) == cached.digest(np.ascontiguousarray(a[:, ::2]))
    assert cached.digest(np.asfortranarray(a)) == cached.digest(a)


@pytest.mark.parametrize(
    "array", [np.array(3.0), np.zeros((0, 3)), np.zeros((3, 0)), np.ones((2, 2), dtype=bool)]
)
def test_edge_shapes_digest(array):
    assert len(cached.digest(array)) == 32
    assert cached.digest(np.zeros((0, 3))) != cached.digest(np.zeros((3, 0)))


def test_run_gives_each_content_its_own_result():
    x = np.zeros((300, 300))
    y = x.copy()
    y[150, 150] = 1.0
    k = np.ones((3, 3))
    assert cached.run(vizlib.conv2d, x, k).max() == 0.0
    assert cached.run(vizlib.conv2d, y, k).max() == 1.0
    np.testing.assert_array_equal(cached.run(vizlib.conv2d, y, k), vizlib.conv2d(y, k))


def test_cache_data_passes_arguments_by_name_and_keeps_the_underscore_rule():
    calls = []

    @cached.cache_data(max_entries=4)
    def area(key: str, scale: int, _pixels: np.ndarray, *, extra: int = 0) -> float:
        calls.append(key)
        return float(_pixels.sum()) * scale + extra

    pixels = np.ones((2, 2))
    assert area("a", 2, pixels) == 8.0
    assert area("a", 2, np.zeros((2, 2))) == 8.0  # _pixels is not hashed: same key
    assert area(key="a", scale=2, _pixels=pixels) == 8.0  # named or positional: one key
    assert area("a", 3, pixels) == 12.0
    assert area("a", 2, pixels, extra=1) == 9.0
    assert calls == ["a", "a", "a"]
    area.clear()
    assert area("a", 2, pixels) == 8.0
    assert len(calls) == 4
