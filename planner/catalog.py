"""The catalogue of public planner functions: the one metadata source.

Each public function is declared with `@formula(...)`, which records its category, the unit
of its result, what every argument means (unit and description) and an example. Defaults
come from the Python signature and the one-line summary from the docstring, so nothing is
written twice. The Excel layer (`workbook/`) builds its formulas, the Office.js metadata and
the function reference from `CATALOG` alone; this module knows nothing of Excel.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import _args
from .errors import SHAPE, PlannerError

# How an argument is passed, which tells the Excel layer how to convert a cell or range:
#   number - a number or an array of numbers; broadcasts like a numpy ufunc
#   option - one number that sets how a function works (a fit's level, seed, threshold):
#            never broadcast, so a range given there is an error, not one call per cell
#   law    - a preset name, five (or six) numbers, or a tokens-per-parameter number
#   gpu    - an accelerator preset name or a peak FLOP/s number
#   model  - a number like `number`, or a model preset name (MODEL_SPEC) that fills the
#            shape arguments left empty
#   text   - a choice among names (e.g. a result field)
#   flag   - TRUE/FALSE
#   data   - a 1-D column of observations (fitting), blanks allowed
KINDS = ("number", "option", "law", "gpu", "model", "text", "flag", "data")

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
    # The domain of a number argument, a key of `planner._args.RULES` (positive, nonnegative,
    # fraction, at_least_one, whole, any): the planner's check, the Excel adapter's, the
    # templates' data validation and the reference all use it.
    rule: str = "positive"
    # Limits within the rule's domain that the function adds, as (low, high), both included
    # (a bootstrap's 10 to 10,000 resamples); None where the rule says it all.
    bounds: tuple[float, float] | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown argument kind {self.kind!r}")
        if self.rule not in _args.RULES:
            raise ValueError(f"unknown domain rule {self.rule!r}")


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
    field_units: tuple[str, ...] = ()  # the unit of each of `fields`, where they differ
    doc: str = ""  # the function's own docstring (help() adds the Arguments section)

    @property
    def excel_name(self) -> str:
        return self.name.upper()


CATALOG: dict[str, Entry] = {}

# The argument that every law-dependent function takes, described once.
LAW = Arg(
    "preset, 5 numbers, or tokens/param",
    "Scaling law: a preset name ('epoch' default, Besiroglu et al. 2024; 'chinchilla', Hoffmann et al. 2022 unrounded; 'chinchilla-printed'; 'kaplan', Kaplan et al. 2020, allocating by its own frontier; 'muennighoff', Muennighoff et al. 2023's C4 law), the five numbers "
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
    "Scaling law: a preset name ('epoch' default, Besiroglu et al. 2024; 'chinchilla', Hoffmann et al. 2022 unrounded; 'chinchilla-printed'; 'kaplan', Kaplan et al. 2020; 'muennighoff', Muennighoff et al. 2023's C4 law) or the five numbers "
    "{E, A, B, alpha, beta} of L = E + A/N^alpha + B/D^beta (six with gamma, as LAW_PARAMS "
    "gives for 'kaplan')",
    kind="law",
)


def _default_text(default) -> str:
    return "None" if default is None else repr(default)


def _arguments_doc(params: tuple[Param, ...], result_unit: str) -> str:
    """The Arguments section that `help()` shows, from the catalogue."""
    lines = ["Arguments (from the catalogue):"]
    for p in params:
        unit = f" [{p.arg.unit}]" if p.arg.unit else ""
        numeric = p.arg.kind in ("number", "option", "model") and p.arg.rule != "any"
        rule = f", {_args.RULES[p.arg.rule][1]}" if numeric else ""
        if numeric and p.arg.bounds:
            rule += f", {_args.bounds_phrase(p.arg.bounds)}"
        default = f", default {_default_text(p.default)}" if p.optional else ", required"
        lines.append(f"    {p.name}{unit}{default}{rule}")
        lines.append(f"        {p.arg.doc}")
    if result_unit:
        lines.append(f"Result: {result_unit}.")
    return "\n".join(lines)


def _several_laws(value) -> list | None:
    """The laws of a `law` argument that means "under each of these laws", else None.

    Several laws are a 1-D sequence of two or more preset names or Law objects, or a 2-D
    block of k >= 2 rows of five (or six) numbers, one law per row (bootstrap fits). One
    name, one Law, one number or one row or column of numbers is one law.
    """
    from .laws import Law  # laws imports this module

    if value is None or isinstance(value, (str, bytes, Law)):
        return None
    try:
        block = np.asarray(value, dtype=object)
    except (ValueError, TypeError):  # ragged: resolve_law words the error
        return None
    if block.ndim == 1 and block.size >= 2 and all(isinstance(v, (str, Law)) for v in block):
        return list(block)
    if block.ndim == 2 and block.shape[0] >= 2 and block.shape[1] in (5, 6) and not any(
            isinstance(v, (str, bytes)) or v is None for v in block.ravel()):
        return [list(row) for row in block]
    return None


def _along_laws(parts: list):
    """k results, one per law, as one array whose last axis is the laws', broadcast like numpy
    against the other arguments' shape (so a column of k budgets pairs with k laws)."""
    stacked = np.stack([np.asarray(p) for p in parts], axis=-1)
    shape, k = stacked.shape[:-1], stacked.shape[-1]
    try:
        out = np.broadcast_shapes(shape, (k,))
    except ValueError:
        raise PlannerError(f"law gives {k} laws, which do not broadcast with the other "
                           f"arguments' shape {shape}", argument="law", kind=SHAPE) from None
    idx = np.indices(out, sparse=True)
    lead = len(out) - len(shape)
    pick = tuple(0 if n == 1 else idx[lead + a] for a, n in enumerate(shape))
    return stacked[pick + (idx[-1],)]


def _under_each_law(call, bound, law_arg: str, laws: list, returns: str):
    """Call once per law and lay the results along the laws (see `_along_laws`)."""
    parts = []
    for law in laws:
        bound.arguments[law_arg] = law
        parts.append(call(bound.args, bound.kwargs))
    if returns == "row":  # one row per law; five numbers mean gamma = 1, so pad with it
        width = max(np.size(p) for p in parts)
        return np.stack([np.pad(np.asarray(p, dtype=float), (0, width - np.size(p)),
                                constant_values=1.0) for p in parts])
    if isinstance(parts[0], dict):
        return _args.Record({k: _along_laws([p[k] for p in parts]) for k in parts[0]},
                            units=getattr(parts[0], "units", {}))
    return _along_laws(parts)


def formula(category: str, *, result: str, example: str, returns: str = "number",
            fields: tuple[str, ...] = (), row_labels: tuple[str, ...] = (),
            field_units: tuple[str, ...] = (), **args: Arg):
    """Declare a public function: record its metadata in CATALOG.

    The function is returned wrapped only so that, while it runs, `_args.number(value, name)`
    checks each number argument by the rule and unit declared here; its signature, name and
    docstring (with an Arguments section added from the catalogue) are kept.
    """
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
        rules = {p.name: (p.arg.rule, p.arg.unit, p.arg.bounds) for p in params
                 if p.arg.kind in ("number", "option", "model")}
        law_arg = next((p.name for p in params if p.arg.kind == "law"), None)
        law_at = list(sig.parameters).index(law_arg) if law_arg else -1

        def call(a, kw):
            token = _args.declared.set(rules)
            try:
                return func(*a, **kw)
            finally:
                _args.declared.reset(token)

        @functools.wraps(func)
        def checked(*a, **kw):
            if law_arg is not None:  # read the law without binding every call (a hot path)
                law = kw[law_arg] if law_arg in kw else (a[law_at] if len(a) > law_at else None)
                several = _several_laws(law)
                if several is not None:
                    return _under_each_law(call, sig.bind_partial(*a, **kw), law_arg, several, returns)
            return call(a, kw)

        checked.__doc__ = f"{doc}\n\n{_arguments_doc(params, result)}"
        CATALOG[func.__name__] = Entry(func.__name__, checked, category, summary, result, returns,
                                       params, example, tuple(fields), tuple(row_labels),
                                       tuple(field_units), doc)
        return checked

    return register
