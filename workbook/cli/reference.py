"""`planner reference`: the function reference (docs/FUNCTIONS.md), generated from the catalogue."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    from workbook.addin.reference import DEFAULT_PATH

    p = sub.add_parser("reference", help="write the function reference (docs/FUNCTIONS.md)",
                       description="Write the reference of every formula, generated from the catalogue.")
    p.add_argument("--out", default=str(DEFAULT_PATH), metavar="FILE",
                   help=f"where to write it (default {DEFAULT_PATH}; - for standard output)")
    p.set_defaults(run=run)


def run(args) -> int:
    from workbook.addin import reference

    if args.out == "-":
        sys.stdout.write(reference.markdown())
        return 0
    path = reference.write(args.out)
    print(f"Wrote {path} ({len(reference.cells.FUNCTIONS)} formulas).")
    return 0
