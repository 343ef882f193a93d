"""Argument checking and broadcasting shared by every planner function.

Each public function turns its numeric arguments into float arrays with `number`, does its
math on whole arrays, and hands the result to `result`, which gives back a plain float when
every input was a scalar. Errors carry the argument, the kind of failure and every failing
element (see planner.errors), and their message names the first offending value.

Also here: `flag` (TRUE/FALSE), `choice` (one name among a
few, such as a result field), `broadcast` (the arguments' shapes must fit together),
`in_range` (a result that left the floating-point range), `record` (a Record of named
results), `count` (a whole-number result), `fail` and `failure` (a structured PlannerError for
the elements that broke a rule) and `show` (a bad value as it appears in a message).
"""

from __future__ import annotations

import contextvars
import itertools

import numpy as np

from .errors import DOMAIN, SHAPE, TYPE, PlannerError

# The domain rules an argument can declare in the catalogue (`Arg.rule`): name -> (test on
# a float array, phrase for the message, how Excel's data validation states it). The
# planner's checks, the Excel adapter, the templates' data validation and the function
# reference all read this one table.
RULES = {
    "positive": (lambda a: a > 0, "must be positive", "greater than 0"),
    "nonnegative": (lambda a: a >= 0, "must be zero or positive", "0 or more"),
    "fraction": (lambda a: (a > 0) & (a <= 1), "must be a fraction in (0, 1] (40% is 0.4)",
                 "a fraction in (0, 1], e.g. 40% or 0.4"),
    "open_fraction": (lambda a: (a > 0) & (a < 1), "must be a fraction between 0 and 1 (0.8 is 80%)",
                      "a fraction between 0 and 1, e.g. 80% or 0.8"),
    "chance": (lambda a: (a >= 0) & (a < 1), "must be a fraction from 0 up to (not including) 1 (0.25 is 25%)",
               "a fraction from 0 up to 1, e.g. 25% or 0.25"),
    "at_least_one": (lambda a: a >= 1, "must be at least 1", "1 or more"),
    "whole": (lambda a: (a > 0) & (a == np.round(a)), "must be a positive whole number",
              "a whole number of at least 1"),
    "count": (lambda a: (a >= 0) & (a == np.round(a)), "must be a whole number, 0 or more",
              "a whole number of 0 or more"),
    "any": (lambda a: np.ones(np.shape(a), bool), "", "any number"),
}

# The rules of the public function being called (argument name -> (rule, unit, bounds)), set by
# the catalogue's `formula` decorator around each call, so that `number(value, name)`
# checks an argument by the rule the catalogue declares for it.
declared: contextvars.ContextVar[dict] = contextvars.ContextVar("declared", default={})


def show(value, limit: int = 80) -> str:
    """`value` for a one-line message: its repr without line breaks, cut to `limit` characters."""
    text = repr(value)
    if "\n" in text:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating)) else repr(value)


def _position(shape, flat: int) -> str:
    if not shape:
        return ""
    idx = np.unravel_index(flat, shape)
    return f" (element {tuple(int(i) for i in idx) if len(idx) > 1 else int(idx[0])})"


# Units that name a kind of number rather than a measure: not repeated after a value.
_UNITLESS = frozenset({"fraction", "ratio", "count", "integer", "any unit", "numbers", "width"})


def fail(name: str, phrase: str, values, bad, *, unit: str = "", kind: str = DOMAIN,
         describe=None) -> PlannerError:
    """The PlannerError for the elements `bad` of argument `name` (whose `values` broke a rule).

    Its message names the first bad element; `reason_at(i)` names element i. `describe(v)`
    words a value (default: the number, with `unit`).
    """
    values = np.asarray(values, dtype=object if kind == TYPE else float)
    bad = np.broadcast_to(np.asarray(bad, dtype=bool), values.shape) if values.ndim else np.asarray(bad, bool)
    values = np.broadcast_to(values, bad.shape)
    suffix = f" {unit}" if unit and unit not in _UNITLESS else ""
    describe = describe or (lambda v: f"{_fmt(v)}{suffix}")
    flat_values = values.reshape(-1)

    def reason_at(i: int) -> str:
        return f"{name} {phrase}; got {describe(flat_values[i])}"

    return failure(bad.reshape(-1), bad.shape, name, reason_at, kind)


def failure(bad_flat: np.ndarray, shape, name: str, reason_at, kind: str = DOMAIN) -> PlannerError:
    """A PlannerError for the flat elements `bad_flat` of an array of `shape`, with `reason_at(i)`
    wording element i (for checks whose words need more than the value, e.g. a loss and a law)."""
    first = int(np.flatnonzero(bad_flat)[0])
    return PlannerError(reason_at(first) + _position(tuple(shape), first), argument=name, kind=kind,
                        elements=np.reshape(bad_flat, shape) if len(shape) else None, reason_at=reason_at)


def _not_a_number(v) -> bool:
    return v is None or isinstance(v, (str, bytes, bool, np.bool_, complex, np.complexfloating))


_NOT_A_NUMBER = np.frompyfunc(_not_a_number, 1, 1)


def _cell_types(value):
    """The distinct types of the cells of a nested list (None if the nesting is ragged)."""
    flat = value
    try:
        while len(flat) and isinstance(flat[0], (list, tuple)):
            flat = list(itertools.chain.from_iterable(flat))
    except TypeError:  # lists mixed with numbers at one level
        return None
    return set(map(type, flat))


def _describe_cell(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return f"the logical value {v}"
    if isinstance(v, (complex, np.complexfloating)):
        return f"the complex number {v}"
    return repr(v)


def _reject_cells(value, name: str) -> None:
    """Raise if an array or list holds text, blanks, logicals or complex numbers among its numbers.

    numpy would read "2" as 2.0, None as NaN and TRUE as 1.0; a number argument takes none of
    them. An array is judged by its dtype, a list by the few distinct types of its cells;
    only when one of them is wrong is it looked at cell by cell, to name the first.
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "USObc":
            return
    else:
        types = _cell_types(value)
        if types is not None and not any(
                t is type(None) or issubclass(t, (str, bytes, bool, np.bool_, np.ndarray, complex,
                                                  np.complexfloating))
                for t in types):
            return
    try:
        cells = np.asarray(value, dtype=object)
    except ValueError:
        return  # ragged: the float conversion says so
    bad = np.asarray(_NOT_A_NUMBER(cells), dtype=bool)
    if bad.any():
        raise fail(name, "must be a number", cells, bad, kind=TYPE, describe=_describe_cell)


def bounds_phrase(bounds) -> str:
    low, high = bounds
    return f"must be at least {low:g}" if high == np.inf else f"must be from {low:g} to {high:g}"


def _rule_of(name: str, rule, unit, bounds=None):
    """The rule, unit and bounds of argument `name`: as given, else as the catalogue declares them."""
    if rule is not None:
        return rule, unit or "", bounds
    try:
        declared_rule, declared_unit, declared_bounds = declared.get()[name]
    except KeyError:
        raise LookupError(f"no catalogue rule for argument {name!r}: declare it with @formula "
                          f"or pass rule=") from None
    return declared_rule, declared_unit if unit is None else unit, declared_bounds


def _as_floats(value, name: str) -> np.ndarray:
    """`value` as a float array, or a PlannerError (type errors, and numbers beyond float)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise PlannerError(f"{name} must be a number; got {show(value)}", argument=name, kind=TYPE)
    if isinstance(value, (bool, np.bool_)):
        raise PlannerError(f"{name} must be a number; got the logical value {value}",
                           argument=name, kind=TYPE)
    if isinstance(value, (complex, np.complexfloating)):
        raise PlannerError(f"{name} must be a real number; got the complex number {value}",
                           argument=name, kind=TYPE)
    if isinstance(value, np.ndarray) and value.dtype.kind == "c":
        raise PlannerError(f"{name} must be a real number; got a complex array", argument=name, kind=TYPE)
    if isinstance(value, (list, tuple, np.ndarray)):
        _reject_cells(value, name)
    try:
        with np.errstate(over="raise"):  # an extended-precision number beyond the float range
            arr = np.asarray(value, dtype=float)
    except (OverflowError, FloatingPointError) as exc:
        what = "an integer" if isinstance(exc, OverflowError) else "a number"
        raise PlannerError(f"{name} must be a finite number; got {what} beyond the "
                           f"floating-point range", argument=name) from None
    except (TypeError, ValueError):
        raise PlannerError(f"{name} must be a number or an array of numbers; got {show(value)}",
                           argument=name, kind=TYPE) from None
    if arr.size == 0:
        raise PlannerError(f"{name} must not be empty", argument=name, kind=TYPE)
    return arr


def number(value, name: str, rule: str | None = None, unit: str | None = None,
           bounds: tuple[float, float] | None = None) -> np.ndarray:
    """`value` as a float array, checked to be finite and to follow its domain rule (and bounds).

    The rule, unit and bounds are those the catalogue declares for argument `name` of the
    function being called, unless a rule is given. Accepts numbers, nested lists and arrays;
    rejects text, None, complex numbers, NaN and infinities.
    """
    rule, unit, bounds = _rule_of(name, rule, unit, bounds)
    arr = _as_floats(value, name)
    if bounds is not None:
        arr = number(arr, name, rule, unit)
        check((arr >= bounds[0]) & (arr <= bounds[1]), name, bounds_phrase(bounds), arr, unit=unit)
        return arr
    if rule == "positive":
        # Fast path for the common rule: one min and one max over the data (NaN propagates
        # through both, so it fails the test too); the detailed checks below only run to
        # word the message.
        if arr.min() > 0 and arr.max() < np.inf:
            return arr
    finite = np.isfinite(arr)
    if not finite.all():
        raise fail(name, "must be a finite number", arr, ~finite)
    test, phrase, _ = RULES[rule]
    ok = test(arr)
    if not ok.all():
        raise fail(name, phrase, arr, ~ok, unit=unit)
    return arr


def flag(value, name: str, default: bool) -> np.ndarray:
    """A TRUE/FALSE argument as a bool array: a logical, 1 or 0 (or an array of them); None is the default."""
    if value is None:
        return np.asarray(default)
    if isinstance(value, (bool, np.bool_)):
        return np.asarray(bool(value))
    if isinstance(value, (str, bytes, complex, np.complexfloating)) or (
            isinstance(value, np.ndarray) and value.dtype.kind in "cUSO"):
        raise PlannerError(f"{name} must be TRUE or FALSE; got {show(value)}", argument=name, kind=TYPE)
    try:
        raw = np.asarray(value)  # its own dtype first: a list holding text or complex numbers is refused
        if raw.dtype.kind in "cUSO":
            raise TypeError
        with np.errstate(over="raise"):
            arr = raw.astype(float)
    except (TypeError, ValueError, OverflowError, FloatingPointError):
        raise PlannerError(f"{name} must be TRUE or FALSE (or an array of them); got {show(value)}",
                           argument=name, kind=TYPE) from None
    if arr.size == 0:
        raise PlannerError(f"{name} must not be empty", argument=name, kind=TYPE)
    check((arr == 0) | (arr == 1), name, "must be TRUE or FALSE (1 or 0)", arr, kind=TYPE)
    return arr == 1


def choice(value, name: str, choices, optional: bool = False):
    """One of `choices` (lower-case names), matched ignoring case and surrounding spaces.

    With `optional`, None or an empty text means "not given" and gives None. Anything else
    is a PlannerError listing the valid names.
    """
    if isinstance(value, str):
        key = value.strip().lower()
        if key in choices:
            return key
        if optional and key == "":
            return None
    elif optional and value is None:
        return None
    raise PlannerError(f"{name} must be one of {', '.join(choices)}; got {show(value)}",
                       argument=name, kind=TYPE)


def check(ok, name: str, phrase: str, values, *, unit: str = "", kind: str = DOMAIN) -> None:
    """Raise a PlannerError naming the elements of `values` where `ok` is False."""
    ok = np.asarray(ok)
    if not ok.all():
        raise fail(name, phrase, values, ~ok, unit=unit, kind=kind)


def broadcast(**arrays) -> tuple[int, ...]:
    """The common shape of the named arrays, or a PlannerError naming two that clash."""
    try:
        return np.broadcast_shapes(*(np.shape(a) for a in arrays.values()))
    except ValueError:
        pass
    # Shapes that do not broadcast always differ (two sizes, neither 1) in some axis for
    # some pair: name the first such pair.
    names = list(arrays)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            a, b = np.shape(arrays[first]), np.shape(arrays[second])
            try:
                np.broadcast_shapes(a, b)
            except ValueError:
                raise PlannerError(f"{second} (shape {b}) does not match {first} (shape {a}): "
                                   f"give equal lengths, or a row against a column",
                                   argument=second, kind=SHAPE) from None
    raise PlannerError("the arguments' shapes do not match", kind=SHAPE)  # pragma: no cover


def in_range(value, what: str, name: str, arg, positive: bool = True) -> np.ndarray:
    """`value` as an array, checked to be finite (and positive, when `positive`).

    A result that overflowed (inf or NaN from inf - inf) or, for a size or a budget,
    underflowed to zero is not a number anyone can use: raise a PlannerError that names the
    input `name` (value `arg`) that drove `what` out of the floating-point range, with a
    mask of every element that left it.
    """
    value = np.asarray(value, dtype=float)
    lo, hi = value.min(), value.max()  # NaN propagates through both
    if (lo > 0 if positive else lo > -np.inf) and hi < np.inf:
        return value
    over = ~np.isfinite(value)
    bad = over | ~(value > 0) if positive else over
    args = np.broadcast_to(np.asarray(arg, dtype=float), value.shape).reshape(-1)
    over_flat = over.reshape(-1)
    beyond = ("below the smallest positive number", f"beyond {np.finfo(float).max:.3g}")

    def reason_at(i: int) -> str:
        return f"{name} is out of range: the {what} would be {beyond[bool(over_flat[i])]}; got {_fmt(args[i])}"

    raise failure(bad.reshape(-1), value.shape, name, reason_at)


def result(value, *inputs):
    """A float when every input was a scalar, else the array broadcast to the inputs' shape."""
    value = np.asarray(value, dtype=float)
    if all(np.ndim(i) == 0 for i in inputs):
        return float(value)
    shape = np.broadcast_shapes(*(np.shape(i) for i in inputs))
    return np.broadcast_to(value, shape).copy() if value.shape != shape else value


class Record(dict):
    """Named results: a dict with attribute access and a readable repr with units.

    As scipy's `OptimizeResult`: `r = planner.inference_tradeoff(2.0, 1e13)`, then
    `r.params`, `r["savings"]`, `list(r)`. `units` maps each field to its unit.
    """

    def __init__(self, *args, units: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        object.__setattr__(self, "units", dict(units or {}))

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __dir__(self):
        return list(self.keys()) + list(super().__dir__())

    def __repr__(self) -> str:
        if not self:
            return f"{type(self).__name__}()"
        width = max(map(len, self))
        lines = []
        for k, v in self.items():
            text = f"{v:.6g}" if isinstance(v, float) else " ".join(repr(v).split())
            unit = self.units.get(k, "")
            lines.append(f"{k.rjust(width)}: {text}{' ' + unit if unit else ''}")
        return "\n".join(lines)

    def __reduce__(self):
        return (_record, (dict(self), self.units))


def _record(items, units):
    return Record(items, units=units)


def record(fields, values, key, *inputs, units=()):
    """The fields as a Record of results (see `result`), or only the one named by `key`."""
    if key is not None:
        return result(values[fields.index(key)], *inputs)
    return Record({k: result(v, *inputs) for k, v in zip(fields, values)}, units=dict(zip(fields, units)))


_MAX_COUNT = 2.0 ** 63  # int64
# A count within this relative distance of a whole number is that number: an exact fit
# (1,120 GB on 80 GB accelerators) must not gain one on float rounding, however it was computed.
WHOLE_TOLERANCE = 1e-9


def count(value, *inputs):
    """A whole-number result (accelerators): an int when every input was a scalar, else an
    int64 array broadcast to the inputs' shape."""
    value = np.asarray(value, dtype=float)
    if not (value.max() < _MAX_COUNT):
        bad = ~(value < _MAX_COUNT)
        raise fail("count", f"is out of range: more than {_MAX_COUNT:.3g} accelerators", value, bad)
    if all(np.ndim(i) == 0 for i in inputs):
        return int(value)
    shape = np.broadcast_shapes(*(np.shape(i) for i in inputs))
    return np.broadcast_to(value.astype(np.int64), shape).copy()
