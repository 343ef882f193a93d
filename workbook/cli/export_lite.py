"""`planner export-lite`: main.py and requirements.txt for xlwings Lite."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("export-lite", help="write main.py and requirements.txt for xlwings Lite",
                       description="Write the main.py and requirements.txt that give every planner "
                                   "formula in xlwings Lite (Excel on Windows, macOS and the web).")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the two files into")
    p.set_defaults(run=run)


def run(args) -> int:
    import planner
    from workbook.addin.lite import export

    paths = export(args.out)
    print(f"Wrote {paths[0]} ({len(planner.CATALOG)} formulas) and {paths[1]}.")
    print("In Excel: open xlwings Lite, paste requirements.txt into the editor's tab of that "
          "name, wait for the packages to install, then paste main.py into its tab.")
    return 0
