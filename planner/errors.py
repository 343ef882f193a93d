"""The one exception every planner function raises on bad input, and the one warning."""


class PlannerError(ValueError):
    """Bad input to a planner function.

    The message names the argument, the rule it broke and the value it got, in one line,
    so that the Excel layer can show it as a cell error's reason unchanged.
    """


class PlannerWarning(UserWarning):
    """A result was computed, but from less than the input given.

    For example, a fit that skipped rows with blank or text entries says how many it skipped.
    """
