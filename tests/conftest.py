"""Shared test set-up.

xlwings binds `xlwings.func/arg/ret` to its Office.js implementation (xlwings Lite and
xlwings Server) when XLWINGS_ON_SERVER=true at its first import; that part of xlwings runs
on Linux under its noncommercial licence key. Set both before any test imports xlwings.

Hypothesis examples have no time limit: speed goals live in the benchmarks, and on a busy
machine a per-example deadline fails tests for being slow rather than wrong.
"""

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")

from hypothesis import settings  # noqa: E402

settings.register_profile("planner", deadline=None)
settings.load_profile("planner")
