"""Progress over time: algorithmic efficiency (Ho et al. 2024) and capability density (Xiao et al. 2024).

- Ho et al. 2024, "Algorithmic progress in language models" (arXiv 2403.05812, abstract and
  section 3): the compute needed to reach a given performance has halved about every 8
  months, with a 95% confidence interval of about 5 to 14 months. A budget in next year's
  recipes is then worth 2^(12 / 8) = 2.8 times its FLOPs in this year's.
- Xiao et al. 2024, "Densing Law of LLMs" (arXiv 2412.04315, v2, section 3): the capability
  density of open base models (effective parameters over actual parameters) has grown
  exponentially, doubling about every 3.3 months (100 days); the 2025 journal version
  (Nature Machine Intelligence) reports 3.5 months over a later sample. So the parameters a
  given capability needs halve every doubling time.
"""

from __future__ import annotations

import numpy as np

from . import _args
from .allocation import chinchilla_n, compute_for_loss
from .catalog import LAW_FOR_LOSS, Arg, field_choice, formula
from .laws import resolve_law

__all__ = ["algorithmic_progress", "density_params", "capability_density"]

CATEGORY = "Progress"
HALVING_MONTHS = 8.0  # Ho et al. 2024: central estimate
HALVING_MONTHS_FAST, HALVING_MONTHS_SLOW = 5.0, 14.0  # their 95% confidence interval
DENSITY_DOUBLING_DAYS = 100.0  # Xiao et al. 2024: about 3.3 months
MONTHS_PER_YEAR = 12.0
PROGRESS_FIELDS = ("estimate", "low", "high")

YEARS = Arg("years", "Years of progress from the recipes the law describes (fractions allowed; 0: today's)",
            rule="nonnegative")


@formula(CATEGORY, result="x (see field)", returns="record", fields=PROGRESS_FIELDS,
         field_units=("x", "x", "x"), example='=ALGORITHMIC_PROGRESS(1, 8, "estimate")',
         years=YEARS,
         halving_months=Arg("months", "Months in which the compute for a given performance halves (8 by "
                                      "default, Ho et al. 2024's estimate)"),
         field=field_choice(PROGRESS_FIELDS))
def algorithmic_progress(years, halving_months=HALVING_MONTHS, field=None):
    """How many times further a FLOP goes after `years` of algorithmic progress: 2^(12 years / halving_months).

    Ho et al. 2024 measured the compute needed for a given language-model performance
    halving every 8 months (95% interval 5 to 14). estimate uses halving_months; low and
    high use 14 and 5 months, the interval's slow and fast ends. Multiply a budget by it
    for its worth in effective compute, or pass it as compute_multiplier to CHINCHILLA_LOSS
    and COMPUTE_FOR_LOSS.
    """
    key = _args.choice(field, "field", PROGRESS_FIELDS, optional=True)
    t = _args.number(years, "years")
    h = _args.number(halving_months, "halving_months")
    _args.broadcast(years=t, halving_months=h)
    with np.errstate(all="ignore"):
        values = tuple(_args.in_range(np.exp2(MONTHS_PER_YEAR * t / m), "multiplier", "years", t)
                       for m in (h, HALVING_MONTHS_SLOW, HALVING_MONTHS_FAST))
    return _args.record(PROGRESS_FIELDS, values, key, years, halving_months, units=("x", "x", "x"))


@formula(CATEGORY, result="parameters", example="=DENSITY_PARAMS(70E9, 365)",
         params=Arg("parameters", "Parameters of a model today"),
         days=Arg("days", "Days from now", rule="nonnegative"),
         doubling_days=Arg("days", "Days in which capability density doubles (100 by default, Xiao et al. "
                                   "2024's 3.3 months)"))
def density_params(params, days, doubling_days=DENSITY_DOUBLING_DAYS):
    """The parameters a model as capable as today's will need after `days`: params / 2^(days / doubling_days).

    The densing law (Xiao et al. 2024): the capability per parameter of the best open models
    doubles about every 100 days, so the same capability fits in half the parameters (and
    half the inference compute) a doubling time later. A trend, not a promise.
    """
    n = _args.number(params, "params")
    t = _args.number(days, "days")
    dt = _args.number(doubling_days, "doubling_days")
    _args.broadcast(params=n, days=t, doubling_days=dt)
    with np.errstate(all="ignore"):
        out = _args.in_range(n / np.exp2(t / dt), "parameters", "days", t)
    return _args.result(out, params, days, doubling_days)


@formula(CATEGORY, result="ratio", example='=CAPABILITY_DENSITY(8E9, 2.1, "epoch")',
         params=Arg("parameters", "The model's actual parameters"),
         loss=Arg("nats/token", "Its loss (or LOSS_FOR_ERROR of its benchmark error)"), law=LAW_FOR_LOSS)
def capability_density(params, loss, law="epoch"):
    """Capability density: the parameters the law's compute-optimal model needs for this loss, over the model's.

    Xiao et al. 2024's capability density, with the law's compute-optimal models as the
    reference: above 1, the model does more per parameter than a compute-optimal model of
    the law (an over-trained or better-recipe model); below 1, less.
    """
    n = _args.number(params, "params")
    lo = _args.number(loss, "loss")
    _args.broadcast(params=n, loss=lo)
    resolve_law(law).check_reachable(lo, "loss")
    effective = chinchilla_n(compute_for_loss(lo, law), law)
    with np.errstate(all="ignore"):
        out = _args.in_range(np.asarray(effective) / n, "density", "params", n)
    return _args.result(out, params, loss)
