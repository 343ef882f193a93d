"""formulas' arithmetic operators on single values (workbook/recalc/lanes.py) give what
formulas' own operators give, bit for bit and type for type, on every kind of operand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import schedula as sh
from formulas.functions import Array
from formulas.functions.operators import OPERATORS
from formulas.ranges import Ranges
from formulas.tokens.operand import Error
from hypothesis import given
from hypothesis import strategies as st

from workbook.recalc import engine, lanes, xlsx

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "templates").glob("*.xlsx"))


def _array(x):
    out = np.empty((1, 1), dtype=object)
    out[0, 0] = x
    return out.view(Array)


def _cell(x):
    return Ranges().set_value(Ranges.get_range("B7", {"sheet": "S"}), _array(x))


SCALARS = [0.0, -0.0, 1.5, -3.0, 7, True, False, 1e308, 1e-320, float("inf"), float("nan"), np.float64(2.5),
           "1.5", " 2 ", "abc", "", "TRUE", sh.EMPTY, Error.errors["#DIV/0!"], Error.errors["#N/A"]]
OPERANDS = st.one_of(
    st.sampled_from(SCALARS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**6, 10**6),
    st.sampled_from(SCALARS).map(_array),
    st.sampled_from(SCALARS).map(_cell),
    st.just(np.array([[1.0, 2.0]], dtype=object).view(Array)),  # two cells: formulas' broadcast
    st.just(Ranges()),  # a range without values
)


def _same(a, b):
    assert type(a) is type(b)
    if isinstance(a, np.ndarray):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert [type(x) for x in a.ravel()] == [type(x) for x in b.ravel()]
        assert repr(a.tolist()) == repr(b.tolist())
    else:
        assert repr(a) == repr(b)


def test_every_arithmetic_operator_has_its_lane():
    """Each is found as formulas builds it; a formulas that built them otherwise is noticed here."""
    assert all(lanes.single(OPERATORS[k]) is not OPERATORS[k] for k in lanes.NUMERIC)
    assert lanes.single(OPERATORS["&"]) is OPERATORS["&"] and lanes.single(OPERATORS["="]) is OPERATORS["="]
    # and each keeps wrap_ufunc's own operand parser, which a lane passes numbers by without a search
    assert all(lanes._closure(OPERATORS[k].__wrapped__.__wrapped__, "args_parser") is lanes._EVERY_OPERAND_REPLACED
               for k in lanes.NUMERIC)


@pytest.mark.parametrize("op", [k for k in lanes.NUMERIC if k not in ("U-", "%")])
@given(a=OPERANDS, b=OPERANDS)
def test_a_binary_operators_lane_gives_formulas_own_result(op, a, b):
    _same(lanes.single(OPERATORS[op])(a, b), OPERATORS[op](a, b))


@pytest.mark.parametrize("op", ["U-", "%"])
@given(a=OPERANDS)
def test_a_unary_operators_lane_gives_formulas_own_result(op, a):
    _same(lanes.single(OPERATORS[op])(a), OPERATORS[op](a))


@pytest.mark.parametrize("a, b", [(10.0, 400.0), (-8.0, 1 / 3), (0.0, -1.0), (1e308, 2.0)])
def test_powers_that_overflow_or_turn_complex_go_as_formulas_takes_them(a, b):
    _same(lanes.single(OPERATORS["^"])(_array(a), b), OPERATORS["^"](_array(a), b))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_a_template_computes_the_same_with_and_without_the_lanes(path, monkeypatch):
    monkeypatch.setenv("PLANNER_CACHE_DIR", "off")
    with_lanes = engine.recalculate(xlsx.read_package(path)).values
    monkeypatch.setattr(lanes, "enabled", False)
    without = engine.recalculate(xlsx.read_package(path)).values
    assert with_lanes.keys() == without.keys()
    for key in with_lanes:
        assert type(with_lanes[key]) is type(without[key]) and repr(with_lanes[key]) == repr(without[key]), key
