"""Recalculation without Excel: the embedded engine (`engine`, the `formulas` package with
the planner's functions registered), `.xlsx` packages read and written at the XML level
(`xlsx`), and `calc`, which computes a workbook, sets inputs and makes hand-off copies."""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import threading

# The parts of openpyxl the engine uses: cell coordinates, the formula tokenizer and
# translator (and the small modules they import).
_OPENPYXL_LIGHT = frozenset({"utils", "formula", "compat"})


def _defer_package_init(name: str, light: frozenset[str]) -> None:
    """Import the package `name` without running its __init__ until it is needed: until one
    of its own names is looked up (openpyxl.Workbook), or one of its submodules other than
    the `light` ones is imported. Those import as usual meanwhile.

    The engine uses three small modules of openpyxl, but openpyxl's __init__ imports its
    whole workbook reader and writer, charts and styles included: 75 ms, a sixth of a
    template's run. When it is needed the __init__ runs in place, and from then on it is
    the package as always (the same module objects). Nothing happens when the package is
    imported already."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        return
    package = importlib.util.module_from_spec(spec)
    lock = threading.RLock()
    state = {"run": False}

    def run_init() -> None:
        with lock:
            if state["run"]:
                return
            state["run"] = True
            package.__dict__.pop("__getattr__", None)
            sys.meta_path.remove(finder)
            spec.loader.exec_module(package)

    def __getattr__(attr: str):
        if state["run"]:  # asked for by its own __init__ while that runs: not there (yet)
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        run_init()
        return getattr(package, attr)

    class _InitFirst(importlib.abc.MetaPathFinder):
        """Runs the package's __init__ before any submodule but the light ones is imported,
        as importing it would have done; a submodule the __init__ imported is that one."""

        def find_spec(self, fullname, path=None, target=None):
            parts = fullname.split(".")
            if parts[0] != name or len(parts) < 2 or parts[1] in light or state["run"]:
                return None
            run_init()
            module = sys.modules.get(fullname)
            return None if module is None else importlib.util.spec_from_loader(fullname, _Imported(module))

    finder = _InitFirst()
    package.__getattr__ = __getattr__
    sys.modules[name] = package
    sys.meta_path.insert(0, finder)


class _Imported(importlib.abc.Loader):
    """A loader of a module imported already: that module, with its own spec kept."""

    def __init__(self, module):
        self.module, self.spec = module, module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        module.__spec__ = self.spec  # the import system set the spec it was found by


_defer_package_init("openpyxl", _OPENPYXL_LIGHT)
