"""formulas' own model of a workbook, as the engine uses it for what its fast path (grid.py)
leaves to it: its reader guarded so that no file but the workbook being computed is ever
opened, its shared strings read without an openpyxl object each, and its walk over a
sheet's cells limited to the cells that exist. Imported only when a workbook needs the
model: formulas.excel costs a run that does not use it about 20 ms."""

from __future__ import annotations

import contextvars
import functools
import os

import formulas
import formulas.excel.xlreader as _xlreader

from workbook.recalc.engine import LINK_REASON, _current_cell
from workbook.recalc.xlsx import _M


def _read_string_table(_raw_data, xml_source):
    """formulas' reader of shared strings, as it reads them, without building an openpyxl
    object per string (a workbook of a million strings took a minute)."""
    strings = []
    si, t, r = _M + "si", _M + "t", _M + "r"
    for _, node in _xlreader.iterparse(xml_source):  # openpyxl's (defused) parser
        if node.tag == si:  # plain text and rich-text runs; phonetic hints left out
            text = "".join([c.text or "" for c in node if c.tag == t]
                           + [g.text or "" for c in node if c.tag == r for g in c if g.tag == t])
            if not _raw_data and "_x" in text:
                text = _xlreader._re_hex.sub(_xlreader.replace_hex, text)
            strings.append(text.replace("x005F_", ""))
            node.clear()
    return strings


# No file but the workbook being computed is ever opened: formulas would load any workbook a
# formula links to ('/dir/[other.xlsx]Sheet1'!A1, [1]Sheet1!A1, or a path built in INDIRECT),
# copying another file's cells into the output, or wait forever on a named pipe. Such a
# link becomes #REF! (formulas' own answer for a book it cannot load), with a reason.
own_book: contextvars.ContextVar[str | None] = contextvars.ContextVar("own_book", default=None)
refused_links: contextvars.ContextVar[list | None] = contextvars.ContextVar("refused", default=None)
_formulas_load_workbook = _xlreader.load_workbook


class ExternalLink(Exception):
    """A formula refers to another workbook, which the engine never opens."""


def _load_own_workbook_only(filename, *args, **kwargs):
    own = own_book.get()
    if own is None or os.path.abspath(str(filename)) != own:
        refused = refused_links.get()
        if refused is not None:
            refused.append(os.path.basename(str(filename)))
        raise ExternalLink(f"{LINK_REASON} ({os.path.basename(str(filename))})")
    return _formulas_load_workbook(filename, *args, **kwargs)


_xlreader.load_workbook = _load_own_workbook_only

_formulas_read_string_table = getattr(_xlreader, "read_string_table", None)
if _formulas_read_string_table is not None and hasattr(_xlreader, "_re_hex"):
    _xlreader.read_string_table = _read_string_table


class Model(formulas.ExcelModel):
    """formulas' model, naming the cell whose constant formula is folded while loading."""

    def add_sheet(self, worksheet, context):
        worksheet, ctx = super().add_sheet(worksheet, context)
        if not isinstance(worksheet.iter_rows, functools.partial):
            # formulas walks `iter_rows()`, which makes every cell of the used rectangle: one
            # stray value at XFD1048576 means 17 billion cells. Walk the cells that exist.
            worksheet.iter_rows = functools.partial(_existing_rows, worksheet, worksheet.iter_rows)
        return worksheet, ctx

    def compile_cell(self, cell, context, references, formula_references):
        token = _current_cell.set(f"{context.get('sheet', '')}!{cell.coordinate}".upper())
        try:
            if cell.data_type == "n" and isinstance(cell.value, float):
                # formulas rounds a stored number to 15 decimal places, which drops significant
                # digits of small ones (0.0476190485060215 loses its last, 1E-20 becomes 0): the
                # number as stored is what Excel and LibreOffice compute with.
                crd = formula_references.get(cell.coordinate, cell.coordinate)
                return self._compile_cell(crd, cell.value, context, True, references)
            return super().compile_cell(cell, context, references, formula_references)
        finally:
            _current_cell.reset(token)


def _existing_rows(worksheet, iter_rows, *args, **kwargs):
    """The cells of an openpyxl worksheet that exist, row by row (no empty cells made up);
    with bounds, openpyxl's own `iter_rows`."""
    if args or kwargs:
        return iter_rows(*args, **kwargs)
    by_row: dict[int, list] = {}
    for (row, col) in sorted(worksheet._cells):
        by_row.setdefault(row, []).append(worksheet._cells[(row, col)])
    return iter(by_row.values())
