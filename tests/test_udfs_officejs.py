"""Host 2: Excel on Windows, macOS and the web through Office.js custom functions (xlwings Lite).

xlwings' own Office.js machinery (`custom_functions_meta`, `custom_functions_call`) runs on
the formulas module here, with the payloads the Excel add-in sends (tests/conftest.py sets
XLWINGS_ON_SERVER=true and the noncommercial licence key before xlwings is imported).
"""

import asyncio

import numpy as np
import pytest
import xlwings
from xlwings import XlwingsError, server

import planner
import workbook.addin.udfs as udfs
import workbook.addin.wrappers as wrappers

import catalog_examples as ce

ENTRIES = list(planner.CATALOG.values())
IDS = [e.excel_name for e in ENTRIES]


def payload(name, args, runtime="1.4"):
    """A call as the Office.js client sends it: each argument a matrix, omitted ones null."""
    def matrix(v):
        if v is None or isinstance(v, list):
            return v
        return [[v]]
    return {
        "func_name": name,
        "args": [matrix(a) for a in args],
        "caller_address": "Office.js API client[Plan.xlsx]Sheet1!B2",
        "content_language": "en-US",
        "version": xlwings.__version__,
        "runtime": runtime,
        "client": "Office.js",
    }


def call(name, args, **kw):
    return asyncio.run(server.custom_functions_call(payload(name, args, **kw), udfs))


def error(kind):
    return {"type": "Error", "errorType": kind}


@pytest.fixture(scope="module")
def meta():
    assert xlwings.on_server, "xlwings must be imported with XLWINGS_ON_SERVER=true"
    return {f["name"]: f for f in server.custom_functions_meta(udfs)["functions"]}


def test_meta_lists_exactly_the_catalog(meta):
    assert set(meta) == {e.name.upper() for e in ENTRIES}


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_meta_describes_every_formula_and_argument(meta, entry):
    f = meta[entry.excel_name]
    assert f["id"] == entry.excel_name
    assert f["description"].startswith(wrappers.plain(entry.summary)[:40])
    assert "`" not in f["description"]
    assert entry.result_unit in f["description"]
    assert f["result"]["dimensionality"] == "matrix"
    assert [p["name"] for p in f["parameters"]] == [wrappers.excel_arg_name(p.name) for p in entry.params]
    for shown, param in zip(f["parameters"], entry.params):
        assert shown.get("optional", False) is param.optional
        assert shown["dimensionality"] == "matrix"  # a cell or a range
        assert wrappers.plain(param.arg.doc)[:30] in shown["description"]
        assert "`" not in shown["description"]
        if param.arg.unit:
            assert f"[{param.arg.unit}]" in shown["description"]
        if param.optional:
            assert "Optional" in shown["description"]
            if param.default is not None:
                assert f"default {wrappers.excel_default(param.default)}." in shown["description"]
        else:
            assert "Required" in shown["description"]


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_every_formula_returns_the_planner_value(entry):
    args = ce.example_args(entry, ce.planner_call)  # a nested formula arrives as its value
    expected = ce.as_grid(entry, ce.planner_call(entry, args))
    assert call(entry.excel_name, args) == (expected if isinstance(expected, list) else [[expected]])


def chinchilla_n(compute, e, a, b, alpha, beta):
    """Compute-optimal parameters, the closed form of Hoffmann et al. 2022 (eq. 4) written out."""
    g = (alpha * a / (beta * b)) ** (1 / (alpha + beta))
    return g * (np.asarray(compute) / 6) ** (beta / (alpha + beta))


def test_a_column_of_1000_budgets_is_one_call_returning_1000_rows(monkeypatch):
    calls = []
    planner_call = wrappers.cells._call
    monkeypatch.setattr(wrappers.cells, "_call", lambda entry, kw: calls.append(kw) or planner_call(entry, kw))
    budgets = np.logspace(18, 30, 1000)
    got = call("CHINCHILLA_N", [ce.column(budgets), None])
    assert len(calls) == 1 and np.shape(calls[0]["compute"]) == (1000,)  # one vectorised call
    law = planner.PRESETS["epoch"]  # the default
    g = (law.alpha * law.A / (law.beta * law.B)) ** (1 / (law.alpha + law.beta))
    expected = g * (budgets / 6) ** (law.beta / (law.alpha + law.beta))
    assert len(got) == 1000
    np.testing.assert_allclose([row[0] for row in got], expected, rtol=1e-12)


def test_only_bad_elements_of_a_range_are_error_values():
    got = call("CHINCHILLA_N", [[[1e24], [-5.0], ["lots"], [""], [2e24]], None])
    assert got[0][0] == pytest.approx(planner.chinchilla_n(1e24), rel=1e-12)
    assert got[1:4] == [[error("Num")], [error("Value")], [error("Value")]]
    assert got[4][0] == pytest.approx(planner.chinchilla_n(2e24), rel=1e-12)


def test_a_value_error_carries_the_planner_reason():
    with pytest.raises(XlwingsError) as info:
        call("CHINCHILLA_N", ["a lot", None])
    assert str(info.value).startswith("compute must be a number")
    assert "Traceback" not in str(info.value)


def test_error_cells_are_passed_on_not_taken_as_empty():
    na = {"type": "Error", "errorType": "NotAvailable", "basicValue": "#N/A"}
    got = call("CHINCHILLA_N", [[[1e24], [na]], None])
    assert got[1] == [error("NotAvailable")]
    assert call("TRAIN_FLOPS", [70e9, 1.4e12, [[na]]]) == [[error("NotAvailable")]]


def test_a_domain_error_is_num():
    assert call("CHINCHILLA_N", [-1.0, None]) == [[error("Num")]]
    assert call("COMPUTE_FOR_LOSS", [1.5, None]) == [[error("Num")]]


def test_older_runtimes_get_the_error_code_as_text():
    assert call("CHINCHILLA_N", [-1.0, None], runtime="1.3") == [["#NUM!"]]


def test_empty_arguments_take_the_defaults():
    n, d = 70e9, 1.4e12
    assert call("TRAIN_FLOPS", [n, d, None]) == [[planner.train_flops(n, d)]]
    assert call("TRAIN_FLOPS", [n, d, [[""]]]) == [[6 * n * d]]  # an empty cell
    # Empty cells inside a range of an optional argument take its default too.
    assert call("TRAIN_FLOPS", [n, d, [[None], [""], [2]]]) == [[6 * n * d], [6 * n * d], [2 * n * d]]


def test_record_spills_labelled_or_gives_one_field():
    fields = list(planner.CATALOG["inference_tradeoff"].fields)
    labelled = call("INFERENCE_TRADEOFF", [2.0, 1e13, None, None, None, None])
    direct = planner.inference_tradeoff(2.0, 1e13)
    assert labelled == [fields, [float(direct[f]) for f in fields]]
    assert call("INFERENCE_TRADEOFF", [2.0, 1e13, None, "savings", None, None]) == [[direct["savings"]]]


def test_law_from_a_row_of_cells():
    row = call("LAW_PARAMS", ["epoch"])
    assert call("CHINCHILLA_LOSS", [1e24, row]) == [[planner.chinchilla_loss(1e24, "epoch")]]


CHINCHILLA = (1.69, 406.4, 410.7, 0.34, 0.28)  # Hoffmann et al. 2022, eq. 10 as printed


def test_law_as_a_name_a_row_a_column_or_a_fit():
    expected = chinchilla_n(1e24, *CHINCHILLA)
    for law in ("Chinchilla-Printed", [list(CHINCHILLA)], [[v] for v in CHINCHILLA]):
        assert call("CHINCHILLA_N", [1e24, law])[0][0] == pytest.approx(expected, rel=1e-12)
    runs = [ce.column(ce.DATA[k]) for k in ("params", "tokens", "losses")]
    fitted = call("FIT_SCALING_LAW", runs)  # a row {E, A, B, alpha, beta}, fed on as it is
    assert len(fitted) == 1 and len(fitted[0]) == 5
    got = call("CHINCHILLA_N", [1e24, fitted])[0][0]
    assert got == pytest.approx(chinchilla_n(1e24, *fitted[0]), rel=1e-12)


def test_law_as_tokens_per_parameter():
    # With D = 20 N and C = 6 N D: N = sqrt(C / 120).
    assert call("CHINCHILLA_N", [1.2e23, 20])[0][0] == pytest.approx((1.2e23 / 120) ** 0.5, rel=1e-12)


def test_xlwings_import_of_pyodide_per_cell_fails_at_once_outside_pyodide():
    """xlwings tries `from pyodide.ffi import JsNull` for each argument cell; the Office.js
    install marks the module absent, so that import fails without searching the path."""
    import sys

    assert "pyodide" in sys.modules and sys.modules["pyodide"] is None
    with pytest.raises(ImportError):
        from pyodide.ffi import JsNull  # noqa: F401
    assert xlwings.utils.is_jsnull(None) is False
