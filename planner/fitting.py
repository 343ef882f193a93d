"""Fitting scaling laws to your own training runs.

`fit_scaling_law` is the Chinchilla "Approach 3" fit (Hoffmann et al. 2022, section 3.3) as
its published replication does it (Besiroglu et al. 2024, "Chinchilla Scaling: A replication
attempt", Epoch AI): with a = log A, b = log B, e = log E, minimise the Huber loss (delta
1e-3) of the residuals

    log L_i - LSE(a - alpha log N_i,  b - beta log D_i,  e)

(LSE = log-sum-exp, so the model is L = E + A/N^alpha + B/D^beta), with L-BFGS from a grid of
starting points, keeping the best. Four things make it fast enough to recalculate in a
spreadsheet, while reaching the same optimum as the plain search (benchmarks/fit.py):

- the objective and its analytic gradient are computed over all runs at once;
- log N and log D are centred on their means (a - alpha log N = a' - alpha (log N - mean)),
  which removes the strong coupling between a and alpha and lets L-BFGS converge in a
  fraction of the iterations; results are mapped back exactly;
- the objective is evaluated over the whole start grid in one vectorised pass, and L-BFGS
  runs only from the few best starts;
- fits of unchanged data are remembered, so a recalculation refits only edited runs.

`fit_scaling_law_ci` adds bootstrap intervals, `fit_power_law` fits y = L0 + (x0/x)^alpha
(Henighan et al. 2020) to one column against another.
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections import OrderedDict
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

# scipy.optimize is imported when a fit runs, not with the planner: it is most of the import
# time and memory of the formulas (0.35 s, 40 MiB), which xlwings Lite pays in the browser.

from . import _args, diskcache
from .catalog import Arg, formula
from .errors import DOMAIN, SHAPE, TYPE, PlannerError, PlannerWarning

__all__ = ["fit_isoflop", "fit_scaling_law_samples", "fit_scaling_law", "fit_scaling_law_ci", "fit_power_law"]

FIELDS = ("E", "A", "B", "alpha", "beta")

# Starting points for (log A, log B, log E, alpha, beta): the 3^5 = 243-point grid
# {0, 10, 20} x {0, 10, 20} x {-1, 0, 1} x {0, 0.5, 1} x {0, 0.5, 1}, a coarser version of
# the grid of Hoffmann et al. 2022 (section D.2), which the replication also searches.
START_GRID = np.array(list(itertools.product((0.0, 10.0, 20.0), (0.0, 10.0, 20.0),
                                             (-1.0, 0.0, 1.0), (0.0, 0.5, 1.0),
                                             (0.0, 0.5, 1.0))))
# L-BFGS runs from this many of the best grid points. On the Chinchilla runs the best grid
# point alone already lands in the global optimum; the others guard against data whose
# best-looking start sits in a poorer basin.
N_STARTS = 8
_MAXITER = 2000
# Line-search steps per iteration: scipy's default 20 is too few from a grid start far from
# a law whose reducible terms are small against E (the first step overshoots into the
# steep side of the valley and needs more halvings to come back).
_MAXLS = 50
# L-BFGS-B may stop on a failed line search when rounding hides further progress; that
# counts as converged when the gradient (of the scaled objective, see _HuberLSE) is this small.
_GRAD_TOL = 1e-4
# Below this a Huber threshold on log loss is finer than any measured loss resolves (and its
# square nears the floating-point floor): the fit would be a pure absolute-deviation fit.
MIN_HUBER_DELTA = 1e-9
MIN_RESAMPLES, MAX_RESAMPLES = 10, 10_000
# The most rows a fit takes: its time grows linearly, about 6 s at this size on one core.
MAX_ROWS = 100_000
# A fitted exponent below this says the loss does not change with size or tokens at all
# (published exponents are 0.05 to 0.5): no law to extrapolate.
MIN_EXPONENT = 1e-6


def _one_blas_thread():
    """Run small linear algebra on one thread.

    L-BFGS-B calls BLAS on 5-vectors thousands of times; a multi-threaded BLAS spends far
    longer waking its threads than computing (5 to 10 times slower on a busy 2-core machine).
    """
    return threadpool_limits(limits=1, user_api="blas")


# ---------------------------------------------------------------------------------------
# Data columns: blanks and text skipped row-wise
# ---------------------------------------------------------------------------------------

def _cell(v) -> float:
    """A spreadsheet cell as a float: NaN for a blank, text or a logical."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        return np.nan
    try:
        return float(v)
    except OverflowError:
        return np.inf


def _column(value, name: str) -> np.ndarray:
    """A data column as a float array; NaN marks blanks (None, NaN) and text, +-inf stays."""
    if value is None or isinstance(value, (str, bytes)) or np.isscalar(value):
        raise PlannerError(f"{name} must be a column (or row) of numbers; got {_args.show(value)}", argument=name, kind=TYPE)
    try:
        plain = np.asarray(value) if not isinstance(value, np.ndarray) else value
    except ValueError:  # ragged nesting
        raise PlannerError(f"{name} must be a column (or row) of numbers, not ragged "
                           f"nested lists", argument=name, kind=TYPE) from None
    if plain.dtype.kind in "fiu":  # all numbers: no cell-by-cell parsing needed
        with np.errstate(over="ignore"):  # a long double beyond the float range is inf, rejected below
            arr = plain.astype(float)
    else:
        try:
            obj = np.asarray(value, dtype=object)
        except ValueError:  # ragged nesting
            raise PlannerError(f"{name} must be a column (or row) of numbers, not ragged "
                               f"nested lists", argument=name, kind=TYPE) from None
        if obj.ndim == 0:
            raise PlannerError(f"{name} must be a column (or row) of numbers; got {_args.show(value)}", argument=name, kind=TYPE)
        flat = obj.ravel()
        if any(isinstance(v, (list, tuple, np.ndarray)) for v in flat):
            raise PlannerError(f"{name} must be a column (or row) of numbers, not nested lists", argument=name, kind=TYPE)
        # Parsing, not math: one pass over the cells of a range holding blanks or text, to
        # tell numbers (an integer beyond the float range is inf, rejected below) from them.
        vals = [_cell(v) for v in flat]
        arr = np.array(vals, dtype=float).reshape(obj.shape)
    if arr.ndim == 2 and min(arr.shape) > 1:
        raise PlannerError(f"{name} must be a single column or row; got a block of "
                           f"{arr.shape[0]} rows x {arr.shape[1]} columns", argument=name, kind=SHAPE)
    if arr.ndim > 2:
        raise PlannerError(f"{name} must be a single column or row; got {arr.ndim} dimensions", argument=name, kind=SHAPE)
    return arr.ravel()


def _columns(columns: dict, n_fitted: int, what: str, nonnegative: tuple = ()) -> list[np.ndarray]:
    """The complete rows of equally long data columns, checked to be positive (zero allowed
    in the `nonnegative` columns).

    Rows blank in every column (padding below the data in a range) are dropped silently;
    rows with some blank or text entries are dropped with a PlannerWarning saying how many.
    """
    arrs = [_column(v, k) for k, v in columns.items()]
    names = list(columns)
    lengths = [a.size for a in arrs]
    if max(lengths) > MAX_ROWS:
        raise PlannerError(f"{names[lengths.index(max(lengths))]} has {max(lengths):,} rows; a fit takes at "
                           f"most {MAX_ROWS:,} (about 6 s there: the time grows in step with the rows)",
                           argument=names[lengths.index(max(lengths))], kind=DOMAIN)
    if len(set(lengths)) > 1:
        listed = ", ".join(names[:-1]) + " and " + names[-1]
        got = ", ".join(map(str, lengths[:-1])) + " and " + str(lengths[-1])
        raise PlannerError(f"{listed} must have the same number of rows; got {got}", argument=None, kind=SHAPE)
    missing = np.isnan(np.vstack(arrs))
    empty = missing.all(axis=0)
    partial = missing.any(axis=0) & ~empty
    keep = ~missing.any(axis=0)
    skipped = int(partial.sum())
    if keep.sum() < n_fitted:
        extra = f" after skipping {skipped} with blank or text entries" if skipped else ""
        raise PlannerError(f"{names[0]} needs at least {n_fitted} complete rows to fit {what} "
                           f"(one per fitted number); got {int(keep.sum())}{extra}", argument=names[0], kind=DOMAIN)
    if skipped:
        warnings.warn(PlannerWarning(f"skipped {skipped} of {int((~empty).sum())} rows with a "
                                     f"blank or text entry"), stacklevel=3)
    rows = np.flatnonzero(keep)
    out = []
    for name, arr in zip(names, arrs):
        vals = arr[keep]
        zero_ok = name in nonnegative
        bad = ~(np.isfinite(vals) & ((vals >= 0) if zero_ok else (vals > 0)))
        if bad.any():
            i = int(np.argmax(bad))
            rule = "zero or positive" if zero_ok else "positive"
            raise PlannerError(f"{name} must be {rule} and finite; got {vals[i]:g} "
                               f"(row {rows[i] + 1})", argument=name, kind=DOMAIN)
        out.append(vals)
    return out


def _outlier(columns: dict) -> tuple[str, np.ndarray, int]:
    """The observation farthest from the others in log scale: (column name, its values, row).

    Distance is in units of the column's interquartile range of logs, so a column that
    spans many decades (compute) is judged by its own spread."""
    best = ("", np.empty(0), 0, -1.0)
    for name, values in columns.items():
        logs = np.log(values)
        q1, median, q3 = np.percentile(logs, [25, 50, 75])
        far = np.abs(logs - median) / max(q3 - q1, 1e-12)
        row = int(np.argmax(far))
        if far[row] > best[3]:
            best = (name, values, row, float(far[row]))
    return best[:3]


def _distinct(values: np.ndarray, name: str, needed: int, why: str) -> None:
    if np.unique(values).size < needed:
        raise PlannerError(f"{name} must take at least {needed} different values to fit {why}; "
                           f"got {np.unique(values).size}", argument=name, kind=DOMAIN)


# ---------------------------------------------------------------------------------------
# The Approach 3 objective
# ---------------------------------------------------------------------------------------

class _HuberLSE:
    """Huber loss of log L against LSE(a - alpha x_N, b - beta x_D, e), x centred logs.

    Internal parameters p = (a', b', e, alpha, beta) with a' = a - alpha mean(log N) and
    b' = b - beta mean(log D). The value is the sum of Huber losses divided by n delta^2,
    the mean of (r/delta)^2 / 2 for residuals within delta: O(1) for residuals of the order
    of delta whatever the number of runs, so that L-BFGS-B's stopping rule (relative change
    of the value, absolute once it is below 1) neither stops early nor runs on. Per-run
    weights (the user's, and bootstrap counts) multiply each run's term; `below` multiplies
    the terms of runs whose loss is under the prediction (the asymmetric objective).
    """

    def __init__(self, n, d, loss, delta: float, weights=None, below: float = 1.0):
        ln, ld = np.log(n), np.log(d)
        self.mn, self.md = ln.mean(), ld.mean()
        self.xn, self.xd, self.y = ln - self.mn, ld - self.md, np.log(loss)
        self.delta = delta
        self.weights = None if weights is None else weights / weights.mean()
        self.below = below
        # Beyond delta = 1 every residual of log loss that real runs give is inside the
        # quadratic zone: the fit is plain least squares, scaled as for delta = 1.
        self.scale = 1.0 / (ln.size * min(delta, 1.0) ** 2)

    def to_inner(self, raw):
        p = np.array(raw, dtype=float)
        p[..., 0] -= p[..., 3] * self.mn
        p[..., 1] -= p[..., 4] * self.md
        return p

    def to_raw(self, inner):
        p = np.array(inner, dtype=float)
        p[..., 0] += p[..., 3] * self.mn
        p[..., 1] += p[..., 4] * self.md
        return p

    def value_and_grad(self, p, w=None):
        a, b, e, alpha, beta = p
        u1 = a - alpha * self.xn
        u2 = b - beta * self.xd
        m = np.maximum(np.maximum(u1, u2), e)
        x1, x2, x3 = np.exp(u1 - m), np.exp(u2 - m), np.exp(e - m)
        s = x1 + x2 + x3
        r = self.y - m - np.log(s)
        c = np.clip(r, -self.delta, self.delta)  # Huber'(r)
        huber = c * (r - 0.5 * c)  # r^2/2 inside [-delta, delta], delta(|r| - delta/2) outside
        w = self._weights(r, w)
        if w is not None:
            huber, c = huber * w, c * w
        psi = c / s  # d(loss)/d(u_k) = -c * softmax_k
        g1, g2 = psi * x1, psi * x2
        grad = np.array([-g1.sum(), -g2.sum(), -np.dot(psi, x3),
                         np.dot(g1, self.xn), np.dot(g2, self.xd)])
        return huber.sum() * self.scale, grad * self.scale

    def values(self, P):
        """The objective at many parameter vectors (rows of P) in one pass."""
        a, b, e, alpha, beta = (col[:, None] for col in np.asarray(P, dtype=float).T)
        u = np.stack(np.broadcast_arrays(a - alpha * self.xn, b - beta * self.xd, e))
        r = self.y - np.logaddexp.reduce(u, axis=0)
        c = np.clip(r, -self.delta, self.delta)
        w = self._weights(r, None)
        return (c * (r - 0.5 * c) * (1.0 if w is None else w)).sum(axis=-1) * self.scale

    def _weights(self, r, w):
        """Each run's weight: the user's times the bootstrap count, times `below` where the run
        lies under the prediction (r < 0); None when all are 1."""
        for extra in (self.weights, None if self.below == 1.0 else np.where(r < 0, self.below, 1.0)):
            if extra is not None:
                w = extra if w is None else w * extra
        return w

    def minimize(self, start, w=None):
        """L-BFGS-B from `start`: (inner parameters, objective) or None if not converged."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            from scipy.optimize import minimize

            res = minimize(self.value_and_grad, start, args=(w,), jac=True, method="L-BFGS-B",
                           options={"maxiter": _MAXITER, "maxls": _MAXLS, "ftol": 1e-12, "gtol": 1e-9})
        converged = res.status == 0 or (res.status == 2 and np.abs(res.jac).max() < _GRAD_TOL)
        if not converged or not np.all(np.isfinite(res.x)) or not np.isfinite(res.fun):
            return None
        return res.x, float(res.fun)


def _law_from_inner(obj: _HuberLSE, inner) -> np.ndarray:
    """[E, A, B, alpha, beta] from internal parameters, checked to be a usable law."""
    a, b, e, alpha, beta = obj.to_raw(inner)
    with np.errstate(over="ignore"):
        law = np.array([np.exp(e), np.exp(a), np.exp(b), alpha, beta])
    for label, v in zip(FIELDS, law):
        if not np.isfinite(v):
            raise PlannerError(f"the fit did not converge to a usable law: {label} is not finite; "
                               f"the runs may not span enough model sizes and token counts", argument=None, kind=DOMAIN)
    for label, v, what in (("alpha", alpha, "model size"), ("beta", beta, "tokens")):
        if 0 < v < MIN_EXPONENT:
            raise PlannerError(f"the runs do not identify the exponents: fitted {label} = {v:.3g}, "
                               f"i.e. loss does not fall measurably with {what}", argument=None, kind=DOMAIN)
        if v <= 0:
            raise PlannerError(f"the fit did not converge to a usable law: fitted {label} = {v:.4g} "
                               f"(loss must fall with model size and with tokens); the runs "
                               f"may not span enough model sizes and token counts", argument=None, kind=DOMAIN)
    return law


def _fit(obj: _HuberLSE) -> np.ndarray:
    """Best converged L-BFGS optimum (inner parameters) from the best grid starts."""
    starts = obj.to_inner(START_GRID)
    with np.errstate(over="ignore", invalid="ignore"):
        f0 = obj.values(starts)
    order = np.argsort(np.where(np.isfinite(f0), f0, np.inf), kind="stable")
    best = None
    for i in order[:N_STARTS]:
        found = obj.minimize(starts[i])
        if found is not None and (best is None or found[1] < best[1]):
            best = found
    if best is None:
        raise PlannerError(f"the fit did not converge from any of the {N_STARTS} best starting "
                           f"points; check that the runs span several model sizes and token counts", argument=None, kind=DOMAIN)
    return best[0]


# Objectives of the fit: the replication's Huber loss on log loss, plain least squares on log
# loss (no threshold), and an asymmetric one for the lower envelope of the runs (the loss a
# model of that size can reach): a run below the prediction counts ASYMMETRY times as much.
OBJECTIVES = ("huber", "lsq", "asymmetric")
ASYMMETRY = 10.0


def _prepare(params, tokens, losses, huber_delta, objective="huber", weights=None) -> tuple:
    """The checked data as a hashable key: (params, tokens, losses as bytes, delta, objective,
    weights as bytes or None)."""
    objective = _args.choice(objective, "objective", OBJECTIVES)
    columns = {"params": params, "tokens": tokens, "losses": losses}
    if weights is not None:
        columns["weights"] = weights
    n, d, loss, *w = _columns(columns, 5, "the five numbers of a scaling law", nonnegative=("weights",))
    if w:  # a weight of 0 leaves the run out of the fit
        used = w[0] > 0
        if used.sum() < 5:
            raise PlannerError(f"weights leave {int(used.sum())} runs with a positive weight; the fit "
                               f"needs at least 5 (one per fitted number)", argument="weights", kind=DOMAIN)
        n, d, loss, w = n[used], d[used], loss[used], [w[0][used]]
    _distinct(n, "params", 2, "how loss scales with model size")
    _distinct(d, "tokens", 2, "how loss scales with training tokens")
    if np.ptp(np.log(loss)) <= 1e-12:
        raise PlannerError("the losses do not vary with size or tokens (all equal): no exponent of a "
                           "scaling law can be fitted to them", argument="losses", kind=DOMAIN)
    delta = _option(huber_delta, "huber_delta", HUBER_DELTA)
    return (n.tobytes(), d.tobytes(), loss.tobytes(), delta, objective, w[0].tobytes() if w else None)


def clear_cache() -> None:
    """Forget remembered fits (for timing, or to check that a fit is reproducible)."""
    _fit_key.cache_clear()
    _CI_CACHE.clear()


def _objective(key: tuple) -> _HuberLSE:
    n, d, loss, delta, objective, weights = key
    return _HuberLSE(np.frombuffer(n), np.frombuffer(d), np.frombuffer(loss),
                     np.inf if objective == "lsq" else delta,
                     None if weights is None else np.frombuffer(weights),
                     ASYMMETRY if objective == "asymmetric" else 1.0)


# A spreadsheet recalculates every formula on every edit; fits of unchanged data are
# remembered (the last 32 data sets here, and on disk across runs), so only an edit to the
# runs costs a new fit.
@functools.lru_cache(maxsize=32)
def _fit_key(key: tuple) -> tuple[np.ndarray, np.ndarray]:
    def compute():
        obj = _objective(key)
        with _one_blas_thread():
            inner = _fit(obj)
            return {"inner": inner, "law": _law_from_inner(obj, inner)}

    found = diskcache.remember("fit", key, compute, {"inner": (5,), "law": (5,)})
    return found["inner"], found["law"]


def _option(value, name: str, arg: Arg) -> float:
    """A fit option: one plain number, checked by the rule and bounds its Arg declares."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise PlannerError(f"{name} must be a number; got {_args.show(value)}", argument=name, kind=TYPE)
    return float(_args.number(value, name, arg.rule, arg.unit, arg.bounds))


DATA_N = Arg("parameters", "Model size N of each training run (a column; blank rows are skipped)",
             kind="data")
DATA_D = Arg("tokens", "Training tokens D of each run (tokens = FLOPs / (6 N) if you logged "
             "compute)", kind="data")
DATA_L = Arg("nats/token", "Final loss of each run (e.g. validation loss in nats per token)",
             kind="data")
HUBER_DELTA = Arg("log-loss", "Huber loss threshold on the residuals of log loss: residuals "
                  "beyond it count linearly, so outlying runs weigh less (1e-3, Hoffmann et "
                  "al. 2022)", kind="option", bounds=(MIN_HUBER_DELTA, np.inf))
LEVEL = Arg("fraction", "Confidence level of the intervals (0.8: the 10th to 90th percentile of "
            "the bootstrap fits, as Besiroglu et al. 2024 report)", kind="option", rule="open_fraction")
RESAMPLES = Arg("count", f"Bootstrap resamples, {MIN_RESAMPLES} to {MAX_RESAMPLES} (each is one fit; "
                "about 5 ms each for 240 runs). 1000 by default: the 10th and 90th percentiles "
                "then rest on 100 fits each", kind="option", rule="whole",
                bounds=(MIN_RESAMPLES, MAX_RESAMPLES))
SEED = Arg("integer", "Random seed: the same seed gives the same intervals", kind="option",
           rule="count", bounds=(0, 2**63 - 1))


@formula("Fitting", result="numbers", returns="row", fields=FIELDS,
         example="=FIT_SCALING_LAW(A2:A241, B2:B241, C2:C241)",
         params=DATA_N, tokens=DATA_D, losses=DATA_L, huber_delta=HUBER_DELTA,
         objective=Arg("", "What the fit minimises over the residuals of log loss: 'huber' (default, "
                           "the replication's), 'lsq' (plain least squares) or 'asymmetric' (the lower "
                           "envelope of the runs: a run below the law counts 10 times)",
                       kind="text", choices=OBJECTIVES),
         weights=Arg("weights", "A weight per run (a column beside the runs; empty: all equal), e.g. "
                                "more for the runs you trust; 0 leaves a run out", kind="data"))
def fit_scaling_law(params, tokens, losses, huber_delta=1e-3, objective="huber", weights=None):
    """Fit L = E + A/N^alpha + B/D^beta to training runs: the row {E, A, B, alpha, beta}.

    Chinchilla Approach 3 (Hoffmann et al. 2022) as replicated by Besiroglu et al. 2024:
    Huber loss on the residuals of log loss, L-BFGS from a grid of starts, best optimum kept.
    The row can be passed as the `law` of every other formula. On the 240 Chinchilla runs of
    Besiroglu et al. 2024 it gives E=1.817, A=477, B=2143, alpha=0.347, beta=0.367 (their
    Table 1: 1.8172, 482.01, 2085.43, 0.3478, 0.3658, within a small fraction of their
    standard errors). Rows with blank or text entries are skipped with a warning. `objective`
    and `weights` change what is minimised (plain least squares, the lower envelope of the
    runs; a weight per run); huber_delta applies to the Huber objectives only.
    """
    return _fit_key(_prepare(params, tokens, losses, huber_delta, objective, weights))[1].copy()


# ---------------------------------------------------------------------------------------
# Bootstrap intervals
# ---------------------------------------------------------------------------------------

_CI_CACHE: OrderedDict = OrderedDict()  # the last 8 interval blocks, as for _fit_key


def _resample_fits(obj: _HuberLSE, inner, resamples: int, seed: int, progress) -> np.ndarray:
    """Raw parameters (log A, log B, log E, alpha, beta) fitted to each resample; NaN rows
    for resamples whose fit did not converge."""
    n = obj.y.size
    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    # A resample as per-run counts (weights), so the objective keeps the same arrays.
    counts = np.zeros((resamples, n))
    np.add.at(counts, (np.repeat(np.arange(resamples), n), draws.ravel()), 1.0)
    fits = np.full((resamples, 5), np.nan)
    for k in range(resamples):  # one L-BFGS run per resample, warm-started at the full fit
        found = obj.minimize(inner, counts[k])
        if found is not None:
            fits[k] = obj.to_raw(found[0])
        if progress is not None:
            progress(1)
    return fits


def _bootstrap_laws(key, inner, resamples: int, seed: int, progress, use: str) -> np.ndarray:
    """The laws {E, A, B, alpha, beta} fitted to `resamples` resamples, one row each (read
    from the disk cache when these data, options and code were resampled before).

    A resample whose fit did not converge, or converged to numbers beyond the float range (a
    run with an outlying loss drawn many times), is left out and counted in a warning; past
    one in ten the law is too poorly determined to resample, and that is an error.
    """
    parts = (*key, resamples, seed)
    stored = diskcache.load("bootstrap", parts)
    if stored is not None and stored.get("values", np.empty(0)).shape == (resamples, 5):
        values = stored["values"]
        if progress is not None:
            progress(resamples)
    else:
        with _one_blas_thread():
            fits = _resample_fits(_objective(key), inner, resamples, seed, progress)
        with np.errstate(over="ignore", invalid="ignore"):
            values = np.column_stack([np.exp(fits[:, 2]), np.exp(fits[:, 0]), np.exp(fits[:, 1]),
                                      fits[:, 3], fits[:, 4]])
        diskcache.store("bootstrap", parts, values=values)
    ok = np.isfinite(values).all(axis=1)
    failed = resamples - int(ok.sum())
    if failed > resamples // 10:
        raise PlannerError(f"the law is poorly determined by these runs: {failed} of {resamples} "
                           f"bootstrap fits did not converge to finite numbers", argument=None, kind=DOMAIN)
    if failed:
        warnings.warn(PlannerWarning(f"{failed} of {resamples} bootstrap fits did not converge "
                                     f"and were left out of {use}"), stacklevel=3)
    return values[ok]


def bootstrap_scaling_law(params, tokens, losses, level=0.8, resamples=1000, seed=0,
                          progress: Callable[[int], None] | None = None) -> np.ndarray:
    """`fit_scaling_law_ci` with a progress hook: progress(k) after every k resamples fitted.

    Resamples the complete rows with replacement (numpy Generator seeded with `seed`), fits
    each resample by L-BFGS warm-started from the full-data optimum, and returns the 3 x 5
    block: estimate, and the (1-level)/2 and (1+level)/2 percentiles of each number.
    """
    level = _option(level, "level", LEVEL)
    resamples = int(_option(resamples, "resamples", RESAMPLES))
    seed = int(_option(seed, "seed", SEED))
    key = _prepare(params, tokens, losses, 1e-3)
    inner, estimate = _fit_key(key)
    cache_key = (key, level, resamples, seed)
    if progress is None and cache_key in _CI_CACHE:
        _CI_CACHE.move_to_end(cache_key)
        return _CI_CACHE[cache_key].copy()
    values = _bootstrap_laws(key, inner, resamples, seed, progress, "the intervals")
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(values, [tail, 100.0 - tail], axis=0)
    block = np.vstack([estimate, low, high])
    _CI_CACHE[cache_key] = block
    while len(_CI_CACHE) > 8:
        _CI_CACHE.popitem(last=False)
    return block.copy()


@formula("Fitting", result="numbers", returns="table", fields=FIELDS,
         row_labels=("estimate", "low", "high"),
         example="=FIT_SCALING_LAW_CI(A2:A241, B2:B241, C2:C241, 0.8, 1000, 0)",
         params=DATA_N, tokens=DATA_D, losses=DATA_L,
         level=LEVEL, resamples=RESAMPLES, seed=SEED)
def fit_scaling_law_ci(params, tokens, losses, level=0.8, resamples=1000, seed=0):
    """Bootstrap intervals for the fitted law: a 3 x 5 block of estimate, low and high.

    Columns E, A, B, alpha, beta; row 1 is `fit_scaling_law`'s estimate, rows 2 and 3 the
    lower and upper percentiles of the numbers fitted to `resamples` resamples of the runs
    (drawn with replacement, reproducible for a given `seed`).
    """
    return bootstrap_scaling_law(params, tokens, losses, level, resamples, seed)


# ---------------------------------------------------------------------------------------
# y = L0 + (x0/x)^alpha
# ---------------------------------------------------------------------------------------

# Starting values of L0 as fractions of the smallest y; for each, alpha and x0 follow in
# closed form from a straight line through log(y - L0) against log x.
_L0_FRACTIONS = np.array([0.0, 0.25, 0.5, 0.75, 0.9, 0.97, 0.99])


@formula("Fitting", result="numbers", returns="row", fields=("L0", "x0", "alpha"),
         example="=FIT_POWER_LAW(A2:A20, B2:B20)",
         x=Arg("any unit", "The driver of each observation, e.g. training compute in FLOPs "
               "(a column; blank rows are skipped)", kind="data"),
         y=Arg("any unit", "The observed value, e.g. loss; must fall towards L0 as x grows",
               kind="data"))
def fit_power_law(x, y):
    """Fit y = L0 + (x0/x)^alpha to observations: the row {L0, x0, alpha}.

    The form of Henighan et al. 2020 for loss against compute, L(C) = L0 + (C0/C)^alpha.
    Least squares on log y (every point counts by its relative error), L0 >= 0.
    """
    xs, ys = _columns({"x": x, "y": y}, 3, "L0, x0 and alpha")
    _distinct(xs, "x", 3, "L0, x0 and alpha")
    # Remembered on disk, as every fit is: most of a fit's time is importing scipy.optimize.
    return diskcache.remember("power-law", (xs.tobytes(), ys.tobytes()), lambda: {"fit": _power_law(xs, ys)},
                              {"fit": (3,)})["fit"]


def _power_law(xs, ys):
    """fit_power_law's {L0, x0, alpha} for checked columns xs and ys; raises PlannerError."""
    lx_mean = np.log(xs).mean()
    lx, ly = np.log(xs) - lx_mean, np.log(ys)

    # Starts: for each L0, log(y - L0) = c - alpha lx is a straight line (vectorised).
    l0 = _L0_FRACTIONS * ys.min()
    z = np.log(ys[None, :] - l0[:, None])
    slope = ((lx - lx.mean()) * (z - z.mean(axis=1, keepdims=True))).sum(1) / ((lx - lx.mean()) ** 2).sum()
    alpha0 = np.maximum(-slope, 1e-3)
    c0 = z.mean(axis=1) + alpha0 * lx.mean()

    def residuals(p):
        L0, c, alpha = p
        return np.log(L0 + np.exp(c - alpha * lx)) - ly

    def jacobian(p):
        L0, c, alpha = p
        t = np.exp(c - alpha * lx)
        m = L0 + t
        return np.column_stack([1.0 / m, t / m, -lx * t / m])

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), _one_blas_thread():
        starts = np.column_stack([l0, c0, alpha0])
        # Every start's sum of squares in one pass (a row per start).
        sse = ((np.log(l0[:, None] + np.exp(c0[:, None] - alpha0[:, None] * lx)) - ly) ** 2).sum(1)
        p0 = starts[int(np.nanargmin(np.where(np.isfinite(sse), sse, np.nan)))] \
            if np.isfinite(sse).any() else starts[0]
        res = None
        if np.isfinite(residuals(p0)).all() and np.isfinite(jacobian(p0)).all():
            from scipy.optimize import least_squares

            try:
                res = least_squares(residuals, p0, jac=jacobian, bounds=([0.0, -np.inf, -np.inf], np.inf),
                                    method="trf", x_scale="jac", xtol=1e-12, ftol=1e-12, gtol=1e-12,
                                    max_nfev=5000)
            except ValueError:  # scipy met a step where the model left the float range
                res = None
    if res is None:  # the model leaves the float range: one point is far off the rest
        name, values, row = _outlier({"x": xs, "y": ys})
        raise PlannerError(f"the power-law fit fails: {name} {values[row]:g} (observation {row + 1}) lies "
                           f"far outside the other observations; check that cell", argument=name, kind=DOMAIN)
    L0, c, alpha = res.x
    if res.status <= 0 or not np.all(np.isfinite(res.x)):
        raise PlannerError(f"the power-law fit did not converge ({res.message})", argument=None, kind=DOMAIN)
    if alpha <= 0:
        raise PlannerError(f"y must fall as x grows to fit y = L0 + (x0/x)^alpha; the fitted "
                           f"alpha is {alpha:.4g}", argument="y", kind=DOMAIN)
    with np.errstate(over="ignore"):
        x0 = np.exp(c / alpha + lx_mean)
    if not np.isfinite(x0) or x0 <= 0:
        raise PlannerError(f"the power-law fit did not converge to a usable law: x0 is out of "
                           f"range (alpha = {alpha:.4g})", argument=None, kind=DOMAIN)
    return np.array([L0, x0, alpha])


@formula("Fitting", result="numbers", returns="table", fields=FIELDS,
         example="=FIT_SCALING_LAW_SAMPLES(A2:A241, B2:B241, C2:C241, 200, 0)",
         params=DATA_N, tokens=DATA_D, losses=DATA_L, resamples=RESAMPLES, seed=SEED)
def fit_scaling_law_samples(params, tokens, losses, resamples=200, seed=0):
    """Bootstrap laws: one row {E, A, B, alpha, beta} per resample of the runs.

    The same resamples as FIT_SCALING_LAW_CI for a given `seed`, each fitted as that does.
    Given as the `law` of another formula, the block means "under each of these laws": one
    result per row, so that =PERCENTILE(CHINCHILLA_N(1E24, block), 0.1) is the 10th
    percentile of the compute-optimal size over the fits. A resample that cannot be fitted
    is left out (with a warning), so the block can have fewer rows than resamples.
    """
    resamples = int(_option(resamples, "resamples", RESAMPLES))
    seed = int(_option(seed, "seed", SEED))
    key = _prepare(params, tokens, losses, 1e-3)
    inner, _ = _fit_key(key)
    return _bootstrap_laws(key, inner, resamples, seed, None, "the samples")


# ---------------------------------------------------------------------------------------
# Approach 2: IsoFLOP profiles
# ---------------------------------------------------------------------------------------

ISOFLOP_FIELDS = ("a", "b", "n_coefficient", "d_coefficient")
_SAME_BUDGET = 0.01  # runs whose 6ND differ by less than 1% share an IsoFLOP profile


@formula("Fitting", result="numbers", returns="row", fields=ISOFLOP_FIELDS,
         example="=FIT_ISOFLOP(A2:A241, B2:B241, C2:C241)",
         params=DATA_N, tokens=DATA_D, losses=DATA_L)
def fit_isoflop(params, tokens, losses):
    """Hoffmann et al. 2022's Approach 2: the row {a, b, n_coefficient, d_coefficient} of
    N_opt = n_coefficient x C^a and D_opt = d_coefficient x C^b.

    The runs are grouped by budget C = 6ND (runs within 1% of each other share an IsoFLOP
    profile); each profile of at least three model sizes is fitted with a parabola of loss
    in log N, whose minimum is that budget's N_opt; power laws in C are then fitted to the
    minima (D_opt = C / (6 N_opt), so b = 1 - a). Hoffmann et al.'s Table 2 gives a = 0.49,
    b = 0.51 for their runs. Needs two profiles at least.
    """
    n, d, loss = _columns({"params": params, "tokens": tokens, "losses": losses}, 3,
                          "an IsoFLOP parabola")
    ln_c = np.log(6.0 * n * d)
    order = np.argsort(ln_c, kind="stable")
    # A new profile starts wherever the budget jumps by more than 1%.
    starts = np.flatnonzero(np.diff(ln_c[order]) > np.log1p(_SAME_BUDGET)) + 1
    budgets, optima = [], []
    for group in np.split(order, starts):
        ln_n = np.log(n[group])
        if np.unique(ln_n).size < 3:
            continue  # too few sizes on this budget for a parabola
        curve, slope, _ = np.polyfit(ln_n, loss[group], 2)
        if not curve > 0:
            continue  # no minimum: the profile does not bracket its optimum
        vertex = -slope / (2.0 * curve)
        if ln_n.min() <= vertex <= ln_n.max():  # only a minimum the profile brackets
            budgets.append(ln_c[group].mean())
            optima.append(vertex)
    if len(budgets) < 2:
        raise PlannerError(f"need at least two IsoFLOP profiles (runs of one budget, within 1%, at "
                           f"three or more model sizes around their best one); found {len(budgets)}",
                           argument="params", kind=DOMAIN)
    if np.ptp(budgets) <= 0:
        raise PlannerError("the IsoFLOP profiles do not span different budgets", argument="params", kind=DOMAIN)
    a, ln_k = np.polyfit(budgets, optima, 1)
    with np.errstate(over="ignore"):
        k_n = float(np.exp(ln_k))
    return np.array([a, 1.0 - a, k_n, 1.0 / (6.0 * k_n)])
