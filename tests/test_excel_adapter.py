"""The spreadsheet adapter (workbook/excel.py): cell values and ranges in, values and error values out."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner
from workbook.addin import cells as excel
from workbook.addin.cells import CellError, evaluate

import catalog_examples as ce

ENTRIES = list(planner.CATALOG.values())
IDS = [e.excel_name for e in ENTRIES]

# The default law, Besiroglu et al. 2024 Table 1, written out again for independent values.
E, A, B, ALPHA, BETA = 1.8172, 482.01, 2085.43, 0.3478, 0.3658


def chinchilla_n(c):
    g = (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA))
    return g * (np.asarray(c) / 6) ** (BETA / (ALPHA + BETA))


def codes(result):
    return [[v.code if isinstance(v, CellError) else "ok" for v in row] for row in result]


# --- every formula --------------------------------------------------------------------

def test_functions_cover_the_catalog():
    assert set(excel.FUNCTIONS) == {e.name.upper() for e in ENTRIES}
    for name, entry in excel.FUNCTIONS.items():
        assert entry is planner.CATALOG[name.lower()]


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_every_example_gives_the_planner_value(entry):
    def via_excel(inner, args):
        return evaluate(inner.excel_name, args)

    got = evaluate(entry.excel_name, ce.example_args(entry, via_excel))
    expected = ce.as_grid(entry, ce.planner_call(entry, ce.example_args(entry, ce.planner_call)))
    assert got == expected


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_every_formula_name_in_any_case(entry):
    args = ce.example_args(entry, ce.planner_call)
    assert evaluate(entry.name, args) == evaluate(entry.excel_name, args)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_missing_required_argument_is_a_value_error_naming_it(entry):
    required = [p for p in entry.params if not p.optional]
    if not required:
        pytest.skip("every argument is optional")
    args = ce.example_args(entry, ce.planner_call)
    k = entry.params.index(required[-1])
    args = args[:k] + [None] + args[k + 1:]
    got = evaluate(entry.excel_name, args)
    assert isinstance(got, CellError) and got.code == "#VALUE!"
    assert required[-1].name in got.reason


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_text_in_a_number_argument_is_a_value_error(entry):
    numbers = [p for p in entry.params if p.arg.kind == "number"]
    if not numbers:
        pytest.skip("no number argument")
    args = ce.example_args(entry, ce.planner_call)
    args += [None] * (len(entry.params) - len(args))
    k = entry.params.index(numbers[0])
    args[k] = "twelve"
    got = evaluate(entry.excel_name, args)
    assert got == CellError("#VALUE!", got.reason) and numbers[0].name in got.reason


# --- ranges ---------------------------------------------------------------------------

def test_a_column_of_budgets_is_one_column_of_results():
    budgets = np.logspace(18, 30, 1000)
    got = evaluate("CHINCHILLA_N", [ce.column(budgets)])
    assert len(got) == 1000 and all(len(row) == 1 for row in got)
    np.testing.assert_allclose([r[0] for r in got], chinchilla_n(budgets), rtol=1e-12)


def test_a_column_against_a_row_is_a_grid():
    params = [[1e9], [1e10], [1e11]]
    tokens = [[1e10, 1e11]]
    got = np.array(evaluate("SCALING_LOSS", [params, tokens]))
    n, d = np.array(params), np.array(tokens)
    np.testing.assert_allclose(got, E + A / n ** ALPHA + B / d ** BETA, rtol=1e-12)


def test_numpy_ranges_are_accepted():
    got = evaluate("TRAIN_FLOPS", [np.array([[1e9], [2e9]]), np.array([[1e12]])])
    assert got == [[6e21], [1.2e22]]


def test_only_the_bad_elements_of_a_range_are_errors():
    col = [[1e24], [-1.0], ["abc"], [None], [True], [2e24]]
    got = evaluate("CHINCHILLA_N", [col])
    assert codes(got) == [["ok"], ["#NUM!"], ["#VALUE!"], ["#VALUE!"], ["#VALUE!"], ["ok"]]
    assert got[0][0] == pytest.approx(chinchilla_n(1e24), rel=1e-12)
    assert got[5][0] == pytest.approx(chinchilla_n(2e24), rel=1e-12)
    assert got[1][0].reason == "compute must be positive; got -1 FLOPs"
    assert "'abc'" in got[2][0].reason and "empty" in got[3][0].reason


def test_unreachable_losses_in_a_range_are_num_errors():
    got = evaluate("COMPUTE_FOR_LOSS", [[[2.0], [1.5], [1.9]]])
    assert codes(got) == [["ok"], ["#NUM!"], ["ok"]]
    assert "irreducible" in got[1][0].reason


def test_error_values_in_a_range_pass_through():
    na = CellError("#N/A", "no data")
    got = evaluate("CHINCHILLA_N", [[[1e24], [na]]])
    assert got[1][0] is na


def test_error_cells_as_hosts_pass_them_are_passed_on():
    got = evaluate("CHINCHILLA_N", [[[1e24], ["#N/A"], ["#DIV/0!"]]])
    assert codes(got) == [["ok"], ["#N/A"], ["#DIV/0!"]]
    # An error in an optional argument is not "empty": it does not fall back to the default.
    assert evaluate("TRAIN_FLOPS", [1e9, 1e12, "#REF!"]).code == "#REF!"
    assert evaluate("CHINCHILLA_N", [1e24, "#N/A"]).code == "#N/A"
    assert evaluate("GPU_HOURS", [1e24, "#NAME?"]).code == "#NAME?"


def test_mismatched_ranges_are_one_value_error():
    got = evaluate("SCALING_LOSS", [[[1e9], [1e10]], [[1e10], [1e11], [1e12]]])
    assert isinstance(got, CellError) and got.code == "#VALUE!" and "matching" in got.reason


def test_a_bad_single_value_argument_makes_one_error_for_the_range():
    got = evaluate("GPU_HOURS", [[[1e24], [2e24]], "H100", 1.5])
    assert isinstance(got, CellError) and got.code == "#NUM!" and "mfu" in got.reason


def test_a_one_cell_range_is_a_single_value():
    assert evaluate("CHINCHILLA_N", [[[1e24]]]) == evaluate("CHINCHILLA_N", [1e24])


def test_a_column_of_gpu_names_broadcasts_and_only_a_bad_name_is_an_error():
    na = CellError("#N/A", "no data")
    got = evaluate("GPU_HOURS", [[[1e24, 2e24]], [["H100"], ["MI300X"], ["X9000"], [None], [True], [na]]])
    for row, gpu in ((0, "H100"), (1, "MI300X"), (3, "H100")):
        assert got[row] == [planner.gpu_hours(1e24, gpu), planner.gpu_hours(2e24, gpu)]
    assert codes([got[2], got[4], got[5]]) == [["#VALUE!", "#VALUE!"], ["#VALUE!", "#VALUE!"], ["#N/A", "#N/A"]]
    assert "X9000" in got[2][0].reason and got[5][0] is na


def test_a_row_of_fields_against_a_column_of_inputs_is_a_table():
    fields = ["params", "tokens", "savings"]
    got = evaluate("INFERENCE_TRADEOFF", [[[2.0], [2.1]], 1e13, None, [fields]])
    for row, loss in enumerate((2.0, 2.1)):
        direct = planner.inference_tradeoff(loss, 1e13)
        assert got[row] == pytest.approx([direct[f] for f in fields], rel=1e-9)


def test_a_row_of_flags():
    got = evaluate("FLOPS_PER_TOKEN", [6.7e9, 32, 4096, 4096, [[True, False]]])
    assert got == [[planner.flops_per_token(6.7e9, 32, 4096, 4096, True),
                    planner.flops_per_token(6.7e9, 32, 4096, 4096, False)]]


def test_several_values_per_scenario_need_a_single_choice():
    got = evaluate("INFERENCE_TRADEOFF", [2.0, 1e13, [["chinchilla"]], None])  # 1x1 is fine
    assert isinstance(got, list) and got[0][0] == "params"
    got = evaluate("INFERENCE_TRADEOFF_COST", [2.0, 1e12, 1e11, None, None, [["H100"], ["A100"]]])
    assert got.code == "#VALUE!" and "give one gpu" in got.reason
    got = evaluate("GPU_SPEC", [[["H100"], ["A100"]], [["memory_gb", "power_w"]]])
    assert got == [[planner.gpu_spec("H100", "memory_gb"), planner.gpu_spec("H100", "power_w")],
                   [planner.gpu_spec("A100", "memory_gb"), planner.gpu_spec("A100", "power_w")]]


# --- defaults and arguments ---------------------------------------------------------------

def test_empty_means_the_default():
    assert evaluate("TRAIN_FLOPS", [70e9, 1.4e12, None]) == 6 * 70e9 * 1.4e12
    assert evaluate("TRAIN_FLOPS", [70e9, 1.4e12]) == 6 * 70e9 * 1.4e12
    assert evaluate("CHINCHILLA_N", [1e24, None]) == evaluate("CHINCHILLA_N", [1e24, "epoch"])


def test_empty_cells_in_a_range_of_an_optional_argument_take_its_default():
    got = evaluate("TRAIN_FLOPS", [1e9, 1e12, [[None], [2]]])
    assert got == [[6e21], [2e21]]


def test_too_many_arguments_and_unknown_names():
    assert evaluate("CHINCHILLA_N", [1e24, None, 3]).code == "#VALUE!"
    assert evaluate("NOT_A_FORMULA", [1]).code == "#NAME?"


# --- law ------------------------------------------------------------------------------

@pytest.mark.parametrize("law", [
    "epoch", "EPOCH", [[E, A, B, ALPHA, BETA]], [[E], [A], [B], [ALPHA], [BETA]],
    np.array([[E, A, B, ALPHA, BETA]]),
])
def test_law_as_a_name_a_row_or_a_column(law):
    assert evaluate("CHINCHILLA_N", [1e24, law]) == pytest.approx(chinchilla_n(1e24), rel=1e-12)


def test_law_params_output_feeds_a_law_argument():
    row = evaluate("LAW_PARAMS", ["epoch"])
    assert row == [[1.8172, 482.01, 2085.43, 0.3478, 0.3658]]
    assert evaluate("CHINCHILLA_LOSS", [1e24, row]) == evaluate("CHINCHILLA_LOSS", [1e24, "epoch"])


def test_law_as_tokens_per_parameter():
    assert evaluate("CHINCHILLA_N", [1.2e23, 20]) == pytest.approx(math.sqrt(1.2e23 / 120), rel=1e-12)


def test_bad_laws():
    unknown = evaluate("CHINCHILLA_N", [[[1e24], [1e25]], "gpt"])
    assert unknown.code == "#VALUE!" and "chinchilla" in unknown.reason  # lists the presets
    negative = evaluate("CHINCHILLA_N", [1e24, [[E, A, B, -ALPHA, BETA]]])
    assert negative.code == "#NUM!" and "alpha" in negative.reason
    text = evaluate("CHINCHILLA_N", [1e24, [[E, A, "x", ALPHA, BETA]]])
    assert text.code == "#VALUE!"
    gap = evaluate("CHINCHILLA_N", [1e24, [[E, A, None, B, ALPHA, BETA]]])
    assert gap.code == "#VALUE!" and "empty cell" in gap.reason


def test_blank_cells_around_a_law_row_are_ignored():
    for law in ([[None, E, A, B, ALPHA, BETA, None]], [[E], [A], [B], [ALPHA], [BETA], [None]]):
        assert evaluate("CHINCHILLA_N", [1e24, law]) == pytest.approx(chinchilla_n(1e24), rel=1e-12)


# --- records ----------------------------------------------------------------------------

RECORDS = [e for e in ENTRIES if e.returns == "record"]


@pytest.mark.parametrize("entry", RECORDS, ids=[e.excel_name for e in RECORDS])
def test_record_without_field_is_a_labelled_row_and_with_one_a_number(entry):
    args = ce.example_args(entry, ce.planner_call)
    field_at = [p.name for p in entry.params].index("field")
    args += [None] * (len(entry.params) - len(args))
    args[field_at] = None
    labelled = evaluate(entry.excel_name, args)
    direct = ce.planner_call(entry, args)
    assert labelled[0] == list(entry.fields)
    assert labelled[1] == [float(direct[f]) for f in entry.fields]
    for f in entry.fields:
        args[field_at] = f
        assert evaluate(entry.excel_name, args) == float(direct[f])


@pytest.mark.parametrize("entry", RECORDS, ids=[e.excel_name for e in RECORDS])
def test_record_over_a_column_is_a_labelled_table_with_bad_rows_as_errors(entry):
    args = ce.example_args(entry, ce.planner_call)
    args += [None] * (len(entry.params) - len(args))
    field_at = [p.name for p in entry.params].index("field")
    args[field_at] = None
    first = entry.params[0]
    assert first.arg.kind == "number"
    good = args[0]
    args[0] = [[good], [-1.0], [good * 1.05]]
    table = evaluate(entry.excel_name, args)
    assert table[0] == list(entry.fields) and len(table) == 4
    for row, value in ((1, good), (3, good * 1.05)):
        direct = ce.planner_call(entry, [value] + args[1:])
        # a column reaches the planner as arrays: numpy may round the last bit otherwise
        assert table[row] == pytest.approx([float(direct[f]) for f in entry.fields], rel=1e-14)
    assert all(isinstance(v, CellError) and v.code == "#NUM!" for v in table[2])
    args[field_at] = entry.fields[0]
    column = evaluate(entry.excel_name, args)
    assert [r[0] for r in column[::2]] == [table[1][0], table[3][0]]
    args[field_at] = None
    args[0] = [[good, good]]
    args[1] = [[args[1]], [args[1] * 2]]
    grid = evaluate(entry.excel_name, args)
    assert isinstance(grid, CellError) and grid.code == "#VALUE!" and "field" in grid.reason


# --- never a traceback ----------------------------------------------------------------

CELL = st.one_of(st.none(), st.booleans(), st.sampled_from([-1.0, 0.0, 0.4, 2.0, 20.0, 7e10, 1e24]),
                 st.sampled_from(["", "abc", "chinchilla", "H100", "params", "TRUE"]))
VALUE = st.one_of(CELL, st.lists(st.lists(CELL, min_size=1, max_size=3), min_size=1, max_size=3))


def _is_cell(v):
    return isinstance(v, (float, str, CellError))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=st.sampled_from(ENTRIES), args=st.lists(VALUE, max_size=8))
def test_any_input_gives_values_or_error_values(entry, args):
    got = evaluate(entry.excel_name, args)
    if isinstance(got, list):
        assert got and all(isinstance(r, list) and r and all(_is_cell(v) for v in r) for r in got)
    else:
        assert _is_cell(got)
    for v in (got if isinstance(got, list) else [[got]]):
        for x in v:
            if isinstance(x, CellError):
                assert x.code in ("#VALUE!", "#NUM!", "#N/A", "#NAME?") and x.reason
                assert "Traceback" not in x.reason and "failed:" not in x.reason
            elif isinstance(x, float):
                assert math.isfinite(x)


BROADCASTABLE = [e for e in ENTRIES if e.returns == "number" and e.params[0].arg.kind == "number"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=st.sampled_from(BROADCASTABLE),
       picks=st.lists(st.sampled_from(["good", "double", "negative", "zero", "text", "empty", "true"]),
                      min_size=1, max_size=6))
def test_a_range_gives_what_each_cell_gives_alone(entry, picks):
    args = ce.example_args(entry, ce.planner_call)
    good = args[0]
    cells = {"good": good, "double": good * 2, "negative": -abs(good), "zero": 0.0,
             "text": "lots", "empty": None, "true": True}
    column = [[cells[p]] for p in picks]
    got = evaluate(entry.excel_name, [column] + args[1:])
    got = got if isinstance(got, list) else [[got]]  # a one-cell range is a single value
    alone = [evaluate(entry.excel_name, [cells[p]] + args[1:]) for p in picks]
    assert len(got) == len(picks)
    for (cell,), single, pick in zip(got, alone, picks):
        if isinstance(single, CellError):
            assert isinstance(cell, CellError) and cell.code == single.code, pick
        elif pick == "empty":  # a required argument's empty cell inside a range
            assert isinstance(cell, CellError) and cell.code == "#VALUE!"
        else:
            assert cell == pytest.approx(single, rel=1e-9), pick
