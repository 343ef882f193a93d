"""Which inputs the planner's values in a workbook depend on.

A hand-off copy freezes the cells that call planner formulas; the inputs those values were
computed from (followed through every formula in between, Excel's own included) are what a
reader must not change without recomputing. References are read with formulas' tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.workbook.defined_name import DefinedName as _OpenpyxlName

from workbook.recalc import engine, xlsx

MAX_CELLS = 100_000  # cells one reference may expand to before the analysis gives up on it


@dataclass(frozen=True)
class Input:
    label: str  # the defined name, or Sheet!A1 for an unnamed cell
    cells: tuple  # ((sheet, "A1"), ...): one for a cell, several for a named range


def destinations(text: str) -> list:
    """(sheet, "A1") cells a defined name's formula refers to, via openpyxl's parser."""
    try:
        return [(sheet, ref.replace("$", "")) for sheet, ref in
                _OpenpyxlName("n", attr_text=text).destinations]
    except Exception:  # noqa: BLE001 - not a plain reference (a constant or a formula)
        return []


def _own_text(fc) -> str:
    """The formula as it reads in its own cell (a shared formula's child is moved from its master)."""
    if fc.master and fc.master != fc.ref:
        try:
            return Translator("=" + fc.text, origin=fc.master).translate_formula(fc.ref)[1:]
        except Exception:  # noqa: BLE001 - leave the master's text: references then err on the safe side
            return fc.text
    return fc.text


def _cells(sheet: str, ref: str):
    c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
    if None in (c1, r1, c2, r2) or (c2 - c1 + 1) * (r2 - r1 + 1) > MAX_CELLS:
        return []  # a whole row or column, or a vast block: not followed
    return [(sheet, f"{get_column_letter(c)}{r}") for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _sheet_names(pkg) -> dict:
    return {s.name.upper(): s.name for s in pkg.sheets}


def name_cells(text: str, pkg) -> list:
    """The cells a defined name's formula refers to, every cell of a range."""
    sheets = _sheet_names(pkg)
    cells = []
    for sheet, ref in destinations(text):
        cells += _cells(sheets.get(sheet.upper(), sheet), ref)
    return cells


def _name_cells(pkg) -> dict:
    """Upper-case workbook name -> its cells."""
    return {n.name.upper(): name_cells(n.text, pkg) for n in pkg.names
            if n.sheet_index is None}


def frozen_inputs(pkg, formulas: dict) -> list[Input]:
    """The inputs behind every planner formula cell, grouped by the defined name they carry.

    `formulas` maps (sheet, top-left) to engine.FormulaCell. Inputs come in workbook order of
    their first cell.
    """
    by_cell = {(fc.sheet, ref): fc for fc in formulas.values() for ref in fc.cells}
    names = _name_cells(pkg)
    sheets = _sheet_names(pkg)
    seen, inputs = set(), set()
    todo = [fc for fc in formulas.values() if fc.addin]
    done = set()
    while todo:
        fc = todo.pop()
        if (fc.sheet, fc.ref) in done:
            continue
        done.add((fc.sheet, fc.ref))
        try:
            refs = engine.references(_own_text(fc))
        except Exception:  # noqa: BLE001 - the engine has read it already; nothing more to learn
            continue
        for kind, sheet, ref in refs:
            if kind == "name":  # a sheet-scoped or unknown name adds nothing the engine has not refused
                cells = names.get(ref, [])
            else:
                cells = _cells(sheets.get((sheet or fc.sheet).upper(), sheet or fc.sheet), ref)
            for cell in cells:
                if cell in seen:
                    continue
                seen.add(cell)
                if cell in by_cell:
                    todo.append(by_cell[cell])
                else:
                    inputs.add(cell)
    return _grouped(pkg, inputs, names)


def _grouped(pkg, cells: set, names: dict) -> list[Input]:
    """Cells under the name a reader knows them by: a one-cell name, else the named range that
    holds them (all of its cells), else Sheet!A1."""
    order = {s.name: s.index for s in pkg.sheets}

    def key(cell):
        row, col = xlsx.split_ref(cell[1])
        return order.get(cell[0], 0), row, col

    pretty = {n.name.upper(): n.name for n in pkg.names if n.sheet_index is None}
    single = {tuple(c)[0]: n for n, c in names.items() if len(c) == 1}
    groups: dict = {}
    for cell in sorted(cells, key=key):
        if cell in single:
            label, members = pretty[single[cell]], (cell,)
        else:
            owner = next((n for n, c in names.items() if len(c) > 1 and cell in c), None)
            label, members = ((pretty[owner], tuple(names[owner])) if owner
                              else (f"{cell[0]}!{cell[1]}", (cell,)))
        groups.setdefault(label, members)
    return [Input(label, members) for label, members in groups.items()]
