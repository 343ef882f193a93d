"""The one adapter between spreadsheet values and the planner.

Every Excel host (the classic xlwings add-in, xlwings Lite / Office.js, the embedded
recalculation engine) calls `evaluate(name, args)` with arguments as a spreadsheet gives
them, and gets back what a cell or a spilled range should show. Everything is derived from
`planner.CATALOG`, so a new planner function is a new formula with no change here.

Conventions, by argument kind (see `planner.catalog.KINDS`):

- number: a number, or a range of numbers. Ranges broadcast like Excel dynamic arrays
  (a column against a row gives a grid) and the result has the broadcast shape. An empty
  cell or omitted argument means the Python default. Text or TRUE/FALSE where a number
  belongs is #VALUE!; a number outside the function's domain is #NUM!. In a range only the
  bad elements are errors; the good ones are still computed in one vectorised call.
- law: a preset name, a row or column of 5 (or 6) numbers such as LAW_PARAMS' output, or a
  single number (tokens per parameter) where the function accepts it. Never broadcast.
- gpu: an accelerator name or a peak FLOP/s number. text: a name, such as a result field.
  flag: TRUE/FALSE (or 1/0). Each of these may also be a range (a column of GPU names, a
  row of fields): the formula is evaluated once per distinct value and the results take the
  range's shape, broadcast with the number arguments like any range.
- data: a column (or row) of observations passed whole, blanks and text kept for the
  planner to skip.

Results, by return kind:

- number: a float, or a 2-D list of the broadcast shape.
- record (several named fields, e.g. INFERENCE_TRADEOFF): with a field asked for, that
  field as a number (or the broadcast range). With no field and single-value arguments, a
  labelled row: a row of field names above a row of values. With no field and a row or
  column of inputs, a labelled table: the field names, then one row per input scenario.
  A 2-D grid of inputs with no field is #VALUE! (ask for one field instead).
- row: one row of values without labels, so that it can feed another formula (LAW_PARAMS
  into any `law` argument). With a row or column of inputs, one row per input.
- table: a block of values without labels (rows are the entry's `row_labels`, columns its
  `fields`, both listed in docs/FUNCTIONS.md).

A problem with a non-broadcast argument (an unknown law, a bad field name) makes the whole
call one error value. Errors are `CellError(code, reason)` where the reason is the
planner's one-line message; hosts show it where they can.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass

import numpy as np

import planner
from planner.catalog import CATALOG, Entry, Param

__all__ = ["CellError", "evaluate", "FUNCTIONS", "function"]


@dataclass(frozen=True)
class CellError:
    """An Excel error value with the reason a person reads in the cell's tooltip."""

    code: str  # "#VALUE!", "#NUM!", "#N/A" or "#NAME?"
    reason: str = ""

    def __str__(self) -> str:
        return self.code


def _functions() -> dict[str, Entry]:
    return {entry.excel_name: entry for entry in CATALOG.values()}


# Excel name -> catalog entry, for every formula (the catalog is complete once `planner`
# is imported, which it is above).
FUNCTIONS: dict[str, Entry] = _functions()


def function(name: str) -> Entry | None:
    """The catalog entry for an Excel or Python name, in any case (None when unknown)."""
    key = str(name).strip().upper()
    entry = FUNCTIONS.get(key)
    if entry is None:  # a function registered after this module was imported
        FUNCTIONS.update(_functions())
        entry = FUNCTIONS.get(key)
    return entry


# ---------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------

_BROADCAST = ("number",)


class _Bad(Exception):
    """An argument that makes the whole call one error value."""

    def __init__(self, error: CellError):
        super().__init__(error.reason)
        self.error = error


def _is_range(value) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _as_grid(value) -> np.ndarray:
    """A range as a 2-D object array (a flat list is one row)."""
    if isinstance(value, np.ndarray):
        arr = value if value.dtype == object else value.astype(object)
    else:
        rows = list(value)
        arr = np.array(rows, dtype=object) if rows else np.empty((0, 0), dtype=object)
        if arr.ndim == 1 and rows and _is_range(rows[0]):  # ragged rows: missing cells are empty
            width = max(len(r) for r in rows)
            arr = np.full((len(rows), width), None, dtype=object)
            for i, r in enumerate(rows):
                arr[i, :len(r)] = list(r)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(1, -1)
    elif arr.ndim > 2:
        arr = arr.reshape(arr.shape[0], -1)
    return arr


# Excel's error values, as hosts pass them in when asked to (xlwings' err_to_str option).
_ERROR_CODES = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!",
                "#SPILL!", "#CALC!", "#GETTING_DATA")


def _input_error(v) -> CellError | None:
    """An error value in an input cell, which the result passes on (as Excel does)."""
    if isinstance(v, CellError):
        return v
    if isinstance(v, str) and v.strip().upper() in _ERROR_CODES:
        code = v.strip().upper()
        return CellError(code, f"an input cell is {code}")
    return None


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _describe(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "the logical value " + ("TRUE" if v else "FALSE")
    if isinstance(v, str):
        return f"the text {v!r}"
    return repr(v)


def _scalar(value):
    """A 1x1 range is a single value, as in Excel."""
    if isinstance(value, np.ndarray):
        return value.reshape(-1)[0] if value.size == 1 else value
    if _is_range(value) and len(value) == 1:
        inner = value[0]
        if not _is_range(inner):
            return inner
        if len(inner) == 1 and not _is_range(inner[0]):
            return inner[0]
    return value


def _number_element(v, param: Param):
    """(float, None) for a good cell, (None, CellError) for a bad one."""
    err = _input_error(v)
    if err is not None:
        return None, err
    if v is None:
        if param.optional and _is_number(param.default):
            return float(param.default), None
        return None, CellError("#VALUE!", f"{param.name} is empty; it needs a number ({param.arg.unit})")
    if _is_number(v):
        f = float(v)
        if not np.isfinite(f):
            return None, CellError("#NUM!", f"{param.name} must be a finite number; got {f:g}")
        return f, None
    return None, CellError("#VALUE!", f"{param.name} must be a number ({param.arg.unit}); got {_describe(v)}")


def _number_arg(value, param: Param):
    """A number argument as (values, errors): float array and object array of CellError/None."""
    grid = _as_grid(value) if _is_range(value) else np.array([[value]], dtype=object)
    if grid.size == 0:
        raise _Bad(CellError("#VALUE!", f"{param.name} is an empty range"))
    kinds = set(map(type, grid.ravel()))
    if all(issubclass(t, numbers.Real) and not issubclass(t, (bool, np.bool_)) for t in kinds):
        vals = grid.astype(float)  # the common case, a range of numbers: no per-cell work
        if np.isfinite(vals).all():
            return vals, np.full(grid.shape, None, dtype=object)
    vals = np.zeros(grid.shape)
    errs = np.full(grid.shape, None, dtype=object)
    for idx, v in np.ndenumerate(grid):
        f, e = _number_element(v, param)
        if e is None:
            vals[idx] = f
        else:
            errs[idx] = e
    return vals, errs


def _single(value, param: Param):
    value = _scalar(value)
    if _is_range(value):
        shape = "x".join(map(str, _as_grid(value).shape))
        raise _Bad(CellError("#VALUE!", f"{param.name} must be a single cell; got a {shape} range"))
    err = _input_error(value)
    if err is not None:
        raise _Bad(err)
    return value


def _law_arg(value, param: Param):
    value = _scalar(value)
    if value is None:
        return _default(param)
    if _input_error(value) is not None:
        raise _Bad(_input_error(value))
    if _is_range(value):
        cells = list(_as_grid(value).ravel())
        while cells and cells[-1] is None:  # blank cells after or before a law row
            cells.pop()
        while cells and cells[0] is None:
            cells.pop(0)
        for v in cells:
            if v is None:  # a gap would shift the numbers into the wrong places
                raise _Bad(CellError("#VALUE!", f"{param.name} has an empty cell among its numbers "
                                                f"{{E, A, B, alpha, beta}}"))
            if _input_error(v) is not None:
                raise _Bad(_input_error(v))
            if not _is_number(v):
                raise _Bad(CellError("#VALUE!", f"{param.name} as a range must hold numbers "
                                                f"{{E, A, B, alpha, beta}}; got {_describe(v)}"))
        return [float(v) for v in cells]
    if isinstance(value, str) or _is_number(value):
        return float(value) if _is_number(value) else value
    raise _Bad(CellError("#VALUE!", f"{param.name} must be a preset name or numbers; got {_describe(value)}"))


def _gpu_arg(value, param: Param):
    value = _single(value, param)
    if value is None:
        return _default(param)
    if isinstance(value, str) or _is_number(value):
        return float(value) if _is_number(value) else value
    raise _Bad(CellError("#VALUE!", f"{param.name} must be a GPU name or a peak FLOP/s number; "
                                    f"got {_describe(value)}"))


def _text_arg(value, param: Param):
    value = _single(value, param)
    if value is None:
        return _default(param)
    if isinstance(value, str):
        return value
    if _is_number(value) and float(value).is_integer():  # e.g. a year or a code typed as a number
        return str(int(value))
    raise _Bad(CellError("#VALUE!", f"{param.name} must be text; got {_describe(value)}"))


def _flag_arg(value, param: Param):
    value = _single(value, param)
    if value is None:
        return _default(param)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if _is_number(value) and float(value) in (0.0, 1.0):
        return bool(value)
    if isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE"):
        return value.strip().upper() == "TRUE"
    raise _Bad(CellError("#VALUE!", f"{param.name} must be TRUE or FALSE; got {_describe(value)}"))


def _data_arg(value, param: Param):
    if value is None:
        return _default(param)
    if isinstance(value, CellError):
        raise _Bad(value)
    cells = list(_as_grid(value).ravel()) if _is_range(value) else [value]
    # Error cells inside the data are passed as text, for the planner to skip with the blanks.
    return [str(v) if isinstance(v, CellError) else (float(v) if _is_number(v) else v) for v in cells]


def _default(param: Param):
    if not param.optional:
        raise _Bad(CellError("#VALUE!", f"{param.name} is required ({param.arg.unit})"))
    return param.default


_CONVERT = {"law": _law_arg, "gpu": _gpu_arg, "text": _text_arg, "flag": _flag_arg, "data": _data_arg}


# ---------------------------------------------------------------------------------------
# Calling the planner
# ---------------------------------------------------------------------------------------

_CODE_FOR_TYPE = "#VALUE!"
_CODE_FOR_DOMAIN = "#NUM!"


def _culprit(message: str, entry: Entry) -> Param | None:
    """The parameter a PlannerError message is about (messages start with its name)."""
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", message)
    if m:
        for p in entry.params:
            if p.name == m.group(1):
                return p
    return None


def _error_for(exc: Exception, entry: Entry, given: dict) -> CellError:
    """Turn a planner exception into an Excel error value with its message as the reason."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if not isinstance(exc, planner.PlannerError):
        # Not the user's fault, but a cell must still show a reason, never a traceback.
        return CellError("#VALUE!", f"{entry.excel_name} failed: {type(exc).__name__}: {message}")
    param = _culprit(message, entry)
    if param is None or param.arg.kind in ("number", "data"):
        return CellError(_CODE_FOR_DOMAIN, message)
    value = given.get(param.name)
    numeric = _is_number(value) or (isinstance(value, list) and all(_is_number(v) for v in value))
    if param.arg.kind in ("law", "gpu") and numeric:
        return CellError(_CODE_FOR_DOMAIN, message)
    return CellError(_CODE_FOR_TYPE, message)


def _is_whole_call_error(exc: Exception, entry: Entry, arrays: dict) -> bool:
    """An error about an argument given as one value (a law, a field, a scalar MFU)."""
    if not isinstance(exc, planner.PlannerError):
        return False
    param = _culprit(str(exc), entry)
    return param is not None and param.name not in arrays


def _call(entry: Entry, kwargs: dict):
    return entry.func(**kwargs)


def _finite(v) -> bool:
    try:
        return bool(np.all(np.isfinite(np.asarray(v, dtype=float))))
    except (TypeError, ValueError):
        return True  # text in a record, for example


def evaluate(name: str, args) -> object:
    """Evaluate formula `name` on spreadsheet arguments; see the module docstring.

    Never raises for bad input: errors come back as CellError values.
    """
    try:
        return _evaluate(name, list(args or ()))
    except _Bad as bad:
        return bad.error
    except Exception as exc:  # noqa: BLE001 - a cell must never show a traceback
        return CellError("#VALUE!", f"{str(name).upper()} failed: {type(exc).__name__}: {exc}")


def _evaluate(name: str, args: list):
    entry = function(name)
    if entry is None:
        return CellError("#NAME?", f"{name} is not a planner formula")
    if len(args) > len(entry.params):
        return CellError("#VALUE!", f"{entry.excel_name} takes at most {len(entry.params)} "
                                    f"arguments; got {len(args)}")
    args = args + [None] * (len(entry.params) - len(args))
    choices = [i for i, (p, v) in enumerate(zip(entry.params, args))
               if p.arg.kind in _PER_VALUE and _is_range(_scalar(v))]
    if choices:
        return _per_choice_call(entry, args, choices)

    fixed: dict = {}  # arguments passed as they are
    arrays: dict = {}  # broadcast arguments: name -> (values, errors)
    for param, value in zip(entry.params, args):
        if isinstance(value, np.generic):
            value = value.item()
        if param.arg.kind in _BROADCAST:
            value = _scalar(value)
            if _is_range(value):
                arrays[param.name] = _number_arg(value, param)
            elif value is None and param.optional:
                fixed[param.name] = param.default  # may be None: "work it out" (e.g. power_w)
            else:
                f, err = _number_element(value, param)
                if err is not None:
                    return err
                fixed[param.name] = f
        else:
            fixed[param.name] = _CONVERT[param.arg.kind](value, param)

    if not arrays:
        try:
            out = _call(entry, fixed)
        except Exception as exc:  # noqa: BLE001
            return _error_for(exc, entry, fixed)
        return _scalar_result(entry, fixed, out)
    return _range_call(entry, fixed, arrays)


# Kinds of argument that take one name or flag per call but may be given as a range (a
# column of GPU names, a row of result fields): the formula is evaluated once per distinct
# value and the results are laid out like the range, as if it broadcast.
_PER_VALUE = ("gpu", "text", "flag")


def _per_choice_call(entry: Entry, args: list, choices: list[int]):
    grids = {}
    for i, (p, v) in enumerate(zip(entry.params, args)):
        v = _scalar(v)
        if _is_range(v) and (i in choices or p.arg.kind in _BROADCAST):
            grids[i] = _as_grid(v)
    try:
        shape = np.broadcast_shapes(*(g.shape for g in grids.values()))
    except ValueError:
        sizes = ", ".join(f"{entry.params[i].name} {'x'.join(map(str, g.shape))}" for i, g in grids.items())
        return CellError("#VALUE!", f"the ranges do not have matching sizes ({sizes})")
    spread = {i: np.broadcast_to(g, shape) for i, g in grids.items()}
    groups: dict = {}
    for pos in np.ndindex(*shape):
        key = tuple(_hashable(spread[i][pos]) for i in choices)
        groups.setdefault(key, []).append(pos)
    out = np.empty(shape, dtype=object)
    for positions in groups.values():
        first = positions[0]
        sub = list(args)
        for i, g in spread.items():
            sub[i] = g[first] if i in choices else g
        try:
            result = _evaluate(entry.name, sub)
        except _Bad as bad:  # a bad name or flag: only its cells are errors
            result = bad.error
        if isinstance(result, list):
            if np.shape(np.asarray(result, dtype=object)) != shape:
                name = entry.params[choices[0]].name
                return CellError("#VALUE!", f"{entry.excel_name} gives several values per "
                                            f"scenario; give one {name}, not a range")
            for pos in positions:
                out[pos] = result[pos[0]][pos[1]]
        else:
            for pos in positions:
                out[pos] = result
    return out.tolist()


def _hashable(v):
    return v if isinstance(v, (str, int, float, bool, type(None), CellError)) else repr(v)


def _field_asked(entry: Entry, fixed: dict) -> bool:
    return any(p.arg.kind == "text" and p.name == "field" and fixed.get("field") not in (None, "")
               for p in entry.params)


def _clean(v):
    """A result element as float, str or CellError."""
    if isinstance(v, CellError) or isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return float(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not np.isfinite(f):
        return CellError("#NUM!", "the result is not a finite number")
    return f


def _record_labels(entry: Entry, out: dict) -> list[str]:
    return list(entry.fields) if entry.fields and set(entry.fields) == set(out) else list(out)


def _scalar_result(entry: Entry, fixed: dict, out):
    if isinstance(out, dict):  # a record with no field asked for: a labelled row
        labels = _record_labels(entry, out)
        return [labels, [_clean(out[k]) for k in labels]]
    arr = np.asarray(out, dtype=object)
    if arr.ndim == 0:
        return _clean(arr.item())
    if entry.returns == "number" and arr.size == 1:
        return _clean(arr.ravel()[0])
    if arr.ndim == 1:
        return [[_clean(v) for v in arr]]
    return [[_clean(v) for v in row] for row in arr.reshape(arr.shape[0], -1)]


def _range_call(entry: Entry, fixed: dict, arrays: dict):
    try:
        shape = np.broadcast_shapes(*(vals.shape for vals, _ in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{n} {'x'.join(map(str, v.shape))}" for n, (v, _) in arrays.items())
        return CellError("#VALUE!", f"the ranges do not have matching sizes ({shapes})")
    vals = {n: np.broadcast_to(v, shape) for n, (v, _) in arrays.items()}
    errs = {n: np.broadcast_to(e, shape) for n, (_, e) in arrays.items()}

    # The first bad input of each cell decides its error, in argument order.
    cell_err = np.full(shape, None, dtype=object)
    for n in arrays:
        e = errs[n]
        take = np.equal(cell_err, None) & np.not_equal(e, None)
        cell_err[take] = e[take]
    good = np.flatnonzero(np.equal(cell_err, None))

    flat = {n: v.reshape(-1) for n, v in vals.items()}
    field = _field_asked(entry, fixed)
    per_cell = entry.returns == "number" or (entry.returns == "record" and field)

    if not per_cell:
        if entry.returns == "table":
            return CellError("#VALUE!", f"{entry.excel_name} returns a table; give single values, not ranges")
        if entry.returns == "record" and sum(d > 1 for d in shape) > 1:
            return CellError("#VALUE!", f"{entry.excel_name} gives several fields per scenario; with a "
                                        f"2-D range of inputs, ask for one field")

    # Compute the good cells: one vectorised call, bisecting around bad elements so that
    # only they become errors.
    results: dict[int, object] = {}
    labels: list[str] = []  # a record's field names, as the planner returned them
    whole = None  # an error that makes the whole call one value

    def run(idx: np.ndarray):
        nonlocal whole
        if whole is not None or idx.size == 0:
            return
        kwargs = dict(fixed)
        # A single cell is passed as plain numbers, so its error message has no position.
        kwargs.update({n: (float(f[idx[0]]) if idx.size == 1 else f[idx]) for n, f in flat.items()})
        try:
            out = _call(entry, kwargs)
            if not per_cell:
                if isinstance(out, dict) and not labels:
                    labels.extend(_record_labels(entry, out))
                rows = _rows(entry, out, idx.size)
            elif isinstance(out, dict):
                raise TypeError("a record came back although a field was asked for")
            else:
                rows = np.broadcast_to(np.asarray(out, dtype=float), idx.shape)
            if not _finite(rows) and idx.size > 1:
                raise FloatingPointError("non-finite result")
        except Exception as exc:  # noqa: BLE001
            if _is_whole_call_error(exc, entry, arrays):
                whole = _error_for(exc, entry, fixed)
                return
            if idx.size == 1:
                results[int(idx[0])] = _error_for(exc, entry, kwargs)
                return
            mid = idx.size // 2
            run(idx[:mid])
            run(idx[mid:])
            return
        if per_cell:
            numbers[idx] = rows
            computed[idx] = True
        else:
            for i, r in zip(idx, rows):
                results[int(i)] = r

    numbers = np.zeros(cell_err.size)  # per-cell results, filled in by run()
    computed = np.zeros(cell_err.size, bool)
    run(good)
    if whole is not None:
        return whole

    cells = cell_err.reshape(-1).tolist()
    for i, r in results.items():
        cells[i] = r
    if per_cell:
        finite = np.isfinite(numbers)
        out = numbers.reshape(shape).tolist()  # plain floats
        for i in np.flatnonzero(~computed | ~finite):
            r, c = divmod(int(i), shape[1])
            out[r][c] = cells[i] if not computed[i] else _clean(numbers[i])
        return out

    # One row of values per input cell, in reading order.
    width = len(labels) or len(entry.fields) or max(
        (len(c) for c in cells if not isinstance(c, CellError)), default=1)
    table = []
    for c in cells:
        if isinstance(c, CellError):
            table.append([c] * width)
        else:
            table.append([_clean(v) for v in c])
    if entry.returns == "record":
        return [labels or list(entry.fields) or [f"value {i + 1}" for i in range(width)]] + table
    return table


def _rows(entry: Entry, out, k: int) -> list:
    """Per-input rows of values from a record (dict of arrays) or row (k x F array) result."""
    if isinstance(out, dict):
        labels = _record_labels(entry, out)
        cols = [np.broadcast_to(np.asarray(out[f], dtype=object), (k,)) for f in labels]
        return [list(r) for r in zip(*cols)]
    arr = np.asarray(out, dtype=object)
    width = len(entry.fields) or (arr.shape[-1] if arr.ndim else 1)
    if arr.shape == (k, width):
        return [list(r) for r in arr]
    if arr.shape == (width, k):
        return [list(r) for r in arr.T]
    if k == 1 and arr.ndim == 1:
        return [list(arr)]
    raise ValueError(f"unexpected result shape {arr.shape} for {k} inputs")
