"""Recalculation without Excel: the embedded engine (`engine`, the `formulas` package with
the planner's functions registered), `.xlsx` packages read and written at the XML level
(`xlsx`), and `calc`, which computes a workbook, sets inputs and makes hand-off copies."""
