"""The xlwings wrappers: one custom function per planner function, generated from the catalogue.

`install(namespace)` defines them in a module: `workbook.addin.udfs` for the classic Windows
add-in (UDF Modules: workbook.addin.udfs), the exported main.py for xlwings Lite. Every function of `planner.CATALOG`
becomes a formula named exactly like the Python function in upper case, with its
category, a one-line description and a description of every argument (unit, default).
The wrappers are generated with the real argument names, so both the classic VBA import
and the Office.js metadata show them; each one only hands its arguments to
`workbook.addin.cells.evaluate` and translates error values into what the host shows:

- classic add-in (Windows, COM): xlwings' COM bridge cannot hand Excel a real error value
  (a VBA wrapper receives text or numbers only; xlwings issue #776), so a bad cell shows
  text: the error code and the planner's reason, e.g. "#NUM! compute must be positive;
  got -1 FLOPs". Formulas that compute with such a cell give #VALUE!.
- Office.js (xlwings Lite and xlwings Server): real error values, and, when the whole
  result is a #VALUE! error, the planner's reason with it, which Excel shows on the cell's
  error flag (Office.js attaches messages to #VALUE! and #N/A only, and xlwings turns a
  raised exception into #VALUE!).

No math lives here.
"""

from __future__ import annotations

import inspect
import sys

import xlwings

from workbook.addin import cells

# The code of the error that a raised exception becomes in Office.js (CustomFunctions.Error
# with ErrorCode.invalidValue and the exception's message; Office.js shows messages only
# with #VALUE! and #N/A, and xlwings raises #VALUE!).
_MESSAGE_CODES = ("#VALUE!",)

# Words VBA reserves, which cannot name an argument of the generated VBA wrapper (compared
# case-insensitively); such an argument gets a trailing underscore in both hosts.
_VBA_RESERVED = frozenset("""
    and as boolean byref byte byval call case const currency date decimal declare dim do
    double each else elseif empty end enum eqv erase error event exit false for friend
    function get global gosub goto if imp implements in integer is let lib like long loop
    lset me mod new next not nothing null object on optional or paramarray preserve private
    property public raiseevent redim rem resume return rset select set single static step
    stop string sub then to true type typeof until variant wend while with xor len name
    caller
""".split())
_DOC_LIMIT = 255  # Excel's function wizard (MacroOptions) keeps 255 characters of each text


def excel_arg_name(name: str) -> str:
    """The argument name both hosts show (the Python name unless VBA reserves it)."""
    return name + "_" if name.lower() in _VBA_RESERVED else name


def plain(text: str) -> str:
    """Text as Excel shows it: one line, without the Markdown code marks of the docstrings."""
    return " ".join(text.replace("`", "").split())


def _clip(text: str, limit: int = _DOC_LIMIT) -> str:
    text = plain(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def excel_default(default) -> str:
    """A default value as a person types it into a formula: TRUE, "bf16", 0.001."""
    if isinstance(default, bool):
        return "TRUE" if default else "FALSE"
    if isinstance(default, str):
        return f'"{default}"'
    # repr: the shortest text that reads back as the same float (15.387756, not 15.3878).
    return repr(default) if isinstance(default, float) else str(default)


def _default_text(default) -> str:
    if default is None:
        return "Optional."  # what an empty argument means is in its description
    return f"Optional, default {excel_default(default)}."


def arg_doc(param, limit: int = _DOC_LIMIT) -> str:
    """One argument's description: what it is, its unit and its default."""
    tail = f" [{param.arg.unit}]." if param.arg.unit else "."
    tail += " " + (_default_text(param.default) if param.optional else "Required.")
    listed = all(c in param.arg.doc for c in param.arg.choices)
    choices = f" One of: {', '.join(param.arg.choices)}" if param.arg.choices and not listed else ""
    return _clip(param.arg.doc.rstrip(".") + choices, limit - len(tail)) + tail


def description(entry, limit: int = _DOC_LIMIT) -> str:
    """The function's one-line description, with the unit of its result."""
    unit = f" Result in {entry.result_unit}." if entry.result_unit else ""
    return _clip(entry.summary, limit - len(unit)) + unit


# ---------------------------------------------------------------------------------------
# Error values per host
# ---------------------------------------------------------------------------------------

def host_of(func) -> str:
    """Which runtime a decorator belongs to: "officejs", "classic", or "python" (no Excel)."""
    module = getattr(func, "__module__", "") or ""
    if module == "xlwings.udfs":  # bound by xlwings on Windows (COM add-in)
        return "classic"
    if "officejs" in module or getattr(xlwings, "on_server", False) or sys.platform == "emscripten":
        return "officejs"
    return "python"


def _classic_text(error: cells.CellError) -> str:
    # xlwings turns a returned string longer than 255 characters into #VALUE! (issue #456).
    return _clip(f"{error.code} {error.reason}".strip())


def _map(result, convert):
    if isinstance(result, list):
        return [[convert(v) if isinstance(v, cells.CellError) else v for v in row] for row in result]
    return convert(result) if isinstance(result, cells.CellError) else result


def to_host(result, host: str):
    """`evaluate`'s result in the form the host shows as values and error values."""
    if host == "classic":
        return _map(result, _classic_text)
    if host == "officejs":
        if isinstance(result, cells.CellError) and result.code in _MESSAGE_CODES and result.reason:
            # Raised, the error reaches Excel as CustomFunctions.Error with this message.
            from xlwings import XlwingsError

            raise XlwingsError(result.reason)
        # xlwings' Office.js converter turns "#NUM!" etc. into Excel error values.
        return _map(result, lambda e: e.code)
    return result


# ---------------------------------------------------------------------------------------
# The wrappers
# ---------------------------------------------------------------------------------------

def _limit(host: str) -> int:
    # The classic function wizard keeps 255 characters; Office.js tooltips take whole sentences.
    return _DOC_LIMIT if host == "classic" else 1000


def _wrapper(entry, host: str, module_name: str):
    name = entry.excel_name

    def f(*args):
        return to_host(cells.evaluate(name, args), host)

    # Both hosts read a function's arguments with inspect.signature (the classic VBA
    # generator's func_sig and the Office.js metadata alike), which honours __signature__:
    # so the formula shows the catalogue's argument names and optional flags.
    f.__signature__ = inspect.Signature([
        inspect.Parameter(excel_arg_name(p.name), inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          default=None if p.optional else inspect.Parameter.empty)
        for p in entry.params])
    f.__name__ = name
    f.__doc__ = description(entry, _limit(host))
    f.__module__ = module_name
    f.__qualname__ = name
    return f


def _no_pyodide_search() -> None:
    """xlwings' Office.js code tries `from pyodide.ffi import JsNull` for every cell of every
    argument; outside Pyodide each failed import searches the whole module path again (about
    37 microseconds a cell, most of a range formula's time). Marked as absent in sys.modules,
    the import fails at once, as Python documents for a None entry; inside Pyodide, where
    the module exists, nothing changes."""
    import importlib.util

    if sys.platform == "emscripten" or "pyodide" in sys.modules:
        return
    try:
        absent = importlib.util.find_spec("pyodide") is None
    except (ImportError, ValueError):  # a finder that refuses it: leave the import to it
        return
    if absent:
        sys.modules["pyodide"] = None


def install(namespace: dict, func=None, arg=None) -> list[str]:
    """Define every planner formula in `namespace` (a module's globals) with xlwings' decorators.

    `func` and `arg` default to `xlwings.func` and `xlwings.arg` as the running host binds them
    (classic add-in on Windows, Office.js with XLWINGS_ON_SERVER=true or in xlwings Lite).
    Returns the formula names.
    """
    func = func or xlwings.func
    arg = arg or xlwings.arg
    host = host_of(func)
    if host == "officejs":
        _no_pyodide_search()
    module_name = namespace.get("__name__", __name__)
    defined = []
    for entry in cells.FUNCTIONS.values():
        f = _wrapper(entry, host, module_name)
        for param in reversed(entry.params):
            # ndim=2: a cell arrives as [[value]] and a range as rows, in both hosts;
            # err_to_str: an error cell arrives as "#N/A" etc. (not as empty) and is passed on.
            f = arg(excel_arg_name(param.name), ndim=2, err_to_str=True,
                    doc=arg_doc(param, _limit(host)))(f)
        f = func(category=entry.category)(f)
        namespace[entry.excel_name] = f
        defined.append(entry.excel_name)
    return defined
