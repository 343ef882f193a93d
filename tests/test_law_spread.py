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


# --- the same in Python: the laws are one more axis, broadcast like numpy ------------------

NAMES = list(planner.laws.PRESETS)


def test_a_list_of_presets_gives_one_result_per_law_in_python():
    got = planner.chinchilla_n(1e24, NAMES)
    assert got.shape == (len(NAMES),)
    assert got.tolist() == [planner.chinchilla_n(1e24, n) for n in NAMES]
    # A column of budgets against the laws gives a grid; k budgets pair with k laws.
    grid = planner.chinchilla_n([[1e22], [1e24]], NAMES[:2])
    assert grid.tolist() == [[planner.chinchilla_n(c, n) for n in NAMES[:2]] for c in (1e22, 1e24)]
    paired = planner.chinchilla_n([1e22, 1e24], NAMES[:2])
    assert paired.tolist() == [planner.chinchilla_n(1e22, NAMES[0]), planner.chinchilla_n(1e24, NAMES[1])]
    with pytest.raises(planner.PlannerError) as err:
        planner.chinchilla_n([1e22, 1e23, 1e24], NAMES[:2])
    assert err.value.kind == "shape" and err.value.argument == "law"


def test_a_block_of_bootstrap_laws_gives_their_spread_in_python():
    n, d, loss = (ce.DATA[k] for k in ("params", "tokens", "losses"))
    samples = planner.fit_scaling_law_samples(n, d, loss, 40, 2)
    sizes = planner.chinchilla_n(1e24, samples)
    assert sizes.shape == (40,)
    assert sizes[7] == planner.chinchilla_n(1e24, list(samples[7]))
    low, high = np.percentile(sizes, [10, 90])
    assert low < planner.chinchilla_n(1e24, list(planner.fit_scaling_law(n, d, loss))) < high
    # One row of five numbers, as a spreadsheet row arrives, is still one law.
    assert np.ndim(planner.chinchilla_n(1e24, [list(samples[0])])) == 0


def test_records_and_rows_spread_field_by_field():
    best = planner.inference_tradeoff(2.3, 1e13, ["epoch", "chinchilla"])
    for i, law in enumerate(("epoch", "chinchilla")):
        one = planner.inference_tradeoff(2.3, 1e13, law)
        assert all(best[k][i] == one[k] for k in one)
    assert best.units == planner.inference_tradeoff(2.3, 1e13).units
    rows = planner.law_params(["epoch", "kaplan"])
    # Five numbers mean gamma = 1, so the stacked rows pad with it and feed back as laws.
    assert rows.shape == (2, 6) and rows[0, 5] == 1.0 and rows[1].tolist() == planner.law_params("kaplan").tolist()
    np.testing.assert_array_equal(planner.scaling_loss(1e9, 2e10, rows),
                                  [planner.scaling_loss(1e9, 2e10, n) for n in ("epoch", "kaplan")])
