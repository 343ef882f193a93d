"""From loss to downstream error, and the law of over-trained runs (Gadre et al. 2024).

Gadre et al. 2024, "Language models scale reliably with over-training and on downstream
tasks" (arXiv 2403.08540; code github.com/mlfoundations/scaling, scaling/laws.py and
scaling/shared.py, read 2026-12-01):

- Over-trained runs follow the Chinchilla form with one exponent for both terms,
  L = E + A / N^alpha + B / D^alpha (their eq. 4, written in N and D = M N), fitted by least
  squares from a grid of starts, the best kept (curve_fit_powlaw_ours).
- Average top-1 error falls with loss as Err = epsilon - k exp(-gamma L) (their eq. 5),
  fitted by least squares (curve_fit_decay_ours). So a target error is a target loss, and
  COMPUTE_FOR_LOSS(LOSS_FOR_ERROR(...)) the budget for it.

Both fits are remembered on disk (planner.diskcache), as the scaling-law fit is.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from . import _args, diskcache
from .catalog import Arg, formula
from .errors import DOMAIN, TYPE, PlannerError
from .fitting import DATA_D, DATA_L, DATA_N, FIELDS, _columns, _one_blas_thread

__all__ = ["fit_overtraining_law", "fit_error_law", "downstream_error", "loss_for_error"]

ERROR_FIELDS = ("epsilon", "k", "gamma")

# The starts of Gadre et al.'s grid (curve_fit_powlaw_ours): alpha, beta, b, E in their
# L = alpha N^b + beta 6^(b/2) (M N)^b + E, with b < 0 and D = M N.
_GRID = tuple(itertools.product((1e2, 3e2, 1e3, 3e3), (1e2, 3e2, 1e3, 3e3), (-1e-1, -3e-1), (0.0, 1.0, 2.0, 10.0)))


def _curve_fit(f, x, y, p0):
    """scipy's curve_fit, or None where it does not converge (quietly: a start may fail)."""
    from scipy.optimize import OptimizeWarning, curve_fit

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", OptimizeWarning)
        try:
            return curve_fit(f, x, y, p0=p0, maxfev=10000)[0]
        except (RuntimeError, ValueError, FloatingPointError):
            return None


@formula("Fitting", result="numbers", returns="row", fields=FIELDS,
         example="=FIT_OVERTRAINING_LAW(A2:A6, B2:B6, C2:C6)",
         params=DATA_N, tokens=DATA_D, losses=DATA_L)
def fit_overtraining_law(params, tokens, losses):
    """The law of over-trained runs: {E, A, B, alpha, beta} with beta = alpha, as Gadre et al. 2024 fit it.

    L = E + A / N^alpha + B / D^alpha, one exponent for both terms (their eq. 4), fitted by
    least squares on the losses from Gadre et al.'s grid of 128 starts, the best fit kept
    (their curve_fit_powlaw_ours). Five runs suffice, as in their Table 2: four sizes at 20
    tokens per parameter and the smallest over-trained; the five numbers work as any
    formula's law.
    """
    n, d, loss = _columns({"params": params, "tokens": tokens, "losses": losses}, 4,
                          "the over-training law")

    def law(x, a, b, e_exp, e):  # their parametrisation, with D = M N
        nn, dd = x
        return a * np.power(nn, e_exp) + b * np.power(6.0, e_exp / 2) * np.power(dd, e_exp) + e

    def compute():
        best, best_residual = None, np.inf
        with _one_blas_thread():
            for p0 in _GRID:
                found = _curve_fit(law, (n, d), loss, p0)
                if found is None or not np.all(np.isfinite(found)):
                    continue
                with np.errstate(all="ignore"):
                    residual = float(np.sum((loss - law((n, d), *found)) ** 2))
                if residual < best_residual:
                    best, best_residual = found, residual
        if best is None or not best[2] < 0:
            raise PlannerError("the over-training law did not converge to one whose loss falls with size and "
                               "tokens; the runs may not span enough sizes", argument=None, kind=DOMAIN)
        a, b, e_exp, e = best
        alpha = -e_exp
        return {"law": np.array([e, a, b * 6.0 ** (e_exp / 2), alpha, alpha])}

    parts = (n.tobytes(), d.tobytes(), loss.tobytes())
    return diskcache.remember("overtraining", parts, compute, {"law": (5,)}, module="downstream")["law"].copy()


@formula("Fitting", result="numbers", returns="row", fields=ERROR_FIELDS,
         example="=FIT_ERROR_LAW(A2:A7, B2:B7)",
         losses=Arg("nats/token", "Loss of each model (a column; blank rows are skipped)", kind="data"),
         errors=Arg("fraction", "Its average top-1 error on the tasks, 1 - accuracy (a column)", kind="data"))
def fit_error_law(losses, errors):
    """How downstream error falls with loss: {epsilon, k, gamma} of Err = epsilon - k exp(-gamma L).

    Gadre et al. 2024, eq. 5, fitted by least squares as their code does (curve_fit_decay_ours,
    from scipy's default start). epsilon is the error the law tends to at high loss (chance,
    for a task the model cannot do); the error falls towards epsilon - k at low loss. Pass the
    three numbers to DOWNSTREAM_ERROR and LOSS_FOR_ERROR.
    """
    loss, err = _columns({"losses": losses, "errors": errors}, 3, "the error law")

    def compute():
        found = _curve_fit(lambda x, a, b, e: e - a * np.exp(-b * x), loss, err, None)
        if found is None or not np.all(np.isfinite(found)) or found[0] <= 0 or found[1] <= 0:
            raise PlannerError("the error law did not converge to an error that falls with the loss; the "
                               "models may not span enough loss", argument=None, kind=DOMAIN)
        k, gamma, epsilon = found
        return {"law": np.array([epsilon, k, gamma])}

    parts = (loss.tobytes(), err.tobytes())
    return diskcache.remember("error-law", parts, compute, {"law": (3,)}, module="downstream")["law"].copy()


ERROR_LAW = Arg("3 numbers", "An error law {epsilon, k, gamma}, as FIT_ERROR_LAW gives it (a range of three "
                             "cells)", kind="data")


def _error_law(error_law) -> tuple[float, float, float]:
    values = _args.number(error_law, "error_law", "any", "3 numbers").ravel()
    if values.size != 3:
        raise PlannerError(f"error_law must be three numbers {{epsilon, k, gamma}}; got {values.size}",
                           argument="error_law", kind=TYPE)
    epsilon, k, gamma = (float(v) for v in values)
    if k <= 0 or gamma <= 0:
        raise PlannerError("error_law's k and gamma must be positive (error falls as loss falls)",
                           argument="error_law", kind=DOMAIN)
    return epsilon, k, gamma


@formula("Fitting", result="fraction", example="=DOWNSTREAM_ERROR(2.5, E2:E4)",
         loss=Arg("nats/token", "Loss of the model"), error_law=ERROR_LAW)
def downstream_error(loss, error_law):
    """Average top-1 error a model of this loss reaches: epsilon - k exp(-gamma loss) (Gadre et al. 2024, eq. 5)."""
    epsilon, k, gamma = _error_law(error_law)
    lo = _args.number(loss, "loss")
    with np.errstate(all="ignore"):
        err = epsilon - k * np.exp(-gamma * lo)
    err = _args.in_range(err, "error", "loss", lo, positive=False)
    return _args.result(err, loss)


@formula("Fitting", result="nats/token", example="=LOSS_FOR_ERROR(0.5, E2:E4)",
         error=Arg("fraction", "Average top-1 error the model must reach (1 - accuracy)", rule="open_fraction"),
         error_law=ERROR_LAW)
def loss_for_error(error, error_law):
    """The loss at which a model reaches this error under the error law: -ln((epsilon - error) / k) / gamma.

    The inverse of DOWNSTREAM_ERROR, so that COMPUTE_FOR_LOSS(LOSS_FOR_ERROR(error, law)) is
    the budget for a target error. An error at or above epsilon (no better than the law's
    high-loss limit), or at or below epsilon - k (better than any loss gives), has no loss.
    """
    epsilon, k, gamma = _error_law(error_law)
    e = _args.number(error, "error")
    _args.check(e < epsilon, "error", f"must be below the law's epsilon ({epsilon:.4g}), the error at high loss", e)
    _args.check(e > epsilon - k, "error", f"must be above epsilon - k ({epsilon - k:.4g}), the least error the "
                                          f"law allows", e)
    with np.errstate(all="ignore"):
        loss = -np.log((epsilon - e) / k) / gamma
    loss = _args.in_range(loss, "loss", "error", e)
    return _args.result(loss, error)
