"""`planner calc`: recalculate a workbook without Excel, optionally as a frozen hand-off copy.

The output keeps every formula and carries its computed value, so any reader (openpyxl with
data_only=True, a viewer, Excel without the add-in) shows the numbers. With `freeze`, each
cell that calls a planner formula becomes its plain value while Excel's own formulas stay
live, and the About sheet records when and from which inputs the copy was made.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import os
import re
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import coordinate_from_string, get_column_letter, range_boundaries

from workbook.addin.cells import CellError
from workbook.recalc import depends, engine, xlsx
from workbook.recalc.engine import EngineError
from workbook.recalc.xlsx import _M, MAX_COL, MAX_ROW, XlsxError

CT_PART = "[Content_Types].xml"
NOTE_SHEET = "Hand-off"
NOTE_WIDTH = 90  # characters per line of the hand-off note


class CalcError(Exception):
    """A one-line problem: `planner: <file>: <cell>: <reason>`."""

    def __init__(self, file, reason: str, cell: str | None = None):
        self.file, self.reason, self.cell = str(file), reason, cell
        super().__init__(self.line())

    def line(self) -> str:
        where = f"{self.file}: {self.cell}: " if self.cell else f"{self.file}: "
        return where + self.reason


@dataclass
class Assignment:
    target: str  # what the user typed before "="
    text: str  # what the user typed after "="
    value: object  # float, bool or str
    sheet: str | None = None  # the cell set, when the target is a cell
    ref: str | None = None
    name: xlsx.DefinedName | None = None  # a defined name holding a constant
    replaced_formula: bool = False  # the cell held a formula, now overwritten
    warning: str | None = None  # the value breaks a data validation that only warns


@dataclass
class CalcResult:
    values: dict  # (sheet, "A1") -> value, every cell the engine saw
    formulas: dict  # (sheet, "A1") -> engine.FormulaCell
    frozen: list = field(default_factory=list)  # "Sheet!A1" of each frozen cell
    assignments: list = field(default_factory=list)
    names: dict = field(default_factory=dict)  # workbook defined name -> value of its one cell

    def errors(self) -> list[tuple[str, CellError]]:
        """Formula cells showing an error value, in sheet order."""
        out = []
        for (sheet, _), fc in self.formulas.items():
            for ref in fc.cells:
                v = self.values.get((sheet, ref))
                if isinstance(v, CellError):
                    out.append((f"{sheet}!{ref}", v))
        return out


# ---------------------------------------------------------------------------------------
# --set
# ---------------------------------------------------------------------------------------

def parse_value(text: str):
    """A --set value: a number (1e24, 1,000, 50%, $2.50), TRUE/FALSE, or text ("quotes" force text)."""
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] == '"':
        return t[1:-1]
    if t.upper() in ("TRUE", "FALSE"):
        return t.upper() == "TRUE"
    money = re.fullmatch(r"([+-]?)[$€£¥]\s?(\d.*)", t)  # "$2.50" as Excel reads a typed amount
    t = money.group(1) + money.group(2) if money else t
    number = t.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?%?", t) else t
    try:
        if number.endswith("%"):
            return float(number[:-1]) / 100
        value = float(number)
        if value == value and abs(value) != float("inf"):
            return value
    except ValueError:
        pass
    return text


def resolve_assignment(pkg: xlsx.Package, spec: str) -> Assignment:
    target, sep, text = spec.partition("=")
    target = target.strip()
    if not sep or not target:
        raise CalcError(pkg.path, f"--set {spec!r}: expected NAME=VALUE or Sheet!A1=VALUE")
    if not text.strip():
        raise CalcError(pkg.path, f"--set {target}=: give a value after '='")
    value = parse_value(text)
    where = _target_cell(pkg, target)
    if isinstance(where, xlsx.DefinedName):
        name = where
        cells = depends.destinations(name.text)
        if not cells:
            if re.fullmatch(r"\s*[-+]?[0-9.]+(E[-+]?[0-9]+)?\s*|\s*\".*\"\s*", name.text, re.IGNORECASE):
                return Assignment(target, text, value, name=name)  # a named constant
            raise CalcError(pkg.path, f"--set {target}: the name refers to ={name.text}, not to a cell")
        if len(cells) != 1 or ":" in cells[0][1]:
            raise CalcError(pkg.path, f"--set {target}: the name refers to the range {name.text}; "
                                      f"--set needs a single cell")
        try:
            where = (pkg.sheet(cells[0][0]).name, cells[0][1].upper())
        except KeyError:
            raise CalcError(pkg.path, f"--set {target}: the name refers to a missing sheet ({name.text})") from None
    sheet, ref = where
    row, col = xlsx.split_ref(ref)
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise CalcError(pkg.path, f"--set {target}: {ref} is outside the sheet (A1 to XFD1048576)")
    cells = xlsx.index_cells(pkg.xml(pkg.sheet(sheet).part))
    for top_left, c in cells.items():
        f = c.find(_M + "f")
        if f is not None and f.get("t") == "array" and f.get("ref") and ref in _cell_range(f.get("ref")):
            raise CalcError(pkg.path, f"--set {target}: {sheet}!{ref} is part of the array formula "
                                      f"{{={f.text}}} in {f.get('ref')}; set one of its inputs instead")
    cell = cells.get(ref)
    if isinstance(value, str) and not text.strip().startswith('"') and _holds_number(cell):
        raise CalcError(pkg.path, f"--set {target}={text}: {sheet}!{ref} holds a number and {text!r} is "
                                  f"not a finite number (to store it as text anyway, put it in double quotes)")
    replaced = cell is not None and cell.find(_M + "f") is not None
    value = _canonical_choice(pkg, sheet, ref, value)
    problem = _validation_problem(pkg, sheet, ref, value)
    if problem and problem[1]:
        raise CalcError(pkg.path, f"--set {target}={text}: {problem[0]}")
    return Assignment(target, text, value, sheet, ref, replaced_formula=replaced,
                      warning=problem[0] if problem else None)


_RULES = {  # data validation operator -> (test, words)
    "between": (lambda v, a, b: a <= v <= b, "between {a} and {b}"),
    "notBetween": (lambda v, a, b: not a <= v <= b, "outside {a} to {b}"),
    "equal": (lambda v, a, b: v == a, "equal to {a}"),
    "notEqual": (lambda v, a, b: v != a, "other than {a}"),
    "greaterThan": (lambda v, a, b: v > a, "greater than {a}"),
    "lessThan": (lambda v, a, b: v < a, "less than {a}"),
    "greaterThanOrEqual": (lambda v, a, b: v >= a, "at least {a}"),
    "lessThanOrEqual": (lambda v, a, b: v <= a, "at most {a}"),
}


def _cell_range(text: str):
    """openpyxl's MultiCellRange (imported when an input is set: its module loads all of openpyxl)."""
    from openpyxl.worksheet.cell_range import MultiCellRange

    return MultiCellRange(text)


def _validations(pkg: xlsx.Package, sheet: str, ref: str):
    """The data validation rules that cover one cell."""
    for dv in pkg.xml(pkg.sheet(sheet).part).iter(_M + "dataValidation"):
        try:
            if ref in _cell_range(dv.get("sqref", "")):
                yield dv
        except ValueError:  # an sqref openpyxl cannot read: not a rule Excel applies
            continue


def _validation_problem(pkg: xlsx.Package, sheet: str, ref: str, value) -> tuple[str, bool] | None:
    """How `value` breaks the cell's data validation, as Excel checks a typed entry: (reason,
    refused). Excel refuses only under a "stop" alert shown on error; otherwise it warns. Rules
    this cannot evaluate (dates, custom formulas, bounds given by formulas) are not checked."""
    for dv in _validations(pkg, sheet, ref):
        kind, f1, f2 = dv.get("type", "none"), dv.findtext(_M + "formula1"), dv.findtext(_M + "formula2")
        if kind == "list":
            choices = _list_choices(pkg, f1 or "")
            if not choices or any(_same_choice(value, c) for c in choices):
                return None
            shown = ", ".join(str(c) for c in choices[:10]) + (", ..." if len(choices) > 10 else "")
            reason = f"{sheet}!{ref} takes one of: {shown}"
            if isinstance(value, str):
                # A name off the list is a typo whatever the alert: nothing would compute it.
                close = difflib.get_close_matches(value.casefold(), [str(c).casefold() for c in choices], 1)
                if close:
                    reason += f" (did you mean {next(c for c in choices if str(c).casefold() == close[0])}?)"
                return reason, True
        elif kind in ("decimal", "whole"):
            try:
                a, b = float(f1 or ""), float(f2) if f2 else 0.0
            except ValueError:
                return None
            test, words = _RULES.get(dv.get("operator", "between"), _RULES["between"])
            number = isinstance(value, float) and (kind == "decimal" or value.is_integer())
            if number and test(value, a, b):
                return None
            reason = (f"{sheet}!{ref} takes {'a whole number' if kind == 'whole' else 'a number'} "
                      + words.format(a=xlsx.number_text(a), b=xlsx.number_text(b)))
            if isinstance(value, float) and 1 < value <= 100 and 0 <= a < b <= 1:
                reason += f" (a fraction: {value / 100:g} or {value:g}%)"  # a percentage typed bare
        else:
            continue
        refused = dv.get("errorStyle", "stop") == "stop" and dv.get("showErrorMessage") in ("1", "true")
        return reason, refused
    return None


def _canonical_choice(pkg: xlsx.Package, sheet: str, ref: str, value):
    """`value` as the drop-down list of the cell spells it: the same name in another case, or
    an accelerator's forgiving name (h100, H100-SXM) as the preset's own name."""
    if not isinstance(value, str):
        return value
    for dv in _validations(pkg, sheet, ref):
        if dv.get("type") != "list":
            continue
        choices = [c for c in _list_choices(pkg, dv.findtext(_M + "formula1") or "") if isinstance(c, str)]
        same = [c for c in choices if c.casefold() == value.casefold()]
        if same:
            return same[0]
        preset = _accelerator_name(value)
        if preset in choices:
            return preset
    return value


def _accelerator_name(text: str) -> str | None:
    from planner.hardware import Accelerator, resolve_gpu
    from planner.errors import PlannerError

    try:
        acc = resolve_gpu(text)
    except PlannerError:
        return None
    return acc.name if isinstance(acc, Accelerator) else None


def _same_choice(value, choice) -> bool:
    if isinstance(value, str) and isinstance(choice, str):
        return value.casefold() == choice.casefold()  # Excel's list check ignores case
    return not isinstance(value, bool) and not isinstance(choice, bool) and value == choice


def _list_choices(pkg: xlsx.Package, source: str) -> list:
    """The entries of a drop-down list: "a,b,c", a range, or a name for a range."""
    source = source.strip().lstrip("=")
    if len(source) >= 2 and source[0] == source[-1] == '"':
        return [c.strip() for c in source[1:-1].split(",")]
    name = pkg.workbook_name(source)
    choices: list = []
    strings = None
    for sheet_name, rng in depends.destinations(name.text if name else source):
        try:
            root = pkg.xml(pkg.sheet(sheet_name).part)
            c1, r1, c2, r2 = range_boundaries(rng)
        except (KeyError, ValueError, TypeError):
            return []
        if (r2 - r1 + 1) * (c2 - c1 + 1) > 10000:
            return []
        strings = xlsx.shared_strings(pkg) if strings is None else strings
        cells = xlsx.index_cells(root)
        for row in range(r1, r2 + 1):
            for col in range(c1, c2 + 1):
                v = xlsx.cell_value(cells.get(f"{get_column_letter(col)}{row}"), strings)
                if v not in (None, ""):
                    choices.append(v)
    return choices


def _target_cell(pkg: xlsx.Package, target: str):
    """What a --set target names: (sheet, "A1") for Sheet!A1, else a defined name (a
    workbook-scoped one, or Sheet!Name for one scoped to that sheet, or the only name so called)."""
    sheet = None
    if "!" in target:
        sheet_part, _, ref = target.rpartition("!")
        sheet_name = sheet_part.strip()
        if len(sheet_name) >= 2 and sheet_name[0] == sheet_name[-1] == "'":
            sheet_name = sheet_name[1:-1].replace("''", "'")
        try:
            sheet = pkg.sheet(sheet_name)
        except KeyError:
            names = ", ".join(s.name for s in pkg.sheets)
            raise CalcError(pkg.path, f"--set {target}: no sheet named {sheet_name!r} (sheets: {names})") from None
        try:
            coordinate_from_string(ref.replace("$", "").strip().upper())
            return sheet.name, ref.replace("$", "").strip().upper()
        except Exception:  # noqa: BLE001 - openpyxl's CellCoordinatesException: maybe a sheet's name
            target = ref.strip()
    same = [n for n in pkg.names if n.name.casefold() == target.casefold()]
    if sheet is not None:
        scoped = [n for n in same if n.sheet_index == sheet.index]
        if scoped:
            return scoped[0]
        raise CalcError(pkg.path, f"--set {sheet.name}!{target}: {target!r} is not a cell reference "
                                  f"such as B4, nor a name of sheet {sheet.name}")
    name = pkg.workbook_name(target) or (same[0] if len(same) == 1 else None)
    if name is not None:
        return name
    if same:
        by_index = {s.index: s.name for s in pkg.sheets}
        sheets = ", ".join(by_index.get(n.sheet_index, "?") for n in same)
        raise CalcError(pkg.path, f"--set {target}: the name belongs to several sheets ({sheets}); "
                                  f"say which, as Sheet!{target}=VALUE")
    known = sorted(n.name for n in pkg.names if n.sheet_index is None and not n.name.startswith("_xl"))
    inputs = [n for n in input_names(pkg)]
    close = difflib.get_close_matches(target.casefold(), [n.casefold() for n in inputs or known], 3, 0.6)
    if close:
        spelled = {n.casefold(): n for n in inputs or known}
        hint = f" (did you mean {' or '.join(spelled[c] for c in close)}? planner calc --list-inputs lists them)"
    elif known:
        hint = f" (defined names: {', '.join(known[:12])}{', ...' if len(known) > 12 else ''})"
    else:
        hint = " (the workbook has no defined names; use Sheet!A1)"
    raise CalcError(pkg.path, f"--set {target}: no such defined name{hint}")


def _holds_number(cell) -> bool:
    """A constant number cell (an input a typo would turn into text)."""
    return (cell is not None and cell.find(_M + "f") is None and cell.get("t", "n") == "n"
            and cell.find(_M + "v") is not None)


def _apply(pkg: xlsx.Package, a: Assignment) -> None:
    if a.name is not None:
        el = _defined_name_element(pkg, a.name)
        if isinstance(a.value, bool):
            el.text = "TRUE" if a.value else "FALSE"
        elif isinstance(a.value, str):
            el.text = '"' + a.value.replace('"', '""') + '"'
        else:
            el.text = xlsx.number_text(a.value)
        a.name.text = el.text
        return
    root = pkg.edit(pkg.sheet(a.sheet).part)
    index = xlsx.index_cells(root)
    cell = xlsx.ensure_cell(root, index, a.ref)
    _hand_over_shared_formula(index, a.ref)
    xlsx.set_constant(cell, a.value)


def _hand_over_shared_formula(index: dict, ref: str) -> None:
    """Before a shared formula's master cell is overwritten, make the next cell of its group the master.

    The other cells of the group store no text of their own; the new master gets the formula
    translated to its position (openpyxl's Translator), as Excel would write it.
    """
    f = index[ref].find(_M + "f")
    if f is None or f.get("t") != "shared" or not (f.text or "").strip():
        return
    si = f.get("si")
    group = [(r, c.find(_M + "f")) for r, c in index.items()
             if r != ref and c.find(_M + "f") is not None and c.find(_M + "f").get("t") == "shared"
             and c.find(_M + "f").get("si") == si and not (c.find(_M + "f").text or "").strip()]
    if not group:
        return
    first_ref, first_f = group[0]
    first_f.text = Translator("=" + f.text, origin=ref).translate_formula(first_ref)[1:]
    rows_cols = [xlsx.split_ref(r) for r, _ in group]
    top, left = min(r for r, _ in rows_cols), min(c for _, c in rows_cols)
    bottom, right = max(r for r, _ in rows_cols), max(c for _, c in rows_cols)
    first_f.set("ref", f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}")


def _defined_name_element(pkg: xlsx.Package, name: xlsx.DefinedName) -> ET.Element:
    for el in pkg.edit(pkg.workbook_part).iter(_M + "definedName"):
        local = el.get("localSheetId")
        if el.get("name") == name.name and (int(local) if local else None) == name.sheet_index:
            return el
    raise KeyError(name.name)


# ---------------------------------------------------------------------------------------
# The whole command
# ---------------------------------------------------------------------------------------

def calc(input_path, out_path, sets=(), freeze: bool = False, now: dt.datetime | None = None) -> CalcResult:
    """Recalculate INPUT into OUTPUT; see the module docstring. Raises CalcError."""
    src, out = Path(input_path), Path(out_path)
    _check_paths(src, out)
    try:
        return _calc(src, out, sets, freeze, now)
    except CalcError:
        raise
    except (XlsxError, EngineError) as exc:
        raise CalcError(src, str(exc), exc.cell) from None
    except OSError as exc:
        raise CalcError(exc.filename or src, f"cannot read or write ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 - a workbook this code did not foresee: still one line
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise CalcError(src, f"cannot process this workbook ({type(exc).__name__}: {first})") from None


def _calc(src: Path, out: Path, sets, freeze: bool, now) -> CalcResult:
    pkg = xlsx.read_package(src)
    kind = xlsx.extension(pkg)
    if out.suffix.lower() != kind:
        what = {".xlsm": "a macro-enabled workbook (its macros are copied as they are, never run)",
                ".xltx": "a template", ".xltm": "a macro-enabled template"}.get(kind, "an .xlsx workbook")
        raise CalcError(out, f"{src.name} is {what}: the output must be an {kind} file for Excel to open it")
    assignments = [resolve_assignment(pkg, s) for s in sets]
    for a in assignments:
        _apply(pkg, a)
    values, cells, name_values = engine.recalculate(pkg)
    result = CalcResult(values, cells, assignments=assignments, names=_named_values(pkg, values))
    _write_values(pkg, result, freeze)
    _drop_calc_chain(pkg)
    if not freeze:
        _keep_cached_values_on_load(pkg)
    if freeze:
        result.frozen.extend(_freeze_names(pkg, name_values))
        _set_full_calc_on_load(pkg)
        when = now or dt.datetime.now(dt.timezone.utc)
        items = depends.frozen_inputs(pkg, result.formulas, result.values)
        sheet, row = _write_note(pkg, result, src, when)
        _write_input_check(pkg, result, src, when, sheet, row, items)
        _mark_and_lock(pkg, result, items)
        _date_headers(pkg, f"Hand-off copy, frozen {_stamp(when)}")
    try:
        pkg.save(out)
    except OSError as exc:
        raise CalcError(out, f"cannot write ({exc.strerror or exc})") from None
    return result


def _named_cells(pkg: xlsx.Package) -> dict[str, tuple[str, str]]:
    """Workbook-scoped defined names that stand for one cell: name -> (sheet, "A1")."""
    out = {}
    for n in pkg.names:
        if n.sheet_index is None and not n.name.startswith("_xl"):
            cells = depends.destinations(n.text)
            if len(cells) == 1 and ":" not in cells[0][1]:
                try:
                    out[n.name] = (pkg.sheet(cells[0][0]).name, cells[0][1].upper())
                except KeyError:
                    pass
    return out


@dataclass
class Input:
    """A workbook input: a defined name standing for one cell that holds a value, not a formula."""

    name: str
    sheet: str
    ref: str
    value: object
    unit: str  # the short text right of the cell (templates put the unit there), else ""
    allowed: str  # what its data validation takes, else ""


def input_names(pkg: xlsx.Package) -> list[str]:
    return [i.name for i in inputs(pkg)]


def inputs(pkg: xlsx.Package) -> list[Input]:
    """The workbook's inputs, in the order of their names."""
    strings = xlsx.shared_strings(pkg)
    indexes: dict[str, dict] = {}
    out = []
    for name, (sheet, ref) in sorted(_named_cells(pkg).items(), key=lambda kv: kv[0].casefold()):
        if sheet not in indexes:
            indexes[sheet] = xlsx.index_cells(pkg.xml(pkg.sheet(sheet).part))
        cell = indexes[sheet].get(ref)
        if cell is not None and cell.find(_M + "f") is not None:
            continue  # a named result, not an input
        row, col = xlsx.split_ref(ref)
        beside = xlsx.cell_value(indexes[sheet].get(f"{get_column_letter(col + 1)}{row}"), strings)
        unit = beside if isinstance(beside, str) and len(beside) <= 30 else ""
        out.append(Input(name, sheet, ref, xlsx.cell_value(cell, strings), unit, _allowed(pkg, sheet, ref)))
    return out


def _allowed(pkg: xlsx.Package, sheet: str, ref: str) -> str:
    """What the cell's data validation takes, in words ("" when it has none)."""
    for dv in _validations(pkg, sheet, ref):
        kind, f1, f2 = dv.get("type", "none"), dv.findtext(_M + "formula1"), dv.findtext(_M + "formula2")
        if kind == "list":
            choices = _list_choices(pkg, f1 or "")
            return "one of: " + ", ".join(map(str, choices)) if choices else ""
        if kind in ("decimal", "whole"):
            _, words = _RULES.get(dv.get("operator", "between"), _RULES["between"])
            what = "a whole number " if kind == "whole" else "a number "
            return what + words.format(a=f1, b=f2)
    return ""


def list_inputs(input_path) -> list[Input]:
    """`planner calc --list-inputs`: the inputs of a workbook (read only; nothing is written)."""
    src = Path(input_path)
    try:
        return inputs(xlsx.read_package(src))
    except CalcError:
        raise
    except (XlsxError, EngineError) as exc:
        raise CalcError(src, str(exc), exc.cell) from None


def _named_values(pkg: xlsx.Package, values: dict) -> dict:
    return {name: values.get(key) for name, key in _named_cells(pkg).items()}


def _check_paths(src: Path, out: Path) -> None:
    if out.suffix.lower() not in set(xlsx.EXTENSIONS.values()):
        raise CalcError(out, "the output must be an .xlsx file")
    try:
        same = out.resolve() == src.resolve() or (out.exists() and src.exists() and os.path.samefile(out, src))
    except OSError:
        same = False
    if same:
        raise CalcError(src, "refusing to write over the input; choose another --out")
    if not out.parent.is_dir():
        raise CalcError(out, f"the folder {out.parent} does not exist")
    if out.is_dir():
        raise CalcError(out, "is a folder; --out needs a file name")
    if out.exists() and not out.is_file():  # a device or a named pipe: never replaced by a file
        raise CalcError(out, "exists and is not a regular file (a device or a pipe); choose another --out")


def _write_values(pkg: xlsx.Package, result: CalcResult, freeze: bool) -> None:
    by_sheet: dict[str, list] = {}
    for (sheet, _), fc in result.formulas.items():
        by_sheet.setdefault(sheet, []).append(fc)
    for sheet_name, fcs in by_sheet.items():
        part = pkg.sheet(sheet_name).part
        root = pkg.xml(part)
        index = xlsx.index_cells(root)
        for fc in fcs:
            for ref in fc.cells:
                v = result.values[(sheet_name, ref)]
                code = v.code if isinstance(v, CellError) else None
                freezing = freeze and fc.addin
                if not freezing and ref in index and xlsx.holds_cached(index[ref], v, code):
                    continue  # a sheet whose values are all as stored is copied byte for byte
                pkg.edit(part)
                cell = xlsx.ensure_cell(root, index, ref)
                if freezing:
                    xlsx.set_constant(cell, v, code)
                    result.frozen.append(f"{sheet_name}!{ref}")
                else:
                    xlsx.set_cached(cell, v, code)


def _literal(v) -> str:
    """A value as a formula constant: 1.5, "text", TRUE, #NUM!."""
    if isinstance(v, CellError):
        return v.code
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return '"' + v.replace('"', '""') + '"'
    return xlsx.number_text(0.0 if v is None else v).upper()  # 1E+24, as Excel writes it


def _freeze_names(pkg: xlsx.Package, name_values: dict) -> list[str]:
    """Defined names computed with planner formulas become constants (an array constant for a block)."""
    frozen = []
    for el in pkg.xml(pkg.workbook_part).iter(_M + "definedName"):
        text = el.text or ""
        try:
            uses_planner = any(engine.addin_name(n) for n in engine.function_names(engine.local_formula(text)))
        except Exception:  # noqa: BLE001 - a name the engine cannot read is left as it is
            continue
        value = name_values.get((el.get("name") or "").upper())
        if not uses_planner or el.get("localSheetId") is not None or value is None:
            continue
        if isinstance(value, list):
            el.text = "{" + ";".join(",".join(_literal(x) for x in row) for row in value) + "}"
        else:
            el.text = _literal(value)
        frozen.append(el.get("name"))
    if frozen:
        pkg.edit(pkg.workbook_part)
    return frozen


def _drop_calc_chain(pkg: xlsx.Package) -> None:
    """Remove the calculation chain: Excel rebuilds it, and a stale one makes it 'repair' the file."""
    rp = xlsx.rels_part(pkg.workbook_part)
    chain = None
    if rp in pkg.members:
        rels = pkg.xml(rp)
        for rel in list(rels):
            if rel.get("Type") == xlsx.CALC_CHAIN_TYPE:
                chain = xlsx._resolve(pkg.workbook_part, rel.get("Target", ""))
                pkg.edit(rp).remove(rel)
    if chain:
        pkg.remove_member(chain)
        if CT_PART in pkg.members:
            types = pkg.edit(CT_PART)
            for o in list(types):
                if o.get("PartName", "").lstrip("/") == chain:
                    types.remove(o)


# Elements that precede calcPr in a workbook part, in schema order.
_BEFORE_CALC = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
                "functionGroups", "externalReferences", "definedNames")


def _keep_cached_values_on_load(pkg: xlsx.Package) -> None:
    """Every value is now cached, so drop a forced recalculation on opening: a program without
    the add-in (a viewer, LibreOffice) then shows the computed numbers instead of #NAME?."""
    calc_pr = pkg.xml(pkg.workbook_part).find(_M + "calcPr")
    if calc_pr is not None and calc_pr.get("fullCalcOnLoad") in ("1", "true"):
        pkg.edit(pkg.workbook_part)
        del calc_pr.attrib["fullCalcOnLoad"]


def _set_full_calc_on_load(pkg: xlsx.Package) -> None:
    """A frozen copy has no planner formulas left, so any spreadsheet may recalculate it on open."""
    wb = pkg.edit(pkg.workbook_part)
    calc_pr = wb.find(_M + "calcPr")
    if calc_pr is None:
        calc_pr = ET.Element(_M + "calcPr")
        pos = 0
        for i, child in enumerate(list(wb)):
            if child.tag.replace(_M, "") in _BEFORE_CALC:
                pos = i + 1
        wb.insert(pos, calc_pr)
    calc_pr.set("fullCalcOnLoad", "1")


# ---------------------------------------------------------------------------------------
# The hand-off note
# ---------------------------------------------------------------------------------------

def _display(v) -> object:
    if isinstance(v, CellError):
        return v.code
    return "" if v is None else v


def _note_rows(result: CalcResult, pkg: xlsx.Package, src: Path, when: dt.datetime) -> list[list]:
    stamp = _stamp(when)
    used = sorted({engine.addin_name(n) for fc in result.formulas.values() if fc.addin
                   for n in engine.function_names(fc.text)} - {None})
    story = (f"{len(result.frozen)} cells that used planner formulas ({', '.join(used) or 'none'}) "
             f"now hold their values, so the sheet shows the same numbers without the add-in; "
             f"Excel's own formulas stay live. Editing an input here does not update those values: "
             f"recompute from the original with `planner calc --set NAME=VALUE`.")
    # Short lines, one per row: a note cell carries no wrap style, and long text would run
    # off the printed page.
    rows = [["Hand-off copy", f"Frozen on {stamp} by `planner calc --freeze` from {src.name}."]]
    rows += [["", line] for line in textwrap.wrap(story, NOTE_WIDTH)]
    if result.assignments:
        rows.append(["Inputs changed for this copy (--set):"])
        for a in result.assignments:
            rows.append([a.target, a.value])
    else:
        rows.append(["", f"Inputs: as saved in {src.name} (nothing changed with --set)."])
    inputs = [[name, _display(result.values[key])] for name, key in _named_cells(pkg).items()
              if key not in result.formulas and key in result.values]
    if inputs:
        rows.append(["Input values used:"])
        rows.extend(inputs)
    return rows


def _write_note(pkg: xlsx.Package, result: CalcResult, src: Path, when: dt.datetime) -> tuple:
    """Write the note below the About sheet's text; return (that sheet, the next free row)."""
    rows = _note_rows(result, pkg, src, when)
    try:
        sheet = pkg.sheet("About")
    except KeyError:
        sheet = _add_sheet(pkg, NOTE_SHEET)
    root = pkg.edit(sheet.part)
    index = xlsx.index_cells(root)
    last = max((xlsx.split_ref(r)[0] for r in index), default=0)
    start = last + 2 if last else 1
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value == "":
                continue
            cell = xlsx.ensure_cell(root, index, f"{'AB'[j]}{start + i}")
            xlsx.set_constant(cell, value)
    return sheet, start + len(rows) + 1


# ---------------------------------------------------------------------------------------
# The live check of a hand-off copy: have the inputs of its frozen values changed?
# ---------------------------------------------------------------------------------------

_ARRAY_LIMIT = 200  # cells compared one by one; a larger range is compared by count and sum
_SUM_TOLERANCE = "1E-12"  # relative: a sum recomputed by another program may differ in the last bits


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _address(sheet: str, ref: str) -> str:
    col, row = coordinate_from_string(ref)
    return f"{_quoted(sheet)}!${col}${row}"


def _span(cells) -> str:
    """A block of cells as one absolute range reference."""
    sheet = cells[0][0]
    return f"{_address(sheet, cells[0][1])}:{_address(sheet, cells[-1][1]).split('!')[1]}"


def _changed_condition(item, values: dict) -> str:
    """A formula condition, TRUE once any cell of the input differs from its frozen value."""
    frozen = [values.get(c) for c in item.cells]
    if len(item.cells) == 1:
        ref, v = _address(*item.cells[0]), frozen[0]
        return f"NOT(ISBLANK({ref}))" if v in (None, "") else f"{ref}<>{_literal(v)}"
    rows = {}
    for (_, ref), v in zip(item.cells, frozen):
        rows.setdefault(xlsx.split_ref(ref)[0], []).append(v)
    block = _span(item.cells)
    if len(item.cells) <= _ARRAY_LIMIT:
        constant = "{" + ";".join(",".join('""' if v is None else _literal(v) for v in r)
                                  for r in rows.values()) + "}"
        return f"SUMPRODUCT(({block}<>{constant})*1)>0"
    numbers = [v for v in frozen if isinstance(v, (int, float)) and not isinstance(v, bool)]
    total = sum(numbers)
    return (f"OR(COUNT({block})<>{len(numbers)},ABS(SUM({block})-{xlsx.number_text(total)})>"
            f"ABS({xlsx.number_text(total)})*{_SUM_TOLERANCE})")


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _write_input_check(pkg: xlsx.Package, result: CalcResult, src: Path, when: dt.datetime,
                       sheet: xlsx.Sheet, row: int, items: list) -> None:
    """List `items`, the inputs the frozen values depend on, each with a live "changed" flag,
    from `row` of `sheet` on, and point the workbook's banners (Handoff_Banners,
    Handoff_Changed) at them."""
    stamp = _stamp(when)
    if not items:
        return
    root = pkg.edit(sheet.part)
    index = xlsx.index_cells(root)

    def put(ref, value, formula=None):
        cell = xlsx.ensure_cell(root, index, ref)
        if formula is None:
            xlsx.set_constant(cell, value)
        else:
            _set_formula(cell, formula, value)

    put(f"A{row}", "Inputs the grey values were computed from (change one and the banner on each "
                   "sheet turns red):")
    first = row + 1
    for i, item in enumerate(items):
        r = first + i
        frozen = [result.values.get(c) for c in item.cells]
        put(f"A{r}", item.label)
        put(f"B{r}", _display(frozen[0]) if len(frozen) == 1 else f"{len(frozen)} cells")
        put(f"C{r}", "", f'IF({_changed_condition(item, result.values)},"changed","")')
    last = first + len(items) - 1
    here = _quoted(sheet.name)
    count_ref, list_ref = f"B{last + 2}", f"B{last + 3}"
    put(f"A{last + 2}", "Inputs changed since freezing")
    put(count_ref, 0, f'COUNTIF({here}!$C${first}:$C${last},"changed")')
    put(f"A{last + 3}", "Which")
    put(list_ref, "", "&".join(f'IF({here}!$C${first + i}="changed",{here}!$A${first + i}&" ","")'
                               for i in range(len(items))))
    count, names = f"{here}!${count_ref[0]}${count_ref[1:]}", f"{here}!${list_ref[0]}${list_ref[1:]}"
    calm = (f"Hand-off copy, frozen {stamp} from {src.name}: grey values were computed by the planner "
            f"for the inputs listed on {sheet.name}.")
    alarm = ("Changed since this copy was frozen: \"&" + names + "&\"- the grey values belong to the "
             "earlier inputs; recompute from the original with planner calc.")
    banner = f'IF({count}=0,{_literal(calm)},"{alarm}")'
    for name in pkg.names:
        if name.sheet_index is not None:
            continue
        if name.name.upper() == "HANDOFF_BANNERS":
            for target, ref in depends.destinations(name.text):
                ws = pkg.sheet(target)
                wroot = root if ws.part == sheet.part else pkg.edit(ws.part)
                windex = index if ws.part == sheet.part else xlsx.index_cells(wroot)
                _set_formula(xlsx.ensure_cell(wroot, windex, ref), banner, calm)
        elif name.name.upper() == "HANDOFF_CHANGED":
            _rename_text(pkg, name, f"{count}>0")


FROZEN_FILL = "FFD9D9D9"  # grey: a value the planner computed, no longer a live formula


def _styles_part(pkg: xlsx.Package) -> str | None:
    rp = xlsx.rels_part(pkg.workbook_part)
    if rp not in pkg.members:
        return None
    for rel in pkg.xml(rp):
        if rel.get("Type", "").endswith("/styles"):
            part = xlsx._resolve(pkg.workbook_part, rel.get("Target", ""))
            return part if part in pkg.members else None
    return None


class _Restyler:
    """New cell formats cloned from a cell's own, each made once: grey fill, unlocked."""

    def __init__(self, pkg: xlsx.Package, part: str):
        self.root = pkg.edit(part)
        self.xfs = self.root.find(_M + "cellXfs")
        fills = self.root.find(_M + "fills")
        fill = ET.SubElement(fills, _M + "fill")
        pattern = ET.SubElement(fill, _M + "patternFill", {"patternType": "solid"})
        ET.SubElement(pattern, _M + "fgColor", {"rgb": FROZEN_FILL})
        ET.SubElement(pattern, _M + "bgColor", {"indexed": "64"})
        fills.set("count", str(len(fills)))
        self.grey_fill = str(len(fills) - 1)
        self.made: dict = {}

    def apply(self, cell: ET.Element, how: str) -> None:
        old = int(cell.get("s", "0"))
        key = (old, how)
        if key not in self.made:
            xf = copy.deepcopy(self.xfs[old] if old < len(self.xfs) else self.xfs[0])
            if how == "grey":
                xf.set("fillId", self.grey_fill)
                xf.set("applyFill", "1")
            else:  # "unlocked"
                for p in xf.findall(_M + "protection"):
                    xf.remove(p)
                ET.SubElement(xf, _M + "protection", {"locked": "0"})
                xf.set("applyProtection", "1")
            self.xfs.append(xf)
            self.xfs.set("count", str(len(self.xfs)))
            self.made[key] = str(len(self.xfs) - 1)
        cell.set("s", self.made[key])


# Elements that may precede sheetProtection in a worksheet, in schema order.
_BEFORE_PROTECTION = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr")


def _protect(root: ET.Element) -> None:
    """Sheet protection without a password: a reader lifts it deliberately (Review > Unprotect)."""
    if root.find(_M + "sheetProtection") is not None:
        return
    pos = 0
    for i, child in enumerate(list(root)):
        if child.tag.replace(_M, "") in _BEFORE_PROTECTION:
            pos = i + 1
    root.insert(pos, ET.Element(_M + "sheetProtection", {"sheet": "1", "objects": "1", "scenarios": "1"}))


def _mark_and_lock(pkg: xlsx.Package, result: CalcResult, items: list) -> None:
    """Frozen values turn grey; on the sheets holding them, the inputs they came from stay
    locked (the add-in alone could honour a change) while every other named input is unlocked."""
    part = _styles_part(pkg)
    if part is None or not result.frozen:
        return
    restyle = _Restyler(pkg, part)
    behind = {cell for item in items for cell in item.cells}
    frozen: dict = {}
    for where in result.frozen:
        if "!" in where:  # a cell; the frozen defined names need no style
            sheet, ref = where.rsplit("!", 1)
            frozen.setdefault(sheet, []).append(ref)
    named = {cell for n in pkg.names if n.sheet_index is None for cell in depends.name_cells(n.text, pkg)}
    computed = {(fc.sheet, ref) for fc in result.formulas.values() for ref in fc.cells}
    editable = sorted(named - behind - computed)
    sheets = set(frozen) | {cell[0] for cell in behind}
    for name in sheets:
        ws = pkg.sheet(name)
        root = pkg.edit(ws.part)
        index = xlsx.index_cells(root)
        for ref in frozen.get(name, ()):
            restyle.apply(xlsx.ensure_cell(root, index, ref), "grey")
        for sheet, ref in editable:
            if sheet == name:
                restyle.apply(xlsx.ensure_cell(root, index, ref), "unlocked")
        _protect(root)


def _date_headers(pkg: xlsx.Package, text: str) -> None:
    """Put the freeze date in the middle of each printed page header that a sheet defines."""
    for ws in pkg.sheets:
        header = pkg.xml(ws.part).find(f"{_M}headerFooter/{_M}oddHeader")
        if header is not None:
            header = pkg.edit(ws.part).find(f"{_M}headerFooter/{_M}oddHeader")
            kept = re.sub(r"&C.*?(?=&[LR]|$)", "", header.text or "")  # a centre section is replaced
            header.text = kept + "&C" + text.replace("&", "&&")


def _set_formula(cell, formula: str, cached) -> None:
    """A formula with its computed value (the state at freezing: nothing changed yet)."""
    xlsx.set_constant(cell, 0)
    f = ET.Element(_M + "f")
    f.text = formula
    cell.insert(0, f)
    xlsx.set_cached(cell, cached)


def _rename_text(pkg: xlsx.Package, name: xlsx.DefinedName, text: str) -> None:
    """Point a workbook defined name at a new formula."""
    for el in pkg.edit(pkg.workbook_part).iter(_M + "definedName"):
        if el.get("name") == name.name and el.get("localSheetId") is None:
            el.text = text
    name.text = text


def _add_sheet(pkg: xlsx.Package, title: str) -> xlsx.Sheet:
    existing = {s.name.casefold() for s in pkg.sheets}
    name, k = title, 2
    while name.casefold() in existing:
        name, k = f"{title} {k}", k + 1
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in pkg.members:
        n += 1
    part = f"xl/worksheets/sheet{n}.xml"
    pkg.add_member(part, f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         f'<worksheet xmlns="{xlsx.MAIN}"><sheetData/></worksheet>'.encode())
    rp = xlsx.rels_part(pkg.workbook_part)
    rels = pkg.edit(rp)
    ids = {r.get("Id") for r in rels}
    k = 1
    while f"rId{k}" in ids:
        k += 1
    rel_id = f"rId{k}"
    target = os.path.relpath(part, os.path.dirname(pkg.workbook_part))
    ET.SubElement(rels, f"{{{xlsx.PKG_REL}}}Relationship",
                  {"Id": rel_id, "Type": xlsx.WORKSHEET_TYPE, "Target": target})
    wb = pkg.edit(pkg.workbook_part)
    sheets = wb.find(_M + "sheets")
    sheet_ids = [int(s.get("sheetId", "0")) for s in sheets]
    ET.SubElement(sheets, _M + "sheet", {"name": name, "sheetId": str(max(sheet_ids, default=0) + 1),
                                         f"{{{xlsx.REL}}}id": rel_id})
    types = pkg.edit(CT_PART)
    ET.SubElement(types, f"{{{xlsx.CT}}}Override", {"PartName": "/" + part, "ContentType": xlsx.WORKSHEET_CT})
    sheet = xlsx.Sheet(name, part, len(pkg.sheets))
    pkg.sheets.append(sheet)
    return sheet
