"""The template workbooks: committed files match the builder, follow the sheet conventions,
and compute (through the embedded engine) what the planner functions give directly."""

from __future__ import annotations

import csv
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

import planner
from workbook.addin.cells import CellError
from workbook.templates import TEMPLATES, scaling_law_fit, spec
from workbook.recalc.calc import calc
from workbook.cli import main
from workbook.templates.builder import INPUT_FILL, INPUT_FONT, build_all

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "templates"
FILES = [t.filename for t in TEMPLATES]
# The planning workbooks; the function gallery is a reference of examples (literal arguments by
# design, no decision to chart or to spread over laws).
PLANS = [f for f in FILES if f != "function_gallery.xlsx"]
REL = 1e-9

# Excel's own functions the templates may use: each computes in Excel, LibreOffice and the
# `formulas` package (checked below against formulas' function table).
EXCEL_FUNCTIONS = {"IF", "IFERROR", "ISNUMBER", "SQRT", "MIN", "MAX", "SUM", "SUMSQ", "COUNT",
                   "ROUNDUP", "ROUNDDOWN", "INDEX", "MATCH", "ISBLANK", "TEXT", "NA", "TRANSPOSE", "OR", "COUNTIF", "COUNTA", "AND"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    paths = build_all(out)
    assert sorted(p.name for p in paths) == sorted(FILES)
    return out


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    """Each committed template recalculated with its default inputs: name -> value, cell values."""
    out = tmp_path_factory.mktemp("computed")
    cache = {}

    def get(filename, sets=()):
        key = (filename, tuple(sets))
        if key not in cache:
            result = calc(COMMITTED / filename, out / f"{len(cache)}-{filename}", list(sets))
            cache[key] = result
        return cache[key]

    return get


def close(a, b, rel=REL):
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=0)


def inputs(filename) -> dict:
    """Defined name -> default value of every single-cell input of a committed template."""
    wb = openpyxl.load_workbook(COMMITTED / filename)
    values = {}
    for name, dn in wb.defined_names.items():
        cells = list(dn.destinations)
        if len(cells) != 1:  # the hand-off names: a constant, or a cell on every sheet
            continue
        sheet, ref = cells[0]
        if ":" not in ref:
            cell = wb[sheet][ref.replace("$", "")]
            if not (isinstance(cell.value, str) and cell.value.startswith("=")):
                values[name] = cell.value
    return values


def column(result, filename, name) -> list:
    """The computed values of a defined column range, top to bottom."""
    wb = openpyxl.load_workbook(COMMITTED / filename)
    sheet, ref = next(wb.defined_names[name].destinations)
    return [result.values.get((sheet, c.coordinate)) for row in wb[sheet][ref.replace("$", "")] for c in row]


# --- the files themselves ---------------------------------------------------------------------


def _cells(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames,
           "names": {n: dn.attr_text for n, dn in wb.defined_names.items()}}
    for ws in wb.worksheets:
        out[ws.title, "freeze"] = ws.freeze_panes
        out[ws.title, "charts"] = len(ws._charts)
        out[ws.title, "conditional"] = sorted((str(cf.sqref), r.operator, tuple(r.formula))
                                              for cf in ws.conditional_formatting for r in cf.rules)
        out[ws.title, "validations"] = sorted(
            (dv.type, dv.operator, dv.formula1, dv.formula2, str(dv.sqref)) for dv in ws.data_validations.dataValidation)
        for row in ws.iter_rows():
            for c in row:
                value = c.value.text if hasattr(c.value, "text") else c.value
                if value is not None or c.fill.fgColor.rgb == INPUT_FILL.fgColor.rgb:
                    out[ws.title, c.coordinate] = (value, c.number_format, c.font.color.rgb if c.font.color else None,
                                                   c.fill.fgColor.rgb, bool(c.font.b))
    return out


@pytest.mark.parametrize("filename", FILES)
def test_committed_template_is_what_the_builder_makes(built, filename):
    fresh, committed = _cells(built / filename), _cells(COMMITTED / filename)
    assert fresh.keys() == committed.keys(), f"{filename}: regenerate with `planner templates`"
    for key in fresh:
        assert fresh[key] == committed[key], f"{filename} {key}: regenerate with `planner templates`"


@pytest.mark.parametrize("filename", FILES)
def test_no_macros_and_an_about_sheet(filename):
    with zipfile.ZipFile(COMMITTED / filename) as z:
        names = z.namelist()
        types = z.read("[Content_Types].xml").decode()
    assert not any("vbaProject" in n for n in names)
    assert "macroEnabled" not in types
    wb = openpyxl.load_workbook(COMMITTED / filename)
    assert wb.sheetnames[0] == "About"
    ws = wb["About"]
    headings = [c.value for c in ws["A"] if c.value]
    # Plain language first; the add-in, the command line and the names after.
    assert headings[1:6] == ["What it answers", "What to change first", "What the numbers mean", "Legend", "Sources"]
    assert headings.index("The add-in") > headings.index("Sources")
    about = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "nats per token" in about and "perplexity" in about
    # Only the plain-language part is printed, and it ends with the sources.
    printed_to = range_boundaries(ws.print_area.split("!")[-1].replace("$", ""))[3]
    sources_row = next(c.row for c in ws["A"] if c.value == "Sources")
    addin_row = next(c.row for c in ws["A"] if c.value == "The add-in")
    assert sources_row < printed_to < addin_row


def _spec(filename):
    return next(t for t in TEMPLATES if t.filename == filename)


def _work_sheets(wb):
    return [ws for ws in wb.worksheets if ws.title not in ("About", "Lists")]


def _is_input(cell) -> bool:
    return cell.font.color is not None and cell.font.color.rgb == INPUT_FONT.color.rgb \
        and cell.fill.fgColor.rgb == INPUT_FILL.fgColor.rgb


def _named_cells(wb) -> set:
    cells = set()
    for dn in wb.defined_names.values():
        for sheet, ref in dn.destinations:
            for row in wb[sheet][ref.replace("$", "")] if ":" in ref else [[wb[sheet][ref.replace("$", "")]]]:
                cells.update((sheet, c.coordinate) for c in row)
    return cells


def _validated_cells(ws) -> set:
    return set().union(*(_validated_cells_of(ws, dv) for dv in ws.data_validations.dataValidation))


@pytest.mark.parametrize("filename", FILES)
def test_every_input_is_named_styled_and_validated(filename):
    wb = openpyxl.load_workbook(COMMITTED / filename)
    named = _named_cells(wb)
    n_inputs = 0
    for ws in _work_sheets(wb):
        validated = _validated_cells(ws)
        for row in ws.iter_rows(min_row=4):
            for c in row:
                if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                    # a number typed in a cell is always an input: outputs are never pasted numbers
                    assert _is_input(c), f"{ws.title}!{c.coordinate} holds a number but is not an input"
                if _is_input(c):
                    n_inputs += 1
                    assert (ws.title, c.coordinate) in named, f"{ws.title}!{c.coordinate} has no defined name"
                    if isinstance(c.value, (int, float)):
                        assert c.coordinate in validated, f"{ws.title}!{c.coordinate} has no validation"
                        assert c.value >= 0  # 0 only where it means none (no activations counted)
    assert n_inputs > 0
    # names are workbook-scoped (none attached to a sheet), distinct in any case (as Excel
    # compares them), and none reads as a cell reference
    assert all(not ws.defined_names for ws in wb.worksheets)
    folded = [n.casefold() for n in wb.defined_names]
    assert len(folded) == len(set(folded))
    for n in wb.defined_names:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n) and not re.fullmatch(r"[A-Za-z]{1,3}\d+|[RrCc]\d*", n), n


@pytest.mark.parametrize("filename", FILES)
def test_drop_downs_for_laws_and_gpus(filename):
    wb = openpyxl.load_workbook(COMMITTED / filename)
    choices = {"Law": list(planner.laws.PRESETS), "GPU": list(planner.hardware.GPU_NAMES)}
    for name, expected in choices.items():
        if name not in wb.defined_names:
            continue
        sheet, ref = next(wb.defined_names[name].destinations)
        ws = wb[sheet]
        rules = [dv.formula1 for dv in ws.data_validations.dataValidation
                 if ref.replace("$", "") in _validated_cells_of(ws, dv)]
        assert len(rules) == 1 and rules[0].startswith("List_")
        list_sheet, list_ref = next(wb.defined_names[rules[0]].destinations)
        assert [c.value for row in wb[list_sheet][list_ref.replace("$", "")] for c in row] == expected
    # a Lists sheet only where a drop-down needs one
    drop_downs = any(dv.type == "list" for ws in wb.worksheets for dv in ws.data_validations.dataValidation)
    assert ("Lists" in wb.sheetnames) == drop_downs


def _validated_cells_of(ws, dv) -> set:
    return {f"{get_column_letter(c)}{r}" for rng in dv.sqref.ranges for r, c in rng.cells}


def _formulas(filename):
    wb = openpyxl.load_workbook(COMMITTED / filename)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                v = c.value.text if hasattr(c.value, "text") else c.value
                if isinstance(v, str) and v.startswith("="):
                    yield ws.title, c.coordinate, v


@pytest.mark.parametrize("filename", FILES)
def test_functions_exist_in_every_host(filename):
    import formulas

    catalog = {name.upper() for name in planner.CATALOG}
    engine_functions = formulas.get_functions()
    used_addin = set()
    for sheet, coord, text in _formulas(filename):
        for fn in re.findall(r"([A-Z][A-Z0-9_.]*)\(", text.replace('"', "'")):
            assert fn in catalog or fn in EXCEL_FUNCTIONS, f"{sheet}!{coord}: {fn} is neither ours nor allowed"
            if fn in catalog:
                used_addin.add(fn)
        # a number written 1E24 is read by Excel but not by every engine: write 1E+24
        assert not re.search(r"\d[eE]\d", text), f"{sheet}!{coord}: {text}"
    assert used_addin
    assert all(fn in engine_functions for fn in EXCEL_FUNCTIONS)


@pytest.mark.parametrize("filename", PLANS)
def test_charts_and_frozen_panes(filename):
    wb = openpyxl.load_workbook(COMMITTED / filename)
    assert sum(len(ws._charts) for ws in wb.worksheets) >= 1
    for ws in _work_sheets(wb):
        assert ws.freeze_panes


def test_cli_writes_the_templates(tmp_path, capsys):
    assert main(["templates", "--out", str(tmp_path / "t")]) == 0
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == sorted(FILES)
    (tmp_path / "file").write_text("x")
    assert main(["templates", "--out", str(tmp_path / "file")]) == 2
    assert capsys.readouterr().err.startswith("planner: ")


# --- what the templates compute ------------------------------------------------------------------


@pytest.mark.parametrize("filename", FILES)
def test_templates_compute_without_errors(computed, filename):
    result = computed(filename)
    errors = {k: v for k, v in result.values.items() if type(v).__name__ == "CellError"}
    assert not errors


def test_training_budget(computed):
    x = inputs("training_budget.xlsx")
    names = computed("training_budget.xlsx").names
    law, gpu, mfu = x["Law"], x["GPU"], x["MFU"]
    assert x["Budget_Mode"] == "Cluster"
    # The cluster's days include its failed and restarted runs: the final run gets the rest.
    restarts = x["Restart_Overhead"]
    c = planner.compute_from_gpus(x["GPU_Count"], x["Cluster_Days"], gpu, mfu) / (1 + restarts)
    n, d = planner.chinchilla_n(c, law), planner.chinchilla_d(c, law)
    expected = {
        "Budget": c, "Opt_Params": n, "Opt_Tokens": d, "Opt_Tokens_Per_Param": d / n,
        "Opt_Loss": planner.chinchilla_loss(c, law),
        "GPU_Hours": planner.gpu_hours(c, gpu, mfu),
        "Wall_Days": planner.train_days(c * (1 + restarts), x["GPU_Count"], gpu, mfu),
        "Cost_Total": planner.compute_cost(c, x["Price_Per_GPU_Hour"], gpu, mfu),
        "Development_Cost": planner.compute_cost(c, x["Price_Per_GPU_Hour"], gpu, mfu)
        * (1 + x["Experiments_Overhead"] + restarts + x["Eval_Overhead"]),
        # The cluster for whole terms of a commitment (a 60-day run pays one 1-year term).
        "Committed_Cost": x["GPU_Count"] * 365.25 * 24 * x["Commit_Term_Years"] * planner.committed_hour_price(
            x["Price_Per_GPU_Hour"], x["Commit_Discount"], x["Commit_Term_Years"]),
        "Dollar_Budget_FLOPs": planner.compute_from_gpus(
            x["Dollar_Budget"] / (1 + x["Experiments_Overhead"] + restarts + x["Eval_Overhead"])
            / x["Price_Per_GPU_Hour"], 1 / 24, gpu, mfu),
        "Energy_kWh": planner.energy_kwh(c, gpu, mfu, x["PUE"], x["Board_Power_W"]),
        "Effective_Tokens": planner.effective_tokens(d, x["Unique_Tokens"]),
        "Data_Limited_Loss": planner.data_constrained_loss(n, d, x["Unique_Tokens"], law),
        "Epochs_Worth_It": planner.epochs_worth_it(x["Unique_Tokens"], c, law),
        "Data_Limited_Params": planner.data_constrained_n(x["Unique_Tokens"], c, law),
        "Data_Limited_Tokens": planner.data_constrained_d(x["Unique_Tokens"], c, law),
        "Data_Limited_Plan_Loss": planner.data_constrained_loss(
            planner.data_constrained_n(x["Unique_Tokens"], c, law),
            planner.data_constrained_d(x["Unique_Tokens"], c, law), x["Unique_Tokens"], law),
    }
    for name, value in expected.items():
        assert close(names[name], value), name
    # the cluster's days come back when it trains its own budget
    assert close(names["Wall_Days"], x["Cluster_Days"])


def test_training_budget_from_flops_and_sensitivity(computed):
    x = inputs("training_budget.xlsx")
    result = computed("training_budget.xlsx", ["Budget_Mode=FLOPs"])
    assert close(result.names["Budget"], x["FLOPs_Budget"])
    assert close(result.names["Opt_Params"], planner.chinchilla_n(x["FLOPs_Budget"], x["Law"]))
    multiples = column(result, "training_budget.xlsx", "Sens_Multiples")
    assert min(multiples) == pytest.approx(0.1) and max(multiples) == pytest.approx(10)
    wb = openpyxl.load_workbook(COMMITTED / "training_budget.xlsx")
    sheet, ref = next(wb.defined_names["Sens_Multiples"].destinations)
    first = int(re.search(r"\$(\d+):", ref).group(1))
    for i, m in enumerate(multiples):
        r = first + i
        budget = m * x["FLOPs_Budget"]
        assert close(result.values[(sheet, f"B{r}")], budget)
        assert close(result.values[(sheet, f"E{r}")], planner.chinchilla_loss(budget, x["Law"]))


def test_training_budget_from_dollars_spends_them_all_in(computed):
    x = inputs("training_budget.xlsx")
    got = computed("training_budget.xlsx", ["Budget_Mode=Dollars", "Dollar_Budget=5e6"]).names
    overheads = x["Experiments_Overhead"] + x["Restart_Overhead"] + x["Eval_Overhead"]
    # The final run's accelerator-hours are what is left of the dollars after the overheads.
    c = planner.compute_from_gpus(5e6 / (1 + overheads) / x["Price_Per_GPU_Hour"], 1 / 24, x["GPU"], x["MFU"])
    assert close(got["Budget"], c) and close(got["Opt_Params"], planner.chinchilla_n(c, x["Law"]))
    assert close(got["Development_Cost"], 5e6)
    # A higher price buys a smaller model for the same dollars.
    dear = computed("training_budget.xlsx", ["Budget_Mode=Dollars", "Dollar_Budget=5e6",
                                             "Price_Per_GPU_Hour=4"]).names
    assert close(dear["Budget"], c * x["Price_Per_GPU_Hour"] / 4) and dear["Opt_Params"] < got["Opt_Params"]


def test_a_hand_off_copy_locks_only_the_inputs_of_the_mode_chosen(tmp_path):
    """A mode switch's IF is followed into its chosen branch: the price becomes a decision input
    in the Dollars mode only, and the cluster's size in the Cluster mode only."""
    def locked(sets):
        out = tmp_path / f"handoff-{len(sets)}.xlsx"
        calc(COMMITTED / "training_budget.xlsx", out, sets=sets, freeze=True)
        wb = openpyxl.load_workbook(out)

        def cell(name):
            sheet, ref = next(wb.defined_names[name].destinations)
            return wb[sheet][ref.replace("$", "")]
        return {n: cell(n).protection.locked for n in
                ("Budget_Mode", "Price_Per_GPU_Hour", "GPU_Count", "FLOPs_Budget", "Dollar_Budget", "MFU")}

    assert locked([]) == {"Budget_Mode": True, "Price_Per_GPU_Hour": False, "GPU_Count": True,
                          "FLOPs_Budget": False, "Dollar_Budget": False, "MFU": True}
    assert locked(["Budget_Mode=FLOPs"]) == {"Budget_Mode": True, "Price_Per_GPU_Hour": False, "GPU_Count": False,
                                             "FLOPs_Budget": True, "Dollar_Budget": False, "MFU": False}
    assert locked(["Budget_Mode=Dollars", "Dollar_Budget=5e6"]) == {
        "Budget_Mode": True, "Price_Per_GPU_Hour": True, "GPU_Count": False, "FLOPs_Budget": False,
        "Dollar_Budget": True, "MFU": True}


def test_the_dependency_analysis_follows_the_branch_an_if_took():
    from workbook.recalc.depends import live_parts

    table = {"A1>0": True, "A1<0": False}
    pick = table.get
    assert live_parts("IF(A1>0,B1,C1)+D1", pick) == ["0+D1", "A1>0", "B1"]
    assert live_parts("IF(A1<0,B1,C1)", pick) == ["0", "A1<0", "C1"]
    assert live_parts("IF(A1<0,B1)", pick) == ["0", "A1<0"]  # no FALSE branch: nothing more
    # Unknown conditions follow both branches; nested IFs are followed inside the branch taken.
    assert live_parts("IF(E1=2,B1,C1)", pick) == ["0", "E1=2", "B1", "C1"]
    assert live_parts("SUM(IF(A1>0,IF(A1<0,B1,C1),D1),F1)", pick) == ["SUM(0,F1)", "A1>0", "0", "A1<0", "C1"]
    assert live_parts("MAX(B1,C1)", pick) == ["MAX(B1,C1)"]


def test_training_budget_states_the_accelerators_memory_and_deadline_need(computed):
    x = inputs("training_budget.xlsx")
    names = computed("training_budget.xlsx")
    assert names.names["Deadline_GPUs"] == x["GPU_Count"]  # the cluster meets its own days
    sets = ["Budget_Mode=FLOPs", "FLOPs_Budget=3e23", "Cluster_Days=20", "Activation_GB=30", "GPU_Count=64"]
    got = computed("training_budget.xlsx", sets).names
    n = planner.chinchilla_n(3e23, x["Law"])
    deadline = planner.gpus_for_deadline(3e23 * (1 + x["Restart_Overhead"]), 20, x["GPU"], x["MFU"])
    memory = planner.gpus_for_memory(n, x["GPU"], x["Train_Bytes_Per_Param"], activation_gb=30)
    assert (got["Deadline_GPUs"], got["Memory_GPUs"], got["Plan_GPUs"]) == (deadline, memory, max(deadline, memory))
    assert got["Check_Memory"] is (64 >= memory)
    assert f"needs at least {memory:,} accelerators" in got["Summary"] and f"needs {deadline:,}." in got["Summary"]
    # A cluster too small for the state fails its check.
    small = computed("training_budget.xlsx", ["Budget_Mode=FLOPs", "GPU_Count=8"]).names
    assert small["Memory_GPUs"] > 8 and small["Check_Memory"] is False


def traffic_days(x) -> float:
    """Days of full traffic over the service: the traffic ramps up evenly from nothing."""
    ramp, days = x["Ramp_Days"], x["Days_In_Service"]
    return days - ramp / 2 if ramp <= days else days * days / (2 * ramp)


def _deployment_expected(x) -> dict:
    law, gpu, price = x["Law"], x["GPU"], x["Price_Per_GPU_Hour"]
    mfus = x["Train_MFU"], x["Prefill_MFU"], x["Decode_MFU"]
    if x["Target_Mode"] == "Loss":
        loss = x["Target_Loss_Input"]
    else:  # as good as the compute-optimal model of Target_Params parameters
        loss = planner.chinchilla_loss(planner.chinchilla_compute(x["Target_Params"], law), law)
    days = traffic_days(x)
    t_in = x["Requests_Per_Day"] * x["Input_Tokens_Per_Request"] * days
    t_out = x["Requests_Per_Day"] * x["Output_Tokens_Per_Request"] * days
    flop = planner.inference_tradeoff(loss, t_in + t_out, law)
    cost = planner.inference_tradeoff_cost(loss, t_in, t_out, law, None, gpu, price, *mfus,
                                           serve_gpu=x["Serve_GPU"], serve_price=x["Serve_Price_Per_GPU_Hour"])
    c_opt = planner.compute_for_loss(loss, law)
    designs = {"Opt": (planner.chinchilla_n(c_opt, law), planner.chinchilla_d(c_opt, law)),
               "FlopOpt": (flop["params"], flop["tokens"]),
               "CostOpt": (cost["params"], cost["tokens"]),
               "Own": (x["Own_Params"], x["Own_Tokens"])}
    out = {"Target_Loss": loss, "Lifetime_Tokens": t_in + t_out,
           "FlopOpt_Total_FLOPs": flop["total_flops"], "FlopOpt_FLOPs_Savings": flop["savings"],
           "CostOpt_Total_Cost": cost["total_cost"], "CostOpt_Savings": cost["savings"],
           "CostOpt_Train_Cost": cost["train_cost"], "CostOpt_Inference_Cost": cost["inference_cost"]}
    for p, (n, d) in designs.items():
        train = 6 * n * d
        out[f"{p}_Params"], out[f"{p}_Tokens"] = n, d
        out[f"{p}_Loss"] = planner.scaling_loss(n, d, law)
        out[f"{p}_Total_FLOPs"] = train + 2 * n * (t_in + t_out)
        out[f"{p}_Train_Cost"] = planner.compute_cost(train, price, gpu, mfus[0])
        out[f"{p}_Inference_Cost"] = (planner.compute_cost(2 * n * t_in, price, gpu, mfus[1])
                                      + planner.compute_cost(2 * n * t_out, price, gpu, mfus[2]))
        out[f"{p}_Total_Cost"] = out[f"{p}_Train_Cost"] + out[f"{p}_Inference_Cost"]
        out[f"{p}_Train_Memory_GB"] = planner.train_memory_gb(n, x["Train_Bytes_Per_Param"])
        out[f"{p}_Train_Memory_GPUs"] = planner.gpus_for_memory(n, gpu, x["Train_Bytes_Per_Param"])
        out[f"{p}_Serve_GPUs"] = math.ceil(
            planner.inference_memory_gb(n, x["Serve_Bytes_Per_Param"], x["KV_Cache_GB"])
            / planner.gpu_spec(gpu, "memory_gb"))
    return out


def test_deployment_plan(computed):
    x = inputs("deployment_plan.xlsx")
    assert x["Target_Mode"] == "Model size"
    names = computed("deployment_plan.xlsx").names
    for name, value in _deployment_expected(x).items():
        assert close(names[name], value), name
    # the compute-optimal model as good as a compute-optimal 70B model is that model
    assert close(names["Opt_Params"], x["Target_Params"])
    # the inference-aware models reach the target loss and cost no more than the compute-optimal one
    for p in ("FlopOpt", "CostOpt"):
        assert close(names[f"{p}_Loss"], names["Target_Loss"])
        assert names[f"{p}_Total_Cost"] <= names["Opt_Total_Cost"]
    assert names["CostOpt_Total_Cost"] <= names["FlopOpt_Total_Cost"] * (1 + REL)
    assert names["FlopOpt_Total_FLOPs"] <= names["CostOpt_Total_FLOPs"] * (1 + REL)


def test_deployment_break_even_volume_equalises_costs(computed):
    names = computed("deployment_plan.xlsx").names
    for p in ("FlopOpt", "CostOpt"):
        v = names[f"{p}_Breakeven_Tokens"]
        assert v > 0
        per_token = lambda q: names[f"{q}_Inference_Cost"] / names["Lifetime_Tokens"]  # noqa: E731
        at_v = lambda q: names[f"{q}_Train_Cost"] + per_token(q) * v  # noqa: E731
        assert close(at_v(p), at_v("Opt"), 1e-9)


def test_deployment_plan_target_as_loss(computed):
    x = inputs("deployment_plan.xlsx")
    names = computed("deployment_plan.xlsx", ["Target_Mode=Loss", "Target_Loss_Input=2.1"]).names
    x.update(Target_Mode="Loss", Target_Loss_Input=2.1)
    for name, value in _deployment_expected(x).items():
        assert close(names[name], value), name
    assert close(names["Target_Loss"], 2.1) and close(names["Opt_Loss"], 2.1)


def test_overtraining_explorer(computed):
    x = inputs("overtraining_explorer.xlsx")
    result = computed("overtraining_explorer.xlsx")
    c, law = x["Budget"], x["Law"]
    n_opt = planner.chinchilla_n(c, law)
    assert close(result.names["Opt_Params"], n_opt)
    wb = openpyxl.load_workbook(COMMITTED / "overtraining_explorer.xlsx")
    sheet, ref = next(wb.defined_names["Ratios"].destinations)
    first = int(re.search(r"\$(\d+):", ref).group(1))
    ratios = column(result, "overtraining_explorer.xlsx", "Ratios")
    assert ratios[0] == 1 and ratios[-1] == 10000
    unreachable = 0
    for i, r in enumerate(ratios):
        row = {k: result.values[(sheet, f"{col}{first + i}")] for k, col in zip("NDLPQOFS", "BCDEFGHI")}
        n = math.sqrt(c / (6 * r))
        assert close(row["N"], n) and close(row["D"], r * n)
        assert close(row["L"], planner.overtrain_loss(c, r, law))
        assert close(row["P"], planner.overtrain_penalty(c, r, law))
        assert close(row["F"], 2 * n)
        assert close(row["S"], n / n_opt)  # inference cost per token as a multiple of the optimum's
        try:
            expected = planner.overtrain_overhead(c, n, law)
        except planner.PlannerError:
            assert row["O"] == "unreachable"
            unreachable += 1
        else:
            assert close(row["O"], expected)
    assert unreachable < len(ratios)


def test_public_models(computed):
    result = computed("public_models.xlsx")
    wb = openpyxl.load_workbook(COMMITTED / "public_models.xlsx")
    sheet, ref = next(wb.defined_names["Models_Params"].destinations)
    first = int(re.search(r"\$(\d+):", ref).group(1))
    models = column(result, "public_models.xlsx", "Models_Name")
    params, tokens = column(result, "public_models.xlsx", "Models_Params"), column(result, "public_models.xlsx", "Models_Tokens")
    seen = {}
    for i, (m, n, d) in enumerate(zip(models, params, tokens)):
        get = lambda col: result.values.get((sheet, f"{col}{first + i}"))  # noqa: E731
        if not m:
            assert get("E") in ("", None, 0.0)  # blank rows stay blank
            continue
        seen[m] = (n, d)
        assert close(get("E"), planner.train_flops(n, d))
        for col, law in zip("FGH", ("chinchilla", "epoch", "kaplan")):
            assert close(get(col), planner.scaling_loss(n, d, law))
        assert close(get("I"), planner.chinchilla_n(6 * n * d))
    # the figures the papers give: GPT-3 175B trained on 300B tokens took 3.14E+23 FLOPs
    # (Brown et al. 2020, Table D.1); Llama 3.1 405B on 15.6T tokens 3.8E+25 (Dubey et al. 2024)
    for m, published in (("GPT-3 175B", 3.14e23), ("Llama 3.1 405B", 3.8e25)):
        n, d = seen[m]
        assert 6 * n * d == pytest.approx(published, rel=0.01)
    for m in ("Gopher 280B", "Chinchilla 70B", "LLaMA 65B", "Llama 2 70B", "Llama 3 8B"):
        assert m in seen


# The published runs (Besiroglu et al. 2024), kept outside the repository: the copy the
# template ships is checked against them, never against itself.
PUBLISHED_RUNS = ROOT.parent / "shared" / "data" / "chinchilla_figure4_runs.csv"


def _runs():
    with open(PUBLISHED_RUNS, newline="") as f:
        rows = list(csv.DictReader(f))
    n = np.array([float(r["Model Size"]) for r in rows])
    c = np.array([float(r["Training FLOP"]) for r in rows])
    return n, c / (6 * n), np.array([float(r["loss"]) for r in rows])


def test_scaling_law_fit(computed):
    result = computed("scaling_law_fit.xlsx")
    names = result.names
    n, d, loss = (np.array([v for v in column(result, "scaling_law_fit.xlsx", name) if v not in (None, "")])
                  for name in ("Runs_Params", "Runs_Tokens", "Runs_Loss"))
    assert len(n) == len(d) == len(loss) == 245
    # The five runs of highest loss are left out, as the replication leaves them out.
    include = column(result, "scaling_law_fit.xlsx", "Runs_Include")[:245]
    assert include == ["no"] * 5 + ["yes"] * 240 and np.all(loss[:5] > np.sort(loss)[-6])
    n, d, loss = n[5:], d[5:], loss[5:]
    fit = planner.fit_scaling_law(n, d, loss, inputs("scaling_law_fit.xlsx")["Huber_Delta"])
    assert names["Runs_Count"] == 240
    # So the shipped fit is the published one (Besiroglu et al. 2024, Table 1) within its errors.
    from test_fitting import PUBLISHED, PUBLISHED_SE
    assert np.all(np.abs(fit - PUBLISHED) < PUBLISHED_SE)
    for key, value in zip(("E", "A", "B", "Alpha", "Beta"), fit):
        assert close(names[f"Fit_{key}"], value, 1e-9), key
    alpha, beta = fit[3], fit[4]
    assert close(names["Fit_Params_Exponent"], beta / (alpha + beta)) and close(names["Fit_Tokens_Exponent"], alpha / (alpha + beta))
    budget = names["Budget"]
    assert close(names["Fit_Opt_Params"], planner.chinchilla_n(budget, fit))
    predicted = planner.scaling_loss(n, d, fit)
    assert close(names["Fit_RMSE"], np.sqrt(np.mean((loss - predicted) ** 2)), 1e-9)
    assert close(names["Fit_Max_Residual"], np.max(np.abs(loss - predicted)), 1e-9)


def test_scaling_law_fit_runs_are_the_published_data():
    n, d, loss = _runs()
    shipped = np.array(scaling_law_fit.RUNS)
    assert len(shipped) == 245
    for i, values in enumerate((n, d, loss)):
        np.testing.assert_allclose(shipped[:, i], values, rtol=1e-14)


def test_scaling_law_fit_follows_pasted_runs(tmp_path):
    """A user's own runs, pasted over the shipped ones, give their own law everywhere."""
    true = planner.law_params("epoch")
    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(3e7, 1e10, 6), np.geomspace(1e9, 3e11, 6)))
    loss = planner.scaling_loss(n, d, true)
    wb = openpyxl.load_workbook(COMMITTED / "scaling_law_fit.xlsx")
    ws = wb["Runs"]
    sheet, ref = next(wb.defined_names["Runs_Params"].destinations)
    first, last = (int(x) for x in re.findall(r"\d+", ref))
    for r in range(first, last + 1):
        for col in "ABCD":  # parameters, tokens, loss and Include (blank: the run is used)
            ws[f"{col}{r}"] = None
    for i, row in enumerate(zip(n, d, loss)):
        for col, v in zip("ABC", row):
            ws[f"{col}{first + 2 * i}"] = float(v)  # every other row: blank rows in between are skipped
    pasted = tmp_path / "mine.xlsx"
    wb.save(pasted)
    names = calc(pasted, tmp_path / "out.xlsx").names
    assert names["Runs_Count"] == len(n)
    fit = planner.fit_scaling_law(n, d, loss)
    for key, value, truth in zip(("E", "A", "B", "Alpha", "Beta"), fit, true):
        assert close(names[f"Fit_{key}"], value, 1e-9), key
        assert close(names[f"Fit_{key}"], truth, 1e-3), key  # exact data: the law comes back
    assert names["Fit_RMSE"] < 1e-3


def test_accelerator_given_as_a_number(computed):
    """The GPU input also takes a peak FLOP/s number (with a board power for the energy)."""
    preset = computed("training_budget.xlsx").names
    peak, power = planner.gpu_spec("H100 SXM", "bf16_flops"), planner.gpu_spec("H100 SXM", "power_w")
    names = computed("training_budget.xlsx", [f"GPU={peak!r}", f"Board_Power_W={power!r}"]).names
    for name in ("Budget", "GPU_Hours", "Cost_Total", "Energy_kWh", "Opt_Params"):
        assert close(names[name], preset[name]), name


def test_energy_without_a_board_power_says_what_is_missing(computed):
    """An accelerator preset without a published board power: the energy is an error (#N/A,
    never a number of zero watts) and the check saying what is missing turns FALSE."""
    names = computed("training_budget.xlsx", ["GPU=TPU v5e"]).names
    assert isinstance(names["Energy_kWh"], CellError) and names["Energy_kWh"].code == "#N/A"
    assert names["Check_Power"] is False and names["Check_Accelerator"] is True
    names = computed("training_budget.xlsx", ["GPU=TPU v5e", "Board_Power_W=200"]).names
    assert close(names["Energy_kWh"], planner.energy_kwh(names["Budget"], "TPU v5e", 0.4, 1.2, 200))


def test_deployment_plan_shows_the_lowest_reachable_loss(computed):
    for law in planner.laws.PRESETS:
        names = computed("deployment_plan.xlsx", [f"Law={law}"]).names
        assert close(names["Law_E"], planner.law_params(law)[0])
        assert names["Target_Loss"] > names["Law_E"]


# --- what a reader sees ------------------------------------------------------------------------


def _wrapped_lines(text: str, chars: float) -> int:
    """A lower bound on the lines a text wraps to: its length over the characters that fit."""
    return math.ceil(len(text) / (chars * 1.3))


@pytest.mark.parametrize("filename", FILES)
def test_wrapped_text_has_room(filename):
    """A cell that wraps sits in a row tall enough for its lines (programs keep stored heights)."""
    wb = openpyxl.load_workbook(COMMITTED / filename)
    checked = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if not (isinstance(c.value, str) and c.alignment.wrap_text) or c.value.startswith("="):
                    continue
                width = ws.column_dimensions[c.column_letter].width
                lines = _wrapped_lines(c.value, width)
                if lines > 1:
                    checked += 1
                    height = ws.row_dimensions[c.row].height
                    assert height and height >= 14 * lines, f"{ws.title}!{c.coordinate}: {c.value!r}"
    assert checked  # every template has wrapped headers or About paragraphs


@pytest.mark.parametrize("filename", FILES)
def test_about_says_which_cells_need_the_add_in(filename):
    wb = openpyxl.load_workbook(COMMITTED / filename)
    about = " ".join(str(c.value) for row in wb["About"].iter_rows() for c in row if c.value)
    catalog = {name.upper() for name in planner.CATALOG}
    per_sheet, used = {}, set()
    for sheet, _, text in _formulas(filename):
        names = set(re.findall(r"([A-Z][A-Z0-9_.]*)\(", text)) & catalog
        if names:
            per_sheet[sheet] = per_sheet.get(sheet, 0) + 1
            used |= names
    for sheet, n in per_sheet.items():
        assert f"{n} on sheet {sheet}" in about
    assert all(fn in about for fn in used)
    assert f"planner calc {filename} --out handoff.xlsx --freeze" in about
    # printed one page wide, the text column only
    ws = wb["About"]
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert re.search(r"!\$A\$1:\$B\$\d+$", ws.print_area), ws.print_area


def _axis_title(axis) -> str:
    return "".join(r.t for p in axis.title.tx.rich.p for r in (p.r or []))


@pytest.mark.parametrize("filename", FILES)
def test_charts_read_well(filename):
    """Axes shown and titled, 'log scale' in a title exactly where the axis is logarithmic, a
    legend only where several series need telling apart, markers filled so points show."""
    wb = openpyxl.load_workbook(COMMITTED / filename)
    for ws in wb.worksheets:
        for chart in ws._charts:
            for axis in (chart.x_axis, chart.y_axis):
                assert axis.delete is False
                title = _axis_title(axis)
                assert title
                assert ("log scale" in title) == (axis.scaling.logBase == 10), title
            assert (chart.legend is not None) == (len(chart.series) > 1)
            for s in chart.series:  # points show filled markers; bars (a tornado) a filled bar
                assert (s.spPr.solidFill if chart.tagname == "barChart" else s.marker.spPr.solidFill) is not None


def test_the_runs_the_replication_drops_are_the_first_five():
    """The About sheet tells a reader to clear the first five runs to fit as the replication did."""
    losses = [r[2] for r in scaling_law_fit.RUNS]
    assert min(losses[:5]) > max(losses[5:])
    assert "the first five rows" in " ".join(scaling_law_fit.SCALING_LAW_FIT.sources)


def test_memory_rows_work_with_an_accelerator_given_as_a_peak(tmp_path):
    """The hint "or a peak FLOP/s number" beside the training accelerator holds in the memory
    rows too: they take the memory per accelerator from its own input then; serving takes the
    serving accelerator's memory from sheet Hardware."""
    src = ROOT / "templates" / "deployment_plan.xlsx"
    result = calc(src, tmp_path / "o.xlsx", ["GPU=989.4e12", "GPU_Memory_Input=40"])
    names = {k.casefold(): v for k, v in result.names.items()}
    for p in ("opt", "flopopt", "costopt", "own"):
        n = names[f"{p}_params"]
        assert names[f"{p}_train_memory_gpus"] == planner.gpus_for_memory(n, 989.4e12, names["train_bytes_per_param"],
                                                                         memory_gb=40)
        # Float noise at an exact fit (160 GB on 2 x 80 GB) does not add an accelerator.
        assert names[f"{p}_serve_gpus"] == math.ceil(names[f"{p}_serve_memory_gb"] / 80 * (1 - names["count_tolerance"]))
    assert names["opt_serve_memory_gb"] == pytest.approx(160) and names["opt_serve_gpus"] == 2


def test_lamda_note_says_its_tokens_are_not_its_reported_compute():
    from workbook.templates.public_models import PUBLIC_MODELS

    name, n, d, source = next(m for m in PUBLIC_MODELS if m[0].startswith("LaMDA"))
    reported = 3.55e23  # Thoppilan et al. 2022, pre-training compute
    share = 6 * n * d / reported
    assert f"{round(share * 100)}%" in source and "3.55E+23" in source and f"{6 * n * d:.2E}" in source


@pytest.mark.parametrize("name", FILES)
def test_about_says_why_the_presets_disagree_and_the_default_is_the_replication(name):
    wb = openpyxl.load_workbook(ROOT / "templates" / name)
    about = " ".join(str(c.value) for row in wb["About"].iter_rows() for c in row if c.value)
    assert planner.laws.WHY_PRESETS_DIFFER in about
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if c.value == "Law" and ws.cell(c.row, c.column + 1).value is not None:
                    assert ws.cell(c.row, c.column + 1).value == "epoch"
    names = {n.upper(): n for n in wb.defined_names}
    if "LAW" in names:
        sheet, ref = next(iter(wb.defined_names[names["LAW"]].destinations))
        assert wb[sheet][ref.replace("$", "")].value == "epoch"


# --- the law spread ------------------------------------------------------------------------

def _spread_rows(filename, result):
    """(preset, {column header: value}) for each row of a template's law-spread block."""
    wb = openpyxl.load_workbook(COMMITTED / filename)
    sheet, ref = next(wb.defined_names["Spread_Laws"].destinations)
    ws = wb[sheet]
    first, last = (int(re.sub(r"[^0-9]", "", part)) for part in ref.split(":"))
    headers = {c.column_letter: c.value for c in ws[first - 2] if c.value}
    for r in range(first, last + 1):
        law = result.values[(sheet, f"A{r}")]
        yield law, {h: result.values[(sheet, f"{col}{r}")] for col, h in headers.items() if col != "A"}


@pytest.mark.parametrize("filename", PLANS)
def test_every_template_shows_the_answer_under_each_preset(filename, computed):
    result = computed(filename)
    names = result.names
    rows = list(_spread_rows(filename, result))
    assert [law for law, _ in rows] == list(planner.laws.PRESETS)
    for law, row in rows:
        if filename == "deployment_plan.xlsx":
            # Each law's own reading of the target (a model size), then its cost-optimal design.
            n = planner.chinchilla_compute(names["Target_Params"], law)
            target = planner.scaling_loss(names["Target_Params"], planner.chinchilla_d(n, law), law)
            assert close(row["Target loss under the law"], target)
            best = planner.inference_tradeoff_cost(
                target, names["Lifetime_Input_Tokens"], names["Lifetime_Output_Tokens"], law,
                gpu=names["GPU"], price_per_gpu_hour=names["Price_Per_GPU_Hour"],
                train_mfu=names["Train_MFU"], prefill_mfu=names["Prefill_MFU"], decode_mfu=names["Decode_MFU"])
            assert close(row["Parameters"], best.params) and close(row["Total cost"], best.total_cost)
            assert close(row["Saving against that law's compute-optimal model"], best.savings)
            continue
        budget = {"public_models.xlsx": "Spread_FLOPs", "benchmark_forecast.xlsx": "Forecast_Compute"}.get(
            filename, "Budget")
        assert close(row["Parameters"], planner.chinchilla_n(names[budget], law)), law
    # The chosen law's own answer is among them, in the same units.
    if filename in ("training_budget.xlsx", "overtraining_explorer.xlsx"):
        assert close(dict(rows)[names["Law"]]["Parameters"], names["Opt_Params"])


@pytest.mark.parametrize("filename", ["training_budget.xlsx", "deployment_plan.xlsx"])
def test_the_hardware_sheet_holds_the_presets_published_figures(filename):
    wb = openpyxl.load_workbook(COMMITTED / filename)

    def column(name):
        sheet, ref = next(wb.defined_names[name].destinations)
        return [c.value for row in wb[sheet][ref.replace("$", "")] for c in row]

    names = column("HW_Name")
    assert names[:len(planner.hardware.GPU_NAMES)] == list(planner.hardware.GPU_NAMES)
    for i, name in enumerate(planner.hardware.GPU_NAMES):
        acc = planner.hardware.GPU_PRESETS[name]
        assert column("HW_Peak_FLOPs")[i] == acc.bf16_flops == planner.peak_flops(name)
        assert column("HW_Memory_GB")[i] == acc.memory_gb
        assert column("HW_Power_W")[i] == acc.power_w  # None (a blank) where unpublished
        assert column("HW_Source")[i] == acc.source and acc.source


@pytest.mark.parametrize("filename", ["training_budget.xlsx", "deployment_plan.xlsx"])
def test_accounting_uses_no_planner_formula(filename):
    """Hours, dollars, energy and memory are Excel's own formulas: only decisions need the add-in."""
    decisions = {"CHINCHILLA_N", "CHINCHILLA_D", "CHINCHILLA_LOSS", "CHINCHILLA_COMPUTE", "SCALING_LOSS",
                 "INFERENCE_TRADEOFF", "INFERENCE_TRADEOFF_COST", "LAW_PARAMS", "EFFECTIVE_TOKENS",
                 "DATA_CONSTRAINED_LOSS", "DATA_CONSTRAINED_N", "DATA_CONSTRAINED_D", "EPOCHS_WORTH_IT",
                 "SMALLEST_PARAMS", "TOKENS_FOR_LOSS", "INFERENCE_TRADEOFF_BUDGET"}
    catalog = {name.upper() for name in planner.CATALOG}
    for sheet, coord, text in _formulas(filename):
        used = set(re.findall(r"([A-Z][A-Z0-9_.]*)\(", text.replace('"', "'"))) & catalog
        assert used <= decisions, f"{sheet}!{coord} accounts with {used - decisions}: {text}"


def test_a_hand_off_copy_marks_what_it_froze_and_locks_what_only_the_add_in_honours(tmp_path):
    from workbook.recalc.calc import FROZEN_FILL

    out = tmp_path / "handoff.xlsx"
    result = calc(COMMITTED / "training_budget.xlsx", out, freeze=True)
    wb = openpyxl.load_workbook(out)

    def cell(name):
        sheet, ref = next(wb.defined_names[name].destinations)
        return wb[sheet][ref.replace("$", "")]

    assert cell("Opt_Params").fill.fgColor.rgb == FROZEN_FILL and not str(cell("Opt_Params").value).startswith("=")
    assert cell("GPU_Hours").fill.fgColor.rgb != FROZEN_FILL and cell("GPU_Hours").value.startswith("=")
    assert wb["Budget"].protection.sheet and not wb["Budget"].protection.password
    # The cluster decides the budget the frozen model was made for; the price only accounts.
    assert cell("GPU_Count").protection.locked and cell("Law").protection.locked
    for name in ("Price_Per_GPU_Hour", "PUE", "Board_Power_W"):
        assert not cell(name).protection.locked, name
    banners = [wb[s][r.replace("$", "")].value for s, r in wb.defined_names["Handoff_Banners"].destinations]
    assert len(banners) == 3 and all(b.startswith("=IF(") for b in banners)  # Budget, Details, Hardware
    assert any(f.startswith("Budget!") for f in result.frozen)
    shown = openpyxl.load_workbook(out, data_only=True)
    assert shown["Budget"]["A3"].value.startswith("Hand-off copy, frozen ")
    assert wb.defined_names["Handoff_Changed"].attr_text.endswith(">0")


# --- conventions every template follows -------------------------------------------------------

@pytest.mark.parametrize("filename", PLANS)
def test_no_constant_inside_a_template_formula(filename):
    """Unit factors and tolerances are named constants; only 0 and 1 appear as numbers."""
    from formulas import Parser
    from formulas.tokens.operand import Number

    for sheet, coord, text in _formulas(filename):
        numbers = [t.name for t in Parser().ast(text)[0] if isinstance(t, Number)]
        assert set(numbers) <= {"0", "1"}, f"{sheet}!{coord}: {text}"


PRINTABLE_INCHES = 11 - 2 * 0.5  # landscape Letter less the templates' side margins
MIN_SCALE = 0.70


def _printed_scale(ws, last_column: int) -> float:
    """The scale that fits the printed columns on one page wide (Excel: a width of w characters
    is about 7w + 5 pixels at 96 dpi)."""
    pixels = sum(7 * (ws.column_dimensions[get_column_letter(c)].width or 8.43) + 5
                 for c in range(1, last_column + 1))
    return min(1.0, PRINTABLE_INCHES * 96 / pixels)


@pytest.mark.parametrize("filename", FILES)
def test_every_sheet_prints_one_landscape_page_wide_at_a_readable_scale(filename):
    wb = openpyxl.load_workbook(COMMITTED / filename)
    sheets = _work_sheets(wb)
    one_page = {s.title for s in _spec(filename).sheets if s.one_page}
    assert sheets[0].title in one_page  # the main sheet
    for ws in sheets:
        setup = ws.page_setup
        # The main sheet (and a committee's page) on one page; the details run on as long as they need.
        tall = 1 if ws.title in one_page else 0
        assert setup.orientation == "landscape" and (setup.fitToWidth, setup.fitToHeight) == (1, tall)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        area = ws.print_area
        assert area, ws.title
        last_col = range_boundaries(area.split("!")[-1].replace("$", ""))[2]
        assert _printed_scale(ws, last_col) >= MIN_SCALE, (ws.title, _printed_scale(ws, last_col))
        # Charts sit below the tables, inside the printed area.
        last_row = range_boundaries(area.split("!")[-1].replace("$", ""))[3]
        printed_px = sum(7 * (ws.column_dimensions[get_column_letter(c)].width or 8.43) + 5
                         for c in range(1, last_col + 1))
        for chart in ws._charts:
            marker = chart.anchor._from
            assert marker.row + 1 <= last_row
            # Left-aligned, or beside another chart, and within the printed columns either way.
            left = sum(7 * (ws.column_dimensions[get_column_letter(c)].width or 8.43) + 5
                       for c in range(1, marker.col + 1))
            assert marker.col == 0 or any(o is not chart and o.anchor._from.row == marker.row for o in ws._charts)
            width_cm = chart.anchor.ext.width / 360000  # EMU; the chart's own width is not read back
            assert left + width_cm / 2.54 * 96 <= printed_px, (ws.title, marker.col, width_cm)
        assert ws.oddHeader.left.text == "&F" and ws.oddFooter.center.text == "Page &P of &N"
    if "Lists" in wb.sheetnames:  # the drop-downs' helper sheet
        assert wb["Lists"].sheet_state == "hidden"


@pytest.mark.parametrize("filename", ["training_budget.xlsx", "deployment_plan.xlsx"])
def test_the_summary_line_says_the_decision_in_words(filename, computed):
    names = computed(filename).names
    summary = names["Summary"]
    params = names["Opt_Params" if filename == "training_budget.xlsx" else "CostOpt_Params"]
    assert summary.startswith("Train ") and f"{params / 1e9:.1f} B-parameter model" in summary
    cost = names["Cost_Total" if filename == "training_budget.xlsx" else "CostOpt_TCO"]
    assert f"${cost / 1e6:.2f} M" in summary
    checks = [k for k in names if k.startswith("Check_")]
    assert len(checks) >= 3 and all(names[k] is True for k in checks)


@pytest.mark.parametrize("filename", PLANS)
def test_every_plan_has_a_checks_block_that_passes_as_shipped(filename, computed):
    names = computed(filename).names
    checks = {k: v for k, v in names.items() if k.startswith("Check_")}
    assert len(checks) >= 2 and all(v is True for v in checks.values()), checks


def test_a_failed_check_says_so(computed):
    names = computed("public_models.xlsx", ["Spread_Model=GPT-5"]).names
    assert names["Check_Model"] is False


def test_every_template_has_its_summary_line(computed):
    said = {f: computed(f).names["Summary"] for f in FILES}
    assert said["function_gallery.xlsx"].startswith(f"{len(planner.CATALOG)} planner formulas")
    names = {f: computed(f).names for f in FILES}
    explorer = names["overtraining_explorer.xlsx"]
    assert f"{explorer['Opt_Params'] / 1e9:.1f} B parameters" in said["overtraining_explorer.xlsx"]
    fit = names["scaling_law_fit.xlsx"]
    assert said["scaling_law_fit.xlsx"].startswith(f"Your {fit['Runs_Count']:.0f} runs follow L = {fit['Fit_E']:.3f}")
    public = names["public_models.xlsx"]
    larger = sum(1 for m in public_models_rows() if m[1] > planner.chinchilla_n(6 * m[1] * m[2]))
    assert f"{larger} are larger than compute-optimal" in said["public_models.xlsx"]


def public_models_rows():
    from workbook.templates.public_models import PUBLIC_MODELS
    return PUBLIC_MODELS


@pytest.mark.parametrize("filename, name, condition, shown", [
    ("training_budget.xlsx", "FLOPs_Budget", 'Budget_Mode<>"FLOPs"', ()),
    # What the dollars would buy stays shown on Details, whichever mode is chosen.
    ("training_budget.xlsx", "Dollar_Budget", 'Budget_Mode<>"Dollars"', ("Dollar_Budget_FLOPs",)),
    ("deployment_plan.xlsx", "Target_Params", 'Target_Mode<>"Model size"', ()),
    ("deployment_plan.xlsx", "Dollar_Budget", 'Target_Mode<>"Dollar budget"', ()),
    ("deployment_plan.xlsx", "Target_Loss_Input", 'Target_Mode<>"Loss"', ()),
])
def test_inputs_the_chosen_mode_ignores_are_greyed(filename, name, condition, shown, computed):
    wb = openpyxl.load_workbook(COMMITTED / filename)
    sheet, ref = next(wb.defined_names[name].destinations)
    ref = ref.replace("$", "")
    rules = [r for cf in wb[sheet].conditional_formatting for r in cf.rules if ref in str(cf.sqref)]
    assert [r.formula for r in rules] == [[condition]]
    # And the input really is unused then: changing it moves nothing the sheet computes.
    # A mode the condition names as ignoring the input: one other than the mode it needs.
    switch, needed = re.fullmatch(r'(\w+)<>"([^"]+)"', condition).groups()
    chosen = next(v for v in spec.LISTS[{"Budget_Mode": "budget_mode", "Target_Mode": "target_mode"}[switch]].values
                  if v != needed)
    base = computed(filename, [f"{switch}={chosen}"]).names
    moved = computed(filename, [f"{switch}={chosen}", f"{name}={base[name] * 1.5!r}"]).names
    assert all(moved[k] == v for k, v in base.items() if k != name and k not in shown)
    assert all(moved[k] != base[k] for k in shown)


def test_the_gallery_has_a_working_example_of_every_formula(computed):
    from workbook.templates.function_gallery import _ENTRIES, _example, _result

    RESULT = 6  # column F: formula, category, description, example, unit, then the result

    result = computed("function_gallery.xlsx")
    names = column(result, "function_gallery.xlsx", "Gallery_Formula")
    assert names == [e.excel_name for e in planner.CATALOG.values()]
    wb = openpyxl.load_workbook(COMMITTED / "function_gallery.xlsx")
    sheet, ref = next(wb.defined_names["Gallery_Formula"].destinations)
    first = int(re.sub(r"[^0-9]", "", ref.split(":")[0]))
    for i, entry in enumerate(_ENTRIES):
        formula, width = _result(entry)
        got = [result.values[(sheet, f"{get_column_letter(RESULT + k)}{first + i}")] for k in range(width)]
        assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in got), (entry.excel_name, got)
        # The example shown for copying is text (not a formula) reading as the one the cell computes.
        shown = wb[sheet][f"D{first + i}"]
        assert shown.data_type == "s" and shown.quotePrefix and shown.value == _example(entry)
        assert result.values[(sheet, f"D{first + i}")] == _example(entry)
    # Spot checks against the planner: a number, a row and a block's first row.
    row = {e.excel_name: first + i for i, e in enumerate(_ENTRIES)}
    assert close(result.values[(sheet, f"{get_column_letter(RESULT)}{row['CHINCHILLA_N']}")], planner.chinchilla_n(1e24))
    law = [result.values[(sheet, f"{get_column_letter(RESULT + k)}{row['LAW_PARAMS']}")] for k in range(5)]
    assert law == planner.law_params("epoch").tolist()


@pytest.mark.parametrize("filename", FILES)
def test_no_error_is_turned_into_a_word(filename):
    """An error passes through as an error; a word stands only for a condition tested as such."""
    for sheet, coord, text in _formulas(filename):
        assert "IFERROR(" not in text.upper() and "ISERROR(" not in text.upper(), f"{sheet}!{coord}: {text}"


def test_a_model_too_small_for_the_optimal_loss_is_called_unreachable_by_its_size(computed):
    names = computed("overtraining_explorer.xlsx").names
    smallest = planner.smallest_params(names["Opt_Loss"], names["Law"])
    with pytest.raises(planner.PlannerError):
        planner.overtrain_overhead(names["Budget"], smallest * 0.999, names["Law"])
    assert planner.overtrain_overhead(names["Budget"], smallest * 1.001, names["Law"]) > 1
    result = computed("overtraining_explorer.xlsx")
    wb = openpyxl.load_workbook(COMMITTED / "overtraining_explorer.xlsx")
    sheet, ref = next(wb.defined_names["Ratios"].destinations)
    first, last = (int(re.sub(r"[^0-9]", "", part)) for part in ref.split(":"))
    words = 0
    for r in range(first, last + 1):
        size, overhead = result.values[(sheet, f"B{r}")], result.values[(sheet, f"G{r}")]
        if size > smallest:
            assert close(overhead, planner.overtrain_overhead(names["Budget"], size, names["Law"]))
        else:
            assert overhead == "unreachable"
            words += 1
    assert words >= 1  # the shipped ratios reach past the smallest model


def _table_rows(result, filename, first_name, keys):
    """The rows of the table whose first column is the defined range `first_name`."""
    wb = openpyxl.load_workbook(COMMITTED / filename)
    sheet, ref = next(wb.defined_names[first_name].destinations)
    first, last = (int(re.sub(r"[^0-9]", "", part)) for part in ref.split(":"))
    return [{k: result.values.get((sheet, f"{get_column_letter(i + 1)}{r}")) for i, k in enumerate(keys)}
            for r in range(first, last + 1)]


def test_the_deployment_plan_charts_total_cost_against_size_as_a_u(computed):
    result = computed("deployment_plan.xlsx")
    names = result.names
    rows = _table_rows(result, "deployment_plan.xlsx", "Size_Multiples",
                       ("mult", "params", "tokens", "train", "serve", "total"))
    price, hours = names["Price_Per_GPU_Hour"], planner.gpu_hours
    for row in rows:
        d = planner.tokens_for_loss(row["params"], names["Target_Loss"], names["Law"])
        train = hours(planner.train_flops(row["params"], d), names["GPU"], names["Train_MFU"]) * price
        serve = (hours(planner.inference_flops(row["params"], names["Lifetime_Input_Tokens"]), names["GPU"],
                       names["Prefill_MFU"])
                 + hours(planner.inference_flops(row["params"], names["Lifetime_Output_Tokens"]), names["GPU"],
                         names["Decode_MFU"])) * price
        assert close(row["total"], train + serve)
    # The planner's cost-optimal design sits at the bottom of the U its accounting draws.
    totals = [r["total"] for r in rows]
    best = [r["mult"] for r in rows][totals.index(min(totals))]
    assert best == 1 and totals[0] > min(totals) < totals[-1]
    wb = openpyxl.load_workbook(COMMITTED / "deployment_plan.xlsx")
    chart = next(c for c in wb["Details"]._charts if "model size" in str(c.title.tx.rich.p[0].r[0].t))
    assert len(chart.series) == 4  # the U and three marked designs


def test_deployment_plan_sizes_the_serving_fleet_as_serving_gpus_does(computed):
    x = inputs("deployment_plan.xlsx")
    names = computed("deployment_plan.xlsx").names
    days, rate = traffic_days(x), x["Requests_Per_Day"]
    lifetime = rate * days * (x["Input_Tokens_Per_Request"] + x["Output_Tokens_Per_Request"])
    api = rate * days * (x["Input_Tokens_Per_Request"] * x["API_Input_Price"]
                         + x["Output_Tokens_Per_Request"] * x["API_Output_Price"]) / 1e6
    for p in ("Opt", "FlopOpt", "CostOpt", "Own"):
        fleet = planner.serving_gpus(rate, x["Input_Tokens_Per_Request"], x["Output_Tokens_Per_Request"],
                                     names[f"{p}_Params"], x["Serve_GPU"], x["Peak_To_Average"],
                                     x["Latency_Target_MS"], x["Serve_Layers"], x["Serve_KV_Heads"],
                                     x["Serve_Head_Dim"], names[f"{p}_Serve_GPUs"],
                                     bytes_per_param=x["Serve_Bytes_Per_Param"], bytes_per_value=x["Serve_KV_Bytes"],
                                     mfu=x["Prefill_MFU"])
        assert (names[f"{p}_Fleet_GPUs"], names[f"{p}_Replicas"], names[f"{p}_Batch"]) == \
            (fleet.gpus, fleet.replicas, fleet.batch), p
        assert close(names[f"{p}_Fleet_Utilisation"], fleet.utilisation) and close(names[f"{p}_Step_S"], fleet.ms_per_token)
        tco = names[f"{p}_Train_Cost"] + fleet.gpus * days * 24 * x["Serve_Price_Per_GPU_Hour"]
        assert close(names[f"{p}_TCO"], tco) and close(names[f"{p}_All_In_Per_M"], tco / lifetime * 1e6)
        assert close(names[f"{p}_API_Saving"], 1 - tco / api)
        # Input and output tokens share the all-in cost: together they make it up.
        shares = (names[f"{p}_All_In_Input_Per_M"] * rate * days * x["Input_Tokens_Per_Request"]
                  + names[f"{p}_All_In_Output_Per_M"] * rate * days * x["Output_Tokens_Per_Request"]) / 1e6
        assert close(shares, tco)
        # At the break-even rate the fleet and training cost what the API charges.
        r = names[f"{p}_API_Breakeven"]
        per_request = names[f"{p}_Fleet_Cost"] / (rate * days)
        assert close(names[f"{p}_Train_Cost"] + r * days * per_request, r * days * api / (rate * days))
    assert names["Check_Latency"] is True


def test_deployment_plan_with_headroom_at_the_peak_and_a_cluster_of_its_own(computed):
    x = inputs("deployment_plan.xlsx")
    names = computed("deployment_plan.xlsx", ["Peak_Utilisation_Target=0.8", "Train_GPUs_Available=1000"]).names
    for p in ("Opt", "FlopOpt", "CostOpt", "Own"):
        fleet = planner.serving_gpus(x["Requests_Per_Day"], x["Input_Tokens_Per_Request"],
                                     x["Output_Tokens_Per_Request"], names[f"{p}_Params"], x["Serve_GPU"],
                                     x["Peak_To_Average"], x["Latency_Target_MS"], x["Serve_Layers"],
                                     x["Serve_KV_Heads"], x["Serve_Head_Dim"], names[f"{p}_Serve_GPUs"],
                                     bytes_per_param=x["Serve_Bytes_Per_Param"], bytes_per_value=x["Serve_KV_Bytes"],
                                     mfu=x["Prefill_MFU"], utilisation_target=0.8)
        assert names[f"{p}_Fleet_GPUs"] == fleet.gpus and close(names[f"{p}_Fleet_Utilisation"], fleet.utilisation)
        # Trained on the thousand accelerators there are (or more, where the state needs them).
        cluster = max(1000, names[f"{p}_Train_Memory_GPUs"])
        assert names[f"{p}_Train_Cluster_GPUs"] == cluster
        assert close(names[f"{p}_Train_Wall_Days"], names[f"{p}_Train_GPU_Hours"] / (cluster * 24))
    days = max(names[f"{p}_Train_Wall_Days"] for p in ("Opt", "FlopOpt", "CostOpt", "Own"))
    assert names["Check_Train_Cluster"] is (days <= x["Train_Days"])
    assert computed("deployment_plan.xlsx", ["Train_GPUs_Available=64"]).names["Check_Train_Cluster"] is False


def test_deployment_plan_schedule_and_payback(computed):
    x = inputs("deployment_plan.xlsx")
    result = computed("deployment_plan.xlsx")
    names = result.names
    months = column(result, "deployment_plan.xlsx", "Schedule_Months")
    per_month = 365.25 / 12
    ramp, days = x["Ramp_Days"], x["Days_In_Service"]

    def served(t):  # days of full traffic served t days after the service starts
        t = min(max(t, 0.0), days)
        return t * t / (2 * ramp) if t <= ramp else t - ramp / 2

    spent = {}
    for p in ("Opt", "FlopOpt", "CostOpt", "Own"):
        hours = names[f"{p}_Train_GPU_Hours"]
        cluster = max(math.ceil(hours / (x["Train_Days"] * 24) * (1 - 1e-9)), names[f"{p}_Train_Memory_GPUs"])
        assert names[f"{p}_Train_Cluster_GPUs"] == cluster
        train_days = hours / (cluster * 24)
        assert train_days <= x["Train_Days"] + 1e-9
        rate = names[f"{p}_Fleet_GPUs"] * 24 * x["Serve_Price_Per_GPU_Hour"]
        spent[p] = [names[f"{p}_Train_Cost"] * min(1, m * per_month / train_days) + rate * served(m * per_month - train_days)
                    for m in months]
        got = column(result, "deployment_plan.xlsx", f"Schedule_{p}")
        assert all(close(a, b) for a, b in zip(got, spent[p])), p
        assert close(got[-1], names[f"{p}_TCO"]), p  # the schedule ends with the whole cost of ownership
    trained = max(names["Opt_Train_Wall_Days"], names["CostOpt_Train_Wall_Days"])
    payback = next(m for m, a, b in zip(months, spent["CostOpt"], spent["Opt"]) if m * per_month >= trained and a <= b)
    assert names["Payback_Month"] == payback and names["Check_Schedule"] is True
    # Spend only grows, and the cost-optimal design is ahead from its payback on.
    assert all(b >= a for a, b in zip(spent["CostOpt"], spent["CostOpt"][1:]))
    assert all(a <= b for m, a, b in zip(months, spent["CostOpt"], spent["Opt"]) if m >= payback)


def _held_design_cost(x, names):
    """cost(**multiples) -> (cost of ownership, per million tokens) of the cost-optimal design
    held fixed, with each input named at its multiple of the plan's value, written out
    independently of the workbook (the fleet from SERVING_GPUS)."""
    train, n = names["CostOpt_Train_Cost"], names["CostOpt_Params"]
    price, rate = x["Serve_Price_Per_GPU_Hour"], x["Requests_Per_Day"]
    tokens_per_day = rate * (x["Input_Tokens_Per_Request"] + x["Output_Tokens_Per_Request"])

    def fleet(requests, peak):
        return planner.serving_gpus(requests, x["Input_Tokens_Per_Request"], x["Output_Tokens_Per_Request"], n,
                                    x["Serve_GPU"], peak, x["Latency_Target_MS"], x["Serve_Layers"],
                                    x["Serve_KV_Heads"], x["Serve_Head_Dim"], names["CostOpt_Serve_GPUs"],
                                    bytes_per_param=x["Serve_Bytes_Per_Param"], bytes_per_value=x["Serve_KV_Bytes"],
                                    mfu=x["Prefill_MFU"], field="gpus")

    def cost(mfu=1, train_price=1, serve_price=1, traffic=1, peak=1, days=1):
        served = traffic_days(dict(x, Days_In_Service=x["Days_In_Service"] * days))
        gpus = fleet(rate * traffic, x["Peak_To_Average"] * peak)
        tco = train * train_price / mfu + gpus * served * 24 * price * serve_price
        return tco, tco / (tokens_per_day * traffic * served) * 1e6

    return cost


def test_deployment_plan_tornado_moves_one_input_at_a_time(computed):
    x = inputs("deployment_plan.xlsx")
    result = computed("deployment_plan.xlsx")
    names = result.names
    drivers = column(result, "deployment_plan.xlsx", "Tornado_Driver")
    lows = column(result, "deployment_plan.xlsx", "Tornado_Low")
    highs = column(result, "deployment_plan.xlsx", "Tornado_High")
    wb = openpyxl.load_workbook(COMMITTED / "deployment_plan.xlsx")
    sheet, ref = next(wb.defined_names["Tornado_Driver"].destinations)
    first = int(re.sub(r"[^0-9]", "", ref.split(":")[0]))
    cost = _held_design_cost(x, names)
    moves = {"Training MFU": "mfu", "Training price per accelerator-hour": "train_price",
             "Serving price per accelerator-hour": "serve_price", "Requests per day": "traffic",
             "Busiest hour over the average": "peak", "Days in service": "days"}
    # The law moves the design: each preset's cost-optimal model for its reading of the target.
    law_costs = []
    for law in planner.laws.PRESETS:
        target = planner.scaling_loss(x["Target_Params"], planner.chinchilla_d(
            planner.chinchilla_compute(x["Target_Params"], law), law), law)
        law_costs.append(planner.inference_tradeoff_cost(
            target, names["Lifetime_Input_Tokens"], names["Lifetime_Output_Tokens"], law, "total_cost", x["GPU"],
            x["Price_Per_GPU_Hour"], x["Train_MFU"], x["Prefill_MFU"], x["Decode_MFU"], serve_gpu=x["Serve_GPU"],
            serve_price=x["Serve_Price_Per_GPU_Hour"]))
    law_range = (min(law_costs) / names["CostOpt_Total_Cost"], max(law_costs) / names["CostOpt_Total_Cost"])

    assert drivers[:6] == list(moves) and drivers[6].startswith("Scaling law") and len(drivers) == 7
    assert close(lows[6], law_range[0]) and close(highs[6], law_range[1]) and lows[6] < 1 < highs[6]
    for i, (driver, low, high) in enumerate(zip(drivers, lows, highs)):
        r = first + i
        for m, tco_col, per_m_col in ((low, "D", "F"), (high, "E", "G")):
            if driver in moves:
                tco, per_m = cost(**{moves[driver]: m})
            else:  # the law: the plan's cost scaled by that law's design's
                tco = names["CostOpt_TCO"] * m
                per_m = tco / names["Lifetime_Tokens"] * 1e6
            assert close(result.values[(sheet, f"{tco_col}{r}")], tco), (driver, m)
            assert close(result.values[(sheet, f"{per_m_col}{r}")], per_m), (driver, m)
        assert close(result.values[(sheet, f"H{r}")], result.values[(sheet, f"D{r}")] - names["CostOpt_TCO"])
    # The plan's own values are the base every bar starts from.
    assert close(cost()[0], names["CostOpt_TCO"]) and close(cost()[1], names["CostOpt_All_In_Per_M"])
    chart = next(c for c in wb[sheet]._charts if c.tagname == "barChart")
    assert chart.type == "bar" and chart.overlap == 100 and len(chart.series) == 2


def test_deployment_plan_scenarios_move_the_inputs_together_and_the_decision_page_shows_one(computed):
    from workbook.templates.deployment_plan import SCENARIO_INPUTS, SCENARIOS

    x = inputs("deployment_plan.xlsx")
    for scenario in SCENARIOS:
        result = computed("deployment_plan.xlsx", [f"Scenario={scenario}"])
        names = result.names
        cost = _held_design_cost(x, names)
        row = SCENARIOS.index(scenario)
        multiples = {key: column(result, "deployment_plan.xlsx", name)[row] for key, _, name, *_ in SCENARIO_INPUTS}
        assert multiples == {key: values[row] for key, _, _, *values in SCENARIO_INPUTS}
        tco, per_m = cost(**multiples)
        assert close(names["Decision_TCO"], tco) and close(names["Decision_Per_M"], per_m), scenario
        assert close(column(result, "deployment_plan.xlsx", "Scenario_TCO")[row], tco)
        # The ranges are the tornado's, whatever the scenario shown; the base lies inside them.
        bars = [v for n in ("Tornado_TCO_Low", "Tornado_TCO_High") for v in column(result, "deployment_plan.xlsx", n)]
        assert (names["Decision_TCO_Lowest"], names["Decision_TCO_Highest"]) == (min(bars), max(bars))
        assert min(bars) < names["CostOpt_TCO"] < max(bars)
        if scenario == "Base":
            assert close(tco, names["CostOpt_TCO"]) and names["Decision_Fleet"] == names["CostOpt_Fleet_GPUs"]
        else:  # the design is held: the scenario changes what it costs, not what it is
            assert names["Decision_Params"] == names["CostOpt_Params"]
    down = computed("deployment_plan.xlsx", ["Scenario=Downside"]).names
    up = computed("deployment_plan.xlsx", ["Scenario=Upside"]).names
    assert down["Decision_Per_M"] > computed("deployment_plan.xlsx").names["Decision_Per_M"] > up["Decision_Per_M"]


def test_deployment_plan_from_a_dollar_budget(computed):
    x = inputs("deployment_plan.xlsx")
    names = computed("deployment_plan.xlsx", ["Target_Mode=Dollar budget", "Dollar_Budget=4e6"]).names
    days = traffic_days(x)
    t_in = x["Requests_Per_Day"] * x["Input_Tokens_Per_Request"] * days
    t_out = x["Requests_Per_Day"] * x["Output_Tokens_Per_Request"] * days
    # The target is the loss whose cost-optimal design spends the budget, at the plan's prices.
    spent = dict(gpu=x["GPU"], price_per_gpu_hour=x["Price_Per_GPU_Hour"], train_mfu=x["Train_MFU"],
                 prefill_mfu=x["Prefill_MFU"], decode_mfu=x["Decode_MFU"], serve_gpu=x["Serve_GPU"],
                 serve_price=x["Serve_Price_Per_GPU_Hour"])
    design = planner.inference_tradeoff_cost(names["Target_Loss"], t_in, t_out, x["Law"], **spent)
    assert close(design.total_cost, 4e6) and close(names["CostOpt_Total_Cost"], 4e6)
    assert close(names["CostOpt_Params"], design.params)
    # The fleet for the peak is what the budget's utilisations leave out: the check says so.
    assert names["Check_Budget"] is (names["CostOpt_TCO"] <= 4e6)
    more = computed("deployment_plan.xlsx", ["Target_Mode=Dollar budget", "Dollar_Budget=8e6"]).names
    assert more["Target_Loss"] < names["Target_Loss"]


def test_training_budget_monthly_spend(computed):
    result = computed("training_budget.xlsx", ["Cluster_Days=75"])
    names = result.names
    months = column(result, "training_budget.xlsx", "Spend_Months")
    monthly = column(result, "training_budget.xlsx", "Spend_Monthly")
    cumulative = column(result, "training_budget.xlsx", "Spend_Cumulative")
    run = names["Cost_Total"] * (1 + names["Restart_Overhead"])  # the cluster's days, restarts included
    per_month = 365.25 / 12
    assert close(names["Wall_Days"], 75)
    for m, spend, so_far in zip(months, monthly, cumulative):
        done = min(1.0, m * per_month / 75)
        assert close(so_far, run * done) and close(spend, run * (done - min(1.0, max(0.0, (m - 1) * per_month / 75))))
    assert close(sum(monthly), run) and monthly[3] == 0  # a 75-day run is paid in its first three months


# --- the benchmark forecast ---------------------------------------------------------------------

def _gadre():
    """The shipped models from the data beside the project, read independently of the template,
    each number to the 15 significant digits a workbook cell stores."""
    data = ROOT.parent / "shared" / "data"

    def stored(row):
        out = {}
        for k, v in row.items():
            try:
                out[k] = f"{float(v):.15g}"
            except ValueError:
                out[k] = v
        return out
    with open(data / "gadre2024_overtraining_runs.csv", newline="") as f:
        rows = {r["name"]: stored(r) for r in csv.DictReader(f)}
    with open(data / "gadre2024_tasks.csv", newline="") as f:
        chance = {r["task"]: float(r["random_baseline_percent"]) / 100 for r in csv.DictReader(f)}
    return rows, chance


def test_benchmark_forecast_reproduces_gadre_figure_1_and_forecasts_through_its_laws(computed):
    from workbook.templates.benchmark_forecast import ERROR_RUNS, LOSS_RUNS, SUBSET

    rows, _ = _gadre()
    result = computed("benchmark_forecast.xlsx")
    names = result.names

    def take(names_, key):
        return np.array([float(rows[n][key]) for n in names_])

    def error(name):
        return 1 - np.mean([float(rows[name][f"acc_{t}"]) for t in SUBSET])

    law = planner.fit_overtraining_law(take(LOSS_RUNS, "params"), take(LOSS_RUNS, "tokens"), take(LOSS_RUNS, "loss_c4"))
    error_law = planner.fit_error_law(take(ERROR_RUNS, "loss_c4"), [error(n) for n in ERROR_RUNS])
    assert [names[f"Loss_Law_{k}"] for k in ("E", "A", "B", "Alpha", "Beta")] == pytest.approx(law, rel=1e-9)
    # (the workbook averages the scores in its own order: curve_fit stops within its tolerance of ours)
    assert [names[f"Error_Law_{k}"] for k in ("Epsilon", "K", "Gamma")] == pytest.approx(error_law, rel=1e-6)
    # The relative errors the paper's notebook prints for its Figure 1.
    assert [round(100 * v, 4) for v in column(result, "benchmark_forecast.xlsx", "Figure1_Loss_Error")] == \
        [0.7103, 0.7320]
    assert [round(100 * v, 4) for v in column(result, "benchmark_forecast.xlsx", "Figure1_Top1_Error")] == \
        [3.6365, 0.0464]
    # The forecast chains the workbook's own laws: the error law inverted, then the budget.
    law = [names[f"Loss_Law_{k}"] for k in ("E", "A", "B", "Alpha", "Beta")]
    error_law = [names[f"Error_Law_{k}"] for k in ("Epsilon", "K", "Gamma")]
    loss = planner.loss_for_error(1 - names["Target_Accuracy"], error_law)
    assert close(names["Target_Loss"], loss)
    assert close(names["Forecast_Compute"], planner.compute_for_loss(loss, law))
    assert close(names["Forecast_Params"], planner.chinchilla_n(planner.compute_for_loss(loss, law), law))
    checks = {k: v for k, v in names.items() if k.startswith("Check_")}
    assert len(checks) >= 4 and all(v is True for v in checks.values())


def test_benchmark_forecast_sigmoids_and_size_against_the_planner(computed):
    from workbook.templates.benchmark_forecast import HELD_OUT, SUBSET

    rows, chance = _gadre()
    result = computed("benchmark_forecast.xlsx")
    names = result.names
    models = list(rows.values())
    loss = np.array([float(r["loss_c4"]) for r in models])
    average = np.array([np.mean([float(r[f"acc_{t}"]) for t in SUBSET]) for r in models])
    floors = np.array([chance[t] for t in SUBSET])
    block = planner.fit_benchmark_ci(loss, average, floors.mean(), names["Target_Accuracy"], names["Interval_Level"],
                                     1000, 0, False)
    assert [names["Sigmoid_Loss"], names["Sigmoid_Loss_Low"], names["Sigmoid_Loss_High"]] == \
        pytest.approx(block[:, 5], rel=1e-9)
    assert names["Sigmoid_Loss_Low"] < names["Sigmoid_Loss"] < names["Sigmoid_Loss_High"]
    # Each task's own sigmoid, and its score at the planned loss: the spread across tasks.
    at = column(result, "benchmark_forecast.xlsx", "Tasks_At_Target")
    for task, got in zip(SUBSET, at):
        scores = np.array([float(r[f"acc_{task}"]) for r in models])
        fit = planner.fit_benchmark(loss, scores, chance[task], False)
        assert close(got, planner.benchmark_score(names["Target_Loss"], fit), rel=1e-7), task
    assert max(at) - min(at) > 0.3  # one task is a poor guide to the average
    # The held-out model's compute, read off its scores, against the planner and the truth.
    known = [r for r in models if float(r["tokens_per_param"]) == 20 and r["name"] != HELD_OUT]
    got = planner.size_from_scores([6 * float(r["params"]) * float(r["tokens"]) for r in known],
                                   [[float(r[f"acc_{t}"]) for t in SUBSET] for r in known], floors,
                                   [float(rows[HELD_OUT][f"acc_{t}"]) for t in SUBSET], names["Interval_Level"])
    keys = ("Size_Estimate", "Size_Low", "Size_High", "Size_Disagreement", "Size_P_Value", "Size_Tasks")
    assert [names[k] for k in keys] == pytest.approx(got, rel=1e-9)
    truth = 6 * float(rows[HELD_OUT]["params"]) * float(rows[HELD_OUT]["tokens"])
    assert names["Size_Low"] <= truth <= names["Size_High"] and names["Check_Size_Agree"] is True
