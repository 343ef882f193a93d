"""What the template workbooks share: the records the builder reads, styles and input rules.

Each template is one module of this package (`training_budget`, `deployment_plan`, ...)
that declares its sheets with these records; `TEMPLATES` lists them in order.

A template is an About text and sheets; a sheet is a stack of blocks:
- `Section`: rows of labelled inputs (`In`) and formula outputs (`Out`), value in column B,
  unit in C, a note in D. Every input and named output gets a workbook-scoped defined name.
- `Grid`: the same rows side by side for several columns (the designs compared in the
  deployment plan); the cell of column P in row K is named P_K, and `{p}` in a formula is
  the column's own prefix, so one formula serves every column.
- `Table`: columns of inputs (`values`) or per-row formulas (`{key}` is the same row's cell
  of column `key`); an input column gets a defined name for its range.
- `Chart`: a scatter chart of table columns, placed below the sheet's tables (so that the
  sheet prints one page wide at a readable scale).

Formulas use only functions that Excel, LibreOffice and the embedded engine all compute, and
write numbers with an explicit exponent sign (1E+24).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.hardware import GPU_NAMES, GPU_PRESETS
from planner.laws import PRESETS, WHY_PRESETS_DIFFER

# --- the records the builder reads ----------------------------------------------------------


@dataclass(frozen=True)
class In:
    label: str
    name: str
    value: object
    unit: str
    fmt: str = "General"
    rule: str = "positive"  # a planner domain rule (NUMBER_RULES), "list:<LISTS key>" or "none"
    note: str = ""
    ignored_when: str | None = None  # a condition (Excel) under which the input is not used: greyed


@dataclass(frozen=True)
class Out:
    label: str
    formula: str
    unit: str
    fmt: str = "General"
    name: str | None = None
    note: str = ""
    key: bool = False
    wide: bool = False  # a sentence (the summary): spans the value, unit and notes columns


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple
    range_name: str | None = None  # a defined name for the whole value column (e.g. a law's 5 numbers)
    array: str | None = None  # one array formula filling the whole value column (its rows' formulas unused)


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


class Computed(str):
    """A formula standing in a column of values: that row's cell is computed, not typed."""


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
    span: int = 1  # columns the array formula fills, from this one rightwards (a block such as a fit's intervals)
    wrap: bool = False  # long text (a source) wraps within the column
    # values: a value per row, each an input; a Computed value makes that one row's cell a
    # formula (a row the reader does not set, in a column of inputs).
    # A formula of its own in each row (a gallery of examples): (formula, columns it fills) per row.
    per_row: tuple | None = None


@dataclass(frozen=True)
class Table:
    key: str
    columns: tuple
    nrows: int
    title: str | None = None  # a heading above the column headers
    printed: int | None = None  # rows printed when fewer than nrows (the blank rows left for a user's own)
    block: tuple | None = None  # (defined name, first column key, last column key): a name for that block


@dataclass(frozen=True)
class Chart:
    table: str
    title: str
    x: str
    series: tuple  # (column key, series title)
    x_title: str
    y_title: str
    log_x: bool = True
    log_y: bool = False
    x_fmt: str = "General"
    y_fmt: str = "General"
    markers: bool = True
    lines: bool = True
    line_only: tuple = ()  # keys of series drawn as a plain line whatever `lines` and `markers` say
    # Points marked on the chart, each a series of markers from a small table:
    # (table key, x column key, y column key, series title[, the one row of the table to mark]).
    marks: tuple = ()
    # "scatter" (the default) or "tornado": horizontal bars, one row of the table per bar, `x`
    # naming each bar and the series drawn from a common base (each series' values are its
    # difference from the base)
    kind: str = "scatter"
    size: tuple | None = None  # (width, height) in cm, for a page that holds charts side by side
    beside: bool = False  # drawn right of the chart before it, not below it


@dataclass(frozen=True)
class Sheet:
    title: str
    heading: str
    intro: str
    blocks: tuple
    widths: tuple = (40, 18, 16, 60)
    freeze: str = "B4"
    # A template's main sheet prints on one page (its details go on the sheets after it).
    one_page: bool = False


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
    "include": Choices("List_Include", "Include in the fit", ("yes", "no"),
                       "yes: the fit uses this run; no: it is left out",
                       "Choose yes or no."),
    "budget_mode": Choices("List_Budget_Modes", "Budget from", ("Cluster", "FLOPs", "Dollars"),
                           "Cluster: GPUs x days x MFU; FLOPs: the FLOPs typed below; Dollars: the "
                           "dollars typed below, overheads included",
                           "Choose Cluster, FLOPs or Dollars."),
    "scenario": Choices("List_Scenarios", "Scenario", ("Base", "Downside", "Upside"),
                        "Base: the plan's inputs; Downside and Upside: the multiples on sheet Sensitivity",
                        "Choose Base, Downside or Upside."),
    "target_mode": Choices("List_Target_Modes", "Quality target", ("Model size", "Loss", "Dollar budget"),
                           "Model size: as good as the compute-optimal model of that size; "
                           "Loss: a loss in nats/token; Dollar budget: the best model the dollars buy",
                           "Choose Model size, Loss or Dollar budget."),
}

# rule -> (lower bound, upper bound or None, message). Validation rejects what the planner would.
# Excel's data validation for each of the planner's domain rules (planner._args.RULES, the
# rules the catalogue declares for each argument): (type, operator, formula1, formula2).
# Excel has no open interval, so "a fraction in (0, 1]" starts at one millionth.
NUMBER_RULES = {
    "positive": ("decimal", "greaterThan", "0", None),
    "nonnegative": ("decimal", "greaterThanOrEqual", "0", None),
    "fraction": ("decimal", "between", "0.000001", "1"),
    "open_fraction": ("decimal", "between", "0.000001", "0.999999"),
    "chance": ("decimal", "between", "0", "0.999999"),
    "at_least_one": ("decimal", "greaterThanOrEqual", "1", None),
    "whole": ("whole", "greaterThanOrEqual", "1", None),
    "count": ("whole", "greaterThanOrEqual", "0", None),
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
    "In the copy every add-in cell holds its number, shown grey; Excel's own formulas (hours, "
    "dollars, energy, memory) stay live, so a new price or traffic figure is accounted for. A "
    "banner at the top of every sheet says when and from which file the copy was frozen, and the "
    "end of this sheet lists the inputs the grey numbers were computed from: change one of them "
    "and the banner turns red, naming it, because only the add-in can recompute those numbers. "
    "Those inputs are locked (Review > Unprotect Sheet lifts it; there is no password).",
    "To recalculate without Excel, into result.xlsx, type the following; each --set NAME=VALUE "
    "changes an input first, NAME being one of the input names listed below (in Excel: Formulas > "
    "Name Manager):",
    "planner calc {file} --out result.xlsx --set NAME=VALUE",
)

# What a loss is, for a reader who plans in dollars (every About sheet says it).
LOSS_MEANING = (
    "Loss is a model's average prediction error, in nats per token (lower is better), on the text "
    "its scaling law was fitted to. Differences matter more than levels: 0.01 nats/token less is "
    "about 1% lower perplexity (perplexity = e^loss). Losses from laws fitted on different data "
    "('kaplan', 'muennighoff' and the others) are not comparable with each other; their model "
    "sizes and token counts are. Accelerator-hours, dollars and energy follow from the model "
    "size and tokens by the accelerator's figures on sheet Hardware.")

# Why the presets disagree, in plain words (README, reference and every About sheet say it).
LAW_SPREAD = "Why the presets disagree: " + WHY_PRESETS_DIFFER

LAW_SOURCES = (
    "Scaling-law presets: 'epoch' (the default) Besiroglu et al. 2024, \"Chinchilla Scaling: A "
    "replication attempt\", Table 1 (E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658); "
    "'chinchilla' Hoffmann et al. 2022, \"Training Compute-Optimal Large Language Models\", "
    "Approach 3 unrounded (E=1.693, A=406.4, B=410.7, alpha=0.33917, beta=0.28491, as Besiroglu "
    "et al. recovered them); 'chinchilla-printed' the same as eq. 10 prints it (E=1.69, alpha=0.34, "
    "beta=0.28); 'kaplan' Kaplan et al. 2020, \"Scaling Laws for Neural Language Models\", losses by "
    "eq. 1.5 with its Table 2 constants and model sizes by its compute-efficient frontier (Table 6, "
    "N = 1.3e9 Cmin^0.73, non-embedding parameters); 'muennighoff' Muennighoff et al. 2023, \"Scaling "
    "Data-Constrained Language Models\", the C4 law of Appendix A, eq. 17.",
    LAW_SPREAD,
    "Training compute C = 6ND FLOPs and inference 2N FLOPs per token (Kaplan et al. 2020).",
)
GPU_SOURCES = (
    "Accelerator figures (dense bf16 peak FLOP/s, memory, power): vendor datasheets, listed in "
    "the planner's function reference under GPU_SPEC.",
)

# Number formats a person reads: the unit column names each row's or column's unit once; a
# format only scales the number.
FLOPS = "0.00E+00"
TFLOPS_S = "#,##0.0,,,,"  # FLOP/s shown in TFLOP/s (each trailing comma divides by 1000)
TBS = "#,##0.00,,,,"  # bytes/s shown in TB/s
GWH = "#,##0.00,,"  # kWh shown in GWh
# Scaled by size (conditions in brackets, which Excel and LibreOffice both read): 70.0 B, 1.2 T.
BILLIONS = '[>=1000000000000]#,##0.00,,,," T";[>=1000000000]#,##0.0,,," B";#,##0.0,," M"'
MILLIONS = '#,##0.0,," M"'
TOKENS = '[>=1000000000000]#,##0.00,,,," T";[>=1000000000]#,##0.0,,," B";#,##0.0,," M"'
USD_M = '#,##0.00,," M"'  # dollars in millions, the same scale down a column ($0.59 M beside $1.43 M)
USD = "#,##0.00"
INT = "#,##0"
ONE = "#,##0.0"
TWO = "0.00"
LOSS = "0.000"  # nats per token; About says what a loss means
PCT = "0.0%"
SAVING = "0.0%;[Red]-0.0%"  # a negative saving (a loss) in red
SCI = "0.00E+00"
TEXT = "@"
CHOICE = "General"  # not "@": a number typed over a preset name (a peak FLOP/s) must stay a number

LAW_IN = In("Scaling law", "Law", "epoch", "preset", CHOICE, "list:law",
            "epoch (the default), chinchilla, chinchilla-printed or kaplan: why they differ on About")


def law_spread(title: str, *columns: Col) -> Table:
    """The same answer under every preset, beside the chosen law's: {law} in a column's
    formula is the row's preset name, which the reader may change."""
    law = Col("law", "Scaling law", "preset", CHOICE, values=tuple(PRESETS), rule="list:law",
              name="Spread_Laws")
    return Table("laws", (law,) + columns, len(PRESETS), title=title)


# --- the hardware table and the constants the accounting formulas use ------------------------

# The accelerator presets' published figures as values, so that accounting formulas (hours,
# dollars, energy, memory) look them up with INDEX/MATCH and stay right in a copy without the
# add-in. Three blank rows take an accelerator of the reader's own.
_HW = tuple(GPU_PRESETS.values())
_SPARE = ("",) * 3
HARDWARE_SHEET = Sheet(
    "Hardware", "Accelerator figures",
    "Vendor datasheet figures (dense bf16, not \"with sparsity\") that the accounting formulas look up. "
    "An accelerator added in a blank row is accounted for; planner formulas need a preset or its peak.", (
        Table("hw", (
            Col("name", "Accelerator", "", TEXT, values=tuple(a.name for a in _HW) + _SPARE,
                name="HW_Name", rule="none"),
            Col("peak", "Dense bf16 peak", "TFLOP/s", TFLOPS_S, values=tuple(a.bf16_flops for a in _HW),
                name="HW_Peak_FLOPs"),
            Col("memory", "Memory", "GB", "#,##0", values=tuple(a.memory_gb for a in _HW), name="HW_Memory_GB"),
            Col("bandwidth", "Memory bandwidth", "TB/s", TBS,
                values=tuple(a.memory_bandwidth for a in _HW), name="HW_Bandwidth"),
            Col("power", "Board power (blank: not published)", "W", "#,##0",
                values=tuple(a.power_w for a in _HW), name="HW_Power_W"),
            Col("source", "Source", "", TEXT, values=tuple(a.source for a in _HW) + _SPARE,
                name="HW_Source", rule="none", wrap=True),
        ), len(_HW) + len(_SPARE)),
    ), widths=(14, 18, 10, 16, 14, 100), freeze="B6")

# Looked up once per workbook; a number typed as the accelerator is its peak itself.
GPU_PEAK_OUT = Out("Accelerator peak (dense bf16)",
                   "=IF(ISNUMBER(GPU),GPU,INDEX(HW_Peak_FLOPs,MATCH(GPU,HW_Name,0)))", "TFLOP/s",
                   TFLOPS_S, "GPU_Peak", note="from sheet Hardware")


# The memory inputs the training budget and the deployment plan share.
TRAIN_BYTES_IN = In("Training bytes per parameter", "Train_Bytes_Per_Param", 16, "bytes", INT,
                    note="16: mixed-precision AdamW (TRAIN_MEMORY_GB for other optimizers)")
GPU_MEMORY_IN = In("Memory per accelerator (blank: the preset's)", "GPU_Memory_Input", None, "GB", INT,
                   note="needed when the accelerator is given as a peak FLOP/s number")
GPU_MEMORY_OUT = Out("Memory per accelerator", '=IF(ISBLANK(GPU_Memory_Input),INDEX(HW_Memory_GB,'
                     'MATCH(GPU,HW_Name,0)),GPU_Memory_Input)', "GB", INT, "GPU_Memory_GB",
                     note="from sheet Hardware unless typed above")


def spill(title: str, range_name: str, array: str, rows, prefix: str = "", key: bool = False) -> Section:
    """A section whose value column is one array formula (a planner result, transposed), named
    `range_name`; each row (label, name, unit, fmt[, key]) is an output cell named prefix + name."""
    return Section(title, tuple(Out(label, None, unit, fmt, prefix + name, key=(rest or (key,))[0])
                                for label, name, unit, fmt, *rest in rows), range_name=range_name, array=array)


def constants(*rows: In) -> Section:
    """The named constants a template's formulas use instead of literals."""
    return Section("Constants (units and conventions; change only with reason)", rows)


SECONDS_PER_HOUR = In("Seconds per hour", "Seconds_Per_Hour", 3600, "s/h", "#,##0")
HOURS_PER_DAY = In("Hours per day", "Hours_Per_Day", 24, "h/day", "#,##0")
MS_PER_SECOND = In("Milliseconds per second", "Ms_Per_Second", 1000, "ms/s", "#,##0")
DAYS_PER_YEAR = In("Days per year", "Days_Per_Year", 365.25, "days", "0.00")
DAYS_PER_MONTH = In("Days per month", "Days_Per_Month", 30.4375, "days", "0.0000", note="365.25 / 12")
TRAIN_FLOPS_PER = In("Training FLOPs per parameter per token", "Train_FLOPs_Per_Param_Token", 6,
                     "FLOPs", "#,##0", note="forward 2 + backward 4 (Kaplan et al. 2020)")
INFER_FLOPS_PER = In("Inference FLOPs per parameter per token", "Inference_FLOPs_Per_Param_Token", 2,
                     "FLOPs", "#,##0", note="the forward pass (Kaplan et al. 2020)")
PER_MILLION = In("One million", "Per_Million", 1e6, "count", "#,##0")
PER_BILLION = In("One billion", "Per_Billion", 1e9, "count", "#,##0")
PER_TRILLION = In("One trillion", "Per_Trillion", 1e12, "count", "#,##0")
BYTES_PER_GB = In("Bytes per GB", "Bytes_Per_GB", 1e9, "bytes", "#,##0")
WATTS_PER_KW = In("Watts per kW", "Watts_Per_kW", 1000, "W", "#,##0")
COUNT_TOLERANCE = In("Rounding tolerance for whole accelerators", "Count_Tolerance", 1e-9, "fraction", SCI,
                     "fraction", "a need within this fraction of a whole number counts as that number")

# A TRUE/FALSE check shown as the words, in every program (LibreOffice shows a bare 1 or 0).
CHECK = '"TRUE";"TRUE";"FALSE"'
