"""What each template workbook contains: data read by the builder in `workbook.templates`.

A template is an About text and sheets; a sheet is a stack of blocks:
- `Section`: rows of labelled inputs (`In`) and formula outputs (`Out`), value in column B,
  unit in C, a note in D. Every input and named output gets a workbook-scoped defined name.
- `Grid`: the same rows side by side for several columns (the designs compared in the
  deployment plan); the cell of column P in row K is named P_K, and `{p}` in a formula is
  the column's own prefix, so one formula serves every column.
- `Table`: columns of inputs (`values`) or per-row formulas (`{key}` is the same row's cell
  of column `key`); an input column gets a defined name for its range.
- `Chart`: a scatter chart of table columns.

Formulas use only functions that Excel, LibreOffice and the embedded engine all compute, and
write numbers with an explicit exponent sign (1E+24).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from planner.hardware import GPU_NAMES
from planner.laws import PRESETS

# --- the records the builder reads ----------------------------------------------------------


@dataclass(frozen=True)
class In:
    label: str
    name: str
    value: object
    unit: str
    fmt: str = "General"
    rule: str = "positive"  # a key of NUMBER_RULES, "list:<LISTS key>" or "none"
    note: str = ""


@dataclass(frozen=True)
class Out:
    label: str
    formula: str
    unit: str
    fmt: str = "General"
    name: str | None = None
    note: str = ""
    key: bool = False


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple
    range_name: str | None = None  # a defined name for the whole value column (e.g. a law's 5 numbers)


@dataclass(frozen=True)
class GridCol:
    prefix: str
    title: str


@dataclass(frozen=True)
class GridRow:
    label: str
    key: str
    formula: str | None
    unit: str
    fmt: str = "General"
    cells: dict = field(default_factory=dict)  # prefix -> own formula, input value, or None (blank)
    rule: str = "positive"
    note: str = ""
    key_row: bool = False
    alert: str | None = None  # a result shown in red (e.g. "no" for a missed target)


@dataclass(frozen=True)
class Grid:
    title: str
    columns: tuple
    rows: tuple  # GridRow, or a str for a sub-heading


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    unit: str
    fmt: str = "General"
    formula: str | None = None
    values: tuple | None = None
    name: str | None = None
    rule: str = "positive"
    array: str | None = None  # one array formula over the whole column (Excel's own functions only)
    wrap: bool = False  # long text (a source) wraps within the column


@dataclass(frozen=True)
class Table:
    key: str
    columns: tuple
    nrows: int


@dataclass(frozen=True)
class Chart:
    table: str
    title: str
    x: str
    series: tuple  # (column key, series title)
    x_title: str
    y_title: str
    anchor: str
    log_x: bool = True
    log_y: bool = False
    x_fmt: str = "General"
    y_fmt: str = "General"
    markers: bool = True
    lines: bool = True
    line_only: tuple = ()  # keys of series drawn as a plain line whatever `lines` and `markers` say


@dataclass(frozen=True)
class Sheet:
    title: str
    heading: str
    intro: str
    blocks: tuple
    widths: tuple = (40, 18, 16, 60)
    freeze: str = "B4"


@dataclass(frozen=True)
class Template:
    filename: str
    title: str
    answers: tuple
    how: tuple
    sources: tuple
    sheets: tuple


@dataclass(frozen=True)
class Choices:
    name: str  # the defined name of the list's range on the Lists sheet
    title: str
    values: tuple
    prompt: str
    error: str
    open: bool = False  # True: other values are allowed after a warning


# --- shared vocabulary ----------------------------------------------------------------------

LISTS = {
    "law": Choices("List_Laws", "Scaling-law presets", tuple(PRESETS),
                   "A scaling-law preset (sources on the About sheet)",
                   "Pick a preset from the list; the planner also takes a tokens-per-parameter "
                   "number for allocation only.", open=True),
    "gpu": Choices("List_GPUs", "Accelerators", tuple(GPU_NAMES),
                   "An accelerator preset (vendor datasheet figures)",
                   "Pick an accelerator from the list, or type its dense peak FLOP/s.", open=True),
    "budget_mode": Choices("List_Budget_Modes", "Budget from", ("Cluster", "FLOPs"),
                           "Cluster: GPUs x days x MFU; FLOPs: the budget typed below",
                           "Choose Cluster or FLOPs."),
    "target_mode": Choices("List_Target_Modes", "Quality target", ("Model size", "Loss"),
                           "Model size: as good as the compute-optimal model of that size; "
                           "Loss: a loss in nats/token",
                           "Choose Model size or Loss."),
}

# rule -> (lower bound, upper bound or None, message). Validation rejects what the planner would.
NUMBER_RULES = {
    "positive": (0, None, "Enter a number greater than zero."),
    "fraction": ("0.000001", 1, "Enter a fraction between 0 and 1 (40% is 0.4)."),
    "pue": (1, 10, "Power usage effectiveness is at least 1 (1.1-1.5 is typical)."),
}

# The About sheet's word on the add-in; {file}, {cells} and {functions} are filled in per template.
ADDIN_NOTE = (
    "Cells that need the Compute planner add-in: {cells}, the ones whose formulas use {functions}. "
    "In Excel, load the add-in (README, \"The formulas in Excel\") and they recalculate as you "
    "type; without it they show #NAME?. The inputs and the cells with Excel's own formulas (IF, "
    "SQRT, ROUNDUP, ...) work in any spreadsheet program.",
    "For colleagues without the add-in, make a hand-off copy: on a computer with the planner "
    "installed (Excel is not needed), type in a terminal:",
    "planner calc {file} --out handoff.xlsx --freeze",
    "In the copy every add-in cell holds its number, Excel's own formulas stay live, and a note at "
    "the end of this sheet says when and from which inputs it was made. Typing a new input into "
    "the copy does not update the frozen numbers: change the original and make a new copy.",
    "To recalculate without Excel, into result.xlsx, type the following; each --set NAME=VALUE "
    "changes an input first, NAME being one of the input names listed below (in Excel: Formulas > "
    "Name Manager):",
    "planner calc {file} --out result.xlsx --set NAME=VALUE",
)

LAW_SOURCES = (
    "Scaling-law presets: 'chinchilla' Hoffmann et al. 2022, \"Training Compute-Optimal Large "
    "Language Models\", Approach 3 (E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28); 'epoch' "
    "Besiroglu et al. 2024, \"Chinchilla Scaling: A replication attempt\" (E=1.8172, A=482.01, "
    "B=2085.43, alpha=0.3478, beta=0.3658); 'kaplan' Kaplan et al. 2020, \"Scaling Laws for "
    "Neural Language Models\", eq. 1.5.",
    "Training compute C = 6ND FLOPs and inference 2N FLOPs per token (Kaplan et al. 2020).",
)
GPU_SOURCES = (
    "Accelerator figures (dense bf16 peak FLOP/s, memory, power): vendor datasheets, listed in "
    "the planner's function reference under GPU_SPEC.",
)

# Number formats a person reads: the unit column names the unit, the format scales it.
FLOPS = '0.00E+00" FLOPs"'
FLOPS_S = '0.00E+00" FLOP/s"'
# Scaled by size (conditions in brackets, which Excel and LibreOffice both read): 70.0 B, 1.2 T.
BILLIONS = '[>=1000000000000]#,##0.00,,,," T";[>=1000000000]#,##0.0,,," B";#,##0.0,," M"'
MILLIONS = '#,##0.0,," M"'
TOKENS = '[>=1000000000000]#,##0.00,,,," T";[>=1000000000]#,##0.0,,," B";#,##0.0,," M"'
USD_M = '[>=1000000000]"$"#,##0.00,,," B";[>=1000000]"$"#,##0.00,," M";"$"#,##0'
USD = '"$"#,##0.00'
INT = "#,##0"
ONE = "#,##0.0"
TWO = "0.00"
LOSS = "0.0000"
PCT = "0.0%"
SAVING = "0.0%;[Red]-0.0%"  # a negative saving (a loss) in red
SCI = "0.00E+00"
TEXT = "@"
CHOICE = "General"  # not "@": a number typed over a preset name (a peak FLOP/s) must stay a number

LAW_IN = In("Scaling law", "Law", "chinchilla", "preset", CHOICE, "list:law",
            "chinchilla, epoch or kaplan (sources on About)")


# --- 1. training budget ---------------------------------------------------------------------

SENS_MULTIPLES = (0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10)

TRAINING_BUDGET = Template(
    "training_budget.xlsx",
    "Training budget: from a cluster or a FLOPs budget to the compute-optimal model",
    answers=(
        "Given a cluster (accelerator, count, days, utilisation, price) or a FLOPs budget, what is "
        "the compute-optimal model: parameters, training tokens, tokens per parameter, predicted "
        "loss, and what it costs in GPU-hours, days, dollars and energy?",
        "Does the training data suffice: how many epochs over the unique tokens available, and "
        "how much loss the repetition costs?",
        "How do model, loss and cost move for budgets from 0.1x to 10x (table and chart)?",
    ),
    how=(
        "Sheet Budget: change the blue-on-yellow inputs. 'Budget from' chooses between the "
        "cluster (GPUs x days x MFU) and the FLOPs budget typed below it.",
        "MFU is the model FLOPs utilisation, a fraction (0.4 = 40% of the dense peak). The price "
        "is per GPU-hour. PUE scales board power to facility power.",
        "Unique tokens available: the size of your deduplicated training corpus; when the "
        "optimal token count exceeds it, the data-limit rows show the repetition's cost.",
        "Sensitivity: edit the multiples column to try other budgets.",
    ),
    sources=LAW_SOURCES + GPU_SOURCES + (
        "Repeated data: Muennighoff et al. 2023, \"Scaling Data-Constrained Language Models\" "
        "(effective tokens with R* = 15.4).",
    ),
    sheets=(
        Sheet("Budget", "Training budget", "Inputs in blue on yellow; everything else is computed.", (
            Section("Scaling law", (LAW_IN,)),
            Section("Budget", (
                In("Budget from", "Budget_Mode", "Cluster", "choice", CHOICE, "list:budget_mode",
                   "Cluster: the cluster below; FLOPs: the FLOPs budget below"),
                In("Accelerator", "GPU", "H100 SXM", "preset", CHOICE, "list:gpu",
                   "or a peak FLOP/s number"),
                In("Number of accelerators", "GPU_Count", 2048, "GPUs", INT),
                In("Training time", "Cluster_Days", 60, "days", ONE),
                In("Model FLOPs utilisation (MFU)", "MFU", 0.4, "fraction", PCT, "fraction",
                   "0.3-0.5 is typical for large dense models"),
                In("Price per accelerator-hour", "Price_Per_GPU_Hour", 2.0, "USD/GPU-hour", USD),
                In("Power usage effectiveness (PUE)", "PUE", 1.2, "ratio", TWO, "pue"),
                In("Board power per accelerator (blank: the preset's)", "Board_Power_W", None, "W", INT,
                   note="needed for TPU v5e/v5p (unpublished) or an accelerator given as FLOP/s"),
                In("FLOPs budget (when 'Budget from' is FLOPs)", "FLOPs_Budget", 1e24, "FLOPs", FLOPS),
                Out("Training budget used", '=IF(Budget_Mode="FLOPs",FLOPs_Budget,'
                    'COMPUTE_FROM_GPUS(GPU_Count,Cluster_Days,GPU,MFU))', "FLOPs", FLOPS, "Budget",
                    key=True),
                Out("Accelerator peak (dense bf16)", "=PEAK_FLOPS(GPU)", "FLOP/s", FLOPS_S, "GPU_Peak"),
            )),
            Section("Compute-optimal model", (
                Out("Parameters", "=CHINCHILLA_N(Budget,Law)", "parameters", BILLIONS, "Opt_Params", key=True),
                Out("Training tokens", "=CHINCHILLA_D(Budget,Law)", "tokens", TOKENS, "Opt_Tokens", key=True),
                Out("Tokens per parameter", "=Opt_Tokens/Opt_Params", "tokens/parameter", ONE, "Opt_Tokens_Per_Param"),
                Out("Predicted loss", "=CHINCHILLA_LOSS(Budget,Law)", "nats/token", LOSS, "Opt_Loss", key=True),
            )),
            Section("Time, cost and energy", (
                Out("Accelerator-hours", "=GPU_HOURS(Budget,GPU,MFU)", "GPU-hours", INT, "GPU_Hours", key=True),
                Out("Wall-clock time on the cluster", "=TRAIN_DAYS(Budget,GPU_Count,GPU,MFU)", "days", ONE,
                    "Wall_Days"),
                Out("Training cost", "=COMPUTE_COST(Budget,Price_Per_GPU_Hour,GPU,MFU)", "USD", USD_M,
                    "Cost_Total", key=True),
                # The one input an accelerator preset may lack: say so instead of #VALUE!.
                Out("Energy", '=IFERROR(ENERGY_KWH(Budget,GPU,MFU,PUE,Board_Power_W),"enter board power")',
                    "kWh", INT, "Energy_kWh", note="board power x hours x PUE"),
            )),
            Section("Data limit", (
                In("Unique tokens available", "Unique_Tokens", 5e12, "tokens", TOKENS,
                   note="deduplicated corpus size"),
                Out("Epochs over the unique data", "=Opt_Tokens/Unique_Tokens", "epochs", TWO, "Epochs"),
                Out("Effective tokens (repeats discounted)", "=EFFECTIVE_TOKENS(Opt_Tokens,Unique_Tokens)",
                    "tokens", TOKENS, "Effective_Tokens", note="equals the tokens when nothing repeats"),
                Out("Loss with the data limit", "=DATA_CONSTRAINED_LOSS(Opt_Params,Opt_Tokens,Unique_Tokens,Law)",
                    "nats/token", LOSS, "Data_Limited_Loss", key=True),
                Out("Loss cost of repetition", "=MAX(0,Data_Limited_Loss-Opt_Loss)", "nats/token", LOSS,
                    "Data_Loss_Penalty"),
                Out("Epochs worth training at this budget", "=EPOCHS_WORTH_IT(Unique_Tokens,Budget,Law)", "epochs",
                    TWO, "Epochs_Worth_It",
                    note="past this, more repetition buys less than a bigger model; below 1, data is not the limit"),
            )),
            Table("sens", (
                Col("mult", "Budget multiple", "x", "0.0#", values=SENS_MULTIPLES, name="Sens_Multiples"),
                Col("budget", "Budget", "FLOPs", FLOPS, "={mult}*Budget"),
                Col("params", "Parameters", "parameters", BILLIONS, "=CHINCHILLA_N({budget},Law)"),
                Col("tokens", "Training tokens", "tokens", TOKENS, "=CHINCHILLA_D({budget},Law)"),
                Col("loss", "Predicted loss", "nats/token", LOSS, "=CHINCHILLA_LOSS({budget},Law)"),
                Col("hours", "Accelerator-hours", "GPU-hours", INT, "=GPU_HOURS({budget},GPU,MFU)"),
                Col("days", "Days on the cluster", "days", ONE, "=TRAIN_DAYS({budget},GPU_Count,GPU,MFU)"),
                Col("cost", "Training cost", "USD", USD_M, "={hours}*Price_Per_GPU_Hour"),
            ), len(SENS_MULTIPLES)),
            Chart("sens", "Predicted loss against training budget", "budget", (("loss", "Compute-optimal loss"),),
                  "Training budget (FLOPs, log scale)", "Loss (nats/token)", "J4", x_fmt=SCI, y_fmt=TWO),
            Chart("sens", "Training cost against budget", "budget", (("cost", "Training cost (USD)"),),
                  "Training budget (FLOPs, log scale)", "USD (log scale)", "J23", log_y=True, x_fmt=SCI,
                  y_fmt='"$"#,##0'),
        ), widths=(40, 18, 16, 16, 16, 18, 16, 16)),
    ),
)


# --- 2. deployment plan ---------------------------------------------------------------------

DESIGNS = (GridCol("Opt", "Compute-optimal"), GridCol("FlopOpt", "FLOP-optimal (inference-aware)"),
           GridCol("CostOpt", "Cost-optimal (inference-aware)"), GridCol("Own", "Your model"))
_COST_ARGS = "GPU,Price_Per_GPU_Hour,Train_MFU,Prefill_MFU,Decode_MFU"
VOLUME_MULTIPLES = (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100)

DEPLOYMENT_PLAN = Template(
    "deployment_plan.xlsx",
    "Deployment plan: training plus a lifetime of inference",
    answers=(
        "Which model should we train when it will also serve a known volume of requests? Side by "
        "side: the compute-optimal model for the quality target, the model with the fewest "
        "lifetime FLOPs (training + inference), the model with the lowest lifetime cost, and a "
        "model of your own choice, each with FLOPs, accelerator-hours and cost.",
        "From what inference volume does a smaller, longer-trained model pay for itself (the "
        "break-even volume), and how does the total cost grow with volume (table and chart)?",
        "Does each model fit in memory: training and serving memory against the accelerator's?",
    ),
    how=(
        "Sheet Plan: set the quality target, either as a loss or as 'as good as the "
        "compute-optimal model of N parameters' (the 'Quality target' switch chooses).",
        "Describe the demand: requests per day, input (prompt) and output (generated) tokens per "
        "request, days in service. Prompt tokens are processed in parallel (prefill MFU), output "
        "tokens one at a time (decode MFU, much lower).",
        "Pick the accelerator and price; type your own candidate's parameters and tokens in the "
        "'Your model' column.",
        "The volume table below multiplies the planned lifetime volume; edit its multiples.",
    ),
    sources=LAW_SOURCES + GPU_SOURCES + (
        "Inference-aware scaling: Sardana et al. 2024, \"Beyond Chinchilla-Optimal: Accounting for "
        "Inference in Language Model Scaling Laws\" (the FLOP- and cost-optimal models).",
        "Memory: mixed-precision Adam holds about 16 bytes per parameter (bf16 weights and "
        "gradients, fp32 master weights and two moments; Rajbhandari et al. 2020, ZeRO); serving "
        "in bf16 holds 2 bytes per parameter plus the KV cache. Activations are not included.",
    ),
    sheets=(
        Sheet("Plan", "Deployment plan", "Inputs in blue on yellow; everything else is computed.", (
            Section("Quality target", (
                LAW_IN,
                In("Quality target given as", "Target_Mode", "Model size", "choice", CHOICE, "list:target_mode",
                   "Model size: as good as a compute-optimal model of that size; Loss: the loss below"),
                In("As good as a compute-optimal model of", "Target_Params", 70e9, "parameters", BILLIONS,
                   note="used when the target is a model size"),
                In("Target loss", "Target_Loss_Input", 2.0, "nats/token", LOSS,
                   note="used when the target is a loss; must be above the lowest loss below"),
                Out("Lowest loss the law allows (E)", "=INDEX(LAW_PARAMS(Law),1,1)", "nats/token", LOSS, "Law_E",
                    note="the irreducible loss: no model of any size reaches it"),
                Out("Target loss used", '=IF(Target_Mode="Loss",Target_Loss_Input,'
                    'CHINCHILLA_LOSS(CHINCHILLA_COMPUTE(Target_Params,Law),Law))', "nats/token", LOSS,
                    "Target_Loss", key=True),
            )),
            Section("Demand over the deployment", (
                In("Requests per day", "Requests_Per_Day", 10e6, "requests/day", INT),
                In("Input (prompt) tokens per request", "Input_Tokens_Per_Request", 1000, "tokens", INT),
                In("Output (generated) tokens per request", "Output_Tokens_Per_Request", 250, "tokens", INT),
                In("Days in service", "Days_In_Service", 365, "days", INT),
                Out("Lifetime input tokens", "=Requests_Per_Day*Input_Tokens_Per_Request*Days_In_Service",
                    "tokens", TOKENS, "Lifetime_Input_Tokens"),
                Out("Lifetime output tokens", "=Requests_Per_Day*Output_Tokens_Per_Request*Days_In_Service",
                    "tokens", TOKENS, "Lifetime_Output_Tokens"),
                Out("Lifetime inference tokens", "=Lifetime_Input_Tokens+Lifetime_Output_Tokens", "tokens",
                    TOKENS, "Lifetime_Tokens", key=True),
            )),
            Section("Hardware and price", (
                In("Accelerator", "GPU", "H100 SXM", "preset", CHOICE, "list:gpu", "or a peak FLOP/s number"),
                In("Price per accelerator-hour", "Price_Per_GPU_Hour", 2.0, "USD/GPU-hour", USD),
                In("Training MFU", "Train_MFU", 0.4, "fraction", PCT, "fraction"),
                In("Prefill (input tokens) MFU", "Prefill_MFU", 0.4, "fraction", PCT, "fraction",
                   "prompts are processed in parallel, like training"),
                In("Decode (output tokens) MFU", "Decode_MFU", 0.1, "fraction", PCT, "fraction",
                   "generation is memory-bound: far below the training MFU"),
                In("Training bytes per parameter", "Train_Bytes_Per_Param", 16, "bytes", INT,
                   note="16: mixed-precision Adam"),
                In("Serving bytes per parameter", "Serve_Bytes_Per_Param", 2, "bytes", INT,
                   note="2: bf16 weights; 1: 8-bit"),
                In("KV cache per serving replica", "KV_Cache_GB", 20, "GB", ONE, "positive",
                   "KV_CACHE_GB(layers, kv_heads, head_dim, context, batch) computes it from a shape"),
            )),
            Grid("Designs compared", DESIGNS, (
                "Model",
                GridRow("Parameters", "Params", None, "parameters", BILLIONS, {
                    "Opt": "=CHINCHILLA_N(COMPUTE_FOR_LOSS(Target_Loss,Law),Law)",
                    "FlopOpt": '=INFERENCE_TRADEOFF(Target_Loss,Lifetime_Tokens,Law,"params")',
                    "CostOpt": f'=INFERENCE_TRADEOFF_COST(Target_Loss,Lifetime_Input_Tokens,'
                               f'Lifetime_Output_Tokens,Law,"params",{_COST_ARGS})',
                    "Own": 40e9}, key_row=True),
                GridRow("Training tokens", "Tokens", None, "tokens", TOKENS, {
                    "Opt": "=CHINCHILLA_D(COMPUTE_FOR_LOSS(Target_Loss,Law),Law)",
                    "FlopOpt": '=INFERENCE_TRADEOFF(Target_Loss,Lifetime_Tokens,Law,"tokens")',
                    "CostOpt": f'=INFERENCE_TRADEOFF_COST(Target_Loss,Lifetime_Input_Tokens,'
                               f'Lifetime_Output_Tokens,Law,"tokens",{_COST_ARGS})',
                    "Own": 15.5e12}, key_row=True),
                GridRow("Tokens per parameter", "Tokens_Per_Param", "={p}_Tokens/{p}_Params",
                        "tokens/parameter", ONE),
                GridRow("Predicted loss", "Loss", "=SCALING_LOSS({p}_Params,{p}_Tokens,Law)", "nats/token", LOSS),
                GridRow("Meets the quality target", "Meets_Target",
                        '=IF({p}_Loss<=Target_Loss*(1+1E-9),"yes","no")', "yes/no", alert="no"),
                "Compute",
                GridRow("Training FLOPs", "Train_FLOPs", "=TRAIN_FLOPS({p}_Params,{p}_Tokens)", "FLOPs", FLOPS),
                GridRow("Inference FLOPs", "Inference_FLOPs", "=INFERENCE_FLOPS({p}_Params,Lifetime_Tokens)",
                        "FLOPs", FLOPS),
                GridRow("Total FLOPs", "Total_FLOPs", "={p}_Train_FLOPs+{p}_Inference_FLOPs", "FLOPs", FLOPS,
                        key_row=True),
                GridRow("Training accelerator-hours", "Train_GPU_Hours", "=GPU_HOURS({p}_Train_FLOPs,GPU,Train_MFU)",
                        "GPU-hours", INT),
                GridRow("Inference accelerator-hours", "Inference_GPU_Hours",
                        "=GPU_HOURS(INFERENCE_FLOPS({p}_Params,Lifetime_Input_Tokens),GPU,Prefill_MFU)"
                        "+GPU_HOURS(INFERENCE_FLOPS({p}_Params,Lifetime_Output_Tokens),GPU,Decode_MFU)",
                        "GPU-hours", INT, note="input tokens at the prefill MFU, output at the decode MFU"),
                GridRow("Total accelerator-hours", "Total_GPU_Hours", "={p}_Train_GPU_Hours+{p}_Inference_GPU_Hours",
                        "GPU-hours", INT),
                "Cost",
                GridRow("Training cost", "Train_Cost", "={p}_Train_GPU_Hours*Price_Per_GPU_Hour", "USD", USD_M),
                GridRow("Inference cost", "Inference_Cost", "={p}_Inference_GPU_Hours*Price_Per_GPU_Hour",
                        "USD", USD_M),
                GridRow("Total cost", "Total_Cost", "={p}_Train_Cost+{p}_Inference_Cost", "USD", USD_M,
                        key_row=True),
                GridRow("Inference cost per million tokens", "Cost_Per_M_Tokens",
                        "={p}_Inference_Cost/Lifetime_Tokens*1E+6", "USD/M tokens", '"$"#,##0.000'),
                GridRow("Cost saving against the compute-optimal model", "Savings", "=1-{p}_Total_Cost/Opt_Total_Cost",
                        "fraction", SAVING, {"Opt": None}),
                GridRow("FLOPs saving against the compute-optimal model", "FLOPs_Savings",
                        "=1-{p}_Total_FLOPs/Opt_Total_FLOPs", "fraction", SAVING, {"Opt": None}),
                GridRow("Break-even lifetime volume", "Breakeven_Tokens",
                        '=IF({p}_Cost_Per_M_Tokens<Opt_Cost_Per_M_Tokens,MAX(0,({p}_Train_Cost-Opt_Train_Cost)'
                        '/(Opt_Cost_Per_M_Tokens-{p}_Cost_Per_M_Tokens)*1E+6),"never")',
                        "tokens", TOKENS, {"Opt": None},
                        note="inference volume beyond which this model costs less in total than the "
                             "compute-optimal one"),
                GridRow("Break-even in days of service", "Breakeven_Days",
                        '=IF(ISNUMBER({p}_Breakeven_Tokens),{p}_Breakeven_Tokens/(Requests_Per_Day*'
                        '(Input_Tokens_Per_Request+Output_Tokens_Per_Request)),"never")',
                        "days", ONE, {"Opt": None}, note="at the planned request rate"),
                "Memory",
                GridRow("Training memory (weights, gradients, Adam)", "Train_Memory_GB",
                        "=TRAIN_MEMORY_GB({p}_Params,Train_Bytes_Per_Param)", "GB", INT,
                        note="activations not included"),
                GridRow("Accelerators to hold the training state", "Train_Memory_GPUs",
                        "=GPUS_FOR_MEMORY({p}_Params,GPU,Train_Bytes_Per_Param)", "GPUs", INT),
                GridRow("Serving memory per replica", "Serve_Memory_GB",
                        "=INFERENCE_MEMORY_GB({p}_Params,Serve_Bytes_Per_Param,KV_Cache_GB)", "GB", ONE),
                GridRow("Accelerators per serving replica", "Serve_GPUs",
                        '=ROUNDUP({p}_Serve_Memory_GB/GPU_SPEC(GPU,"memory_gb"),0)', "GPUs", INT),
            )),
            Table("volume", (
                Col("mult", "Volume multiple", "x planned", "0.0#", values=VOLUME_MULTIPLES, name="Volume_Multiples"),
                Col("tokens", "Lifetime inference tokens", "tokens", TOKENS, "={mult}*Lifetime_Tokens"),
                Col("opt", "Compute-optimal model", "USD", USD_M, "=Opt_Train_Cost+{mult}*Opt_Inference_Cost"),
                Col("costopt", "Cost-optimal model for the plan", "USD", USD_M,
                    "=CostOpt_Train_Cost+{mult}*CostOpt_Inference_Cost"),
                Col("own", "Your model", "USD", USD_M, "=Own_Train_Cost+{mult}*Own_Inference_Cost"),
                Col("best", "Cost-optimal model for each volume", "USD", USD_M,
                    f'=INFERENCE_TRADEOFF_COST(Target_Loss,{{mult}}*Lifetime_Input_Tokens,'
                    f'{{mult}}*Lifetime_Output_Tokens,Law,"total_cost",{_COST_ARGS})'),
            ), len(VOLUME_MULTIPLES)),
            Chart("volume", "Total cost against lifetime inference volume", "tokens",
                  (("opt", "Compute-optimal model"), ("costopt", "Cost-optimal model for the plan"),
                   ("own", "Your model"), ("best", "Cost-optimal model for each volume")),
                  "Lifetime inference tokens (log scale)", "Total cost, USD (log scale)", "H4", log_y=True,
                  x_fmt=SCI, y_fmt='"$"#,##0'),
        ), widths=(44, 20, 20, 20, 20, 16, 60), freeze="B4"),
    ),
)


# --- 3. over-training explorer ----------------------------------------------------------------

RATIOS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)

OVERTRAINING_EXPLORER = Template(
    "overtraining_explorer.xlsx",
    "Over-training explorer: one budget, many tokens-per-parameter ratios",
    answers=(
        "What happens when a fixed training budget is spent on a smaller model trained on more "
        "tokens (or a larger one on fewer)? For ratios from 1 to 10,000 tokens per parameter: the "
        "model, its loss, the loss penalty against the compute-optimal split, the compute a "
        "smaller model needs to match the optimal loss, and the inference FLOPs it saves per token.",
    ),
    how=(
        "Sheet Explorer: set the budget and the law; edit the ratio column to try other ratios.",
        "Compute overhead: how many times the budget a model of that size needs to reach the "
        "compute-optimal loss (1.0 at the optimum); 'unreachable' when it never can.",
        "Inference saving: the fraction of inference FLOPs per token saved against the "
        "compute-optimal model (negative for larger models).",
    ),
    sources=LAW_SOURCES + (
        "Over-training: Gadre et al. 2024, \"Language models scale reliably with over-training and "
        "on downstream tasks\" (loss at a fixed tokens-per-parameter ratio).",
        "Compute overhead: de Vries 2023, \"Go smol or go home\" (the extra compute a smaller model "
        "needs to reach a compute-optimal model's loss).",
    ),
    sheets=(
        Sheet("Explorer", "Over-training explorer", "Inputs in blue on yellow; everything else is computed.", (
            Section("Budget and law", (
                In("Training budget", "Budget", 1e24, "FLOPs", FLOPS),
                LAW_IN,
                Out("Compute-optimal parameters", "=CHINCHILLA_N(Budget,Law)", "parameters", BILLIONS,
                    "Opt_Params", key=True),
                Out("Compute-optimal tokens", "=CHINCHILLA_D(Budget,Law)", "tokens", TOKENS, "Opt_Tokens"),
                Out("Compute-optimal tokens per parameter", "=Opt_Tokens/Opt_Params", "tokens/parameter", ONE,
                    "Opt_Tokens_Per_Param", key=True),
                Out("Compute-optimal loss", "=CHINCHILLA_LOSS(Budget,Law)", "nats/token", LOSS, "Opt_Loss",
                    key=True),
            )),
            Table("ratios", (
                Col("ratio", "Tokens per parameter", "tokens/param", INT, values=RATIOS, name="Ratios"),
                Col("params", "Parameters", "parameters", BILLIONS, "=SQRT(Budget/(6*{ratio}))"),
                Col("tokens", "Training tokens", "tokens", TOKENS, "={ratio}*{params}"),
                Col("loss", "Loss", "nats/token", LOSS, "=OVERTRAIN_LOSS(Budget,{ratio},Law)"),
                Col("penalty", "Penalty against the optimum", "nats/token", LOSS,
                    "=OVERTRAIN_PENALTY(Budget,{ratio},Law)"),
                Col("penalty_pct", "Penalty", "% of optimal loss", "0.00%", "={penalty}/Opt_Loss"),
                Col("overhead", "Compute overhead to match the optimum", "x budget", "#,##0.00",
                    '=IFERROR(OVERTRAIN_OVERHEAD(Budget,{params},Law),"unreachable")'),
                Col("inf_flops", "Inference FLOPs per token", "FLOPs/token", SCI, "=INFERENCE_FLOPS({params},1)"),
                Col("saving", "Inference saving per token", "fraction", PCT, "=1-{params}/Opt_Params"),
            ), len(RATIOS)),
            Chart("ratios", "Loss penalty against tokens per parameter", "ratio",
                  (("penalty", "Penalty (nats/token)"),), "Tokens per parameter (log scale)",
                  "Loss above the optimum (nats/token)", "K4", y_fmt="0.000"),
            Chart("ratios", "Compute overhead against tokens per parameter", "ratio",
                  (("overhead", "Compute overhead (x budget)"),), "Tokens per parameter (log scale)",
                  "x budget (log scale)", "K23", log_y=True, y_fmt="#,##0"),
        ), widths=(40, 18, 16, 16, 16, 17, 18, 16, 16)),
    ),
)


# --- 4. public models -------------------------------------------------------------------------

# (model, parameters, training tokens, source of both figures)
PUBLIC_MODELS = (
    ("GPT-3 175B", 175e9, 300e9, "Brown et al. 2020, \"Language Models are Few-Shot Learners\", Table 2.1 and section 2.2"),
    ("Gopher 280B", 280e9, 300e9, "Rae et al. 2021, \"Scaling Language Models: Methods, Analysis & Insights from Training Gopher\", Table 1 and section 3; Hoffmann et al. 2022, Table 1"),
    ("Chinchilla 70B", 70e9, 1.4e12, "Hoffmann et al. 2022, \"Training Compute-Optimal Large Language Models\", Table 1"),
    ("LaMDA 137B", 137e9, 168e9, "Hoffmann et al. 2022, Table 1 (from Thoppilan et al. 2022)"),
    ("Jurassic-1 178B", 178e9, 300e9, "Hoffmann et al. 2022, Table 1 (from Lieber et al. 2021)"),
    ("MT-NLG 530B", 530e9, 270e9, "Hoffmann et al. 2022, Table 1 (from Smith et al. 2022)"),
    ("PaLM 540B", 540e9, 780e9, "Chowdhery et al. 2022, \"PaLM: Scaling Language Modeling with Pathways\", Table 1 and section 3"),
    ("OPT-175B", 175e9, 180e9, "Zhang et al. 2022, \"OPT: Open Pre-trained Transformer Language Models\", section 2"),
    ("BLOOM 176B", 176e9, 366e9, "BigScience 2022, \"BLOOM: A 176B-Parameter Open-Access Multilingual Language Model\", section 3"),
    ("LLaMA 7B", 6.7e9, 1.0e12, "Touvron et al. 2023, \"LLaMA: Open and Efficient Foundation Language Models\", Table 2"),
    ("LLaMA 13B", 13.0e9, 1.0e12, "Touvron et al. 2023, \"LLaMA\", Table 2"),
    ("LLaMA 33B", 32.5e9, 1.4e12, "Touvron et al. 2023, \"LLaMA\", Table 2"),
    ("LLaMA 65B", 65.2e9, 1.4e12, "Touvron et al. 2023, \"LLaMA\", Table 2"),
    ("Llama 2 7B", 7e9, 2.0e12, "Touvron et al. 2023, \"Llama 2: Open Foundation and Fine-Tuned Chat Models\", Table 1"),
    ("Llama 2 13B", 13e9, 2.0e12, "Touvron et al. 2023, \"Llama 2\", Table 1"),
    ("Llama 2 70B", 70e9, 2.0e12, "Touvron et al. 2023, \"Llama 2\", Table 1"),
    ("Llama 3 8B", 8e9, 15e12, "Meta 2024, \"Introducing Meta Llama 3\" (over 15T tokens); Llama 3 Herd paper, Dubey et al. 2024"),
    ("Llama 3 70B", 70e9, 15e12, "Meta 2024, \"Introducing Meta Llama 3\" (over 15T tokens)"),
    ("Llama 3.1 405B", 405e9, 15.6e12, "Dubey et al. 2024, \"The Llama 3 Herd of Models\", section 3 (15.6T tokens)"),
    ("Falcon 180B", 180e9, 3.5e12, "Almazrouei et al. 2023, \"The Falcon Series of Open Language Models\", abstract"),
    ("Pythia 12B", 12e9, 300e9, "Biderman et al. 2023, \"Pythia: A Suite for Analyzing Large Language Models\", section 2 (nominal size; 300B tokens of the Pile)"),
)

PUBLIC_MODELS_TEMPLATE = Template(
    "public_models.xlsx",
    "Public models: sizes, training tokens, compute and predicted loss",
    answers=(
        "How were well-known language models trained? For each: parameters N, training tokens D, "
        "tokens per parameter, training FLOPs (6ND), the loss each scaling-law preset predicts, "
        "and how far it sits from the compute-optimal split of its own budget.",
        "A reference for sanity-checking a plan: where does your model sit among these?",
    ),
    how=(
        "Sheet Models: the blue columns are the published figures; add your own model in the "
        "empty rows at the bottom (name, parameters, tokens) and the computed columns follow.",
        "Predicted losses are in nats per token on each law's own data; compare them within a "
        "column (between models), not across columns (between laws).",
    ),
    sources=LAW_SOURCES + tuple(f"{m}: {src}." for m, _, _, src in PUBLIC_MODELS),
    sheets=(
        Sheet("Models", "Public models", "Published N and D in blue; everything else is computed.", (
            Table("models", (
                Col("model", "Model", "", TEXT, values=tuple(m[0] for m in PUBLIC_MODELS) + ("",) * 4,
                    name="Models_Name", rule="none"),
                Col("params", "Parameters", "parameters", BILLIONS,
                    values=tuple(m[1] for m in PUBLIC_MODELS), name="Models_Params"),
                Col("tokens", "Training tokens", "tokens", TOKENS,
                    values=tuple(m[2] for m in PUBLIC_MODELS), name="Models_Tokens"),
                Col("tpp", "Tokens per parameter", "tokens/param", ONE,
                    '=IF({params}="","",{tokens}/{params})'),
                Col("flops", "Training FLOPs (6ND)", "FLOPs", FLOPS,
                    '=IF({params}="","",TRAIN_FLOPS({params},{tokens}))'),
                Col("l_chin", "Loss: chinchilla", "nats/token", LOSS,
                    '=IF({params}="","",SCALING_LOSS({params},{tokens},"chinchilla"))'),
                Col("l_epoch", "Loss: epoch", "nats/token", LOSS,
                    '=IF({params}="","",SCALING_LOSS({params},{tokens},"epoch"))'),
                Col("l_kaplan", "Loss: kaplan", "nats/token", LOSS,
                    '=IF({params}="","",SCALING_LOSS({params},{tokens},"kaplan"))'),
                Col("opt_n", "Compute-optimal parameters for its FLOPs (chinchilla)", "parameters", BILLIONS,
                    '=IF({params}="","",CHINCHILLA_N({flops},"chinchilla"))'),
                Col("size_ratio", "Size against the compute-optimal", "x optimal", TWO,
                    '=IF({params}="","",{params}/{opt_n})'),
                Col("source", "Source of N and D", "", TEXT,
                    values=tuple(m[3] for m in PUBLIC_MODELS) + ("",) * 4, name="Models_Source", rule="none",
                    wrap=True),
            ), len(PUBLIC_MODELS) + 4),
            Chart("models", "Training tokens against parameters", "params", (("tokens", "Public models"),),
                  "Parameters (log scale)", "Training tokens (log scale)", "A33", log_y=True,
                  x_fmt=SCI, y_fmt=SCI, lines=False),
        ), widths=(18, 14, 14, 12, 16, 12, 12, 12, 18, 14, 90), freeze="B6"),
    ),
)


# --- 5. scaling-law fit -----------------------------------------------------------------------

RUNS_CSV = Path(__file__).parent / "data" / "chinchilla_figure4_runs.csv"
RUNS_SOURCE = (
    "Training runs: 245 runs (model size N, training FLOPs C, final loss) that Epoch AI extracted "
    "from Figure 4 of Hoffmann et al. 2022 for Besiroglu et al. 2024, \"Chinchilla Scaling: A "
    "replication attempt\" (repository epoch-research/analyzing-chinchilla, file "
    "data/svg_extracted_data.csv). Training tokens D = C / (6N).",
    "The replication drops the 5 runs with the highest loss before fitting: the first five rows of "
    "sheet Runs. Clear them and the fit comes close to its published law (E=1.8172, A=482.01, "
    "B=2085.43, alpha=0.3478, beta=0.3658).",
)
RUN_ROWS = 500  # room for a user's own runs; blank rows are skipped by the fit


def _read_runs(path: Path = RUNS_CSV) -> tuple[tuple[float, float, float], ...]:
    """(parameters, tokens, loss) per run, tokens from the FLOPs as D = C / (6N).

    Rounded to 15 significant digits, which an .xlsx file stores exactly (openpyxl writes 16),
    so the workbook holds the very numbers the tests fit.
    """
    exact = lambda x: float(f"{x:.15g}")  # noqa: E731
    with open(path, newline="") as f:
        return tuple((exact(float(r["Model Size"])),
                      exact(float(r["Training FLOP"]) / (6 * float(r["Model Size"]))),
                      exact(float(r["loss"]))) for r in csv.DictReader(f))


RUNS = _read_runs()
_FIT = "FIT_SCALING_LAW(Runs_Params,Runs_Tokens,Runs_Loss,Huber_Delta)"

SCALING_LAW_FIT = Template(
    "scaling_law_fit.xlsx",
    "Scaling-law fit: your own law from your training runs",
    answers=(
        "Which scaling law L(N, D) = E + A/N^alpha + B/D^beta do your own training runs follow? "
        "The fit is the Chinchilla paper's Approach 3 as its published replication does it (Huber "
        "loss on log-loss residuals, L-BFGS from a grid of starting points).",
        "How well does it fit (predicted against observed loss, residuals), and what does it imply: "
        "the compute-optimal exponents a = beta/(alpha+beta) for parameters and b = alpha/(alpha+beta) "
        "for tokens, and the model it recommends for a budget, against the published Chinchilla law.",
    ),
    how=(
        "Sheet Runs: paste your runs over the blue columns (parameters, training tokens, final loss in "
        "nats/token), one run per row, up to 500 rows; clear the rows you do not use. Everything on "
        "the Fit sheet follows.",
        "Sheet Fit: the fitted numbers form the range Fit_Law, which any law argument accepts, e.g. "
        "=CHINCHILLA_N(1E+24, Fit_Law) in any cell of this workbook.",
        "Fit five numbers from at least a dozen runs that span model sizes and token counts; "
        "fewer points make a law that extrapolates poorly.",
    ),
    sources=RUNS_SOURCE + LAW_SOURCES + (
        "Fitting method: Hoffmann et al. 2022, section 3.3 and appendix D.2 (Huber delta 1e-3).",
    ),
    sheets=(
        Sheet("Fit", "Scaling-law fit", "The law fitted to the runs on sheet Runs.", (
            Section("Fit settings", (
                In("Huber delta", "Huber_Delta", 1e-3, "nats (log-loss)", "0.0E+00",
                   note="1e-3 as in Hoffmann et al. 2022; larger is closer to least squares"),
                In("Budget to plan for", "Budget", 1e24, "FLOPs", FLOPS),
                Out("Runs used", "=COUNT(Runs_Loss)", "runs", INT, "Runs_Count"),
            )),
            Section("Fitted law  L = E + A/N^alpha + B/D^beta", tuple(
                Out(label, f"=INDEX({_FIT},1,{i + 1})", unit, fmt, f"Fit_{key}", key=True)
                for i, (label, key, unit, fmt) in enumerate((
                    ("E (irreducible loss)", "E", "nats/token", LOSS),
                    ("A (parameter term)", "A", "coefficient", "#,##0.00"),
                    ("B (token term)", "B", "coefficient", "#,##0.00"),
                    ("alpha (parameter exponent)", "Alpha", "exponent", "0.0000"),
                    ("beta (token exponent)", "Beta", "exponent", "0.0000"),
                ))), range_name="Fit_Law"),
            Section("What the law implies", (
                Out("a: N_opt grows as C^a", "=Fit_Beta/(Fit_Alpha+Fit_Beta)", "exponent", "0.000", "Fit_Params_Exponent",
                    key=True, note="Hoffmann et al. 2022 find about 0.5"),
                Out("b: D_opt grows as C^b", "=Fit_Alpha/(Fit_Alpha+Fit_Beta)", "exponent", "0.000", "Fit_Tokens_Exponent",
                    key=True),
                Out("Compute-optimal parameters at the budget", "=CHINCHILLA_N(Budget,Fit_Law)", "parameters",
                    BILLIONS, "Fit_Opt_Params"),
                Out("Compute-optimal tokens at the budget", "=CHINCHILLA_D(Budget,Fit_Law)", "tokens", TOKENS,
                    "Fit_Opt_Tokens"),
                Out("Predicted loss at the budget", "=CHINCHILLA_LOSS(Budget,Fit_Law)", "nats/token", LOSS,
                    "Fit_Opt_Loss"),
                Out("Chinchilla law: parameters at the budget", '=CHINCHILLA_N(Budget,"chinchilla")',
                    "parameters", BILLIONS, "Chinchilla_Opt_Params"),
                Out("Chinchilla law: tokens at the budget", '=CHINCHILLA_D(Budget,"chinchilla")', "tokens",
                    TOKENS, "Chinchilla_Opt_Tokens"),
            )),
            Section("Goodness of fit", (
                Out("Root-mean-square residual", "=SQRT(SUMSQ(Runs_Residual)/Runs_Count)", "nats/token", LOSS,
                    "Fit_RMSE"),
                Out("Largest absolute residual", "=MAX(MAX(Runs_Residual),-MIN(Runs_Residual))", "nats/token",
                    LOSS, "Fit_Max_Residual"),
            )),
            Chart("runs", "Predicted against observed loss", "loss",
                  (("pred", "Fitted law"), ("loss", "Perfect fit (predicted = observed)")),
                  "Observed loss (nats/token)", "Predicted loss (nats/token)", "F4", log_x=False,
                  x_fmt=TWO, y_fmt=TWO, lines=False, line_only=("loss",)),
            Chart("runs", "Residual against training FLOPs", "flops", (("resid", "Observed - predicted"),),
                  "Training FLOPs (log scale)", "Residual (nats/token)", "F29", x_fmt=SCI, y_fmt=TWO,
                  lines=False),
        ), widths=(44, 18, 16, 62)),
        Sheet("Runs", "Training runs", "Paste your runs over the blue columns; blank rows are skipped.", (
            Table("runs", (
                Col("n", "Parameters", "parameters", MILLIONS, values=tuple(r[0] for r in RUNS), name="Runs_Params"),
                Col("d", "Training tokens", "tokens", MILLIONS, values=tuple(r[1] for r in RUNS), name="Runs_Tokens"),
                Col("loss", "Final loss", "nats/token", LOSS, values=tuple(r[2] for r in RUNS), name="Runs_Loss"),
                # One array formula per column keeps the sheet quick to recalculate; Excel's own
                # arithmetic on the fitted numbers, so it stays live in any spreadsheet program.
                Col("flops", "Training FLOPs (6ND)", "FLOPs", FLOPS, name="Runs_FLOPs",
                    array='=IF(Runs_Params="","",6*Runs_Params*Runs_Tokens)'),
                Col("pred", "Predicted loss", "nats/token", LOSS, name="Runs_Predicted",
                    array='=IF(Runs_Params="","",Fit_E+Fit_A/Runs_Params^Fit_Alpha+Fit_B/Runs_Tokens^Fit_Beta)'),
                Col("resid", "Residual (observed - predicted)", "nats/token", "0.0000;-0.0000",
                    name="Runs_Residual", array='=IF(Runs_Params="","",Runs_Loss-Runs_Predicted)'),
            ), RUN_ROWS),
        ), widths=(16, 16, 14, 18, 14, 16), freeze="A6"),
    ),
)


TEMPLATES = (TRAINING_BUDGET, DEPLOYMENT_PLAN, OVERTRAINING_EXPLORER, PUBLIC_MODELS_TEMPLATE, SCALING_LAW_FIT)
