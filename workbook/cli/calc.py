"""`planner calc`: the command-line side of `workbook.recalc.calc` (imported lazily: the engine is slow to load)."""

from __future__ import annotations

import argparse
import gc
import sys

from workbook.cli.common import UsageError

DESCRIPTION = """\
Recalculate every formula of an .xlsx workbook, the planner's formulas included, without
Excel, and write a copy in which each formula cell also carries its value (any reader or
viewer shows the numbers). INPUT is never modified.

  planner calc plan.xlsx --out plan-computed.xlsx
  planner calc plan.xlsx --list-inputs
  planner calc plan.xlsx --out q3.xlsx --set Requests_Per_Day=2e6 --set "GPU=H100 SXM" --set Train_MFU=45%
  planner calc plan.xlsx --out handoff.xlsx --freeze

--freeze makes a hand-off copy for people without the add-in: cells that use planner
formulas become plain values, Excel's own formulas stay live, and the About sheet says
when and from which inputs the copy was made.

A macro-enabled workbook (.xlsm) is written as .xlsm with its macros copied byte for byte;
they are never run. OpenDocument (.ods) and Excel 97-2003 (.xls) files must first be saved
as .xlsx."""


def add_parser(sub) -> None:
    p = sub.add_parser("calc", help="recalculate a workbook without Excel (and make hand-off copies)",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", metavar="INPUT.xlsx", help="the workbook to recalculate (left unchanged)")
    p.add_argument("--out", metavar="OUTPUT.xlsx", help="where to write the computed copy (required "
                                                        "unless --list-inputs)")
    p.add_argument("--list-inputs", action="store_true",
                   help="print the workbook's inputs (defined names of value cells) with their "
                        "current values, units and allowed values, and write nothing")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="sets",
                   help="change an input first: a defined name, Sheet!A1 or Sheet!Name, and a number, "
                        "TRUE/FALSE or text (repeatable); checked against the cell's data validation")
    p.add_argument("--freeze", action="store_true",
                   help="replace planner formulas by their values (a hand-off copy)")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.list_inputs:
        if args.out or args.sets or args.freeze:
            raise UsageError("--list-inputs writes nothing: give it without --out, --set or --freeze")
        return _list_inputs(args.input)
    if not args.out:
        raise UsageError("give --out OUTPUT.xlsx (or --list-inputs to see the workbook's inputs)")
    from workbook.recalc.calc import calc

    if args.ending:
        gc.freeze()  # the engine's modules too (see workbook.cli._main)
    result = calc(args.input, args.out, args.sets, freeze=args.freeze)
    n_formulas = sum(len(fc.cells) for fc in result.formulas.values())
    what = "1 formula cell computed" if n_formulas == 1 else f"{n_formulas} formula cells computed"
    if args.freeze:
        what += f", {len(result.frozen)} frozen to values"
    print(f"{args.out}: {what}")
    for a in result.assignments:
        if a.warning:
            print(f"planner: note: --set {a.target}={a.text}: {a.warning}", file=sys.stderr)
        if a.replaced_formula:
            print(f"planner: note: --set {a.target} replaced the formula in {a.sheet}!{a.ref} by a value",
                  file=sys.stderr)
    errors = result.errors()
    if errors:
        shown = "; ".join(f"{cell} {err.code}" + (f" ({err.reason})" if err.reason else "")
                          for cell, err in errors[:5])
        more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
        count = "1 cell shows an error value" if len(errors) == 1 else f"{len(errors)} cells show error values"
        print(f"planner: note: {count}: {shown}{more}", file=sys.stderr)
    return 0


def _list_inputs(path) -> int:
    from workbook.recalc.calc import list_inputs
    from workbook.recalc.xlsx import number_text

    found = list_inputs(path)
    if not found:
        print(f"{path}: no inputs (no defined name stands for a single value cell)")
        return 0
    rows = [("NAME", "VALUE", "UNIT", "CELL", "ALLOWED")]
    for i in found:
        value = number_text(i.value) if isinstance(i.value, float) else ("" if i.value is None else str(i.value))
        rows.append((i.name, value, i.unit, f"{i.sheet}!{i.ref}", i.allowed))
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4])
    return 0
