"""The error contract between the planner and every host.

A PlannerError carries the argument at fault, the kind of failure and, for arrays, the
elements that failed; each number argument's domain rule is declared once in the catalogue.
These tests check that the planner enforces exactly the declared rule, that the adapter
checks cells against the same rule before calling the planner, and that what a cell shows
follows the error's fields, never its wording.
"""

from __future__ import annotations

import numpy as np
import pytest

import catalog_examples as ce
import planner
from planner import _args
from planner.catalog import CATALOG
from workbook.addin import cells
from workbook.addin.cells import CellError, evaluate

# For each rule: values outside it, and values on its edge that are inside it.
OUTSIDE = {"positive": (-1.0, 0.0), "nonnegative": (-1.0,), "fraction": (0.0, 1.5, 40.0),
           "open_fraction": (0.0, 1.0), "at_least_one": (0.5,), "whole": (0.0, 2.5),
           "count": (-1.0, 0.5), "chance": (-0.1, 1.0, 25.0)}
EDGE = {"nonnegative": 0.0, "chance": 0.0, "fraction": 1.0, "at_least_one": 1.0, "whole": 1.0, "count": 0.0}

RULED = [(e, p) for e in CATALOG.values() for p in e.params
         if p.arg.kind in ("number", "option") and p.arg.rule != "any"]


def _kwargs(entry) -> dict:
    args = ce.example_args(entry, ce.planner_call)
    return {p.name: ([x for row in a for x in row] if isinstance(a, list) else a)
            for p, a in zip(entry.params, args) if a is not None}


def test_every_number_argument_declares_a_known_rule():
    assert RULED, "no argument declares a rule"
    for entry, p in RULED:
        assert p.arg.rule in _args.RULES, (entry.name, p.name)
    # Every rule in use has values to test it with.
    assert {p.arg.rule for _, p in RULED} - {"positive"} <= set(OUTSIDE)


@pytest.mark.parametrize("entry, param", RULED, ids=[f"{e.name}.{p.name}" for e, p in RULED])
def test_the_planner_enforces_the_declared_rule(entry, param):
    for bad in OUTSIDE[param.arg.rule]:
        kwargs = _kwargs(entry) | {param.name: bad}
        with pytest.raises(planner.PlannerError) as err:
            entry.func(**kwargs)
        assert err.value.argument == param.name and err.value.kind == "domain", (bad, str(err.value))
    if param.arg.bounds:  # the limits the function adds within the rule
        low, high = param.arg.bounds
        for bad in (low - 1, high * 2) if high < np.inf else (low / 2,):
            with pytest.raises(planner.PlannerError) as err:
                entry.func(**(_kwargs(entry) | {param.name: bad}))
            assert err.value.argument == param.name, str(err.value)
    edge = param.arg.bounds[0] if param.arg.bounds else EDGE.get(param.arg.rule)
    if edge is not None:
        kwargs = _kwargs(entry) | {param.name: edge}
        try:
            entry.func(**kwargs)
        except planner.PlannerError as exc:  # another argument may object, never this one
            assert exc.argument != param.name, str(exc)


@pytest.mark.parametrize("entry, param", RULED, ids=[f"{e.name}.{p.name}" for e, p in RULED])
def test_the_adapter_checks_the_same_rule_without_calling_the_planner(entry, param, monkeypatch):
    calls = []
    monkeypatch.setattr(cells, "_call", lambda e, kw: calls.append(kw))
    args = ce.example_args(entry, ce.planner_call)
    args += [None] * (len(entry.params) - len(args))
    k = entry.params.index(param)
    for bad in OUTSIDE[param.arg.rule]:
        args[k] = bad
        got = evaluate(entry.excel_name, args)
        assert isinstance(got, CellError) and got.code == "#NUM!", (bad, got)
        assert got.reason.startswith(f"{param.name} {_args.RULES[param.arg.rule][1]}")
    assert calls == []


def test_the_cell_follows_the_error_kind_not_its_words(monkeypatch):
    """A reworded message changes nothing: the kind picks the code, the mask the cells."""
    def planner_stand_in(entry, kwargs):
        compute = np.asarray(kwargs["compute"])
        bad = compute > 5
        if bad.any():
            raise planner.PlannerError("quite different words", argument="compute", kind="type",
                                       elements=bad, reason_at=lambda i: f"reason {i}")
        return compute * 2

    monkeypatch.setattr(cells, "_call", planner_stand_in)
    got = evaluate("CHINCHILLA_N", [[[1.0], [7.0], [3.0], [9.0]]])
    assert got == [[2.0], [CellError("#VALUE!", "reason 1")], [6.0], [CellError("#VALUE!", "reason 3")]]


def test_an_error_about_an_argument_given_once_is_the_whole_calls(monkeypatch):
    def planner_stand_in(entry, kwargs):
        raise planner.PlannerError("law is wrong here", argument="law", kind="type")

    monkeypatch.setattr(cells, "_call", planner_stand_in)
    assert evaluate("CHINCHILLA_N", [[[1e24], [1e25]], "epoch"]) == CellError("#VALUE!", "law is wrong here")


def test_a_traffic_column_keeps_its_valid_rows():
    """INFERENCE_TRADEOFF_COST with input tokens {1E13; 1E300}: the first row is computed,
    the second is #NUM! and blames the input tokens."""
    got = evaluate("INFERENCE_TRADEOFF_COST", [2.0, [[1e13], [1e300]], 2e12])
    direct = planner.inference_tradeoff_cost(2.0, 1e13, 2e12)
    assert got[0] == list(planner.cost.COST_FIELDS)
    assert got[1] == [direct[f] for f in planner.cost.COST_FIELDS]
    assert all(isinstance(v, CellError) and v.code == "#NUM!" for v in got[2])
    assert got[2][0].reason.startswith("input_tokens is out of range") and "1e+300" in got[2][0].reason


def test_interleaved_bad_budgets_take_one_planner_call(monkeypatch):
    calls = []
    real = cells._call
    monkeypatch.setattr(cells, "_call", lambda e, kw: calls.append(kw) or real(e, kw))
    budgets = [[1e24 if i % 2 == 0 else -float(i)] for i in range(10_000)]
    got = evaluate("CHINCHILLA_N", [budgets])
    assert len(calls) == 1 and np.size(calls[0]["compute"]) == 5_000
    expected = planner.chinchilla_n(1e24)
    for i, (v,) in enumerate(got):
        if i % 2 == 0:
            assert v == expected
        else:
            assert v == CellError("#NUM!", f"compute must be positive; got {-float(i):g} FLOPs")


def test_errors_raised_inside_the_planner_mark_only_their_elements(monkeypatch):
    """A loss no model of that size reaches is found by the planner, not by a rule: its
    elements become errors and the others are computed in the second call."""
    calls = []
    real = cells._call
    monkeypatch.setattr(cells, "_call", lambda e, kw: calls.append(kw) or real(e, kw))
    got = evaluate("TOKENS_FOR_LOSS", [[[1e10], [1e9], [2e10], [1e9]], 2.0])
    assert len(calls) == 2
    assert got[0][0] == planner.tokens_for_loss(1e10, 2.0) and got[2][0] == planner.tokens_for_loss(2e10, 2.0)
    for (v,) in (got[1], got[3]):
        assert v.code == "#NUM!" and v.reason.startswith("params 1e+09 cannot reach target_loss 2")


@pytest.mark.parametrize("call, argument, kind", [
    (lambda: planner.chinchilla_n("lots"), "compute", "type"),
    (lambda: planner.chinchilla_n([1e24, -1, 5, -3]), "compute", "domain"),
    (lambda: planner.chinchilla_n(1e24, "no-such-law"), "law", "type"),
    (lambda: planner.scaling_loss([1e9, 2e9], [1e10, 2e10, 3e10]), "tokens", "shape"),
    (lambda: planner.gpu_hours(1e24, "H100", 40), "mfu", "domain"),
    (lambda: planner.gpu_spec("H100", "colour"), "field", "type"),
    (lambda: planner.scaling_loss(np.complex128(1 + 2j), 1e10), "params", "type"),
])
def test_planner_errors_name_their_argument_and_kind(call, argument, kind):
    with pytest.raises(planner.PlannerError) as err:
        call()
    assert (err.value.argument, err.value.kind) == (argument, kind)


def test_array_errors_mark_every_failing_element():
    with pytest.raises(planner.PlannerError) as err:
        planner.chinchilla_n([1e24, -1, 5, -3])
    assert err.value.elements.tolist() == [False, True, False, True]
    assert [err.value.reason_at(i) for i in (1, 3)] == ["compute must be positive; got -1 FLOPs",
                                                        "compute must be positive; got -3 FLOPs"]
    assert str(err.value) == "compute must be positive; got -1 FLOPs (element 1)"
