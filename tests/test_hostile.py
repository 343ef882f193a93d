"""Hostile and degenerate inputs: each ends as a clear error (or a correct result), in
bounded time and memory, with INPUT untouched and no OUTPUT or temporary file left behind.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import struct
import subprocess
import sys
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import catalog_examples as ce
import planner
from workbook.addin.cells import CellError, evaluate
from workbook.cli import main
from workbook.recalc import limits

ROOT = Path(__file__).resolve().parent.parent
SECRET = "TOPSECRET-4242"


def one_line_error(code, err, *words):
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("planner: "), err
    for w in words:
        assert w in lines[0], (w, lines[0])


def calc(capsys, src: Path, out: Path, *extra):
    code = main(["calc", str(src), "--out", str(out), *map(str, extra)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys, src: Path, tmp_path: Path, *words):
    """planner calc refuses `src` in one line: exit 1, INPUT untouched, no OUTPUT, no temporary."""
    before = src.read_bytes()
    out = tmp_path / "out.xlsx"
    start = time.perf_counter()
    code, _, err = calc(capsys, src, out)
    assert time.perf_counter() - start < 30
    one_line_error(code, err, *words)
    assert code == 1
    assert src.read_bytes() == before
    assert not out.exists() and not list(tmp_path.glob(".out.xlsx.*"))


def book_with(tmp_path: Path, name: str, cells: dict) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for ref, value in cells.items():
        ws[ref] = value
    path = tmp_path / name
    wb.save(path)
    return path


def replace_part(src: Path, dst: Path, part: str, data: bytes, compress=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compress) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == part else zin.read(info))
    return dst


# --- links to other files ---------------------------------------------------------------

@pytest.fixture()
def secret(tmp_path) -> Path:
    folder = tmp_path / "private"
    folder.mkdir()
    return book_with(folder, "secret.xlsx", {"A1": SECRET, "A2": 4242.5})


@pytest.mark.parametrize("freeze", [False, True])
def test_no_file_but_input_is_ever_read(capsys, tmp_path, secret, freeze):
    work = tmp_path / "work"
    work.mkdir()
    src = book_with(work, "book.xlsx", {
        "A1": f"='{secret.parent}/[secret.xlsx]Sheet1'!A1",  # an absolute path
        "A2": "='../private/[secret.xlsx]Sheet1'!A2",  # a relative one
        "A3": f"=INDIRECT(\"'{secret.parent}/[secret.xlsx]Sheet1'!A2\")",  # built at run time
        "A4": f"=CHINCHILLA_N('{secret.parent}/[secret.xlsx]Sheet1'!A2*1E20)",
        "A5": "=1+1",
    })
    before = src.read_bytes()
    out = work / "out.xlsx"
    code, _, err = calc(capsys, src, out, *(["--freeze"] if freeze else []))
    assert code == 0, err
    assert src.read_bytes() == before
    with zipfile.ZipFile(out) as z:
        for name in z.namelist():
            data = z.read(name)
            assert SECRET.encode() not in data and b"4242.5" not in data, name
    values = openpyxl.load_workbook(out, data_only=True)["Sheet1"]
    assert [values[f"A{i}"].value for i in range(1, 5)] == ["#REF!"] * 4 and values["A5"].value == 2
    assert "links to other workbooks are not computed" in err and "secret.xlsx" in err


def test_a_link_to_a_named_pipe_does_not_hang(tmp_path):
    fifo_dir = tmp_path / "fifo"
    fifo_dir.mkdir()
    os.mkfifo(fifo_dir / "x.xlsx")
    src = book_with(tmp_path, "book.xlsx", {"A1": f"='{fifo_dir}/[x.xlsx]S'!A1", "A2": "=2*3"})
    done = subprocess.run([sys.executable, "-m", "workbook", "calc", str(src), "--out", str(tmp_path / "o.xlsx")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "links to other workbooks are not computed" in done.stderr
    assert (fifo_dir / "x.xlsx").is_fifo()


# --- packages beyond the limits -----------------------------------------------------------

def test_a_member_that_inflates_past_the_part_limit_is_refused_as_it_inflates(capsys, tmp_path):
    src = book_with(tmp_path, "base.xlsx", {"A1": 1})
    bomb = replace_part(src, tmp_path / "bomb.xlsx", "xl/media/zeros.bin", b"")
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/big.bin", b"\0" * (limits.PART_BYTES + 1))
    refused(capsys, bomb, tmp_path, "unpacks to more than 64 MiB")


def _lying_zip(src: Path, dst: Path, part: str, data: bytes, declared: int) -> Path:
    """A copy whose member `part` holds `data` deflated but declares `declared` bytes."""
    replace_part(src, dst, part, data)
    raw = bytearray(dst.read_bytes())
    name = part.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := raw.find(signature, start)) >= 0:
            name_len = struct.unpack_from("<H", raw, i + (26 if signature == b"PK\x03\x04" else 28))[0]
            name_at = i + (30 if signature == b"PK\x03\x04" else 46)
            if raw[name_at:name_at + name_len] == name:
                struct.pack_into("<I", raw, i + size_at, declared)
            start = i + 4
    dst.write_bytes(bytes(raw))
    return dst


def test_a_member_that_lies_about_its_size_stops_where_it_said(capsys, tmp_path):
    src = book_with(tmp_path, "base.xlsx", {"A1": 1})
    sheet = zipfile.ZipFile(src).read("xl/worksheets/sheet1.xml")
    padded = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * (300 * limits.MiB))
    bomb = _lying_zip(src, tmp_path / "liar.xlsx", "xl/worksheets/sheet1.xml", padded, 4096)
    refused(capsys, bomb, tmp_path, "not a readable .xlsx workbook")


@pytest.mark.parametrize("where", ["comment", "attribute"])
def test_a_huge_attribute_or_comment_is_refused_quickly(capsys, tmp_path, where):
    src = book_with(tmp_path, "base.xlsx", {"A1": 1, "A2": "=A1+1"})
    sheet = zipfile.ZipFile(src).read("xl/worksheets/sheet1.xml")
    filler = b"x" * (60 * limits.MiB)
    if where == "comment":
        sheet = sheet.replace(b"<sheetData>", b"<!--" + filler + b"--><sheetData>")
    else:
        sheet = sheet.replace(b'<c r="A1"', b'<c r="A1" foo="' + filler + b'"', 1)
    bad = replace_part(src, tmp_path / "big.xlsx", "xl/worksheets/sheet1.xml", sheet)
    refused(capsys, bad, tmp_path, "single attribute, comment or text of more than 1 MiB")


def test_a_formula_longer_than_excels_limit_is_refused(capsys, tmp_path):
    base = book_with(tmp_path, "base.xlsx", {"A1": "=1"})
    sheet = zipfile.ZipFile(base).read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b"<f>1</f>", b"<f>" + b"+".join([b"1"] * 50_000) + b"</f>")  # openpyxl would cut it
    src = replace_part(base, tmp_path / "long.xlsx", "xl/worksheets/sheet1.xml", sheet)
    refused(capsys, src, tmp_path, "Sheet1!A1", "a formula of 99,999 characters", "8,192")


def test_a_formula_nested_deeper_than_excels_limit_is_refused(capsys, tmp_path):
    src = book_with(tmp_path, "deep.xlsx", {"A1": "=" + "(" * 100 + "1" + ")" * 100})
    refused(capsys, src, tmp_path, "nested 100 levels deep", "64")


def test_a_huge_array_formula_is_refused_before_its_block_is_made(capsys, tmp_path):
    from openpyxl.worksheet.formula import ArrayFormula

    wb = openpyxl.Workbook()
    wb.active["B1"] = ArrayFormula("B1:XFD1048576", "=1")
    src = tmp_path / "array.xlsx"
    wb.save(src)
    assert src.stat().st_size < 10_000
    refused(capsys, src, tmp_path, "the array formula fills B1:XFD1048576", "100,000")


@pytest.mark.parametrize("formula, size", [("=SUM(A1:XFC100000)", 100000 * 16383),
                                           ("=COUNT(Sheet1!$B$1:$XFC$1048575)", 1048575 * 16382)])
def test_a_reference_to_billions_of_cells_is_refused_before_it_is_read(capsys, tmp_path, formula, size):
    src = book_with(tmp_path, "vast.xlsx", {"A1": 1, "A200000": formula})
    refused(capsys, src, tmp_path, f"reads {size:,} cells of one range", f"at most {limits.RANGE_CELLS:,}")


def test_ranges_that_grow_down_a_column_are_refused_past_the_cells_read_in_all(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "READ_CELLS", 2_000_000)  # the default's work, scaled down for a test
    src = book_with(tmp_path, "growing.xlsx", {f"A{r}": f"=COUNT($B$1:XFC{r})" for r in range(1, 400)})
    refused(capsys, src, tmp_path, "the formulas read more than 2,000,000 cells of ranges in all")


@pytest.mark.parametrize("formula, ref", [("=SUM(A1:A1048576)", "A1:A1048576"), ("=SUM($B$1:$XFD$1)", "B1:XFD1"),
                                          ("=COUNT(Sheet1!B1:XFD1048576)", "B1:XFD1048576")])
def test_a_range_to_the_sheets_last_row_or_column_is_refused_not_misread(capsys, tmp_path, formula, ref):
    """formulas reads A1:A1048576 as A1 alone: a wrong sum, so the engine refuses it."""
    src = book_with(tmp_path, "edge.xlsx", {"A1": 1, "A2": 2, "C3": formula})
    refused(capsys, src, tmp_path, f"refers to {ref}, at the sheet's last", "misreads", "stop short of it")


def test_whole_rows_and_columns_are_read_as_far_as_the_sheet_goes(tmp_path):
    from workbook.recalc.calc import calc as run

    src = book_with(tmp_path, "columns.xlsx", {"A1": 1, "A2": 2, "B1": "=SUM(A:A)*COUNT(A:A)",
                                               "C5": "=COUNT(1:2)+SUM(A1:A1048575)"})
    values = run(src, tmp_path / "o.xlsx").values
    assert values[("Sheet1", "B1")] == 6.0 and values[("Sheet1", "C5")] == 3.0 + 3.0


def test_too_many_formula_cells_are_refused(capsys, tmp_path):
    src = book_with(tmp_path, "many.xlsx", {f"A{i}": f"=ROW()*{i}" for i in range(1, limits.FORMULA_CELLS + 2)})
    refused(capsys, src, tmp_path, f"has {limits.FORMULA_CELLS + 1:,} formulas to compute",
            f"at most {limits.FORMULA_CELLS:,}")


# --- OUTPUT that is not a regular file, and signals ------------------------------------------

def test_an_output_that_is_a_pipe_or_a_device_is_refused(capsys, tmp_path):
    src = book_with(tmp_path, "b.xlsx", {"A1": "=1+1"})
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    device = tmp_path / "device.xlsx"
    device.symlink_to("/dev/null")
    for out in (fifo, device):
        code, _, err = calc(capsys, src, out)
        one_line_error(code, err, "is not a regular file")
    assert fifo.is_fifo() and device.resolve() == Path("/dev/null")


def test_sigterm_during_a_run_leaves_no_temporary_behind(tmp_path):
    rows = 600  # about five seconds of work for formulas' model, which ROW() keeps this on
    src = book_with(tmp_path, "slow.xlsx", {**{f"A{r}": 1e22 * r for r in range(1, rows)},
                                            **{f"B{r}": f"=CHINCHILLA_N(A{r})*ROW()" for r in range(1, rows)}})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen([sys.executable, "-m", "workbook", "calc", str(src), "--out", str(tmp_path / "o.xlsx")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not list(scratch.glob("planner-calc-*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and err.strip() == "planner: terminated", err
    assert not list(scratch.iterdir()) and not (tmp_path / "o.xlsx").exists()
    assert not list(tmp_path.glob(".o.xlsx.*"))


# --- planner functions and fits --------------------------------------------------------------

def test_equal_losses_are_refused_with_the_reason():
    n, d = ce.DATA["params"], ce.DATA["tokens"]
    for fit in (planner.fit_scaling_law, lambda *a: planner.fit_scaling_law_ci(*a, 0.8, 20, 0)):
        with pytest.raises(planner.PlannerError, match="the losses do not vary with size or tokens"):
            fit(n, d, np.full(n.size, 2.0))


@pytest.mark.parametrize("bad", [1e25, 1e308])
def test_an_outlying_loss_never_gives_a_nan_bound(bad):
    n, d = ce.DATA["params"], ce.DATA["tokens"]
    for seed in range(4):
        losses = ce.DATA["losses"].copy()
        losses[seed] = bad
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("error", RuntimeWarning)
            warnings.simplefilter("always", planner.PlannerWarning)
            try:
                block = planner.fit_scaling_law_ci(n, d, losses, 0.8, 100, seed)
            except planner.PlannerError as exc:
                assert "poorly determined" in str(exc)
                continue
        assert np.isfinite(block).all()
        for w in caught:
            assert issubclass(w.category, planner.PlannerWarning) and "left out of the intervals" in str(w.message)


def test_fit_power_law_names_the_outlying_cell():
    y = ce.DATA["y"].copy()
    y[23] = 1e308
    got = evaluate("FIT_POWER_LAW", [ce.column(ce.DATA["x"]), ce.column(y)])
    assert isinstance(got, CellError) and got.code == "#NUM!"
    assert got.reason.startswith("the power-law fit fails: y 1e+308 (observation 24)")


def test_a_range_as_a_fit_option_is_one_error_not_a_fit_per_cell():
    start = time.perf_counter()
    got = evaluate("FIT_SCALING_LAW", [ce.column(ce.DATA["params"]), ce.column(ce.DATA["tokens"]),
                                       ce.column(ce.DATA["losses"]), [[1e-3]] * 1000])
    assert time.perf_counter() - start < 2
    assert got.code == "#VALUE!" and got.reason.startswith("huber_delta must be a single cell")


def test_too_many_runs_are_refused():
    big = np.full(planner.fitting.MAX_ROWS + 1, 1e9)
    with pytest.raises(planner.PlannerError, match="a fit takes at most 100,000"):
        planner.fit_scaling_law(big, big, big)


def test_an_integer_beyond_float_through_office_js_is_num():
    from test_udfs_officejs import call

    out = call("CHINCHILLA_N", [10**400])
    assert out == [[{"type": "Error", "errorType": "Num"}]]
    mixed = call("CHINCHILLA_N", [[[10**400], [1e24]]])
    assert mixed[1][0] == pytest.approx(planner.chinchilla_n(1e24))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-8-sig", "cp1252"])
def test_planner_fit_reads_excels_unicode_text_exports(capsys, tmp_path, encoding):
    lines = ["params\ttokens\tloss"] + [f"{a}\t{b}\t{c}" for a, b, c in
                                          zip(ce.DATA["params"], ce.DATA["tokens"], ce.DATA["losses"])]
    path = tmp_path / "runs.txt"
    path.write_bytes("\r\n".join(lines).encode(encoding))
    code = main(["fit", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    law = planner.fit_scaling_law(ce.DATA["params"], ce.DATA["tokens"], ce.DATA["losses"])
    assert f"{law[3]:.6g}" in out
