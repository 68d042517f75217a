"""vizlib never imports streamlit or matplotlib (checked in a fresh interpreter)."""

import subprocess
import sys

from tests.conftest import ROOT


def test_vizlib_imports_neither_streamlit_nor_matplotlib():
    code = (
        "import sys, vizlib; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'matplotlib')); "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_public_api_is_complete():
    import vizlib

    for name in vizlib.__all__:
        assert hasattr(vizlib, name), name
