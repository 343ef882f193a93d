"""The function reference (docs/FUNCTIONS.md) is generated from the catalog and kept current."""

from pathlib import Path

import pytest

import planner
from workbook import cli
from workbook.addin import reference
from workbook.addin.wrappers import excel_arg_name

DOC = Path(__file__).resolve().parent.parent / "docs" / "FUNCTIONS.md"
ENTRIES = list(planner.CATALOG.values())


def test_committed_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == reference.markdown(), (
        "docs/FUNCTIONS.md is stale: run `planner reference --out docs/FUNCTIONS.md` and commit it")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.excel_name for e in ENTRIES])
def test_every_formula_is_documented(entry):
    text = reference.markdown()
    section = text.split(f"\n### {entry.excel_name}\n", 1)[1].split("\n### ", 1)[0]
    assert f"(#{entry.excel_name.lower()})" in text  # listed in the contents
    assert entry.summary.split("`")[0].strip() in section
    assert entry.example in section and entry.result_unit in section
    for p in entry.params:
        row = next(line for line in section.splitlines() if line.startswith(f"| `{excel_arg_name(p.name)}` |"))
        assert ("required" in row) is not p.optional
        if p.arg.unit:
            assert p.arg.unit in row
        assert parse_default(row.split(" | ")[2]) == (p.default if p.optional else "required")


def parse_default(cell):
    """The Default column read back as a Python value (as a person would type it in Excel)."""
    if cell in ("required", "empty"):
        return None if cell == "empty" else cell
    if cell in ("TRUE", "FALSE"):
        return cell == "TRUE"
    return cell.strip('"') if cell.startswith('"') else float(cell)


def test_command_writes_the_reference(tmp_path, capsys):
    out = tmp_path / "ref" / "FUNCTIONS.md"
    assert cli.main(["reference", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == reference.markdown()
    assert cli.main(["reference", "--out", "-"]) == 0
    assert capsys.readouterr().out.endswith(reference.markdown())


def test_every_number_argument_shows_its_catalogue_rule():
    """The reference states each argument's domain from the same rule the planner checks."""
    from planner import CATALOG
    from planner._args import RULES

    text = reference.markdown()
    for entry in CATALOG.values():
        section = text.split(f"\n### {entry.excel_name}\n", 1)[1].split("\n### ", 1)[0]
        for p in entry.params:
            row = next(line for line in section.splitlines() if line.startswith(f"| `{excel_arg_name(p.name)}` |"))
            taken = row.split(" | ")[3]
            if p.arg.kind in ("number", "option", "model") and p.arg.rule != "any":
                assert taken.startswith(RULES[p.arg.rule][2]), (entry.name, p.name, taken)
                assert taken.endswith(", or a model name") == (p.arg.kind == "model"), (entry.name, p.name)
            else:
                assert taken == "-"
