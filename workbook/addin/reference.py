"""`planner reference`: the function reference (docs/FUNCTIONS.md), generated from the catalog.

Every formula with its summary, arguments (unit, default, meaning), result and example,
from the same metadata the Excel add-in registers, so the reference cannot drift from the
formulas; a test fails when the committed file is stale.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from planner._args import RULES
from planner.laws import WHY_PRESETS_DIFFER

from workbook.addin import cells
from workbook.recalc.xlsx import atomic_write

DEFAULT_PATH = Path("docs") / "FUNCTIONS.md"

_INTRO = """\
# Function reference

Every formula of the compute planner, as Excel shows it. This file is generated from the
planner's catalogue by `planner reference --out docs/FUNCTIONS.md`; do not edit it by hand.

How arguments work, in every formula:

- **Cells or ranges.** Any number argument takes a single cell or a range. A range gives a
  result of the same shape in one call (a column of 1,000 budgets spills 1,000 results), and
  a column against a row gives a grid, as with Excel's own dynamic arrays.
- **Names and flags too.** A `gpu`, a `field` or a TRUE/FALSE argument may also be a range
  (a column of GPU names, a row of fields): each cell gives its own result, laid out the
  same way.
- **Empty means default.** An omitted argument or an empty cell takes the default listed
  below; arguments in `[brackets]` are optional.
- **`law`** is a preset name (`"epoch"`, the default; `"chinchilla"`, `"chinchilla-printed"`,
  `"kaplan"`), a row or column of the five numbers {E, A, B, alpha, beta} (for example the
  output of `LAW_PARAMS` or `FIT_SCALING_LAW`), or, where the argument says so, a number of
  training tokens per parameter (20 for the classic rule of thumb). Why the presets
  disagree: {why}
- **Errors.** Text where a number belongs gives `#VALUE!`; a number outside the formula's
  domain (a negative budget, a loss no model reaches) gives `#NUM!`. The planner's one-line
  reason is shown where Excel can show one. In a range, only the bad elements are errors.
- **Several results.** A formula with named fields (such as `INFERENCE_TRADEOFF`) spills a
  labelled row, field names above values, unless its `field` argument asks for one field;
  over a row or column of inputs it spills a labelled table, one row per input (with a
  2-D grid of inputs, ask for one field). Rows and blocks of numbers spill without labels,
  so that they can feed other formulas.
"""


_INTRO = _INTRO.replace("{why}", textwrap.fill(WHY_PRESETS_DIFFER, 88, subsequent_indent="  "))


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _default(param) -> str:
    from workbook.addin.wrappers import excel_default  # imports xlwings: not at `planner`'s start
    if not param.optional:
        return "required"
    return "empty" if param.default is None else excel_default(param.default)


def _domain(param) -> str:
    """The argument's domain, from the catalogue's rule (the words Excel's validation uses)."""
    if param.arg.kind not in ("number", "option", "model") or param.arg.rule == "any":
        return "-"
    words = RULES[param.arg.rule][2] + (", or a model name" if param.arg.kind == "model" else "")
    if param.arg.bounds:
        low, high = param.arg.bounds
        words += f", at least {low:g}" if high == float("inf") else f", {low:g} to {high:g}"
    return words


def _signature(entry) -> str:
    from workbook.addin.wrappers import excel_arg_name
    names = [excel_arg_name(p.name) for p in entry.params]
    return "=" + entry.excel_name + "(" + ", ".join(
        f"[{n}]" if p.optional else n for n, p in zip(names, entry.params)) + ")"


def _result(entry) -> str:
    fields = ", ".join(f"`{f}`" for f in entry.fields)
    if entry.returns == "record":
        text = (f"with `field`, one of {fields}; without it, a labelled row of all of them "
                f"(a labelled table over a row or column of inputs).")
    elif entry.returns == "row":
        text = f"a row of {len(entry.fields)} values, {fields}."
    elif entry.returns == "table":
        rows = ", ".join(f"`{r}`" for r in entry.row_labels)
        text = (f"a block of {len(entry.row_labels)} rows ({rows}) by {len(entry.fields)} columns ({fields})."
                if entry.row_labels else f"a block of rows (one per result) by {len(entry.fields)} "
                                         f"columns ({fields}).")
    else:
        text = "one value, or one per cell of the input ranges."
    return f"**Result** ({entry.result_unit}): {text}"


def _anchor(entry) -> str:
    return entry.excel_name.lower()


def markdown() -> str:
    """The whole reference, as Markdown."""
    from workbook.addin.wrappers import excel_arg_name
    entries = list(cells.FUNCTIONS.values())
    categories: dict[str, list] = {}
    for entry in entries:
        categories.setdefault(entry.category, []).append(entry)
    out = [_INTRO, "\n## Contents\n"]
    for category, group in categories.items():
        out.append(f"\n**{category}**\n")
        for entry in group:
            out.append(f"- [`{entry.excel_name}`](#{_anchor(entry)}): {_cell(entry.summary)}")
    for category, group in categories.items():
        out.append(f"\n\n## {category}\n")
        for entry in group:
            out.append(f"\n### {entry.excel_name}\n")
            out.append(f"`{_signature(entry)}`\n")
            out.append(_cell(entry.summary) + "\n")
            doc = entry.doc.split("\n\n")[1:]
            for paragraph in doc:
                out.append(_cell(paragraph) + "\n")
            out.append("| Argument | Unit | Default | Takes | Meaning |")
            out.append("|---|---|---|---|---|")
            for p in entry.params:
                out.append(f"| `{excel_arg_name(p.name)}` | {_cell(p.arg.unit) or '-'} | "
                           f"{_default(p)} | {_domain(p)} | {_cell(p.arg.doc)} |")
            out.append(f"\n{_result(entry)}\n")
            out.append(f"**Example:** `{entry.example}`  ")
            out.append(f"**Python:** `planner.{entry.name}`\n")
    return "\n".join(out).rstrip() + "\n"


def write(path=DEFAULT_PATH) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, markdown().encode("utf-8"))
    return path
