"""Shared test set-up.

xlwings binds `xlwings.func/arg/ret` to its Office.js implementation (xlwings Lite and
xlwings Server) when XLWINGS_ON_SERVER=true at its first import; that part of xlwings runs
on Linux under its noncommercial licence key. Set both before any test imports xlwings.
"""

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")
