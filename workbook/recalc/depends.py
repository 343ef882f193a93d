"""Which inputs the planner's values in a workbook depend on.

A hand-off copy freezes the cells that call planner formulas; the inputs those values were
computed from (followed through every formula in between, Excel's own included) are what a
reader must not change without recomputing. References are read with formulas' tokenizer.

An IF is followed into the branch its condition chose when it was computed (the condition's
own inputs always count): a switch such as "Budget from: Cluster / FLOPs / Dollars" then
locks the inputs of the chosen mode only, and a price that only a mode not chosen would turn
into a decision stays editable. A condition that cannot be evaluated here (an error, a range)
follows both branches, on the safe side.
"""

from __future__ import annotations

from dataclasses import dataclass

import formulas as excel_formulas  # the package (frozen_inputs names its cells argument `formulas`)
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import SHEETRANGE_RE, get_column_letter, range_boundaries

from workbook.recalc import engine, xlsx

MAX_CELLS = 100_000  # cells one reference may expand to before the analysis gives up on it


@dataclass(frozen=True)
class Input:
    label: str  # the defined name, or Sheet!A1 for an unnamed cell
    cells: tuple  # ((sheet, "A1"), ...): one for a cell, several for a named range


def destinations(text: str) -> list:
    """(sheet, "A1") cells a defined name's formula refers to, via openpyxl's parser."""
    try:
        return [(sheet, ref.replace("$", "")) for sheet, ref in _destinations(text)]
    except Exception:  # noqa: BLE001 - not a plain reference (a constant or a formula)
        return []


def _destinations(text: str):
    """openpyxl's DefinedName(attr_text=text).destinations, made of the same tokenizer and
    pattern (openpyxl.workbook.defined_name imports all of openpyxl)."""
    items = Tokenizer("=" + text).items
    if (items[0].subtype if items[0].type == "OPERAND" else items[0].type) == "RANGE":
        for part in items:
            if part.subtype == "RANGE":
                m = SHEETRANGE_RE.match(part.value)
                yield m.group("notquoted") or m.group("quoted"), m.group("cells")


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


def live_parts(text: str, condition) -> list[str]:
    """The parts of a formula whose references its value depended on: the formula with each
    IF(c, a, b) cut down to c and the branch `condition(c)` chose (True, False, or None when
    unknown: both). Read with openpyxl's tokenizer; each part is a whole expression."""
    try:
        tokens = Tokenizer("=" + text).items
    except Exception:  # noqa: BLE001 - openpyxl's TokenizerError: every reference counts
        return [text]
    start = next((i for i, t in enumerate(tokens) if t.type == Token.FUNC and t.subtype == Token.OPEN
                  and t.value.upper().removeprefix("_XLFN.") == "IF("), None)
    if start is None:
        return [text]
    depth, cuts, end = 0, [start + 1], None
    for i in range(start, len(tokens)):
        t = tokens[i]
        if t.type == Token.FUNC and t.subtype == Token.OPEN or t.type == Token.PAREN and t.subtype == Token.OPEN:
            depth += 1
        elif t.type == Token.FUNC and t.subtype == Token.CLOSE or t.type == Token.PAREN and t.subtype == Token.CLOSE:
            depth -= 1
            if depth == 0:
                end = i
                break
        elif t.type == Token.SEP and t.subtype == Token.ARG and depth == 1:
            cuts.append(i + 1)
    if end is None:
        return [text]
    bounds = list(zip(cuts, [c - 1 for c in cuts[1:]] + [end]))
    args = ["".join(t.value for t in tokens[a:b]).strip() for a, b in bounds]
    outside = "".join(t.value for t in tokens[:start]) + "0" + "".join(t.value for t in tokens[end + 1:])
    chosen = condition(args[0]) if args[0] else None
    branches = args[1:] if chosen is None else args[1:2] if chosen else args[2:3]
    parts = live_parts(outside, condition) + live_parts(args[0], condition)
    for branch in branches:
        if branch:
            parts += live_parts(branch, condition)
    return parts


def _condition(sheet: str, values: dict, names: dict, sheets: dict):
    """condition(text) -> True/False as the computed values make it, or None when unknown."""

    def cell_value(key: str):
        where, _, ref = key.rpartition("!")
        if key in names:
            cells = names[key]
        elif ":" in ref:
            return None
        else:
            cells = [(sheets.get(where.strip("'").upper(), where.strip("'")) if where else sheet, ref.replace("$", ""))]
        if len(cells) != 1 or cells[0] not in values:
            return None
        return values[cells[0]]

    def condition(text: str):
        try:
            func = excel_formulas.Parser().ast("=" + text)[1].compile()
            args = [cell_value(key) for key in func.inputs]
            if any(a is None or isinstance(a, Exception) or hasattr(a, "code") for a in args):
                return None
            out = func(*args)
            out = out.item() if hasattr(out, "item") else out
            return bool(out) if isinstance(out, (bool, int, float)) else None
        except Exception:  # noqa: BLE001 - not evaluable here: follow both branches
            return None

    return condition


def frozen_inputs(pkg, formulas: dict, values: dict | None = None) -> list[Input]:
    """The inputs behind every planner formula cell, grouped by the defined name they carry.

    `formulas` maps (sheet, top-left) to engine.FormulaCell; `values` ((sheet, "A1") -> the
    computed value) lets an IF be followed into the branch it took. Inputs come in workbook
    order of their first cell.
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
        text = _own_text(fc)
        if values is not None and "IF(" in text.upper():
            parts = live_parts(text, _condition(fc.sheet, values, names, sheets))
        else:
            parts = [text]
        refs = []
        for part in parts:
            try:
                refs += engine.references(part)
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
