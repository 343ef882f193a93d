"""Every example the README and the --help texts give, run as written.

Commands (`planner ...` in code blocks, inline code and help descriptions) run in a folder
holding the files they name (plan.xlsx is the deployment plan, runs.csv training runs);
Python lines run and the number in their comment is compared with what they return;
formulas with literal arguments are computed by the engine and must give no error value.
"""

from __future__ import annotations

import ast
import csv
import math
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import catalog_examples as ce
import planner
from workbook.addin.cells import CellError
from workbook.cli import main, parser
from workbook.recalc.calc import calc

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.S)
INLINE = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", README, flags=re.S))


def _commands() -> list[str]:
    found = []
    for block in BLOCKS:
        found += [line.split("  #")[0].strip() for line in block.splitlines() if line.startswith("planner ")]
    # Inline code names a command ("`planner calc` computes ...") or gives one in full.
    found += [c.strip() for c in INLINE if re.match(r"planner (demo|templates|reference)\b", c)
              or re.match(r"planner (calc|fit|export-lite) \S", c)]
    sub = next(a for a in parser()._actions if a.dest == "command")
    for name, command in sub.choices.items():
        found += [line.strip() for line in (command.description or "").splitlines()
                  if line.strip().startswith("planner ")]
    # "[--out DIR]" shows an option; the example is the command without it and with it.
    out = []
    for c in found:
        if "[" in c:
            out += [re.sub(r"\s*\[.*?\]", "", c), re.sub(r"\[(.*?)\]", r"\1", c)]
        else:
            out.append(c)
    return sorted(set(out))


COMMANDS = _commands()


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    """A working folder with the files the examples name, and ../shared beside it."""
    work = tmp_path / "project"
    work.mkdir()
    (tmp_path / "shared").symlink_to(ROOT.parent / "shared")
    shutil.copy(ROOT / "templates" / "deployment_plan.xlsx", work / "plan.xlsx")
    shutil.copy(ROOT / "templates" / "deployment_plan.xlsx", work / "BOOK.xlsx")
    (work / "templates").mkdir()
    shutil.copy(ROOT / "templates" / "deployment_plan.xlsx", work / "templates" / "deployment_plan.xlsx")
    with open(work / "runs.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["params", "tokens", "loss"])
        w.writerows(zip(ce.DATA["params"], ce.DATA["tokens"], ce.DATA["losses"]))
    monkeypatch.chdir(work)
    return work


def test_the_readme_and_help_texts_give_commands():
    assert len(COMMANDS) >= 12
    assert any(c.startswith("planner calc") and "--freeze" in c for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_example_runs(folder, command, capsys):
    words = [w.replace("DIR", "out-dir") for w in shlex.split(command)[1:]]
    code = main(words)
    err = capsys.readouterr().err
    assert code == 0, f"{command}: {err}"
    assert "Traceback" not in err


def _python_lines() -> list[str]:
    block = next(b for b in BLOCKS if b.startswith("import planner"))
    return [line for line in block.splitlines()[1:] if line.strip()]


@pytest.mark.parametrize("line", _python_lines())
def test_every_python_example_gives_its_comment(line):
    code, _, comment = line.partition("#")
    value = eval(compile(ast.parse(code.strip(), mode="eval"), "README", "eval"), {"planner": planner})
    stated = re.search(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", comment)
    if isinstance(value, dict):  # a Record: the figure in brackets is its savings
        assert "Record" in comment and math.isclose(value["savings"], float(stated.group(0)), abs_tol=0.005)
    elif np.ndim(value) == 0:
        digits = len(stated.group(0).split("e")[0].replace(".", "").lstrip("-+0"))
        assert float(f"{value:.{digits - 1}e}") == float(stated.group(0)), (line, value)
    else:
        assert np.all(np.isfinite(value))


LITERAL = re.compile(r'=[A-Z_]+\((?:[-+0-9.E ,"a-z_A-Z]|TRUE|FALSE)*\)')


def _formulas() -> list[str]:
    out = []
    for code in INLINE:
        if LITERAL.fullmatch(code) and "..." not in code:
            inner = code[code.index("(") + 1:-1]
            names = re.findall(r'"[^"]*"|\b[A-Za-z_][A-Za-z_0-9]*\b', inner)
            if all(n.startswith('"') or n in ("TRUE", "FALSE") or re.fullmatch(r"\d*E\d*", n) for n in names):
                out.append(code)
    return sorted(set(out))


def test_every_formula_example_computes(tmp_path):
    formulas = _formulas()
    assert "=INFERENCE_TRADEOFF(2.0, 1E13, , \"params\")" in formulas and len(formulas) >= 6
    wb = openpyxl.Workbook()
    for i, f in enumerate(formulas, start=1):
        wb.active[f"A{i}"] = f
    wb.save(tmp_path / "examples.xlsx")
    values = calc(tmp_path / "examples.xlsx", tmp_path / "out.xlsx").values
    for i, f in enumerate(formulas, start=1):
        v = values[("Sheet", f"A{i}")]
        assert not isinstance(v, CellError), (f, v)
    typed = re.findall(r"Type `(=[^`]+)` into a cell: ([\d,]+)", README)
    assert typed
    for f, shown in typed:
        assert round(values[("Sheet", f"A{formulas.index(f) + 1}")]) == int(shown.replace(",", "")), f
