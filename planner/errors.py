"""The one exception every planner function raises on bad input, and the one warning.

A `PlannerError` is structured, so that a host decides what to show from its fields and
never from its wording:

- `argument`: the name of the argument at fault (None when no single one is);
- `kind`: `DOMAIN` (a number outside the argument's domain: a negative budget, a loss no
  model reaches, a fit that does not converge; Excel's #NUM!), `TYPE` (a value of the wrong
  type: text where a number belongs, an unknown preset name; #VALUE!) or `SHAPE` (arrays
  whose shapes do not broadcast; #VALUE!);
- `elements`: for an array argument, a boolean mask of the elements that failed (in the
  shape of the array the planner checked), or None when the whole argument failed;
- `reason_at(i)`: the one-line reason for flat element `i` of that mask, naming its value.
"""

from __future__ import annotations

DOMAIN = "domain"
TYPE = "type"
SHAPE = "shape"
KINDS = (DOMAIN, TYPE, SHAPE)


class PlannerError(ValueError):
    """Bad input to a planner function.

    The message names the argument, the rule it broke and the value it got, in one line.
    """

    def __init__(self, message: str, *, argument: str | None = None, kind: str = DOMAIN,
                 elements=None, reason_at=None):
        super().__init__(message)
        if kind not in KINDS:
            raise ValueError(f"unknown error kind {kind!r}")
        self.argument = argument
        self.kind = kind
        self.elements = elements
        self._reason_at = reason_at

    def reason_at(self, index: int) -> str:
        """The reason for flat element `index` of `elements` (the message when not per element)."""
        return self._reason_at(index) if self._reason_at is not None else str(self)

    def __reduce__(self):  # picklable with its fields (multiprocessing, caches)
        return (_rebuild, (str(self), self.argument, self.kind, self.elements))


def _rebuild(message, argument, kind, elements):
    return PlannerError(message, argument=argument, kind=kind, elements=elements)


class PlannerWarning(UserWarning):
    """A result was computed, but from less than the input given.

    For example, a fit that skipped rows with blank or text entries says how many it skipped.
    """
