"""ui.memory: freeze what is alive once new modules are imported, and only then."""

from __future__ import annotations

import gc
import sys
import types

import pytest

from ui import memory


@pytest.fixture
def fresh_freeze(monkeypatch):
    """Start from "nothing frozen yet" and leave the test process as it was."""
    monkeypatch.setitem(memory._frozen_at, "modules", 0)
    yield
    gc.unfreeze()


def test_first_call_freezes_what_is_alive(fresh_freeze):
    gc.unfreeze()
    assert memory.freeze_imports() is True
    assert gc.get_freeze_count() > 10_000  # numpy, streamlit, ...: the modules' objects


def test_nothing_new_imported_means_no_second_collection(fresh_freeze):
    assert memory.freeze_imports() is True
    frozen = gc.get_freeze_count()
    assert memory.freeze_imports() is False
    assert gc.get_freeze_count() == frozen


def test_a_new_module_freezes_again_and_reruns_garbage_is_still_collected(
    fresh_freeze, monkeypatch
):
    memory.freeze_imports()
    monkeypatch.setitem(sys.modules, "_a_lesson_imported_later", types.ModuleType("later"))
    assert memory.freeze_imports() is True

    # What a rerun creates after the freeze is not frozen: its cycles are collected.
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    del a, b
    assert gc.collect() >= 2
