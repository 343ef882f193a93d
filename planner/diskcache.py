"""Slow fits remembered across runs, on disk.

A bootstrap of a scaling-law fit takes seconds, and even one fit a few tenths (most of it
importing scipy.optimize), which a spreadsheet pays again on every recalculation in a new
process (each `planner calc`, each session of the classic add-in). A fit's result depends
only on the data, the options and the fitting code, so it is stored under a hash of all
three and read back instead of recomputed.

Where: $PLANNER_CACHE_DIR, else $XDG_CACHE_HOME/compute-planner, else ~/.cache/compute-planner.
PLANNER_CACHE_DIR=off turns it off (as it is where the planner runs from embedded sources, in
xlwings Lite). A cache never fails a computation: an entry that cannot be
read or written is recomputed, and entries are written atomically (a whole file or none) and
read without unpickling, so a damaged or planted file can only cost a recomputation.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

@functools.lru_cache(maxsize=8)
def _code(module: str = "fitting") -> str | None:
    """A hash of the fitting module's source (or of another planner module's, for its fits):
    entries are valid for the code that made them. None where the source is not a file (the
    planner embedded in xlwings Lite): no cache then."""
    import importlib

    try:
        source = importlib.import_module(f"{__package__}.{module}").__file__
        return hashlib.sha256(Path(source).read_bytes()).hexdigest()[:16]
    except (AttributeError, TypeError, OSError, ImportError):
        return None


def directory(module: str = "fitting") -> Path | None:
    """The cache directory, or None when caching is off."""
    if _code(module) is None:
        return None
    given = os.environ.get("PLANNER_CACHE_DIR")
    if given is not None:
        return None if given.strip().lower() in ("", "off", "0", "none") else Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "compute-planner"


def _path(kind: str, parts: tuple, module: str) -> Path | None:
    where = directory(module)
    if where is None:
        return None
    h = hashlib.sha256(f"{kind}\0{_code(module)}".encode())
    for part in parts:
        h.update(b"\0" + (part if isinstance(part, bytes) else repr(part).encode()))
    return where / f"{kind}-{h.hexdigest()}.npz"


def load(kind: str, parts: tuple, module: str = "fitting") -> dict | None:
    """The arrays stored for (kind, parts) by `module`'s code, or None (not stored, off, or unreadable)."""
    path = _path(kind, parts, module)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {k: stored[k] for k in stored.files}
    except Exception:  # noqa: BLE001 - a damaged entry is recomputed, never an error
        return None


def store(kind: str, parts: tuple, module: str = "fitting", **arrays) -> None:
    """Store the arrays for (kind, parts); silently skipped when it cannot be written."""
    path = _path(kind, parts, module)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass


def remember(kind: str, parts: tuple, compute, expect: dict, module: str = "fitting") -> dict:
    """The arrays compute() gives (a dict of name -> array), or the ones stored for (kind,
    parts) by `module`'s code when they have the names and shapes of `expect`; what is
    computed is stored. An error compute() raises is raised, not stored."""
    stored = load(kind, parts, module)
    if stored is not None and all(k in stored and stored[k].shape == shape and stored[k].dtype == np.float64
                                  for k, shape in expect.items()):
        return stored
    fresh = compute()
    store(kind, parts, module, **fresh)
    return fresh
