"""formulas' arithmetic operators on single values, without numpy's vectorize.

formulas evaluates `+ - * / ^ %` and unary minus with np.vectorize over their operands,
which costs about 15 us a call, half of a template's run when nearly every operand is one
cell (3,300 calls in the deployment plan). On operands that are all one value (a 1x1
array, a one-cell range or a constant) the lane below calls the same element function
formulas vectorises (its `safe_eval`: formulas' own error checks, number parsing and NaN
rule) once and wraps its result as formulas does, the way formulas itself evaluates a
call of 32 or more single operands. Any other operand, or anything the element function
raises, goes to formulas' operator as it is. Nothing about what an operator means is
written here: tests compare every result with formulas' own, bit for bit.
"""

from __future__ import annotations

import inspect

import numpy as np
from formulas.functions import replace_empty, wrap_ufunc
from formulas.functions.operators import OPERATORS
from formulas.ranges import Ranges

NUMERIC = ("+", "-", "*", "/", "^", "%", "U-")
enabled = True  # off: every operator as formulas calls it (tests compare the two)


# wrap_ufunc's own operand parser (every operand through replace_empty), which the numeric
# operators keep: an operand of one number is left as it is by it, and is passed on here
# without the search for an empty value in it (a third of a lane's time).
_EVERY_OPERAND_REPLACED = inspect.signature(wrap_ufunc).parameters["args_parser"].default
_NUMBERS = (float, int, bool, np.float64, np.int64, np.bool_)


def _replace_empty(x):
    if isinstance(x, np.ndarray) and x.shape == (1, 1) and type(x[0, 0]) in _NUMBERS:
        return x
    return replace_empty(x)


def _closure(function, name: str):
    code = getattr(function, "__code__", None)
    for var, cell in zip(code.co_freevars if code else (), function.__closure__ or ()):
        if var == name:
            return cell.cell_contents
    return None


def _lane(operator):
    """The single-value lane of one of formulas' operators, or None when the operator is
    not built as this module knows (wrap_ufunc inside wrap_func and wrap_ranges_func)."""
    try:
        inner = operator.__wrapped__.__wrapped__  # wrap_ranges_func( wrap_func( wrap_ufunc's wrapper ))
    except AttributeError:
        return None
    element, parse, otype, give = (_closure(inner, n) for n in ("safe_eval", "args_parser", "otype", "return_func"))
    if not all(callable(f) for f in (element, parse, give)) or not isinstance(otype, type):
        return None

    if parse is _EVERY_OPERAND_REPLACED:
        parse = lambda *operands: map(_replace_empty, operands)  # noqa: E731 - the same, sooner

    def lane(*args):
        try:
            given = tuple(parse(*[a.value if isinstance(a, Ranges) else a for a in args]))
            values, shape = [], ()
            for a in given:
                x = np.asanyarray(a, dtype=object)  # as np.vectorize hands operands to the function
                if x.shape == (1, 1):
                    values.append(x[0, 0])
                    shape = (1, 1)
                elif x.ndim == 0:
                    values.append(x[()])
                else:
                    return operator(*args)  # a range or an array: formulas' broadcast
            value = element(*values)
            if isinstance(value, (np.ndarray, list, tuple)):
                return operator(*args)  # not one value: as np.vectorize would place it
            result = np.empty(shape, dtype=object)  # np.vectorize's result: the operands' shape
            result[()] = value
        except Exception:  # noqa: BLE001 - whatever formulas would do with it, it does
            return operator(*args)
        return give(result.view(otype), *given)

    return lane


_LANES = {id(OPERATORS[k]): (OPERATORS[k], lane) for k in NUMERIC if (lane := _lane(OPERATORS[k])) is not None}


def single(function):
    """The lane of `function` when it is one of formulas' numeric operators, else itself."""
    known = _LANES.get(id(function))
    return known[1] if known is not None and known[0] is function else function
