"""Host 1: Excel desktop on Windows through the classic xlwings add-in.

On Windows, `xlwings.func/arg` are `xlwings.udfs.xlfunc/xlarg`, and the ribbon's Import
Functions runs `xlwings.udfs.import_udfs`, which writes one VBA function per formula
(`generate_vba_wrapper`) and registers descriptions and categories with Excel's
`Application.MacroOptions`. Here that very code runs on Linux: the Windows-only COM
modules are small stand-ins, and the Excel workbook is an object that records what
xlwings asks of it.
"""

import importlib.util
import io
import re
import sys
import types
from pathlib import Path

import pytest
import xlwings

import planner
import workbook
import workbook.addin.wrappers as wrappers

ENTRIES = list(planner.CATALOG.values())
IDS = [e.excel_name for e in ENTRIES]
UDFS_PATH = Path(workbook.__file__).parent / "addin" / "udfs.py"


def _com_stand_ins():
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.IID_IDispatch = object()
    pythoncom.CoInitialize = lambda: None
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *a, **k: None
    win32com.client = client
    return {"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com,
            "win32com.client": client}


@pytest.fixture(scope="module")
def classic():
    """xlwings.udfs imported with the COM stand-ins, and workbook/addin/udfs.py loaded as on Windows."""
    saved = {k: sys.modules.get(k) for k in [*_com_stand_ins(), "xlwings.udfs"]}
    saved_decorators = (xlwings.func, xlwings.arg)
    sys.modules.pop("xlwings.udfs", None)
    sys.modules.update(_com_stand_ins())
    try:
        import xlwings.udfs as xludfs

        # What xlwings/__init__.py binds on Windows with pywin32.
        xlwings.func, xlwings.arg = xludfs.xlfunc, xludfs.xlarg
        spec = importlib.util.spec_from_file_location("workbook.addin.udfs", UDFS_PATH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield xludfs, module
    finally:
        xlwings.func, xlwings.arg = saved_decorators
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


class Recorder:
    """An Excel workbook (the add-in or a macro workbook) that records xlwings' calls."""

    def __init__(self, name):
        self.Name = name
        self.imported = []
        self.macro_options = {}
        outer = self

        class Components:
            def Remove(self, component):
                pass

            def __call__(self, name):
                return name

            def Import(self, path):
                outer.imported.append(Path(path).read_text())

        class Application:
            Version = "16.0"

            def MacroOptions(self, macro, **kw):
                outer.macro_options[macro] = kw

        self.VBProject = types.SimpleNamespace(VBComponents=Components())
        self.Application = Application()


def expected_signature(entry, rename):
    args = ", ".join(("Optional " if p.optional else "") + rename(p.name) for p in entry.params)
    return f"Function {entry.excel_name}({args})"


@pytest.fixture(scope="module")
def vba(classic):
    xludfs, module = classic
    out = io.StringIO()
    xludfs.generate_vba_wrapper("workbook.addin.udfs", module, out, Recorder("Budget.xlsm"))
    return out.getvalue()


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_every_formula_gets_a_vba_function_with_its_arguments(classic, vba, entry):
    _, module = classic
    signature = expected_signature(entry, wrappers.excel_arg_name)
    assert signature in vba.splitlines()
    names = ", ".join(wrappers.excel_arg_name(p.name) for p in entry.params)
    assert (f'{entry.excel_name} = XLPy.CallUDF("workbook.addin.udfs", "{entry.excel_name}", '
            f"Array({names}), ThisWorkbook, Application.Caller)") in vba


def test_no_other_vba_functions(vba):
    declared = re.findall(r"^Function (\w+)\(", vba, flags=re.M)
    assert sorted(declared) == sorted(e.name.upper() for e in ENTRIES)


def test_formula_names_are_legal_and_not_cell_references():
    for entry in ENTRIES:
        name = entry.excel_name
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name) and len(name) <= 255
        assert not re.fullmatch(r"[A-Z]{1,3}[0-9]+|R[0-9]*C[0-9]*", name)  # A1 or R1C1 style


def test_vba_argument_names_are_legal(classic, vba):
    _, module = classic
    for entry in ENTRIES:
        for p in entry.params:
            name = wrappers.excel_arg_name(p.name)
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name)
            assert name.lower() not in wrappers._VBA_RESERVED


def test_import_functions_registers_categories_and_descriptions(classic):
    xludfs, module = classic
    book = Recorder("xlwings.xlam")
    xludfs.udf_modules["workbook.addin.udfs"] = {"module": module, "filename": str(UDFS_PATH), "filetime": None}
    pro = xludfs.__pro__
    xludfs.__pro__ = False  # the embedded-code lookup needs a live Excel
    try:
        xludfs.import_udfs("workbook.addin.udfs", book)
    finally:
        xludfs.__pro__ = pro
        xludfs.udf_modules.pop("workbook.addin.udfs", None)
    (code,) = book.imported
    assert 'Attribute VB_Name = "xlwings_udfs"' in code
    assert "ActiveWorkbook, Application.Caller" in code  # an add-in calls into the active workbook
    for entry in ENTRIES:
        options = book.macro_options[f"'xlwings.xlam'!{entry.excel_name}"]
        assert options["Category"] == entry.category
        assert options["Description"].startswith(wrappers.plain(entry.summary)[:40])
        assert "`" not in options["Description"]
        assert len(options["Description"]) <= 255
        docs = options["ArgumentDescriptions"]
        assert len(docs) == len(entry.params)
        for doc, p in zip(docs, entry.params):
            assert len(doc) <= 255 and doc.startswith(wrappers.plain(p.arg.doc)[:20])
            assert ("Optional" in doc) is p.optional
            if p.optional and p.default is not None:  # the default, as typed in a formula
                assert doc.endswith(f"default {wrappers.excel_default(p.default)}.")
            if p.arg.unit:
                assert f"[{p.arg.unit}]" in doc


def test_ranges_arrive_as_two_dimensional_arrays(classic):
    _, module = classic
    for entry in ENTRIES:
        for info in getattr(module, entry.excel_name).__xlfunc__["args"]:
            assert info["options"]["ndim"] == 2
            assert info["options"]["err_to_str"] is True  # error cells are passed on, not empty
            assert ("optional" in info) == entry.params[info["pos"]].optional


def test_calls_return_values_and_errors_with_their_reason(classic):
    _, module = classic
    # Arguments as xlwings' classic reader gives them with ndim=2; a missing one is its default.
    got = module.CHINCHILLA_N([[1e24], [-1.0], ["x"]], None)
    assert got[0][0] == pytest.approx(planner.chinchilla_n(1e24), rel=1e-12)
    # xlwings' COM bridge cannot return Excel error values, so the code and reason are text.
    assert got[1][0] == "#NUM! compute must be positive; got -1 FLOPs"
    assert got[2][0].startswith("#VALUE! compute must be a number")
    single = module.COMPUTE_FOR_LOSS([[1.0]], None)
    assert single.startswith("#NUM! target_loss") and "irreducible" in single
    assert module.TRAIN_FLOPS([[70e9]], [[1.4e12]], None) == planner.train_flops(70e9, 1.4e12)


def test_error_text_fits_what_xlwings_can_return(classic):
    # xlwings turns strings over 255 characters returned by a UDF into #VALUE!.
    _, module = classic
    long_reason = wrappers.cells.CellError("#NUM!", "law " + "very " * 80 + "wrong")
    text = wrappers.to_host([[1.0, long_reason]], "classic")[0][1]
    assert text.startswith("#NUM! law very") and len(text) <= 255
