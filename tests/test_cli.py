"""`planner calc` and `planner demo` end to end: values, --set, --freeze, atomic output, bad files."""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from book_builders import excel_style_book, mixed_book, n_opt, one_formula_book, scoped_names_book
from workbook.cli import main

ROOT = Path(__file__).resolve().parent.parent


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err, *words):
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("planner: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.fixture()
def book(tmp_path):
    return mixed_book(tmp_path / "plan.xlsx", about=True)


def test_calc_writes_values_and_keeps_formulas(capsys, book, tmp_path):
    out = tmp_path / "out.xlsx"
    before = sha(book)
    code, stdout, err = run(capsys, "calc", book, "--out", out)
    assert code == 0 and "formula cells computed" in stdout
    assert "Model Plan!B16 #NUM!" in err  # error cells are pointed out, with their reasons
    assert sha(book) == before  # the input is never modified
    values = openpyxl.load_workbook(out, data_only=True)["Model Plan"]
    assert math.isclose(values["B1"].value, n_opt(1e24), rel_tol=1e-12)
    assert math.isclose(values["B11"].value, n_opt(1e22), rel_tol=1e-12)
    assert values["B10"].value == "large model"
    assert values["B16"].value == "#NUM!" and values["B17"].value == "#VALUE!"
    formulas = openpyxl.load_workbook(out)["Model Plan"]
    assert formulas["B1"].value == "=CHINCHILLA_N(Budget)"
    assert formulas["B14"].value == "=Inputs!B1*2+MAX(Inputs!C1:C3)"


def test_other_parts_pass_through_unchanged(capsys, book, tmp_path):
    out = tmp_path / "out.xlsx"
    assert run(capsys, "calc", book, "--out", out)[0] == 0
    with zipfile.ZipFile(book) as a, zipfile.ZipFile(out) as b:
        charts = [n for n in a.namelist() if n.startswith("xl/charts/")]
        assert charts
        for name in charts + ["xl/styles.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"]:
            assert a.read(name) == b.read(name)
        # The values are current: no forced recalculation on opening (openpyxl's default).
        assert b'fullCalcOnLoad="1"' in a.read("xl/workbook.xml")
        assert b"fullCalcOnLoad" not in b.read("xl/workbook.xml")
        assert b"dataValidation" in b.read("xl/worksheets/sheet1.xml")
    wb = openpyxl.load_workbook(out)
    assert set(wb.defined_names) == {"Budget", "Ratio", "Budgets", "Opt_N", "Law_Row"}
    assert wb.defined_names["Opt_N"].attr_text == "CHINCHILLA_N(Inputs!$B$1)"  # kept without --freeze


def test_a_computed_copy_computed_again_keeps_its_sheets_byte_for_byte(capsys, book, tmp_path, monkeypatch):
    """Its cached values are the ones computed: no sheet is written anew, except one whose
    value an input changed, and that one holds what computing it afresh gives."""
    from workbook.recalc import xlsx

    first, again, changed = tmp_path / "1.xlsx", tmp_path / "2.xlsx", tmp_path / "3.xlsx"
    assert run(capsys, "calc", book, "--out", first)[0] == 0
    written = []
    real_write = xlsx.write_xml
    monkeypatch.setattr(xlsx, "write_xml", lambda root, ns: written.append(root.tag) or real_write(root, ns))
    assert run(capsys, "calc", first, "--out", again)[0] == 0
    assert written == []  # every part copied as it was
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(again) as b:
        sheets = [n for n in a.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) >= 2 and all(a.read(n) == b.read(n) for n in sheets)
    assert run(capsys, "calc", first, "--out", changed, "--set", "Budget=2e24")[0] == 0
    fresh = tmp_path / "fresh.xlsx"
    assert run(capsys, "calc", book, "--out", fresh, "--set", "Budget=2e24")[0] == 0
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(changed) as c, zipfile.ZipFile(fresh) as f:
        assert any(a.read(n) != c.read(n) for n in sheets)
        for n in sheets:
            assert _cached(c.read(n)) == _cached(f.read(n))


def _cached(xml: bytes) -> dict:
    """Each formula cell's cached value and type."""
    import xml.etree.ElementTree as ET

    m = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    return {c.get("r"): (c.get("t"), c.findtext(m + "v")) for c in ET.fromstring(xml).iter(m + "c")
            if c.find(m + "f") is not None}


def test_set_by_name_and_by_cell(capsys, book, tmp_path):
    out = tmp_path / "out.xlsx"
    code, _, _ = run(capsys, "calc", book, "--out", out, "--set", "Budget=2e24",
                     "--set", "Inputs!C1=5e22", "--set", "'Model Plan'!A1=Params (N)")
    assert code == 0
    wb = openpyxl.load_workbook(out, data_only=True)
    plan = wb["Model Plan"]
    assert math.isclose(plan["B1"].value, n_opt(2e24), rel_tol=1e-12)
    assert math.isclose(plan["B11"].value, n_opt(5e22), rel_tol=1e-12)
    assert plan["A1"].value == "Params (N)"
    assert wb["Inputs"]["B1"].value == 2e24


@pytest.mark.parametrize("text, value", [
    ("2e6", 2e6), ("1,000", 1000.0), ("1,000,000.5", 1000000.5), ("40%", 0.4), ("-3", -3.0),
    ("TRUE", True), ("false", False), ('"123"', "123"), ("H100 SXM", "H100 SXM"),
    ("1,5", "1,5"),  # not a thousands separator: kept as text rather than read as 15
    ("$2.50", 2.5), ("-$1,000", -1000.0), ("€ 3", 3.0), ("$abc", "$abc"),  # amounts as Excel reads them
])
def test_set_values(text, value):
    from workbook.recalc.calc import parse_value

    assert parse_value(text) == value and type(parse_value(text)) is type(value)


def test_set_a_named_constant_and_shared_formulas(capsys, tmp_path):
    src = excel_style_book(tmp_path / "excel.xlsx")
    out = tmp_path / "out.xlsx"
    assert run(capsys, "calc", src, "--out", out, "--set", "Scale=10", "--set", "runs!D1=per run")[0] == 0
    runs = openpyxl.load_workbook(out, data_only=True)["Runs"]
    assert runs["D1"].value == "per run" and runs["E1"].value == "note"  # shared strings intact
    assert [runs[f"C{r}"].value for r in (1, 2, 3)] == [c * 10 for c in (1e22, 1e23, 1e24)]
    assert math.isclose(runs["B3"].value, n_opt(1e24), rel_tol=1e-12)
    with zipfile.ZipFile(out) as z:
        assert "xl/calcChain.xml" not in z.namelist()  # rebuilt by Excel, never stale
        assert b"calcChain" not in z.read("xl/_rels/workbook.xml.rels")
        assert b"calcChain" not in z.read("[Content_Types].xml")


def test_set_over_the_master_of_a_shared_formula(capsys, tmp_path):
    src = excel_style_book(tmp_path / "excel.xlsx")
    out = tmp_path / "out.xlsx"
    assert run(capsys, "calc", src, "--out", out, "--set", "Runs!B1=7")[0] == 0
    runs = openpyxl.load_workbook(out)["Runs"]
    assert runs["B1"].value == 7
    assert runs["B2"].value == "=CHINCHILLA_N(A2)" and runs["B3"].value == "=CHINCHILLA_N(A3)"
    values = openpyxl.load_workbook(out, data_only=True)["Runs"]
    assert math.isclose(values["B3"].value, n_opt(1e24), rel_tol=1e-12)


def test_freeze_makes_a_hand_off_copy(capsys, book, tmp_path):
    out = tmp_path / "handoff.xlsx"
    code, stdout, _ = run(capsys, "calc", book, "--out", out, "--freeze", "--set", "Budget=3e24")
    assert code == 0 and "frozen" in stdout
    wb = openpyxl.load_workbook(out)
    plan = wb["Model Plan"]
    assert isinstance(plan["B1"].value, float) and math.isclose(plan["B1"].value, n_opt(3e24), rel_tol=1e-12)
    assert plan["B3"].value == "=ROUND(B2/B1, 6)"  # Excel's own formula stays live
    assert plan["B14"].value.startswith("=")
    assert plan["B4"].value == round(n_opt(3e24) / 1e9, 3)  # mixes ours: frozen
    assert plan["B16"].value == "#NUM!"
    assert plan["B20"].value == "=Opt_N/1E9"  # live, over a name that is now a constant
    assert float(wb.defined_names["Opt_N"].attr_text) == pytest.approx(n_opt(3e24), rel=1e-12)
    assert wb.defined_names["Law_Row"].attr_text == "{1.8172,482.01,2085.43,0.3478,0.3658}"  # the default
    about = [c.value for row in wb["About"].iter_rows() for c in row if c.value is not None]
    text = " ".join(map(str, about))
    assert "A test plan." in text  # the existing About text is kept
    assert "Frozen on" in text and "plan.xlsx" in text and "Budget" in text and 3e24 in about
    with zipfile.ZipFile(out) as z:
        assert b'fullCalcOnLoad="1"' in z.read("xl/workbook.xml")
    # No planner function is left anywhere.
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert not (isinstance(c.value, str) and "CHINCHILLA" in c.value and c.value.startswith("="))


def test_freeze_without_about_sheet_adds_one(capsys, tmp_path):
    src = excel_style_book(tmp_path / "excel.xlsx")
    out = tmp_path / "handoff.xlsx"
    assert run(capsys, "calc", src, "--out", out, "--freeze")[0] == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Runs", "Hand-off"]
    note = " ".join(str(c.value) for row in wb["Hand-off"].iter_rows() for c in row if c.value)
    assert "Frozen on" in note and "nothing changed" in note
    runs = wb["Runs"]
    assert isinstance(runs["B2"].value, float)  # a shared group with a planner formula: values
    assert runs["C2"].value == "=A2*Scale"  # Excel's shared formula: still live


def test_output_is_written_atomically(capsys, book, tmp_path):
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old")
    assert run(capsys, "calc", book, "--out", out)[0] == 0
    assert zipfile.is_zipfile(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx", "plan.xlsx"]  # no temp files left


def test_refuses_to_overwrite_the_input(capsys, book, tmp_path):
    before = sha(book)
    twisted = tmp_path / "sub" / ".." / "plan.xlsx"
    (tmp_path / "sub").mkdir()
    code, _, err = run(capsys, "calc", book, "--out", twisted)
    one_line_error(code, err, "refusing to write over the input")
    (tmp_path / "link.xlsx").symlink_to(book)
    os.link(book, tmp_path / "hard.xlsx")
    for out in ("link.xlsx", "hard.xlsx"):
        code, _, err = run(capsys, "calc", book, "--out", tmp_path / out)
        one_line_error(code, err, "refusing to write over the input")
    code, _, err = run(capsys, "calc", tmp_path / "link.xlsx", "--out", book)
    one_line_error(code, err, "refusing to write over the input")
    assert sha(book) == before


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _bad_files(tmp_path: Path):
    good = mixed_book(tmp_path / "good.xlsx")
    truncated = _write(tmp_path / "truncated.xlsx", good.read_bytes()[:3000])
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    # An encrypted OOXML file is an OLE container with an "EncryptedPackage" stream.
    encrypted = _write(tmp_path / "secret.xlsx", ole + "EncryptedPackage".encode("utf-16-le") + b"\0" * 512)
    legacy = _write(tmp_path / "old.xlsx", ole + "Workbook".encode("utf-16-le") + b"\0" * 512)
    csv = _write(tmp_path / "data.xlsx", b"a,b\n1,2\n")
    other_zip = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    ods = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    # Billion laughs in a part only the engine's reader (openpyxl) would parse.
    bomb = tmp_path / "bomb.xlsx"
    laughs = ('<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
              '&a;&a;&a;&a;&a;">]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<si><t>&b;</t></si><si><t>x</t></si></sst>')
    with zipfile.ZipFile(excel_style_book(tmp_path / "e.xlsx")) as zin, zipfile.ZipFile(bomb, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, laughs if name == "xl/sharedStrings.xml" else zin.read(name))
    strict = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(excel_style_book(tmp_path / "e2.xlsx")) as zin, zipfile.ZipFile(strict, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, zin.read(name).replace(b"schemas.openxmlformats.org/spreadsheetml/2006/main",
                                                       b"purl.oclc.org/ooxml/spreadsheetml/main"))
    empty = _write(tmp_path / "empty.xlsx", b"")
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    pipe = tmp_path / "pipe.xlsx"
    os.mkfifo(pipe)  # opening it would wait for a writer forever
    return [
        (tmp_path / "missing.xlsx", "no such file"),
        (empty, "not an .xlsx"),
        (folder, "folder"),
        (pipe, "not a regular file"),
        (truncated, "corrupt"),
        (encrypted, "password-protected"),
        (legacy, "97-2003"),
        (csv, "not an .xlsx"),
        (other_zip, "not an .xlsx"),
        (ods, "OpenDocument"),
        (strict, "Strict Open XML"),
        (bomb, "xl/sharedStrings.xml contains a document type declaration"),
    ]


def test_bad_files_give_one_line(capsys, tmp_path):
    for path, words in _bad_files(tmp_path):
        code, _, err = run(capsys, "calc", path, "--out", tmp_path / "out.xlsx")
        one_line_error(code, err, path.name, words)
        assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize("spec, words", [
    ("Nope=1", ["Nope", "no such defined name", "Budget"]),
    ("Missing!A1=1", ["no sheet named 'Missing'"]),
    ("Inputs!ZZ=1", ["not a cell reference"]),
    ("Budgets=1", ["range", "single cell"]),
    ("Budget", ["NAME=VALUE"]),
    ("Budget=", ["give a value"]),
    ("Budget=1e24x", ["Inputs!B1 holds a number", "'1e24x' is not a finite number", "double quotes"]),
    ("Budget=1e400", ["'1e400' is not a finite number"]),
    ("Inputs!XFE1=1", ["outside the sheet"]),
    ("Inputs!A1048577=1", ["outside the sheet"]),
    ("Inputs!Nope=1", ["not a cell reference", "nor a name of sheet Inputs"]),
    ("'Model Plan'!B12=1", ["Model Plan!B12 is part of the array formula", "in B11:B13"]),  # as Excel refuses
])
def test_bad_set(capsys, book, tmp_path, spec, words):
    code, _, err = run(capsys, "calc", book, "--out", tmp_path / "out.xlsx", "--set", spec)
    one_line_error(code, err, "plan.xlsx", *words)


@pytest.mark.parametrize("out, words", [("missing-dir/out.xlsx", "does not exist"), ("out.csv", ".xlsx")])
def test_bad_output_path(capsys, book, tmp_path, out, words):
    code, _, err = run(capsys, "calc", book, "--out", tmp_path / out)
    one_line_error(code, err, words)


def test_a_formula_the_engine_cannot_compute(capsys, tmp_path):
    src = one_formula_book(tmp_path / "f.xlsx", "=WEBSERVICE(A1)+1")
    code, _, err = run(capsys, "calc", src, "--out", tmp_path / "out.xlsx")
    one_line_error(code, err, "f.xlsx: Sheet1!B2: ", "WEBSERVICE")


def test_a_circular_reference_is_reported_not_looped(capsys, tmp_path):
    src = one_formula_book(tmp_path / "loop.xlsx", "=B2+A1")
    code, _, err = run(capsys, "calc", src, "--out", tmp_path / "out.xlsx")
    one_line_error(code, err, "loop.xlsx: Sheet1!B2: ", "circular")


def test_console_script_has_no_traceback(tmp_path):
    """The real process: exit status and a single line on stderr."""
    bad = _write(tmp_path / "broken.xlsx", b"PK\x03\x04 not really a zip")
    proc = subprocess.run([sys.executable, "-m", "workbook", "calc", str(bad), "--out",
                           str(tmp_path / "o.xlsx")], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode != 0
    assert proc.stderr.strip().startswith("planner: ") and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_demo_prints_the_comparison_and_writes_the_workbook(capsys, tmp_path, monkeypatch):
    from workbook.cli import demo
    from workbook.templates import shipped

    monkeypatch.chdir(tmp_path)  # any folder: the template is package data
    assert shipped(demo.TEMPLATE).is_file()
    code, out, err = run(capsys, "demo")
    assert code == 0, err
    for heading in ("Compute-optimal", "FLOP-optimal", "Cost-optimal", "Your model", "Total cost"):
        assert heading in out
    written = tmp_path / demo.DEFAULT_OUT
    assert str(written) in out
    wb = openpyxl.load_workbook(written, data_only=True)
    assert not [c.coordinate for ws in wb for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("#")]


def test_demo_table_reads_defined_names():
    from workbook.cli.demo import comparison_table

    table = comparison_table({"Opt_Params": 70e9, "Own_Params": 8e9, "Opt_Total_Cost": 2.5e6,
                              "Own_Total_Cost": 1.5e6})
    lines = table.splitlines()
    assert "Compute-optimal" in lines[0] and "Your model" in lines[0] and "FLOP-optimal" not in lines[0]
    assert "70.0 B" in table and "8.0 B" in table and "$2.50 M" in table and "$1.50 M" in table


def test_no_temporary_files_left_on_failure(capsys, tmp_path):
    src = one_formula_book(tmp_path / "f.xlsx", "=NOSUCH(A1)")
    run(capsys, "calc", src, "--out", tmp_path / "out.xlsx")
    assert sorted(os.listdir(tmp_path)) == ["f.xlsx"]


def test_set_text_in_quotes_and_over_a_formula(capsys, book, tmp_path):
    out = tmp_path / "out.xlsx"
    code, _, err = run(capsys, "calc", book, "--out", out, "--set", 'Budget="lots"',
                       "--set", "'Model Plan'!B2=7")
    assert code == 0
    assert "--set 'Model Plan'!B2 replaced the formula in Model Plan!B2 by a value" in err
    assert "cells show error values" in err
    wb = openpyxl.load_workbook(out, data_only=True)
    assert wb["Inputs"]["B1"].value == "lots" and wb["Model Plan"]["B1"].value == "#VALUE!"
    assert wb["Model Plan"]["B2"].value == 7


def test_set_names_scoped_to_sheets(capsys, tmp_path):
    src = scoped_names_book(tmp_path / "s.xlsx")
    code, _, err = run(capsys, "calc", src, "--out", tmp_path / "o.xlsx", "--set", "Budget=1")
    one_line_error(code, err, "s.xlsx", "several sheets (Budget Inputs, It's results)", "Sheet!Budget=VALUE")
    code, _, err = run(capsys, "calc", src, "--out", tmp_path / "o.xlsx", "--set", "'It''s results'!Budget=2e24")
    assert code == 0, err
    res = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)["It's results"]
    assert math.isclose(res["A3"].value, n_opt(2e24) / 1e9, rel_tol=1e-12)
    written = openpyxl.load_workbook(tmp_path / "o.xlsx")
    assert written["Budget Inputs"]["B3"].value == 2e24
    # The names keep their scopes (the engine's workbook-wide copy of them is its own).
    assert set(written["It's results"].defined_names) == {"Ratio", "Budget"}
    assert set(written["Budget Inputs"].defined_names) == {"Budget"} and not written.defined_names


def _macro_book(path: Path) -> Path:
    """An .xlsm as Excel writes it: a macro-enabled workbook part and a VBA project."""
    plain = one_formula_book(path.with_suffix(".tmp.xlsx"), "=CHINCHILLA_N(A1*1E23)")
    macro_type = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    macro_type)
            zout.writestr(name, data)
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 VBA project")
    plain.unlink()
    return path


def test_macros_are_kept_and_need_an_xlsm_output(capsys, tmp_path):
    src = _macro_book(tmp_path / "macro.xlsm")
    code, _, err = run(capsys, "calc", src, "--out", tmp_path / "out.xlsx")
    one_line_error(code, err, "macro-enabled", "must be an .xlsm file")
    code, _, err = run(capsys, "calc", src, "--out", tmp_path / "out.xlsm", "--freeze")
    assert code == 0, err
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(tmp_path / "out.xlsm") as b:
        assert a.read("xl/vbaProject.bin") == b.read("xl/vbaProject.bin")
        assert b"macroEnabled.main+xml" in b.read("[Content_Types].xml")
    plain = one_formula_book(tmp_path / "plain.xlsx", "=1+1")
    code, _, err = run(capsys, "calc", plain, "--out", tmp_path / "plain.xlsm")
    one_line_error(code, err, "must be an .xlsx file")
    code, out, _ = run(capsys, "calc", plain, "--out", tmp_path / "plain-out.xlsx")
    assert code == 0 and out.strip().endswith(": 1 formula cell computed")


@pytest.mark.parametrize("argv, words", [
    ([], ["give a command: demo, calc"]),
    (["nosuch"], ["invalid choice: 'nosuch'"]),
    (["calc"], ["required: INPUT.xlsx", "planner calc --help"]),
    (["fit", "runs.csv", "--resamples", "many"], ["--resamples", "'many'"]),
])
def test_usage_mistakes_give_one_line(capsys, argv, words):
    with pytest.raises(SystemExit) as info:
        main(argv)
    one_line_error(info.value.code, capsys.readouterr().err, *words)


@pytest.mark.parametrize("argv, words", [
    (["calc", "book.xlsx"], ["give --out OUTPUT.xlsx (or --list-inputs", "planner calc --help"]),
    (["calc", "book.xlsx", "--list-inputs", "--out", "x.xlsx"], ["--list-inputs writes nothing"]),
])
def test_usage_mistakes_past_the_parser_exit_2_too(capsys, argv, words):
    code = main(argv)
    assert code == 2
    one_line_error(code, capsys.readouterr().err, *words)


def test_bad_input_exits_1_in_every_command(capsys, tmp_path):
    """1 for a bad input or file, whichever command met it; 2 is kept for usage."""
    bad = tmp_path / "runs.csv"
    bad.write_text("params,tokens,loss\n1,2,3\n")
    assert run(capsys, "fit", bad)[0] == 1  # too few runs: a PlannerError
    assert run(capsys, "calc", tmp_path / "missing.xlsx", "--out", tmp_path / "o.xlsx")[0] == 1
    assert run(capsys, "calc", tmp_path / "missing.xlsx", "--list-inputs")[0] == 1
    (tmp_path / "file").write_text("x")
    assert run(capsys, "templates", "--out", tmp_path / "file")[0] == 2


def test_help_states_the_exit_codes(capsys):
    for argv in (["--help"], ["calc", "--help"], ["fit", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = " ".join(capsys.readouterr().out.split())
        assert "exit status: 0 done; 1 a bad input or file" in out and "2 bad usage" in out


def test_list_inputs_prints_names_values_units_and_choices(capsys, tmp_path):
    from workbook.templates import TEMPLATES

    src = ROOT / "templates" / "deployment_plan.xlsx"
    before = src.read_bytes()
    code, out, err = run(capsys, "calc", src, "--list-inputs")
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    plan = TEMPLATES[1]
    inputs = [i for sheet in plan.sheets for block in sheet.blocks if type(block).__name__ == "Section"
              for i in block.rows if type(i).__name__ == "In"]
    assert len(inputs) > 10 and {i.name for i in inputs} <= set(rows)
    for i in inputs:
        assert i.unit in rows[i.name]
    assert "one of: epoch, chinchilla, chinchilla-printed, kaplan" in rows["Law"]
    assert "between 0.000001 and 1" in rows["Train_MFU"]
    assert src.read_bytes() == before


def test_a_misspelt_name_gets_the_closest_inputs(capsys, tmp_path):
    src = ROOT / "templates" / "deployment_plan.xlsx"
    code, _, err = run(capsys, "calc", src, "--out", tmp_path / "o.xlsx", "--set", "Requests_Per_Dya=5")
    one_line_error(code, err, "did you mean Requests_Per_Day")


@pytest.mark.parametrize("given, stored", [("h100", "H100 SXM"), ("H100-SXM", "H100 SXM"), ("b200", "B200"),
                                           ("tpu v5e", "TPU v5e")])
def test_an_accelerators_other_spellings_go_in_as_its_name(capsys, tmp_path, given, stored):
    src = ROOT / "templates" / "deployment_plan.xlsx"
    code, _, err = run(capsys, "calc", src, "--out", tmp_path / "o.xlsx", "--set", f"GPU={given}")
    assert code == 0 and err == "", err
    wb = openpyxl.load_workbook(tmp_path / "o.xlsx")
    sheet, ref = next(wb.defined_names["GPU"].destinations)
    assert wb[sheet][ref.replace("$", "")].value == stored


@pytest.mark.parametrize("spec, words", [
    ("Train_MFU=40", ["takes a number between", "(a fraction: 0.4 or 40%)"]),
    ("GPU=H300", ["takes one of: V100", "(did you mean H200?)"]),
    ("Law=chinchila", ["takes one of: epoch, chinchilla, chinchilla-printed, kaplan", "(did you mean chinchilla?)"]),
])
def test_template_inputs_refuse_typos_with_the_fix(capsys, tmp_path, spec, words):
    src = ROOT / "templates" / "deployment_plan.xlsx"
    code, _, err = run(capsys, "calc", src, "--out", tmp_path / "o.xlsx", "--set", spec)
    one_line_error(code, err, *words)
    assert code == 1 and not (tmp_path / "o.xlsx").exists()


def test_ctrl_c_ends_quietly(capsys, book, tmp_path, monkeypatch):
    import workbook.recalc.calc

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(workbook.recalc.calc, "calc", interrupted)
    code, _, err = run(capsys, "calc", book, "--out", tmp_path / "out.xlsx")
    assert code == 130 and err == "planner: interrupted\n"


def _runs_csv(path: Path, sep: str = ",", encoding: str = "utf-8", note: str = "run") -> Path:
    """Twelve runs on the Hoffmann et al. law, as a spreadsheet program might save them."""
    from book_builders import loss

    rows = [sep.join(["params", "tokens", "loss", "note"])]
    for n in (1e7, 1e8, 1e9):
        for ratio in (5, 20, 80, 320):
            rows.append(sep.join([f"{n:g}", f"{n * ratio:g}", repr(loss(n, n * ratio)), note]))
    path.write_bytes("\r\n".join(rows).encode(encoding))
    return path


def test_fit_reads_csv_as_excel_saves_it(capsys, tmp_path):
    """Semicolons (many locales) and the Windows code page give the same fit as plain CSV."""
    code, plain, err = run(capsys, "fit", _runs_csv(tmp_path / "plain.csv"))
    assert code == 0, err
    assert "to 12 runs" in plain
    code, local, err = run(capsys, "fit", _runs_csv(tmp_path / "local.csv", ";", "cp1252", "café"))
    assert code == 0, err
    assert local == plain


@pytest.mark.parametrize("data, words", [
    (b"params,tokens,loss\n1e8,1e9,3\n", ["bad.csv: ", "at least 5 complete rows"]),  # names the file
    (bytes(range(1, 256)) * 4, ["bad.csv: ", "no column for params"]),  # control bytes: still one line
    (b"params,tokens,loss\n1e8,\x001e9,3\n", ["bad.csv: is not a text file"]),
], ids=["too-few", "noise", "binary"])
def test_fit_bad_csv_one_line_naming_the_file(capsys, tmp_path, data, words):
    code, _, err = run(capsys, "fit", _write(tmp_path / "bad.csv", data))
    one_line_error(code, err, *words)


def test_fit_refuses_a_folder_and_a_pipe(capsys, tmp_path):
    os.mkfifo(tmp_path / "runs.csv")
    code, _, err = run(capsys, "fit", tmp_path / "runs.csv")
    one_line_error(code, err, "runs.csv: is not a regular file")
    code, _, err = run(capsys, "fit", tmp_path)
    one_line_error(code, err, f"{tmp_path}: is a folder")


def test_an_unwritable_output_of_any_command_is_one_line(capsys, tmp_path):
    folder = tmp_path / "docs.md"
    folder.mkdir()
    code, _, err = run(capsys, "reference", "--out", folder)
    one_line_error(code, err, f"{folder}: ", "Is a directory")
    assert "Error" not in err  # the reason in words, not an exception's class name


def test_unreadable_input_and_read_only_folder(capsys, book, tmp_path, monkeypatch):
    """Permissions (simulated: the tests may run as root, who reads and writes anything)."""
    from workbook.recalc import xlsx

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(args[0]) if args else None)

    with monkeypatch.context() as m:
        m.setattr(xlsx, "open", denied, raising=False)
        code, _, err = run(capsys, "calc", book, "--out", tmp_path / "out.xlsx")
        one_line_error(code, err, "plan.xlsx: ", "cannot be read (Permission denied)")
    monkeypatch.setattr(xlsx.tempfile, "mkstemp", denied)
    code, _, err = run(capsys, "calc", book, "--out", tmp_path / "out.xlsx")
    one_line_error(code, err, "out.xlsx: ", "cannot write (Permission denied)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]


def _validated_book(path: Path) -> Path:
    """Inputs with data validation as a template has them: drop-downs and positive numbers."""
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws["A1"], ws["A2"], ws["A3"], ws["A4"] = "chinchilla", 1e24, "Loss", "fast"
    ws["B1"] = '=SCALING_LOSS(CHINCHILLA_N(A2), CHINCHILLA_D(A2), A1) & A3 & A4'
    lists = wb.create_sheet("Lists")
    lists["A1"], lists["A2"] = "Model size", "Loss"
    wb.defined_names["Modes"] = DefinedName("Modes", attr_text="Lists!$A$1:$A$2")
    rules = [
        (DataValidation(type="list", formula1='"chinchilla,epoch,kaplan"', showErrorMessage=True,
                        errorStyle="warning"), "A1"),  # warns: other laws may be typed
        (DataValidation(type="decimal", operator="greaterThan", formula1="0", showErrorMessage=True), "A2"),
        (DataValidation(type="list", formula1="Modes", showErrorMessage=True), "A3"),  # stop
        (DataValidation(type="list", formula1='"fast,slow"'), "A4"),  # no error alert: Excel accepts anything
    ]
    for dv, ref in rules:
        ws.add_data_validation(dv)
        dv.add(ref)
    wb.save(path)
    return path


@pytest.mark.parametrize("spec, words", [
    ("Plan!A2=-1", ["Plan!A2 takes a number greater than 0"]),
    ("Plan!A2=0", ["greater than 0"]),
    ('Plan!A2="big"', ["takes a number"]),
    ("Plan!A3=Los", ["Plan!A3 takes one of: Model size, Loss"]),  # a list in cells, shared strings
])
def test_set_breaking_a_stop_validation_is_refused(capsys, tmp_path, spec, words):
    code, _, err = run(capsys, "calc", _validated_book(tmp_path / "v.xlsx"), "--out", tmp_path / "o.xlsx",
                       "--set", spec)
    one_line_error(code, err, "v.xlsx: --set ", *words)


def test_set_within_validation_or_past_a_warning(capsys, tmp_path):
    src = _validated_book(tmp_path / "v.xlsx")
    out = tmp_path / "o.xlsx"
    code, _, err = run(capsys, "calc", src, "--out", out, "--set", "Plan!A3=loss", "--set", "Plan!A2=2e24",
                       "--set", "Plan!A1=Epoch")
    assert code == 0 and err == "", err
    # A number in a list that only warns (a tokens-per-parameter law) goes in, with a note.
    code, _, err = run(capsys, "calc", src, "--out", out, "--set", "Plan!A1=20")
    assert code == 0 and "planner: note: --set Plan!A1=20: Plan!A1 takes one of: chinchilla, epoch, kaplan" in err
    assert openpyxl.load_workbook(out)["Plan"]["A1"].value == 20


@pytest.mark.parametrize("spec, words", [
    ("Plan!A1=mylaw", ["Plan!A1 takes one of: chinchilla, epoch, kaplan"]),  # a list that only warns
    ("Plan!A1=chinchila", ["takes one of", "(did you mean chinchilla?)"]),
    ("Plan!A4=medium", ["Plan!A4 takes one of: fast, slow"]),  # a list with no alert at all
])
def test_a_name_off_a_drop_down_list_is_refused_whatever_its_alert(capsys, tmp_path, spec, words):
    src = _validated_book(tmp_path / "v.xlsx")
    before = src.read_bytes()
    code, _, err = run(capsys, "calc", src, "--out", tmp_path / "o.xlsx", "--set", spec)
    one_line_error(code, err, *words)
    assert src.read_bytes() == before and not (tmp_path / "o.xlsx").exists()


@pytest.mark.parametrize("part, old, new, words", [
    ("xl/worksheets/sheet1.xml", b'<c r="A2">', b'<c r="ZZZ">', ["cannot process", "ZZZ"]),
    ("xl/worksheets/sheet1.xml", b"<v>1E+22</v>", b"<v>many</v>", ["engine cannot read the workbook"]),
    ("xl/worksheets/sheet1.xml", b"CHINCHILLA_N(A1)", b"CHINCHILLA_N(A1", ["Runs!B1: cannot read the formula"]),
    ("xl/workbook.xml", b'<definedName name="Scale">', b'<definedName name="Scale" localSheetId="x">',
     ["cannot process"]),
], ids=["cell-reference", "number", "formula", "name-scope"])
def test_malformed_parts_give_one_line(capsys, tmp_path, part, old, new, words):
    src = excel_style_book(tmp_path / "e.xlsx")
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, data.replace(old, new) if name == part else data)
    code, _, err = run(capsys, "calc", bad, "--out", tmp_path / "o.xlsx")
    one_line_error(code, err, "bad.xlsx: ", *words)
    assert "planner-calc-" not in err  # no internal temporary paths
