"""The catalogue of public planner functions: the one metadata source.

Each public function is declared with `@formula(...)`, which records its category, the unit
of its result, what every argument means (unit and description) and an example. Defaults
come from the Python signature and the one-line summary from the docstring, so nothing is
written twice. The Excel layer (`workbook/`) builds its formulas, the Office.js metadata and
the function reference from `CATALOG` alone; this module knows nothing of Excel.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

# How an argument is passed, which tells the Excel layer how to convert a cell or range:
#   number - a number or an array of numbers; broadcasts like a numpy ufunc
#   law    - a preset name, five (or six) numbers, or a tokens-per-parameter number
#   gpu    - an accelerator preset name or a peak FLOP/s number
#   text   - a choice among names (e.g. a result field)
#   flag   - TRUE/FALSE
#   data   - a 1-D column of observations (fitting), blanks allowed
KINDS = ("number", "law", "gpu", "text", "flag", "data")

# What a function returns:
#   number - a float, or an array broadcast to the number arguments' shape
#   record - a dict of named fields (`fields`), or one field when asked for
#   row    - a 1-D sequence of named values (`fields`)
#   table  - a 2-D block whose rows are `row_labels` and columns `fields`
RETURNS = ("number", "record", "row", "table")


@dataclass(frozen=True)
class Arg:
    unit: str
    doc: str
    kind: str = "number"
    choices: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown argument kind {self.kind!r}")


@dataclass(frozen=True)
class Param:
    name: str
    arg: Arg
    default: object = inspect.Parameter.empty

    @property
    def optional(self) -> bool:
        return self.default is not inspect.Parameter.empty


@dataclass(frozen=True)
class Entry:
    name: str  # the Python name; the Excel formula is name.upper()
    func: Callable
    category: str
    summary: str
    result_unit: str
    returns: str
    params: tuple[Param, ...]
    example: str
    fields: tuple[str, ...] = ()
    row_labels: tuple[str, ...] = ()

    @property
    def excel_name(self) -> str:
        return self.name.upper()


CATALOG: dict[str, Entry] = {}

# The argument that every law-dependent function takes, described once.
LAW = Arg(
    "preset, 5 numbers, or tokens/param",
    "Scaling law: a preset name ('chinchilla' default, 'epoch', 'kaplan'), the five numbers "
    "{E, A, B, alpha, beta} of L = E + A/N^alpha + B/D^beta (six with gamma, as LAW_PARAMS "
    "gives for 'kaplan'), or, for allocation only, a fixed number of training tokens per "
    "parameter (20 for the classic rule of thumb)",
    kind="law",
)
# Model size where a scaling law predicts loss. The laws were fitted on dense models, whose
# total and active parameter counts are the same.
MODEL_SIZE = Arg("parameters", "Model size N: all parameters of a dense model (the laws were "
                               "fitted on dense models); for mixture-of-experts, the active "
                               "parameters per token")
# Model size where FLOPs are counted: the work per token depends on the active parameters.
ACTIVE_PARAMS = Arg("parameters", "Active parameters N per token: all of a dense model's; for "
                                  "mixture-of-experts only those one token passes through, "
                                  "not the total")
TARGET_LOSS = Arg("nats/token", "Loss the model must reach")


def field_choice(fields: tuple[str, ...]) -> Arg:
    """The optional `field` argument of a function that returns a record of `fields`."""
    names = ", ".join(fields[:-1]) + " or " + fields[-1]
    return Arg("", f"One result to return: {names} (all when omitted)", kind="text",
               choices=tuple(fields))


# The same, for functions that need a loss and so cannot take a tokens-per-parameter rule.
LAW_FOR_LOSS = Arg(
    "preset or 5 numbers",
    "Scaling law: a preset name ('chinchilla' default, 'epoch', 'kaplan') or the five numbers "
    "{E, A, B, alpha, beta} of L = E + A/N^alpha + B/D^beta (six with gamma, as LAW_PARAMS "
    "gives for 'kaplan')",
    kind="law",
)


def formula(category: str, *, result: str, example: str, returns: str = "number",
            fields: tuple[str, ...] = (), row_labels: tuple[str, ...] = (), **args: Arg):
    """Declare a public function: record its metadata in CATALOG and return it unchanged."""
    if returns not in RETURNS:
        raise ValueError(f"unknown return kind {returns!r}")

    def register(func: Callable) -> Callable:
        sig = inspect.signature(func)
        missing = set(sig.parameters) - set(args)
        extra = set(args) - set(sig.parameters)
        if missing or extra:
            raise TypeError(f"{func.__name__}: undocumented {sorted(missing)}, unknown {sorted(extra)}")
        doc = inspect.getdoc(func) or ""
        summary = doc.split("\n\n")[0].replace("\n", " ").strip()
        if not summary:
            raise TypeError(f"{func.__name__}: a public function needs a docstring")
        params = tuple(Param(n, args[n], p.default) for n, p in sig.parameters.items())
        CATALOG[func.__name__] = Entry(func.__name__, func, category, summary, result, returns,
                                       params, example, tuple(fields), tuple(row_labels))
        return func

    return register
