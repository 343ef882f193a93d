"""The embedded engine: planner formulas inside formulas' Excel engine, on workbooks built here."""

from __future__ import annotations

import json
import math
import os
import zipfile

import openpyxl
import planner
import pytest
from openpyxl.worksheet.formula import ArrayFormula
from hypothesis import given
from hypothesis import strategies as st

from book_builders import (ALPHA, BETA, A, B, E, d_opt, excel_style_book, loss, mixed_book, n_opt,
                           one_formula_book)
from workbook.recalc import engine, model, xlsx
from workbook.addin.cells import CellError
from workbook.recalc.engine import EngineError


def close(a, b, rel=1e-12):
    return isinstance(a, float) and math.isclose(a, b, rel_tol=rel)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    path = mixed_book(tmp_path_factory.mktemp("engine") / "mixed.xlsx")
    return engine.recalculate(xlsx.read_package(path))


def v(mixed, ref, sheet="Model Plan"):
    return mixed[0][(sheet, ref)]


def test_planner_formulas_match_the_closed_form(mixed):
    assert close(v(mixed, "B1"), n_opt(1e24))
    assert close(v(mixed, "B2"), d_opt(1e24))
    assert close(v(mixed, "B6"), loss(n_opt(1e24), d_opt(1e24)))


def test_nested_excel_and_planner_formulas(mixed):
    assert v(mixed, "B3") == round(d_opt(1e24) / n_opt(1e24), 6)
    assert v(mixed, "B4") == round(n_opt(1e24) / 1e9, 3)
    assert v(mixed, "B10") == "large model"
    assert v(mixed, "B14") == 1e24 * 2 + 1e24
    assert v(mixed, "B15") == "check the budget"  # IFERROR sees the planner's #NUM!


def test_ranges_as_arguments(mixed):
    budgets = (1e22, 1e23, 1e24)
    assert close(v(mixed, "B5"), sum(n_opt(c) for c in budgets))
    for ref, c in zip(("B11", "B12", "B13"), budgets):  # an array formula fills its block
        assert close(v(mixed, ref), n_opt(c))


def test_a_row_result_feeds_another_formula(mixed):
    assert [v(mixed, f"{col}7") for col in "BCDEF"] == [E, A, B, ALPHA, BETA]  # Hoffmann et al. 2022
    assert close(v(mixed, "B8"), loss(70e9, 1.4e12))


def test_defined_names_that_compute(mixed):
    assert close(v(mixed, "B20"), n_opt(1e24) / 1e9)
    assert close(v(mixed, "B21"), E + A + B + ALPHA + BETA)


def test_tokens_per_parameter_rule(mixed):
    # D = 20 N and C = 6 N D give N = sqrt(C / 120).
    assert close(v(mixed, "B9"), math.sqrt(1e24 / 120))


def test_bad_cells_give_excel_error_values_with_reasons(mixed):
    neg, text, div, dep = (v(mixed, r) for r in ("B16", "B17", "B18", "B19"))
    assert isinstance(neg, CellError) and neg.code == "#NUM!" and "compute" in neg.reason
    assert isinstance(text, CellError) and text.code == "#VALUE!" and "lots" in text.reason
    assert isinstance(div, CellError) and div.code == "#DIV/0!"  # an error argument propagates
    assert isinstance(dep, CellError) and dep.code == "#NUM!"


def test_defined_name_values(mixed):
    names = mixed.names
    assert close(names["OPT_N"], n_opt(1e24)) and names["BUDGET"] == 1e24
    assert names["LAW_ROW"] == [[E, A, B, ALPHA, BETA]]


def test_formula_cells_know_which_use_planner_functions(mixed):
    cells = mixed[1]
    assert cells[("Model Plan", "B1")].addin
    assert not cells[("Model Plan", "B14")].addin
    assert cells[("Model Plan", "B11")].cells == ("B11", "B12", "B13")
    assert ("Inputs", "B1") not in cells


def test_excel_style_package_shared_formulas_and_named_constant(tmp_path):
    pkg = xlsx.read_package(excel_style_book(tmp_path / "excel.xlsx"))
    values, cells, _ = engine.recalculate(pkg)
    for row, c in zip((1, 2, 3), (1e22, 1e23, 1e24)):
        assert close(values[("Runs", f"B{row}")], n_opt(c))
        assert values[("Runs", f"C{row}")] == c * 1000
    assert cells[("Runs", "B2")].addin and not cells[("Runs", "C2")].addin


def test_exponent_without_sign_is_read(tmp_path):
    # Excel stores 1E+24, but people and scripts write 1E24; both are the same number.
    pkg = xlsx.read_package(one_formula_book(tmp_path / "e.xlsx", "=CHINCHILLA_N(1E24)+0*1e3"))
    values, _, _ = engine.recalculate(pkg)
    assert close(values[("Sheet1", "B2")], n_opt(1e24))


@pytest.mark.parametrize("formula, words", [
    ("=NOSUCHFUNCTION(A1)", ["NOSUCHFUNCTION", "not supported"]),
    ("=SUM(A1,", ["cannot read"]),
])
def test_formulas_the_engine_cannot_compute_name_the_cell(tmp_path, formula, words):
    pkg = xlsx.read_package(one_formula_book(tmp_path / "bad.xlsx", formula))
    with pytest.raises(EngineError) as info:
        engine.recalculate(pkg)
    assert info.value.cell == "Sheet1!B2"
    for w in words:
        assert w in str(info.value)


def test_a_function_that_raises_is_reported_with_its_cell(tmp_path, monkeypatch):
    import formulas
    from formulas.functions import wrap_ranges_func

    def broken(x):
        raise RuntimeError("out of order")

    monkeypatch.setitem(formulas.get_functions(), "BROKEN_TEST", wrap_ranges_func(broken))
    pkg = xlsx.read_package(one_formula_book(tmp_path / "broken.xlsx", "=BROKEN_TEST(A1)+1"))
    with pytest.raises(EngineError) as info:
        engine.recalculate(pkg)
    assert info.value.cell == "Sheet1!B2" and "RuntimeError: out of order" in str(info.value)


def test_empty_reference_and_xludf_prefix(tmp_path):
    # Excel writes _xludf. before a user-defined function that was not loaded when saving.
    path = one_formula_book(tmp_path / "u.xlsx", "=_xludf.CHINCHILLA_N(A1*1E23)+Z99")
    values, cells, _ = engine.recalculate(xlsx.read_package(path))
    assert close(values[("Sheet1", "B2")], n_opt(5e23))
    assert cells[("Sheet1", "B2")].addin


@pytest.mark.parametrize("formula", [
    "=[1]!CHINCHILLA_N(A1*1E23)",  # a function of an add-in workbook, through its external link
    "='C:\\Add-ins\\planner.xlam'!CHINCHILLA_N(A1*1E23)",  # the same, link unresolved
    "=PLANNER.CHINCHILLA_N(A1*1E23)",  # under a namespace, as add-in hosts may show it
    "=_xlfn._xlws.CHINCHILLA_N(A1*1E23)",
])
def test_add_in_spellings_of_planner_functions(tmp_path, formula):
    path = one_formula_book(tmp_path / "spelling.xlsx", formula)
    pkg = xlsx.read_package(path)
    values, cells, _ = engine.recalculate(pkg)
    assert close(values[("Sheet1", "B2")], n_opt(5e23))
    assert cells[("Sheet1", "B2")].addin
    assert openpyxl.load_workbook(path)["Sheet1"]["B2"].value == formula  # the file keeps its text


def test_every_catalog_formula_is_registered():
    import formulas
    from workbook.addin import cells as excel

    engine.register_functions()
    table = formulas.get_functions()
    assert excel.FUNCTIONS and all(name in table for name in excel.FUNCTIONS)


def test_hostile_xml_is_refused(tmp_path):
    path = one_formula_book(tmp_path / "x.xlsx", "=1+1")
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    body = parts["xl/workbook.xml"]
    body = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
    parts["xl/workbook.xml"] = b'<!DOCTYPE workbook [<!ENTITY a "aaaaaaaa">]>' + body
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    with pytest.raises(xlsx.XlsxError, match="forbidden XML"):
        xlsx.read_package(bomb)


def test_namespace_prefixes_survive_a_rewrite(tmp_path):
    pkg = xlsx.read_package(excel_style_book(tmp_path / "ns.xlsx"))
    root = pkg.edit("xl/worksheets/sheet1.xml")
    cells = xlsx.index_cells(root)
    xlsx.set_cached(cells["B1"], 1.5)
    out = xlsx.write_xml(root, pkg._xml["xl/worksheets/sheet1.xml"][1]).decode()
    head = out[:out.index("<sheetData")]
    assert 'mc:Ignorable="x14ac xr"' in head and "xmlns:x14ac=" in head and "xmlns:xr=" in head
    assert "x14ac:dyDescent" in out and "ns0" not in out
    reread = openpyxl.load_workbook(_save(pkg, tmp_path / "ns-out.xlsx"), data_only=True)
    assert reread["Runs"]["B1"].value == 1.5


def _save(pkg, path):
    pkg.save(path)
    return path


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_cached_numbers_round_trip_exactly(x):
    # The value written into <v> reads back as the same double in any reader.
    assert float(xlsx.number_text(x)) == x


@given(st.text())
def test_any_text_result_is_storable(text):
    cell = xlsx.ET.Element(xlsx._M + "c")
    xlsx.set_cached(cell, text)
    root = xlsx.ET.Element(xlsx._M + "worksheet")
    root.append(cell)
    data = xlsx.write_xml(root, [("", xlsx.MAIN)])
    reread, _ = xlsx.parse_xml(data, "test")
    # An XML parser reads an empty element's text as None; any other text comes back as stored.
    assert reread.find(xlsx._M + "c/" + xlsx._M + "v").text == (xlsx.clean_text(text) or None)
    if text.isalnum() and text.isascii():
        assert xlsx.clean_text(text) == text  # plain text is stored as it is


def test_a_stray_cell_far_away_costs_nothing(tmp_path):
    # openpyxl's iter_rows() makes every cell of the used rectangle: 17 billion here.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["A1048575"], ws["XFD1048576"] = 1e24, "=CHINCHILLA_N(A1)+A1048575", 0, 7
    wb.save(tmp_path / "far.xlsx")
    values, _, _ = engine.recalculate(xlsx.read_package(tmp_path / "far.xlsx"))
    assert close(values[("Sheet", "B1")], n_opt(1e24))


def test_sheet_scoped_names_and_quoted_sheet_names(tmp_path):
    from book_builders import scoped_names_book

    values, _, _ = engine.recalculate(xlsx.read_package(scoped_names_book(tmp_path / "s.xlsx")))
    res = "It's results"
    assert close(values[(res, "A1")], math.sqrt(2e24 / (6 * 20)))  # C = 6 N D with D = 20 N
    assert values[(res, "A2")] == 1e24 + 1e22  # A1 and B1
    assert close(values[(res, "A3")], n_opt(1e24) / 1e9)  # the results sheet's own Budget
    runs = (1e22, 1e23, 1e24)
    assert close(values[(res, "A4")], sum(n_opt(c) * d_opt(c) for c in runs))
    assert close(values[(res, "A5")], n_opt(1e24) / n_opt(1e22))
    mean = sum(runs) / 3
    assert close(values[(res, "A6")], loss(n_opt(mean), d_opt(mean)))


def test_one_name_meaning_two_cells_is_refused(tmp_path):
    from book_builders import scoped_names_book

    pkg = xlsx.read_package(scoped_names_book(tmp_path / "s.xlsx", clash=True))
    with pytest.raises(EngineError) as info:
        engine.recalculate(pkg)
    assert "Budget" in str(info.value) and "sheet-scoped" in str(info.value)
    assert info.value.cell in ("Budget Inputs!C1", "It's results!A3")


def test_one_name_defined_alike_on_two_sheets_is_fine(tmp_path):
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    one, two = wb.active, wb.create_sheet("Two")
    one["A1"], one["B1"], two["B1"] = 1e24, "=CHINCHILLA_N(Budget)", "=CHINCHILLA_N(Budget)*2"
    one.defined_names["Budget"] = DefinedName("Budget", attr_text="Sheet!$A$1")
    two.defined_names["Budget"] = DefinedName("Budget", attr_text="Sheet!A1")  # the same cell
    wb.save(tmp_path / "alike.xlsx")
    values, _, _ = engine.recalculate(xlsx.read_package(tmp_path / "alike.xlsx"))
    assert close(values[("Two", "B1")], 2 * values[("Sheet", "B1")]) and close(values[("Sheet", "B1")], n_opt(1e24))


def test_stored_cell_values_rich_text_without_phonetic_hints():
    import xml.etree.ElementTree as ET

    rich = ET.fromstring(f'<si xmlns="{xlsx.MAIN}"><r><t>東</t></r><r><t>京</t></r>'
                         f'<rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>')
    assert xlsx._text(rich) == "東京"
    strings = ["zero", "one"]
    cells = {
        '<c t="s"><v>1</v></c>': "one",
        '<c t="inlineStr"><is><t>inline</t></is></c>': "inline",
        '<c t="b"><v>1</v></c>': True,
        '<c><v>2.5E+3</v></c>': 2500.0,
        '<c t="e"><v>#N/A</v></c>': None,
        '<c t="s"><v>7</v></c>': None,  # a broken index is no value, not a crash
    }
    for xml, expected in cells.items():
        cell = ET.fromstring(xml.replace("<c", f'<c xmlns="{xlsx.MAIN}"', 1))
        assert xlsx.cell_value(cell, strings) == expected, xml


def test_engine_values_reach_the_adapter_row_by_row():
    import numpy as np
    import schedula as sh
    from formulas.tokens.operand import Error

    grid = np.array([[1.5, sh.EMPTY, "text"], [np.float64(2.0), Error.errors["#DIV/0!"], True]], dtype=object)
    rows = engine._from_engine(grid)
    assert rows[0] == [1.5, None, "text"]
    assert rows[1][0] == 2.0 and type(rows[1][0]) is float and rows[1][2] is True
    assert rows[1][1].code == "#DIV/0!"
    assert engine._from_engine(np.array([[sh.EMPTY]], dtype=object)) is None


def test_spill_references_compute_and_3d_references_are_refused(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"] = 1e22, 1e23, 1e24
    ws["B1"] = ArrayFormula("B1:B3", "=CHINCHILLA_N(A1:A3)")
    ws["C1"] = "=SUM(_xlfn.ANCHORARRAY(B1))"  # B1# as Excel stores it
    wb.save(tmp_path / "spill.xlsx")
    values, _, _ = engine.recalculate(xlsx.read_package(tmp_path / "spill.xlsx"))
    assert close(values[("Sheet", "C1")], sum(n_opt(c) for c in (1e22, 1e23, 1e24)))
    wb.create_sheet("Q2")["A1"] = 3
    ws["C2"] = "=SUM(Sheet:Q2!A1)"
    wb.save(tmp_path / "3d.xlsx")
    with pytest.raises(EngineError) as info:
        engine.recalculate(xlsx.read_package(tmp_path / "3d.xlsx"))
    assert info.value.cell == "Sheet!C2" and "several sheets" in str(info.value)


@pytest.mark.parametrize("formula, code", [
    ("=Undefined_Budget*2", "#NAME?"),  # as Excel shows a name no one defined
    ("=IF(TRUE, 1/0, 0)", "#DIV/0!"),  # other errors keep their code
])
def test_an_undefined_name_is_named(tmp_path, formula, code):
    values, _, _ = engine.recalculate(xlsx.read_package(one_formula_book(tmp_path / "n.xlsx", formula)))
    v = values[("Sheet1", "B2")]
    assert isinstance(v, CellError) and v.code == code
    assert ("Undefined_Budget is not a defined name" in v.reason) == (code == "#NAME?")


@pytest.mark.parametrize("raw", [False, True])
def test_shared_strings_read_as_formulas_reads_them(raw):
    import io

    sst = (f'<sst xmlns="{xlsx.MAIN}"><si><t>plain</t></si><si><t xml:space="preserve"> a_x000D_b </t></si>'
           '<si><r><rPr><b/></rPr><t>bold</t></r><r><t>_x005F_x0041_ run</t></r>'
           '<rPh sb="0" eb="1"><t>phonetic</t></rPh></si><si><t/></si><si><t>Ω &amp; ü</t></si></sst>').encode()
    ours = model._read_string_table(raw, io.BytesIO(sst))
    assert ours == model._formulas_read_string_table(raw, io.BytesIO(sst))
    assert ours[0] == "plain" and ours[2].startswith("bold") and "phonetic" not in ours[2]


def test_an_argument_left_out_means_its_default_as_in_excel(tmp_path):
    """=F(a, , c): Excel passes a missing argument to an add-in function, which takes its
    default; its own functions read 0 there. The engine does both."""
    import openpyxl

    from workbook.recalc.calc import calc

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"] = "=GPU_HOURS(1E24,,0.5)", '=INFERENCE_TRADEOFF(2.0,1E13,,"params")'
    ws["A3"], ws["A4"], ws["A5"] = "=CHINCHILLA_N(1E24,)", "=SUM(1,,2)", "=IF(TRUE,,1)"
    ws["A6"] = "=GPU_HOURS(1E24,0,0.5)"  # a typed 0 is still a 0
    wb.save(tmp_path / "b.xlsx")
    v = calc(tmp_path / "b.xlsx", tmp_path / "o.xlsx").values
    assert v[("Sheet", "A1")] == planner.gpu_hours(1e24, mfu=0.5)
    assert v[("Sheet", "A2")] == planner.inference_tradeoff(2.0, 1e13, field="params")
    assert v[("Sheet", "A3")] == planner.chinchilla_n(1e24)
    assert (v[("Sheet", "A4")], v[("Sheet", "A5")]) == (3.0, 0.0)
    assert v[("Sheet", "A6")].code == "#NUM!" and "gpu must be positive" in v[("Sheet", "A6")].reason


def test_small_numbers_keep_every_stored_digit(tmp_path):
    """A stored number is computed with as it is stored, as Excel does (15 significant digits),
    not rounded to 15 decimal places: a 4.76% score keeps its last digit, 1E-20 stays 1E-20."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"] = 0.0476190485060215, 1e-20
    ws["B1"], ws["B2"] = "=A1*1E+16", "=A2*1E+20"
    ws["B3"] = "=CHINCHILLA_LOSS(A2*1E+44)"
    path = tmp_path / "small.xlsx"
    wb.save(path)
    values = engine.recalculate(xlsx.read_package(path))[0]
    assert values[("Sheet", "A1")] == 0.0476190485060215 and values[("Sheet", "A2")] == 1e-20
    assert close(values[("Sheet", "B1")], 476190485060215.0) and close(values[("Sheet", "B2")], 1.0)
    assert close(values[("Sheet", "B3")], planner.chinchilla_loss(1e24))


def test_statistics_functions_import_scipy_only_when_one_is_used(tmp_path):
    """formulas' statistics and maths modules are imported with scipy, statistics and
    numpy.random standing in: a workbook without such a function never imports them, and
    one with them gets the values it gets when they are imported first, before the engine
    (fresh processes, as this one has scipy already)."""
    import subprocess
    import sys

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"] = "=NORM.S.INV(0.975)", "=T.INV.2T(0.05,10)", "=NORM.INV(0.3,1,2)"
    ws["A4"] = "=FORECAST(4,{2,4.1,6.2},{1,2,3})"
    wb.save(tmp_path / "stats.xlsx")
    plain = one_formula_book(tmp_path / "plain.xlsx", "=SUM(1,2)*MIN(3,4)")

    def run(path, first=""):
        script = (f"import sys, json\n{first}"
                  "from workbook.recalc import engine, xlsx\n"
                  "v = engine.recalculate(xlsx.read_package(sys.argv[1])).values\n"
                  "print(json.dumps([sorted(m for m in ('scipy', 'statistics', 'numpy.random') if m in sys.modules),"
                  " [repr(v[k]) for k in sorted(v)]]))\n")
        out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                             env=dict(os.environ, PLANNER_CACHE_DIR="off"), check=True)
        return json.loads(out.stdout)

    assert run(plain) == [[], ["5.0", "9.0"]]
    imported, values = run(tmp_path / "stats.xlsx")
    assert {"scipy", "statistics"} <= set(imported)
    assert values == run(tmp_path / "stats.xlsx", "import scipy.stats, scipy.interpolate, statistics\n")[1]
    assert len(values) == 4 and all(math.isfinite(float(v)) for v in values)  # numbers, not errors
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = "=RAND()", "=RAND()*0+7"  # RAND's numpy.random, imported when called
    wb.save(tmp_path / "rand.xlsx")
    imported, (a1, a2) = run(tmp_path / "rand.xlsx")
    assert imported == ["numpy.random"] and 0 <= float(a1) < 1 and a2 == "7.0"
