"""The template workbooks: `spec` holds what they share (styles, input rules, lists), one
module per template declares its sheets as data, and `builder` writes them."""

import importlib.resources

from workbook.templates import (benchmark_forecast, deployment_plan, function_gallery, overtraining_explorer,
                                public_models, scaling_law_fit, training_budget)

# Every template, in the order the README lists them.
TEMPLATES = tuple(m.TEMPLATE for m in (training_budget, deployment_plan, overtraining_explorer,
                                       public_models, scaling_law_fit, benchmark_forecast, function_gallery))


def shipped(filename: str):
    """The shipped copy of a template (an importlib.resources Traversable; `as_file` gives a path)."""
    return importlib.resources.files("workbook.templates.files") / filename
