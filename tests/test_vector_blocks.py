"""The engine's vectorised path: a filled-down column of one formula shape computed as one
array formula (workbook/recalc/blocks.py) gives what computing every cell on its own gives."""

from __future__ import annotations

import math

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

import planner
from workbook.addin import cells as adapter
from workbook.addin.cells import CellError
from workbook.recalc import blocks, engine, xlsx

ULP = 2.0 ** -52


def _book(path, rows=40):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    other = wb.create_sheet("Other")
    other["A1"] = 0.4
    for r in range(2, rows + 2):
        # budgets, with a blank, a text, a negative and an error among them
        ws[f"A{r}"] = {7: None, 9: "lots", 11: -1.0, 13: "=1/0"}.get(r, 1e22 * (1 + r / rows))
        ws[f"B{r}"] = f"=CHINCHILLA_N(A{r})"
        ws[f"C{r}"] = f"=CHINCHILLA_D(A{r},$H$1)"  # an absolute law cell: not widened
        ws[f"D{r}"] = f'=GPU_HOURS(6*B{r}*C{r},"H100",Other!$A$1)'
        ws[f"E{r}"] = f"=B{r}*C{r}*6+-A{r}%"
        ws[f"F{r}"] = f"=IF(SUM(B{r}:E{r})>0,1,0)"  # SUM over a row: stays cell by cell
        ws[f"G{r}"] = f"=G{r - 1}+1" if r > 2 else "=1"  # a chain down its own column: never a block
        ws[f"I{r}"] = f"=SCALING_LOSS(B{r},C{r},$H$1)"
        ws[f"J{r}"] = f"=CHINCHILLA_N(A{r})*Scale"  # names of one cell: single values, as $H$1
        ws[f"K{r}"] = f"=SCALING_LOSS(B{r},C{r},Law_Cell)"
        ws[f"L{r}"] = f"=A{r}*Relative"  # a name Excel reads relative to the cell using it: not a block
        ws[f"M{r}"] = f"=A{r}*MAX(Column_A)"  # a name of a range: not a block
    ws["H1"] = "epoch"
    for name, target in [("Scale", "Other!$A$1"), ("Law_Cell", "Plan!$H$1"), ("Relative", "Other!A1"),
                         ("Column_A", "Plan!$A$2:$A$41")]:
        wb.defined_names[name] = DefinedName(name, attr_text=target)
    wb.save(path)
    return path


def _compare(path, fast=True):
    vector = engine.recalculate(xlsx.read_package(path), vectorise=True, fast=fast).values
    single = engine.recalculate(xlsx.read_package(path), vectorise=False, fast=fast).values
    # The vectorised path also sees the empty cells inside the ranges it reads.
    assert set(single) <= set(vector) and all(vector[k] is None for k in set(vector) - set(single))
    for key, v in single.items():
        w = vector[key]
        if isinstance(v, float) and isinstance(w, float):
            # numpy's power over an array may round the last bit unlike the scalar path
            assert math.isclose(v, w, rel_tol=4 * ULP, abs_tol=0), (key, v, w)
        else:
            assert v == w, (key, v, w)
    return vector


def test_blocks_are_found_where_the_formula_works_element_by_element(tmp_path):
    pkg = xlsx.read_package(_book(tmp_path / "b.xlsx"))
    cells = engine.formula_cells(pkg)
    found = {b.column: b for b in engine.vector_blocks(cells, engine.name_definitions(pkg, cells))}
    # not F (SUM over a range), G (its own column), L (a relative name) or M (a name of a range)
    assert set(found) == {"B", "C", "D", "E", "I", "J", "K"}
    assert found["B"].text == "CHINCHILLA_N(A2:A41)" and found["B"].ref == "B2:B41"
    assert found["C"].text == "CHINCHILLA_D(A2:A41,$H$1)"
    assert found["D"].text == 'GPU_HOURS(6*B2:B41*C2:C41,"H100",Other!$A$1)'
    assert found["J"].text == "CHINCHILLA_N(A2:A41)*Scale"
    assert found["K"].text == "SCALING_LOSS(B2:B41,C2:C41,Law_Cell)"


def test_a_name_of_a_cell_in_the_block_keeps_the_column_cell_by_cell():
    shapes = {("Plan", f"B{r}"): "A1*Inside" for r in range(2, 12)}
    own = lambda key: f"A{key[1][1:]}*Inside"  # noqa: E731
    inside = blocks.single_cells({"INSIDE": "Plan!$B$5"})
    above = blocks.single_cells({"INSIDE": "'Plan'!$B$1"})
    elsewhere = blocks.single_cells({"INSIDE": "Other!$B$5"})
    assert blocks.plan(shapes, own, inside) == []
    assert [b.ref for b in blocks.plan(shapes, own, above)] == ["B2:B11"]
    assert [b.ref for b in blocks.plan(shapes, own, elsewhere)] == ["B2:B11"]
    assert blocks.plan(shapes, own, {}) == []  # a name that is not known to stand for one cell
    assert blocks.single_cells({"A": "Plan!B5", "B": "Plan!$B5", "C": "Plan!$B$5:$B$6", "D": "0.4",
                                "E": "$B$5", "F": "=Plan!$B$5"}) == {"F": ("Plan", "B", 5, True)}


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "model"])
def test_the_vectorised_path_gives_the_values_of_the_cell_by_cell_path(tmp_path, fast):
    values = _compare(_book(tmp_path / "b.xlsx"), fast)
    assert values[("Plan", "J20")] == pytest.approx(planner.chinchilla_n(1e22 * (1 + 20 / 40)) * 0.4, rel=1e-15)
    assert values[("Plan", "B7")] == CellError("#VALUE!", "compute is empty; it needs a number (FLOPs)")
    assert values[("Plan", "B11")].code == "#NUM!" and "compute must be positive" in values[("Plan", "B11")].reason
    assert values[("Plan", "B13")].code == "#DIV/0!"
    assert values[("Plan", "B20")] == pytest.approx(planner.chinchilla_n(1e22 * (1 + 20 / 40)), rel=1e-15)


def test_a_filled_down_planner_column_reaches_the_planner_in_one_call(tmp_path, monkeypatch):
    rows = 5000
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(1, rows + 1):
        ws[f"A{r}"], ws[f"B{r}"] = 1e22 * r, f"=CHINCHILLA_N(A{r})"
    wb.save(tmp_path / "col.xlsx")
    calls = []
    real = adapter._call
    monkeypatch.setattr(adapter, "_call", lambda e, kw: calls.append(kw) or real(e, kw))
    values = engine.recalculate(xlsx.read_package(tmp_path / "col.xlsx")).values
    # The run that compiles the block also runs the program it stores, to check it (programs.py).
    assert len(calls) == 2 and all(len(kw["compute"]) == rows for kw in calls)
    assert values[("Sheet", "B4000")] == pytest.approx(planner.chinchilla_n(4e25), rel=1e-15)
    calls.clear()  # a later run reads the block's program back
    assert engine.recalculate(xlsx.read_package(tmp_path / "col.xlsx")).values == values
    assert len(calls) == 1 and len(calls[0]["compute"]) == rows
    calls.clear()  # and without the cache, nothing is stored or checked
    monkeypatch.setenv("PLANNER_CACHE_DIR", "off")
    assert engine.recalculate(xlsx.read_package(tmp_path / "col.xlsx")).values == values
    assert len(calls) == 1 and len(calls[0]["compute"]) == rows


def test_shared_formulas_as_excel_writes_them_form_blocks_too(tmp_path):
    """Excel stores a filled-down column as one shared formula; its cells are moved from the
    group's master to their own rows before blocks are formed."""
    from book_builders import excel_style_book

    src = excel_style_book(tmp_path / "e.xlsx")
    pkg = xlsx.read_package(src)
    cells = engine.formula_cells(pkg)
    shared = [k for k, fc in cells.items() if fc.kind == "shared" and fc.master is not None]
    assert shared and all(engine.own_formula(cells[k]) != cells[k].text or cells[k].ref == cells[k].master
                          for k in shared)
    _compare(src)
    assert blocks.MIN_ROWS == 2
