"""A law argument that holds several laws: one result per law, laid out along the range."""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

import catalog_examples as ce
import planner
from workbook.addin.cells import CellError, evaluate
from workbook.recalc.calc import calc

RUNS = [ce.column(ce.DATA[k]) for k in ("params", "tokens", "losses")]


def test_a_column_of_presets_spreads_the_answer():
    names = ["epoch", "chinchilla", "chinchilla-printed", "kaplan"]
    got = evaluate("CHINCHILLA_N", [1e24, [[n] for n in names]])
    assert got == [[planner.chinchilla_n(1e24, n)] for n in names]
    row = evaluate("CHINCHILLA_N", [1e24, [names]])  # a row of names spreads along the row
    assert row == [[planner.chinchilla_n(1e24, n) for n in names]]


def test_presets_against_a_row_of_budgets_give_a_grid():
    got = evaluate("CHINCHILLA_N", [[[1e22, 1e24]], [["epoch"], ["chinchilla"]]])
    assert got == [[planner.chinchilla_n(c, law) for c in (1e22, 1e24)] for law in ("epoch", "chinchilla")]


def test_rows_of_five_numbers_are_one_law_each_and_one_row_is_one_law():
    laws = [list(planner.law_params(n)) for n in ("epoch", "chinchilla")]
    assert evaluate("CHINCHILLA_N", [1e24, laws]) == [[planner.chinchilla_n(1e24, l)] for l in laws]
    assert evaluate("CHINCHILLA_N", [1e24, laws[:1]]) == planner.chinchilla_n(1e24, laws[0])
    assert evaluate("CHINCHILLA_N", [1e24, [[v] for v in laws[0]]]) == planner.chinchilla_n(1e24, laws[0])


def test_a_bad_law_among_them_is_an_error_in_its_cell_only():
    got = evaluate("COMPUTE_FOR_LOSS", [2.0, [["epoch"], ["gopher"]]])
    assert got[0][0] == planner.compute_for_loss(2.0, "epoch")
    assert isinstance(got[1][0], CellError) and got[1][0].code == "#VALUE!" and "gopher" in got[1][0].reason


def test_bootstrap_samples_are_the_laws_behind_the_intervals():
    n, d, loss = (ce.DATA[k] for k in ("params", "tokens", "losses"))
    samples = planner.fit_scaling_law_samples(n, d, loss, 60, 3)
    assert samples.shape == (60, 5) and np.all(samples[:, 3:] > 0)
    ci = planner.fit_scaling_law_ci(n, d, loss, 0.8, 60, 3)
    np.testing.assert_allclose(np.percentile(samples, [10, 90], axis=0), ci[1:], rtol=1e-12)
    assert np.array_equal(samples, planner.fit_scaling_law_samples(n, d, loss, 60, 3))  # the seed decides


def test_percentile_of_a_formula_over_bootstrap_laws_in_a_workbook(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, (a, b, c) in enumerate(zip(*(ce.DATA[k] for k in ("params", "tokens", "losses"))), start=1):
        ws[f"A{i}"], ws[f"B{i}"], ws[f"C{i}"] = float(a), float(b), float(c)
    rows = len(ce.DATA["params"])
    ws["E1"] = f"=PERCENTILE(CHINCHILLA_N(1E24,FIT_SCALING_LAW_SAMPLES(A1:A{rows},B1:B{rows},C1:C{rows},50,1)),0.1)"
    wb.save(tmp_path / "spread.xlsx")
    value = calc(tmp_path / "spread.xlsx", tmp_path / "out.xlsx").values[("Sheet", "E1")]
    samples = planner.fit_scaling_law_samples(ce.DATA["params"], ce.DATA["tokens"], ce.DATA["losses"], 50, 1)
    expected = np.percentile([planner.chinchilla_n(1e24, list(s)) for s in samples], 10)
    # Each fit is an optimiser's result: another process (other array alignments, so other
    # roundings in its sums) may stop elsewhere within the optimiser's tolerance.
    assert value == pytest.approx(expected, rel=1e-6)
