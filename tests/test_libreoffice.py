"""Proof with a real spreadsheet program: hand-off copies recalculated by LibreOffice Calc.

Each workbook goes through `planner calc --freeze`; the cached values of the formulas left
live are then overwritten with a sentinel, so LibreOffice must recompute them; LibreOffice
opens the copy headless with "recalculate on load: always", saves it, and every number it
shows must equal the embedded engine's to 1e-9 relative, with no error cell anywhere.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import openpyxl
import pytest

from book_builders import excel_style_book, mixed_book
from workbook.recalc import xlsx
from workbook.cli import main
from workbook.templates import TEMPLATES as SPECS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").glob("*.xlsx"))
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SENTINEL = -987654.321
ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}
TIMEOUT = 300  # seconds for one LibreOffice conversion (a fresh profile starts slowly)

# On a developer's machine without LibreOffice these tests skip; in CI (CI=true), where
# `make test` installs it, a missing soffice is a failure, never a quiet skip.
if SOFFICE is None and os.environ.get("CI", "").lower() == "true":
    pytest.fail("LibreOffice (soffice) is missing in CI; `make libreoffice` should have "
                "installed it", pytrace=False)
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; "
                                                        "`make libreoffice` installs it")

# A fresh user profile that recalculates every formula of an OOXML (and ODF) file on load.
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def libreoffice_recalc(src: Path, workdir: Path) -> Path:
    """Open `src` in headless LibreOffice, recalculate everything, save as .xlsx; return the copy."""
    return libreoffice_convert(src, workdir, "xlsx:Calc MS Excel 2007 XML", ".xlsx")


def libreoffice_convert(src: Path, workdir: Path, target: str, suffix: str) -> Path:
    """Open `src` in headless LibreOffice, recalculate everything and save it as `target` (a
    --convert-to filter, e.g. a PDF of every sheet as printed); return the file written."""
    run_id = uuid.uuid4().hex[:8]
    profile = workdir / f"lo-profile-{run_id}"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE)
    outdir = workdir / f"lo-out-{run_id}"
    outdir.mkdir()
    cmd = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--nolockcheck", "--nodefault", "--convert-to", target,
           "--outdir", str(outdir), str(src)]
    env = dict(os.environ, HOME=str(profile))  # nothing shared with other runs
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # soffice and the office process it started
        proc.communicate()
        pytest.fail(f"LibreOffice did not finish converting {src.name} within {TIMEOUT} s")
    result = outdir / (src.stem + suffix)
    if proc.returncode != 0 or not result.exists():
        pytest.fail(f"LibreOffice failed on {src.name} (exit {proc.returncode}): {out} {err}")
    return result


def with_sentinels(src: Path, dst: Path) -> int:
    """Copy `src`, replacing the cached value of every live formula by SENTINEL; return how many."""
    pkg = xlsx.read_package(src)
    n = 0
    for sheet in pkg.sheets:
        root = pkg.edit(sheet.part)
        for cell in xlsx.index_cells(root).values():
            if cell.find(xlsx._M + "f") is not None:
                xlsx.set_cached(cell, SENTINEL)
                n += 1
    pkg.save(dst)
    return n


def cell_values(path: Path) -> dict:
    wb = openpyxl.load_workbook(path, data_only=True)
    return {(ws.title, c.coordinate): c.value for ws in wb for row in ws.iter_rows() for c in row
            if c.value is not None}


def same(a, b) -> bool:
    if a in ("", None) and b in ("", None):  # a formula showing "" is an empty-looking cell
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return abs((a - b).total_seconds()) < 1e-3
    return a == b


def check_in_libreoffice(src: Path, tmp_path: Path) -> tuple[int, int]:
    """calc --freeze, sentinels, LibreOffice; assert equality. Returns (numbers compared, live formulas)."""
    frozen = tmp_path / f"{src.stem}-handoff.xlsx"
    assert main(["calc", str(src), "--out", str(frozen), "--freeze"]) == 0
    engine = cell_values(frozen)
    engine_errors = sorted(k for k, v in engine.items() if isinstance(v, str) and v in ERRORS)
    assert not engine_errors, f"the engine shows error values in {engine_errors[:10]}"

    tampered = tmp_path / f"{src.stem}-sentinel.xlsx"
    live = with_sentinels(frozen, tampered)
    office = cell_values(libreoffice_recalc(tampered, tmp_path))

    lo_errors = sorted(k for k, v in office.items() if isinstance(v, str) and v in ERRORS)
    assert not lo_errors, f"LibreOffice shows error values in {lo_errors[:10]}"
    mismatches = [(k, v, office.get(k)) for k, v in engine.items() if not same(v, office.get(k))]
    assert not mismatches, f"{len(mismatches)} cells differ (cell, engine, LibreOffice): {mismatches[:10]}"
    numbers = sum(isinstance(v, (int, float)) and not isinstance(v, bool) for v in engine.values())
    return numbers, live


def test_every_template_is_checked():
    # The parametrisation below comes from the files on disk: it must not quietly shrink.
    from workbook.templates import TEMPLATES as SPECS

    assert sorted(t.name for t in TEMPLATES) == sorted(t.filename for t in SPECS)


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.stem for t in TEMPLATES])
def test_template_hand_off_copy_in_libreoffice(template, tmp_path):
    numbers, _ = check_in_libreoffice(template, tmp_path)
    assert numbers > 0


def test_built_workbook_in_libreoffice(tmp_path):
    src = mixed_book(tmp_path / "mixed.xlsx", about=True, errors=False)
    numbers, live = check_in_libreoffice(src, tmp_path)
    assert numbers > 10 and live >= 2  # Excel's own formulas were recomputed by LibreOffice


def test_excel_style_workbook_in_libreoffice(tmp_path):
    src = excel_style_book(tmp_path / "excel.xlsx")
    _, live = check_in_libreoffice(src, tmp_path)
    # The shared Excel formula C1:C3 (the planner's B1:B3 are values), and the hand-off note's
    # live check: one "changed" flag per input the frozen values came from, a count and a list.
    note = openpyxl.load_workbook(tmp_path / "excel-handoff.xlsx")["Hand-off"]
    flags = [c for row in note.iter_rows() for c in row if c.column_letter == "C" and '"changed"' in str(c.value)]
    assert len(flags) >= 1 and live == 3 + len(flags) + 2


def test_sentinels_are_really_recomputed(tmp_path):
    """Guard for the proof itself: without recalculation the sentinel would survive."""
    src = mixed_book(tmp_path / "m.xlsx", errors=False)
    frozen = tmp_path / "m-handoff.xlsx"
    assert main(["calc", str(src), "--out", str(frozen), "--freeze"]) == 0
    tampered = tmp_path / "m-sentinel.xlsx"
    with_sentinels(frozen, tampered)
    assert openpyxl.load_workbook(tampered, data_only=True)["Model Plan"]["B14"].value == SENTINEL
    office = openpyxl.load_workbook(libreoffice_recalc(tampered, tmp_path), data_only=True)
    assert office["Model Plan"]["B14"].value == 1e24 * 2 + 1e24


def test_an_unfrozen_copy_shows_name_errors_where_the_add_in_is_needed(tmp_path):
    """What the README says a reader without the add-in sees: #NAME? in the planner's cells
    (and in the cells computed from them), the rest computed."""
    src = excel_style_book(tmp_path / "excel.xlsx")
    computed = tmp_path / "computed.xlsx"
    assert main(["calc", str(src), "--out", str(computed)]) == 0
    planner_cells = [k for k, fc in xlsx_formulas(computed).items() if "CHINCHILLA" in fc.upper()]
    assert planner_cells
    office = cell_values(libreoffice_recalc(computed, tmp_path))
    assert {office[k] for k in planner_cells} == {"#NAME?"}


def xlsx_formulas(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): c.value for ws in wb for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value.startswith("=")}


# --- a colleague edits the hand-off copy -------------------------------------------------------

def _named(path: Path) -> dict:
    """Defined name -> value of its single cell, as the saved file shows it."""
    wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for name, dn in wb.defined_names.items():
        cells = list(dn.destinations)
        if len(cells) != 1:
            continue
        sheet, ref = cells[0]
        if ":" not in ref:
            out[name] = wb[sheet][ref.replace("$", "")].value
    return out


def _edited_in_libreoffice(template: str, edits: dict, tmp_path: Path) -> dict:
    """Freeze `template`, type `edits` (defined name -> value) into the copy, let LibreOffice
    recalculate it, and return every named cell as LibreOffice shows it."""
    frozen = tmp_path / f"handoff-{template}"
    assert main(["calc", str(ROOT / "templates" / template), "--out", str(frozen), "--freeze"]) == 0
    wb = openpyxl.load_workbook(frozen)  # keeps formulas; LibreOffice recalculates them all
    for name, value in edits.items():
        sheet, ref = next(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "")].value = value
    edited = tmp_path / f"edited-{template}"
    wb.save(edited)
    office = libreoffice_recalc(edited, tmp_path)
    got = _named(office)
    shown = openpyxl.load_workbook(office, data_only=True)
    got["banners"] = [shown[sheet][ref.replace("$", "")].value
                      for sheet, ref in wb.defined_names["Handoff_Banners"].destinations]
    return got


def test_training_budget_copy_accounts_for_an_edited_price_and_accelerator(tmp_path):
    import planner

    got = _edited_in_libreoffice("training_budget.xlsx", {
        "Price_Per_GPU_Hour": 3.25, "PUE": 1.5, "GPU": "A100 80GB", "GPU_Count": 1000}, tmp_path)
    restarts = 1 + got["Restart_Overhead"]  # the cluster's days include its restarts
    budget = planner.compute_from_gpus(1000, got["Cluster_Days"], "A100 80GB", got["MFU"]) / restarts
    hours = planner.gpu_hours(budget, "A100 80GB", got["MFU"])
    assert same(got["Budget"], budget) and same(got["GPU_Hours"], hours)
    assert same(got["Wall_Days"], planner.train_days(budget * restarts, 1000, "A100 80GB", got["MFU"]))
    assert same(got["Cost_Total"], planner.compute_cost(budget, 3.25, "A100 80GB", got["MFU"]))
    assert same(got["Energy_kWh"], planner.energy_kwh(budget, "A100 80GB", got["MFU"], 1.5))
    assert got["GPU_Peak"] == planner.peak_flops("A100 80GB")
    # The cluster decides the budget, so the frozen model no longer matches: every sheet says
    # so, naming the changed inputs; the price and PUE only enter the accounting.
    for banner in got["banners"]:
        assert banner.startswith("Changed since this copy was frozen: GPU GPU_Count -")
        assert "Price" not in banner and "PUE" not in banner


def test_a_copy_edited_only_where_it_accounts_stays_calm(tmp_path):
    # The budgets of the modes not chosen, the price and the commitment only account.
    got = _edited_in_libreoffice("training_budget.xlsx", {
        "Price_Per_GPU_Hour": 2.5, "PUE": 1.1, "Dollar_Budget": 3e6, "FLOPs_Budget": 5e23,
        "Commit_Discount": 0.3, "Commit_Term_Years": 3}, tmp_path)
    assert len(got["banners"]) == 3  # Budget, Details and Hardware
    for banner in got["banners"]:
        assert banner.startswith("Hand-off copy, frozen ") and "from training_budget.xlsx" in banner
    assert same(got["Cost_Total"], got["GPU_Hours"] * 2.5)
    terms = math.ceil(got["Wall_Days"] / (3 * 365.25) * (1 - 1e-9))
    assert same(got["Committed_Cost"], got["GPU_Count"] * terms * 3 * 365.25 * 24 * 2.5 * 0.7)
    assert same(got["Dollar_Budget_FLOPs"], 3e6 / (1 + got["Overheads"]) / 2.5 * got["GPU_Peak"] * got["MFU"] * 3600)


def test_deployment_plan_copy_accounts_for_edited_traffic_price_and_accelerator(tmp_path):
    import planner

    from workbook.templates.deployment_plan import SCENARIO_INPUTS

    got = _edited_in_libreoffice("deployment_plan.xlsx", {
        "Requests_Per_Day": 25e6, "Price_Per_GPU_Hour": 1.4, "GPU": "H200", "Serve_GPU": "B200",
        "Serve_Price_Per_GPU_Hour": 2.6, "API_Output_Price": 12, "Scenario": "Downside"}, tmp_path)
    inputs = got["Lifetime_Input_Tokens"], got["Lifetime_Output_Tokens"]
    # Days of full traffic: the service's days less half the ramp, which grows evenly from nothing.
    traffic_days = got["Days_In_Service"] - got["Ramp_Days"] / 2
    assert same(got["Traffic_Days"], traffic_days)
    assert same(inputs[0], 25e6 * got["Input_Tokens_Per_Request"] * traffic_days)
    assert same(got["API_Cost"], (inputs[0] * got["API_Input_Price"] + inputs[1] * 12) / 1e6)
    for p in ("Opt", "FlopOpt", "CostOpt", "Own"):
        n, d = got[f"{p}_Params"], got[f"{p}_Tokens"]  # the frozen decisions
        train = planner.gpu_hours(planner.train_flops(n, d), "H200", got["Train_MFU"])
        serve = (planner.gpu_hours(planner.inference_flops(n, inputs[0]), "B200", got["Prefill_MFU"])
                 + planner.gpu_hours(planner.inference_flops(n, inputs[1]), "B200", got["Decode_MFU"]))
        assert same(got[f"{p}_Train_Cost"], train * 1.4), p
        assert same(got[f"{p}_Inference_Cost"], serve * 2.6), p
        assert same(got[f"{p}_Cost_Per_M_Tokens"], serve * 2.6 / sum(inputs) * 1e6), p
        assert got[f"{p}_Train_Memory_GPUs"] == planner.gpus_for_memory(n, "H200", got["Train_Bytes_Per_Param"]), p
        memory = planner.inference_memory_gb(n, got["Serve_Bytes_Per_Param"], got["KV_Cache_GB"])
        assert same(got[f"{p}_Serve_Memory_GB"], memory), p
        # The serving fleet, in Excel's own formulas, is what SERVING_GPUS sizes.
        fleet = planner.serving_gpus(25e6, got["Input_Tokens_Per_Request"], got["Output_Tokens_Per_Request"], n,
                                     "B200", got["Peak_To_Average"], got["Latency_Target_MS"], got["Serve_Layers"],
                                     got["Serve_KV_Heads"], got["Serve_Head_Dim"], got[f"{p}_Serve_GPUs"],
                                     bytes_per_param=got["Serve_Bytes_Per_Param"],
                                     bytes_per_value=got["Serve_KV_Bytes"], mfu=got["Prefill_MFU"])
        assert (got[f"{p}_Fleet_GPUs"], got[f"{p}_Batch"]) == (fleet.gpus, fleet.batch), p
        assert same(got[f"{p}_Fleet_Utilisation"], fleet.utilisation), p
        assert same(got[f"{p}_TCO"], train * 1.4 + fleet.gpus * traffic_days * 24 * 2.6), p
    # The decision page shows the Downside scenario: the inputs moved together, the design held.
    m = {key: down for key, _, _, _, down, _ in SCENARIO_INPUTS}
    n = got["CostOpt_Params"]
    fleet = planner.serving_gpus(25e6 * m["traffic"], got["Input_Tokens_Per_Request"], got["Output_Tokens_Per_Request"],
                                 n, "B200", got["Peak_To_Average"] * m["peak"], got["Latency_Target_MS"],
                                 got["Serve_Layers"], got["Serve_KV_Heads"], got["Serve_Head_Dim"],
                                 got["CostOpt_Serve_GPUs"], bytes_per_param=got["Serve_Bytes_Per_Param"],
                                 bytes_per_value=got["Serve_KV_Bytes"], mfu=got["Prefill_MFU"], field="gpus")
    served = got["Days_In_Service"] * m["days"] - got["Ramp_Days"] / 2
    tco = got["CostOpt_Train_Cost"] * m["train_price"] / m["mfu"] + fleet * served * 24 * 2.6 * m["serve_price"]
    assert got["Decision_Fleet"] == fleet and same(got["Decision_TCO"], tco)
    # The cost-optimal design depends on the prices and the traffic: the copy says it is stale,
    # naming them; the API price only accounts.
    for banner in got["banners"]:
        changed = banner.split(" - ")[0]
        assert changed.startswith("Changed since this copy was frozen: ") and "API" not in changed
        assert all(name in changed.split() for name in ("Requests_Per_Day", "GPU", "Price_Per_GPU_Hour",
                                                        "Serve_GPU", "Serve_Price_Per_GPU_Hour"))
        assert "Scenario" not in changed  # the scenario shown only accounts


def test_a_model_added_to_the_public_models_copy_is_accounted_without_errors(tmp_path):
    frozen = tmp_path / "handoff-public.xlsx"
    assert main(["calc", str(ROOT / "templates" / "public_models.xlsx"), "--out", str(frozen), "--freeze"]) == 0
    wb = openpyxl.load_workbook(frozen)
    ws = wb["Models"]
    sheet, ref = next(wb.defined_names["Models_Params"].destinations)
    first, last = (int("".join(ch for ch in part if ch.isdigit())) for part in ref.split(":"))
    row = next(r for r in range(first, last + 1) if ws[f"B{r}"].value is None)  # the first blank row
    ws[f"A{row}"], ws[f"B{row}"], ws[f"C{row}"] = "Our model", 30e9, 6e12
    edited = tmp_path / "edited-public.xlsx"
    wb.save(edited)
    office = libreoffice_recalc(edited, tmp_path)
    shown = openpyxl.load_workbook(office, data_only=True)["Models"]
    values = [c.value for line in shown.iter_rows() for c in line]
    assert not [v for v in values if isinstance(v, str) and v in ERRORS]
    assert same(shown[f"D{row}"].value, 200.0) and same(shown[f"E{row}"].value, 6 * 30e9 * 6e12)
    # Its predicted losses need the add-in: the banner says the copy is stale, naming the inputs.
    assert shown["A3"].value.startswith("Changed since this copy was frozen: Models_Name Models_Params Models_Tokens")


# --- printing ----------------------------------------------------------------------------

BODY_POINTS = 11  # the templates' cell font size
MIN_PRINT_SCALE = 0.70


def _printed_pages(pdf: Path, sheets: list[str]) -> list[tuple[str, float]]:
    """(sheet, most common text size in points) of each printed page. A work sheet's header
    names it (its last word); About prints without a header."""
    from pypdf import PdfReader

    pages = []
    for page in PdfReader(pdf).pages:
        sizes: dict = {}

        def seen(text, cm, tm, font, size):
            if text.strip():
                points = round(size * abs(tm[0]) * abs(cm[0]), 1)
                sizes[points] = sizes.get(points, 0) + 1

        first = (page.extract_text(visitor_text=seen).strip().split("\n") or [""])[0]
        sheet = next((name for name in sheets if first.endswith(" " + name)), "About")
        pages.append((sheet, max(sizes, key=sizes.get) if sizes else 0.0))
    return pages


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_printed_the_main_sheet_is_one_readable_page(path, tmp_path):
    """A hand-off copy as LibreOffice prints it: the main sheet on one landscape page at 70%
    or more (read from the text size on the page), About on at most two pages."""
    copy = tmp_path / path.name
    assert main(["calc", str(path), "--out", str(copy), "--freeze"]) == 0
    sheets = [s for s in openpyxl.load_workbook(copy).sheetnames if s not in ("About", "Lists")]
    pages = _printed_pages(libreoffice_convert(copy, tmp_path, "pdf:calc_pdf_Export", ".pdf"), sheets)
    printed = [sheet for sheet, _ in pages]
    assert 1 <= printed.count("About") <= 2, printed
    # The main sheet, and a committee's page where there is one, each on one readable page.
    one_page = [s.title for s in next(t for t in SPECS if t.filename == path.name).sheets if s.one_page]
    assert one_page[0] == sheets[0]
    for sheet in one_page:
        assert printed.count(sheet) == 1, (sheet, printed)
        scale = next(size for name, size in pages if name == sheet) / BODY_POINTS
        assert scale >= MIN_PRINT_SCALE, (sheet, scale)
    assert all(sheet in printed for sheet in sheets)  # every work sheet prints
