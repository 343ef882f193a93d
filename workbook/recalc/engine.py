"""The embedded recalculation engine: every formula of a workbook, the planner's included.

The `formulas` package (an Excel formula engine in Python) parses and evaluates the
workbook; each planner formula is registered in its function table as a thin wrapper
around `workbook.addin.cells.evaluate`, the same adapter the Excel add-in uses, so a cell gives
the same value, or the same error value, in Excel and here.

`recalculate(package)` returns the value of every cell and defined name; `formula_cells(package)`
says which cells hold formulas and which of them call planner functions.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import importlib
import io
import logging
import os
import re
import sys
import tempfile
import types
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

os.environ.setdefault("TQDM_DISABLE", "1")  # formulas shows a progress bar while loading

import numpy as np  # noqa: E402
import schedula as sh  # noqa: E402
import formulas  # noqa: E402
from formulas.cell import CellWrapper  # noqa: E402
from formulas.functions import Array, not_implemented, wrap_ranges_func  # noqa: E402
from formulas.ranges import Ranges  # noqa: E402
from formulas.tokens.function import Function  # noqa: E402
from formulas.tokens.operand import Error, Range, XlError  # noqa: E402
from openpyxl.utils.cell import (column_index_from_string, coordinate_from_string,  # noqa: E402
                                 get_column_letter, range_boundaries)

from workbook.addin import cells as adapter  # noqa: E402
from workbook.addin.cells import CellError  # noqa: E402
from openpyxl.formula.tokenizer import Token, Tokenizer  # noqa: E402
from openpyxl.formula.translate import Translator  # noqa: E402
from openpyxl.utils.cell import coordinate_to_tuple  # noqa: E402

from workbook.recalc import blocks, grid, limits, programs  # noqa: E402
from workbook.recalc.xlsx import _M, MAX_COL, MAX_ROW, Package, Sheet, XlsxError, index_cells  # noqa: E402

# Excel writes exponents with a sign (1E+24) but people and openpyxl scripts write 1E24,
# which Excel and LibreOffice read; formulas' number token requires the sign, so make it
# optional (the rest of its pattern is unchanged).
_NumberToken = formulas.tokens.operand.Number
if "E[+-][0-9]" in _NumberToken._re.pattern:
    import regex as _regex  # formulas' own regular-expression engine  # noqa: E402

    _NumberToken._re = _regex.compile(_NumberToken._re.pattern.replace("E[+-][0-9]", "E[+-]?[0-9]"),
                                      _NumberToken._re.flags)



class Omitted(float):
    """An argument left out between commas (=F(a, , c)). formulas compiles it to the number 0,
    which Excel's own functions also read there; this 0 is marked, so that a planner formula
    takes the argument's default instead, as Excel passes a missing argument to an add-in."""

    def __repr__(self) -> str:
        return "Omitted()"


OMITTED = Omitted(0.0)
programs.SPECIAL["omitted"] = OMITTED  # a constant of compiled formulas, stored by name
formulas.tokens.operand.Empty.compile = staticmethod(lambda: OMITTED)

LINK_REASON = "links to other workbooks are not computed"


for _name in ("formulas", "schedula"):  # their warnings are reported as cell errors instead
    logging.getLogger(_name).setLevel(logging.CRITICAL + 1)

# Prefixes Excel may store before a function name: _xludf. marks a user-defined function
# that was not loaded when the file was saved, _xlfn. a function newer than the file format.
_PREFIXES = ("_XLUDF.", "_XLFN.", "_XLWS.")


class EngineError(XlsxError):
    """A formula the engine cannot compute; `cell` is "Sheet!A1"."""


@dataclass(frozen=True)
class FormulaCell:
    sheet: str
    ref: str  # "B7"; for an array formula, its top-left cell
    text: str  # the formula without "=", as stored (a shared formula's child has its master's)
    addin: bool  # calls at least one planner function
    cells: tuple[str, ...]  # every cell the formula fills (more than one for array formulas)
    kind: str = "normal"  # "normal", "array" or "shared" (as stored)
    shape: str = ""  # the formula moved to a fixed cell (shape_of): what analysis reads
    master: str | None = None  # for a cell of a shared formula group: the cell holding its text


def addin_name(name: str) -> str | None:
    """The planner formula a function token names, or None for other functions.

    Accepts Excel's storage prefixes and a namespace (PLANNER.CHINCHILLA_N), as an add-in
    host may show the functions under one.
    """
    key = name.upper()
    stripped = True
    while stripped:
        stripped = False
        for prefix in _PREFIXES:
            if key.startswith(prefix):
                key, stripped = key[len(prefix):], True
    if adapter.function(key) is not None:
        return key
    last = key.rsplit(".", 1)[-1]
    return last if "." in key and adapter.function(last) is not None else None


# A function of an add-in workbook is stored with a reference to the add-in: [1]!NAME( with
# an external link, or 'C:\path\addin.xlam'!NAME( when the link is unresolved.
_EXTERNAL_FUNCTION = re.compile(r"(?:\[\d+\]|'(?:[^']|'')+')!(?=([A-Za-z_][\w.]*)\s*\()")


def local_formula(text: str) -> str:
    """The formula with add-in references dropped from planner function names."""
    return _EXTERNAL_FUNCTION.sub(lambda m: "" if addin_name(m.group(1)) else m.group(0), text)


# ---------------------------------------------------------------------------------------
# The planner's formulas inside `formulas`
# ---------------------------------------------------------------------------------------

_current_cell: contextvars.ContextVar[str | None] = contextvars.ContextVar("cell", default=None)
_reasons: contextvars.ContextVar[dict | None] = contextvars.ContextVar("reasons", default=None)


def _from_engine(value):
    """An engine value (scalar, 0-d or 2-D array) as `evaluate` takes it."""
    if isinstance(value, Ranges):
        value = value.value
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _element(value.item())
        grid = value.reshape(value.shape[0], -1) if value.ndim > 1 else value.reshape(1, -1)
        if grid.size == 1:
            return _element(grid[0, 0])
        # One flat pass (a whole column is a million rows): plain numbers and text as they are.
        flat = [v if type(v) in _PLAIN else _element(v) for v in grid.ravel().tolist()]
        width = grid.shape[1]
        return [flat[i:i + width] for i in range(0, len(flat), width)]
    return _element(value)


_PLAIN = (float, int, str, bool)  # passed as they are (an Omitted is a float subclass, not float)


def _element(v):
    if v is sh.EMPTY or v is None or type(v) is Omitted:
        return None
    if isinstance(v, XlError):
        return adapter.CellError(str(v), f"an input is {v}")
    if isinstance(v, np.generic):
        return v.item()
    return v


def _note(reason, at: tuple[int, int] = (0, 0)) -> None:
    """Keep the reason (a text, or a CellError whose reason is worded when read) of the error
    shown `at` (row, column) offset from the cell being computed (an array formula's top left)."""
    reasons, cell = _reasons.get(), _current_cell.get()
    if reasons is None or cell is None or not reason:
        return
    if ":" in cell or at != (0, 0):
        sheet, _, ref = cell.partition("!")
        column, row = coordinate_from_string(ref.split(":")[0])
        cell = f"{sheet}!{get_column_letter(column_index_from_string(column) + at[1])}{row + at[0]}"
    reasons.setdefault(cell, reason)


def _reason_text(reason) -> str:
    return reason.reason if isinstance(reason, adapter.CellError) else (reason or "")


def _to_engine_element(v, at: tuple[int, int] = (0, 0)):
    if isinstance(v, adapter.CellError):
        _note(v, at)
        return Error.errors.get(v.code, Error.errors["#VALUE!"])
    if isinstance(v, str):
        return v
    f = float(v)
    if not np.isfinite(f):
        _note("the result is not a finite number", at)
        return Error.errors["#NUM!"]
    return f


def _to_engine(result):
    if isinstance(result, list):
        rows = [[v if type(v) is float and v - v == 0 else _to_engine_element(v, (i, j))
                 for j, v in enumerate(row)] for i, row in enumerate(result)]
        out = np.empty((len(rows), max((len(r) for r in rows), default=0)), dtype=object)
        out[:] = Error.errors["#N/A"]
        for i, row in enumerate(rows):
            out[i, :len(row)] = row
        # An Array, so that a single cell shows the top-left value (as Excel and LibreOffice
        # do for a non-array formula) and an array formula shows the whole block.
        return out.view(Array)
    return _to_engine_element(result)


def _adapter(excel_name: str):
    def call(*args):
        return _to_engine(adapter.evaluate(excel_name, [_from_engine(a) for a in args]))

    call.__name__ = excel_name
    return wrap_ranges_func(call)


_registered: set[str] = set()

# formulas' statistics functions import scipy.stats, scipy.linalg and scipy.interpolate (and
# scipy and statistics themselves) when the function table is built: 0.6 s, more than a
# template takes to compute, for the few functions (NORM.S.INV, FORECAST, ...) that call
# them; its maths functions import numpy.random for RAND (7 ms). Their modules are imported
# with those standing in for themselves, each imported when first used.
_DEFERRED = ("scipy", "scipy.stats", "scipy.linalg", "scipy.interpolate", "statistics", "numpy.random")
_DEFERRING = ("formulas.functions.stat", "formulas.functions.math")


class _Deferred(types.ModuleType):
    """A module imported when an attribute of it is first used (after the import it stood
    in for has finished); while it stands in, `from module import name` gives a stand-in too."""

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if sys.modules.get(self.__name__) is self:
            return _DeferredAttribute(self.__name__, attr)
        return getattr(importlib.import_module(self.__name__), attr)


class _DeferredAttribute:
    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def _real(self):
        return getattr(importlib.import_module(self.module), self.name)

    def __call__(self, *args, **kwargs):
        return self._real()(*args, **kwargs)

    def __getattr__(self, attr):
        if attr.startswith("__"):  # functools.wraps asking for __name__: not an import
            raise AttributeError(attr)
        return getattr(self._real(), attr)


def _import_functions_deferred() -> None:
    if all(name in sys.modules for name in _DEFERRING):
        return
    stand_ins = {name: _Deferred(name) for name in _DEFERRED if name not in sys.modules}
    # A submodule of a package imported already (numpy.random) stands in as its attribute
    # too: numpy's own __getattr__ would import it again and again otherwise.
    attributes = []
    for name, module in stand_ins.items():
        parent, _, child = name.rpartition(".")
        if parent and parent in sys.modules and child not in vars(sys.modules[parent]):
            setattr(sys.modules[parent], child, module)
            attributes.append((sys.modules[parent], child, module))
    sys.modules.update(stand_ins)
    try:
        for name in _DEFERRING:
            importlib.import_module(name)
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
        for parent, child, module in attributes:
            if vars(parent).get(child) is module:
                delattr(parent, child)


def register_functions() -> None:
    """Put every planner formula (and its _xludf. alias) in formulas' function table."""
    _import_functions_deferred()
    table = formulas.get_functions()
    for name in list(adapter.FUNCTIONS):
        if name not in _registered:
            fn = _adapter(name)
            table[name] = fn
            table["_XLUDF." + name] = fn
            _registered.add(name)


# ---------------------------------------------------------------------------------------
# Which cells hold formulas
# ---------------------------------------------------------------------------------------

# A far cell every formula is moved to before it is analysed: the formulas of a filled-down
# column then read the same (their R1C1 form), and are tokenised once between them.
_SHAPE_ORIGIN = "KZ700000"


def shape_of(text: str, ref: str) -> str:
    """The formula as it reads at _SHAPE_ORIGIN: the same text for every cell of one R1C1 shape."""
    try:
        moved = _moved(text, ref)
    except Exception:  # noqa: BLE001 - openpyxl's TokenizerError: analyse the text itself
        return text
    return text if "#REF!" in moved and "#REF!" not in text else moved


_DIGITS = re.compile(r"(\d+)")
# The one place where openpyxl's tokenizer reads a digit's value: 1E+5 is a number, 0E+5 not.
_SCIENTIFIC = re.compile(r"\d[Ee][+-]")
_ORIGIN_ROW, _ORIGIN_COL = coordinate_to_tuple(_SHAPE_ORIGIN)


_pieces: dict[tuple[str, ...], tuple | None] = {}


def _token_pieces(skeleton: tuple[str, ...], text: str) -> tuple[tuple[tuple[str, ...], bool], ...] | None:
    """openpyxl's tokens of `text` with their digits left out, each with whether it is a
    reference: the same for every formula of this skeleton (the text between its digits),
    which differ in digits only. None when the tokens do not take the text apart at its
    digit runs (then each formula is tokenised on its own)."""
    if skeleton not in _pieces:
        if len(_pieces) >= 65536:
            _pieces.clear()
        _pieces[skeleton] = _split_tokens(skeleton, text)
    pieces = _pieces[skeleton]
    run = programs.current()
    if run is not None and skeleton not in run.pieces:  # kept with the workbook's entries (programs.keep)
        data = None if pieces is None else [[list(p), r] for p, r in pieces]
        recalled = run.recalled["pieces"]
        run.note("pieces", skeleton, data, known=skeleton in recalled and recalled[skeleton] == data)
    return pieces


def _recalled_pieces(skeleton: tuple[str, ...], data) -> tuple | None:
    """_split_tokens' pieces of `skeleton` as programs.recall read them back (JSON lists);
    ValueError for data that are not the pieces of this skeleton."""
    if data is None:
        return None
    if type(data) is not list or not all(type(p) is list and len(p) == 2 and type(p[0]) is list
                                         and type(p[1]) is bool and all(type(x) is str for x in p[0])
                                         and p[0] for p in data):
        raise ValueError("not pieces")
    pieces = tuple((tuple(p[0]), p[1]) for p in data)
    # The pieces hold the skeleton's text and its digit runs, as _split_tokens checks them.
    if sum(len(p) - 1 for p, _ in pieces) != len(skeleton) - 1 or \
            "".join(x for p, _ in pieces for x in p) != "".join(skeleton):
        raise ValueError("the pieces of another text")
    return pieces


def _recalled_shape(text: str, ref: str, run) -> str:
    """shape_of(text, ref), as the workbook's file noted it when it holds it (programs.Run),
    where this run also notes it."""
    if run is None:
        return shape_of(text, ref)
    key = (text, ref)
    shape = run.recalled["shapes"].get(key)
    known = type(shape) is str
    if not known:  # not noted, or not a text: moved afresh
        shape = shape_of(text, ref)
    run.note("shapes", key, shape, known)
    return shape


def _recall(found: list[tuple[Sheet, list]]) -> None:
    """Read back the workbook's file (programs.recall) for the formulas `found` (each sheet's
    (ref, <c>, <f>)): its entries and, checked here, its formulas' pieces."""
    if programs.current() is None or not programs.enabled():
        return
    key = programs.workbook_key((sheet.name, ref, f.get("t", ""), f.get("ref", ""), f.get("si", ""), f.text or "")
                                for sheet, listed in found for ref, _, f in listed)
    run = programs.current()
    for skeleton, data in programs.recall(key, sum(len(listed) for _, listed in found)).get("pieces", {}).items():
        try:
            pieces = _recalled_pieces(skeleton, data)
        except ValueError:
            continue  # tokenised afresh
        _pieces.setdefault(skeleton, pieces)
        run.note("pieces", skeleton, data, known=True)  # kept, whether or not a shape needs them


def _split_tokens(skeleton: tuple[str, ...], text: str):
    tokens = Translator("=" + text, origin="A1").get_tokens()
    if tokens and tokens[0].type == Token.LITERAL:
        return None
    pieces = tuple((tuple(_DIGITS.split(t.value)[0::2]), t.type == Token.OPERAND and t.subtype == Token.RANGE)
                   for t in tokens)
    if "".join(t.value for t in tokens) != text or \
            sum(len(p) - 1 for p, _ in pieces) != len(skeleton) - 1:
        return None
    return pieces


def _moved(text: str, ref: str) -> str:
    """Translator's translate_formula of `text` from `ref` to _SHAPE_ORIGIN, tokenising once
    per skeleton: a filled-down column's formulas differ only in their digits."""
    row, col = coordinate_to_tuple(ref)
    parts = _DIGITS.split(text)
    pieces = None if _SCIENTIFIC.search(text) else _token_pieces(tuple(parts[0::2]), text)
    if pieces is None:
        return Translator("=" + text, origin=ref).translate_formula(_SHAPE_ORIGIN)[1:]
    digits = iter(parts[1::2])
    out = []
    for between, is_reference in pieces:
        value = between[0] + "".join(next(digits) + rest for rest in between[1:])
        out.append(Translator.translate_range(value, _ORIGIN_ROW - row, _ORIGIN_COL - col)
                   if is_reference else value)
    return "".join(out)


# _tokens of formulas read back from disk (programs.py) by their shapes.
_read_tokens: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}


def _tokens(formula: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """(functions called, upper-case names referred to) by formulas' own tokenizer."""
    known = _read_tokens.get(formula)
    return known if known is not None else _parsed_tokens(formula)


def _read_back(sheet: str, shape: str) -> None:
    """Take the tokens of a shape from its stored entry (programs.py), if it has one."""
    if shape in _read_tokens or not programs.enabled():
        return
    entry = programs.read(grid.shape_key(sheet, shape))
    try:
        called, referred = entry["tokens"]
    except (TypeError, KeyError, ValueError):
        return  # none stored, or not one: parsed
    if type(called) is list and type(referred) is list and all(type(x) is str for x in called + referred):
        if len(_read_tokens) >= 65536:  # as _parsed_tokens' cache is bounded
            _read_tokens.clear()
        _read_tokens[shape] = (tuple(called), frozenset(referred))


def _store_compiled(cells: dict, fresh: dict) -> None:
    """Store what this run compiled (programs.py): each shape's tokens, and the compiled
    formulas that grid.recalculate put in `fresh` (it compiles only what it did not read back)."""
    shapes = {grid.shape_key(fc.sheet, fc.shape): fc.shape for fc in cells.values() if fc.shape}
    for key in set(shapes) | set(fresh):
        compiled = fresh.get(key)
        program = compiled.entry() if compiled is not None else None
        if program is None and programs.read(key) is not None:
            continue  # nothing new to store
        entry = {"program": program}
        if key in shapes:
            called, referred = _tokens(shapes[key])
            entry["tokens"] = [list(called), sorted(referred)]
        programs.write(key, entry)


@functools.lru_cache(maxsize=65536)
def _parsed_tokens(formula: str) -> tuple[tuple[str, ...], frozenset[str]]:
    tokens = formulas.Parser().ast("=" + formula.lstrip("="))[0]
    return (tuple(t.name for t in tokens if isinstance(t, Function)),
            frozenset(t.name for t in tokens if isinstance(t, Range) and t.attr.get("is_reference")))


@functools.lru_cache(maxsize=65536)
def references(formula: str) -> tuple[tuple[str, str | None, str], ...]:
    """What a formula refers to, by formulas' own tokenizer: ("range", sheet or None, "A1:B2")
    for a cell or range, ("name", None, NAME) for a defined name (upper case)."""
    tokens = formulas.Parser().ast("=" + formula.lstrip("="))[0]
    out = []
    for t in tokens:
        if not isinstance(t, Range):
            continue
        if t.attr.get("is_reference"):
            out.append(("name", None, t.name))
        elif t.attr.get("r1") and t.attr.get("c1"):
            out.append(("range", t.attr.get("sheet") or None, t.attr["ref"]))
    return tuple(out)


def function_names(formula: str) -> list[str]:
    """The functions a formula calls (formulas' own tokenizer; raises FormulaError)."""
    return list(_tokens(formula)[0])


def _check_formula_size(text: str, where: str) -> None:
    """Refuse a formula beyond Excel's own limits before any parser sees it."""
    if len(text) > limits.FORMULA_LENGTH:
        raise EngineError(f"a formula of {len(text):,} characters; Excel's limit, and the engine's, is "
                          f"{limits.FORMULA_LENGTH:,}", where)
    if text.count("(") > limits.NESTING:
        depth = deepest = 0
        quoted = False
        for ch in text:
            if ch == '"':
                quoted = not quoted
            elif not quoted:
                depth += (ch == "(") - (ch == ")")
                deepest = max(deepest, depth)
        if deepest > limits.NESTING:
            raise EngineError(f"a formula nested {deepest} levels deep; Excel's limit, and the "
                              f"engine's, is {limits.NESTING}", where)


def _parse_reason(exc: Exception, text: str) -> str:
    if re.search(r"[A-Za-z_][\w.]*\[|\[@|\[#", text):
        return "structured references to tables (Table[Column]) are not supported; use a cell range"
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return first.replace("%s", "").strip().rstrip(":").strip() or type(exc).__name__


def _refuse_3d_references(sheets: set[str], text: str, where: str) -> None:
    """formulas reads Sheet1:Sheet3!A1 as a name (Sheet1) and a range, giving #VALUE! where
    Excel sums across the sheets: refuse rather than show a wrong value. `sheets`: the
    upper-case names of the workbook's sheets that are not also defined names."""
    if sheets & _tokens(text)[1]:
        raise EngineError(f"references through several sheets (Sheet1:Sheet3!A1) are not supported by "
                          f"the embedded engine; add the sheets' cells one by one (in ={text})", where)


def _range_bounds(text: str):
    """(reference, (c1, r1, c2, r2)) of each cell or range `text` names with both corners
    (not whole rows or columns, not names), by openpyxl's tokenizer."""
    try:
        tokens = Tokenizer("=" + text).items
    except Exception:  # noqa: BLE001 - openpyxl's TokenizerError: formulas' own reading decides
        return
    for t in tokens:
        if t.type != Token.OPERAND or t.subtype != Token.RANGE:
            continue
        ref = t.value.rpartition("!")[2].replace("$", "")
        try:
            bounds = range_boundaries(ref)
        except (ValueError, TypeError):
            continue  # a defined name
        if None not in bounds:
            yield ref, bounds


def _refuse_vast_ranges(text: str, where: str) -> None:
    """Refuse a reference to more cells than limits.RANGE_CELLS (B1:XFC1048575 is 17 billion),
    which either path would hold in memory whole. (Whole rows and columns, A:A and 1:1, are
    read as far as the sheet has cells.) Checked at the first cell of each shape; a range
    that grows down a column ($A$1:B2) is checked again as the fast path reads it."""
    if ":" not in text:
        return  # single cells and names only (the cheap test, for most formulas)
    for _, (c1, r1, c2, r2) in _range_bounds(text):
        size = (r2 - r1 + 1) * (c2 - c1 + 1)
        if size > limits.RANGE_CELLS:
            raise EngineError(f"the formula ={text} reads {size:,} cells of one range; the embedded engine "
                              f"reads at most {limits.RANGE_CELLS:,} (a whole column is 1,048,576)", where)


def _refuse_edge_ranges(text: str, where: str) -> None:
    """Refuse a reference that names the sheet's last row or column (A1:A1048576, B1:XFD1):
    formulas misreads it (SUM(A1:A1048576) would sum A1 alone)."""
    if "1048576" not in text and "XFD" not in text.upper():
        return  # the cheap test, for every cell
    for ref, (_, _, c2, r2) in _range_bounds(text):
        if r2 == MAX_ROW or c2 == MAX_COL:
            last, whole = ("row", "the whole column (A:A)") if r2 == MAX_ROW else ("column", "the whole row (1:1)")
            raise EngineError(f"the formula ={text} refers to {ref}, at the sheet's last {last}, which the "
                              f"embedded engine misreads; refer to {whole} or stop short of it", where)


def _check_functions(sheets: set[str], text: str, shape: str, where: str, known) -> bool:
    """Refuse a formula that calls a function the engine lacks; whether it calls planner
    formulas. `sheets` as _refuse_3d_references takes them."""
    try:
        names = function_names(shape)
    except Exception as exc:  # noqa: BLE001 - any parse failure of formulas' tokenizer
        raise EngineError(f"cannot read the formula ={text} ({_parse_reason(exc, text)})", where) from None
    _refuse_3d_references(sheets, shape, where)
    _refuse_vast_ranges(text, where)
    for name in names:
        # formulas' table is a defaultdict that files unknown names under not_implemented
        if known.get(name.upper(), not_implemented) is not_implemented and addin_name(name) is None:
            raise EngineError(f"the function {name.upper()} is not supported by the embedded "
                              f"engine (in ={text})", where)
    addin = False
    for name in names:
        planner_name = addin_name(name)
        if planner_name:
            addin = True
            if known.get(name.upper(), not_implemented) is not_implemented:  # another spelling
                known[name.upper()] = _adapter(planner_name)
    return addin


def formula_cells(pkg: Package) -> dict[tuple[str, str], FormulaCell]:
    """Every formula of the package by (sheet name, top-left cell)."""
    register_functions()
    known = formulas.get_functions()
    found: dict[tuple[str, str], FormulaCell] = {}
    checked: dict[str, bool] = {}  # shape -> whether it calls planner formulas
    sheets = {s.name.upper() for s in pkg.sheets} - {n.name.upper() for n in pkg.names}
    n_cells = 0
    listed: list[tuple[Sheet, list]] = []  # each sheet's formulas: (ref, <c>, <f>)
    for sheet in pkg.sheets:
        indexed = index_cells(pkg.xml(sheet.part))
        n_cells += len(indexed)
        if n_cells > limits.CELLS:
            raise EngineError(f"the workbook has more than {limits.CELLS:,} cells, the limit of the "
                              f"embedded engine", sheet.name)
        listed.append((sheet, [(ref, c, f) for ref, c in indexed.items() if (f := c.find(_M + "f")) is not None]))
    _recall(listed)
    run = programs.current()
    for sheet, sheet_formulas in listed:
        masters: dict[str, FormulaCell] = {}
        children: list[tuple[str, str]] = []
        for ref, c, f in sheet_formulas:
            kind = f.get("t", "normal")
            where = f"{sheet.name}!{ref}"
            _check_formula_size(f.text or "", where)
            if kind == "dataTable":
                raise EngineError("what-if data tables are not supported by the embedded engine", where)
            if kind == "shared" and not (f.text or "").strip():
                children.append((ref, f.get("si", "")))
                continue
            text = local_formula((f.text or "").strip())
            _refuse_edge_ranges(text, where)  # by the cell's own references, which its shape moves
            shape = _recalled_shape(text, ref, run)
            addin = checked.get(shape)
            if addin is None:  # what a formula calls depends on its shape only
                _read_back(sheet.name, shape)
                addin = checked[shape] = _check_functions(sheets, text, shape, where, known)
            cells = (ref,)
            if kind == "array" and f.get("ref"):
                c1, r1, c2, r2 = range_boundaries(f.get("ref"))
                size = (r2 - r1 + 1) * (c2 - c1 + 1)  # before any cell of the block is made
                if size > limits.ARRAY_CELLS:
                    raise EngineError(f"the array formula fills {f.get('ref')} ({size:,} cells); the "
                                      f"embedded engine takes at most {limits.ARRAY_CELLS:,} in one block", where)
                cells = tuple(f"{get_column_letter(col)}{row}"
                              for row in range(r1, r2 + 1) for col in range(c1, c2 + 1))

            cell = FormulaCell(sheet.name, ref, text, addin, cells, kind, shape)
            found[(sheet.name, ref)] = cell
            if kind == "shared":
                masters[f.get("si", "")] = cell
        for ref, si in children:
            master = masters.get(si)
            if master is None:
                raise EngineError("a shared formula refers to a group with no formula", f"{sheet.name}!{ref}")
            found[(sheet.name, ref)] = FormulaCell(sheet.name, ref, master.text, master.addin, (ref,),
                                                   "shared", master.shape, master.ref)
    return found


# ---------------------------------------------------------------------------------------
# Recalculation
# ---------------------------------------------------------------------------------------

def _value(v, reason: str = ""):
    if isinstance(v, XlError):
        return CellError(str(v), reason)
    if v is sh.EMPTY or v is None:
        return None
    if isinstance(v, np.ndarray):
        v = v.item() if v.size == 1 else v.ravel()[0]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, (int, float)):
        return float(v) if np.isfinite(v) else CellError("#NUM!", reason or "not a finite number")
    return v if isinstance(v, str) else str(v)


class Recalculation(NamedTuple):
    values: dict  # (sheet name, "A1") -> float, str, bool, CellError or None, every cell seen
    cells: dict  # (sheet name, "A1") -> FormulaCell, every formula
    names: dict  # upper-case workbook defined name -> its value (a scalar or a 2-D list)


def recalculate(pkg: Package, vectorise: bool = True, fast: bool = True) -> Recalculation:
    """Compute the workbook held in `pkg`; raises EngineError for a formula it cannot compute.

    With `vectorise`, each filled-down column of one formula shape is computed as one formula
    (blocks.py); without, every cell on its own (the same values, slower). With `fast`, a
    workbook the fast path takes (grid.py) is computed shape by shape, without formulas'
    model; any other, or with `fast` off, by the model."""
    with programs.recording() as run:
        cells = formula_cells(pkg)
        names = name_definitions(pkg, cells)
        found = vector_blocks(cells, names) if vectorise else []
        if fast:
            try:
                done = _recalculate_fast(pkg, cells, found, fast_path_check(pkg, cells, names))
            except XlsxError:  # EngineError included: the model would say the same, or read the range whole
                raise
            except Exception:  # noqa: BLE001 - grid.Unsupported, or anything else it did not foresee
                pass  # the model computes it, as it always has
            else:
                programs.keep(run)
                return done
    nodes = _engine_nodes(cells, found)
    if nodes > limits.FORMULA_CELLS:  # the fast path keeps no node per cell: limits.CELLS bounds it
        raise EngineError(f"the workbook has {nodes:,} formulas to compute (a filled-down column of one "
                          f"formula counts once); the embedded engine takes at most {limits.FORMULA_CELLS:,}")
    return _recalculate_model(pkg, cells, found)


def fast_path_check(pkg: Package, cells: dict, names: dict[str, str] | None = None) -> dict[str, str]:
    """The definitions of the names the formulas use (`names`, when given: name_definitions),
    when the fast path takes the workbook; raises grid.Unsupported, saying why, when it leaves
    it to the model."""
    names = name_definitions(pkg, cells) if names is None else names
    grid.check(pkg, cells, _tokens, names, _planner_names(pkg))
    return names


def name_definitions(pkg: Package, cells: dict) -> dict[str, str]:
    """The definition of each defined name the formulas use, by upper-case name, as the
    model reads it (_names_in_use)."""
    texts = {(n.name.upper(), n.sheet_index): n.text for n in pkg.names}
    return {name: texts[(name, scope)] for name, scope in _names_in_use(pkg, cells).items()}


def _planner_names(pkg: Package) -> set[str]:
    """Names whose definitions call planner formulas (their values are frozen in hand-off copies)."""
    out = set()
    for n in pkg.names:
        if "(" not in n.text:  # a reference or a constant calls no function
            continue
        try:
            if any(addin_name(f) for f in function_names(local_formula(n.text))):
                out.add(n.name.upper())
        except Exception:  # noqa: BLE001 - a definition formulas cannot read: not a planner one
            continue
    return out


def _recalculate_fast(pkg: Package, cells: dict, found: list, names: dict) -> Recalculation:
    reasons: dict[str, str] = {}
    token = _reasons.set(reasons)
    try:
        with warnings.catch_warnings(), _no_cycle_collection():
            warnings.simplefilter("ignore")
            fresh: dict = {}
            values = grid.recalculate(pkg, cells, found, names, _computing, reasons,
                                      lambda v, key: _value(v, _reason_text(reasons.get(key))), fresh)
    finally:
        _reasons.reset(token)
    if programs.enabled():
        _store_compiled(cells, fresh)
    for (sheet, _), fc in cells.items():
        for ref in fc.cells:
            if values.get((sheet, ref)) is None:  # a formula showing an empty cell shows 0
                values[(sheet, ref)] = 0.0
    return Recalculation(values, cells, {})


@contextlib.contextmanager
def _computing(cell: str):
    """Name the cell being computed ("SHEET!A1", or a block "SHEET!B2:B9") for error reasons."""
    token = _current_cell.set(cell)
    try:
        yield
    finally:
        _current_cell.reset(token)


def _recalculate_model(pkg: Package, cells: dict, found: list) -> Recalculation:
    # formulas' model, and its reader with the engine's guards, load only for the workbooks
    # the fast path leaves to it (formulas.excel brings tqdm and importlib.metadata).
    from workbook.recalc.model import Model, own_book, refused_links

    sheet_names = {s.name.upper(): s.name for s in pkg.sheets}
    reasons: dict[str, str] = {}
    refused: list[str] = []
    token = _reasons.set(reasons)
    refused_token = refused_links.set(refused)
    try:
        with tempfile.TemporaryDirectory(prefix="planner-calc-") as tmp:
            # A plain file name: formulas keys every cell by "[file]SHEET!A1".
            book = Path(tmp) / "book.xlsx"
            book.write_bytes(_engine_copy(pkg, cells, found))
            own_book.set(os.path.abspath(str(book)))
            # formulas draws a progress bar on stderr and openpyxl warns about extensions it
            # skips; neither is for the user of a command that reports in one line.
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()), _no_cycle_collection():
                warnings.simplefilter("ignore")
                try:
                    model = Model().loads(str(book)).finish()
                except Exception as exc:  # noqa: BLE001 - a workbook formulas cannot model
                    detail = (str(exc).splitlines() or [""])[0].replace(f" from {book}", "").replace(str(book), "it")
                    raise EngineError(f"the engine cannot read the workbook ({type(exc).__name__}: {detail})") from None
                _track_cells(model)
                model.dsp.raises = ""
                solution = model.calculate()
    finally:
        own_book.set(None)
        _reasons.reset(token)
        refused_links.reset(refused_token)

    values: dict[tuple[str, str], object] = {}
    names: dict[str, object] = {}
    for key, v in solution.items():
        if isinstance(key, str) and not isinstance(key, sh.Token) and key.upper().startswith("'[BOOK.XLSX]'!"):
            grid = v.value if isinstance(v, Ranges) else v
            grid = np.asarray(grid, dtype=object)
            grid = grid.reshape(grid.shape[0] if grid.ndim else 1, -1)
            names[key.split("!", 1)[1].upper()] = (_value(grid[0, 0]) if grid.size == 1
                                           else [[_value(x) for x in row] for row in grid])
            continue
        if isinstance(key, sh.Token) or not isinstance(v, Ranges) or not v.ranges:
            continue
        rng = v.ranges[0]
        sheet = sheet_names.get(str(rng.get("sheet", "")).upper())
        if sheet is None or int(rng["r1"]) < 1 or int(rng["n1"]) < 1:
            continue  # a whole column or row (B:B, 3:3): its cells that matter are nodes of their own
        grid = np.asarray(v.value, dtype=object).reshape(int(rng["r2"]) - int(rng["r1"]) + 1, -1)
        for i, row in enumerate(range(int(rng["r1"]), int(rng["r2"]) + 1)):
            for j, col in enumerate(range(int(rng["n1"]), int(rng["n2"]) + 1)):
                ref = f"{get_column_letter(col)}{row}"
                if (sheet, ref) not in values or (sheet, ref) in cells:
                    values[(sheet, ref)] = _value(grid[i, j], _reason_text(reasons.get(f"{sheet.upper()}!{ref}")))

    known_names = {n.name.upper() for n in pkg.names} | set(sheet_names)
    for (sheet, _), fc in cells.items():
        for ref in fc.cells:
            if (sheet, ref) not in values:
                if ref != fc.ref:  # an array formula smaller than its block leaves #N/A
                    values[(sheet, ref)] = CellError("#N/A")
                    continue
                for where, (text, reason) in _failures(model, solution, sheet_names, cells).items():
                    raise EngineError(f"the engine failed on ={text} ({reason})", where)
                raise EngineError(f"the engine could not compute ={fc.text} (is it part of a circular "
                                  f"reference? those are not supported)", f"{sheet}!{ref}")
            if values[(sheet, ref)] is None:  # a formula showing an empty cell shows 0
                values[(sheet, ref)] = 0.0
            elif isinstance(values[(sheet, ref)], CellError) and not values[(sheet, ref)].reason:
                unknown = sorted(_tokens(fc.shape or fc.text)[1] - known_names)
                if refused and values[(sheet, ref)].code == "#REF!":
                    values[(sheet, ref)] = CellError("#REF!", f"{LINK_REASON}: this formula or one it "
                                                              f"uses refers to {', '.join(sorted(set(refused)))}")
                elif unknown:  # formulas gives #REF! for a name no one defined; Excel gives #NAME?
                    typed = re.search(re.escape(unknown[0]), fc.text, re.IGNORECASE)
                    name = typed.group(0) if typed else unknown[0]
                    values[(sheet, ref)] = CellError("#NAME?", f"{name} is not a defined name")
    return Recalculation(values, cells, names)


@contextlib.contextmanager
def _no_cycle_collection():
    """Pause Python's cycle collector: the model's graph is large and long-lived, and a range
    of a million cells (A:A) makes a million small lists, each pass of the collector walking
    the whole graph again (most of the time of such a workbook)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _failures(model, solution, sheet_names: dict, cells: dict) -> dict[str, tuple[str, str]]:
    """Formula cells whose evaluation raised: "Sheet!A1" -> (formula, innermost exception)."""
    out = {}
    for node_id, message in getattr(solution, "_errors", {}).items():
        raised = [m for m in re.findall(r"([A-Za-z]+(?:Error|Exception))\((['\"])(.*?)\2\)", str(message))
                  if m[0] != "DispatcherError"]
        reason = f"{raised[-1][0]}: {raised[-1][2]}" if raised else "an internal error"
        for output in model.dsp.nodes.get(node_id, {}).get("outputs", ()):
            sheet_ref = str(output).split("]", 1)[-1].replace("'", "")
            sheet, _, ref = sheet_ref.partition("!")
            sheet = sheet_names.get(sheet.upper(), sheet)
            fc = cells.get((sheet, ref.upper()))
            if fc is not None:
                out[f"{sheet}!{ref.upper()}"] = (fc.text, reason)
    return out


def _names_in_use(pkg: Package, cells: dict) -> dict[str, int | None]:
    """The definition each referred-to defined name has, by upper-case name: the sheet index
    of a sheet-scoped name or None (workbook scope), as Excel resolves it from the referring
    cell (a name of the cell's own sheet first). Raises EngineError when one name stands for
    two definitions, which the engine (workbook-scoped names only) cannot tell apart."""
    scopes: dict[str, set] = {}
    spelling = {n.name.upper(): n.name for n in pkg.names}
    texts = {(n.name.upper(), n.sheet_index): n.text.replace("$", "").strip() for n in pkg.names}
    for n in pkg.names:
        scopes.setdefault(n.name.upper(), set()).add(n.sheet_index)
    index = {s.name: s.index for s in pkg.sheets}
    used: dict[str, tuple[int | None, str]] = {}
    for (sheet, ref), fc in cells.items():
        for name in _tokens(fc.shape or fc.text)[1]:
            defined = scopes.get(name)
            if not defined:
                continue
            scope = index[sheet] if index[sheet] in defined else None
            if scope is None and None not in defined:
                continue  # Excel shows #NAME? (another sheet's name)
            first = used.setdefault(name, (scope, f"{sheet}!{ref}"))
            if first[0] != scope and texts[(name, first[0])] != texts[(name, scope)]:
                raise EngineError(f"the name {spelling[name]} means one range here and another in {first[1]} "
                                  f"(a sheet-scoped name); the embedded engine needs names that are "
                                  f"unique in the workbook: rename one in the Name Manager",
                                  f"{sheet}!{ref}")
    return {name: scope for name, (scope, _) in used.items()}


def own_formula(fc: FormulaCell) -> str:
    """A formula cell's own text: a shared formula moved from its group's master to the cell
    (openpyxl's Translator), as Excel would show it there."""
    if fc.master is None:
        return fc.text
    return Translator("=" + fc.text, origin=fc.master).translate_formula(fc.ref)[1:]


def vector_blocks(cells: dict, names: dict[str, str]) -> list:
    """The filled-down columns the engine computes as one formula each (see blocks.py); `names`
    are the definitions of the names the formulas use (name_definitions). Array formulas and
    the masters of shared groups cannot join a block."""
    shapes = {key: fc.shape for key, fc in cells.items()
              if fc.kind == "normal" or (fc.kind == "shared" and fc.master is not None)}
    return blocks.plan(shapes, lambda key: own_formula(cells[key]), blocks.single_cells(names))


def _engine_nodes(cells: dict, found: list) -> int:
    """Formula nodes the engine builds: one per formula cell, one per block."""
    return sum(len(fc.cells) for fc in cells.values()) - sum(b.last - b.first for b in found)


def _use_blocks(pkg: Package, found: list, parts: set, undo: list) -> None:
    """Write each block into the engine's copy as one array formula (its other cells removed)."""
    by_sheet: dict[str, list] = {}
    for b in found:
        by_sheet.setdefault(b.sheet, []).append(b)
    for sheet, sheet_blocks in by_sheet.items():
        part = pkg.sheet(sheet).part
        root = pkg.xml(part)
        parts.add(part)
        rows = {}
        for row in root.iter(_M + "row"):
            for c in row:
                if c.tag == _M + "c":
                    rows[c.get("r")] = (row, c)
        saved_rows: set[int] = set()
        for b in sheet_blocks:
            refs = b.refs()
            _, head = rows[refs[0]]
            undo.append((head, list(head), dict(head.attrib)))
            head[:] = []
            head.attrib.pop("t", None)
            ET.SubElement(head, _M + "f", {"t": "array", "ref": b.ref}).text = b.text
            for ref in refs[1:]:
                row, c = rows[ref]
                if id(row) not in saved_rows:  # each row's cells saved once, before any goes
                    saved_rows.add(id(row))
                    undo.append((row, list(row), None))
                row.remove(c)


def _undo_blocks(undo: list) -> None:
    """Put back every element `_use_blocks` changed: its children and, for a cell, its attributes."""
    for el, children, attrib in reversed(undo):
        el[:] = children
        if attrib is not None:
            el.attrib.clear()
            el.attrib.update(attrib)


def _engine_copy(pkg: Package, cells: dict, found: list = ()) -> bytes:
    """The package as the engine reads it: planner functions without add-in references, each
    referred-to name as the one workbook-scoped, visible name of that spelling (formulas
    reads only those), and each block of `found` as one array formula."""
    changed, parts, restore, undo = [], set(), [], []
    for sheet in pkg.sheets:
        for f in pkg.xml(sheet.part).iter(_M + "f"):
            if f.text and "!" in f.text:
                local = local_formula(f.text)
                if local != f.text:
                    changed.append((f, f.text))
                    parts.add(sheet.part)
                    f.text = local
    in_use = _names_in_use(pkg, cells)
    holder = pkg.xml(pkg.workbook_part).find(_M + "definedNames")
    for el in list(holder if holder is not None else ()):
        name, local = (el.get("name") or "").upper(), el.get("localSheetId")
        if name not in in_use or (local is None and el.get("hidden") is None and in_use[name] is None):
            continue
        restore.append((el, dict(el.attrib), list(holder).index(el)))
        if (int(local) if local else None) == in_use[name]:
            el.attrib.pop("localSheetId", None)
            el.attrib.pop("hidden", None)
        else:
            holder.remove(el)
    if restore:
        parts.add(pkg.workbook_part)
    try:
        _use_blocks(pkg, list(found), parts, undo)
        return pkg.to_bytes(also=parts)
    finally:
        _undo_blocks(undo)
        for f, text in changed:
            f.text = text
        for el, attrib, position in sorted(restore, key=lambda r: r[2]):
            el.attrib.clear()
            el.attrib.update(attrib)
            if el not in list(holder):
                holder.insert(position, el)


def _track_cells(model) -> None:
    """Make the cell being computed known to the planner adapters, for error reasons."""
    for node in model.dsp.function_nodes.values():
        func = node.get("function")
        if isinstance(func, CellWrapper) and node.get("outputs"):
            out = str(node["outputs"][0])
            if "]" in out:
                out = out.split("]", 1)[1].replace("'", "")
            node["function"] = _Tracked(func, out.upper())


class _Tracked:
    """A cell's compiled formula, run with the cell's name in a context variable."""

    def __init__(self, func, cell: str):
        self.func, self.cell = func, cell
        self.__name__ = getattr(func, "__name__", cell)

    def __call__(self, *args, **kwargs):
        token = _current_cell.set(self.cell)
        try:
            return self.func(*args, **kwargs)
        finally:
            _current_cell.reset(token)

    def __getattr__(self, name):  # formulas inspects cell functions (e.g. for cycles)
        return getattr(self.func, name)


__all__ = ["EngineError", "FormulaCell", "addin_name", "formula_cells",
           "function_names", "recalculate", "register_functions", "XlsxError"]
