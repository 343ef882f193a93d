"""`planner templates`: write the template workbooks."""

from __future__ import annotations

from pathlib import Path

from workbook.cli.common import UsageError


def add_parser(sub) -> None:
    p = sub.add_parser("templates", help="write the template workbooks",
                       description="Write the template workbooks (training budget, deployment plan, "
                                   "over-training explorer, public models, scaling-law fit).")
    p.add_argument("--out", default="templates", metavar="DIR",
                   help="directory to write them to (default: ./templates)")
    p.set_defaults(run=run)


def run(args) -> int:
    from workbook.templates.builder import build_all

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a directory")
    for path in build_all(out):
        print(path)
    return 0
