"""Keep Streamlit's garbage collection after each rerun cheap.

Streamlit runs a full ``gc.collect(2)`` when a script ends (``runner.postScriptGC``,
on by default). With numpy, pandas, scipy and matplotlib loaded, that scans about
130 000 long-lived objects (module functions, classes, dicts) for 50–100 ms while
holding the GIL, so the end of every rerun, and every other student's rerun on the
same server, waited for it. :func:`freeze_imports` moves what is alive once new
modules have been imported into Python's permanent generation (``gc.freeze``),
which collections skip: the collection after a rerun then looks only at what the
reruns created since (well under 1 ms) and still frees their reference cycles.
"""

from __future__ import annotations

import gc
import sys

__all__ = ["freeze_imports"]

_frozen_at = {"modules": 0}


def freeze_imports() -> bool:
    """Freeze everything alive if modules were imported since the last call; True if it did.

    Call at the top of the app script: the previous rerun's garbage has been collected
    by then, so what is frozen is modules, caches and sessions. Only the first visits
    to pages import modules, so this runs a handful of times per server process; an
    object frozen while another session was mid-rerun is never collected if it later
    becomes cyclic garbage, a bounded cost of those few times.
    """
    count = len(sys.modules)
    if count == _frozen_at["modules"]:
        return False
    gc.collect()
    gc.freeze()
    _frozen_at["modules"] = count
    return True
