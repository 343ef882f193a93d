"""`planner export-lite`: the exported main.py gives every formula through xlwings' Office.js machinery.

The exported main.py is loaded in a fresh Python process in which the installed `planner`
and `workbook` packages cannot be imported, so everything it needs must come from the file
itself, as in xlwings Lite. There it goes through `custom_functions_meta` and
`custom_functions_call` with the payloads Excel sends; the expected values are computed here,
by calling the planner directly.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import xlwings

import planner
from workbook import cli
from workbook.addin import lite
from workbook.addin.wrappers import excel_arg_name, plain

import catalog_examples as ce

ENTRIES = list(planner.CATALOG.values())

# Runs in the fresh process: blocks the installed packages, loads main.py as xlwings Lite
# does, then answers the calls given on stdin.
HARNESS = textwrap.dedent("""
    import asyncio, importlib.abc, importlib.util, json, sys
    from xlwings import server

    # While main.py runs, only the standard library, the packages of requirements.txt and
    # main.py's own embedded modules can be imported: nothing else exists in xlwings Lite.
    with open(sys.argv[2]) as f:
        ALLOWED = {line.strip() for line in f if line.strip()}
    EMBEDDED = ("planner", "workbook")
    refused = []

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            top = name.split(".")[0]
            if top in EMBEDDED or (top not in ALLOWED and top not in sys.stdlib_module_names
                                   and not top.startswith("_")):
                refused.append(name)
                raise ImportError(f"{name} is not available in xlwings Lite")
            return None

    sys.meta_path.insert(0, Block())

    for run in range(2):  # xlwings Lite runs main.py again after every edit
        spec = importlib.util.spec_from_file_location("main", sys.argv[1])
        main = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(main)
    refused_by_main = sorted({n.split(".")[0] for n in refused})
    try:  # the block is in force: main.py got everything it needed without such packages
        import openpyxl
        out_blocked = False
    except ImportError:
        out_blocked = True
    finders = [type(f).__name__ for f in sys.meta_path if type(f).__name__ == "_EmbeddedPlanner"]

    out = {"meta": server.custom_functions_meta(main), "results": [], "finders": finders,
           "blocked": out_blocked, "refused": refused_by_main,
           "same_planner": sys.modules["workbook.addin.cells"].planner is sys.modules["planner"],
           "origin": sys.modules["planner"].__spec__.origin, "formulas": main.FORMULAS,
           "defined_in_udfs": [n for n in vars(sys.modules["workbook.addin.wrappers"]) if n.isupper()
                               and hasattr(getattr(sys.modules["workbook.addin.wrappers"], n), "__xlfunc__")]}
    for data in json.load(sys.stdin):
        try:
            out["results"].append({"value": asyncio.run(server.custom_functions_call(data, main))})
        except Exception as exc:
            out["results"].append({"raised": f"{type(exc).__name__}: {exc}"})
    print(json.dumps(out))
""")


def payload(name, args):
    return {"func_name": name, "args": [a if a is None or isinstance(a, list) else [[a]] for a in args],
            "caller_address": "Office.js API client[Plan.xlsx]Sheet1!A1", "content_language": "en-US",
            "version": xlwings.__version__, "runtime": "1.4", "client": "Office.js"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("lite")
    assert cli.main(["export-lite", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def lite_run(exported):
    calls = [payload(e.excel_name, ce.example_args(e, ce.planner_call)) for e in ENTRIES]
    calls.append(payload("CHINCHILLA_N", [[[1e24], [-1.0], ["x"]], None]))
    calls.append(payload("CHINCHILLA_N", ["x", None]))
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    proc = subprocess.run([sys.executable, "-c", HARNESS, str(exported / "main.py"),
                           str(exported / "requirements.txt")],
                          input=json.dumps(calls), capture_output=True, text=True, env=env,
                          cwd=exported, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_export_writes_main_and_requirements(exported):
    assert sorted(p.name for p in exported.iterdir()) == ["main.py", "requirements.txt"]
    main = (exported / "main.py").read_text()
    assert "from xlwings import arg, func" in main
    reqs = (exported / "requirements.txt").read_text().split()
    # What xlwings Lite can install: numpy and scipy are built in Pyodide; xlwings and
    # threadpoolctl (Pyodide-aware since 3.3) are pure-Python wheels from PyPI.
    assert {"xlwings", "numpy", "scipy"} <= set(reqs) <= {"xlwings", "numpy", "scipy", "threadpoolctl"}


def test_requirements_are_exactly_the_third_party_imports():
    embedded = {"planner": (True, "import numpy\nimport os\nfrom . import x\ndef f():\n"
                                  "    from scipy import optimize\n"  # when a function runs: needed
                                  "    try:\n        import pythoncom\n"  # a probe: not needed
                                  "    except ImportError:\n        pass\n"),
                "planner.x": (False, "import sklearn.linear_model\nimport planner\n")}
    assert lite.requirements(embedded) == ["numpy", "scikit-learn", "scipy", "xlwings"]


def test_main_uses_only_its_embedded_planner(lite_run):
    assert lite_run["origin"] == "<embedded planner>"
    assert lite_run["finders"] == ["_EmbeddedPlanner"]  # run twice, installed once
    assert lite_run["same_planner"]
    assert lite_run["defined_in_udfs"] == []  # each formula is defined once, in main.py


def test_main_needs_nothing_beyond_requirements(lite_run):
    # The harness refused every import outside the standard library and requirements.txt
    # while main.py ran (openpyxl, formulas, tqdm, ... do not exist in xlwings Lite), and
    # main.py loaded and computed every formula all the same (the tests around this one).
    # What was refused were optional probes that numpy and scipy make and catch themselves.
    assert lite_run["blocked"]
    assert not {"planner", "workbook", "openpyxl", "defusedxml", "formulas", "tqdm"} & set(lite_run["refused"])


def test_meta_lists_every_formula(lite_run):
    meta = {f["name"]: f for f in lite_run["meta"]["functions"]}
    assert set(meta) == {e.excel_name for e in ENTRIES} == set(lite_run["formulas"])
    for entry in ENTRIES:
        f = meta[entry.excel_name]
        assert f["description"].startswith(plain(entry.summary)[:40]) and "`" not in f["description"]
        assert [p["name"] for p in f["parameters"]] == [excel_arg_name(p.name) for p in entry.params]
        assert [p.get("optional", False) for p in f["parameters"]] == [p.optional for p in entry.params]


@pytest.mark.parametrize("i", range(len(ENTRIES)), ids=[e.excel_name for e in ENTRIES])
def test_every_formula_returns_the_planner_value(lite_run, i):
    entry = ENTRIES[i]
    expected = ce.as_grid(entry, ce.planner_call(entry, ce.example_args(entry, ce.planner_call)))
    got = lite_run["results"][i]["value"]
    assert got == (expected if isinstance(expected, list) else [[expected]])


def test_errors_in_main(lite_run):
    column, single = lite_run["results"][len(ENTRIES):]
    assert column["value"][0][0] == pytest.approx(planner.chinchilla_n(1e24), rel=1e-12)
    assert column["value"][1:] == [[{"type": "Error", "errorType": "Num"}],
                                   [{"type": "Error", "errorType": "Value"}]]
    assert single["raised"].startswith("XlwingsError: compute must be a number")


def test_export_to_a_file_path_is_a_one_line_error(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("x")
    assert cli.main(["export-lite", "--out", str(target)]) != 0
    err = capsys.readouterr().err
    assert err.startswith("planner: ") and len(err.strip().splitlines()) == 1
