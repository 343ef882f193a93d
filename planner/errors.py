"""The one exception every planner function raises on bad input."""


class PlannerError(ValueError):
    """Bad input to a planner function.

    The message names the argument, the rule it broke and the value it got, in one line,
    so that the Excel layer can show it as a cell error's reason unchanged.
    """
