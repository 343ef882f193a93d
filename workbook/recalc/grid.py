"""Workbooks computed formula shape by formula shape: the engine's fast path.

formulas' own model (model.Model) makes a node of its dispatcher for every cell, parses
and compiles every formula on its own and runs the whole graph through schedula: about a
millisecond and tens of kilobytes per formula cell. This path computes the same workbook
with formulas' parser and functions but none of that per-cell work:

- each formula shape (the cells of a filled-down column, whose formulas read the same in
  R1C1 form) is parsed and compiled once, by formulas, at its first cell; every other cell
  of the shape calls that compiled formula with its own inputs, found by moving the first
  cell's references (openpyxl's Translator) by the cell's offset;
- a block of blocks.py (a column of one element-by-element shape) is one call over the
  whole column, as in the model;
- cells are computed in dependency order (a topological sort of formula cells), their
  values kept in one dictionary per sheet;
- a compiled formula is remembered on disk as data (programs.py) once its program has
  given the pipe's own result, and a later run reads it back instead of compiling.

A compiled formula is called exactly as the model calls it (the same input ranges, the
same output and empty-value filters), so a cell's value is the model's. What this path
does not do it refuses with Unsupported, and engine.recalculate computes that workbook
with the model instead: names that stand for anything but one range or that call planner
formulas, functions that read the cell they are in or the model itself (ROW(), COLUMN(),
ISFORMULA, @), links to other workbooks, whole rows and columns, stored error values,
circular references, and any formula that raises.
"""

from __future__ import annotations

import bisect
import collections
import functools

import numpy as np
import schedula as sh
import formulas
from formulas.cell import CELL, Cell, format_output
from formulas.functions import replace_empty
from formulas.ranges import Ranges
from formulas.tokens.operand import Error
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import get_column_letter

from workbook.recalc import lanes, limits, programs, xlsx
from workbook.recalc.xlsx import _M, MAX_COL, MAX_ROW

# formulas' functions that take the model or the calling cell as a hidden input
_POSITIONAL = (CELL, formulas.functions.DSP) if hasattr(formulas.functions, "DSP") else (CELL,)


class Unsupported(Exception):
    """The workbook uses something this path leaves to formulas' model."""


def _sheet_id(name: str) -> str:
    """formulas' key of a sheet ("SHEET1", "'MY SHEET'")."""
    return Ranges.get_range(f"'{name.replace(chr(39), chr(39) * 2)}'!A1")["sheet_id"]


def _positional_functions() -> frozenset[str]:
    table = formulas.get_functions()
    return frozenset(name for name, entry in table.items()
                     if isinstance(entry, dict) and set(entry.get("extra_inputs", ())) & set(_POSITIONAL))


_functions_reading_position: frozenset[str] | None = None


def check(pkg, cells: dict, tokens, names: dict[str, str], planner_names: set[str]) -> None:
    """Raise Unsupported for a workbook this path leaves to the model. `tokens(text)` gives
    (functions called, names referred to) of a formula (engine._tokens); `names` maps each
    defined name the formulas use (upper case) to its definition, and `planner_names` are
    the names whose definitions call planner functions (the model computes those)."""
    global _functions_reading_position
    if _functions_reading_position is None:
        _functions_reading_position = _positional_functions()
    if planner_names:
        raise Unsupported("a name computed with planner formulas")
    for name, text in names.items():
        if _reference(text) is None:
            raise Unsupported(f"the name {name}, which is not one range")
    for fc in cells.values():
        text = fc.shape or fc.text
        if "[" in text or "@" in text:
            raise Unsupported("links, structured references or implicit intersection")
        called, referred = tokens(text)
        if referred - set(names):
            raise Unsupported("a name that is not defined here")
        if any(name.upper() in _functions_reading_position for name in called):
            raise Unsupported("a function that reads its own cell")


def _reference(text: str) -> dict | None:
    """The range a name's definition is (Sheet1!$A$1:$B$2), or None for anything else."""
    found = _read_reference(text)
    return None if found is None else dict(found)


@functools.lru_cache(maxsize=4096)  # a template's 200 names are read by check and by recalculate
def _read_reference(text: str) -> dict | None:
    text = text.strip().lstrip("=")
    tokens = Tokenizer("=" + text).items
    if len(tokens) != 1 or tokens[0].type != Token.OPERAND or tokens[0].subtype != Token.RANGE \
            or "!" not in text or "[" in text:
        return None
    try:
        rng = Ranges.get_range(text)
    except Exception:  # noqa: BLE001 - not a range formulas reads
        return None
    return rng if rng.get("sheet_id") else None


def _stored(c, strings: list[str]):
    """A constant cell's value as formulas' reader gives it (openpyxl's, with the escapes of
    shared strings undone), or sh.EMPTY."""
    kind = c.get("t", "n")
    if kind == "inlineStr":
        inline = c.find(_M + "is")
        return xlsx._text(inline) if inline is not None else sh.EMPTY  # not unescaped, as openpyxl reads it
    v = c.find(_M + "v")
    if v is None or v.text is None:
        return sh.EMPTY
    try:
        if kind == "n":
            return _cast_number(v.text)
        if kind == "s":
            return strings[int(v.text)]
        if kind == "b":
            return bool(int(v.text))
    except (ValueError, IndexError):
        raise Unsupported(f"a stored value {v.text!r} of type {kind} that does not read as one") from None
    if kind == "str":
        return v.text
    raise Unsupported(f"a stored value of type {kind}")


def _cast_number(text: str) -> int | float:
    """A stored number as openpyxl reads it (openpyxl.worksheet._reader._cast_number, whose
    module imports all of openpyxl): an int unless it has a point or an exponent."""
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _strings(pkg) -> list[str]:
    out = []
    for text in xlsx.shared_strings(pkg):  # as model._read_string_table reads them
        if "_x" in text:
            from formulas.excel import xlreader  # only for a string with escapes (_x000D_)

            text = xlreader._re_hex.sub(xlreader.replace_hex, text)
        out.append(text.replace("x005F_", ""))
    return out


def _context(sheet_id: str) -> dict:
    """formulas' context of a formula on the sheet `sheet_id` ("'MY SHEET'" -> MY SHEET)."""
    return {"sheet": sheet_id.strip("'").replace("''", "'")}


class _Compiled:
    """One formula compiled by formulas at one cell, callable for any cell of its shape."""

    key: tuple[str, ...] | None = None  # its programs.py key, once compile_at has made it

    def __init__(self, sheet_id: str, row: int, col: int, text: str, names: dict,
                 cell_ref: str | None = None):
        self.sheet_id, self.row, self.col, self.text = sheet_id, row, col, text
        self.reusable = False  # other cells of its shape may compute with it
        self.storable = False  # it may be stored for later runs (programs.py)
        self.verify = False  # check the program at its first cell even when no other cell shares it
        self.context = _context(sheet_id)
        self.ref = cell_ref or f"{get_column_letter(col)}{row}"
        cell = self._compile()
        self.output = cell.range.ranges[0]
        self._pipe = cell.func.func
        try:
            self.program = _Program(self._pipe)
        except _NotFlat:
            self.program = None
        self.checked = False  # the program's first result is checked against the pipe's
        self.shared = False  # more cells than one compute with it
        # A defined name reaches the formula as the range it stands for (the model's Ref).
        self.inputs = [rng.ranges[0] if hasattr(rng, "ranges") and rng.ranges else names.get(key)
                       for key, rng in cell.func.inputs.items()]
        if any(r is None for r in self.inputs):
            raise Unsupported("an input that is not a range")
        keys = self.keys = list(cell.func.inputs)
        # Each input as the reference tokens of the formula that give it, to be moved to
        # other cells; a name's range never moves.
        refs = [t.value for t in Tokenizer("=" + text).items
                if t.type == Token.OPERAND and t.subtype == Token.RANGE]
        by_key: dict[str, list[str]] = collections.defaultdict(list)
        for ref_text in refs:
            if ref_text.upper() in names:
                by_key[ref_text.upper()].append(ref_text)
                continue
            try:
                by_key[Ranges.get_range(ref_text, self.context)["name"]].append(ref_text)
            except Exception:  # noqa: BLE001 - not a reference to formulas (openpyxl reads 70E+9 as "70E", "+", "9")
                continue
        if set(by_key) != set(keys):  # every input found among the references
            raise Unsupported("inputs that do not match the formula's references")
        self.moves = [names[k] if k in names else by_key[k] for k in keys]

    def _compile(self):
        try:
            return Cell(self.ref, "=" + self.text, context=dict(self.context)).compile()
        except Exception as exc:  # noqa: BLE001 - formulas' FormulaError or any other: the model reports it
            raise Unsupported(f"cannot compile ={self.text}") from exc

    @property
    def pipe(self):
        """formulas' compiled formula (schedula's DispatchPipe); compiled when first needed by
        a formula read back from disk, which runs as its program."""
        if self._pipe is None:
            func = self._compile().func
            if list(func.inputs) != self.keys:
                raise Unsupported(f"={self.text} compiles to other inputs than were stored")
            self._pipe = func.func
        return self._pipe

    def entry(self) -> dict | None:
        """The compiled formula as data (programs.py), once its program has given the pipe's
        own result; None for one that cannot be stored."""
        if not (self.storable and self.checked and self.program is not None):
            return None
        try:
            return {"sheet": self.context["sheet"], "row": self.row, "col": self.col, "ref": self.ref,
                    "text": self.text, "keys": [programs.node_id(k) for k in self.keys],
                    "output": programs.range_code(self.output),
                    "inputs": [["name"] if isinstance(m, dict) else ["range", programs.range_code(r)]
                               for m, r in zip(self.moves, self.inputs)],
                    "moves": [[] if isinstance(m, dict) else list(m) for m in self.moves],
                    "program": self.program.data()}
        except programs.NotStorable:
            return None

    @classmethod
    def restore(cls, data: dict, sheet_id: str, names: dict) -> _Compiled:
        """A compiled formula from its entry(), for the names of this workbook; raises
        ValueError, KeyError, TypeError, IndexError or AttributeError for data that is not one."""
        self = cls.__new__(cls)
        self.sheet_id, self.row, self.col = sheet_id, int(data["row"]), int(data["col"])
        self.text, self.ref = str(data["text"]), str(data["ref"])
        self.context = _context(sheet_id)
        if data["sheet"] != self.context["sheet"]:
            raise ValueError("another sheet's formula")
        self.keys = [programs.node_of(k) for k in data["keys"]]
        self.output = programs.range_of(data["output"])
        self.inputs, self.moves = [], []
        for key, given, moves in zip(self.keys, data["inputs"], data["moves"], strict=True):
            if given == ["name"]:
                self.inputs.append(names[key])  # KeyError: a name this workbook does not define
                self.moves.append(names[key])
            else:
                self.inputs.append(programs.range_of(given[1]))
                self.moves.append([str(m) for m in moves])
        self.program = _Program.from_data(data["program"])
        if self.program.inputs != self.keys:
            raise ValueError("a program of other inputs")
        self._pipe = None
        self.storable = self.checked = True
        self.reusable = bool(self.inputs)
        self.verify = self.shared = False
        return self

    def run(self, args: list):
        """The formula's value for these inputs. A formula that several cells share (or whose
        program is to be stored) runs as its program once that has given the pipe's own
        result (checked at the first cell: that one cell is computed twice); any other by
        the pipe."""
        program = self.program if self.shared or self.verify or self._pipe is None else None
        if program is not None and self.checked:
            try:
                return program(*args)
            except _NotFlat:
                return self.pipe(*args)
        value = self.pipe(*args)
        if program is not None:
            try:
                self.checked = _same_result(program(*args), value)
            except Exception:  # noqa: BLE001 - anything the pipe did not raise: keep the pipe
                self.checked = False
            if not self.checked:
                self.program = None
        return value

    def ranges_at(self, row: int, col: int) -> list[dict] | None:
        """The input ranges of the formula moved to (row, col), or None when the moved formula
        does not read as this one (two references that coincide here and part there)."""
        if (row, col) == (self.row, self.col):
            return self.inputs
        dr, dc = row - self.row, col - self.col
        out = []
        for group in self.moves:
            if isinstance(group, dict):  # a defined name's range
                out.append(group)
                continue
            names = set()
            rng = None
            for ref_text in group:
                moved = Translator.translate_range(ref_text, dr, dc)
                try:
                    rng = Ranges.get_range(moved, self.context)
                except Exception:  # noqa: BLE001 - moved off the sheet (#REF!)
                    return None
                names.add(rng["name"])
            if len(names) != 1:
                return None
            out.append(rng)
        if len({r["name"] for r in out}) != len(out):
            return None  # two inputs that are one here: the compiled formula takes them apart
        return out


def moved_ranges(compiled: _Compiled, row: int, col: int, ref: str) -> tuple[list | None, dict | None]:
    """The input and output ranges of `compiled` moved to (row, col) ("B7"), as ranges_at
    and formulas' get_range give them: (None, None) where it does not move there. The
    ranges of a formula read back are taken from its workbook's file (programs.Run), where
    this run also notes them."""
    if (row, col) == (compiled.row, compiled.col):
        return compiled.inputs, compiled.output
    run = programs.current()
    key = None if run is None or compiled.key is None else \
        (*compiled.key, str(compiled.row), str(compiled.col), ref)
    if key is not None and key in run.recalled["moved"]:
        try:
            moved = _moved_of(run.recalled["moved"][key], compiled)
        except (ValueError, TypeError, KeyError):
            pass  # moved afresh
        else:
            run.note("moved", key, run.recalled["moved"][key], known=True)
            return moved
    inputs = compiled.ranges_at(row, col)
    moved = (inputs, Ranges.get_range(ref, compiled.context)) if inputs is not None else (None, None)
    if key is not None:
        run.note("moved", key, None if inputs is None else
                 {"inputs": [None if isinstance(m, dict) else programs.range_code(r)
                             for m, r in zip(compiled.moves, inputs)],
                  "output": programs.range_code(moved[1])})
    return moved


def _moved_of(data, compiled: _Compiled) -> tuple[list | None, dict | None]:
    """moved_ranges' ranges from what it noted (a name's range is this workbook's own)."""
    if data is None:
        return None, None
    given = data["inputs"]
    if type(given) is not list or len(given) != len(compiled.moves):
        raise ValueError("the ranges of another formula")
    inputs = []
    for m, r in zip(compiled.moves, given):
        if isinstance(m, dict) != (r is None):
            raise ValueError("the ranges of another formula")
        inputs.append(m if r is None else programs.range_of(r))
    return inputs, programs.range_of(data["output"])


class _NotFlat(Exception):
    """A compiled formula whose pipe has more than plain function and data steps."""


_DATA_KEYS = {"type", "wait_inputs", "index", "filters"}
_FUNCTION_KEYS = {"type", "inputs", "outputs", "function", "wait_inputs", "index", "solve_cycle", "filters",
                  "extra_inputs"}


class _Program:
    """A compiled formula's pipe (schedula's DispatchPipe) run as the list of steps it is:
    each function node called on its inputs' values, each data node's filters applied, in
    the pipe's own order. schedula's bookkeeping per call (a solution, a workflow graph)
    costs about 0.2 ms, most of a filled-down cell's time; a pipe with anything else
    (sub-dispatchers, input domains, several outputs) raises _NotFlat and keeps schedula."""

    def __init__(self, pipe):
        dsp = pipe.dsp
        if len(pipe.outputs) != 1:
            raise _NotFlat
        self.inputs, self.output = list(pipe.inputs), pipe.outputs[0]
        self.defaults = {k: v["value"] for k, v in dsp.default_values.items()}
        self.steps, self.ids = [], []  # ids: each step's node, which names its function (data())
        for (_, _, (node_id, _)), _, sub in pipe.pipe:
            node = dsp.nodes[node_id]
            if sub:
                raise _NotFlat
            if node["type"] == "data" and not set(node) - _DATA_KEYS:
                if node.get("filters"):
                    self.steps.append((None, node_id, tuple(node["filters"])))
                    self.ids.append(node_id)
            elif node["type"] == "function" and not set(node) - _FUNCTION_KEYS and len(node["outputs"]) == 1 \
                    and set(node.get("extra_inputs", ())) <= set(self.defaults):
                # formulas' extra inputs (INDEX's "compiling" flag) are data nodes of their own,
                # among the function's inputs, with the value the pipe gives them
                self.steps.append((node["function"], tuple(node["inputs"]),
                                   (node["outputs"][0], tuple(node.get("filters", ())))))
                self.ids.append(node_id)
            else:
                raise _NotFlat
        self._lanes()

    def data(self) -> dict:
        """The program as JSON data (programs.py); raises programs.NotStorable."""
        P = programs
        if self.ids is None:
            raise P.NotStorable("a program read back")
        steps = []
        for (function, inputs, rest), node_id in zip(self.steps, self.ids):
            if function is None:
                steps.append([P.node_id(inputs), [P.filter_code(f) for f in rest]])
            else:
                steps.append([P.node_id(rest[0]), [P.filter_code(f) for f in rest[1]],
                              P.function_code(node_id, function), [P.node_id(i) for i in inputs]])
        return {"inputs": [P.node_id(i) for i in self.inputs], "output": P.node_id(self.output),
                "defaults": [[P.node_id(k), P.value_code(v)] for k, v in self.defaults.items()],
                "steps": steps}

    @classmethod
    def from_data(cls, data: dict) -> _Program:
        """The program data() gave; ValueError (KeyError, TypeError) for data that is not one."""
        P = programs
        self = cls.__new__(cls)
        self.inputs = [P.node_of(i) for i in data["inputs"]]
        self.output = P.node_of(data["output"])
        self.defaults = {P.node_of(k): P.value_of(v) for k, v in data["defaults"]}
        self.steps, self.ids = [], None  # read back, never stored again
        for step in data["steps"]:
            node, filters = P.node_of(step[0]), tuple(P.filter_of(f) for f in step[1])
            if len(step) == 2:  # a data node's filters
                self.steps.append((None, node, filters))
            else:
                _, _, function, inputs = step
                self.steps.append((P.function_of(function), tuple(P.node_of(i) for i in inputs), (node, filters)))
        self._lanes()
        return self

    def _lanes(self) -> None:
        """The steps as they run (`calls`): formulas' arithmetic operators in their lanes (lanes.py)."""
        self.calls = [(lanes.single(f) if f is not None and lanes.enabled else f, i, r) for f, i, r in self.steps]

    def __call__(self, *args):
        values = dict(self.defaults)
        values.update(zip(self.inputs, args))
        for function, inputs, rest in self.calls:
            if function is None:  # a data node's filters
                value = values[inputs]
                for f in rest:
                    value = f(value)
                values[inputs] = value
            else:
                value = function(*[values[k] for k in inputs])
                for f in rest[1]:
                    value = f(value)
                values[rest[0]] = value
            if value is sh.NONE:
                raise _NotFlat  # schedula would leave the node unset
        return values[self.output]


def _same_result(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and repr(a.tolist()) == repr(b.tolist())
    return repr(a) == repr(b)


def _bounds(rng: dict) -> tuple[int, int, int, int]:
    return int(rng["r1"]), int(rng["n1"]), int(rng["r2"]), int(rng["n2"])


class _Node:
    __slots__ = ("compiled", "inputs", "output", "cells", "sheet_id", "label")

    def __init__(self, compiled, inputs, output, cells, sheet_id, label):
        self.compiled, self.inputs, self.output = compiled, inputs, output
        self.cells, self.sheet_id, self.label = cells, sheet_id, label


def shape_key(sheet: str, shape: str) -> tuple[str, ...]:
    """programs.py's key of a formula shape of a sheet (by its name)."""
    return ("shape", sheet.upper(), shape)


def recalculate(pkg, cells: dict, found: list, names: dict[str, str], note_cell, reasons: dict,
                to_value, fresh: dict | None = None) -> dict:
    """The value of every cell, computed without formulas' model; raises Unsupported.

    `cells` and `found` are engine.formula_cells and the blocks of blocks.plan, `names` the
    definitions of the names they use (as `check` takes them); `note_cell`
    is a context manager naming the cell being computed, whose error reasons the planner's
    adapter keeps in `reasons`; `to_value(v, key)` turns an engine value of "SHEET!A1" into
    the value recalculate reports. A formula stored by an earlier run (programs.py) is read
    back instead of compiled; each one compiled here is put in `fresh` by its key, for the
    caller to store once the run has succeeded."""
    strings = _strings(pkg)
    name_ranges = {name: _reference(text) for name, text in names.items()}
    sheet_ids = {s.name: _sheet_id(s.name) for s in pkg.sheets}
    names_of = {sid: name for name, sid in sheet_ids.items()}
    store: dict[str, dict[tuple[int, int], object]] = {sid: {} for sid in sheet_ids.values()}
    formula_at: dict[tuple[str, int, int], int] = {}
    for sheet in pkg.sheets:
        sid = sheet_ids[sheet.name]
        values = store[sid]
        for ref, c in xlsx.index_cells(pkg.xml(sheet.part)).items():
            if c.find(_M + "f") is not None:
                continue
            v = _stored(c, strings)
            if v is not sh.EMPTY:
                values[xlsx.split_ref(ref)] = v

    remember = programs.enabled()

    def compile_at(sid, row, col, text, label, cell_ref=None, key=None):
        """A compiled formula, read back if stored. (A block of blocks.py is stored too: the
        run that compiles it computes its column twice, to check its program.)"""
        key = key or ("at", names_of[sid].upper(), cell_ref or label, text)
        stored = programs.read(key) if remember else None
        if stored and stored.get("program"):
            try:
                compiled = _Compiled.restore(stored["program"], sid, name_ranges)
                compiled.key = key
                return compiled
            except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                pass  # not an entry this code reads: compiled afresh, and stored again
        with note_cell(f"{names_of[sid].upper()}!{label}"):
            noted = len(reasons)
            compiled = _Compiled(sid, row, col, text, name_ranges, cell_ref)
            compiled.key = key
        # A part of the formula computed while compiling (constants only) whose error was
        # noted here would not be noted at the other cells of its shape: compile those too.
        # (Nor would it be noted in a later run that read the formula back: not stored either.)
        clean = len(reasons) == noted
        compiled.reusable = bool(compiled.inputs) and clean
        compiled.storable = clean
        compiled.verify = remember and compiled.storable
        if fresh is not None and compiled.storable:
            fresh[key] = compiled
        return compiled

    nodes: list[_Node] = []
    in_block = set()
    for b in found:
        sid = sheet_ids[b.sheet]
        refs = b.refs()
        node_cells = [xlsx.split_ref(r) for r in refs]
        compiled = compile_at(sid, b.first, node_cells[0][1], b.text, b.ref, cell_ref=b.ref)
        nodes.append(_Node(compiled, compiled.inputs, compiled.output, node_cells, sid, b.ref))
        in_block.update((b.sheet, r) for r in refs)
    shapes: dict[tuple[str, str], _Compiled] = {}
    from workbook.recalc.engine import own_formula  # the engine imports this module

    for key, fc in cells.items():
        if key in in_block:
            continue
        sid = sheet_ids[fc.sheet]
        row, col = xlsx.split_ref(fc.ref)
        if fc.kind == "array":  # one formula over its block, compiled on its own
            ref = fc.cells[0] if len(fc.cells) == 1 else f"{fc.cells[0]}:{fc.cells[-1]}"
            compiled = compile_at(sid, row, col, fc.text, ref, cell_ref=ref)
            nodes.append(_Node(compiled, compiled.inputs, compiled.output,
                               [xlsx.split_ref(c) for c in fc.cells], sid, ref))
            continue
        compiled = shapes.get((sid, fc.shape))
        inputs, output = moved_ranges(compiled, row, col, fc.ref) if compiled is not None else (None, None)
        if inputs is not None:
            compiled.shared = True
        else:
            compiled = compile_at(sid, row, col, own_formula(fc), fc.ref, key=shape_key(fc.sheet, fc.shape))
            # one read back may have been compiled at another cell
            inputs, output = moved_ranges(compiled, row, col, fc.ref)
            if inputs is None:  # and not move here: compiled at this cell (and stored for it)
                compiled = compile_at(sid, row, col, own_formula(fc), fc.ref)
                inputs, output = compiled.inputs, compiled.output
            if compiled.reusable:
                shapes.setdefault((sid, fc.shape), compiled)
        nodes.append(_Node(compiled, inputs, output, [(row, col)], sid, fc.ref))
    for i, node in enumerate(nodes):
        for row, col in node.cells:
            formula_at[(node.sheet_id, row, col)] = i

    order = _order(nodes, formula_at, set(store))
    read = [0]
    # Each range is read once, when the first formula reading it runs (every formula cell in
    # it has been computed by then), and handed to every formula reading it, as formulas'
    # model hands one range node's value to all the formulas that refer to it; it is let go
    # after its last reader.
    ranges: dict[str, Ranges] = {}
    readers = collections.Counter(rng["name"] for node in nodes for rng in node.inputs)
    for i in order:
        node = nodes[i]
        args = [_range_value(rng, store, read, ranges) for rng in node.inputs]
        for rng in node.inputs:
            readers[rng["name"]] -= 1
            if not readers[rng["name"]]:
                ranges.pop(rng["name"], None)
        with note_cell(f"{names_of[node.sheet_id].upper()}!{node.label}"):
            try:
                value = node.compiled.run(args)
            except sh.DispatcherError as ex:
                if not isinstance(ex.ex, NotImplementedError):
                    raise Unsupported("a formula that raised") from None
                value = Error.errors["#NAME?"]  # as formulas' CellWrapper gives it
            except NotImplementedError:  # the same, raised in a program
                value = Error.errors["#NAME?"]
            except Exception:  # noqa: BLE001 - the model reports it, cell by cell
                raise Unsupported("a formula that raised") from None
        grid = format_output(node.output, replace_empty(value)).value
        r0, c0, _, _ = _bounds(node.output)
        values = store[node.sheet_id]
        for row, col in node.cells:
            values[(row, col)] = grid[row - r0, col - c0]

    out: dict[tuple[str, str], object] = {}
    for sid, values in store.items():
        sheet = names_of[sid]
        upper = sheet.upper()
        for (row, col), v in values.items():
            ref = f"{get_column_letter(col)}{row}"
            out[(sheet, ref)] = to_value(v, f"{upper}!{ref}")
    return out


def _range_value(rng: dict, store: dict, read: list, known: dict) -> Ranges:
    """The input `rng` as formulas' model hands it to a formula: its cells' values, empty
    cells as sh.EMPTY; `known` holds the ranges read so far, by name. `read` counts the
    cells all formulas have read, against the limit."""
    r1, c1, r2, c2 = _bounds(rng)
    size = (r2 - r1 + 1) * (c2 - c1 + 1)
    read[0] += size
    if size > limits.RANGE_CELLS:  # a range that grew down a column past the limit
        raise xlsx.XlsxError(f"a formula reads {size:,} cells of one range ({rng['name']}); the embedded "
                             f"engine reads at most {limits.RANGE_CELLS:,} (a whole column is 1,048,576)")
    if read[0] > limits.READ_CELLS:
        raise xlsx.XlsxError(f"the formulas read more than {limits.READ_CELLS:,} cells of ranges in all "
                             f"(at {rng['name']}); the embedded engine reads at most that")
    if rng["name"] in known:
        return known[rng["name"]]
    values = store[rng["sheet_id"]]
    if r1 == r2 and c1 == c2:
        grid = np.array([[values.get((r1, c1), sh.EMPTY)]], dtype=object)
    else:
        grid = np.empty((r2 - r1 + 1, c2 - c1 + 1), dtype=object)
        get = values.get
        for i, row in enumerate(range(r1, r2 + 1)):
            grid[i, :] = [get((row, col), sh.EMPTY) for col in range(c1, c2 + 1)]
    known[rng["name"]] = Ranges().set_value(rng, grid)
    return known[rng["name"]]


def _order(nodes: list[_Node], formula_at: dict, sheets: set) -> list[int]:
    """Node indices in dependency order (Kahn's algorithm); Unsupported on a cycle."""
    by_column: dict[tuple[str, int], list[int]] = collections.defaultdict(list)
    for sid, row, col in formula_at:
        by_column[(sid, col)].append(row)
    for rows in by_column.values():
        rows.sort()
    users: list[list[int]] = [[] for _ in nodes]
    waiting = [0] * len(nodes)
    for i, node in enumerate(nodes):
        needs = set()
        for rng in node.inputs:
            sid = rng["sheet_id"]
            if sid not in sheets:
                raise Unsupported("a reference to a sheet the workbook does not have")
            r1, c1, r2, c2 = _bounds(rng)
            if r1 < 1 or c1 < 1 or r2 >= MAX_ROW or c2 >= MAX_COL:
                raise Unsupported("a whole row or column")
            for col in range(c1, c2 + 1):
                rows = by_column.get((sid, col))
                if not rows:
                    continue
                for k in range(bisect.bisect_left(rows, r1), bisect.bisect_right(rows, r2)):
                    needs.add(formula_at[(sid, rows[k], col)])
        if i in needs:
            raise Unsupported("a formula that refers to itself")
        waiting[i] = len(needs)
        for j in needs:
            users[j].append(i)
    ready = collections.deque(i for i, n in enumerate(waiting) if n == 0)
    order = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for j in users[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                ready.append(j)
    if len(order) != len(nodes):
        raise Unsupported("a circular reference")
    return order

