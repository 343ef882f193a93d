"""The engine's fast path (workbook/recalc/grid.py): a workbook computed shape by shape gives
every cell the value, and every error the reason, that formulas' model gives it; what the
fast path does not take is left to the model."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner
from workbook.addin.cells import CellError
from workbook.recalc import engine, grid, xlsx


def _both(path, vectorise=True):
    pkg = xlsx.read_package(path)
    return (engine.recalculate(pkg, vectorise=vectorise).values,
            engine.recalculate(xlsx.read_package(path), vectorise=vectorise, fast=False).values)


def _same(fast: dict, model: dict) -> None:
    """Equal values cell by cell (floats to the bit, errors with their reasons); the model
    also lists the empty cells its ranges read, as None."""
    for key in set(fast) | set(model):
        a, b = fast.get(key), model.get(key)
        assert type(a) is type(b) and (a == b or a != a and b != b), (key, a, b)
        if isinstance(a, CellError):
            assert a.reason == b.reason, (key, a.reason, b.reason)


def _leaves(path) -> str | None:
    """Why the fast path leaves the workbook to the model, or None when it computes it."""
    pkg = xlsx.read_package(path)
    try:
        engine.fast_path_check(pkg, engine.formula_cells(pkg))
    except grid.Unsupported as exc:
        return str(exc)
    return None


def _scenario(path, rows=30):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    other = wb.create_sheet("My Other")
    other["A1"], other["B1"] = 0.4, "H100"
    for r in range(2, rows + 2):
        # budgets, with a blank, a text, a negative, an error, a boolean and a whole number
        ws[f"A{r}"] = {7: None, 9: "lots", 11: -1.0, 13: "=1/0", 15: True, 17: 3}.get(r, 1e22 * (1 + r / rows))
        ws[f"B{r}"] = f"=CHINCHILLA_N(A{r})"
        ws[f"C{r}"] = f"=CHINCHILLA_D(A{r},$H$1)"
        ws[f"D{r}"] = f"=GPU_HOURS(6*B{r}*C{r},'My Other'!$B$1,'My Other'!$A$1)"
        ws[f"E{r}"] = f"=B{r}*C{r}*6+-A{r}%"
        ws[f"F{r}"] = f"=IF(SUM(B{r}:E{r})>0,1,0)"
        ws[f"G{r}"] = f"=G{r - 1}+1" if r > 2 else "=1"
        ws[f"I{r}"] = f'=IF(ISNUMBER(A{r}),TEXT(A{r},"0.0E+0")&" FLOPs","no budget")'
        ws[f"J{r}"] = f"=SUM($B$2:B{r})/COUNT($B$2:B{r})"  # a running mean: ranges that grow
        ws[f"K{r}"] = f"=MAX(A{r},A{r + 1})-MIN(A$2:A{r + 1})"
    ws["H1"] = "epoch"
    ws["L1"] = "=GPU_HOURS(1E24,0,0.5)"  # constants only: computed (and its reason noted) compiling
    ws["L2"] = "=GPU_HOURS(1E24,0,0.5)"
    ws["L3"] = "=NORM.S.INV(0.975)*2"  # a statistics function, its scipy imported when used
    ws["L4"] = '="a_x000D_b"&Plan!H1'
    wb.save(path)
    return path


@pytest.mark.parametrize("vectorise", [True, False])
def test_the_fast_path_gives_the_models_values_and_reasons(tmp_path, vectorise):
    path = _scenario(tmp_path / "s.xlsx")
    assert _leaves(path) is None
    fast, model = _both(path, vectorise)
    _same(fast, model)
    assert fast[("Plan", "B20")] == pytest.approx(planner.chinchilla_n(1e22 * (1 + 20 / 30)), rel=1e-15)
    assert fast[("Plan", "B7")] == CellError("#VALUE!", "compute is empty; it needs a number (FLOPs)")
    assert fast[("Plan", "L1")].code == fast[("Plan", "L2")].code == "#NUM!"
    assert "gpu must be positive" in fast[("Plan", "L2")].reason
    assert fast[("Plan", "G31")] == 30.0 and fast[("Plan", "L3")] == pytest.approx(3.919927969)


def test_a_plain_workbook_never_reaches_the_model(tmp_path, monkeypatch):
    path = _scenario(tmp_path / "s.xlsx")
    monkeypatch.setattr(engine, "_recalculate_model", lambda *a: pytest.fail("the model was used"))
    values = engine.recalculate(xlsx.read_package(path)).values
    assert values[("Plan", "F20")] == 1.0


@pytest.mark.parametrize("cells, names, why, b1", [
    ({"A1": 2, "B1": "=ROW()*A1"}, {}, "a function that reads its own cell", 2.0),
    ({"A1": 2, "B1": "=A1*Rate"}, {"Rate": "0.5"}, "the name RATE, which is not one range", 1.0),
    ({"A1": 2, "B1": "=A1*Budget"}, {"Budget": "Sheet!$A$1*2"}, "the name BUDGET, which is not one range", 8.0),
    ({"A1": 2, "B1": "=A1*Other"}, {}, "a name that is not defined here", CellError("#NAME?", "Other is not a defined name")),
    ({"A1": 2, "B1": "=A1*2"}, {"Params": "CHINCHILLA_N(1E24)"}, "a name computed with planner formulas", 4.0),
    ({"A1": 2, "B1": "=SUM(A:A)"}, {}, "a whole row or column", 2.0),
    ({"A1": "=B1+1", "B1": "=A1+1"}, {}, "a circular reference", None),
    ({"A1": 2, "B1": "=A1*Budget"}, {"Budget": "Sheet!$A$1"}, None, 4.0),
])
def test_what_the_fast_path_leaves_to_the_model_is_computed_there(tmp_path, cells, names, why, b1):
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    ws = wb.active
    for ref, v in cells.items():
        ws[ref] = v
    for name, text in names.items():
        wb.defined_names[name] = DefinedName(name, attr_text=text)
    wb.save(tmp_path / "b.xlsx")
    checked = _leaves(tmp_path / "b.xlsx")
    assert checked == why or why in ("a whole row or column", "a circular reference") and checked is None
    try:
        fast = engine.recalculate(xlsx.read_package(tmp_path / "b.xlsx"))
    except engine.EngineError as exc:  # the circular reference: the model's own message
        with pytest.raises(engine.EngineError) as model:
            engine.recalculate(xlsx.read_package(tmp_path / "b.xlsx"), fast=False)
        assert str(exc) == str(model.value) and "circular" in str(exc)
        return
    _same(fast.values, engine.recalculate(xlsx.read_package(tmp_path / "b.xlsx"), fast=False).values)
    assert fast.values[("Sheet", "B1")] == b1


def test_every_template_is_computed_on_the_fast_path_with_the_models_values(monkeypatch):
    for path in sorted((Path(__file__).resolve().parents[1] / "templates").glob("*.xlsx")):
        model = engine.recalculate(xlsx.read_package(path), fast=False).values
        with monkeypatch.context() as m:
            m.setattr(engine, "_recalculate_model", lambda *a, p=path: pytest.fail(f"{p.name} left to the model"))
            fast = engine.recalculate(xlsx.read_package(path)).values
        _same(fast, model)


_VALUES = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.integers(-5, 5),
                    st.sampled_from(["", "text", "12", True, False, "=1/0", "=NA()"]))
_SHAPES = ["=A{r}*2-B{r}", "=SUM(A{r}:C{r})", '=IF(A{r}>0,A{r},"neg")', "=CHINCHILLA_N(A{r}*1E22)",
           "=$A$1+A{r}", '=A{r}&"x"&B{r}', "=AVERAGE(A$1:A{r})", "=D{p}+1", "=MAX(A{r},B{n})",
           "=SCALING_LOSS(ABS(A{r})*1E9+1,1E12)", "=IFERROR(1/A{r},-1)", "=COUNTIF(A$1:C{r},\">0\")",
           "=A{r}*12E+2+B{r}"]  # 12E+2: openpyxl's tokenizer reads "12E", "+", "2"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_VALUES, _VALUES, _VALUES), min_size=1, max_size=8),
       shapes=st.lists(st.sampled_from(_SHAPES), min_size=1, max_size=4))
def test_random_sheets_give_the_same_values_on_both_paths(tmp_path, rows, shapes):
    fast, model = _both(random_sheet(tmp_path / "r.xlsx", rows, shapes))
    _same(fast, model)


def random_sheet(path, rows, shapes):
    """Values in columns A to C, and formula shapes of _SHAPES filled down D to G."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, row in enumerate(rows, start=1):
        for col, v in zip("ABC", row):
            if v is not None:
                ws[f"{col}{r}"] = v
        for col, shape in zip("DEFG", shapes):
            ws[f"{col}{r}"] = "=1" if "{p}" in shape and r == 1 else shape.format(r=r, p=r - 1, n=r + 1)
    wb.save(path)
    return path


def test_a_filled_down_column_runs_schedulas_pipe_for_its_first_cell_only(tmp_path, monkeypatch):
    """Each cell of a shape after the first runs as the compiled formula's plain list of steps
    (grid._Program), checked once against schedula's pipe."""
    from schedula.utils.dsp import DispatchPipe

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(1, 51):
        ws[f"A{r}"], ws[f"B{r}"], ws[f"C{r}"] = r, -r, f'=IF(SUM(A{r}:B{r})>=0,"even",MAX(A{r},1))'
    wb.save(tmp_path / "c.xlsx")
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))  # compiled here, not read back
    calls = []
    real = DispatchPipe.__call__
    monkeypatch.setattr(DispatchPipe, "__call__", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    values = engine.recalculate(xlsx.read_package(tmp_path / "c.xlsx")).values
    assert len(calls) == 1 and {values[("Sheet", f"C{r}")] for r in range(1, 51)} == {"even"}
    again = engine.recalculate(xlsx.read_package(tmp_path / "c.xlsx")).values  # read back: no pipe at all
    assert len(calls) == 1 and again == values
