"""Import scipy's graph and geometry modules once, from one thread at a time.

Several workers (topology loading, the blast-radius warm-up, the canvas's hull
library) would otherwise import scipy's extension modules concurrently on
their first use. Importing them under one lock keeps extension initialisation
sequential, and later imports are dictionary look-ups.
"""

from __future__ import annotations

import threading

_LOCK = threading.Lock()
_DONE = False


def import_scipy() -> None:
    """Import scipy.sparse, scipy.sparse.csgraph and scipy.spatial (any thread)."""
    global _DONE
    if _DONE:
        return
    with _LOCK:
        if _DONE:
            return
        import scipy.sparse
        import scipy.sparse.csgraph
        import scipy.spatial  # noqa: F401

        _DONE = True
