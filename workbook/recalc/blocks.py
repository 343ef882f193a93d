"""Filled-down columns computed as one formula: the engine's vectorised path.

A column of cells holding the same formula shape (each row's formula is the first one's,
translated to its row: the same R1C1 form) is given to the engine as one array formula over
the whole block, with each relative reference widened to the column range it walks down:

    B2:B10001  =CHINCHILLA_N(A2) ... =CHINCHILLA_N(A10001)   ->   {=CHINCHILLA_N(A2:A10001)}

so the block is one node of the engine's graph and a planner formula reaches the planner as
one vectorised call instead of 10,000. This is exact only where the formula works element
by element, so a block is formed only from formulas that use nothing but cell references,
defined names of one cell, constants, operators and planner functions that return one number
per cell, each relative reference standing where such a function takes a number (a law, an
accelerator or a text argument is never widened, nor is a range, a name of anything but one
cell, or an Excel function such as SUM). A name of one cell ($B$3) is a single value, the
same for every cell, as an absolute reference is. A block never refers to its own rows.
Formulas are read by openpyxl's tokenizer and moved by its Translator: no formula is parsed
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import coordinate_from_string

from workbook.addin import cells as adapter

MIN_ROWS = 2  # a block of one cell gains nothing


@dataclass(frozen=True)
class Block:
    sheet: str
    column: str  # "B"
    first: int  # rows first..last, all holding the first row's formula moved down
    last: int
    text: str  # the array formula over the block (without "=")

    @property
    def ref(self) -> str:
        return f"{self.column}{self.first}:{self.column}{self.last}"

    def refs(self) -> list[str]:
        return [f"{self.column}{r}" for r in range(self.first, self.last + 1)]


# Where a relative reference may stand: outside any function (operators only), or as a
# number argument of a planner function that returns a number per cell.
def _elementwise_function(name: str):
    entry = adapter.function(name.rstrip("("))
    if entry is None or entry.returns != "number":
        return None
    return entry


def _shape(text: str, names: dict[str, tuple]) -> tuple[list[Token], list[int]] | None:
    """The formula's tokens and the positions of its widenable references, or None when the
    formula is not element by element; `names` are the names of one cell (single_cells)."""
    try:
        tokens = Tokenizer("=" + text).items
    except Exception:  # noqa: BLE001 - openpyxl's TokenizerError: leave the formula alone
        return None
    stack: list[list] = []  # [entry, argument index] of each open function
    widen = []
    for i, t in enumerate(tokens):
        if t.type == Token.FUNC and t.subtype == Token.OPEN:
            entry = _elementwise_function(t.value)
            if entry is None:
                return None
            stack.append([entry, 0])
        elif t.type == Token.FUNC and t.subtype == Token.CLOSE:
            stack.pop()
        elif t.type == Token.SEP and t.subtype == Token.ARG:
            if not stack:
                return None  # a union (A1,B1), not an argument list
            stack[-1][1] += 1
        elif t.type == Token.OPERAND and t.subtype == Token.RANGE:
            cell = _single(t.value, names)
            if cell is None:
                return None  # a range or a name of one: not element by element
            if not cell[3]:  # a relative row: widened down the block, so only where a number goes
                if stack:
                    entry, k = stack[-1]
                    if k >= len(entry.params) or entry.params[k].arg.kind != "number":
                        return None
                widen.append(i)
        elif t.type in (Token.PAREN, Token.OP_PRE, Token.OP_IN, Token.OP_POST, Token.WSPACE) or \
                (t.type == Token.OPERAND and t.subtype in (Token.NUMBER, Token.TEXT, Token.LOGICAL)):
            if t.type == Token.OP_IN and t.value in (":", " ", ","):
                return None  # range and intersection operators
        else:
            return None  # arrays, errors, anything else
    return tokens, widen


def _cell(value: str) -> tuple[str, str, int, bool] | None:
    """(sheet prefix, column letters, row, row is absolute) of a single-cell reference, else None."""
    sheet, _, ref = value.rpartition("!")
    if sheet.startswith("'") and not sheet.endswith("'") or "[" in sheet:
        return None
    try:
        column, row = coordinate_from_string(ref.replace("$", ""))
    except Exception:  # noqa: BLE001 - openpyxl's CellCoordinatesException: a name, not a cell
        return None
    row_absolute = "$" in ref.lstrip("$")  # "$A$1" or "A$1"
    return sheet, column, row, row_absolute


def _single(value: str, names: dict[str, tuple]) -> tuple[str, str, int, bool] | None:
    """_cell of a reference, or of the cell a name of one cell stands for (single_cells)."""
    return _cell(value) or names.get(value.upper())


def single_cells(definitions: dict[str, str]) -> dict[str, tuple[str, str, int, bool]]:
    """The names among `definitions` (upper-case name -> definition) that stand for one cell
    of this workbook, absolute in row and column (Sheet1!$B$3), as _cell reads that cell."""
    out = {}
    for name, text in definitions.items():
        text = text.strip().lstrip("=")
        sheet, _, ref = text.rpartition("!")
        cell = _cell(text)
        if cell is not None and sheet and ref.startswith("$") and cell[3]:
            out[name] = cell
    return out


def _widened(tokens: list[Token], widen: list[int], rows: int) -> str:
    """The formula with each widened reference running `rows` rows down."""
    out = []
    for i, t in enumerate(tokens):
        if i in widen:
            sheet, _, ref = t.value.rpartition("!")
            last = Translator("=" + ref, origin=ref.replace("$", "")).translate_formula(
                row_delta=rows - 1)[1:]
            out.append(f"{sheet}!{ref}:{last}" if sheet else f"{ref}:{last}")
        else:
            out.append(t.value)
    return "".join(out)


def plan(shapes: dict[tuple[str, str], str], own_text: Callable[[tuple[str, str]], str],
         names: dict[str, tuple]) -> list[Block]:
    """The blocks of a workbook. `shapes` maps (sheet, "B2") of each plain (not array) formula
    to its R1C1 shape (the formula moved to one fixed cell: equal for the cells of a filled-down
    column); `own_text(key)` gives a cell's own formula, asked only of each block's first cell;
    `names` are the workbook's names of one cell (single_cells)."""
    columns: dict[tuple[str, str], dict[int, str]] = {}
    for (sheet, ref), shape in shapes.items():
        column, row = coordinate_from_string(ref)
        columns.setdefault((sheet, column), {})[row] = shape
    blocks = []
    for (sheet, column), by_row in columns.items():
        rows = sorted(by_row)
        i = 0
        while i < len(rows):
            first = rows[i]
            j = i + 1
            while j < len(rows) and rows[j] == rows[j - 1] + 1 and by_row[rows[j]] == by_row[first]:
                j += 1
            last = rows[j - 1]
            if last - first + 1 >= MIN_ROWS:
                shape = _shape(own_text((sheet, f"{column}{first}")), names)
                # Without a reference that walks down, each cell is the same formula: its
                # value would be computed once, but an error's reason kept for one cell only.
                if shape is not None and shape[1] and \
                        not _refers_to_itself(shape[0], sheet, column, first, last, names):
                    tokens, widen = shape
                    blocks.append(Block(sheet, column, first, last, _widened(tokens, widen, last - first + 1)))
            i = j
    return blocks


def _refers_to_itself(tokens: list[Token], sheet: str, column: str, first: int, last: int,
                      names: dict[str, tuple]) -> bool:
    """Whether any reference of the block's formulas, moved down the block, lands in it."""
    for t in tokens:
        if t.type != Token.OPERAND or t.subtype != Token.RANGE:
            continue
        prefix, col, row, absolute = _single(t.value, names)  # _shape let only single cells through
        target = prefix.strip("'").replace("''", "'") if prefix else sheet
        if target.casefold() != sheet.casefold() or col != column:
            continue
        lo, hi = (row, row) if absolute else (row, row + (last - first))
        if lo <= last and hi >= first:
            return True
    return False

