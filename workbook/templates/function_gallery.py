"""The function gallery: every formula of the catalogue with a worked example and its result."""

from __future__ import annotations

import re

from planner import CATALOG
from workbook.templates.scaling_law_fit import EXCLUDED, RUNS, RUNS_SOURCE
from workbook.templates.spec import Col, LAW_SOURCES, Out, Section, Sheet, Table, Template

SUMMARY = ('=COUNTA(Gallery_Formula)&" planner formulas, each with a worked example computed in its own "'
           '&"cell: copy one into your sheet and change its arguments."')

# The reference's examples read runs from columns A to C; here they are the named columns of sheet Runs.
_RUN_COLUMNS = {"A": "Gallery_Runs_Params", "B": "Gallery_Runs_Tokens", "C": "Gallery_Runs_Loss"}


_BENCH_X = "{1E+19;3.16E+19;1E+20;3.16E+20;1E+21;3.16E+21;1E+22;3.16E+22;1E+23}"
_BENCH_Y = "{0.296;0.337;0.369;0.445;0.534;0.596;0.673;0.73;0.745}"
_BENCH_BLOCK = ("{0.296,0.548,0.012;0.321,0.548,0.016;0.387,0.586,0.02;0.437,0.62,0.067;0.526,0.646,0.103;"
                "0.611,0.709,0.191;0.663,0.74,0.308;0.73,0.781,0.398;0.752,0.826,0.497}")

# Where the reference's generic example would pair columns that mean nothing together.
_OWN_EXAMPLES = {"FIT_POWER_LAW": "=FIT_POWER_LAW(Gallery_Runs_FLOPs, Gallery_Runs_Loss)",
                 # An error law and models on it, typed as array constants (the runs hold no errors).
                 "FIT_ERROR_LAW": "=FIT_ERROR_LAW({2.5;3;3.5;4;4.5}, {0.4677;0.5806;0.6602;0.7162;0.7557})",
                 "DOWNSTREAM_ERROR": "=DOWNSTREAM_ERROR(2.5, {0.85,2.2,0.7})",
                 "LOSS_FOR_ERROR": "=LOSS_FOR_ERROR(0.5, {0.85,2.2,0.7})",
                 # Nine models' compute and scores on a sigmoid task, and a fit to them, as array constants.
                 "FIT_BENCHMARK": f"=FIT_BENCHMARK({_BENCH_X}, {_BENCH_Y}, 0.25)",
                 "FIT_BENCHMARK_CI": f"=FIT_BENCHMARK_CI({_BENCH_X}, {_BENCH_Y}, 0.25, 0.6)",
                 "BENCHMARK_SCORE": "=BENCHMARK_SCORE(1E+23, {0.25,0.8,21,1.2,1})",
                 "COMPUTE_FOR_SCORE": "=COMPUTE_FOR_SCORE(0.6, {0.25,0.8,21,1.2,1})",
                 # The 4-digit addition curve of Caballero et al. 2022's Figure 4, before its last three points.
                 "FIT_BNSL": "=FIT_BNSL({160;192;256;320;384;448;480;512;544;576;608;640;672;736}, "
                             "{2.1381;2.1181;2.0896;2.0699;2.054;2.0384;2.0281;2.005;1.9558;1.8631;1.7089;1.5064;"
                             "1.2975;0.9656}, 1)",
                 "SIZE_FROM_SCORES": f"=SIZE_FROM_SCORES({_BENCH_X}, {_BENCH_BLOCK}, {{0.25,0.5,0}}, "
                                     "{0.59,0.691,0.173})"}


def _example(entry) -> str:
    """The catalogue's example as the gallery cell computes it: numbers with an exponent sign
    (1E+24, which every engine reads) and data ranges on sheet Runs."""
    if entry.excel_name in _OWN_EXAMPLES:
        return _OWN_EXAMPLES[entry.excel_name]
    text = re.sub(r"(\d)[eE](\d)", r"\1E+\2", entry.example)
    return re.sub(r"\b([A-C])\d+:[A-C]\d+\b", lambda m: _RUN_COLUMNS[m.group(1)], text)


def _result(entry) -> tuple[str, int]:
    """The example's formula and how many cells of a row it fills. A table (several rows) shows
    its first row: an array formula over fewer cells than its result keeps the top-left part."""
    if entry.returns in ("row", "table"):
        return _example(entry), len(entry.fields)
    return _example(entry), 1


_ENTRIES = tuple(CATALOG.values())
CATEGORIES = tuple(dict.fromkeys(e.category for e in _ENTRIES))  # in the catalogue's order

FUNCTION_GALLERY = Template(
    "function_gallery.xlsx",
    "Function gallery: every planner formula with a worked example",
    answers=(
        "What does each planner formula do, what does a working call look like, and what does it "
        "give? One row per formula: its description, the example from the function reference and "
        "the result computed in the cell, ready to copy into your own sheet.",
    ),
    how=(
        "Sheet Gallery lists the formulas by category; sheet Formulas has each one. Copy an example into your own workbook and change its arguments; the "
        "function reference (docs/FUNCTIONS.md, or the add-in's help) lists every argument.",
        "A formula that returns several numbers (a law's five numbers, a fit) fills the cells to "
        "its right; one that returns a block shows its first row here.",
        "The fitting examples use the runs on sheet Runs (the 240 Chinchilla runs the replication "
        "fits).",
    ),
    sources=LAW_SOURCES + RUNS_SOURCE,
    sheets=(
        Sheet("Gallery", "Function gallery", "The formulas by category; sheet Formulas has each one with an "
              "example to copy.", (
            Section("Summary", (
                Out("The gallery in one line", SUMMARY, "", "General", "Summary", wide=True),
            )),
            Table("categories", (
                Col("category", "Category", "", "@", values=CATEGORIES, rule="none", name="Gallery_Categories"),
                Col("count", "Formulas", "formulas", "0", "=COUNTIF(Gallery_Category,{category})"),
                Col("names", "Formulas in it", "", "@", rule="none", wrap=True, name="Gallery_Category_Formulas",
                    values=tuple(", ".join(e.excel_name for e in _ENTRIES if e.category == c) for c in CATEGORIES)),
            ), len(CATEGORIES), title="The formulas by category"),
        ), widths=(24, 10, 100), one_page=True),
        Sheet("Formulas", "Every formula with an example", "Each example computes in its own cell; copy it and "
              "change it.", (
            Table("gallery", (
                Col("name", "Formula", "", "@", values=tuple(e.excel_name for e in _ENTRIES), rule="none",
                    name="Gallery_Formula"),
                Col("category", "Category", "", "@", values=tuple(e.category for e in _ENTRIES), rule="none",
                    name="Gallery_Category", wrap=True),
                Col("summary", "What it does", "", "@", values=tuple(e.summary for e in _ENTRIES), rule="none",
                    name="Gallery_Summary", wrap=True),
                Col("example", "Example (copy it)", "", "@", values=tuple(_example(e) for e in _ENTRIES),
                    rule="none", name="Gallery_Example", wrap=True),
                Col("unit", "Result in", "", "@", values=tuple(e.result_unit for e in _ENTRIES), rule="none",
                    name="Gallery_Unit", wrap=True),
                Col("result", "Result", "", "General", per_row=tuple(_result(e) for e in _ENTRIES)),
            ), len(_ENTRIES)),
        ), widths=(24, 12, 40, 32, 10, 14, 10, 10, 10, 10), freeze="B5"),
        Sheet("Runs", "Training runs used by the fitting examples",
              "The Chinchilla Figure 4 runs without the five of highest loss (see About).", (
            Table("runs", (
                Col("n", "Parameters", "parameters", "0.00E+00", values=tuple(r[0] for r in RUNS[EXCLUDED:]),
                    name="Gallery_Runs_Params"),
                Col("d", "Training tokens", "tokens", "0.00E+00", values=tuple(r[1] for r in RUNS[EXCLUDED:]),
                    name="Gallery_Runs_Tokens"),
                Col("loss", "Final loss", "nats/token", "0.000", values=tuple(r[2] for r in RUNS[EXCLUDED:]),
                    name="Gallery_Runs_Loss"),
                # Data, as the source gives it: the runs' training compute (tokens were derived as C / 6N).
                Col("flops", "Training FLOPs", "FLOPs", "0.00E+00", name="Gallery_Runs_FLOPs",
                    values=tuple(float(f"{6 * r[0] * r[1]:.15g}") for r in RUNS[EXCLUDED:])),
            ), len(RUNS) - EXCLUDED),
        ), widths=(16, 16, 14, 16), freeze="A6"),
    ),
)

TEMPLATE = FUNCTION_GALLERY
