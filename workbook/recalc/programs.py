"""Compiled formulas remembered across runs, on disk: what a template's start-up costs.

Parsing and compiling one formula shape with formulas takes about a millisecond and a
half, and a template has up to 263 of them: most of its time as a whole process. What the
fast path keeps of a compile is small and plain: the functions and names a formula refers
to, its input and output ranges, and its program (grid._Program: which of formulas'
functions runs on which values, in which order). That is stored as JSON, one file per
formula shape of a sheet, and read back by the next run instead of compiling.

- Where: planner.diskcache's directory ($PLANNER_CACHE_DIR; "off" turns it off), in
  formulas/, each file named by a hash of its key, of formulas' and schedula's versions
  and of the engine's and the planner's code, so a file serves only the code that wrote it.
- What: data only. Functions are named by their keys in formulas' tables, values by type
  tags; reading a file never runs anything from it, and a file that does not read as an
  entry is ignored (its formula is compiled afresh).
- When: a program is stored only after it has given the compiled formula's own result at
  its cell (grid._Compiled.run), and only for formulas whose compile noted no error;
  anything else (a step that is not a table function, a value of another type) raises
  NotStorable, and that formula is compiled on every run, as without the cache.
- Together: the entries one workbook's run used, the tokens of its formulas' texts
  (engine._token_pieces), each formula's shape and the ranges a formula moved to another
  cell reads (grid.moved_ranges) are also kept in one file for that workbook (`Run`), which
  its next run reads first: one file instead of one per shape, and nothing worked out by
  cell. Every item in it is found by its own key (an entry by its shape, a shape by its
  formula's text and cell), so that file only says what to read at once.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import schedula as sh
import formulas
from formulas.builder import _default_filter
from formulas.functions import COMPILING, Array
from formulas.functions.operators import OPERATORS
from formulas.tokens.operand import Error, XlError

FORMAT = 1
_MAX_BYTES = 1 << 20  # an entry is a few kilobytes; a larger file is not one of ours
_MAX_WORKBOOK_BYTES = 1 << 25  # a workbook's entries together (a template's are about 1 MB)
_SUFFIX = re.compile(r"<\d+>$")  # schedula's suffix on a node id used twice (IF<0>)
# The code whose output is stored: the engine's, and the planner's and its cell adapter's,
# whose values a compile computes where a formula's arguments are constants (=A1*CHINCHILLA_N(1E24)).
_SOURCES = ("workbook/recalc/engine.py", "workbook/recalc/grid.py", "workbook/recalc/programs.py",
            "workbook/addin/cells.py", "planner/*.py")

# Values that are one object of their own kind (the engine's mark of an omitted argument,
# schedula's empty value): stored by name. The engine adds its own.
SPECIAL: dict[str, object] = {"empty": sh.EMPTY, "none": sh.NONE}


class NotStorable(Exception):
    """A compiled formula holds something this file format does not name."""


@functools.lru_cache(maxsize=1)
def _code() -> str | None:
    """A hash of everything a stored entry depends on but its key, or None where the engine's
    source is not a file (embedded): no cache then."""
    h = hashlib.sha256(f"{FORMAT}\0{formulas.__version__}\0{sh.__version__}".encode())
    root = Path(__file__).resolve().parents[2]
    try:
        for pattern in _SOURCES:
            files = sorted(root.glob(pattern))
            if not files:
                return None
            for path in files:
                h.update(path.name.encode() + b"\0" + path.read_bytes())
    except OSError:
        return None
    return h.hexdigest()


def _folder() -> Path | None:
    # Asked once per formula: looked up again only when the variables that place it change.
    return _folder_for(os.environ.get("PLANNER_CACHE_DIR"), os.environ.get("XDG_CACHE_HOME"),
                       os.environ.get("HOME"))


@functools.lru_cache(maxsize=16)
def _folder_for(*_environment) -> Path | None:
    from planner import diskcache

    where = diskcache.directory()
    return None if where is None or _code() is None else where / "formulas"


def enabled() -> bool:
    """Whether compiled formulas are remembered (the cache directory is on)."""
    return _folder() is not None


def _path(folder: Path, key: tuple[str, ...]) -> Path:
    h = hashlib.sha256(_code().encode())
    for part in key:
        h.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return folder / f"{'workbook-' if key[0] == 'workbook' else ''}{h.hexdigest()}.json"


_read: dict[tuple[Path, tuple], dict] = {}  # entries this process has read or written


class Run:
    """What one workbook's run read and stored: its entries by key, its formulas' tokens
    (engine._token_pieces) by the text between their digits, the ranges of formulas moved
    to other cells of their shape (grid.moved_ranges), and each formula's shape by its text
    and cell (engine.shape_of); `kept` is what its file held when the run began, `recalled`
    that file's tokens, ranges and shapes."""

    def __init__(self):
        self.key: tuple[str, ...] | None = None
        self.entries: dict[tuple, dict] = {}
        self.pieces: dict[tuple[str, ...], object] = {}
        self.moved: dict[tuple[str, ...], object] = {}
        self.shapes: dict[tuple[str, ...], object] = {}
        self.kept: dict | None = None
        self.recalled: dict[str, dict[tuple[str, ...], object]] = {section: {} for section in _SECTIONS}
        self.kept_entries: dict[tuple, dict] = {}
        self.fresh: set[str] = set()  # the sections with something the file does not hold
        self.by_cell = True  # whether notes by cell are kept (recall says, by the workbook's size)

    def sections(self) -> tuple[str, ...]:
        """The sections its file keeps beside the entries."""
        return _SECTIONS if self.by_cell else tuple(s for s in _SECTIONS if s not in _BY_CELL)

    def note(self, section: str, key: tuple[str, ...], value, known: bool = False) -> None:
        """Note `value` for the workbook's file; `known` when it is what the file held."""
        if section in _BY_CELL and not self.by_cell:
            return
        getattr(self, section)[key] = value
        if not known:
            self.fresh.add(section)


_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar("programs_run", default=None)


@contextlib.contextmanager
def recording():
    """Note what this run reads and stores (current()), for `keep`."""
    token = _run.set(Run())
    try:
        yield _run.get()
    finally:
        _run.reset(token)


def current() -> Run | None:
    return _run.get()


def read(key: tuple[str, ...]) -> dict | None:
    """The entry stored for `key` (a tuple of strings), or None: not stored, off, or unreadable."""
    folder = _folder()
    if folder is None:
        return None
    entry = _read.get((folder, key))
    if entry is None:
        entry = _read_file(folder, key, _MAX_BYTES)
        if entry is None:
            return None
        _read[(folder, key)] = entry
    run = _run.get()
    if run is not None:
        run.note("entries", key, entry, known=run.kept_entries.get(key) is entry)
    return entry


def _read_file(folder: Path, key: tuple[str, ...], limit: int) -> dict | None:
    try:
        path = _path(folder, key)
        if path.stat().st_size > limit:
            return None
        entry = json.loads(path.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != list(key):
        return None  # not an entry, or (a hash collision) another one
    return entry


def write(key: tuple[str, ...], entry: dict) -> None:
    """Store `entry` (JSON data) for `key`, whole or not at all; silently skipped when it
    cannot be written."""
    folder = _folder()
    if folder is None:
        return
    text = _write_file(folder, key, dict(entry, key=list(key)), _MAX_BYTES)
    if text is not None:
        stored = _read[(folder, key)] = json.loads(text)  # as a later run reads it back
        run = _run.get()
        if run is not None:
            run.note("entries", key, stored)


def _write_file(folder: Path, key: tuple[str, ...], entry: dict, limit: int) -> bytes | None:
    """The entry's text as stored, or None when it was not."""
    try:
        text = json.dumps(entry, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        return None
    if len(text) > limit:
        return None  # it would not be read back
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(text)
            os.replace(tmp, _path(folder, key))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        return None
    return text


# ---------------------------------------------------------------------------------------
# A workbook's entries together
# ---------------------------------------------------------------------------------------

def workbook_key(formulas_text) -> tuple[str, str]:
    """The key of a workbook's file, from its formulas: a tuple of text per formula (its
    sheet, cell, attributes and text)."""
    h = hashlib.sha256()
    for item in formulas_text:
        for part in item:
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        h.update(b"\1")
    return ("workbook", h.hexdigest())


_SECTIONS = ("pieces", "moved", "shapes")  # data by keys that are lists of text, beside the entries
_BY_CELL = ("moved", "shapes")  # one item per formula cell
CELL_NOTES = 65536  # the most formula cells whose notes by cell a workbook's file keeps


def _is_key(k) -> bool:
    return type(k) is list and bool(k) and all(type(x) is str for x in k)


def recall(key: tuple[str, str], cells: int) -> dict[str, dict[tuple[str, ...], object]]:
    """Read the workbook file `key` into this process's entries, as if each had been read
    (the current run notes it), and return (and note as the run's `recalled`) the formula
    tokens, moved ranges and shapes it holds, by their keys. Anything whose key is not a list of
    text is left out, and a file that is not one gives nothing. `cells` is the number of
    formula cells: past CELL_NOTES, nothing is noted by cell."""
    folder = _folder()
    run = _run.get()
    if folder is None or run is None:
        return {}
    run.key = key
    # A very large workbook's notes by cell are left out, to keep its file to about 10 MB
    # (50,000 formula cells take 7 MB, read back in 0.2 s where working them out takes 1 s).
    run.by_cell = cells <= CELL_NOTES
    kept = _read_file(folder, key, _MAX_WORKBOOK_BYTES)
    if kept is None:
        return run.recalled
    run.kept = kept
    entries = kept.get("entries")
    for entry in entries if isinstance(entries, list) else ():
        k = entry.get("key") if isinstance(entry, dict) else None
        if _is_key(k) and k[0] != "workbook":
            run.kept_entries[tuple(k)] = _read.setdefault((folder, tuple(k)), entry)
    for section in run.sections():
        items = kept.get(section)
        for item in items if isinstance(items, list) else ():
            if type(item) is list and len(item) == 2 and _is_key(item[0]):
                run.recalled[section][tuple(item[0])] = item[1]
    return run.recalled


def keep(run: Run) -> None:
    """Store the run's entries, tokens, moved ranges and shapes as its workbook's file,
    unless it holds them already."""
    folder = _folder()
    if folder is None or run.key is None:
        return
    sections = run.sections()
    if run.kept is not None and not run.fresh & {"entries", *sections} and \
            len(run.entries) == len(run.kept_entries) and \
            all(len(getattr(run, s)) == len(run.recalled[s]) for s in sections):
        return  # everything noted came from the file, and all of it: the file as it is
    entry = {"key": list(run.key), "entries": [run.entries[k] for k in sorted(run.entries)]}
    for section in sections:
        entry[section] = [[list(k), v] for k, v in sorted(getattr(run, section).items())]
    _write_file(folder, run.key, entry, _MAX_WORKBOOK_BYTES)


# ---------------------------------------------------------------------------------------
# Functions, filters, values and ranges as data
# ---------------------------------------------------------------------------------------

def function_code(node_id: str, function) -> list:
    """The name of a program step's function in formulas' tables; NotStorable for any other."""
    if function is sh.bypass:
        return ["bypass"]
    name = _SUFFIX.sub("", node_id).upper()
    if OPERATORS.get(name) is function:
        return ["op", name]
    entry = formulas.get_functions().get(name)  # .get: the table is a defaultdict
    if entry is function:
        return ["fn", name]
    if isinstance(entry, dict) and entry.get("function") is function:
        return ["fn", name, "function"]
    raise NotStorable(f"the function of {node_id}")


def function_of(code) -> object:
    """The function `code` names; ValueError when the tables do not hold it."""
    match code:
        case ["bypass"]:
            return sh.bypass
        case ["op", str(name)] if name in OPERATORS:
            return OPERATORS[name]
        case ["fn", str(name)] if name in formulas.get_functions():
            return formulas.get_functions()[name]
        case ["fn", str(name), "function"] if isinstance(formulas.get_functions().get(name), dict):
            return formulas.get_functions()[name]["function"]
    raise ValueError(f"no function {code!r}")


def filter_code(f) -> list:
    if f is _default_filter()[0]:
        return ["default"]
    raise NotStorable("a filter")


def filter_of(code):
    if code == ["default"]:
        return _default_filter()[0]
    raise ValueError(f"no filter {code!r}")


_SCALARS = {bool: "b", int: "i", str: "s", np.bool_: "b_", np.int64: "i64"}
_ARRAYS = {"A": Array, "nd": np.ndarray}


def value_code(v) -> list:
    """A constant of a program (a folded sub-expression, a literal) as tagged JSON data."""
    t = type(v)
    if t in _SCALARS:
        return [_SCALARS[t], v.item() if isinstance(v, np.generic) else v]
    if t is float or t is np.float64:
        return ["f" if t is float else "f64", float(v).hex()]  # exact, and inf and nan too
    if t is XlError and Error.errors.get(str(v)) is v:
        return ["e", str(v)]
    for name, obj in SPECIAL.items():
        if v is obj:
            return ["k", name]
    if (t is Array or t is np.ndarray) and v.dtype == object and not getattr(v, "__dict__", None):
        return ["A" if t is Array else "nd", list(v.shape), [value_code(x) for x in v.ravel()]]
    raise NotStorable(f"a value of type {t.__name__}")


def value_of(code):
    """The value value_code gave `code` for; ValueError (or KeyError, TypeError) for anything else."""
    tag, *rest = code
    if tag in ("f", "f64"):
        (text,) = rest
        x = float.fromhex(text)
        return x if tag == "f" else np.float64(x)
    for t, name in _SCALARS.items():
        if tag == name:
            (x,) = rest
            if type(x) is not (str if t is str else bool if t in (bool, np.bool_) else int):
                raise ValueError("a value of another type")
            return t(x)
    if tag == "e":
        return Error.errors[rest[0]]
    if tag == "k":
        return SPECIAL[rest[0]]
    if tag in _ARRAYS:
        shape, items = rest
        out = np.empty(len(items), dtype=object)
        out[:] = [value_of(x) for x in items]
        out = out.reshape([int(n) for n in shape])
        return out.view(Array) if tag == "A" else out
    raise ValueError(f"no value {tag!r}")


def range_code(rng: dict) -> dict:
    """A formulas range (its keys and values strings or whole numbers) as JSON data."""
    if not all(type(k) is str and type(v) in (str, int) for k, v in rng.items()):
        raise NotStorable("a range")
    return dict(rng)


def range_of(data) -> dict:
    if not isinstance(data, dict) or not all(type(k) is str and type(v) in (str, int) for k, v in data.items()):
        raise ValueError("not a range")
    return dict(data)


# Nodes named by one of formulas' tokens rather than by text: the flag its functions that
# have "extra inputs" (INDEX, OFFSET) take, False once compiled.
_TOKENS = {"compiling": COMPILING}


def node_id(x) -> str | list:
    if type(x) is str:
        return x
    for name, token in _TOKENS.items():
        if x is token:
            return ["token", name]
    raise NotStorable("a node that is not named by text")


def node_of(x) -> str:
    if type(x) is str:
        return x
    if type(x) is list and len(x) == 2 and x[0] == "token" and x[1] in _TOKENS:
        return _TOKENS[x[1]]
    raise ValueError("a node that is not named by text")
