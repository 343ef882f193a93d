"""Shared test set-up.

xlwings binds `xlwings.func/arg/ret` to its Office.js implementation (xlwings Lite and
xlwings Server) when XLWINGS_ON_SERVER=true at its first import; that part of xlwings runs
on Linux under its noncommercial licence key. Set both before any test imports xlwings.

Fits remembered on disk (planner.diskcache) go to a temporary directory of the run's own.

Hypothesis examples have no time limit: speed goals live in the benchmarks, and on a busy
machine a per-example deadline fails tests for being slow rather than wrong.
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
# Fits the planner remembers on disk go to a directory of this run's own (the command-line
# tests' processes inherit it), never to the user's cache, and are removed at the end.
_CACHE = tempfile.mkdtemp(prefix="planner-test-cache-")
os.environ["PLANNER_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

from hypothesis import settings  # noqa: E402

settings.register_profile("planner", deadline=None)
settings.load_profile("planner")
