"""`planner demo`: the deployment plan template with its default inputs, computed and compared.

The shipped template (deployment_plan.xlsx, package data) is recalculated by the embedded engine, the
side-by-side comparison of its model designs is printed, and the computed workbook is
written (formulas kept, values filled in) for a closer look in any spreadsheet program.
The table is read from the workbook's defined names (`<design>_<quantity>`, e.g.
`CostOpt_Total_Cost`), so it shows whatever the template computes.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

TEMPLATE = "deployment_plan.xlsx"
DEFAULT_OUT = "planner-demo.xlsx"

# (defined-name prefix, column heading)
DESIGNS = (("Opt", "Compute-optimal"), ("FlopOpt", "FLOP-optimal"), ("CostOpt", "Cost-optimal"),
           ("Own", "Your model"))


def _count(v: float) -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:.1f} {suffix}"
    return f"{v:.0f}"


def _usd(v: float) -> str:
    return f"${v / 1e6:,.2f} M" if abs(v) >= 1e5 else f"${v:,.0f}"


# (defined-name suffix, row label, how to show a number)
ROWS = (
    ("Params", "Parameters", _count),
    ("Tokens", "Training tokens", _count),
    ("Tokens_Per_Param", "Tokens per parameter", "{:.1f}".format),
    ("Loss", "Predicted loss (nats/token)", "{:.4f}".format),
    ("Train_FLOPs", "Training FLOPs", "{:.2e}".format),
    ("Inference_FLOPs", "Inference FLOPs", "{:.2e}".format),
    ("Total_FLOPs", "Total FLOPs", "{:.2e}".format),
    ("Train_GPU_Hours", "Training GPU-hours", "{:,.0f}".format),
    ("Inference_GPU_Hours", "Inference GPU-hours", "{:,.0f}".format),
    ("Total_GPU_Hours", "Total GPU-hours", "{:,.0f}".format),
    ("Train_Cost", "Training cost", _usd),
    ("Inference_Cost", "Inference cost", _usd),
    ("Total_Cost", "Total cost", _usd),
    ("Savings", "Saving against compute-optimal", "{:.1%}".format),
    ("Breakeven_Tokens", "Break-even inference tokens", _count),
    ("Breakeven_Days", "Break-even time in service", "{:,.0f} days".format),
)


def _cell(v, fmt) -> str:
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v).upper()
    if isinstance(v, (int, float)):
        return fmt(v) if math.isfinite(v) else "#NUM!"
    return str(v)


def comparison_table(names: dict) -> str:
    """The designs side by side, from a name -> value mapping of the computed workbook."""
    folded = {k.casefold(): v for k, v in names.items()}
    designs = [(p, h) for p, h in DESIGNS if any(f"{p}_{s}".casefold() in folded for s, _, _ in ROWS)]
    lines = []
    for suffix, label, fmt in ROWS:
        keys = [f"{p}_{suffix}".casefold() for p, _ in designs]
        if any(k in folded for k in keys):
            lines.append([label] + [_cell(folded.get(k), fmt) for k in keys])
    header = [""] + [h for _, h in designs]
    widths = [max(len(row[i]) for row in [header] + lines) for i in range(len(header))]
    fmt_row = lambda row: "  ".join(  # noqa: E731
        (c.ljust(w) if i == 0 else c.rjust(w)) for i, (c, w) in enumerate(zip(row, widths)))
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt_row(header), rule] + [fmt_row(r) for r in lines])


def _plain(v) -> str:
    if isinstance(v, float) and not isinstance(v, bool):
        if abs(v) >= 1e6:
            return _count(v)
        return f"{v:,.0f}" if v.is_integer() else f"{v:g}"
    return str(v)


def _inputs_line(names: dict) -> str:
    keys = ("Requests_Per_Day", "Input_Tokens_Per_Request", "Output_Tokens_Per_Request", "Days_In_Service",
            "Target_Loss", "GPU", "Price_Per_GPU_Hour", "Law")
    folded = {k.casefold(): (k, v) for k, v in names.items()}
    return ", ".join(f"{folded[k.casefold()][0]}={_plain(folded[k.casefold()][1])}"
                     for k in keys if k.casefold() in folded)


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="compute the deployment plan template and compare model designs",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=DEFAULT_OUT, metavar="OUTPUT.xlsx",
                   help=f"where to write the computed workbook (default ./{DEFAULT_OUT})")
    p.set_defaults(run=run)


def run(args) -> int:
    import importlib.resources

    from workbook.recalc.calc import calc
    from workbook.templates import shipped

    with importlib.resources.as_file(shipped(TEMPLATE)) as template:
        result = calc(template, args.out, [])
    print(f"Deployment plan ({TEMPLATE} with its default inputs)")
    line = _inputs_line(result.names)
    if line:
        print(f"Inputs: {line}")
    print()
    print(comparison_table(result.names))
    print()
    print(f"Computed workbook written to {Path(args.out).resolve()}")
    for cell, err in result.errors()[:5]:
        print(f"planner: note: {cell} shows {err.code}" + (f" ({err.reason})" if err.reason else ""),
              file=sys.stderr)
    print("Try other inputs: planner templates (writes ./templates), then planner calc "
          "templates/deployment_plan.xlsx --out plan.xlsx --set Requests_Per_Day=5e6 "
          "(add --freeze for a copy that needs no add-in)")
    return 0
