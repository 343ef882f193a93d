"""Benchmark scores as they behave: sigmoids of log compute, and a model's size read off its scores.

A task's score rises from its random-chance score towards a ceiling along a sigmoid of log
compute (or of loss), with noise of a few points per model; Owen 2024 ("How predictable is
language model benchmark performance?", arXiv 2401.04757, section 3) fits benchmark
performance so, and finds single tasks far noisier to forecast than their average. Here

    score(x) = chance + (ceiling - chance) / (1 + exp(-slope (t - midpoint))),

with t = log10 x (x a compute, or a size) or t = x (a loss: the slope is then negative), the
floor fixed at the task's chance score and the ceiling fitted within (chance, 1]. A fit is
the row {chance, ceiling, midpoint, slope, log_x} that BENCHMARK_SCORE and COMPUTE_FOR_SCORE
read. Fits are least squares by a Levenberg-Marquardt iteration run for many starts and
resamples at once (one array operation per step), so a bootstrap of a thousand resamples is
one vectorised fit.
"""

from __future__ import annotations

import numpy as np

from . import _args, diskcache
from .catalog import Arg, formula
from .errors import DOMAIN, SHAPE, TYPE, PlannerError
from .fitting import LEVEL, MAX_RESAMPLES, RESAMPLES, SEED, _columns, _option

__all__ = ["fit_benchmark", "benchmark_score", "compute_for_score", "fit_benchmark_ci", "size_from_scores"]

CATEGORY = "Benchmarks"
BENCHMARK_FIELDS = ("chance", "ceiling", "midpoint", "slope", "log_x")
CI_FIELDS = BENCHMARK_FIELDS + ("target_x",)
MIN_POINTS = 4  # three fitted numbers and one to spare
MIN_RESAMPLES_SIZE = 20
_ITERATIONS = 300  # Levenberg-Marquardt steps: converged well before; the cap bounds the work
# Starts: the midpoint at these quantiles of t, the slope at these multiples of 4 / range(t),
# the ceiling at these fractions of the way from the best score to 1.
_MID_QUANTILES = (0.25, 0.5, 0.75, 1.0)
_SLOPE_SCALES = (0.5, 1.0, 2.0)
_CEILING_SHARES = (0.1, 0.5)

X = Arg("FLOPs, parameters or nats/token", "What each model's score is plotted against: its training compute "
                                           "(or size), or its loss (a column; blank rows are skipped)", kind="data")
SCORES = Arg("fraction", "Each model's score on the task, a fraction (0.62 for 62% accuracy)", kind="data")
CHANCE = Arg("fraction", "The task's random-chance score, the sigmoid's floor (0.25 for four-way multiple "
                         "choice; 0 for free answers)", kind="option", rule="chance")
LOG_X = Arg("", "TRUE (default): x is a compute or a size, the sigmoid runs along log10 x; FALSE: x is a "
                "loss, the sigmoid runs along x itself", kind="flag")
TARGET = Arg("fraction", "A score to forecast the compute for (its column: target_x)", kind="option",
             rule="open_fraction")
FIT = Arg("5 numbers", "A benchmark fit {chance, ceiling, midpoint, slope, log_x}, as FIT_BENCHMARK gives it "
                       "(a range of five cells)", kind="data")


def _sigmoid(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _curves(t, chance, u, m, s):
    """Scores and the three derivatives at t (..., n) for parameters and chance (...,) each."""
    ceiling = chance + (1.0 - chance) * _sigmoid(u)
    z = s[..., None] * (t - m[..., None])
    p = _sigmoid(z)
    height = (ceiling - chance)[..., None]
    f = chance[..., None] + height * p
    dp = p * (1.0 - p)
    du = ((1.0 - chance) * _sigmoid(u) * (1.0 - _sigmoid(u)))[..., None] * p
    dm = -height * dp * s[..., None]
    ds = height * dp * (t - m[..., None])
    return f, np.stack((du, dm, ds), axis=-1)


def _fit_batch(t, y, chance, start=None):
    """Least squares for each row of t and y (batch, n), each with its chance score (a number or
    one per row): (ceiling, midpoint, slope, sse), each (batch,), from the best of a grid of
    starts, or from `start` (ceiling, midpoint, slope) alone (a bootstrap starts each
    resample at the fit to all the data). t is standardised here for the iteration."""
    centre, scale = t.mean(axis=-1, keepdims=True), t.std(axis=-1, keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    tz = (t - centre) / scale
    batch, n = tz.shape
    chance = np.broadcast_to(np.asarray(chance, dtype=float), (batch,))
    if start is not None:
        c0, m0, s0 = start
        c0 = np.clip(c0, chance + 1e-9, 1.0 - 1e-9)
        k0 = 1
        u = np.log((c0 - chance) / (1.0 - c0)) * np.ones(batch)
        m = (m0 - centre[:, 0]) / scale[:, 0]
        s = s0 * scale[:, 0]
    else:
        best = np.maximum(y.max(axis=-1), chance + 1e-6)
        rising = np.sign(np.sum((tz - tz.mean(-1, keepdims=True)) * (y - y.mean(-1, keepdims=True)), axis=-1))
        rising = np.where(rising == 0, 1.0, rising)
        starts = [(share, q, k) for share in _CEILING_SHARES for q in _MID_QUANTILES for k in _SLOPE_SCALES]
        k0 = len(starts)
        shares = np.array([share for share, _, _ in starts])
        ceil0 = np.minimum(best[:, None] + shares[None, :] * (1.0 - best[:, None]), 1.0 - 1e-6)
        u = np.log((ceil0 - chance[:, None]) / (1.0 - ceil0)).ravel()
        m = np.concatenate([np.quantile(tz, q, axis=-1)[:, None] for _, q, _ in starts], axis=1).ravel()
        s = (np.array([k for _, _, k in starts])[None, :] * 4.0 / np.ptp(tz, axis=-1)[:, None]
             * rising[:, None]).ravel()
    tt, yy, cc = np.repeat(tz, k0, axis=0), np.repeat(y, k0, axis=0), np.repeat(chance, k0)
    theta = np.stack((u, m, s), axis=-1)
    lam = np.full(theta.shape[0], 1e-2)
    f, jac = _curves(tt, cc, *theta.T)
    sse = np.sum((yy - f) ** 2, axis=-1)
    with np.errstate(all="ignore"):
        for _ in range(_ITERATIONS):
            r = yy - f
            jtj = np.einsum("bni,bnj->bij", jac, jac)
            g = np.einsum("bni,bn->bi", jac, r)
            damped = jtj + lam[:, None, None] * (np.eye(3) * np.diagonal(jtj, axis1=1, axis2=2)[:, None, :]
                                                 + 1e-12 * np.eye(3))
            step = np.linalg.solve(damped, g[..., None])[..., 0]
            trial = theta + step
            f_new, jac_new = _curves(tt, cc, *trial.T)
            sse_new = np.sum((yy - f_new) ** 2, axis=-1)
            better = np.isfinite(sse_new) & (sse_new < sse)
            theta = np.where(better[:, None], trial, theta)
            f = np.where(better[:, None], f_new, f)
            jac = np.where(better[:, None, None], jac_new, jac)
            gain = np.where(better, sse - sse_new, 0.0)
            sse = np.where(better, sse_new, sse)
            lam = np.clip(np.where(better, lam / 3.0, lam * 4.0), 1e-12, 1e12)
            # Converged when no row gains more than rounding: each either rejects its step or
            # takes one its damping has shrunk to nothing.
            if np.all((gain <= 1e-13 * (1.0 + sse)) & ((lam >= 1e8) | ~better)):
                break
    sse = sse.reshape(batch, k0)
    pick = np.argmin(np.where(np.isfinite(sse), sse, np.inf), axis=1)
    theta = theta.reshape(batch, k0, 3)[np.arange(batch), pick]
    u, m, s = theta.T
    ceiling = chance + (1.0 - chance) * _sigmoid(u)
    return ceiling, m * scale[:, 0] + centre[:, 0], s / scale[:, 0], sse[np.arange(batch), pick]


def _fits(t, y, chance):
    """_fit_batch from its grid of starts (ceiling, midpoint, slope, sse), each (batch,):
    remembered on disk (planner.diskcache) for these data and this module's code, as the
    resamples are (each fit tries every start: a few hundredths of a second a task)."""
    chance = np.broadcast_to(np.asarray(chance, dtype=float), (y.shape[0],))
    parts = ("fit", t.tobytes(), t.shape, y.tobytes(), y.shape, chance.tobytes())
    return tuple(diskcache.remember("benchmark-fit", parts, lambda: {"fit": np.array(_fit_batch(t, y, chance))},
                                    {"fit": (4, y.shape[0])}, module="benchmark")["fit"])


def _reading(q, chance, ceiling, midpoint, slope):
    """The t at which a sigmoid gives the score q: NaN where it never does (at or below its
    chance score, at or above its ceiling)."""
    with np.errstate(all="ignore"):
        share = (q - chance) / (ceiling - chance)
        t = midpoint + np.log(share / (1.0 - share)) / slope
    return np.where((share > 0) & (share < 1) & np.isfinite(t), t, np.nan)


def _data(x, scores, chance, log_x, what):
    xs, ys = _columns({"x": x, "scores": scores}, MIN_POINTS, what, nonnegative=("scores",))
    floor = float(_option(chance, "chance", CHANCE))
    flag = _args.flag(log_x, "log_x", True)
    if flag.ndim:
        raise PlannerError("log_x must be one TRUE or FALSE for the whole fit", argument="log_x", kind=TYPE)
    log_x = bool(flag)
    _args.check(ys <= 1.0, "scores", "must be fractions between 0 and 1 (62% is 0.62)", ys)
    if not np.any(ys > floor):
        raise PlannerError(f"no score is above the chance score {floor:g}: there is no rise to fit",
                           argument="scores", kind=DOMAIN)
    t = np.log10(xs) if log_x else xs
    if np.ptp(t) <= 0:
        raise PlannerError("x must take at least two different values", argument="x", kind=DOMAIN)
    return t, ys, floor, log_x


def _row(ceiling, midpoint, slope, chance, log_x):
    return np.array([chance, float(ceiling), float(midpoint), float(slope), 1.0 if log_x else 0.0])


@formula(CATEGORY, result="numbers", returns="row", fields=BENCHMARK_FIELDS,
         example="=FIT_BENCHMARK(A2:A40, B2:B40, 0.25)",
         x=X, scores=SCORES, chance=CHANCE, log_x=LOG_X)
def fit_benchmark(x, scores, chance, log_x=True):
    """A task's scores as a sigmoid of log compute: {chance, ceiling, midpoint, slope, log_x}.

    score = chance + (ceiling - chance) / (1 + exp(-slope (t - midpoint))), t = log10 x
    (log_x TRUE) or x (FALSE, x a loss), fitted by least squares with the floor at the task's
    chance score and the ceiling within (chance, 1], as Owen 2024 fits benchmark performance
    against log compute. midpoint is the t of the halfway score; slope is per unit of t (per
    decade of compute). Pass the row to BENCHMARK_SCORE and COMPUTE_FOR_SCORE.
    """
    t, ys, floor, log_x = _data(x, scores, chance, log_x, "a sigmoid (ceiling, midpoint, slope)")
    ceiling, m, s, _ = _fits(t[None, :], ys[None, :], floor)
    if not np.isfinite(m[0] * s[0]):
        raise PlannerError("the sigmoid did not converge; the scores may not rise with x", argument=None, kind=DOMAIN)
    return _row(ceiling[0], m[0], s[0], floor, log_x)


def _fit(fit):
    values = _args.number(fit, "fit", "any", "5 numbers").ravel()
    if values.size != 5:
        raise PlannerError(f"fit must be five numbers {{chance, ceiling, midpoint, slope, log_x}}; got "
                           f"{values.size}", argument="fit", kind=TYPE)
    chance, ceiling, midpoint, slope, log_x = (float(v) for v in values)
    if not 0.0 <= chance < ceiling <= 1.0 or slope == 0.0 or log_x not in (0.0, 1.0):
        raise PlannerError("fit must hold 0 <= chance < ceiling <= 1, a slope other than 0 and log_x 1 or 0, "
                           "as FIT_BENCHMARK gives them", argument="fit", kind=DOMAIN)
    return chance, ceiling, midpoint, slope, log_x == 1.0


@formula(CATEGORY, result="fraction", example="=BENCHMARK_SCORE(1E23, F2:J2)",
         x=Arg("FLOPs, parameters or nats/token", "The compute (or size, or loss) to read the score at"),
         fit=FIT)
def benchmark_score(x, fit):
    """The score a benchmark fit predicts at x (a compute, a size or a loss, as the fit was made)."""
    chance, ceiling, midpoint, slope, log_x = _fit(fit)
    v = _args.number(x, "x")
    with np.errstate(all="ignore"):
        t = np.log10(v) if log_x else v
        score = chance + (ceiling - chance) * _sigmoid(slope * (t - midpoint))
    return _args.result(score, x)


@formula(CATEGORY, result="FLOPs (or what the fit's x is)", example="=COMPUTE_FOR_SCORE(0.6, F2:J2)",
         score=Arg("fraction", "The score to reach, between the fit's chance and ceiling", rule="open_fraction"),
         fit=FIT)
def compute_for_score(score, fit):
    """The compute (or size, or loss) at which a benchmark fit reaches this score: the inverse of BENCHMARK_SCORE.

    A score at or below the task's chance, or at or above the fit's ceiling, is never
    reached and has no answer.
    """
    chance, ceiling, midpoint, slope, log_x = _fit(fit)
    q = _args.number(score, "score")
    _args.check(q > chance, "score", f"must be above the task's chance score ({chance:.4g})", q)
    _args.check(q < ceiling, "score", f"must be below the fit's ceiling ({ceiling:.4g}): the sigmoid never "
                                      f"reaches it", q)
    t = _reading(q, chance, ceiling, midpoint, slope)
    with np.errstate(all="ignore"):
        x = 10.0 ** t if log_x else t
    x = _args.in_range(x, "compute", "score", q, positive=log_x)
    return _args.result(x, score)


def _bootstrap(t, ys, floor, full, resamples: int, seed: int):
    """(ceilings, midpoints, slopes) of the sigmoid refitted to `resamples` resamples of the
    models (rows drawn with replacement), each started at the full fit; remembered on disk
    (planner.diskcache) for these data, options and this module's code."""
    def compute():
        pick = np.random.default_rng(seed).integers(0, t.size, size=(resamples, t.size))
        return {"fits": np.array(_fit_batch(t[pick], ys[pick], floor, start=full)[:3])}

    parts = (t.tobytes(), ys.tobytes(), floor, resamples, seed)
    return tuple(diskcache.remember("benchmark-ci", parts, compute, {"fits": (3, resamples)},
                                    module="benchmark")["fits"])


@formula(CATEGORY, result="numbers", returns="table", fields=CI_FIELDS, row_labels=("estimate", "low", "high"),
         example="=FIT_BENCHMARK_CI(A2:A40, B2:B40, 0.25, 0.6)",
         x=X, scores=SCORES, chance=CHANCE,
         target=TARGET,
         level=LEVEL, resamples=RESAMPLES, seed=SEED, log_x=LOG_X)
def fit_benchmark_ci(x, scores, chance, target, level=0.8, resamples=1000, seed=0, log_x=True):
    """Bootstrap intervals of a benchmark fit and of the compute it forecasts for a target score.

    A 3 x 6 block: columns chance, ceiling, midpoint, slope, log_x (as FIT_BENCHMARK) and
    target_x, the compute (or size, or loss) at which the sigmoid reaches `target`; row 1 the
    fit to all the models, rows 2 and 3 the lower and upper percentiles over `resamples`
    refits to the models drawn with replacement (reproducible for a `seed`). One task's
    noise makes target_x's interval wide: that width is the forecast's honest uncertainty.
    A resample whose ceiling stays below the target never reaches it; when more of them than
    the upper percentile allows do, there is no upper bound and the function says so.
    """
    t, ys, floor, log_x = _data(x, scores, chance, log_x, "a sigmoid (ceiling, midpoint, slope)")
    q = float(_option(target, "target", TARGET))
    lv = _option(level, "level", LEVEL)
    r = int(_option(resamples, "resamples", RESAMPLES))
    sd = int(_option(seed, "seed", SEED))
    if not q > floor:
        raise PlannerError(f"target must be above the chance score {floor:g}", argument="target", kind=DOMAIN)
    # Remembered on disk as a whole, as its fits are: np.quantile's first call imports numpy.ma.
    parts = ("ci", t.tobytes(), ys.tobytes(), floor, bool(log_x), q, float(lv), r, sd)
    return diskcache.remember("benchmark-ci-table", parts, lambda: {"table": _ci_table(t, ys, floor, log_x, q, lv, r, sd)},
                              {"table": (3, len(CI_FIELDS))}, module="benchmark")["table"]


def _ci_table(t, ys, floor, log_x, q, lv, r, sd):
    """fit_benchmark_ci's block for its checked arguments; raises PlannerError."""
    full = _fits(t[None, :], ys[None, :], floor)[:3]
    ceilings, mids, slopes = (np.concatenate(v) for v in zip(full, _bootstrap(t, ys, floor, full, r, sd)))
    reach = _reading(q, floor, ceilings, mids, slopes)
    reach = np.where(np.isnan(reach), np.inf, reach)  # a resample that never reaches the target
    if not np.isfinite(reach[0]):
        raise PlannerError(f"the fitted ceiling ({ceilings[0]:.4g}) is below the target {q:g}: the fit never "
                           f"reaches it", argument="target", kind=DOMAIN)
    tails = (0.5 - lv / 2, 0.5 + lv / 2)
    if np.mean(~np.isfinite(reach[1:])) > tails[0]:
        raise PlannerError(f"{np.mean(~np.isfinite(reach[1:])):.0%} of the resamples never reach {q:g} (their ceiling "
                           f"is below it): the upper bound at level {lv:g} is infinite", argument="target",
                           kind=DOMAIN)
    columns = [np.full(3, floor)]
    for v in (ceilings, mids, slopes):
        columns.append(np.concatenate(([v[0]], np.quantile(v[1:], tails))))
    columns.append(np.full(3, 1.0 if log_x else 0.0))
    target_t = np.concatenate(([reach[0]], np.quantile(reach[1:], tails)))
    columns.append(10.0 ** target_t if log_x else target_t)
    return np.column_stack(columns)


SIZE_FIELDS = ("estimate", "low", "high", "disagreement", "p_value", "tasks")


def _resampled_tasks(t, ys, floor, full, resamples: int, seed: int):
    """(ceilings, midpoints, slopes) of each task's sigmoid (a row of `ys` per task) refitted to
    `resamples` resamples of the models, the same resamples for every task, each started at
    the task's fit `full`; task-major, and remembered on disk as _bootstrap's are."""
    k = ys.shape[0]

    def compute():
        pick = np.random.default_rng(seed).integers(0, t.size, size=(resamples, t.size))
        rep = lambda v: np.repeat(v, resamples)  # noqa: E731
        return {"fits": np.array(_fit_batch(np.tile(t[pick], (k, 1)), ys[:, pick].reshape(k * resamples, t.size),
                                            rep(floor), start=tuple(rep(v) for v in full))[:3])}

    parts = ("tasks", t.tobytes(), ys.tobytes(), floor.tobytes(), resamples, seed)
    return tuple(diskcache.remember("benchmark-ci", parts, compute, {"fits": (3, k * resamples)},
                                    module="benchmark")["fits"])


@formula(CATEGORY, result="numbers", returns="row", fields=SIZE_FIELDS,
         example="=SIZE_FROM_SCORES(A2:A30, B2:F30, B32:F32, B33:F33)",
         x=Arg("FLOPs or parameters", "Compute (or size) of each model of known size (a column)", kind="data"),
         scores=Arg("fraction", "Their scores, one column per task (a block: a row per model)", kind="data"),
         chance=Arg("fraction", "Each task's chance score (a row, one per task)", kind="data"),
         model_scores=Arg("fraction", "The unknown model's score on each task (a row, one per task)", kind="data"),
         level=LEVEL,
         resamples=Arg("count", "Resamples of the known models for each task's sigmoid (its own uncertainty), "
                                f"{MIN_RESAMPLES_SIZE} to {MAX_RESAMPLES}", kind="option", rule="whole",
                       bounds=(MIN_RESAMPLES_SIZE, MAX_RESAMPLES)),
         seed=SEED)
def size_from_scores(x, scores, chance, model_scores, level=0.8, resamples=200, seed=0):
    """A model's compute (or size) from its benchmark scores: {estimate, low, high, disagreement, p_value, tasks}.

    Each task's sigmoid is fitted to the known models (FIT_BENCHMARK on log10 x) and read
    backwards at the unknown model's score; its uncertainty is the task's scatter about its
    sigmoid carried through the sigmoid there, plus the spread of that reading over refits to
    `resamples` resamples of the known models (a task whose sigmoid the models do not pin
    down reads widely, and one that most resamples cannot read at all is left out).
    The estimate pools the tasks in log x, each weighted by the inverse of its variance;
    low and high are its interval at `level`. disagreement is the tasks' scatter about the
    pooled estimate over what their noise allows (chi-squared over its degrees of freedom:
    near 1 when they agree), and the interval widens by its square root when above 1;
    p_value is the chance of a scatter that large from noise alone, so a small one (below
    1 - level) says the tasks disagree: the model is unlike the known ones (trained on other
    data, or for other tokens per parameter), or a task was trained on. Tasks where the score
    is at chance or beyond the ceiling say nothing and are left out; tasks counts those used.
    """
    xs = _args.number(x, "x", "positive").ravel()
    given = _args.number(scores, "scores", "any")
    floors = _args.number(chance, "chance", "any").ravel()
    target = _args.number(model_scores, "model_scores", "any").ravel()
    if given.ndim == 2 and given.shape == (floors.size, xs.size) and floors.size != xs.size:
        given = given.T  # a column per model
    # A block arrives from a cell as its values row by row: a row per model, a column per task.
    block = given.reshape(xs.size, -1) if given.size == xs.size * floors.size else np.atleast_2d(given)
    lv = _option(level, "level", LEVEL)
    r = int(_args.number(resamples, "resamples"))
    sd = int(_option(seed, "seed", SEED))
    tasks = block.shape[1]
    if block.shape[0] != xs.size or floors.size != tasks or target.size != tasks:
        raise PlannerError(f"scores must have a row per model ({xs.size}) and a column per task, with chance and "
                           f"model_scores one per task; got scores {block.shape[0]} x {tasks}, chance {floors.size}, "
                           f"model_scores {target.size}", argument="scores", kind=SHAPE)
    if xs.size < MIN_POINTS:
        raise PlannerError(f"x needs at least {MIN_POINTS} models of known size; got {xs.size}", argument="x",
                           kind=DOMAIN)
    # Remembered on disk as a whole, as fits are: half its time is importing scipy.special.
    parts = ("size", xs.tobytes(), block.astype(float).tobytes(), block.shape, floors.tobytes(), target.tobytes(),
             float(lv), r, sd)
    return diskcache.remember("size-from-scores", parts,
                              lambda: {"row": _size_from_scores(xs, block, floors, target, lv, r, sd)},
                              {"row": (len(SIZE_FIELDS),)}, module="benchmark")["row"]


def _size_from_scores(xs, block, floors, target, lv, r, sd):
    """size_from_scores' row for its checked arguments; raises PlannerError."""
    from scipy.special import chdtrc, ndtri  # what scipy.stats' chi2.sf and norm.ppf call, without its import

    t = np.log10(xs)
    usable = np.any(block > floors[None, :], axis=0) & (target > floors) & (target < 1.0)
    if not np.any(usable):
        raise PlannerError("no task's score is above its chance score: the scores say nothing of the size",
                           argument="model_scores", kind=DOMAIN)
    cols = np.flatnonzero(usable)
    k = cols.size
    floor, score = floors[cols], target[cols]
    ceiling, m, s, sse = _fits(np.repeat(t[None, :], k, 0), block[:, cols].T, floor)
    sigma = np.sqrt(sse / max(xs.size - 3, 1))  # each task's scatter about its sigmoid

    at = _reading(score, floor, ceiling, m, s)  # log10 x where each task's sigmoid gives the score
    # The task's noise carried through its sigmoid: where the score moves by one scatter either way.
    above, below = (_reading(score + d, floor, ceiling, m, s) for d in (sigma, -sigma))
    noise = (np.abs(above - below) / 2) ** 2
    # And the sigmoid's own uncertainty: the reading over refits to the known models resampled
    # (each task's resamples started at its fit; a step-like fit moves its step and shows it).
    rep = lambda v: np.repeat(v, r)  # noqa: E731 - task-major, as the batch below
    cb, mb, sb = _resampled_tasks(t, block[:, cols].T, floor, (ceiling, m, s), r, sd)
    boot = _reading(rep(score), rep(floor), cb, mb, sb).reshape(k, r)
    readable = np.mean(np.isfinite(boot), axis=1)
    with np.errstate(all="ignore"):
        count = np.maximum(np.sum(np.isfinite(boot), axis=1), 1)
        mean = np.nansum(boot, axis=1) / count
        spread = np.nansum((boot - mean[:, None]) ** 2, axis=1) / count
        variance = np.where(readable > 0, noise + spread, np.inf)
    inside = np.isfinite(at) & np.isfinite(variance) & (variance > 0) & (readable >= 1 - (1 - lv) / 2)
    if not np.any(inside):
        raise PlannerError("no task's score lies clearly between its chance score and its fitted ceiling: the "
                           "scores say nothing of the size", argument="model_scores", kind=DOMAIN)
    logs, variances = at[inside], variance[inside]
    variances = np.maximum(variances, 1e-300)
    w = 1.0 / variances
    pooled = float(np.sum(w * logs) / np.sum(w))
    q = float(np.sum(w * (logs - pooled) ** 2))
    dof = logs.size - 1
    ratio = q / dof if dof else float("nan")
    # Tasks scattered beyond their noise widen the interval by that excess (the Birge ratio).
    half = float(ndtri(0.5 + lv / 2) * np.sqrt(max(ratio if dof else 1.0, 1.0) / np.sum(w)))
    p = float(chdtrc(dof, q)) if dof else 1.0
    return np.array([10.0 ** pooled, 10.0 ** (pooled - half), 10.0 ** (pooled + half), ratio if dof else 0.0, p,
                     float(logs.size)])
