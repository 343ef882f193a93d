"""The engine's vectorised path: a filled-down column of one formula shape computed as one
array formula (workbook/recalc/blocks.py) gives what computing every cell on its own gives."""

from __future__ import annotations

import math

import openpyxl
import pytest

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
    ws["H1"] = "epoch"
    wb.save(path)
    return path


def _compare(path):
    vector = engine.recalculate(xlsx.read_package(path), vectorise=True).values
    single = engine.recalculate(xlsx.read_package(path), vectorise=False).values
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
    found = {b.column: b for b in engine.vector_blocks(engine.formula_cells(pkg))}
    assert set(found) == {"B", "C", "D", "E", "I"}  # not F (SUM over a range), not G (its own column)
    assert found["B"].text == "CHINCHILLA_N(A2:A41)" and found["B"].ref == "B2:B41"
    assert found["C"].text == "CHINCHILLA_D(A2:A41,$H$1)"
    assert found["D"].text == 'GPU_HOURS(6*B2:B41*C2:C41,"H100",Other!$A$1)'


def test_the_vectorised_path_gives_the_values_of_the_cell_by_cell_path(tmp_path):
    values = _compare(_book(tmp_path / "b.xlsx"))
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
    assert len(calls) == 1 and len(calls[0]["compute"]) == rows
    assert values[("Sheet", "B4000")] == pytest.approx(planner.chinchilla_n(4e25), rel=1e-15)


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
