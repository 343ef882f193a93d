"""The one adapter between spreadsheet values and the planner.

Every Excel host (the classic xlwings add-in, xlwings Lite / Office.js, the embedded
recalculation engine) calls `evaluate(name, args)` with arguments as a spreadsheet gives
them, and gets back what a cell or a spilled range should show. Everything is derived from
`planner.CATALOG`, so a new planner function is a new formula with no change here.

Conventions, by argument kind (see `planner.catalog.KINDS`):

- number: a number, or a range of numbers. Ranges broadcast like Excel dynamic arrays
  (a column against a row gives a grid) and the result has the broadcast shape. An empty
  cell or omitted argument means the Python default. Text or TRUE/FALSE where a number
  belongs is #VALUE!; a number outside the argument's domain rule (declared in the
  catalogue) is #NUM!. Cells are checked here, before the planner is called once on the good
  ones; an error the planner finds (a loss no model reaches) names its elements, which become
  error cells while the rest are computed. In a range only the bad elements are errors.
- option: one number that sets how the whole call works (a fit's level or seed): a range
  there is #VALUE!.
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
call one error value. The code comes from the PlannerError's kind (domain: #NUM!; type or
shape: #VALUE!), never from its wording. Errors are `CellError(code, reason)` with the
planner's one-line reason; hosts show it where they can.
"""

from __future__ import annotations

import functools
import itertools
import numbers

import numpy as np

import planner
from planner import _args
from planner.catalog import CATALOG, Entry, Param
from planner.errors import DOMAIN, SHAPE, TYPE

__all__ = ["CellError", "evaluate", "FUNCTIONS", "function"]


class CellError:
    """An Excel error value with the reason a person reads in the cell's tooltip.

    The one error value of every host and of the engine. `reason` may be given as a
    function of no arguments, worded only when read: a column of 5,000 bad cells costs no
    5,000 messages when the host shows codes only (Office.js inside a spilled range).
    """

    __slots__ = ("code", "_reason")

    def __init__(self, code: str, reason="") -> None:
        self.code = code  # "#VALUE!", "#NUM!", "#N/A", "#NAME?", "#REF!" ...
        self._reason = reason

    @property
    def reason(self) -> str:
        if callable(self._reason):
            self._reason = self._reason()
        return self._reason

    def __eq__(self, other) -> bool:
        return isinstance(other, CellError) and (self.code, self.reason) == (other.code, other.reason)

    def __hash__(self) -> int:
        return hash((self.code, self.reason))

    def __repr__(self) -> str:
        return f"CellError({self.code!r}, {self.reason!r})"

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
    if entry is None and key.lower() in CATALOG:  # registered after this module was imported
        FUNCTIONS.update(_functions())
        entry = FUNCTIONS.get(key)
    return entry


# ---------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------

_BROADCAST = ("number",)


def _kind(param: Param, value) -> str:
    """How a value is converted: by its argument's kind, except that a `model` argument (layers,
    or a model preset's name) holding a name is passed like a choice, and numbers like numbers."""
    if param.arg.kind != "model":
        return param.arg.kind
    v = _scalar(value)
    named = isinstance(v, str) or (_is_range(v) and any(isinstance(c, str) for c in _as_grid(v).ravel()))
    return "model name" if named else "number"


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
    """(float, None) for a good cell, (None, CellError) for a bad one (type, then domain)."""
    err = _input_error(v)
    if err is not None:
        return None, err
    if v is None:
        if param.optional and _is_number(param.default):
            return float(param.default), None
        return None, CellError("#VALUE!", f"{param.name} is empty; it needs a number ({param.arg.unit})")
    if not _is_number(v):
        return None, CellError("#VALUE!", f"{param.name} must be a number ({param.arg.unit}); got {_describe(v)}")
    try:
        f = float(v)
    except OverflowError:  # an integer beyond the float range (10**400)
        return None, CellError("#NUM!", f"{param.name} must be a finite number; got an integer beyond "
                                        f"the floating-point range")
    errs = _domain_errors(np.array([f]), {}, param)
    return (f, None) if not errs else (None, errs[0])


def _domain_errors(vals: np.ndarray, errs: dict, param: Param) -> dict:
    """`errs` (flat cell index -> CellError) with #NUM! for every other cell whose value breaks
    the argument's domain rule, as the catalogue declares it (not finite is always outside)."""
    test, phrase, _ = _args.RULES[param.arg.rule]
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(vals)
        ok = finite & test(np.where(finite, vals, 1.0))
        bounds = param.arg.bounds
        inside = ok if bounds is None else ok & (vals >= bounds[0]) & (vals <= bounds[1])
    if inside.all():
        return errs
    unchecked = np.ones(vals.shape, bool)
    unchecked.flat[list(errs)] = False
    limits = _args.bounds_phrase(bounds) if bounds else ""
    for mask, words in ((~finite & unchecked, "must be a finite number"), (finite & ~ok & unchecked, phrase),
                        (ok & ~inside & unchecked, limits)):
        if mask.any():
            reason_at = _args.fail(param.name, words, vals, mask, unit=param.arg.unit).reason_at
            where = np.flatnonzero(mask).tolist()
            errs.update(zip(where, map(CellError, itertools.repeat("#NUM!"),
                                       map(functools.partial, itertools.repeat(reason_at), where))))
    return errs


def _number_arg(value, param: Param):
    """A number argument as (values, errors): a float array, and its bad cells as a dict of
    flat index -> CellError.

    The cells are checked here against the argument's type and domain rule, so that the
    planner is called once, on the good cells only.
    """
    grid = _as_grid(value) if _is_range(value) else np.array([[value]], dtype=object)
    if grid.size == 0:
        raise _Bad(CellError("#VALUE!", f"{param.name} is an empty range"))
    errs: dict[int, CellError] = {}
    kinds = set(map(type, grid.ravel()))
    vals = None
    if all(issubclass(t, numbers.Real) and not issubclass(t, (bool, np.bool_)) for t in kinds):
        try:
            vals = grid.astype(float)  # the common case, a range of numbers: no per-cell work
        except OverflowError:  # an integer beyond the float range among them
            vals = None
    if vals is None:
        vals = np.ones(grid.shape)
        for i, v in enumerate(grid.flat):
            f, e = _number_element(v, param)
            if e is None:
                vals.flat[i] = f
            else:
                errs[i] = e
    return vals, _domain_errors(vals, errs, param)


def _single(value, param: Param):
    """A gpu, text or flag argument's one value (a range of them is split by _per_choice_call)."""
    value = _scalar(value)
    err = _input_error(value)
    if err is not None:
        raise _Bad(err)
    return value


def _option_arg(value, param: Param):
    """One number that sets how a function works: never broadcast, so a range is #VALUE!."""
    value = _scalar(value)
    if _is_range(value):
        shape = "x".join(map(str, _as_grid(value).shape))
        raise _Bad(CellError("#VALUE!", f"{param.name} must be a single cell (it sets how "
                                        f"{param.name} works for the whole call); got a {shape} range"))
    if value is None:
        return _default(param)
    f, err = _number_element(value, param)
    if err is not None:
        raise _Bad(err)
    return int(f) if param.arg.rule in ("whole", "count") else f


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


_CONVERT = {"option": _option_arg, "law": _law_arg, "gpu": _gpu_arg, "text": _text_arg, "flag": _flag_arg,
            "data": _data_arg, "model name": _text_arg}


# ---------------------------------------------------------------------------------------
# Calling the planner
# ---------------------------------------------------------------------------------------

# What a PlannerError's kind shows in a cell.
CODES = {DOMAIN: "#NUM!", TYPE: "#VALUE!", SHAPE: "#VALUE!"}


def _error_for(exc: Exception, entry: Entry) -> CellError:
    """The error value for a whole call, from the planner error's kind (never its wording)."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, planner.PlannerError):
        return CellError(CODES[exc.kind], message)
    # Not the user's fault, but a cell must still show a reason, never a traceback.
    return CellError("#VALUE!", f"{entry.excel_name} failed: {type(exc).__name__}: {message}")


def _failed_cells(exc: Exception, arrays: dict, k: int) -> np.ndarray | None:
    """Which of the k cells passed to the planner a PlannerError is about (None: the whole call).

    The error names its argument and, for an array, the elements that failed; an error
    about an argument given as one value (a law, a field, a scalar MFU) is the whole call's.
    """
    if not isinstance(exc, planner.PlannerError):
        return None
    if exc.elements is not None:
        mask = np.asarray(exc.elements, dtype=bool)
        return mask.reshape(k) if mask.size == k else None
    return np.ones(k, bool) if exc.argument in arrays else None


def _call(entry: Entry, kwargs: dict):
    return entry.func(**kwargs)


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
    for i, p in enumerate(entry.params):
        if p.arg.kind == "law":
            laws = _several_laws(args[i])
            if laws is not None:
                args[i] = laws
    choices = [i for i, (p, v) in enumerate(zip(entry.params, args))
               if (_kind(p, v) in _PER_VALUE or isinstance(v, _Laws)) and _is_range(_scalar(v))]
    if choices:
        return _per_choice_call(entry, args, choices)

    fixed: dict = {}  # arguments passed as they are
    arrays: dict = {}  # broadcast arguments: name -> (values, errors)
    for param, value in zip(entry.params, args):
        if isinstance(value, np.generic):
            value = value.item()
        kind = _kind(param, value)
        if kind in _BROADCAST:
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
            fixed[param.name] = _CONVERT[kind](value, param)

    if not arrays:
        try:
            out = _call(entry, fixed)
        except Exception as exc:  # noqa: BLE001
            return _error_for(exc, entry)
        return _scalar_result(entry, fixed, out)
    return _range_call(entry, fixed, arrays)


# Kinds of argument that take one name or flag per call but may be given as a range (a
# column of GPU names, a row of result fields): the formula is evaluated once per distinct
# value and the results are laid out like the range, as if it broadcast.
_PER_VALUE = ("gpu", "text", "flag", "model name")


class _Laws(np.ndarray):
    """A range that holds several laws, one per cell (names) or per row (five numbers)."""


def _several_laws(value) -> "_Laws | None":
    """A `law` range meaning "under each of these laws": several preset names (a column or
    row of them), or k >= 2 rows of five (or six) numbers, such as a block of bootstrap fits.
    One name, or one row or column of five numbers, is one law (None)."""
    value = _scalar(value)
    if not _is_range(value) or isinstance(value, _Laws):
        return None
    grid = _as_grid(value)
    cells = [v for v in grid.ravel() if v is not None]
    if len(cells) >= 2 and all(isinstance(v, str) for v in cells):
        return grid.view(_Laws)  # an empty cell among the names: the default law there
    if grid.shape[0] >= 2 and grid.shape[1] in (5, 6) and cells and all(_is_number(v) for v in cells):
        rows = np.empty((grid.shape[0], 1), dtype=object)
        for r in range(grid.shape[0]):
            rows[r, 0] = tuple(grid[r])  # one law per row
        return rows.view(_Laws)
    return None


def _per_choice_call(entry: Entry, args: list, choices: list[int]):
    grids = {}
    for i, (p, v) in enumerate(zip(entry.params, args)):
        v = _scalar(v)
        if _is_range(v) and (i in choices or _kind(p, v) in _BROADCAST):
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
    return v if isinstance(v, (str, int, float, bool, type(None), CellError, tuple)) else repr(v)


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

    # The first bad input of each cell decides its error, in argument order.
    cell_err = np.full(shape, None, dtype=object)
    bad = np.zeros(shape, bool)
    for v, e in arrays.values():
        if e:
            where = np.zeros(v.shape, bool)
            where.flat[list(e)] = True
            errors = np.full(v.shape, None, dtype=object)
            errors.flat[list(e)] = list(e.values())
            where, errors = np.broadcast_to(where, shape), np.broadcast_to(errors, shape)
            cell_err[where & ~bad] = errors[where & ~bad]
            bad |= where
    good = np.flatnonzero(~bad)

    flat = {n: v.reshape(-1) for n, v in vals.items()}
    field = _field_asked(entry, fixed)
    per_cell = entry.returns == "number" or (entry.returns == "record" and field)

    if not per_cell:
        if entry.returns == "table":
            return CellError("#VALUE!", f"{entry.excel_name} returns a table; give single values, not ranges")
        if entry.returns == "record" and sum(d > 1 for d in shape) > 1:
            return CellError("#VALUE!", f"{entry.excel_name} gives several fields per scenario; with a "
                                        f"2-D range of inputs, ask for one field")

    # Compute the good cells in one vectorised call. A planner error names the elements that
    # failed: they become error cells and the rest is called again (each round removes at
    # least one cell, and in practice every round a whole rule's failures).
    cells = cell_err.reshape(-1).copy()  # each cell's error, or its row of results
    numbers = np.zeros(cell_err.size)  # per-cell results
    computed = np.zeros(cell_err.size, bool)
    results: dict[int, object] = {}  # per-cell rows of a record or row result
    labels: list[str] = []  # a record's field names, as the planner returned them
    pending = good
    while pending.size:
        kwargs = dict(fixed)
        # A single cell is passed as plain numbers, so its error message has no position.
        kwargs.update({n: (float(f[pending[0]]) if pending.size == 1 else f[pending]) for n, f in flat.items()})
        try:
            out = _call(entry, kwargs)
            if not per_cell:
                if isinstance(out, dict) and not labels:
                    labels.extend(_record_labels(entry, out))
                rows = _rows(entry, out, pending.size)
            elif isinstance(out, dict):
                raise TypeError("a record came back although a field was asked for")
            else:
                rows = np.broadcast_to(np.asarray(out, dtype=float), pending.shape)
        except Exception as exc:  # noqa: BLE001
            failed = _failed_cells(exc, arrays, pending.size)
            if failed is None or not failed.any():
                return _error_for(exc, entry)
            code = CODES[exc.kind]
            for j in np.flatnonzero(failed):
                cells[int(pending[j])] = CellError(code, " ".join(exc.reason_at(int(j)).split()))
            pending = pending[~failed]
            continue
        if per_cell:
            numbers[pending] = rows
            computed[pending] = True
        else:
            for i, r in zip(pending, rows):
                results[int(i)] = r
        break

    for i, r in results.items():
        cells[i] = r
    if per_cell:
        out = numbers.astype(object)  # plain floats
        shown = np.flatnonzero(~computed | ~np.isfinite(numbers))
        out[shown] = [cells[i] if not computed[i] else _clean(numbers[i]) for i in shown.tolist()]
        return out.reshape(shape).tolist()

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
