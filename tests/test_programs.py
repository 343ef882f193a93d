"""Compiled formulas remembered across runs (workbook/recalc/programs.py): a workbook
computed from formulas read back from disk gives every cell the value, and every error
the reason, that compiling it afresh gives; what cannot be read back is compiled."""

from __future__ import annotations

from pathlib import Path

import json

import numpy as np
import openpyxl
import pytest
from formulas.functions import Array
from formulas.tokens.operand import Error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.workbook.defined_name import DefinedName

from workbook.addin.cells import CellError
from workbook.recalc import engine, grid, programs, xlsx

from test_fast_path import _SHAPES, _VALUES, _same, _scenario, random_sheet

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "templates").glob("*.xlsx"))


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """A cache directory of the test's own, and a count of formulas compiled and read back."""
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    done = {"compiled": 0, "read": 0}
    real_init, real_restore = grid._Compiled.__init__, grid._Compiled.restore.__func__

    def init(self, *a, **k):
        done["compiled"] += 1
        real_init(self, *a, **k)

    def restore(cls, *a, **k):
        compiled = real_restore(cls, *a, **k)
        done["read"] += 1
        return compiled

    monkeypatch.setattr(grid._Compiled, "__init__", init)
    monkeypatch.setattr(grid._Compiled, "restore", classmethod(restore))
    return tmp_path / "cache", done


def _shape_files(folder):
    """The entries of single formula shapes (not the files that keep a workbook's together)."""
    return [f for f in (folder / "formulas").glob("*.json") if not f.name.startswith("workbook-")]


def _drop_workbook_files(folder):
    for f in (folder / "formulas").glob("workbook-*.json"):
        f.unlink()


def _values(path):
    return engine.recalculate(xlsx.read_package(path)).values


def _off(path, monkeypatch):
    with monkeypatch.context() as m:
        m.setenv("PLANNER_CACHE_DIR", "off")
        return _values(path)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_a_template_read_back_gives_the_values_and_reasons_of_a_fresh_compile(path, cache, monkeypatch):
    folder, done = cache
    fresh = _off(path, monkeypatch)
    done["compiled"] = 0
    first = _values(path)
    compiled = done["compiled"]
    stored = sum(bool(json.loads(f.read_bytes())["program"]) for f in _shape_files(folder))
    assert done["read"] == 0 and stored > 0
    programs._read.clear()  # as a new process starts
    done["compiled"] = 0
    again = _values(path)
    _same(first, fresh)
    _same(again, fresh)
    # Every stored formula is read back; compiled are only the rest (blocks of blocks.py, and
    # formulas whose compile noted an error or whose program names what a file cannot).
    assert done["read"] == stored and done["compiled"] == compiled - stored


def test_the_scenario_read_back_keeps_reasons_noted_while_compiling(cache, tmp_path, monkeypatch):
    """=GPU_HOURS(1E24,0,0.5) fails while compiling (its arguments are constants): its reason
    would be lost by a formula read back, so it is compiled on every run."""
    path = _scenario(tmp_path / "s.xlsx")
    fresh = _off(path, monkeypatch)
    _values(path)
    again = _values(path)
    _same(again, fresh)
    assert "gpu must be positive" in again[("Plan", "L1")].reason
    assert cache[1]["read"] > 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_VALUES, _VALUES, _VALUES), min_size=1, max_size=6),
       shapes=st.lists(st.sampled_from(_SHAPES), min_size=1, max_size=4))
def test_random_sheets_read_back_give_a_fresh_compiles_values(tmp_path, monkeypatch, rows, shapes):
    """The same formulas over other values, in a cache shared between examples: each example
    reads back what earlier ones compiled."""
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "shared-cache"))
    path = random_sheet(tmp_path / "r.xlsx", rows, shapes)
    _same(_values(path), _off(path, monkeypatch))


def _named(path, target: str):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["B1"] = 2.0, 5.0, "=Rate*10"
    wb.defined_names["Rate"] = DefinedName("Rate", attr_text=f"Sheet!${target[0]}${target[1:]}")
    wb.save(path)
    return path


def test_a_name_read_back_stands_for_what_this_workbook_defines(cache, tmp_path):
    """The same formula, =Rate*10, in two workbooks whose Rate is another cell: the stored
    formula takes its names from the workbook it computes."""
    assert _values(_named(tmp_path / "a.xlsx", "A1"))[("Sheet", "B1")] == 20.0
    assert _values(_named(tmp_path / "b.xlsx", "A2"))[("Sheet", "B1")] == 50.0
    assert cache[1]["read"] == 1


def test_a_shape_stored_at_one_cell_is_read_back_where_it_starts_elsewhere(cache, tmp_path):
    def book(path, first):
        wb = openpyxl.Workbook()
        ws = wb.active
        for r in range(first, first + 5):  # a running sum: a chain, not a block of blocks.py
            ws[f"A{r}"], ws[f"B{r}"] = float(r), f"=A{r}*2+$C$1+B{r - 1}"
        ws["C1"] = 1.0
        wb.save(path)
        return path

    assert _values(book(tmp_path / "a.xlsx", 2))[("Sheet", "B4")] == 5.0 + 7.0 + 9.0
    values = _values(book(tmp_path / "b.xlsx", 20))
    assert [values[("Sheet", f"B{r}")] for r in range(20, 25)] == [41.0, 84.0, 129.0, 176.0, 225.0]
    assert cache[1]["read"] == 1


@pytest.mark.parametrize("damage", [b"", b"not json", b'{"key": 1}', b"[1, 2]"])
def test_a_damaged_entry_is_compiled_afresh(cache, tmp_path, monkeypatch, damage):
    folder, done = cache
    path = _scenario(tmp_path / "s.xlsx")
    fresh = _off(path, monkeypatch)
    _values(path)
    programs._read.clear()  # as a new process starts
    for entry in (folder / "formulas").glob("*.json"):
        entry.write_bytes(damage)
    _same(_values(path), fresh)
    assert done["read"] == 0


def test_an_entry_naming_a_function_formulas_lacks_is_compiled_afresh(cache, tmp_path, monkeypatch):
    """A well-formed file that names no table function (planted, or written by another
    version): its formula is compiled and the file stored again."""
    folder, done = cache
    path = _scenario(tmp_path / "s.xlsx")
    fresh = _off(path, monkeypatch)
    _values(path)
    programs._read.clear()
    _drop_workbook_files(folder)  # which would hold each entry as it was stored
    planted = kept = 0
    for file in _shape_files(folder):
        entry = json.loads(file.read_bytes())
        steps = [s for s in (entry["program"] or {}).get("program", {}).get("steps", []) if len(s) == 4]
        for step in steps:
            step[2] = ["fn", "NO_SUCH_FUNCTION"]
        planted += bool(steps)
        kept += bool(entry["program"]) and not steps  # a formula that only reads a cell (=Plan!H1)
        file.write_text(json.dumps(entry))
    assert planted
    _same(_values(path), fresh)
    assert done["read"] == kept
    programs._read.clear()
    _values(path)
    assert done["read"] == kept + kept + planted  # stored again, readable


def test_an_entry_of_the_wrong_shape_is_compiled_afresh(cache, tmp_path, monkeypatch):
    """Files that are entries for their keys but hold text where lists belong."""
    folder, done = cache
    path = _scenario(tmp_path / "s.xlsx")
    fresh = _off(path, monkeypatch)
    _values(path)
    programs._read.clear()
    engine._read_tokens.clear()
    _drop_workbook_files(folder)
    for file in _shape_files(folder):
        entry = json.loads(file.read_bytes())
        file.write_text(json.dumps({"key": entry["key"], "tokens": ["CHINCHILLA_N", "X"], "program": "x"}))
    _same(_values(path), fresh)
    assert done["read"] == 0


def test_off_stores_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNER_CACHE_DIR", "off")
    assert not programs.enabled()
    _values(_scenario(tmp_path / "s.xlsx"))
    assert not list(tmp_path.rglob("*.json"))


@pytest.mark.parametrize("value", [
    0, 7, -3, 2.5, float("inf"), float("nan"), np.float64(1e-300), np.float64("-inf"), True, False, np.bool_(True),
    "", "text", 'a "quote" and \u00e9', Error.errors["#DIV/0!"], Error.errors["#N/A"], engine.OMITTED,
    np.array([[1, "x"], [2.5, Error.errors["#REF!"]]], dtype=object).view(Array),
    np.array([[np.float64(1.5), True]], dtype=object),
])
def test_a_constant_reads_back_as_the_same_value_of_the_same_type(value):
    back = programs.value_of(json.loads(json.dumps(programs.value_code(value))))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.shape == value.shape and repr(back.tolist()) == repr(value.tolist())
        assert all(type(a) is type(b) for a, b in zip(back.ravel(), value.ravel()))
    else:
        assert repr(back) == repr(value)


@pytest.mark.parametrize("value", [object(), {"a": 1}, np.array([1.0, 2.0]), [1, 2], None])
def test_a_constant_of_another_kind_is_not_stored(value):
    with pytest.raises(programs.NotStorable):
        programs.value_code(value)


def test_an_error_read_back_is_formulas_own_error_value():
    back = programs.value_of(programs.value_code(Error.errors["#NUM!"]))
    assert back is Error.errors["#NUM!"]
    assert isinstance(engine._value(back), CellError)


def test_a_lookup_is_stored_with_formulas_compiling_flag_and_read_back(cache, tmp_path, monkeypatch):
    """INDEX takes formulas' "compiling" flag as an extra input, a node named by a token."""
    folder, done = cache
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, (name, flops) in enumerate([("A100", 3.12e14), ("H100", 9.89e14), ("B200", 2.25e15)], start=1):
        ws[f"A{r}"], ws[f"B{r}"] = name, flops
    ws["C1"], ws["D1"] = "H100", "=INDEX(B1:B3,MATCH(C1,A1:A3,0))*2"
    wb.save(tmp_path / "l.xlsx")
    fresh = _off(tmp_path / "l.xlsx", monkeypatch)
    _values(tmp_path / "l.xlsx")
    programs._read.clear()
    done["compiled"] = done["read"] = 0
    again = _values(tmp_path / "l.xlsx")
    assert again[("Sheet", "D1")] == 2 * 9.89e14
    _same(again, fresh)
    assert done == {"compiled": 0, "read": 1}
    (entry,) = [json.loads(f.read_bytes()) for f in _shape_files(folder)]
    assert ["token", "compiling"] in [k for k, _ in entry["program"]["program"]["defaults"]]


@pytest.mark.parametrize("path", [p for p in TEMPLATES if p.stem in ("deployment_plan", "benchmark_forecast")],
                         ids=lambda p: p.stem)
def test_a_workbook_read_back_opens_one_file_and_tokenises_nothing(path, cache, monkeypatch):
    """Its next run takes every entry and every formula's tokens from the workbook's file."""
    folder, done = cache
    fresh = _off(path, monkeypatch)
    _values(path)
    programs._read.clear()
    engine._pieces.clear()  # as a new process starts
    opened = []
    real = programs._read_file
    monkeypatch.setattr(programs, "_read_file", lambda f, key, limit: opened.append(key[0]) or real(f, key, limit))
    monkeypatch.setattr(engine, "_split_tokens", lambda *a: pytest.fail("a formula was tokenised"))
    monkeypatch.setattr(grid._Compiled, "ranges_at", lambda *a: pytest.fail("a formula was moved"))
    monkeypatch.setattr(engine, "shape_of", lambda *a: pytest.fail("a formula's shape was worked out"))
    done["compiled"] = done["read"] = 0
    _same(_values(path), fresh)
    assert opened == ["workbook"] and done["read"] > 0


def test_a_workbooks_file_is_written_once(cache, tmp_path, monkeypatch):
    """Its next runs find everything they note in it, and leave it as it is."""
    folder, _ = cache
    path = _scenario(tmp_path / "s.xlsx")
    _values(path)
    (kept,) = (folder / "formulas").glob("workbook-*.json")
    first = kept.read_bytes()
    written = []
    real = programs._write_file
    monkeypatch.setattr(programs, "_write_file", lambda f, key, *a: written.append(key[0]) or real(f, key, *a))
    for _ in range(2):
        programs._read.clear()
        engine._pieces.clear()  # as a new process starts
        _values(path)
    assert written == [] and kept.read_bytes() == first


def test_a_very_large_workbooks_file_leaves_out_its_notes_by_cell(cache, tmp_path, monkeypatch):
    """Past programs.CELL_NOTES formula cells, shapes and moved ranges are worked out on
    every run (the file keeps its entries and tokens), and the file is still written once."""
    folder, _ = cache
    monkeypatch.setattr(programs, "CELL_NOTES", 10)
    path = _scenario(tmp_path / "s.xlsx")
    fresh = _off(path, monkeypatch)
    _values(path)
    (kept,) = (folder / "formulas").glob("workbook-*.json")
    first = json.loads(kept.read_bytes())
    assert first["entries"] and first["pieces"] and "shapes" not in first and "moved" not in first
    programs._read.clear()
    engine._pieces.clear()
    _same(_values(path), fresh)
    assert json.loads(kept.read_bytes()) == first


def _plant(folder, change):
    for file in (folder / "formulas").glob("workbook-*.json"):
        kept = json.loads(file.read_bytes())
        change(kept)
        file.write_text(json.dumps(kept))


@pytest.mark.parametrize("change", ["pieces of another text", "entries under bad keys", "not lists",
                                    "moved ranges of another formula", "moved ranges that are not ranges",
                                    "shapes that are not text"])
def test_a_planted_workbook_file_changes_no_value(cache, tmp_path, monkeypatch, change):
    """Pieces that do not spell their text, entries whose keys are not text, and fields of
    other types are left out: what they would have given is tokenised or read afresh."""
    folder, done = cache
    path = _scenario(tmp_path / "s.xlsx")
    fresh = _off(path, monkeypatch)
    _values(path)

    def plant(kept):
        if change == "pieces of another text":
            for item in kept["pieces"]:
                if item[1]:
                    item[1] = [[["Z"], False]] + item[1][1:]  # a first token of another text
        elif change == "moved ranges of another formula":
            assert kept["moved"]
            for item in kept["moved"]:
                if item[1]:
                    item[1]["inputs"].append(item[1]["inputs"][0])
        elif change == "moved ranges that are not ranges":
            for item in kept["moved"]:
                if item[1]:
                    item[1]["output"] = [1]
                    item[1]["inputs"] = [{"name": [2]} for _ in item[1]["inputs"]]
            kept["moved"][0][1] = {"output": {}}  # and one without its inputs
        elif change == "shapes that are not text":
            assert kept["shapes"]
            for item in kept["shapes"]:
                item[1] = [item[1]]
        elif change == "entries under bad keys":
            for entry in kept["entries"]:
                entry["key"] = [1, 2]
        else:
            kept["entries"], kept["pieces"] = "x", {"a": 1}

    _plant(folder, plant)
    programs._read.clear()
    engine._pieces.clear()
    monkeypatch.setattr(engine, "_recalculate_model", lambda *a: pytest.fail("left to the model"))
    _same(_values(path), fresh)
    assert done["read"] > 0  # from the shapes' own files
