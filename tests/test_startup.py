"""What a run of the engine imports: openpyxl's __init__ (its whole reader and writer) runs
only when something needs it, and the stand-ins for its parts give what openpyxl gives; and
which objects the `planner` command leaves out of the cycle collector's passes."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet._reader import _cast_number as openpyxl_cast_number

from workbook.recalc import depends, engine, grid, xlsx

ROOT = Path(__file__).resolve().parents[1]


def _fresh(script: str, *args) -> str:
    """stdout of `script` run by a new interpreter (this one has openpyxl imported whole)."""
    out = subprocess.run([sys.executable, "-c", "import sys\n" + script, *map(str, args)], capture_output=True,
                         text=True, cwd=ROOT, check=True)
    return out.stdout


def test_computing_a_template_never_runs_openpyxls_init(tmp_path):
    path = ROOT / "templates" / "deployment_plan.xlsx"
    script = ("from workbook.recalc import engine, xlsx\n"
              "v = engine.recalculate(xlsx.read_package(sys.argv[1])).values\n"
              "import json\n"
              "print(json.dumps([sorted(m for m in sys.modules if m.startswith('openpyxl.')),"
              " {f'{s}!{r}': repr(x) for (s, r), x in v.items()}]))\n")
    imported, values = json.loads(_fresh(script, path))
    assert set(imported) <= {"openpyxl.formula", "openpyxl.formula.tokenizer", "openpyxl.formula.translate",
                             "openpyxl.utils", "openpyxl.utils.cell", "openpyxl.utils.exceptions",
                             "openpyxl.utils.formulas"}
    here = engine.recalculate(xlsx.read_package(path)).values  # this process: openpyxl imported as usual
    assert values == {f"{s}!{r}": repr(x) for (s, r), x in here.items()}


@pytest.mark.parametrize("use", [
    "from openpyxl.styles import Font\nimport openpyxl\nassert Font is openpyxl.styles.Font",
    "from openpyxl.workbook.defined_name import DefinedName\nimport openpyxl\n"
    "assert sys.modules['openpyxl.workbook'].Workbook is openpyxl.Workbook",
    "import openpyxl.workbook\nimport openpyxl\nassert openpyxl.workbook.Workbook is openpyxl.Workbook",
    "import openpyxl\nassert openpyxl.load_workbook('templates/training_budget.xlsx').sheetnames[0] == 'About'",
    "import openpyxl.reader.excel as r\nimport openpyxl\nassert r.load_workbook is openpyxl.load_workbook",
    "import openpyxl\nassert openpyxl.__version__ and openpyxl.DEFUSEDXML in (True, False)",
])
def test_openpyxl_imported_after_the_engine_is_openpyxl(use):
    """Whichever part of openpyxl is used first, after the engine: the package's __init__
    runs first, once, and every module is the one the package itself holds."""
    out = _fresh("import workbook.recalc.engine\n"
                 "assert 'openpyxl.workbook' not in sys.modules\n"
                 f"{use}\n"
                 "import openpyxl, openpyxl.utils.cell\n"
                 "assert openpyxl.__spec__.origin.endswith('__init__.py') and 'openpyxl.workbook' in sys.modules\n"
                 "assert openpyxl.utils.cell is sys.modules['openpyxl.utils.cell']\n"
                 "assert all(m.__spec__.name == n for n, m in sys.modules.items() if n.startswith('openpyxl.'))\n"
                 "print('ok')\n")
    assert out == "ok\n"


@given(st.from_regex(r"\A-?[0-9]{1,20}(\.[0-9]{0,10})?([eE][+-]?[0-9]{1,3})?\Z"))
def test_a_stored_number_reads_as_openpyxl_reads_it(text):
    ours, theirs = grid._cast_number(text), openpyxl_cast_number(text)
    assert type(ours) is type(theirs) and repr(ours) == repr(theirs)


@pytest.mark.parametrize("text", [
    "'Details'!$B$7", "Plan!$A$1:$B$3", "'My Sheet'!A1,'My Sheet'!C3", "'It''s'!$A$1", "$A$1", "42", '"text"',
    "=SUM(Plan!A1:A3)", "Plan!A:A", "#REF!", "", "FALSE", "'Plan'!$A$3,'Decision'!$A$3",
])
def test_a_names_cells_are_openpyxls_destinations(text):
    try:
        theirs = [(s, r.replace("$", "")) for s, r in DefinedName("n", attr_text=text).destinations]
    except Exception:  # noqa: BLE001 - what depends.destinations reads as no cells
        theirs = []
    assert depends.destinations(text) == theirs


def test_the_planner_command_leaves_its_modules_out_of_the_cycle_collector(tmp_path):
    """The `planner` process freezes (gc.freeze) what it imported and, as it ends, everything:
    a caller of main() in a process that goes on (a test, a server) keeps its collector whole."""
    script = ("import gc, atexit\n"
              "atexit.register(lambda: print(gc.get_freeze_count() > 0))\n"
              "sys.argv = ['planner', *sys.argv[1:]]\n"
              "from workbook.cli import main\n"
              "main(None if sys.argv[1] == 'calc' else sys.argv[2:])\n")
    path = ROOT / "templates" / "training_budget.xlsx"
    out = tmp_path / "out.xlsx"
    assert _fresh(script, "calc", path, "--out", out).split()[-1] == "True"
    assert _fresh(script, "call", "calc", path, "--out", out).split()[-1] == "False"
    from workbook import cli  # and in this process

    frozen = gc.get_freeze_count()
    assert cli.main(["calc", str(path), "--out", str(out)]) == 0
    assert gc.get_freeze_count() == frozen
