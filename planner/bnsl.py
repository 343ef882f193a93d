"""Broken neural scaling laws (Caballero et al. 2022): power laws that bend at breaks.

Caballero, Gupta, Rish and Krueger 2022, "Broken Neural Scaling Laws" (arXiv 2210.14891,
eq. 1; code github.com/ethancaballero/broken_neural_scaling_laws, read 2026-12-01):

    y = a + b x^(-c0) prod_i (1 + (x / d_i)^(1 / f_i))^(-c_i f_i),

a the unimprovable value, b the offset, c0 the first segment's slope on a log-log plot, and
for each break i its change of slope c_i, its place d_i and its sharpness f_i (smaller is
sharper). Past break i the slope is -(c0 + c_1 + ... + c_i). The fit follows the paper's
code: a grid search of the mean squared error of log(y + 1), then least squares on
log(y + 1) from the best grid point (their fit_bnsl_and_extrapolate scripts).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from . import _args, diskcache
from .catalog import Arg, formula
from .errors import DOMAIN, SHAPE, PlannerError
from .fitting import _columns, _one_blas_thread

__all__ = ["bnsl", "fit_bnsl"]

BNSL_FIELDS = ("a", "b", "c0", "c1", "d1", "f1")
MAX_BREAKS = 3

# The paper's grid (their p_grid): a, then b and d through 1.25^g - 1, c0, c1, f1.
_GRID_A = np.arange(0.0, 1.0, 0.1)
_GRID_B = 1.25 ** np.arange(0.0, 40.0, 2.5) - 1 + 1e-8
_GRID_C = np.arange(0.0, 1.0, 0.25)
_GRID_D = 1.25 ** np.arange(0.0, 40.0, 2.5) - 1 + 1e-8
_GRID_F = np.arange(0.0, 1.0, 0.25)


def _log_curve(lx, a, b, c0, c, d, f):
    """y at log x, the breaks' factors multiplied as a sum of logarithms (no overflow).

    lx (..., n); a, b, c0 (...,); c, d, f (..., breaks)."""
    with np.errstate(all="ignore"):
        ln_terms = -c[..., None] * f[..., None] * np.logaddexp(
            0.0, (lx[..., None, :] - np.log(d)[..., None]) / f[..., None])
        ln_body = np.log(b)[..., None] - c0[..., None] * lx + np.sum(ln_terms, axis=-2)
        return a[..., None] + np.exp(ln_body)


@formula("Fitting", result="as y", example="=BNSL(1E+20, 0.41, 2.28, 0.055, 5.66, 613, 0.059)",
         x=Arg("any unit", "The driver: compute, data or model size"),
         a=Arg("as y", "The unimprovable value y tends to", rule="any"),
         b=Arg("as y", "The offset of the first power-law segment", rule="positive"),
         c0=Arg("slope", "The first segment's slope on a log-log plot (y falls as x^-c0)", rule="any"),
         c=Arg("slopes", "Each break's change of slope, negative where the curve flattens (a row, one per break)",
               kind="data", rule="any"),
         d=Arg("as x", "Where each break happens (a row, one per break)", kind="data"),
         f=Arg("ratio", "Each break's sharpness, positive: smaller is sharper (a row, one per break)", kind="data"))
def bnsl(x, a, b, c0, c, d, f):
    """A broken neural scaling law at x: a + b x^-c0 prod (1 + (x/d_i)^(1/f_i))^(-c_i f_i) (Caballero 2022).

    Any number of breaks, each one column of the rows c, d and f. Past break i the curve
    falls with slope c0 + c_1 + ... + c_i on a log-log plot; f_i sets how gradually it turns.
    """
    v = _args.number(x, "x", "positive")
    av, bv, c0v = _args.number(a, "a"), _args.number(b, "b"), _args.number(c0, "c0")
    cs, ds, fs = _breaks(c, d, f)
    _args.broadcast(x=v, a=av, b=bv, c0=c0v)
    shape = np.broadcast_shapes(np.shape(v), np.shape(av), np.shape(bv), np.shape(c0v))
    lx = np.log(np.broadcast_to(v, shape)).reshape(-1)
    flat = lambda p: np.broadcast_to(p, shape).reshape(-1)  # noqa: E731
    y = _log_curve(lx[:, None], flat(av), flat(bv), flat(c0v), *(np.broadcast_to(p, (lx.size, p.size))
                                                                 for p in (cs, ds, fs)))[:, 0]
    y = _args.in_range(y.reshape(shape), "value", "x", v, positive=False)
    return _args.result(y, x, a, b, c0)


def _breaks(c, d, f):
    rows = [np.atleast_1d(_args.number(v, name, rule, unit)).ravel() for v, name, rule, unit in
            ((c, "c", "any", "slopes"), (d, "d", "positive", "as x"), (f, "f", "positive", "ratio"))]
    if len({r.size for r in rows}) > 1:
        raise PlannerError(f"c, d and f must have one value per break each; got {rows[0].size}, {rows[1].size} "
                           f"and {rows[2].size}", argument="c", kind=SHAPE)
    return rows


def _msle(lx, ly1, params, breaks):
    """Mean squared error of log(y + 1) for each row of params (k, 3 + 3 breaks)."""
    a, b, c0 = params[:, 0], params[:, 1], params[:, 2]
    rest = params[:, 3:].reshape(params.shape[0], breaks, 3)
    with np.errstate(all="ignore"):
        y = _log_curve(np.broadcast_to(lx, (params.shape[0], lx.size)), a, b, c0,
                       rest[..., 0], rest[..., 1], rest[..., 2])
        err = np.mean((np.log(y + 1) - ly1) ** 2, axis=-1)
    return np.where(np.isfinite(err), err, np.inf)


@formula("Fitting", result="numbers", returns="row", fields=BNSL_FIELDS,
         example="=FIT_BNSL(A2:A15, B2:B15, 1)",
         x=Arg("any unit", "The driver of each observation, e.g. compute or data (a column; blank rows are skipped)",
               kind="data"),
         y=Arg("any unit", "The observed value, e.g. loss (a column)", kind="data"),
         breaks=Arg("count", f"How many breaks to fit, 0 to {MAX_BREAKS} (1 by default)", kind="option",
                    rule="count", bounds=(0, MAX_BREAKS)))
def fit_bnsl(x, y, breaks=1):
    """Fit a broken neural scaling law: the row {a, b, c0, then c, d, f of each break}.

    As the paper's code fits it: a grid search (their grid) of the mean squared error of
    log(y + 1), then least squares on log(y + 1) from the best point; a second or third
    break is added to the fit with one break fewer, tried at each observed x. Pass the row
    to BNSL as a, b, c0 and the rows c, d, f. Fitted numbers extrapolate only as far as the
    observations pin the last break down.
    """
    n_breaks = int(_args.number(breaks, "breaks"))
    xs, ys = _columns({"x": x, "y": y}, 3 + 3 * n_breaks, "the law's numbers", nonnegative=("y",))
    parts = (xs.tobytes(), ys.tobytes(), n_breaks)
    return diskcache.remember("bnsl", parts, lambda: {"law": _fit(xs, ys, n_breaks)}, {"law": (3 + 3 * n_breaks,)},
                              module="bnsl")["law"].copy()


def _fit(xs, ys, n_breaks: int) -> np.ndarray:
    """fit_bnsl's fit of checked observations (remembered on disk by fit_bnsl)."""
    from scipy.optimize import OptimizeWarning, curve_fit

    lx, ly1 = np.log(xs), np.log(ys + 1.0)
    grid = np.array(list(itertools.product(_GRID_A, _GRID_B, _GRID_C)))
    if n_breaks == 0:
        starts = grid
    else:
        per_break = np.array(list(itertools.product(_GRID_C, _GRID_D, _GRID_F)))
        # The paper's grid: every (a, b, c0) with every first break, in blocks to bound memory.
        starts = np.concatenate([np.repeat(grid, per_break.shape[0], 0), np.tile(per_break, (grid.shape[0], 1))],
                                axis=1)
    errors = np.concatenate([_msle(lx, ly1, chunk, min(n_breaks, 1)) for chunk in np.array_split(
        starts, max(1, starts.shape[0] // 20000))])
    best = starts[int(np.argmin(errors))]

    def model(breaks_now):
        def curve(_, *p):
            p = np.asarray(p)
            rest = p[3:].reshape(breaks_now, 3)
            return np.log(_log_curve(lx[None, :], p[:1], p[1:2], p[2:3], rest[None, :, 0], rest[None, :, 1],
                                     rest[None, :, 2])[0] + 1.0)
        return curve

    def refine(p0, breaks_now):
        with warnings.catch_warnings(), np.errstate(all="ignore"), _one_blas_thread():
            warnings.simplefilter("ignore", OptimizeWarning)
            try:
                p = curve_fit(model(breaks_now), xs, ly1, p0=p0, maxfev=20000)[0]
            except (RuntimeError, ValueError, FloatingPointError):
                return None, np.inf
        err = _msle(lx, ly1, p[None, :], breaks_now)[0]
        return (p, err) if np.isfinite(err) else (None, np.inf)

    fitted, err = refine(best, min(n_breaks, 1))
    if fitted is None:
        fitted, err = best, _msle(lx, ly1, best[None, :], min(n_breaks, 1))[0]
    for breaks_now in range(2, n_breaks + 1):  # each further break tried at every observed x
        trials = [refine(np.concatenate([fitted, [0.5, place, 0.25]]), breaks_now) for place in xs]
        found, found_err = min(trials, key=lambda t: t[1])
        if found is None:
            raise PlannerError(f"a law with {breaks_now} breaks did not converge on these observations; fit "
                               f"fewer breaks", argument="breaks", kind=DOMAIN)
        fitted, err = found, found_err
    if not np.all(np.isfinite(fitted)) or fitted[1] <= 0 or np.any(fitted[4::3] <= 0) or np.any(fitted[5::3] <= 0):
        raise PlannerError("the broken power law did not converge to one with a positive offset, break places "
                           "and sharpnesses; the observations may not show a break", argument=None, kind=DOMAIN)
    return fitted
