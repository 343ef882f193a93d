"""The Excel side of the planner: formulas, templates, recalculation and the command line."""
