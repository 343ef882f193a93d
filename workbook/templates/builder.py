"""Build the template workbooks in `templates/` from the specs in `workbook.template_data`.

One small builder lays out every template: an About sheet (what it answers, how to use it,
sources, the colour legend), work sheets stacked from blocks (sections of labelled inputs and
outputs, side-by-side grids, tables, charts) and a Lists sheet for the drop-downs. Inputs get
the input style, data validation and a workbook-scoped defined name; outputs are formulas.

Formulas are stored as plain upper-case names (`=CHINCHILLA_N(Budget, Law)`), which the
add-in resolves in Excel and `planner calc` resolves without it. Numbers inside formulas are
written with an explicit exponent sign (1E+24), the form every host parses.
"""

from __future__ import annotations

import io
from copy import copy
import re
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart.legend import Legend
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.page import PageMargins

from planner import CATALOG
from planner._args import RULES

from workbook.recalc import calc as calc_module
from workbook.recalc.xlsx import atomic_write
from workbook.templates import TEMPLATES, spec

__all__ = ["build_all", "build", "TEMPLATES", "DEFAULT_DIR", "INPUT_FONT", "INPUT_FILL"]

# Financial-modelling convention: inputs blue on light yellow, formulas black, key results bold.
# Every font names its face: without one, LibreOffice falls back to a serif face for styled cells.
FACE = "Calibri"
INPUT_FONT = Font(name=FACE, size=11, color="FF0000FF")
INPUT_FILL = PatternFill("solid", start_color="FFFFF2CC", end_color="FFFFF2CC")
IGNORED_FILL = PatternFill("solid", fgColor="FFEDEDED", bgColor="FFEDEDED")
FROZEN_FILL = PatternFill("solid", fgColor=calc_module.FROZEN_FILL)
IGNORED_FONT = Font(color="FFA6A6A6")
KEY_FONT = Font(name=FACE, size=11, bold=True)
TITLE_FONT = Font(name=FACE, bold=True, size=14)
HEAD_FONT = Font(name=FACE, size=11, bold=True, color="FFFFFFFF")
HEAD_FILL = PatternFill("solid", start_color="FF1F4E78", end_color="FF1F4E78")
SUB_FONT = Font(name=FACE, size=11, bold=True)
SUB_FILL = PatternFill("solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
NOTE_FONT = Font(name=FACE, size=11, italic=True, color="FF595959")
CODE_FONT = Font(name="Consolas", size=11)  # a command to type, told apart from prose
ALERT_FONT = Font(bold=True, color="FFC00000")
THIN = Border(bottom=Side(style="thin", color="FFBFBFBF"))
WRAP = Alignment(wrap_text=True, vertical="top")
RIGHT = Alignment(horizontal="right")
LINE_HEIGHT = 15  # points per line of 11-point text

# A fixed timestamp so that regenerating a template changes nothing but what the builder changed.
_STAMP = datetime(2024, 1, 1)


def _style_input(cell) -> None:
    cell.font = INPUT_FONT
    cell.fill = INPUT_FILL


def _name(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    # Excel compares names without regard to case: Fit_A and Fit_a would be one name.
    if name.casefold() in {n.casefold() for n in wb.defined_names}:
        raise ValueError(f"defined name {name!r} used twice")
    wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!{ref}")


def _absolute(coord: str) -> str:
    col, row = re.match(r"([A-Z]+)(\d+)", coord).groups()
    return f"${col}${row}"


class _Validations:
    """One DataValidation per rule and sheet, collecting the cells it covers."""

    def __init__(self, ws):
        self.ws, self.rules = ws, {}

    def add(self, rule: str, ref: str) -> None:
        if rule not in self.rules:
            dv = _validation(rule)
            if dv is None:
                return
            self.ws.add_data_validation(dv)
            self.rules[rule] = dv
        self.rules[rule].add(ref)


def _validation(rule: str) -> DataValidation | None:
    if rule == "none":
        return None
    if rule.startswith("list:"):
        lst = spec.LISTS[rule[5:]]
        # Stored as Excel stores it: the formula without its leading "=".
        dv = DataValidation(type="list", formula1=lst.name, allow_blank=False)
        dv.error, dv.errorTitle = lst.error, "Not in the list"
        # A warning, not a stop, where the planner also takes other values (a peak FLOP/s
        # number for a GPU, a tokens-per-parameter number for allocation).
        dv.errorStyle = "warning" if lst.open else "stop"
        dv.prompt, dv.promptTitle = lst.prompt, "Choose"
        dv.showInputMessage = True
    else:
        kind, operator, low, high = spec.NUMBER_RULES[rule]
        dv = DataValidation(type=kind, operator=operator, formula1=low, formula2=high)
        dv.error, dv.errorTitle = f"Enter {RULES[rule][2]}.", "Invalid number"
        dv.allow_blank = True  # a blank optional input means "the default"
    dv.showErrorMessage = True
    return dv


def _write_input(ws, wb, dvs, coord: str, value, fmt: str, rule: str, name: str | None) -> None:
    cell = ws[coord]
    cell.value = value
    if isinstance(value, str) and value.startswith("="):  # a formula shown as text, to copy
        cell.data_type = "s"
        cell.quotePrefix = True
    cell.number_format = fmt
    _style_input(cell)
    dvs.add(rule, coord)
    if name:
        _name(wb, name, ws.title, _absolute(coord))


def _write_output(ws, wb, coord: str, formula, fmt: str, name: str | None, key: bool) -> None:
    cell = ws[coord]
    cell.value = formula
    cell.number_format = fmt
    if key:
        cell.font = KEY_FONT
    if name:
        _name(wb, name, ws.title, _absolute(coord))


def _lines(text, width: float, bold: bool = False) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (greedy word wrap).

    A column's width counts digit widths; prose averages narrower, bold text wider. Spreadsheet
    programs keep a stored row height, so a row holding wrapped text needs its height set.
    """
    per_line = max(1, int(width * (0.95 if bold else 1.15)))
    lines = 0
    for paragraph in str(text).split("\n"):
        lines, used = lines + 1, 0
        for word in paragraph.split():
            if used and used + 1 + len(word) > per_line:
                lines, used = lines + 1, 0
            used += (1 if used else 0) + len(word)
            while used > per_line:  # a word longer than the line
                lines, used = lines + 1, used - per_line
    return max(lines, 1)


def _width(ws, col: int) -> float:
    dim = ws.column_dimensions.get(get_column_letter(col))
    return dim.width if dim is not None and dim.customWidth else 8.43


def _fit_row(ws, row: int, cells, bold: bool = False) -> None:
    """Make `row` tall enough for its wrapped texts; `cells` are (column, text) pairs."""
    lines = max((_lines(text, _width(ws, col), bold) for col, text in cells if text), default=1)
    if lines > 1:
        ws.row_dimensions[row].height = lines * LINE_HEIGHT + 3


def _header(ws, row: int, texts, first_col: int = 1) -> None:
    for i, text in enumerate(texts):
        c = ws.cell(row, first_col + i, text)
        c.font, c.fill = HEAD_FONT, HEAD_FILL
        c.alignment = Alignment(wrap_text=True, vertical="center")
    _fit_row(ws, row, [(first_col + i, t) for i, t in enumerate(texts)], bold=True)


def _section(ws, wb, dvs, block: spec.Section, row: int, columns: int = 4) -> int:
    """The rows of a section; a wide output (the summary) spans the value column to the sheet's
    last of `columns`."""
    _header(ws, row, (block.title, "Value", "Unit", "Notes"))
    row += 1
    for item in block.rows:
        ws.cell(row, 1, item.label)
        ws.cell(row, 3, item.unit)
        note = ws.cell(row, 4, item.note or None)
        note.font, note.alignment = NOTE_FONT, Alignment(wrap_text=False)
        coord = f"B{row}"
        if isinstance(item, spec.In):
            _write_input(ws, wb, dvs, coord, item.value, item.fmt, item.rule, item.name)
            if item.ignored_when:  # greyed while the chosen mode does not use it
                ws.conditional_formatting.add(coord, FormulaRule(
                    formula=[item.ignored_when], fill=IGNORED_FILL, font=IGNORED_FONT))
        else:
            _write_output(ws, wb, coord, item.formula, item.fmt, item.name, item.key)
        for col in range(1, 5):
            ws.cell(row, col).border = THIN
        if isinstance(item, spec.Out) and item.wide:  # a sentence: across value, unit, notes and on
            ws.merge_cells(f"B{row}:{get_column_letter(max(columns, 4))}{row}")
            ws[coord].alignment = Alignment(wrap_text=True, vertical="top")
            ws.cell(row, 1).alignment = Alignment(vertical="top")
            ws.row_dimensions[row].height = 62  # four lines
        row += 1
    top = row - len(block.rows)
    if block.array:  # one formula for the column: a function returning several values is called once
        ws[f"B{top}"] = ArrayFormula(f"B{top}:B{row - 1}", block.array)
    if block.range_name:
        _name(wb, block.range_name, ws.title, f"$B${top}:$B${row - 1}")
    return row + 1


def _grid(ws, wb, dvs, block: spec.Grid, row: int) -> int:
    ncol = len(block.columns)
    _header(ws, row, (block.title,) + tuple(c.title for c in block.columns) + ("Unit", "Notes"))
    row += 1
    for item in block.rows:
        if isinstance(item, str):  # a sub-heading inside the grid
            for col in range(1, ncol + 4):
                ws.cell(row, col).fill = SUB_FILL
            ws.cell(row, 1, item).font = SUB_FONT
            row += 1
            continue
        ws.cell(row, 1, item.label)
        ws.cell(row, ncol + 2, item.unit)
        note = ws.cell(row, ncol + 3, item.note or None)
        note.font = NOTE_FONT
        for i, column in enumerate(block.columns):
            coord = f"{get_column_letter(i + 2)}{row}"
            name = f"{column.prefix}_{item.key}"
            cell_spec = item.cells.get(column.prefix, item.formula)
            if cell_spec is None:
                continue
            if isinstance(cell_spec, str) and cell_spec.startswith("="):
                _write_output(ws, wb, coord, cell_spec.format(p=column.prefix), item.fmt, name, item.key_row)
                ws[coord].alignment = RIGHT  # a text result ("yes", "never") lines up with the numbers
            else:
                _write_input(ws, wb, dvs, coord, cell_spec, item.fmt, item.rule, name)
        for col in range(1, ncol + 4):
            ws.cell(row, col).border = THIN
        if item.alert is not None:
            ws.conditional_formatting.add(f"B{row}:{get_column_letter(ncol + 1)}{row}", CellIsRule(
                operator="equal", formula=[f'"{item.alert}"'], font=ALERT_FONT))
        row += 1
    return row + 1


def _table(ws, wb, dvs, block: spec.Table, row: int, tables: dict) -> int:
    keys = [c.key for c in block.columns]
    if block.title:
        ws.cell(row, 1, block.title).font = SUB_FONT
        row += 1
    _header(ws, row, [c.header for c in block.columns])
    units = row + 1
    for i, c in enumerate(block.columns):
        ws.cell(units, i + 1, c.unit).font = NOTE_FONT
    first = units + 1
    last = first + block.nrows - 1
    letters = {k: get_column_letter(i + 1) for i, k in enumerate(keys)}
    for r in range(first, last + 1):
        refs = {k: f"{letters[k]}{r}" for k in keys}
        wrapped = []  # the row is as tall as its tallest wrapped cell
        for i, c in enumerate(block.columns):
            coord = refs[c.key]
            if c.values is not None:
                value = c.values[r - first] if r - first < len(c.values) else None
                if isinstance(value, spec.Computed):
                    _write_output(ws, wb, coord, value.format(**refs), c.fmt, None, False)
                    continue
                _write_input(ws, wb, dvs, coord, value, c.fmt, c.rule, None)
                if c.wrap:
                    ws[coord].alignment = WRAP
                    wrapped.append((i + 1, value))
            elif c.formula is not None:
                _write_output(ws, wb, coord, c.formula.format(**refs), c.fmt, None, False)
            elif c.per_row is not None and r - first < len(c.per_row):
                formula, width = c.per_row[r - first]
                # {key} is the same row's cell of column `key`, as in a column's own formula.
                formula = re.sub(r"\{(\w+)\}", lambda m: refs.get(m.group(1), m.group(0)), formula)
                if width == 1:
                    _write_output(ws, wb, coord, formula, c.fmt, None, False)
                else:  # a row of results: one array formula across its cells
                    end = f"{get_column_letter(i + width)}{r}"
                    ws[coord] = ArrayFormula(f"{coord}:{end}", formula)
                    for k in range(width):
                        ws.cell(r, i + 1 + k).number_format = c.fmt
            else:  # filled by an array formula (its own, or one spanning from a column to its left)
                ws[coord].number_format = c.fmt
        if wrapped:
            _fit_row(ws, r, wrapped)
    for c in block.columns:
        if c.array is not None:
            col = letters[c.key]
            end = get_column_letter(keys.index(c.key) + c.span)
            ws[f"{col}{first}"] = ArrayFormula(f"{col}{first}:{end}{last}", c.array)
    for c in block.columns:
        if c.name:
            col = letters[c.key]
            _name(wb, c.name, ws.title, f"${col}${first}:${col}${last}")
    if block.block:
        name, left, right = block.block
        _name(wb, name, ws.title, f"${letters[left]}${first}:${letters[right]}${last}")
    tables[block.key] = (ws, letters, first, last)
    return last + 2


# Series colours: distinct in colour and in greyscale print.
_COLOURS = ("1F4E78", "C55A11", "548235", "7030A0")
_MARK_COLOURS = ("C00000", "FFC000", "00B0F0")


_ROW_CM = 0.53  # a default row (15 points) in centimetres, to stack charts below each other


def _tornado(sheet, block: spec.Chart, tables: dict, anchor: str) -> int:
    """A tornado: one horizontal bar per table row, each series' bar drawn from the base (its
    values are differences from it), the bars of a row overlapping; the first row at the top."""
    ws, letters, first, last = tables[block.table]
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "bar", "clustered", 100, 40
    chart.title = block.title
    chart.style = 13
    chart.height, chart.width = 9, 18
    chart.x_axis.title, chart.y_axis.title = block.x_title, block.y_title
    chart.y_axis.number_format = block.y_fmt
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # the table's first row at the top
    chart.x_axis.tickLblPos = "low"  # the names beside the bars, clear of bars left of the base
    chart.legend.position = "b"
    col = lambda key: ws[letters[key]][0].column  # noqa: E731
    for (key, title), colour in zip(block.series, _COLOURS):
        series = Series(Reference(ws, min_col=col(key), min_row=first, max_row=last), title=title)
        series.graphicalProperties = GraphicalProperties(solidFill=colour)
        chart.series.append(series)
    chart.set_categories(Reference(ws, min_col=col(block.x), min_row=first, max_row=last))
    return _place(sheet, chart, block, anchor)


def _place(sheet, chart, block: spec.Chart, anchor: str) -> int:
    """Add the chart at `anchor` in its size; return the rows it covers."""
    if block.size:
        chart.width, chart.height = block.size
    sheet.add_chart(chart, anchor)
    return int(chart.height / _ROW_CM) + 2


def _chart(sheet, block: spec.Chart, tables: dict, anchor: str) -> int:
    """Draw the chart with its top left corner at `anchor`; return the rows it covers."""
    if block.kind == "tornado":
        return _tornado(sheet, block, tables, anchor)
    ws, letters, first, last = tables[block.table]
    chart = ScatterChart()
    chart.title = block.title
    chart.style = 13
    # Several series share the height with a legend below the plot.
    chart.height, chart.width = (9 if len(block.series) + len(block.marks) == 1 else 12), 18
    chart.x_axis.title, chart.y_axis.title = block.x_title, block.y_title
    chart.x_axis.number_format = block.x_fmt
    chart.y_axis.number_format = block.y_fmt
    if block.log_x:
        chart.x_axis.scaling.logBase = 10
    if block.log_y:
        chart.y_axis.scaling.logBase = 10
    # openpyxl hides axes unless told otherwise; a chart a person reads needs them.
    chart.x_axis.delete = chart.y_axis.delete = False
    # Tick labels at the low end: where an axis crosses zero (residuals), they would cover the data.
    chart.x_axis.tickLblPos = chart.y_axis.tickLblPos = "low"
    # One series needs no legend (the title and axis say it); several get one below the plot,
    # so that the plot keeps the chart's width.
    if len(block.series) == 1:
        chart.legend = None
    else:
        chart.legend.position = "b"
    col = lambda key: ws[letters[key]][0].column  # noqa: E731
    xref = Reference(ws, min_col=col(block.x), min_row=first, max_row=last)
    for (key, title), colour in zip(block.series, _COLOURS):
        yref = Reference(ws, min_col=col(key), min_row=first, max_row=last)
        series = Series(yref, xref, title=title)
        line_only = key in block.line_only
        series.marker.symbol = "circle" if block.markers and not line_only else "none"
        series.marker.size = 5 if block.lines else 4
        series.marker.graphicalProperties = GraphicalProperties(solidFill=colour)
        series.marker.graphicalProperties.line.solidFill = colour
        if block.lines or line_only:
            series.graphicalProperties.line.solidFill = colour
            series.graphicalProperties.line.width = 22000  # EMU: about 1.75 pt
        else:
            series.graphicalProperties.line.noFill = True
        series.smooth = False
        chart.series.append(series)
    for (table, x, y, title, *only), colour in zip(block.marks, _MARK_COLOURS):
        mws, mletters, mfirst, mlast = tables[table]
        if only:  # one row of the table
            mfirst = mlast = mfirst + only[0]
        mcol = lambda key: mws[mletters[key]][0].column  # noqa: E731
        series = Series(Reference(mws, min_col=mcol(y), min_row=mfirst, max_row=mlast),
                        Reference(mws, min_col=mcol(x), min_row=mfirst, max_row=mlast), title=title)
        series.marker.symbol, series.marker.size = "diamond", 10
        series.marker.graphicalProperties = GraphicalProperties(solidFill=colour)
        series.marker.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.noFill = True
        chart.series.append(series)
    if block.marks and chart.legend is None:  # marked points need their names
        chart.legend = Legend()
        chart.legend.position = "b"
    return _place(sheet, chart, block, anchor)


_CHART_GAP_PX = 12  # between charts side by side


def _column_px(width: float) -> float:
    """A column's width in pixels at 96 dpi (Excel: w characters of Calibri 11 are 7w + 5)."""
    return 7 * width + 5


def _column_left(widths: tuple, col: int) -> float:
    """The left edge of column `col` (1 = A) in pixels."""
    return sum(_column_px(w) for w in list(widths)[:col - 1]) + _column_px(8.43) * max(0, col - 1 - len(widths))


def _column_at(widths: tuple, px: float) -> int:
    """The first column whose left edge is at or right of `px`."""
    col = 1
    while _column_left(widths, col) < px:
        col += 1
    return col


def _about(wb: Workbook, t: spec.Template) -> None:
    """The About sheet: what the template answers, how to use it, sources, the colour legend,
    which cells need the add-in, and every input and key result by its defined name. Written
    after the work sheets, whose formulas it counts; the first sheet of the workbook."""
    ws = wb.worksheets[0]
    ws.title = "About"
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 110
    ws["A1"] = t.title
    ws["A1"].font = TITLE_FONT
    ws.row_dimensions[1].height = 21  # room for the 14-point title
    row = 3

    def heading(text: str) -> None:
        c = ws.cell(row, 1, text)
        c.font, c.alignment = SUB_FONT, Alignment(vertical="top")

    def paragraph(text: str, styler=None) -> None:
        nonlocal row
        c = ws.cell(row, 2, text)
        c.alignment = WRAP
        if styler:
            styler(c)
        _fit_row(ws, row, [(2, text)])
        row += 1

    counts, functions = _addin_cells(wb)
    where = ", ".join(f"{n} on sheet {sheet}" for sheet, n in counts.items())
    addin = tuple(text.format(file=t.filename, cells=where, functions=", ".join(functions))
                  for text in spec.ADDIN_NOTE)
    # Plain language first, and only that is printed: the answers, what to change, what the
    # numbers mean, the legend and the sources. The add-in's and the command line's details and
    # the names follow, for whoever works with the file.
    for title, paragraphs in (("What it answers", t.answers), ("What to change first", t.how),
                              ("What the numbers mean", (spec.LOSS_MEANING,))):
        heading(title)
        for text in paragraphs:
            paragraph(text)
        row += 1
    heading("Legend")
    for label, styler in (("Input: type over it (blue on yellow)", _style_input),
                          ("Formula: computed, do not overwrite (black)", None),
                          ("Key result (bold)", lambda c: setattr(c, "font", KEY_FONT)),
                          ("Hand-off copy: a value the planner computed, frozen (grey)",
                           lambda c: setattr(c, "fill", FROZEN_FILL)),
                          ("Greyed input: the chosen mode does not use it", lambda c: (
                              setattr(c, "fill", IGNORED_FILL), setattr(c, "font", IGNORED_FONT)))):
        paragraph(label, styler)
    row += 1
    heading("Sources")
    for text in t.sources:
        paragraph(text)
    printed = row
    row += 1
    heading("The add-in")
    for text in addin:
        paragraph(text, (lambda c: setattr(c, "font", CODE_FONT)) if text.startswith("planner ") else None)
    inputs, results = _named_items(t)
    for title, items in (("Inputs by name", inputs), ("Key results by name", results)):
        row += 1
        heading(title)
        for name, label, unit in items:
            paragraph(f"{name}: {label}" + (f" [{unit}]" if unit else ""))
    ws.freeze_panes = "A3"
    # Printed portrait, one page wide: the text column, not text running past it.
    ws.print_area = f"A1:B{printed}"
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


_CALL = re.compile(r"\b([A-Z][A-Z0-9_.]*)\s*\(")


def _addin_cells(wb: Workbook):
    """({sheet: number of cells using add-in formulas}, sorted add-in formula names used)."""
    addin = {name.upper() for name in CATALOG}
    counts, used = {}, set()
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows():
            for c in row:
                text = c.value.text if isinstance(c.value, ArrayFormula) else c.value
                if not (isinstance(text, str) and text.startswith("=")):
                    continue
                names = set(_CALL.findall(text)) & addin
                if names:
                    counts[ws.title] = counts.get(ws.title, 0) + 1
                    used |= names
    return counts, sorted(used)


def _named_items(t: spec.Template):
    """(name, label, unit) of the template's inputs and of its key results, in sheet order."""
    inputs, results = [], []
    for sheet in t.sheets:
        for block in sheet.blocks:
            if isinstance(block, spec.Section):
                for item in block.rows:
                    if isinstance(item, spec.In):
                        inputs.append((item.name, item.label, item.unit))
                    elif item.key and item.name:
                        results.append((item.name, item.label, item.unit))
            elif isinstance(block, spec.Grid):
                for item in block.rows:
                    if isinstance(item, str):
                        continue
                    for column in block.columns:
                        cell = item.cells.get(column.prefix, item.formula)
                        entry = (f"{column.prefix}_{item.key}", f"{item.label}, {column.title}", item.unit)
                        if cell is not None and not (isinstance(cell, str) and cell.startswith("=")):
                            inputs.append(entry)
                        elif cell is not None and item.key_row:
                            results.append(entry)
            elif isinstance(block, spec.Table):
                inputs += [(c.name, f"{c.header} (a column)", c.unit) for c in block.columns
                           if c.values is not None and c.name]
    return inputs, results


def _lists(wb: Workbook, used: list[str]) -> None:
    """The choices behind the template's drop-downs, one named column per list."""
    if not used:
        return
    ws = wb.create_sheet("Lists")
    for i, lst in enumerate(spec.LISTS[key] for key in spec.LISTS if key in used):
        col = i + 1
        ws.cell(1, col, lst.title).font = SUB_FONT
        for r, value in enumerate(lst.values, start=2):
            ws.cell(r, col, value)
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = 26
        _name(wb, lst.name, ws.title, f"${letter}$2:${letter}${len(lst.values) + 1}")
    ws.freeze_panes = "A2"
    ws.sheet_state = "hidden"  # a helper: neither shown among the tabs nor printed


# Narrow margins leave a landscape page room for a whole main sheet at a readable scale.
MARGINS = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6, header=0.3, footer=0.3)


def _print_setup(ws, columns: int, end: int, one_page: bool = False) -> None:
    """Printed for a hand-off: landscape, one page wide (and one page tall for a main sheet),
    the content only, with the file name above and page numbers below (a frozen copy adds its
    date to the header)."""
    ws.page_setup.orientation = "landscape"
    ws.page_margins = copy(MARGINS)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, (1 if one_page else 0)
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = f"A1:{get_column_letter(columns)}{end}"
    ws.oddHeader.left.text = "&F"
    ws.oddHeader.right.text = "&A"
    ws.oddFooter.center.text = "Page &P of &N"


BANNER_CELL = "A3"  # the row between a sheet's intro and its first block


def _banner_cells(wb: Workbook, sheets: list) -> None:
    """Where a hand-off copy says what it froze: `planner calc --freeze` writes the banner into
    the cells of Handoff_Banners and points Handoff_Changed at its live check of the inputs,
    which turns the banners red. In the template itself both are idle (empty, FALSE)."""
    refs = ",".join(f"'{s.title}'!{_absolute(BANNER_CELL)}" for s in sheets)
    for sheet in sheets:  # one line across the sheet's columns, wrapped when long
        ws = wb[sheet.title]
        row = BANNER_CELL[1:]
        ws.merge_cells(f"{BANNER_CELL}:{get_column_letter(len(sheet.widths))}{row}")
        ws[BANNER_CELL].alignment = Alignment(wrap_text=True, vertical="center")
        ws[BANNER_CELL].font = Font(name=FACE, size=11, bold=True)
    wb.defined_names["Handoff_Banners"] = DefinedName("Handoff_Banners", attr_text=refs)
    wb.defined_names["Handoff_Changed"] = DefinedName("Handoff_Changed", attr_text="FALSE")
    for title in (sheet.title for sheet in sheets):
        wb[title].conditional_formatting.add(
            BANNER_CELL, FormulaRule(formula=["Handoff_Changed"], stopIfTrue=True,
                                     fill=PatternFill("solid", fgColor="FFC00000", bgColor="FFC00000"),
                                     font=Font(bold=True, color="FFFFFFFF")))


def build(t: spec.Template) -> Workbook:
    """The workbook of one template spec."""
    wb = Workbook()
    wb.properties.creator = "planner templates"
    wb.properties.created = wb.properties.modified = _STAMP
    tables: dict = {}
    charts = []  # drawn last: a chart may show a table on a later sheet
    ends: dict = {}  # sheet -> the first row below its content
    lists: list[str] = []  # the drop-down lists the inputs use
    for sheet in t.sheets:
        ws = wb.create_sheet(sheet.title)
        dvs = _Validations(ws)
        ws["A1"] = sheet.heading
        ws["A1"].font = TITLE_FONT
        ws.row_dimensions[1].height = 21
        ws["A2"] = sheet.intro
        ws["A2"].font = NOTE_FONT
        for col, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        row = 4
        for block in sheet.blocks:
            if isinstance(block, spec.Section):
                row = _section(ws, wb, dvs, block, row, len(sheet.widths))
            elif isinstance(block, spec.Grid):
                row = _grid(ws, wb, dvs, block, row)
            elif isinstance(block, spec.Table):
                if block.nrows > 30:  # a long table prints its header and units on every page
                    ws.print_title_rows = f"{row}:{row + 1}"
                row = _table(ws, wb, dvs, block, row, tables)
            elif isinstance(block, spec.Chart):
                charts.append((ws, block, sheet.widths))
        # Print to the sheet's end, or to the last row of data of a table that says so.
        ends[ws.title] = next((tables[b.key][2] + b.printed - 1 for b in sheet.blocks
                               if isinstance(b, spec.Table) and b.printed is not None), row)
        ws.freeze_panes = sheet.freeze
        lists += [rule[5:] for rule in dvs.rules if rule.startswith("list:")]
    beside = None  # (sheet, row, column, right edge in pixels) of the chart last drawn
    for ws, block, widths in charts:
        if block.beside and beside and beside[0] == ws.title:
            _, row, _, right = beside
            col = _column_at(widths, right + _CHART_GAP_PX)
        else:
            row, col = ends[ws.title], 1
        rows = _chart(ws, block, tables, f"{get_column_letter(col)}{row}")
        ends[ws.title] = max(ends[ws.title], row + rows)
        width_cm = (block.size or (18, 0))[0]
        beside = (ws.title, row, col, _column_left(widths, col) + width_cm / 2.54 * 96)
    for sheet in t.sheets:
        _print_setup(wb[sheet.title], len(sheet.widths), ends[sheet.title], sheet.one_page)
    _banner_cells(wb, list(t.sheets))
    _lists(wb, lists)
    _about(wb, t)
    return wb


DEFAULT_DIR = Path("templates")  # `planner templates` writes into ./templates unless told otherwise


def build_all(out_dir=DEFAULT_DIR) -> list[Path]:
    """Write every template into `out_dir` (created if needed); return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in TEMPLATES:
        path = out / t.filename
        _save(build(t), path)
        paths.append(path)
    return paths


def _save(wb: Workbook, path: Path) -> None:
    """Save byte for byte the same each time: openpyxl stamps the save time into the
    properties and every zip entry, which would make an unchanged template look changed."""
    raw = io.BytesIO()
    wb.save(raw)
    stamp = _STAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            dst.writestr(zipfile.ZipInfo(item.filename, date_time=_STAMP.timetuple()[:6]), data,
                         compress_type=zipfile.ZIP_DEFLATED)
    atomic_write(path, out.getvalue())
