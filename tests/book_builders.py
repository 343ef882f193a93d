"""Workbooks for the recalculation tests, built from scratch (openpyxl or raw package XML),
and the closed forms their planner formulas must reproduce."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
from openpyxl.chart import LineChart, Reference
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula

# The default law: Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt"),
# Table 1, their refit of Hoffmann et al.'s Approach 3: L(N, D) = E + A / N^alpha + B / D^beta.
E, A, B, ALPHA, BETA = 1.8172, 482.01, 2085.43, 0.3478, 0.3658


def n_opt(c: float) -> float:
    """Compute-optimal parameters for C = 6ND (Hoffmann et al. 2022, eq. 4)."""
    g = (ALPHA * A / (BETA * B)) ** (1 / (ALPHA + BETA))
    return g * (c / 6) ** (BETA / (ALPHA + BETA))


def d_opt(c: float) -> float:
    return (c / 6) / n_opt(c)


def loss(n: float, d: float) -> float:
    return E + A / n**ALPHA + B / d**BETA


def mixed_book(path: Path, *, about: bool = False, errors: bool = True) -> Path:
    """Excel's formulas and the planner's, nested, with ranges, names, a chart and validation."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws["A1"], ws["B1"] = "Budget (FLOPs)", 1e24
    ws["A2"], ws["B2"] = "Tokens per parameter", 20
    ws["C1"], ws["C2"], ws["C3"] = 1e22, 1e23, 1e24
    wb.defined_names["Budget"] = DefinedName("Budget", attr_text="Inputs!$B$1")
    wb.defined_names["Ratio"] = DefinedName("Ratio", attr_text="Inputs!$B$2")
    wb.defined_names["Budgets"] = DefinedName("Budgets", attr_text="Inputs!$C$1:$C$3")
    # Names that compute: a planner formula and a planner row inside the Name Manager.
    wb.defined_names["Opt_N"] = DefinedName("Opt_N", attr_text="CHINCHILLA_N(Inputs!$B$1)")
    wb.defined_names["Law_Row"] = DefinedName("Law_Row", attr_text="LAW_PARAMS()")
    dv = DataValidation(type="decimal", operator="greaterThan", formula1="0")
    ws.add_data_validation(dv)
    dv.add("B1")

    out = wb.create_sheet("Model Plan")
    out["A1"], out["B1"] = "Parameters", "=CHINCHILLA_N(Budget)"
    out["A2"], out["B2"] = "Tokens", "=CHINCHILLA_D(Budget)"
    out["A3"], out["B3"] = "Tokens per parameter", "=ROUND(B2/B1, 6)"
    out["A4"], out["B4"] = "Billions of parameters", "=ROUND(CHINCHILLA_N(Inputs!B1)/1E9, 3)"
    out["A5"], out["B5"] = "Sum over budgets", "=SUM(CHINCHILLA_N(Budgets))"
    out["A6"], out["B6"] = "Loss at the optimum", "=SCALING_LOSS(B1, B2)"
    out["A7"], out["B7"] = "Law numbers", ArrayFormula("B7:F7", "=LAW_PARAMS()")
    out["A8"], out["B8"] = "Loss from the row", "=SCALING_LOSS(70E9, 1.4E12, B7:F7)"
    out["A9"], out["B9"] = "Fixed ratio", "=CHINCHILLA_N(Budget, Ratio)"
    out["A10"], out["B10"] = "Label", '=IF(B1>1E10, "large", "small") & " model"'
    out["A11"], out["B11"] = "Per budget", ArrayFormula("B11:B13", "=CHINCHILLA_N(Inputs!C1:C3)")
    out["A14"], out["B14"] = "Excel only", "=Inputs!B1*2+MAX(Inputs!C1:C3)"
    out["A15"], out["B15"] = "Guarded", '=IFERROR(CHINCHILLA_N(-Budget), "check the budget")'
    out["A20"], out["B20"] = "Named formula", "=Opt_N/1E9"
    out["A21"], out["B21"] = "Named row", "=SUM(Law_Row)"
    if errors:
        out["A16"], out["B16"] = "Negative budget", "=CHINCHILLA_N(-1)"
        out["A17"], out["B17"] = "Text budget", '=CHINCHILLA_N("lots")'
        out["A18"], out["B18"] = "Error input", "=CHINCHILLA_N(1/0)"
        out["A19"], out["B19"] = "Depends on an error", "=B16*2"
    chart = LineChart()
    chart.add_data(Reference(out, min_col=2, min_row=11, max_row=13))
    out.add_chart(chart, "H2")
    if about:
        a = wb.create_sheet("About")
        a["A1"] = "About this workbook"
        a["A2"] = "A test plan."
    wb.save(path)
    return path


# --- a package written by hand, for what openpyxl cannot write (shared formulas) ----------

_CT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WB = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x15" xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main">
<sheets><sheet name="Runs" sheetId="1" r:id="rId1"/></sheets>
<definedNames><definedName name="Scale">1000</definedName></definedNames>
<calcPr calcId="191029"/>
</workbook>"""
_WB_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
# Excel's way: one shared formula filled down B1:B3, dependents with no text, x14ac prefixes
# declared only for mc:Ignorable.
_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" xr:uid="{00000000-0001-0000-0000-000000000000}">
<dimension ref="A1:E3"/>
<sheetData>
<row r="1" spans="1:3" x14ac:dyDescent="0.25"><c r="A1"><v>1E+22</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">CHINCHILLA_N(A1)</f><v>0</v></c><c r="C1"><f t="shared" ref="C1:C3" si="1">A1*Scale</f><v>0</v></c><c r="D1" t="s"><v>0</v></c><c r="E1" t="s"><v>1</v></c></row>
<row r="2" spans="1:3" x14ac:dyDescent="0.25"><c r="A2"><v>1E+23</v></c><c r="B2"><f t="shared" si="0"/><v>0</v></c><c r="C2"><f t="shared" si="1"/><v>0</v></c></row>
<row r="3" spans="1:3" x14ac:dyDescent="0.25"><c r="A3"><v>1E+24</v></c><c r="B3"><f t="shared" si="0"/><v>0</v></c><c r="C3"><f t="shared" si="1"/><v>0</v></c></row>
</sheetData>
</worksheet>"""
_STRINGS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>budgets</t></si><si><t>note</t></si></sst>"""
_CHAIN = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="B1" i="1"/><c r="B2"/><c r="B3"/><c r="C1"/><c r="C2"/><c r="C3"/></calcChain>"""


def excel_style_book(path: Path) -> Path:
    """A package as Excel writes it: shared formulas and strings, a calculation chain, a named constant."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", _SHEET)
        z.writestr("xl/calcChain.xml", _CHAIN)
        z.writestr("xl/sharedStrings.xml", _STRINGS)
    return path


def one_formula_book(path: Path, formula: str) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active["A1"] = 5
    wb.active["B2"] = formula
    wb.save(path)
    return path


def scoped_names_book(path: Path, *, clash: bool = False) -> Path:
    """A user's workbook: sheet names with spaces and an apostrophe, a name scoped to each of
    two sheets (Excel resolves it from the referring cell's sheet), a whole-row SUM."""
    wb = openpyxl.Workbook()
    inputs = wb.active
    inputs.title = "Budget Inputs"
    inputs["A1"], inputs["A2"] = 1e24, 20
    inputs["B1"], inputs["B2"], inputs["B3"] = 1e22, 1e23, 1e24
    res = wb.create_sheet("It's results")
    res["A1"] = "=CHINCHILLA_N('Budget Inputs'!A1*2, Ratio)"
    res["A2"] = "=SUM('Budget Inputs'!1:1)"
    res["A3"] = "=CHINCHILLA_N(Budget)/1E9"
    runs = "'Budget Inputs'!B1:B3"
    res["A4"] = f"=SUMPRODUCT(CHINCHILLA_N({runs}), CHINCHILLA_D({runs}))"
    res["A5"] = f"=MAX(CHINCHILLA_N({runs}))/MIN(CHINCHILLA_N({runs}))"
    res["A6"] = f"=SCALING_LOSS(CHINCHILLA_N(AVERAGE({runs})), CHINCHILLA_D(AVERAGE({runs})))"
    res.defined_names["Ratio"] = DefinedName("Ratio", attr_text="'Budget Inputs'!$A$2")
    res.defined_names["Budget"] = DefinedName("Budget", attr_text="'Budget Inputs'!$B$3")
    # The same name for another cell on another sheet; a clash only once a formula there uses it.
    inputs.defined_names["Budget"] = DefinedName("Budget", attr_text="'Budget Inputs'!$B$1")
    if clash:
        inputs["C1"] = "=Budget*2"
    wb.save(path)
    return path
