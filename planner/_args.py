"""Argument checking and broadcasting shared by every planner function.

Each public function turns its numeric arguments into float arrays with `number`, does its
math on whole arrays, and hands the result to `result`, which gives back a plain float when
every input was a scalar. Errors name the argument, the rule and the first offending value.

Also here: `whole` (counts such as layers), `flag` (TRUE/FALSE), `choice` (one name among a
few, such as a result field), `broadcast` (the arguments' shapes must fit together),
`in_range` (a result that left the floating-point range), `record` (a dict of named results)
and `show` (a bad value as it appears in a message).
"""

from __future__ import annotations

import itertools

import numpy as np

from .errors import PlannerError

# rule name -> (test on a float array, phrase for the message)
_RULES = {
    "positive": (lambda a: a > 0, "must be positive"),
    "nonnegative": (lambda a: a >= 0, "must be zero or positive"),
    "fraction": (lambda a: (a > 0) & (a <= 1), "must be a fraction in (0, 1]"),
    "at_least_one": (lambda a: a >= 1, "must be at least 1"),
    "any": (lambda a: np.ones(a.shape, bool), ""),
}


def show(value, limit: int = 80) -> str:
    """`value` for a one-line message: its repr without line breaks, cut to `limit` characters."""
    text = repr(value)
    if "\n" in text:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating)) else repr(value)


def _where(arr: np.ndarray, bad: np.ndarray) -> tuple[str, object]:
    """The first bad element and, for arrays, its position."""
    idx = np.argwhere(bad)[0]
    value = arr[tuple(idx)] if arr.ndim else arr[()]
    pos = f" (element {tuple(int(i) for i in idx) if len(idx) > 1 else int(idx[0])})" if arr.ndim else ""
    return pos, value


def _not_a_number(v) -> bool:
    return v is None or isinstance(v, (str, bytes, bool, np.bool_))


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


def _reject_cells(value, name: str) -> None:
    """Raise if an array or list holds text, blanks or logicals among its numbers.

    numpy would read "2" as 2.0, None as NaN and TRUE as 1.0; a number argument takes none of
    them. An array is judged by its dtype, a list by the few distinct types of its cells;
    only when one of them is wrong is it looked at cell by cell, to name the first.
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "USOb":
            return
    else:
        types = _cell_types(value)
        if types is not None and not any(
                t is type(None) or issubclass(t, (str, bytes, bool, np.bool_, np.ndarray))
                for t in types):
            return
    try:
        cells = np.asarray(value, dtype=object)
    except ValueError:
        return  # ragged: the float conversion says so
    bad = np.asarray(_NOT_A_NUMBER(cells), dtype=bool)
    if bad.any():
        pos, v = _where(cells, bad)
        got = f"the logical value {v}" if isinstance(v, (bool, np.bool_)) else repr(v)
        raise PlannerError(f"{name} must be a number; got {got}{pos}")


def number(value, name: str, rule: str = "positive", unit: str = "") -> np.ndarray:
    """`value` as a float array, checked to be finite and to follow `rule`.

    Accepts numbers, nested lists and arrays; rejects text, None, NaN and infinities.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise PlannerError(f"{name} must be a number; got {show(value)}")
    if isinstance(value, (bool, np.bool_)):
        raise PlannerError(f"{name} must be a number; got the logical value {value}")
    if isinstance(value, np.ndarray) and value.dtype.kind == "c":
        raise PlannerError(f"{name} must be a real number; got a complex array")
    if isinstance(value, (list, tuple, np.ndarray)):
        _reject_cells(value, name)
    try:
        arr = np.asarray(value, dtype=float)
    except OverflowError:
        raise PlannerError(f"{name} must be a finite number; got an integer beyond the "
                           f"floating-point range") from None
    except (TypeError, ValueError):
        raise PlannerError(f"{name} must be a number or an array of numbers; got {show(value)}") from None
    if arr.size == 0:
        raise PlannerError(f"{name} must not be empty")
    if rule == "positive":
        # Fast path for the common rule: one min and one max over the data (NaN propagates
        # through both, so it fails the test too); the detailed checks below only run to
        # word the message.
        if arr.min() > 0 and arr.max() < np.inf:
            return arr
    finite = np.isfinite(arr)
    if not finite.all():
        pos, bad = _where(arr, ~finite)
        raise PlannerError(f"{name} must be a finite number; got {_fmt(bad)}{pos}")
    test, phrase = _RULES[rule]
    ok = test(arr)
    if not ok.all():
        pos, bad = _where(arr, ~ok)
        suffix = f" {unit}" if unit else ""
        raise PlannerError(f"{name} {phrase}; got {_fmt(bad)}{suffix}{pos}")
    return arr


def whole(value, name: str, unit: str = "") -> np.ndarray:
    """`value` as a float array of positive whole numbers (layers, heads, widths)."""
    arr = number(value, name, unit=unit)
    check(arr == np.round(arr), name, "must be a whole number", arr)
    return arr


def flag(value, name: str, default: bool) -> np.ndarray:
    """A TRUE/FALSE argument as a bool array: a logical, 1 or 0 (or an array of them); None is the default."""
    if value is None:
        return np.asarray(default)
    if isinstance(value, (bool, np.bool_)):
        return np.asarray(bool(value))
    if isinstance(value, (str, bytes)) or (isinstance(value, np.ndarray) and value.dtype.kind == "c"):
        raise PlannerError(f"{name} must be TRUE or FALSE; got {show(value)}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise PlannerError(f"{name} must be TRUE or FALSE (or an array of them); got {show(value)}") from None
    if arr.size == 0:
        raise PlannerError(f"{name} must not be empty")
    check((arr == 0) | (arr == 1), name, "must be TRUE or FALSE (1 or 0)", arr)
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
    raise PlannerError(f"{name} must be one of {', '.join(choices)}; got {show(value)}")


def check(ok, name: str, phrase: str, values) -> None:
    """Raise a PlannerError naming the first element of `values` where `ok` is False."""
    ok = np.asarray(ok)
    if not ok.all():
        values = np.broadcast_to(np.asarray(values, dtype=float), ok.shape)
        pos, bad = _where(values, ~ok)
        raise PlannerError(f"{name} {phrase}; got {_fmt(bad)}{pos}")


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
                                   f"give equal lengths, or a row against a column") from None
    raise PlannerError("the arguments' shapes do not match")  # pragma: no cover


def in_range(value, what: str, name: str, arg, positive: bool = True) -> np.ndarray:
    """`value` as an array, checked to be finite (and positive, when `positive`).

    A result that overflowed (inf or NaN from inf - inf) or, for a size or a budget,
    underflowed to zero is not a number anyone can use: raise a PlannerError that names the
    input `name` (value `arg`) that drove `what` out of the floating-point range.
    """
    value = np.asarray(value, dtype=float)
    lo, hi = value.min(), value.max()  # NaN propagates through both
    if (lo > 0 if positive else lo > -np.inf) and hi < np.inf:
        return value
    over = ~np.isfinite(value)
    bad = over if over.any() else ~(value > 0)
    args = np.broadcast_to(np.asarray(arg, dtype=float), value.shape)
    pos, v = _where(args, bad)
    limit = f"beyond {np.finfo(float).max:.3g}" if over.any() else "below the smallest positive number"
    raise PlannerError(f"{name} {_fmt(v)}{pos} is out of range: the {what} would be {limit}")


def result(value, *inputs):
    """A float when every input was a scalar, else the array broadcast to the inputs' shape."""
    value = np.asarray(value, dtype=float)
    if all(np.ndim(i) == 0 for i in inputs):
        return float(value)
    shape = np.broadcast_shapes(*(np.shape(i) for i in inputs))
    return np.broadcast_to(value, shape).copy() if value.shape != shape else value


def record(fields, values, key, *inputs):
    """The fields as a dict of results (see `result`), or only the one named by `key`."""
    if key is not None:
        return result(values[fields.index(key)], *inputs)
    return {k: result(v, *inputs) for k, v in zip(fields, values)}
